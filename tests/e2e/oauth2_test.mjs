// OAuth2 sign-in, impersonation and MFA through the official PocketBase JS SDK.
//
// Usage: node oauth2_test.mjs <baseUrl> <email> <password>
// Run by tests/e2e/test_js_sdk_auth.py: the users collection has an `oidc` provider pointing at a
// real authlib authorization server on loopback, whose authorization page grants at once.
// The closing line is "N passed, M failed"; the exit code is 1 when anything failed.

import assert from 'node:assert/strict';
import EventSource from 'eventsource';
import PocketBase from 'pocketbase';

globalThis.EventSource = EventSource;

const [baseUrl, email, password] = process.argv.slice(2);
const REDIRECT = 'http://localhost/cb';
const checks = [];
const check = (name, fn) => checks.push([name, fn]);

/** Follow the provider's authorization URL as a browser would; the URL it redirects to. */
async function authorize(authURL) {
    const resp = await fetch(authURL, { redirect: 'manual' });
    assert.equal(resp.status, 302);
    return resp.headers.get('location');
}

let userId = '';

check('authWithOAuth2Code signs up a new user with PKCE', async () => {
    const pb = new PocketBase(baseUrl);
    const methods = await pb.collection('users').listAuthMethods();
    assert.equal(methods.oauth2.enabled, true);
    const provider = methods.oauth2.providers.find((p) => p.name === 'oidc');
    assert.ok(provider.codeVerifier && provider.codeChallenge);
    const location = new URL(await authorize(provider.authURL + encodeURIComponent(REDIRECT)));
    assert.equal(location.searchParams.get('state'), provider.state);
    const auth = await pb.collection('users').authWithOAuth2Code(
        'oidc', location.searchParams.get('code'), provider.codeVerifier, REDIRECT, { emailVisibility: true },
    );
    assert.equal(auth.meta.isNew, true);
    assert.equal(auth.record.email, 'ext@example.com');
    assert.equal(auth.record.name, 'Ext User');
    assert.equal(auth.record.verified, true);
    assert.ok(pb.authStore.isValid);
    userId = auth.record.id;
    const links = await pb.collection('users').listExternalAuths(userId);
    assert.deepEqual(links.map((l) => [l.provider, l.providerId]), [['oidc', 'ext-1']]);
});

check('a reused code is refused', async () => {
    const pb = new PocketBase(baseUrl);
    const provider = (await pb.collection('users').listAuthMethods()).oauth2.providers[0];
    const code = new URL(await authorize(provider.authURL + encodeURIComponent(REDIRECT))).searchParams.get('code');
    await pb.collection('users').authWithOAuth2Code('oidc', code, provider.codeVerifier, REDIRECT);
    await assert.rejects(
        pb.collection('users').authWithOAuth2Code('oidc', code, provider.codeVerifier, REDIRECT),
        (err) => err.status === 400 && err.response.message === 'Failed to fetch OAuth2 token.',
    );
});

check('authWithOAuth2 popup mode through the @oauth2 realtime topic', async () => {
    const pb = new PocketBase(baseUrl);
    const auth = await pb.collection('users').authWithOAuth2({
        provider: 'oidc',
        // no window in node: the SDK hands the URL over; follow it and the provider's redirect
        urlCallback: async (url) => {
            const redirect = await authorize(url);
            assert.ok(redirect.startsWith(baseUrl + '/api/oauth2-redirect?'), redirect);
            const done = await fetch(redirect, { redirect: 'manual' });
            assert.equal(done.status, 307);
            assert.equal(done.headers.get('location'), '../_/#/auth/oauth2-redirect-success');
        },
    });
    assert.equal(auth.meta.isNew, false);
    assert.equal(auth.record.id, userId);
    assert.ok(pb.authStore.isValid);
    assert.equal(pb.realtime.isConnected, false); // the SDK unsubscribed once done
});

check('unknown provider is a validation error', async () => {
    const pb = new PocketBase(baseUrl);
    await assert.rejects(
        pb.collection('users').authWithOAuth2Code('github', 'x', 'y', REDIRECT),
        (err) => err.status === 400 && err.response.data.provider.code === 'validation_invalid_provider',
    );
});

check('impersonate: a superuser gets a static token for the user', async () => {
    const su = new PocketBase(baseUrl);
    await su.collection('_superusers').authWithPassword(email, password);
    const client = await su.collection('users').impersonate(userId, 100);
    assert.equal(client.authStore.record.id, userId);
    const claims = JSON.parse(Buffer.from(client.authStore.token.split('.')[1], 'base64url'));
    assert.equal(claims.refreshable, false);
    assert.ok(Math.abs(claims.exp - (Date.now() / 1000 + 100)) < 10);
    const me = await client.collection('users').getOne(userId);
    assert.equal(me.email, 'ext@example.com');
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
