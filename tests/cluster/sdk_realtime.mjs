// The official PocketBase JS SDK against several nodes behind a round-robin balancer with no
// sticky sessions: its realtime stream lands on one node and the subscribe request it sends
// right after connecting often on another (forwarded through Postgres).
//
// Usage: node sdk_realtime.mjs <balancerUrl> <email> <password>
// Run by tests/cluster/test_cluster.py; the closing line is "N passed, M failed".

import assert from 'node:assert/strict';
import EventSource from '../e2e/node_modules/eventsource/lib/eventsource.js';
import PocketBase from '../e2e/node_modules/pocketbase/dist/pocketbase.es.mjs';

globalThis.EventSource = EventSource;

const [baseUrl, email, password] = process.argv.slice(2);
let passed = 0;
let failed = 0;

async function waitFor(events, n, ms = 10000) {
    const until = Date.now() + ms;
    while (events.length < n) {
        if (Date.now() > until) assert.fail(`expected ${n} events, got ${events.length}`);
        await new Promise((r) => setTimeout(r, 20));
    }
}

try {
    const writer = new PocketBase(baseUrl);
    writer.autoCancellation(false);
    await writer.collection('_superusers').authWithPassword(email, password);
    // several SDK clients: their streams and subscribe requests spread over the nodes
    const clients = [];
    for (let i = 0; i < 4; i++) {
        const pb = new PocketBase(baseUrl);
        pb.autoCancellation(false);
        const events = [];
        await pb.collection('notes').subscribe('*', (e) => events.push(e));
        clients.push({ pb, events });
    }
    const made = await writer.collection('notes').create({ t: 'through the balancer' });
    for (const { events } of clients) {
        await waitFor(events, 1);
        assert.equal(events[0].action, 'create');
        assert.equal(events[0].record.id, made.id);
    }
    await writer.collection('notes').update(made.id, { t: 'updated' });
    for (const { events } of clients) {
        await waitFor(events, 2);
        assert.equal(events[1].action, 'update');
        assert.equal(events[1].record.t, 'updated');
    }
    for (const { pb } of clients) {
        await pb.collection('notes').unsubscribe();
    }
    passed++;
} catch (ex) {
    console.error(ex);
    failed++;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
