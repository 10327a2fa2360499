// The official PocketBase JS SDK's files support against a running pybase: uploads through
// FormData and through plain objects holding File/Blob values, pb.files.getURL (thumbs and
// tokens), protected files, ranges, modifiers and deletion.
//
// Usage: node sdk_files.mjs <baseUrl> <superuserEmail> <userEmail> <password>
// Run by tests/files/test_sdk_files.py, which creates the "docs" collection first. The closing
// line is "N passed, M failed" and the exit code is 1 when anything failed.

import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import PocketBase from 'pocketbase';

const [baseUrl, suEmail, userEmail, password] = process.argv.slice(2);
const pb = new PocketBase(baseUrl);
const user = new PocketBase(baseUrl);
const state = {};
const checks = [];
const check = (name, fn) => checks.push([name, fn]);

function crc32(buf) {
    let c, crc = 0xffffffff;
    for (const byte of buf) {
        c = (crc ^ byte) & 0xff;
        for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
        crc = (crc >>> 8) ^ c;
    }
    return (crc ^ 0xffffffff) >>> 0;
}

function png(width, height) {
    const chunk = (type, data) => {
        const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
        const body = Buffer.concat([Buffer.from(type), data]);
        const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(body));
        return Buffer.concat([len, body, crc]);
    };
    const header = Buffer.alloc(13);
    header.writeUInt32BE(width, 0); header.writeUInt32BE(height, 4);
    header[8] = 8; header[9] = 2;
    const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3, 0x80)]);
    const raw = Buffer.concat(Array.from({ length: height }, () => row));
    return Buffer.concat([
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
        chunk('IHDR', header), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0)),
    ]);
}

const size = (bytes) => [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];

check('sign in', async () => {
    await pb.collection('_superusers').authWithPassword(suEmail, password);
    const auth = await user.collection('users').authWithPassword(userEmail, password);
    state.userId = auth.record.id;
});

check('create with FormData', async () => {
    const form = new FormData();
    form.append('title', 'from form data');
    form.append('owner', state.userId);
    form.append('one', new File([png(80, 40)], 'My Photo.png', { type: 'image/png' }));
    form.append('many', new Blob(['hello'], { type: 'text/plain' }), 'hello.txt');
    form.append('many', new File(['world'], 'world.txt'));
    form.append('secret', new File(['top secret'], 'secret.txt'));
    const record = await pb.collection('docs').create(form);
    assert.match(record.one, /^my_photo_[a-z0-9]{10}\.png$/);
    assert.equal(record.many.length, 2);
    state.record = record;
});

check('create with a plain object of Files', async () => {
    const record = await pb.collection('docs').create({
        title: 'from object',
        many: [new File(['aaa'], 'aaa.txt'), new File(['bbb'], 'bbb.txt')],
        one: new Blob([png(10, 10)], { type: 'image/png' }),
    });
    assert.equal(record.many.length, 2);
    assert.ok(record.one);
    state.plain = record;
});

check('getURL serves the file', async () => {
    const url = pb.files.getURL(state.record, state.record.many[0]);
    const answer = await fetch(url);
    assert.equal(answer.status, 200);
    assert.equal(await answer.text(), 'hello');
    assert.equal(answer.headers.get('content-type'), 'text/plain; charset=utf-8');
});

check('getURL with a thumb', async () => {
    const answer = await fetch(pb.files.getURL(state.record, state.record.one, { thumb: '50x50' }));
    assert.equal(answer.status, 200);
    assert.deepEqual(size(Buffer.from(await answer.arrayBuffer())), [50, 50]);
    const fit = await fetch(pb.files.getURL(state.record, state.record.one, { thumb: '30x30f' }));
    assert.deepEqual(size(Buffer.from(await fit.arrayBuffer())), [30, 15]);
    const unlisted = await fetch(pb.files.getURL(state.record, state.record.one, { thumb: '77x77' }));
    assert.deepEqual(size(Buffer.from(await unlisted.arrayBuffer())), [80, 40]);
});

check('range request', async () => {
    const answer = await fetch(pb.files.getURL(state.record, state.record.many[0]), { headers: { Range: 'bytes=1-3' } });
    assert.equal(answer.status, 206);
    assert.equal(await answer.text(), 'ell');
});

check('protected file needs a file token and the view rule', async () => {
    await pb.collections.update('docs', { viewRule: 'owner = @request.auth.id' });
    const bare = await fetch(pb.files.getURL(state.record, state.record.secret));
    assert.equal(bare.status, 404);
    const token = await user.files.getToken();
    const answer = await fetch(user.files.getURL(state.record, state.record.secret, { token }));
    assert.equal(answer.status, 200);
    assert.equal(await answer.text(), 'top secret');
    const suToken = await pb.files.getToken();
    const other = await fetch(pb.files.getURL(state.plain, state.plain.one, { token: suToken }));
    assert.equal(other.status, 200);
    await pb.collections.update('docs', { viewRule: '' });
});

check('append, prepend and remove files', async () => {
    let record = await pb.collection('docs').update(state.plain.id, { 'many+': new File(['ccc'], 'ccc.txt') });
    assert.equal(record.many.length, 3);
    const [removed, ...kept] = record.many;
    record = await pb.collection('docs').update(state.plain.id, { 'many-': [removed] });
    assert.deepEqual(record.many, kept);
    record = await pb.collection('docs').update(state.plain.id, { '+many': new File(['ddd'], 'ddd.txt') });
    assert.match(record.many[0], /^ddd_/);
    assert.equal((await fetch(pb.files.getURL(record, removed))).status, 404);
    record = await pb.collection('docs').update(state.plain.id, { many: null });
    assert.deepEqual(record.many, []);
});

check('batch create with files', async () => {
    await pb.settings.update({ batch: { enabled: true, maxRequests: 10, timeout: 3, maxBodySize: 0 } });
    const batch = pb.createBatch();
    batch.collection('docs').create({ title: 'batched', many: [new File(['in a batch'], 'batched.txt')] });
    batch.collection('docs').update(state.plain.id, { 'many+': new File(['more'], 'more.txt') });
    const [created, updated] = await batch.send();
    assert.equal(created.status, 200);
    assert.match(created.body.many[0], /^batched_/);
    const answer = await fetch(pb.files.getURL(created.body, created.body.many[0]));
    assert.equal(await answer.text(), 'in a batch');
    assert.equal(updated.status, 200);
    assert.match(updated.body.many.at(-1), /^more_/);
});

check('delete takes the files with the record', async () => {
    const url = pb.files.getURL(state.record, state.record.many[0]);
    await pb.collection('docs').delete(state.record.id);
    assert.equal((await fetch(url)).status, 404);
});

let passed = 0;
let failed = 0;
for (const [name, fn] of checks) {
    try {
        await fn();
        passed++;
    } catch (err) {
        failed++;
        console.log(`FAIL ${name}: ${err && err.stack ? err.stack : err}`);
    }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
