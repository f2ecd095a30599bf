// cluster.test.mjs: xmpp-wasm against an ejabberd cluster behind a load
// balancer (tests/support/cluster.mjs: two nodes joined into one cluster,
// PostgreSQL as their shared store, HAProxy round robin with no
// stickiness), in Node. A session's BOSH requests land on either node in
// turn; the node that holds the session serves them through the cluster
// (XEP-0124 §7: one session, whatever connection carries the request).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster } from '../support/cluster.mjs';
import { waitFor, until } from '../support/wait.mjs';
import { REGISTER_YAML } from '../bench/register.mjs';
import { runLoad } from '../bench/cluster-load.mjs';
import { startStaticServer } from '../support/static-server.mjs';
import { launchBrowser, openPackagePage } from '../support/browser.mjs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '../../dist/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

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
  cluster = await startCluster({ mam: true, muc: true, im: true, extraYaml: REGISTER_YAML });
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

/** The cluster node the session of a client (its full JID) lives on (ejabberdctl connected_users_info). */
async function nodeOf(w) {
  const jid = typeof w === 'string' ? w : w.client.jid;
  const out = await cluster.ctl('connected_users_info');
  const line = out.split('\n').find((l) => l.split('\t')[0] === jid);
  assert.ok(line, `${jid} is among the connected users: ${out}`);
  return line.split('\t')[5];
}

/** bob, online again until his session lives on another node than alice's. */
async function onOtherNode(alice, bob, reconnect) {
  for (let tries = 0; (await nodeOf(bob)) === (await nodeOf(alice)); tries++) {
    assert.ok(tries < 6, 'bob\'s session never landed on the other node');
    open.delete(bob.client);
    await bob.client.disconnect();
    bob = await reconnect();
  }
  return bob;
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
  // The node that took the session's first request holds it; bob logs in
  // again until his session lives on the other node (round robin makes
  // that likely at each try, give or take the other session's requests).
  const bob = await onOtherNode(alice, await online('bob'), () => online('bob'));
  const aliceNode = await nodeOf(alice);
  const bobNode = await nodeOf(bob);
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
  // Offline before the next tests: another client of bob's would receive
  // (and confirm) what the kill test's bob misses.
  for (const w of [alice, bob]) {
    open.delete(w.client);
    await w.client.disconnect();
  }
});

test('cluster in Chromium: two users whose sessions live on different nodes chat both ways through the balancer; ping, presence, roster and history as against one server (RFC 6121 §2, §4, §5; XEP-0199; XEP-0313)', async () => {
  for (const u of ['dave', 'erin']) await cluster.register(u, `${u}-pw`);
  await cluster.ctl('add_rosteritem', 'dave', 'localhost', 'erin', 'localhost', 'Erin', 'Friends', 'both');
  await cluster.ctl('add_rosteritem', 'erin', 'localhost', 'dave', 'localhost', 'Dave', 'Friends', 'both');
  const web = await startStaticServer(root);
  const browser = await launchBrowser();
  try {
    const page = await openPackagePage(browser, web.url);
    // Each user's client with the defaults (the session in a SharedWorker),
    // its message events kept on the page.
    await page.evaluate((service) => {
      window.online = async (user) => {
        const client = window.xmpp.createClient({ service, jid: `${user}@localhost`, password: `${user}-pw` });
        const got = [];
        client.on('message', (m) => got.push(m));
        const self = new Promise((resolve) => client.on('presence', (p) => { if (p.from === client.jid && p.type === 'available') resolve(); }));
        await client.connect();
        await self;
        window[user] = { client, got };
        return client.jid;
      };
    }, cluster.boshUrl);
    const daveJid = await page.evaluate(() => window.online('dave'));
    let erinJid = await page.evaluate(() => window.online('erin'));
    for (let tries = 0; (await nodeOf(erinJid)) === (await nodeOf(daveJid)); tries++) {
      assert.ok(tries < 6, 'erin\'s session never landed on the other node');
      // One request of our own moves the round robin on by one: a login
      // makes the same number of requests each time, so erin's first one
      // would land on the same node again.
      await fetch(cluster.boshUrl).catch(() => {});
      erinJid = await page.evaluate(async () => { await window.erin.client.disconnect(); return window.online('erin'); });
    }
    assert.notEqual(await nodeOf(erinJid), await nodeOf(daveJid), 'the two sessions live on different nodes');
    const r = await page.evaluate(async () => {
      const { dave, erin } = window;
      const until = async (cond, what) => {
        const deadline = Date.now() + 20000;
        while (!cond()) {
          if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
          await new Promise((res) => setTimeout(res, 20));
        }
      };
      const out = { pings: [] };
      for (let i = 0; i < 4; i++) out.pings.push(await dave.client.ping());
      out.roster = dave.client.roster.find((x) => x.jid === 'erin@localhost')?.subscription;
      await until(() => dave.client.presenceOf('erin@localhost').best && erin.client.presenceOf('dave@localhost').best, 'each to see the other online');
      const N = 20;
      for (let i = 0; i < N; i++) {
        dave.client.sendMessage({ to: 'erin@localhost', body: `d→e ${i}` });
        erin.client.sendMessage({ to: 'dave@localhost', body: `e→d ${i}` });
      }
      const bodies = (w, prefix) => w.got.filter((m) => m.body?.startsWith(prefix) && !m.archived).map((m) => m.body);
      await until(() => bodies(erin, 'd→e').length >= N && bodies(dave, 'e→d').length >= N, 'the 40 messages').catch(() => {});
      out.atErin = bodies(erin, 'd→e');
      out.atDave = bodies(dave, 'e→d');
      const history = await dave.client.history('erin@localhost', { max: 100 });
      out.archived = history.messages.map((m) => m.body);
      await Promise.all([dave.client.disconnect(), erin.client.disconnect()]);
      return out;
    });
    const seq = (prefix) => Array.from({ length: 20 }, (_, i) => `${prefix} ${i}`);
    assert.ok(r.pings.every((ms) => ms >= 0), `XEP-0199: pings answered: ${r.pings}`);
    assert.equal(r.roster, 'both', 'RFC 6121 §2: dave\'s roster from the shared store holds erin, subscribed both ways');
    assert.deepEqual(r.atErin, seq('d→e'), 'RFC 6121 §5: erin got dave\'s messages once each, in order');
    assert.deepEqual(r.atDave, seq('e→d'), 'dave got erin\'s messages once each, in order');
    assert.equal(r.archived.length, 40, 'XEP-0313: dave\'s archive on the shared store holds the 40 messages');
    assert.deepEqual(r.archived.filter((b) => b.startsWith('d→e')), seq('d→e'), 'in order');
  } finally {
    await browser.close();
    await web.close();
  }
});

test('cluster: a node killed (SIGKILL) while 2,000 messages flow both ways loses the sessions it held; their client logs in again through the balancer to the surviving node and catches up from the archive (XEP-0313 §4); what the server lost the sender sends again (XEP-0184, XEP-0359), so every message arrives once; the node rejoins and requests spread again', async () => {
  const fast = { maxRetries: 3, backoffBaseMs: 100, backoffMaxMs: 400, reconnectDelayMs: 300, reconnectMaxDelayMs: 1000 };
  const alice = await online('alice', fast);
  const bob = await onOtherNode(alice, await online('bob', fast), () => online('bob', fast));
  const bobNode = await nodeOf(bob);
  const victim = cluster.nodes.find((n) => n.node === bobNode);
  assert.ok(victim, `bob's node ${bobNode} is one of the cluster's`);

  const record = (w, prefix) => {
    const got = [];
    const late = []; // arrived after a later one: { n, delay }
    let highest = 0;
    const receipts = new Set(); // ids the peer confirmed (XEP-0184)
    const stats = { archived: 0, lost: 0, logins: 0, resumed: 0, caughtUp: [], resent: 0 };
    w.client.on('message', (m) => {
      const k = new RegExp(`^${prefix}(\\d+)$`).exec(m.body ?? '');
      if (!k) return;
      const n = Number(k[1]);
      if (n < highest) late.push({ n, delay: m.delay });
      highest = Math.max(highest, n);
      got.push(n);
      if (m.archived) stats.archived++;
      // A resend by the sender (receipts.h) says when it was first sent, from the sender (XEP-0203).
      if (/<delay [^>]*from='(alice|bob)@localhost'/.test(m.xml ?? '')) stats.resent++;
    });
    w.client.on('receipt', (r) => receipts.add(r.id));
    w.client.on('status', (e) => { if (e.status === 'reconnecting' && e.attempt <= 1) stats.lost++; });
    w.client.on('online', (o) => { if (o.resumed) stats.resumed++; else stats.logins++; });
    w.client.on('caughtUp', (e) => stats.caughtUp.push(e));
    return { got, late, receipts, stats };
  };
  const atBob = record(bob, 'a');
  const atAlice = record(alice, 'b');
  const N = 1000;
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const sendAll = async (from, to, prefix) => {
    for (let n = 1; n <= N; n++) {
      for (;;) {
        try {
          from.client.sendMessage({ to, body: `${prefix}${n}`, id: `${prefix}${n}` });
          break;
        } catch (err) {
          // The outbox is full while the session is away (maxQueuedBytes):
          // wait and try again, as an app would.
          if (err.condition !== 'resource-constraint') throw err;
          await sleep(20);
        }
      }
      if (n % 5 === 0) await sleep(10);
    }
  };
  const killed = (async () => {
    await until(() => atBob.got.length >= 300, 20000, 'bob to have 300 messages');
    await victim.kill();
  })();
  try {
    await Promise.all([sendAll(alice, 'bob@localhost', 'a'), sendAll(bob, 'alice@localhost', 'b'), killed]);
    await until(() => new Set(atBob.got).size >= N && new Set(atAlice.got).size >= N, 30000, 'every message at both').catch(() => {});
    await sleep(1000); // a duplicate would come now
    const missing = (got) => Array.from({ length: N }, (_, k) => k + 1).filter((n) => !got.includes(n));
    const unconfirmed = (at, prefix) => Array.from({ length: N }, (_, k) => `${prefix}${k + 1}`).filter((id) => !at.receipts.has(id));
    console.log(`node kill: bob (on the killed node) ${new Set(atBob.got).size}/${N} received, ${atBob.stats.archived} from the archive, ` +
      `${atBob.stats.resent} resent by alice, ${atBob.late.length} late; ` +
      `${atBob.stats.lost} session(s) lost, ${atBob.stats.logins} new login(s), ${atBob.stats.resumed} resumed, caughtUp ${JSON.stringify(atBob.stats.caughtUp)}, ` +
      `missing ${JSON.stringify(missing(atBob.got))}; ` +
      `alice ${new Set(atAlice.got).size}/${N}, ${atAlice.stats.resent} resent by bob, ${atAlice.late.length} late, ${atAlice.stats.lost} session(s) lost, ` +
      `missing ${JSON.stringify(missing(atAlice.got))}; late at bob ${JSON.stringify(atBob.late.slice(0, 8))}`);
    assert.ok(atBob.stats.lost >= 1, 'bob lost the session the killed node held');
    assert.ok(atBob.stats.logins + atBob.stats.resumed >= 1, 'bob came back online');
    assert.equal(atAlice.stats.lost, 0, 'alice\'s session, on the surviving node, went on');
    const bobNow = await nodeOf(bob);
    assert.notEqual(bobNow, bobNode, 'bob\'s new session lives on the surviving node');
    assert.ok(atBob.stats.caughtUp.some((e) => e.complete), `bob's new login caught up from the archive to its end: ${JSON.stringify(atBob.stats.caughtUp)}`);
    // What the server lost in the kill window (a message routed to bob's
    // session on the dead node is neither delivered, nor archived for bob,
    // nor stored offline: ejabberd archives for the recipient in the
    // recipient's session process; a stanza of bob's the dead node had
    // acknowledged but not routed is gone too), the sender sends again: a
    // peer that answers receipts came online, and those got none
    // (core/src/receipts.h). The receiver drops what it already had by
    // sender and origin-id (XEP-0359 §3).
    assert.deepEqual(missing(atBob.got), [], 'bob got every message of alice\'s');
    assert.deepEqual(missing(atAlice.got), [], 'alice got every message of bob\'s');
    assert.equal(new Set(atBob.got).size, atBob.got.length, 'nothing reached bob twice');
    assert.equal(new Set(atAlice.got).size, atAlice.got.length, 'nothing reached alice twice');
    // Order: XMPP gives a receiver no sequence to restore it by. What comes
    // late (the archive's catch-up, offline storage racing live messages at
    // bob's initial presence, the sender's resend) carries the time it was
    // sent or stored (XEP-0203), which the widget sorts by; a message
    // without one arrives in order.
    const undated = (at) => at.late.filter((l) => !l.delay);
    assert.deepEqual(undated(atBob), [], 'every message that reached bob out of order says when it was sent (XEP-0203)');
    assert.deepEqual(undated(atAlice), [], 'every message that reached alice out of order says when it was sent (XEP-0203)');
    // And in the end each side's client confirmed every message: none is
    // left for the sender to send again.
    // (A client records the receipts for its own messages.)
    await until(() => unconfirmed(atAlice, 'a').length === 0 && unconfirmed(atBob, 'b').length === 0, 15000,
      'a receipt for every message').catch(() => {});
    assert.deepEqual(unconfirmed(atAlice, 'a'), [], 'bob\'s client confirmed every message of alice\'s (XEP-0184)');
    assert.deepEqual(unconfirmed(atBob, 'b'), [], 'alice\'s client confirmed every message of bob\'s (XEP-0184)');
  } finally {
    // The node comes back and rejoins the cluster from its own spool.
    await killed.catch(() => {});
    await victim.start();
    await cluster.waitNodes(2);
  }
  await sleep(1000); // the balancer's health check: up after two good checks 300 ms apart
  servedBy.clear();
  await cluster.register('carol', 'carol-pw');
  const carol = await online('carol');
  for (let i = 0; i < 6; i++) await carol.client.ping();
  const spread = [...servedBy.values()].map((s) => s.size);
  assert.ok(spread.length > 0 && spread.every((n) => n === 2), `a new session's requests reach both nodes again: ${JSON.stringify(spread)}`);
});

test('cluster under load: 200 clients log in through the balancer (none lost to a node that does not know its new session yet) and chat in pairs for 20 s; nothing lost, duplicated or reordered, no session dropped (npm run cluster-load: the 1,000-client run)', async () => {
  const r = await runLoad(cluster, { count: 200, seconds: 20, intervalMs: 1000 });
  console.log(`load: ${JSON.stringify(r)}`);
  assert.equal(r.online, 200, `every client online: ${JSON.stringify(r.failures)}`);
  assert.ok(r.sent > 0 && r.received === r.sent, `every message received: ${r.received}/${r.sent}`);
  assert.equal(r.lost, 0, 'none lost');
  assert.equal(r.duplicated, 0, 'none duplicated');
  assert.equal(r.outOfOrder, 0, 'none out of order');
  assert.equal(r.sessionsDropped, 0, `no session dropped: ${JSON.stringify(r.dropped)}`);
  assert.ok(r.ok, JSON.stringify(r.failures));
});
