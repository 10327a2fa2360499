// The email flows through the official PocketBase JS SDK: verification, password reset and
// email change.
//
// Usage: node email_flows_test.mjs <baseUrl> <email> <password>
// Run by tests/e2e/test_js_sdk_email.py: for each "MAIL <to>" line printed here, the test reads
// the next mail its SMTP server received, checks it went to <to>, and writes the token of its
// link back on stdin. The closing line is "N passed, M failed"; exit code 1 when anything failed.

import assert from 'node:assert/strict';
import readline from 'node:readline';
import PocketBase, { ClientResponseError } from 'pocketbase';

const [baseUrl, email, password] = process.argv.slice(2);
const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const checks = [];
const check = (name, fn) => checks.push([name, fn]);
const state = { email, password };

/** The token of the next mail, which must go to `to` (read by the test from its SMTP server). */
async function mailedToken(to) {
    console.log('MAIL', to);
    const { value } = await lines.next();
    return value.trim();
}

async function rejects(promise) {
    try {
        await promise;
    } catch (err) {
        assert.ok(err instanceof ClientResponseError, `expected ClientResponseError, got ${err}`);
        return err;
    }
    assert.fail('expected the call to fail');
}

check('requestVerification answers true for an unknown email too', async () => {
    const pb = new PocketBase(baseUrl);
    assert.equal(await pb.collection('users').requestVerification('nobody@example.com'), true);
});

check('requestVerification of a malformed email is a 400', async () => {
    const pb = new PocketBase(baseUrl);
    const err = await rejects(pb.collection('users').requestVerification('not-an-email'));
    assert.equal(err.status, 400);
    assert.equal(err.response.data.email.code, 'validation_is_email');
});

check('requestVerification then confirmVerification with the mailed token', async () => {
    const pb = new PocketBase(baseUrl);
    await pb.collection('users').authWithPassword(state.email, state.password);
    assert.equal(pb.authStore.record.verified, false);
    await pb.collection('users').requestVerification(state.email);
    const token = await mailedToken(state.email);
    assert.equal(await pb.collection('users').confirmVerification(token), true);
    // the SDK marks its stored record verified; the server agrees
    assert.equal(pb.authStore.record.verified, true);
    const fresh = await pb.collection('users').authRefresh();
    assert.equal(fresh.record.verified, true);
});

check('confirmVerification with a forged token is a 400', async () => {
    const pb = new PocketBase(baseUrl);
    const err = await rejects(pb.collection('users').confirmVerification('eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJlbWFpbCI6ImFAYi5jIn0.c2lnbmF0dXJlLW5vdC12YWxpZC1mb3ItdGhpcy10b2tlbg'));
    assert.equal(err.status, 400);
    assert.equal(err.response.data.token.code, 'validation_invalid_token');
});

check('requestPasswordReset then confirmPasswordReset: the old session dies', async () => {
    const pb = new PocketBase(baseUrl);
    await pb.collection('users').authWithPassword(state.email, state.password);
    const oldToken = pb.authStore.token;
    await pb.collection('users').requestPasswordReset(state.email);
    const token = await mailedToken(state.email);
    const newPassword = 'sdk-new-password-1';
    assert.equal(await pb.collection('users').confirmPasswordReset(token, newPassword, newPassword), true);
    state.password = newPassword;
    const err = await rejects(pb.collection('users').authRefresh({ headers: { Authorization: oldToken } }));
    assert.equal(err.status, 401);
    const again = await rejects(pb.collection('users').confirmPasswordReset(token, 'another-one-12', 'another-one-12'));
    assert.equal(again.status, 400);
    const auth = await new PocketBase(baseUrl).collection('users').authWithPassword(state.email, newPassword);
    assert.equal(auth.record.email, state.email);
});

check('confirmPasswordReset with mismatching passwords is a 400', async () => {
    const pb = new PocketBase(baseUrl);
    await pb.collection('users').requestPasswordReset(state.email);
    const token = await mailedToken(state.email);
    const err = await rejects(pb.collection('users').confirmPasswordReset(token, 'first-password-1', 'other-password-1'));
    assert.equal(err.status, 400);
    assert.equal(err.response.data.passwordConfirm.code, 'validation_values_mismatch');
});

check('requestEmailChange then confirmEmailChange: the SDK signs out, the new email signs in', async () => {
    const pb = new PocketBase(baseUrl);
    await pb.collection('users').authWithPassword(state.email, state.password);
    const newEmail = 'sdk-changed@example.com';
    assert.equal(await pb.collection('users').requestEmailChange(newEmail), true);
    const token = await mailedToken(newEmail);
    const wrong = await rejects(pb.collection('users').confirmEmailChange(token, 'wrong-password'));
    assert.equal(wrong.response.data.password.code, 'validation_invalid_password');
    assert.equal(await pb.collection('users').confirmEmailChange(token, state.password), true);
    assert.equal(pb.authStore.isValid, false);
    const auth = await pb.collection('users').authWithPassword(newEmail, state.password);
    assert.equal(auth.record.email, newEmail);
    assert.equal(auth.record.verified, true);
    state.email = newEmail;
});

check('requestEmailChange without signing in is a 401', async () => {
    const pb = new PocketBase(baseUrl);
    const err = await rejects(pb.collection('users').requestEmailChange('x@example.com'));
    assert.equal(err.status, 401);
});

let passed = 0;
let failed = 0;
for (const [name, fn] of checks) {
    try {
        await fn();
        passed++;
        console.log('ok', name);
    } catch (err) {
        failed++;
        console.log('FAIL', name, err);
    }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
