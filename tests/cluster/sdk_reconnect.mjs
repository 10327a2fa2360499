// The official PocketBase JS SDK on a node whose LISTEN connection is cut: the node catches up
// on the changes sent meanwhile, so the SDK's stream stays open (one PB_CONNECT) and gets them.
//
// Usage: node sdk_reconnect.mjs <nodeUrl> <writerUrl> <email> <password> <collection>
// Prints "ready <clientId>" once subscribed, then reads one line from stdin: the ids of the
// records the test wrote while the connection was cut. Run by tests/cluster/test_cluster_pair.py;
// the closing line is "N passed, M failed".

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
    await pb.collection(collection).subscribe('*', (e) => events.push(e.record.id));
    await until(() => connects.length === 1);
    console.log(`ready ${connects[0]}`);
    const during = (await nextLine()).trim().split(' ');
    await until(() => during.every((id) => events.includes(id)));
    assert.deepEqual(events.slice(0, during.length), during);
    const after = await writer.collection(collection).create({ t: 'after the cut' });
    await until(() => events.includes(after.id));
    assert.equal(connects.length, 1); // the stream stayed open
    passed++;
} catch (ex) {
    console.error(ex);
    failed++;
}
lines.close();
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
