// hostile-peer.test.mjs: nothing another user sends may end, stall or
// confuse someone else's session. A third user (mallory, a bare BOSH
// client that sends whatever it likes) writes to bob through the real
// ejabberd: stanzas past each per-stanza limit are skipped with an error
// naming mallory and the limit, the message after each arrives, and bob's
// session never drops, also when the server hands the same stanza over
// again from offline storage, on a resumed stream or in an archive
// catch-up. Only a whole response body over max_body_bytes ends a
// session, with a terminate and the usual reconnect. The fake connection
// manager puts a poison stanza and a good one in the same response.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEjabberd } from '../support/ejabberd.mjs';
import { startFaultProxy } from '../support/fault-proxy.mjs';
import { startFakeCM } from '../support/fake-cm.mjs';
import { rawBoshLogin } from '../support/raw-bosh.mjs';
import { waitFor, until } from '../support/wait.mjs';
import { createClient } from '../../dist/index.js';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'greg', 'mallory'];
let server;
let mallory;

before(async () => {
  server = await startEjabberd({ mam: true });
  await Promise.all(USERS.map((u) => server.register(u, `${u}-pw`)));
  mallory = await rawBoshLogin(server.boshUrl, { user: 'mallory', password: 'mallory-pw' });
});

after(async () => {
  await mallory?.close();
  await server?.stop();
});

const message = (to, id, inner) => `<message xmlns='jabber:client' to='${to}' id='${id}' type='chat'>${inner}</message>`;
const wide = (n) => `<x xmlns='urn:example:wide'${Array.from({ length: n }, (_, i) => ` a${i}='v'`).join('')}/>`;
const deep = (n) => `<x xmlns='urn:example:deep'>${'<d>'.repeat(n)}${'</d>'.repeat(n)}</x>`;
const longAttr = (n) => `<x xmlns='urn:example:long' a='${'z'.repeat(n)}'/>`;
const bulky = (bytes) => `<x xmlns='urn:example:bulky'>${'<e/>'.repeat(Math.ceil(bytes / 4))}</x>`;

// Past the defaults (maxAttributes 256, maxDepth 256 counting the message
// as 1, maxAttributeLength 64 KiB, maxStanzaBytes 1 MiB), each with its limit.
const POISON = [
  ['maxAttributes', wide(257)],
  ['maxAttributeLength', longAttr(65537)],
  ['maxDepth', deep(256)],
  ['maxStanzaBytes', bulky(1100 * 1024)],
];

/** A client for `user`, every event recorded in order. */
function recorded(user, opts = {}) {
  const client = createClient({ service: server.boshUrl, jid: `${user}@localhost`, password: `${user}-pw`, ...opts });
  const events = [];
  for (const name of ['message', 'error', 'status', 'online', 'offline', 'caughtUp']) client.on(name, (e) => events.push({ name, e }));
  const bodies = () => events.filter((x) => x.name === 'message').map((x) => x.e.body);
  const errors = () => events.filter((x) => x.name === 'error').map((x) => x.e);
  const statuses = () => events.filter((x) => x.name === 'status').map((x) => x.e.status);
  // Online with presence out: from here the server routes messages to it.
  const start = async () => {
    const ready = available(client);
    await client.connect();
    await ready;
  };
  return { client, events, bodies, errors, statuses, start };
}

const available = (c) => waitFor(c, 'presence', (p) => p.from === c.jid && p.type === 'available', 20000, 'own presence');

test('RFC 6120 §13.12 + XEP-0124: a third user\'s stanza past each per-stanza limit is skipped, named, and the message after it arrives; the session stays', async () => {
  const bob = recorded('bob');
  const alice = recorded('alice');
  try {
    await Promise.all([bob.start(), alice.client.connect()]);
    for (const [limit, payload] of POISON) {
      const after = waitFor(bob.client, 'message', (m) => m.body === `after ${limit}`, 20000, `the message after ${limit}`);
      await mallory.send(message('bob@localhost', `p-${limit}`, `<body>poison</body>${payload}`) +
        message('bob@localhost', `a-${limit}`, `<body>after ${limit}</body>`));
      await after;
      const err = bob.errors().find((e) => e.limit === limit);
      assert.ok(err, `an error names the limit ${limit}`);
      assert.equal(err.condition, 'policy-violation');
      assert.equal(err.from, mallory.jid, 'the error names the sender');
      assert.match(err.message, new RegExp(`skipped a <message/> from ${mallory.jid.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    }
    assert.ok(!bob.bodies().includes('poison'), 'no poison delivered');
    assert.deepEqual(bob.statuses(), ['connecting', 'online'], 'bob\'s session never dropped');
    const fromAlice = waitFor(bob.client, 'message', (m) => m.body === 'still here?', 10000);
    alice.client.sendMessage({ to: 'bob@localhost', body: 'still here?' });
    await fromAlice;
  } finally {
    await Promise.all([bob.client.disconnect(), alice.client.disconnect()]);
  }
});

test('defaults generous for real traffic: 65 attributes, 65 levels and 200 KB of small elements from a peer are delivered', async () => {
  const bob = recorded('bob');
  try {
    await bob.start();
    const last = waitFor(bob.client, 'message', (m) => m.body === 'bulky', 20000, 'the last of them');
    await mallory.send(message('bob@localhost', 'w', `<body>wide</body>${wide(64)}`) +
      message('bob@localhost', 'd', `<body>deep</body>${deep(65)}`) +
      message('bob@localhost', 'b', `<body>bulky</body>${bulky(200 * 1024)}`));
    await last;
    assert.deepEqual(bob.bodies(), ['wide', 'deep', 'bulky']);
    assert.deepEqual(bob.errors(), []);
  } finally {
    await bob.client.disconnect();
  }
});

test('RFC 6121 §8.5.2: a poison stanza handed over again from offline storage is skipped at login; the session stays', async () => {
  // carol is offline: the server stores both messages until she logs in.
  await mallory.send(message('carol@localhost', 'p-off', `<body>poison</body>${wide(300)}`) +
    message('carol@localhost', 'a-off', '<body>after offline poison</body>'));
  await sleep(300);
  const carol = recorded('carol');
  try {
    const after = waitFor(carol.client, 'message', (m) => m.body === 'after offline poison', 20000, 'the stored message');
    await carol.client.connect();
    await after;
    await sleep(500);
    assert.equal(carol.errors().filter((e) => e.limit === 'maxAttributes' && e.from === mallory.jid).length, 1);
    assert.deepEqual(carol.statuses(), ['connecting', 'online']);
  } finally {
    await carol.client.disconnect();
  }
});

/** user online through a fault proxy; a blackout loses the session while mallory sends poison and a good message. */
async function replayAfterBlackout(user, opts) {
  const proxy = await startFaultProxy({ targetPort: server.httpPort, resetRate: 0, delayRate: 0 });
  const r = recorded(user, {
    service: `http://127.0.0.1:${proxy.port}/bosh`, maxRetries: 2, backoffBaseMs: 100, backoffMaxMs: 300,
    reconnectDelayMs: 300, reconnectMaxDelayMs: 1000, ...opts,
  });
  try {
    await r.start();
    proxy.setBlackout(true);
    await mallory.send(message(`${user}@localhost`, 'p-replay', `<body>poison</body>${deep(300)}`) +
      message(`${user}@localhost`, 'a-replay', '<body>after replayed poison</body>'));
    await waitFor(r.client, 'status', (e) => e.status === 'reconnecting', 30000, `${user} to lose the session`);
    await sleep(500);
    proxy.setBlackout(false);
    await waitFor(r.client, 'message', (m) => m.body === 'after replayed poison', 30000, 'the message after the poison');
    await sleep(3000); // a second routing of either would come now
    return { ...r, ended: r.events.filter((x) => x.name === 'offline').length };
  } finally {
    await r.client.disconnect().catch(() => {});
    await proxy.close();
  }
}

test('XEP-0198 §5: a poison stanza the server resends on a resumed stream is skipped; the stream stays resumed', async () => {
  const r = await replayAfterBlackout('dave', { catchUp: false });
  assert.ok(r.events.some((x) => x.name === 'online' && x.e.resumed), 'the stream was resumed');
  assert.equal(r.events.filter((x) => x.name === 'online').length, 2, 'no new login after the resumption');
  assert.ok(r.errors().some((e) => e.limit === 'maxDepth' && e.from === mallory.jid), 'the resent poison was skipped');
  assert.deepEqual(r.bodies(), ['after replayed poison'], 'the message after it once');
  assert.equal(r.ended, 0, 'the client never ended');
});

test('XEP-0313 §5.3: a poison stanza in an archive catch-up is skipped; the catch-up completes and delivers the rest', async () => {
  const r = await replayAfterBlackout('erin', { streamManagement: false });
  const caught = r.events.filter((x) => x.name === 'caughtUp').map((x) => x.e);
  assert.ok(caught.length >= 1 && caught.every((e) => e.complete), `the catch-up completed: ${JSON.stringify(caught)}`);
  assert.ok(r.errors().some((e) => e.limit === 'maxDepth'), 'the archived poison was skipped');
  assert.deepEqual(r.bodies(), ['after replayed poison'], 'the message after it once');
  assert.equal(r.ended, 0, 'the client never ended');
});

test('XEP-0124 §12: a response body over max_body_bytes ends the session with a terminate (no ghost) and the usual reconnect', async () => {
  // No stream management and no catch-up: the server does not hand the
  // refused body over again, and the next login goes on.
  const frank = recorded('frank', {
    maxBodyBytes: 64 * 1024, reconnectDelayMs: 200, reconnectMaxDelayMs: 500, streamManagement: false, catchUp: false,
  });
  try {
    await frank.start();
    const firstJid = frank.client.jid;
    const back = available(frank.client);
    await mallory.send(message('frank@localhost', 'huge', `<body>${'h'.repeat(100 * 1024)}</body>`));
    await back;
    const err = frank.errors().find((e) => e.condition === 'policy-violation');
    assert.ok(err && /max_body_bytes/.test(err.text), `the error says the body was too big: ${err?.text}`);
    const reconnecting = frank.events.find((x) => x.name === 'status' && x.e.status === 'reconnecting')?.e;
    assert.equal(reconnecting?.reason, 'policy-violation');
    const users = (await server.ctl('connected_users')).split('\n').filter((l) => l.startsWith('frank@'));
    assert.deepEqual(users, [firstJid], 'one session of frank\'s, the lost resource taken back: the old one was terminated');
    const later = waitFor(frank.client, 'message', (m) => m.body === 'later', 20000, 'a message after');
    await mallory.send(message('frank@localhost', 'later', '<body>later</body>'));
    await later;
  } finally {
    await frank.client.disconnect();
  }
});

test('a body over max_body_bytes that the server hands over at every login ends the client after maxReconnectAttempts, not in an endless loop', async () => {
  const greg = recorded('greg', { maxBodyBytes: 64 * 1024, reconnectDelayMs: 100, reconnectMaxDelayMs: 200, maxReconnectAttempts: 3 });
  try {
    await greg.start();
    const ended = waitFor(greg.client, 'offline', () => true, 60000, 'the client to give up');
    await mallory.send(message('greg@localhost', 'huge', `<body>${'h'.repeat(100 * 1024)}</body>`));
    const { reason } = await ended;
    assert.equal(reason, 'policy-violation');
    const logins = greg.events.filter((x) => x.name === 'online').length;
    assert.ok(logins >= 2 && logins <= 4, `a bounded number of logins (${logins})`);
    const users = (await server.ctl('connected_users')).split('\n').filter((l) => l.startsWith('greg@'));
    assert.deepEqual(users, [], 'no ghost left behind');
  } finally {
    await greg.client.disconnect();
  }
});

test('a bot that answers "ok" with the same id twice is heard twice (a reused id is not a duplicate)', async () => {
  const alice = recorded('alice');
  try {
    await alice.start();
    const second = waitFor(alice.client, 'message', () => alice.bodies().filter((b) => b === 'ok').length === 2, 10000, 'both');
    await mallory.send(message('alice@localhost', '1', '<body>ok</body>'));
    await sleep(200);
    await mallory.send(message('alice@localhost', '1', '<body>ok</body>'));
    await second;
  } finally {
    await alice.client.disconnect();
  }
});

test('XEP-0359 §3: mallory sending bob origin-ids alice uses hides none of alice\'s messages (the copy rule keys the sender too); the session stays', async () => {
  const alice = recorded('alice');
  const bob = recorded('bob');
  try {
    await Promise.all([alice.start(), bob.start()]);
    const one = waitFor(bob.client, 'message', (m) => m.body === 'one', 10000, 'one');
    alice.client.sendMessage({ to: 'bob@localhost', body: 'one' });
    const seen = (await one).originId;
    assert.ok(seen, 'alice\'s message carries an origin-id');
    // Her ids are a prefix and a counter: mallory sends bob the one she
    // used and the next 50, before alice writes again.
    const [, prefix, n] = /^(.*-)(\d+)$/.exec(seen);
    for (let k = 0; k <= 50; k++) {
      await mallory.send(message('bob@localhost', `m${k}`, `<body>fake ${k}</body><origin-id xmlns='urn:xmpp:sid:0' id='${prefix}${Number(n) + k}'/>`));
    }
    await until(() => bob.bodies().filter((b) => b?.startsWith('fake ')).length === 51, 10000, 'mallory\'s 51, each her own');
    const two = waitFor(bob.client, 'message', (m) => m.body === 'two', 10000, 'two');
    const three = waitFor(bob.client, 'message', (m) => m.body === 'three', 10000, 'three');
    alice.client.sendMessage({ to: 'bob@localhost', body: 'two' });
    alice.client.sendMessage({ to: 'bob@localhost', body: 'three' });
    await Promise.all([two, three]);
    assert.deepEqual(bob.bodies().filter((b) => ['one', 'two', 'three'].includes(b)), ['one', 'two', 'three'], 'each of alice\'s once, in order');
    assert.ok(!bob.statuses().includes('reconnecting'), 'bob\'s session stayed');
  } finally {
    await Promise.all([alice.client.disconnect(), bob.client.disconnect()]);
  }
});

test('receipts.h: mallory answering a receipt, then flooding bob with presence, gets bob\'s unconfirmed message again at most 3 times, and no one else\'s; the session stays and the next message arrives', async () => {
  const alice = recorded('alice');
  const bob = recorded('bob');
  // What bob's client sends, to count the resends.
  const sent = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (url, init) => {
    if (typeof init?.body === 'string') sent.push(init.body);
    else if (init?.body) sent.push(new TextDecoder().decode(init.body));
    return realFetch(url, init);
  };
  try {
    await Promise.all([alice.start(), bob.start()]);
    bob.client.sendMessage({ to: 'alice@localhost', body: 'to alice', id: 'b-a' });
    await waitFor(alice.client, 'message', (m) => m.body === 'to alice', 10000, 'to alice');
    // mallory answers a receipt for something (so she counts as answering),
    // never for bob's message to her, and announces herself again and again.
    await mallory.send(message('bob@localhost', 'r1', "<received xmlns='urn:xmpp:receipts' id='anything'/>"));
    bob.client.sendMessage({ to: 'mallory@localhost', body: 'to mallory', id: 'b-m' });
    await sleep(300);
    for (let round = 0; round < 5; round++) {
      await mallory.send(`<presence xmlns='jabber:client' to='bob@localhost'><status>round ${round}</status></presence>`);
      await sleep(2300);
    }
    const count = (id) => sent.filter((b) => b.includes(`id='${id}'`) && b.includes('<body>')).length;
    assert.equal(count('b-m'), 1 + 3, 'bob\'s message to mallory went out once, then again 3 times at most (XW_RECEIPT_MAX_RESENDS)');
    assert.equal(count('b-a'), 1, 'nothing of what alice confirmed or was sent went to mallory or out again');
    const next = waitFor(bob.client, 'message', (m) => m.body === 'after', 10000, 'after');
    alice.client.sendMessage({ to: 'bob@localhost', body: 'after' });
    await next;
    assert.ok(!bob.statuses().includes('reconnecting'), 'bob\'s session stayed');
  } finally {
    globalThis.fetch = realFetch;
    await Promise.all([alice.client.disconnect(), bob.client.disconnect()]);
  }
});

const NS = "xmlns='http://jabber.org/protocol/httpbind' xmlns:stream='http://etherx.jabber.org/streams'";

test('fake CM: a poison stanza and a good one in the same response: the poison is skipped, the good one delivered, the session stays', async () => {
  const cm = await startFakeCM();
  const client = createClient({ service: cm.url, jid: 'alice@localhost', password: 'pw', resource: 'web', allowPlain: true });
  const got = [];
  const errors = [];
  const statuses = [];
  client.on('message', (m) => got.push(m.body));
  client.on('error', (e) => errors.push(e));
  client.on('status', (s) => statuses.push(s.status));
  try {
    await client.connect();
    for (const [limit, payload] of POISON) {
      cm.push(`<message xmlns='jabber:client' from='mallory@localhost/x' id='p'><body>poison</body>${payload}</message>` +
        `<message xmlns='jabber:client' from='bob@localhost/y' id='g'><body>good after ${limit}</body></message>`);
      await waitFor(client, 'message', (m) => m.body === `good after ${limit}`, 5000, `the good one after ${limit}`);
      assert.equal(errors.at(-1).limit, limit);
      assert.equal(errors.at(-1).from, 'mallory@localhost/x');
    }
    assert.ok(!got.includes('poison'));
    assert.deepEqual(statuses, ['connecting', 'online']);
  } finally {
    await client.disconnect();
    await cm.close();
  }
});

test('XEP-0045 §7.2: a room that never answers the join: join() rejects with remote-server-timeout after iqTimeoutMs and leaves; a second join() meanwhile shares the answer', async () => {
  const cm = await startFakeCM(); // answers no presence: the room stays silent
  const client = createClient({ service: cm.url, jid: 'alice@localhost', password: 'pw', resource: 'web', allowPlain: true, iqTimeoutMs: 400 });
  try {
    await client.connect();
    const started = performance.now();
    const first = client.join('silent@muc.localhost', { nick: 'Alice' });
    const second = client.join('silent@muc.localhost', { nick: 'Alice' });
    assert.equal(second, first, 'the second join() is the first one\'s promise');
    await assert.rejects(first, (e) => e.condition === 'remote-server-timeout' && e.room === 'silent@muc.localhost');
    assert.ok(performance.now() - started >= 380, 'not before iqTimeoutMs');
    const presences = () => cm.received.filter((s) => s.startsWith('<presence') && s.includes("to='silent@muc.localhost/Alice'"));
    for (let t = 0; t < 100 && !presences().some((s) => s.includes("type='unavailable'")); t++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(presences().filter((s) => !s.includes("type='unavailable'")).length, 1, 'one join presence sent');
    assert.ok(presences().some((s) => s.includes("type='unavailable'")), 'the half-made join is left');
    assert.equal(client.status, 'online', 'the session goes on');
  } finally {
    await client.disconnect();
    await cm.close();
  }
});

test('fake CM: a body over max_body_bytes is refused with a terminate request, then a new session is created', async () => {
  const cm = await startFakeCM();
  const client = createClient({
    service: cm.url, jid: 'alice@localhost', password: 'pw', resource: 'web', allowPlain: true,
    maxBodyBytes: 4096, reconnectDelayMs: 100, reconnectMaxDelayMs: 200,
  });
  try {
    await client.connect();
    for (let i = 0; i < 200 && !cm.heldCount(); i++) await sleep(10);
    const sessionsBefore = cm.log.filter((r) => !r.sid).length;
    const back = waitFor(client, 'online', () => true, 10000, 'online again');
    cm.answerHeld(200, `<body ${NS}><message xmlns='jabber:client' from='mallory@localhost/x'><body>${'h'.repeat(8000)}</body></message></body>`);
    await back;
    assert.ok(cm.log.some((r) => r.type === 'terminate'), 'XEP-0124 §12: a terminate request was sent');
    assert.equal(cm.log.filter((r) => !r.sid).length, sessionsBefore + 1, 'one new session created');
  } finally {
    await client.disconnect();
    await cm.close();
  }
});
