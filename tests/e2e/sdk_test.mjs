// The official PocketBase JS SDK against a running pybase.
//
// Usage: node sdk_test.mjs <baseUrl> [email] [password]
// Run by tests/e2e/test_js_sdk.py, which starts the server and creates the superuser.
// Each check runs in order (later ones use what earlier ones created); the closing line is
// "N passed, M failed" and the exit code is 1 when anything failed.

import assert from 'node:assert/strict';
import PocketBase, { ClientResponseError } from 'pocketbase';

const [baseUrl, email = 'admin@example.com', password = '1234567890'] = process.argv.slice(2);
if (!baseUrl) {
    console.error('usage: node sdk_test.mjs <baseUrl> [email] [password]');
    process.exit(2);
}

const pb = new PocketBase(baseUrl);
const state = {};
const checks = [];
const check = (name, fn) => checks.push([name, fn]);

/** Run fn, expect a ClientResponseError, return it. */
async function rejects(fn) {
    try {
        await fn();
    } catch (err) {
        assert.ok(err instanceof ClientResponseError, `expected ClientResponseError, got ${err}`);
        return err;
    }
    assert.fail('expected the call to fail');
}

check('authWithPassword on _superusers', async () => {
    const auth = await pb.collection('_superusers').authWithPassword(email, password);
    assert.equal(auth.record.email, email);
    assert.ok(auth.token);
    assert.ok(pb.authStore.isValid);
    assert.ok(pb.authStore.isSuperuser);
});

check('wrong password is a 400', async () => {
    const other = new PocketBase(baseUrl);
    const err = await rejects(() => other.collection('_superusers').authWithPassword(email, 'wrong-password'));
    assert.equal(err.status, 400);
});

check('collections.create a base collection', async () => {
    const col = await pb.collections.create({
        name: 'sdk_posts',
        type: 'base',
        listRule: '',
        viewRule: '',
        fields: [
            { name: 'title', type: 'text', required: true, max: 100 },
            { name: 'views', type: 'number', onlyInt: true },
            { name: 'published', type: 'bool' },
            { name: 'tags', type: 'select', values: ['a', 'b', 'c'], maxSelect: 3 },
        ],
    });
    assert.equal(col.name, 'sdk_posts');
    assert.equal(col.type, 'base');
    const names = col.fields.map((f) => f.name);
    for (const name of ['id', 'title', 'views', 'published', 'tags']) {
        assert.ok(names.includes(name), `missing field ${name} in ${names}`);
    }
    state.collectionId = col.id;
});

check('collection.create records', async () => {
    const posts = pb.collection('sdk_posts');
    const rows = [
        { title: 'alpha', views: 5, published: true, tags: ['a'] },
        { title: 'beta', views: 50, published: false, tags: ['b', 'c'] },
        { title: 'gamma', views: 500, published: true, tags: [] },
    ];
    state.ids = {};
    for (const row of rows) {
        const rec = await posts.create(row);
        assert.equal(rec.title, row.title);
        assert.equal(rec.views, row.views);
        assert.equal(rec.collectionName, 'sdk_posts');
        assert.match(rec.id, /^[a-z0-9]{15}$/);
        state.ids[row.title] = rec.id;
    }
});

check('getList with sort and filter', async () => {
    const page = await pb.collection('sdk_posts').getList(1, 10, { sort: '-views', filter: 'published = true' });
    assert.equal(page.page, 1);
    assert.equal(page.perPage, 10);
    assert.equal(page.totalItems, 2);
    assert.deepEqual(page.items.map((r) => r.title), ['gamma', 'alpha']);
});

check('getList with a bound filter and paging', async () => {
    const filter = pb.filter('views >= {:min}', { min: 10 });
    const page = await pb.collection('sdk_posts').getList(1, 1, { sort: 'views', filter });
    assert.equal(page.totalItems, 2);
    assert.equal(page.totalPages, 2);
    assert.deepEqual(page.items.map((r) => r.title), ['beta']);
});

check('getOne', async () => {
    const rec = await pb.collection('sdk_posts').getOne(state.ids.beta);
    assert.equal(rec.title, 'beta');
    assert.deepEqual(rec.tags, ['b', 'c']);
    assert.equal(rec.published, false);
});

check('getFullList', async () => {
    const all = await pb.collection('sdk_posts').getFullList({ sort: 'title', batch: 2 });
    assert.deepEqual(all.map((r) => r.title), ['alpha', 'beta', 'gamma']);
});

check('update', async () => {
    const rec = await pb.collection('sdk_posts').update(state.ids.alpha, { views: 6, 'tags+': 'c' });
    assert.equal(rec.views, 6);
    assert.deepEqual(rec.tags, ['a', 'c']);
    const again = await pb.collection('sdk_posts').getOne(state.ids.alpha);
    assert.equal(again.views, 6);
});

check('delete', async () => {
    assert.equal(await pb.collection('sdk_posts').delete(state.ids.gamma), true);
    const err = await rejects(() => pb.collection('sdk_posts').getOne(state.ids.gamma));
    assert.equal(err.status, 404);
});

check('missing required field is a 400 with the field error', async () => {
    const err = await rejects(() => pb.collection('sdk_posts').create({ views: 1 }));
    assert.equal(err.status, 400);
    assert.equal(err.response.status, 400);
    assert.ok(err.response.message);
    assert.equal(err.response.data.title?.code, 'validation_required', JSON.stringify(err.response));
});

check('bad number is a 400 with the field error', async () => {
    const err = await rejects(() => pb.collection('sdk_posts').create({ title: 'delta', views: 1.5 }));
    assert.equal(err.status, 400);
    assert.ok(err.response.data.views?.code, JSON.stringify(err.response));
});

check('bad filter is a 400', async () => {
    const err = await rejects(() => pb.collection('sdk_posts').getList(1, 10, { filter: 'title ~~~ 1' }));
    assert.equal(err.status, 400);
});

check('duplicate collection name is a 400 with the field error', async () => {
    const err = await rejects(() => pb.collections.create({ name: 'sdk_posts', type: 'base', fields: [] }));
    assert.equal(err.status, 400);
    assert.ok(err.response.data.name?.code, JSON.stringify(err.response));
});

check('settings and createBatch: all or nothing', async () => {
    const settings = await pb.settings.update({ batch: { enabled: true, maxRequests: 10 } });
    assert.equal(settings.batch.enabled, true);
    const ok = pb.createBatch();
    ok.collection('sdk_posts').create({ title: 'batch one', views: 1 });
    ok.collection('sdk_posts').upsert({ id: 'sdkbatch0000002', title: 'batch two', views: 2 });
    const results = await ok.send();
    assert.deepEqual(results.map((r) => r.status), [200, 200]);
    assert.equal(results[1].body.id, 'sdkbatch0000002');
    const failing = pb.createBatch();
    failing.collection('sdk_posts').update('sdkbatch0000002', { title: 'changed' });
    failing.collection('sdk_posts').create({ views: 3 }); // no title: refused
    const err = await rejects(() => failing.send());
    assert.equal(err.status, 400);
    assert.equal(err.response.data.requests['1'].code, 'batch_request_failed');
    assert.equal((await pb.collection('sdk_posts').getOne('sdkbatch0000002')).title, 'batch two');
});

check('settings service: getAll, update, tests and Apple secret', async () => {
    const all = await pb.settings.getAll();
    assert.equal(all.meta.appName, 'Acme');
    assert.equal(all.smtp.password, undefined); // write-only
    const updated = await pb.settings.update({ meta: { appName: 'SDK app' }, smtp: { password: 'pw' } });
    assert.equal(updated.meta.appName, 'SDK app');
    assert.equal(updated.smtp.password, undefined);
    const bad = await rejects(() => pb.settings.update({ meta: { appName: '' } }));
    assert.equal(bad.response.data.meta.appName.code, 'validation_required');
    const s3 = await rejects(() => pb.settings.testS3('storage'));
    assert.match(s3.response.message, /S3 storage filesystem is not enabled/);
    const mail = await rejects(() => pb.settings.testEmail('_superusers', 'not-an-email', 'verification'));
    assert.equal(mail.response.data.email.code, 'validation_is_email');
    const apple = await rejects(() => pb.settings.generateAppleClientSecret('id', 'short', 'short', 'key', 60));
    assert.equal(apple.response.data.teamId.code, 'validation_length_invalid');
});

check('logs list the requests', async () => {
    await new Promise((resolve) => setTimeout(resolve, 3500)); // the log writer's batch interval
    const logs = await pb.logs.getList(1, 5, { filter: "data.url ~ '/api/batch'", sort: '-@rowid' });
    assert.ok(logs.items.length >= 1, JSON.stringify(logs));
    assert.equal(logs.items[0].data.method, 'POST');
    const stats = await pb.logs.getStats();
    assert.ok(stats.length >= 1 && stats[0].total >= 1, JSON.stringify(stats));
});

check('backups: create, list, download with a file token, delete', async () => {
    await pb.backups.create('sdk_backup.zip');
    const list = await pb.backups.getFullList();
    assert.ok(list.some((b) => b.key === 'sdk_backup.zip' && b.size > 0), JSON.stringify(list));
    const token = await pb.files.getToken();
    const resp = await fetch(pb.backups.getDownloadURL(token, 'sdk_backup.zip'));
    assert.equal(resp.status, 200);
    assert.equal((await resp.arrayBuffer()).byteLength, list.find((b) => b.key === 'sdk_backup.zip').size);
    await pb.backups.delete('sdk_backup.zip');
    assert.equal((await pb.backups.getFullList()).length, list.length - 1);
});

let passed = 0;
let failed = 0;
for (const [name, fn] of checks) {
    try {
        await fn();
        passed += 1;
        console.log(`ok - ${name}`);
    } catch (err) {
        failed += 1;
        console.log(`FAIL - ${name}\n${err && err.stack ? err.stack : err}`);
        if (err instanceof ClientResponseError) {
            console.log(`  response: ${JSON.stringify(err.response)}`);
        }
    }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
