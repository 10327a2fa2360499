// OTP sign-in and MFA through the official PocketBase JS SDK.
//
// Usage: node otp_test.mjs <baseUrl> <email> <password>
// Run by tests/e2e/test_js_sdk_auth.py: for each "OTP <otpId>" line printed here, the test reads
// the code from the mail its SMTP server received and writes it back on stdin.
// The closing line is "N passed, M failed"; the exit code is 1 when anything failed.

import assert from 'node:assert/strict';
import readline from 'node:readline';
import PocketBase from 'pocketbase';

const [baseUrl, email, password] = process.argv.slice(2);
const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const checks = [];
const check = (name, fn) => checks.push([name, fn]);

/** request-otp, then the mailed code (from the test, on stdin). */
async function otp(pb) {
    const { otpId } = await pb.collection('users').requestOTP(email);
    console.log('OTP', otpId);
    const { value } = await lines.next();
    return [otpId, value.trim()];
}

check('requestOTP answers an id for an unknown email too', async () => {
    const pb = new PocketBase(baseUrl);
    const { otpId } = await pb.collection('users').requestOTP('nobody@example.com');
    assert.equal(otpId.length, 15);
});

check('authWithOTP with the mailed code, once', async () => {
    const pb = new PocketBase(baseUrl);
    const [otpId, code] = await otp(pb);
    const auth = await pb.collection('users').authWithOTP(otpId, code);
    assert.equal(auth.record.email, email);
    assert.ok(pb.authStore.isValid);
    await assert.rejects(
        pb.collection('users').authWithOTP(otpId, code),
        (err) => err.status === 400 && err.response.message === 'Invalid or expired OTP.',
    );
});

check('MFA: password first (401 mfaId), then the OTP completes it', async () => {
    const su = new PocketBase(baseUrl);
    await su.collection('_superusers').authWithPassword('admin@example.com', '1234567890');
    await su.collections.update('users', { mfa: { enabled: true } });
    try {
        const pb = new PocketBase(baseUrl);
        let mfaId = '';
        await assert.rejects(pb.collection('users').authWithPassword(email, password), (err) => {
            mfaId = err.response.mfaId;
            return err.status === 401 && typeof mfaId === 'string' && mfaId.length === 15;
        });
        assert.equal(pb.authStore.isValid, false);
        const [otpId, code] = await otp(pb);
        const auth = await pb.collection('users').authWithOTP(otpId, code, { mfaId });
        assert.equal(auth.record.email, email);
        assert.ok(pb.authStore.isValid);
    } finally {
        await su.collections.update('users', { mfa: { enabled: false } });
    }
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
