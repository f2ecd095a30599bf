// cluster.test.mjs: xmpp-wasm against an ejabberd cluster behind a load
// balancer (tests/support/cluster.mjs: two nodes joined into one cluster,
// PostgreSQL as their shared store, HAProxy round robin with no
// stickiness), in Node. A session's BOSH requests land on either node in
// turn; the node that holds the session serves them through the cluster
// (XEP-0124 §7: one session, whatever connection carries the request).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster } from '../support/cluster.mjs';
import { waitFor } from '../support/wait.mjs';
import { createClient } from '../../dist/index.js';

const USERS = ['alice', 'bob'];
let cluster;
const open = new Set();

// Which node answered each BOSH request (the balancer's X-Xw-Node), by
// the session's sid: the client uses the global fetch.
const servedBy = new Map();
const realFetch = globalThis.fetch;
globalThis.fetch = async (url, init) => {
  const res = await realFetch(url, init);
  const node = res.headers.get('x-xw-node');
  const body = typeof init?.body === 'string' ? init.body : new TextDecoder().decode(init?.body ?? new Uint8Array());
  const sid = /\bsid=['"]([^'"]+)['"]/.exec(body)?.[1];
  if (node && sid) {
    if (!servedBy.has(sid)) servedBy.set(sid, new Set());
    servedBy.get(sid).add(node);
  }
  return res;
};

before(async () => {
  cluster = await startCluster({ mam: true, muc: true, im: true });
  for (const u of USERS) await cluster.register(u, `${u}-pw`);
  // Each in the other's roster, subscribed both ways (RFC 6121 §3).
  await cluster.ctl('add_rosteritem', 'alice', 'localhost', 'bob', 'localhost', 'Bob', 'Friends', 'both');
  await cluster.ctl('add_rosteritem', 'bob', 'localhost', 'alice', 'localhost', 'Alice', 'Friends', 'both');
});

after(async () => {
  globalThis.fetch = realFetch;
  await Promise.all([...open].map((c) => c.disconnect().catch(() => {})));
  await cluster?.stop();
});

/** Resolves once pred() holds, polling; fails with `what` after ms. */
async function until(pred, ms, what) {
  const deadline = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The cluster node each online resource of user's session lives on (ejabberdctl connected_users_info). */
async function nodesOf(user) {
  const out = await cluster.ctl('connected_users_info');
  return out.split('\n').filter((l) => l.startsWith(`${user}@localhost/`)).map((l) => l.split('\t')[5]);
}

/** A client of user's through the balancer, online, its events recorded. */
async function online(user, opts = {}) {
  const client = createClient({ service: cluster.boshUrl, jid: `${user}@localhost`, password: `${user}-pw`, ...opts });
  const events = [];
  for (const name of ['message', 'presence', 'roster', 'error', 'status']) client.on(name, (e) => events.push({ name, e }));
  const self = waitFor(client, 'presence', (p) => p.from === client.jid && p.type === 'available', 20000, `${user}'s own presence`);
  await client.connect();
  await self;
  open.add(client);
  const of = (name) => events.filter((x) => x.name === name).map((x) => x.e);
  return { client, events, of };
}

test('cluster: alice and bob with sessions on different nodes chat both ways through the balancer; ping, presence, roster and history as against one server (RFC 6121 §2, §4, §5; XEP-0199; XEP-0313)', async () => {
  const alice = await online('alice');
  let bob = await online('bob');
  // The node that took the session's first request holds it; reconnect bob
  // until his session lives on the other node (round robin makes that the
  // next try at the latest, give or take the other session's requests).
  for (let tries = 0; (await nodesOf('bob'))[0] === (await nodesOf('alice'))[0]; tries++) {
    assert.ok(tries < 6, 'bob\'s session never landed on the other node');
    open.delete(bob.client);
    await bob.client.disconnect();
    bob = await online('bob');
  }
  const [aliceNode] = await nodesOf('alice');
  const [bobNode] = await nodesOf('bob');
  assert.notEqual(aliceNode, bobNode, 'the two sessions live on different nodes');

  // XEP-0199: a ping round trip through either node.
  for (let i = 0; i < 4; i++) assert.ok((await alice.client.ping()) >= 0, 'ping answered');

  // RFC 6121 §2: the roster from the shared store.
  const contact = alice.client.roster.find((r) => r.jid === 'bob@localhost');
  assert.equal(contact?.subscription, 'both', 'alice\'s roster holds bob, subscribed both ways');
  // RFC 6121 §4: each sees the other available.
  await until(() => alice.client.presenceOf('bob@localhost').best, 10000, 'alice to see bob online');
  await until(() => bob.client.presenceOf('alice@localhost').best, 10000, 'bob to see alice online');

  // RFC 6121 §5: 20 messages each way, each side sending while the other does.
  const N = 20;
  for (let i = 0; i < N; i++) {
    alice.client.sendMessage({ to: 'bob@localhost', body: `a→b ${i}` });
    bob.client.sendMessage({ to: 'alice@localhost', body: `b→a ${i}` });
  }
  const bodies = (w, prefix) => w.of('message').filter((m) => m.body?.startsWith(prefix) && !m.archived).map((m) => m.body);
  await until(() => bodies(bob, 'a→b').length >= N && bodies(alice, 'b→a').length >= N, 20000, 'the 40 messages').catch(() => {});
  assert.deepEqual(bodies(bob, 'a→b'), Array.from({ length: N }, (_, i) => `a→b ${i}`), 'bob got alice\'s messages once each, in order');
  assert.deepEqual(bodies(alice, 'b→a'), Array.from({ length: N }, (_, i) => `b→a ${i}`), 'alice got bob\'s messages once each, in order');

  // XEP-0313: the conversation from the archive on the shared store.
  const page = await alice.client.history('bob@localhost', { max: 100 });
  const archived = page.messages.map((m) => m.body).filter((b) => b?.startsWith('a→b') || b?.startsWith('b→a'));
  assert.equal(archived.length, 2 * N, 'alice\'s archive holds the 40 messages');
  assert.deepEqual(archived.filter((b) => b.startsWith('a→b')), Array.from({ length: N }, (_, i) => `a→b ${i}`), 'in order');

  // The balancer spread each session's requests over both nodes.
  for (const [sid, nodes] of servedBy) assert.equal(nodes.size, 2, `session ${sid}'s requests were answered by both nodes`);
  assert.equal(alice.of('error').length, 0, `no errors at alice: ${JSON.stringify(alice.of('error'))}`);
  assert.equal(bob.of('error').length, 0, `no errors at bob: ${JSON.stringify(bob.of('error'))}`);
});
