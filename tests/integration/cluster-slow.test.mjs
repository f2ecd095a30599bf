// cluster-slow.test.mjs: the cluster of cluster.test.mjs with one node slow:
// a proxy before it holds every request 200 ms (tests/support/fault-proxy.mjs
// setLatency), so the requests of one session, alternating nodes, reach the
// server out of rid order. XEP-0124 §5 + §14: the server processes them in
// rid order anyway; the sessions slow down and lose nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster } from '../support/cluster.mjs';
import { startFaultProxy } from '../support/fault-proxy.mjs';
import { waitFor, until } from '../support/wait.mjs';
import { createClient } from '../../dist/index.js';

let cluster;
let slow; // the proxy before the second node
const open = new Set();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  cluster = await startCluster({
    mam: true,
    backendPort: async (i, port) => {
      if (i !== 1) return port;
      slow = await startFaultProxy({ targetPort: port, resetRate: 0, delayRate: 0 });
      return slow.port;
    },
  });
  for (const u of ['alice', 'bob']) await cluster.register(u, `${u}-pw`);
});

after(async () => {
  await Promise.all([...open].map((c) => c.disconnect().catch(() => {})));
  await cluster?.stop();
  await slow?.close();
});

async function online(user) {
  const client = createClient({ service: cluster.boshUrl, jid: `${user}@localhost`, password: `${user}-pw` });
  const bodies = [];
  const lost = [];
  client.on('message', (m) => { if (/^\d+$/.test(m.body ?? '')) bodies.push(Number(m.body)); });
  client.on('status', (e) => { if (e.status === 'reconnecting') lost.push(e.reason); });
  const self = waitFor(client, 'presence', (p) => p.from === client.jid && p.type === 'available', 20000, `${user}'s own presence`);
  await client.connect();
  await self;
  open.add(client);
  return { client, bodies, lost };
}

test('cluster: one node 200 ms slower (every request to it held on the way) slows the sessions but loses nothing: 200 messages each way arrive once, in order, no session dropped (XEP-0124 §5, §14)', async () => {
  const alice = await online('alice');
  const bob = await online('bob');
  const pings = async () => {
    const ms = [];
    for (let i = 0; i < 10; i++) ms.push(await alice.client.ping());
    return ms.sort((a, b) => a - b)[5];
  };
  const fast = await pings();
  slow.setLatency(200);
  const chunksBefore = slow.counts.chunks;
  const slowed = await pings();
  const N = 200;
  const send = async (from, to) => {
    for (let n = 1; n <= N; n++) {
      from.client.sendMessage({ to, body: String(n) });
      if (n % 5 === 0) await sleep(10);
    }
  };
  await Promise.all([send(alice, 'bob@localhost'), send(bob, 'alice@localhost')]);
  // On time-out the assertions below say what is missing.
  await until(() => alice.bodies.length >= N && bob.bodies.length >= N, 60000, 'the 400 messages').catch(() => {});
  await sleep(1000); // a duplicate would come now
  console.log(`slow node: ping median ${fast} ms before, ${slowed} ms with one node 200 ms slower; ` +
    `${slow.counts.chunks - chunksBefore} chunks through the slow node's proxy`);
  const all = Array.from({ length: N }, (_, k) => k + 1);
  assert.ok(slow.counts.chunks > chunksBefore, 'requests went to the slow node');
  assert.deepEqual(bob.bodies, all, 'bob got alice\'s 200 once each, in order');
  assert.deepEqual(alice.bodies, all, 'alice got bob\'s 200 once each, in order');
  assert.deepEqual(alice.lost, [], 'alice\'s session was never lost');
  assert.deepEqual(bob.lost, [], 'bob\'s session was never lost');
});
