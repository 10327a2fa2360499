// Full-text search (a pybase feature) through the official PocketBase JS SDK: the SDK sends an
// unknown option (`search`) as a query parameter.
//
// Usage: node sdk_search.mjs <baseUrl> <email> <password>
// Run by tests/e2e/test_js_sdk_search.py; the closing line is "N passed, M failed".

import assert from 'node:assert/strict';
import PocketBase, { ClientResponseError } from 'pocketbase';

const [baseUrl, email, password] = process.argv.slice(2);
const pb = new PocketBase(baseUrl);
const checks = [];
const check = (name, fn) => checks.push([name, fn]);

check('declare searchable fields', async () => {
    await pb.collection('_superusers').authWithPassword(email, password);
    const col = await pb.collections.create({
        name: 'sdk_articles', type: 'base', listRule: '',
        fields: [
            { name: 'title', type: 'text', searchable: true },
            { name: 'body', type: 'editor', searchable: true },
            { name: 'tag', type: 'text' },
        ],
    });
    assert.equal(col.fields.find((f) => f.name === 'title').searchable, true);
    assert.equal('searchable' in col.fields.find((f) => f.name === 'tag'), false);
    for (const [title, body, tag] of [['Hello World', '<p>first</p>', 'a'], ['Héllo again', 'Café', 'b'], ['Other', 'nothing', 'a']]) {
        await pb.collection('sdk_articles').create({ title, body, tag });
    }
});

check('getList with search', async () => {
    pb.authStore.clear();
    const page = await pb.collection('sdk_articles').getList(1, 20, { search: 'hel wor' });
    assert.equal(page.totalItems, 1);
    assert.equal(page.items[0].title, 'Hello World');
});

check('getFullList with search and filter', async () => {
    const items = await pb.collection('sdk_articles').getFullList({ search: 'hello', filter: "tag = 'b'" });
    assert.deepEqual(items.map((r) => r.title), ['Héllo again']);
});

check('search without searchable fields is a 400', async () => {
    await pb.collection('_superusers').authWithPassword(email, password);
    await pb.collections.create({ name: 'sdk_plain', type: 'base', listRule: '', fields: [{ name: 't', type: 'text' }] });
    try {
        await pb.collection('sdk_plain').getList(1, 20, { search: 'x' });
        assert.fail('expected a 400');
    } catch (err) {
        assert.ok(err instanceof ClientResponseError);
        assert.equal(err.status, 400);
        assert.match(err.response.message, /no searchable fields/);
    }
});

let passed = 0;
let failed = 0;
for (const [name, fn] of checks) {
    try {
        await fn();
        passed += 1;
    } catch (err) {
        failed += 1;
        console.log(`FAIL ${name}: ${err && err.stack ? err.stack : err}`);
    }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
