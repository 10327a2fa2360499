// The official PocketBase JS SDK on a node whose LISTEN connection is cut: the node closes the
// stream once it listens again, the SDK connects again (a new PB_CONNECT), subscribes again and
// gets the changes written from then on.
//
// Usage: node sdk_reconnect.mjs <nodeUrl> <writerUrl> <email> <password> <collection>
// Prints "ready <clientId>" once subscribed, then waits for a line on stdin (the test cuts the
// connection meanwhile). Run by tests/cluster/test_cluster_pair.py; the closing line is
// "N passed, M failed".

import assert from 'node:assert/strict';
import readline from 'node:readline';
import EventSource from '../e2e/node_modules/eventsource/lib/eventsource.js';
import PocketBase from '../e2e/node_modules/pocketbase/dist/pocketbase.es.mjs';

globalThis.EventSource = EventSource;

const [nodeUrl, writerUrl, email, password, collection] = process.argv.slice(2);
let passed = 0;
let failed = 0;

async function until(check, ms = 20000) {
    const deadline = Date.now() + ms;
    while (!check()) {
        if (Date.now() > deadline) assert.fail('timed out');
        await new Promise((r) => setTimeout(r, 20));
    }
}

const lines = readline.createInterface({ input: process.stdin });
const nextLine = () => new Promise((resolve) => lines.once('line', resolve));

try {
    const writer = new PocketBase(writerUrl);
    writer.autoCancellation(false);
    await writer.collection('_superusers').authWithPassword(email, password);
    const pb = new PocketBase(nodeUrl);
    pb.autoCancellation(false);
    const connects = [];
    await pb.realtime.subscribe('PB_CONNECT', (e) => connects.push(e.clientId));
    const events = [];
    await pb.collection(collection).subscribe('*', (e) => events.push(e));
    await until(() => connects.length === 1);
    console.log(`ready ${connects[0]}`);
    await nextLine(); // the test cut the node's LISTEN connection and saw the node close its streams
    await until(() => connects.length >= 2);
    assert.notEqual(connects[1], connects[0]);
    // NOTE: PB_CONNECT comes before the SDK's subscribe request is through: write until seen
    const made = new Set();
    const seen = () => events.some((e) => made.has(e.record.id));
    for (let i = 0; i < 40 && !seen(); i++) {
        made.add((await writer.collection(collection).create({ t: 'after the cut' })).id);
        await new Promise((r) => setTimeout(r, 250));
    }
    await until(seen);
    passed++;
} catch (ex) {
    console.error(ex);
    failed++;
}
lines.close();
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
