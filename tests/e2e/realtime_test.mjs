// Realtime through the official PocketBase JS SDK (with the `eventsource` polyfill in node).
//
// Usage: node realtime_test.mjs <baseUrl> <email> <password>
// Run by tests/e2e/test_js_sdk_realtime.py against the test fixture (posts, owned, users user1/user2
// with password 1234567890; the server closes idle streams after 3 s so reconnects are seen).
// The closing line is "N passed, M failed"; the exit code is 1 when anything failed.

import assert from 'node:assert/strict';
import EventSource from 'eventsource';
import PocketBase from 'pocketbase';

globalThis.EventSource = EventSource;

const [baseUrl, email, password] = process.argv.slice(2);
const USER_PASSWORD = '1234567890';
const checks = [];
const check = (name, fn) => checks.push([name, fn]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Collect events of a subscription; `wait(n)` resolves once n arrived (or fails after 5 s). */
function collector() {
    const events = [];
    let wake = () => {};
    return {
        events,
        cb: (e) => { events.push(e); wake(); },
        async wait(n, ms = 5000) {
            const until = Date.now() + ms;
            while (events.length < n) {
                if (Date.now() > until) assert.fail(`expected ${n} events, got ${events.length}: ${JSON.stringify(events)}`);
                await new Promise((r) => { wake = r; setTimeout(r, 50); });
            }
            return events;
        },
    };
}

const su = new PocketBase(baseUrl);
su.autoCancellation(false);

check('superuser signs in', async () => {
    await su.collection('_superusers').authWithPassword(email, password);
});

check("subscribe('*') gets create, update and delete", async () => {
    const pb = new PocketBase(baseUrl);
    const got = collector();
    const unsubscribe = await pb.collection('posts').subscribe('*', got.cb);
    const rec = await su.collection('posts').create({ title: 'sdk realtime' });
    await su.collection('posts').update(rec.id, { title: 'sdk realtime 2' });
    await su.collection('posts').delete(rec.id);
    const events = await got.wait(3);
    assert.deepEqual(events.map((e) => e.action), ['create', 'update', 'delete']);
    assert.equal(events[1].record.title, 'sdk realtime 2');
    assert.equal(events[0].record.secret, undefined); // hidden field, guest
    await unsubscribe();
    pb.realtime.unsubscribe();
});

check('subscribe(id) gets only that record', async () => {
    const pb = new PocketBase(baseUrl);
    const a = await su.collection('posts').create({ title: 'record a' });
    const b = await su.collection('posts').create({ title: 'record b' });
    const got = collector();
    await pb.collection('posts').subscribe(a.id, got.cb);
    await su.collection('posts').update(b.id, { views: 1 });
    await su.collection('posts').update(a.id, { views: 2 });
    const events = await got.wait(1);
    await sleep(200);
    assert.equal(events.length, 1);
    assert.equal(events[0].record.id, a.id);
    assert.equal(events[0].record.views, 2);
    await pb.realtime.unsubscribe();
});

check('filter, expand and fields options apply per subscription', async () => {
    const pb = new PocketBase(baseUrl);
    await pb.collection('users').authWithPassword('user1@example.com', USER_PASSWORD);
    const got = collector();
    await pb.collection('posts').subscribe('*', got.cb, { filter: 'views >= 100', expand: 'author', fields: 'id,views,expand.author.name' });
    await su.collection('posts').create({ title: 'few views', views: 1, author: pb.authStore.record.id });
    const many = await su.collection('posts').create({ title: 'many views', views: 500, author: pb.authStore.record.id });
    const events = await got.wait(1);
    await sleep(200);
    assert.equal(events.length, 1);
    assert.deepEqual(events[0].record, { id: many.id, views: 500, expand: { author: { name: 'User One' } } });
    await pb.realtime.unsubscribe();
});

check("rules: a user gets events only for records it may see", async () => {
    const user1 = new PocketBase(baseUrl);
    const user2 = new PocketBase(baseUrl);
    await user1.collection('users').authWithPassword('user1@example.com', USER_PASSWORD);
    await user2.collection('users').authWithPassword('user2@example.com', USER_PASSWORD);
    const got1 = collector();
    const got2 = collector();
    await user1.collection('owned').subscribe('*', got1.cb);
    await user2.collection('owned').subscribe('*', got2.cb);
    await user1.collection('owned').create({ title: 'only mine', owner: user1.authStore.record.id });
    await got1.wait(1);
    await sleep(300);
    assert.equal(got2.events.length, 0);
    await user1.realtime.unsubscribe();
    await user2.realtime.unsubscribe();
});

check('unsubscribe stops the events', async () => {
    const pb = new PocketBase(baseUrl);
    const got = collector();
    const unsubscribe = await pb.collection('posts').subscribe('*', got.cb);
    await unsubscribe();
    await su.collection('posts').create({ title: 'after unsubscribe' });
    await sleep(300);
    assert.equal(got.events.length, 0);
});

check('the SDK reconnects after the idle timeout and resubscribes', async () => {
    const pb = new PocketBase(baseUrl);
    const got = collector();
    await pb.collection('posts').subscribe('*', got.cb);
    const firstId = pb.realtime.clientId;
    await sleep(4500); // the server closes idle streams after 3 s
    let until = Date.now() + 10000;
    while ((pb.realtime.clientId === firstId || !pb.realtime.isConnected) && Date.now() < until) await sleep(100);
    assert.notEqual(pb.realtime.clientId, firstId);
    await sleep(300); // resubscription
    await su.collection('posts').create({ title: 'after reconnect' });
    await got.wait(1, 8000);
    assert.equal(got.events[0].record.title, 'after reconnect');
    await pb.realtime.unsubscribe();
});

let passed = 0;
let failed = 0;
for (const [name, fn] of checks) {
    try {
        await fn();
        passed++;
        console.log(`ok   ${name}`);
    } catch (err) {
        failed++;
        console.log(`FAIL ${name}\n     ${err && err.stack ? err.stack : err}`);
    }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
