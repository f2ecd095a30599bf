// im.test.mjs: the instant-messaging layer against the real ejabberd, in
// Node: roster, presence, messages, carbons, history, receipts, chat
// states, markers, group chat, discovery and capabilities, blocking, and
// the app's own handlers, between users of the package; then every rule
// against forgery, with mallory (a bare BOSH client that sends whatever it
// likes) forging the stanza through the same server.
import { test, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startEjabberd } from '../support/ejabberd.mjs';
import { startWatchProxy } from '../support/watch-proxy.mjs';
import { startFaultProxy } from '../support/fault-proxy.mjs';
import { rawBoshLogin } from '../support/raw-bosh.mjs';
import { waitFor } from '../support/wait.mjs';
import { createClient } from '../../dist/index.js';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'mallory', 'oscar'];
const MUC = 'conference.localhost';
let server;
let mallory; // logged in for each test that needs her (an idle BOSH session times out)
const open = new Set();

before(async () => {
  server = await startEjabberd({ mam: true, muc: true, im: true });
  await Promise.all(USERS.map((u) => server.register(u, `${u}-pw`)));
});

beforeEach(async () => {
  mallory = await rawBoshLogin(server.boshUrl, { user: 'mallory', password: 'mallory-pw' });
});

afterEach(async () => {
  await mallory?.close();
});

after(async () => {
  await Promise.all([...open].map((c) => c.disconnect().catch(() => {})));
  await server?.stop();
});

/** A connected client of user's, its events recorded; online with presence out. */
async function online(user, opts = {}) {
  const client = createClient({ service: server.boshUrl, jid: `${user}@localhost`, password: `${user}-pw`, ...opts });
  const events = [];
  for (const name of ['message', 'presence', 'roster', 'error', 'receipt', 'marker', 'chatState', 'occupant',
    'roomJoined', 'roomLeft', 'roomSubject', 'roomError', 'blocklist', 'status']) {
    client.on(name, (e) => events.push({ name, e }));
  }
  const self = waitFor(client, 'presence', (p) => p.from === client.jid && p.type === 'available', 20000, `${user}'s own presence`);
  await client.connect();
  await self;
  open.add(client);
  const of = (name) => events.filter((x) => x.name === name).map((x) => x.e);
  return { client, events, of, jid: client.jid, bare: `${user}@localhost` };
}

async function offline(...who) {
  await Promise.all(who.map(async (w) => {
    open.delete(w.client);
    await w.client.disconnect().catch(() => {});
  }));
}

/** mallory sends xml, then polls until what came back matches re; resolves with it. */
async function malloryAsks(xml, re, ms = 10000) {
  let seen = await mallory.send(xml);
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    seen += await mallory.send('');
    if (re.test(seen)) return seen;
  }
  throw new Error(`mallory never read ${re}: ${seen.slice(-500)}`);
}

/** a and b see each other's presence (RFC 6121 §3: both ways), each request approved once it arrived. */
async function befriend(a, b) {
  const both = (x, y) => x.client.roster.some((i) => i.jid === y.bare && i.subscription === 'both');
  const sees = (x, y) => x.client.roster.some((i) => i.jid === y.bare && ['to', 'both'].includes(i.subscription));
  if (both(a, b) && both(b, a)) return;
  for (const [x, y] of [[a, b], [b, a]]) {
    // RFC 6121 §3.1.3: a request for what x already has is not forwarded,
    // nor one while x's earlier request is pending (a test that failed
    // half-way leaves one): y approves what it holds.
    if (sees(x, y)) continue;
    if (x.client.roster.some((i) => i.jid === y.bare && i.ask)) {
      y.client.approve(x.bare);
      continue;
    }
    const asked = waitFor(y.client, 'presence', (p) => p.type === 'subscribe' && p.from === x.bare, 10000, 'the request');
    x.client.subscribe(y.bare);
    await asked;
    y.client.approve(x.bare);
  }
  const until = (x, y) => (both(x, y) ? null : waitFor(x.client, 'roster', () => both(x, y), 10000, `${x.bare} and ${y.bare} both ways`));
  await Promise.all([until(a, b), until(b, a)]);
}

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// --- roster (RFC 6121 §2, §3) ------------------------------------------------

test('RFC 6121 §2.3-§2.5, §3: roster add, rename, regroup, remove; a subscription request approved, one denied, one cancelled; every push applied', async () => {
  const alice = await online('alice');
  const bob = await online('bob');
  const carol = await online('carol');
  try {
    await alice.client.addContact(bob.bare, { name: 'Bob', groups: ['Friends'] });
    assert.deepEqual(alice.client.roster.find((i) => i.jid === bob.bare),
      { jid: bob.bare, name: 'Bob', subscription: 'none', groups: ['Friends'] }, 'RFC 6121 §2.3: added, told by a push');
    await alice.client.addContact(bob.bare, { name: 'Robert', groups: ['Friends', 'Work'] });
    const renamed = alice.client.roster.find((i) => i.jid === bob.bare);
    assert.equal(renamed.name, 'Robert', 'RFC 6121 §2.4: renamed');
    assert.deepEqual([...renamed.groups].sort(), ['Friends', 'Work'], 'RFC 6121 §2.4: regrouped');

    // §3.1: a request, approved: alice sees bob's presence.
    const asked = waitFor(bob.client, 'presence', (p) => p.type === 'subscribe' && p.from === alice.bare, 10000);
    const pending = () => alice.client.roster.find((i) => i.jid === bob.bare)?.ask === true;
    // The push to alice and the request to bob go to two sessions: either may come first.
    const pushed = waitFor(alice.client, 'roster', pending, 10000, 'the push marking the request pending');
    alice.client.subscribe(bob.bare);
    await Promise.all([asked, pushed]);
    assert.equal(alice.client.roster.find((i) => i.jid === bob.bare).ask, true, 'RFC 6121 §3.1.2: pending out');
    const seesBob = waitFor(alice.client, 'presence', (p) => p.from === bob.jid && p.type === 'available', 10000, 'bob\'s presence');
    bob.client.approve(alice.bare);
    await seesBob;
    const hasTo = () => alice.client.roster.find((i) => i.jid === bob.bare)?.subscription === 'to';
    if (!hasTo()) await waitFor(alice.client, 'roster', hasTo, 10000, 'subscription to');
    assert.equal(alice.client.roster.find((i) => i.jid === bob.bare).subscription, 'to', 'RFC 6121 §3.1.5: subscription to');
    // bob's push comes to another session: it may follow alice's.
    const hasFrom = () => bob.client.roster.find((i) => i.jid === alice.bare)?.subscription === 'from';
    if (!hasFrom()) await waitFor(bob.client, 'roster', hasFrom, 10000, 'bob\'s side: from');
    assert.equal(bob.client.roster.find((i) => i.jid === alice.bare)?.subscription, 'from', 'RFC 6121 §3.1.5: bob\'s side: from');

    // §3.2: carol denies alice's request.
    const denied = waitFor(alice.client, 'presence', (p) => p.type === 'unsubscribed' && p.from === carol.bare, 10000);
    alice.client.subscribe(carol.bare);
    await waitFor(carol.client, 'presence', (p) => p.type === 'subscribe' && p.from === alice.bare, 10000);
    carol.client.deny(alice.bare);
    await denied;
    await sleep(300);
    const c = alice.client.roster.find((i) => i.jid === carol.bare);
    assert.equal(c.subscription, 'none', 'RFC 6121 §3.2.1: denied: none');
    assert.ok(!c.ask, 'RFC 6121 §3.2.1: no request pending');

    // §3.3: alice cancels her subscription to bob.
    const cancelled = Promise.all([
      waitFor(alice.client, 'roster', (r) => r.items.some((i) => i.jid === bob.bare && i.subscription === 'none'), 10000, 'alice: none'),
      waitFor(bob.client, 'roster', (r) => r.items.some((i) => i.jid === alice.bare && i.subscription === 'none'), 10000, 'bob: none'),
    ]);
    alice.client.unsubscribe(bob.bare);
    await cancelled;

    // §2.5: removed.
    await alice.client.removeContact(carol.bare);
    assert.ok(!alice.client.roster.some((i) => i.jid === carol.bare), 'RFC 6121 §2.5: removed');
    const pushes = alice.of('roster').filter((r) => !r.full);
    assert.ok(pushes.length >= 5 && pushes.every((r) => typeof r.version === 'string' && r.version.length > 0),
      'RFC 6121 §2.1.6 + §2.6: every push is applied, each with the server\'s roster version');
    assert.deepEqual(alice.of('error'), [], 'no errors');

    assert.throws(() => alice.client.addContact('not a jid@'), TypeError, 'RFC 7622: a bad JID is refused before sending');
  } finally {
    await offline(alice, bob, carol);
  }
});

test('RFC 6121 §2.6: with versioning offered, a new login asks with the version held and keeps the roster when nothing changed', async () => {
  // dave -> watch proxy (sees what dave sends) -> fault proxy (the network gone) -> ejabberd.
  const net = await startFaultProxy({ targetPort: server.httpPort, resetRate: 0, delayRate: 0 });
  const proxy = await startWatchProxy(`http://127.0.0.1:${net.port}/bosh`);
  const dave = await online('dave', {
    service: proxy.url, streamManagement: false, catchUp: false, maxRetries: 1, backoffBaseMs: 100, backoffMaxMs: 200,
    reconnectDelayMs: 100, reconnectMaxDelayMs: 300,
  });
  try {
    assert.match(await proxy.waitForBody(/jabber:iq:roster/), /<query xmlns='jabber:iq:roster' ver=''\/>/,
      'RFC 6121 §2.6.2: nothing held: ver=\'\'');
    await dave.client.addContact('erin@localhost', { name: 'Erin' });
    await dave.client.addContact('frank@localhost', { name: 'Frank' });
    const held = dave.of('roster').at(-1).version;
    // The session is lost to the network: the client logs in again.
    const back = waitFor(dave.client, 'roster', (r) => r.full, 30000, 'the roster after the new login');
    net.setBlackout(true);
    await waitFor(dave.client, 'status', (e) => e.status === 'reconnecting', 30000, 'the session to be lost');
    net.setBlackout(false);
    const again = await back;
    assert.ok(proxy.bodies.some((b) => b.includes(`<query xmlns='jabber:iq:roster' ver='${held}'/>`)),
      'RFC 6121 §2.6.2: the new login asks with the version it holds');
    assert.equal(again.version, held, 'RFC 6121 §2.6.3: unchanged: the same version');
    assert.deepEqual(again.items.map((i) => i.jid).sort(), ['erin@localhost', 'frank@localhost'],
      'RFC 6121 §2.6.3: an empty result keeps the roster held');
    assert.deepEqual(dave.client.roster.map((i) => i.name).sort(), ['Erin', 'Frank']);
  } finally {
    await offline(dave);
    await proxy.close();
    await net.close();
  }
});

// --- presence (RFC 6121 §4) ---------------------------------------------------

test('RFC 6121 §4: own show, status and priority; a contact\'s presence per resource and the best one; directed presence', async () => {
  const alice = await online('alice');
  const bob = await online('bob');
  const carol = await online('carol');
  let alice2;
  try {
    await befriend(alice, bob);
    const away = waitFor(bob.client, 'presence', (p) => p.from === alice.jid && p.show === 'away', 10000);
    alice.client.setPresence({ show: 'away', status: 'at lunch', priority: 5 });
    const p = await away;
    assert.equal(p.status, 'at lunch', 'RFC 6121 §4.7.2.2: status');
    assert.equal(p.priority, 5, 'RFC 6121 §4.7.2.3: priority');
    alice2 = await online('alice', { resource: 'phone' });
    alice2.client.setPresence({ show: 'dnd', priority: 10 });
    await waitFor(bob.client, 'presence', (e) => e.from === alice2.jid && e.show === 'dnd', 10000);
    let seen = bob.client.presenceOf(alice.bare);
    assert.equal(seen.resources.length, 2, 'RFC 6121 §4.4: one presence per resource');
    assert.equal(seen.best.resource, 'phone', 'RFC 6121 §4.7.2.3: the highest priority is the best');
    assert.equal(seen.best.show, 'dnd');
    const gone = waitFor(bob.client, 'presence', (e) => e.from === alice2.jid && e.type === 'unavailable', 10000);
    await offline(alice2);
    await gone;
    seen = bob.client.presenceOf(alice.bare);
    assert.deepEqual(seen.resources.map((r) => r.resource), [alice.jid.split('/')[1]], 'RFC 6121 §4.5: the resource gone is gone');
    assert.equal(seen.best.show, 'away');
    assert.deepEqual(bob.client.presenceOf('nobody@localhost'), { resources: [] }, 'offline: no best');

    // §4.6: directed presence to carol, who has no subscription.
    const directed = waitFor(carol.client, 'presence', (e) => e.from === alice.jid && e.type === 'available', 10000);
    alice.client.sendPresence({ to: carol.jid, show: 'chat' });
    assert.equal((await directed).show, 'chat', 'RFC 6121 §4.6: directed presence arrives');
    assert.throws(() => alice.client.setPresence({ show: 'sleeping' }), TypeError, 'RFC 6121 §4.7.2.1: an unknown show is refused');
  } finally {
    await offline(alice, bob, carol);
  }
});

// --- messages (RFC 6121 §5), receipts, chat states, markers ---------------------

test('RFC 6121 §5: normal and headline types, subject and thread; an error message for a user who is not there; offline delivery with its delay (XEP-0203); stanza-id and origin-id (XEP-0359)', async () => {
  const alice = await online('alice');
  const bob = await online('bob');
  try {
    const normal = waitFor(bob.client, 'message', (m) => m.body === 'see the plan', 10000);
    alice.client.sendMessage({ to: bob.bare, type: 'normal', subject: 'Plans', body: 'see the plan', thread: 'plan-7' });
    const m = await normal;
    assert.equal(m.type, 'normal');
    assert.equal(m.subject, 'Plans', 'RFC 6121 §5.2.4');
    assert.equal(m.thread, 'plan-7', 'RFC 6121 §5.2.5');
    assert.match(m.originId ?? '', /.+/, 'XEP-0359 §3: the sender\'s origin-id');
    assert.match(m.stanzaId ?? '', /.+/, 'XEP-0359 §4: the archive\'s stanza-id, by our own account');
    const headline = waitFor(bob.client, 'message', (e) => e.body === 'news', 10000);
    alice.client.sendMessage({ to: bob.jid, type: 'headline', body: 'news' });
    assert.equal((await headline).type, 'headline');

    const bounced = waitFor(alice.client, 'message', (e) => e.type === 'error', 10000);
    const id = alice.client.sendMessage({ to: 'nobody@localhost', body: 'hello?' });
    const err = await bounced;
    assert.equal(err.id, id, 'RFC 6120 §8.3.1: the error carries the id');
    assert.equal(err.errorCondition, 'service-unavailable', 'RFC 6121 §8.5.2.2.1: no such user');

    await offline(bob);
    alice.client.sendMessage({ to: bob.bare, body: 'while you were out' });
    await sleep(500);
    const bob2 = await online('bob', { catchUp: false });
    try {
      const stored = bob2.of('message').find((e) => e.body === 'while you were out')
        ?? await waitFor(bob2.client, 'message', (e) => e.body === 'while you were out', 10000);
      assert.match(stored.delay ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/, 'XEP-0203 + XEP-0160: offline delivery says when it was sent');
    } finally {
      await offline(bob2);
    }
  } finally {
    await offline(alice);
  }
});

test('XEP-0184, XEP-0085, XEP-0333: a receipt comes back, typing is shown, a message marked displayed is told to its sender', async () => {
  const alice = await online('alice');
  const bob = await online('bob');
  try {
    await befriend(alice, bob);
    const arrived = waitFor(bob.client, 'message', (m) => m.body === 'read me', 10000);
    const id = alice.client.sendMessage({ to: bob.bare, body: 'read me' });
    const receipt = await waitFor(alice.client, 'receipt', (r) => r.id === id, 10000, 'the receipt');
    assert.equal(receipt.from, bob.jid, 'XEP-0184 §5.4: from the resource that got it');
    const m = await arrived;
    assert.equal(m.receiptRequested, true, 'XEP-0184 §5.1: our message asked for one');
    assert.equal(m.markable, true, 'XEP-0333 §4: and is markable');

    const typing = waitFor(bob.client, 'chatState', (s) => s.from === alice.jid, 10000);
    alice.client.sendChatState(bob.bare, 'composing');
    assert.equal((await typing).state, 'composing', 'XEP-0085 §5.1');
    assert.ok(!bob.of('message').some((e) => e.chatState === 'composing' && !e.body), 'XEP-0085: a state alone is no message');

    const displayed = waitFor(alice.client, 'marker', (k) => k.id === id, 10000);
    bob.client.markDisplayed(m);
    const k = await displayed;
    assert.equal(k.marker, 'displayed', 'XEP-0333 §4');
    assert.equal(k.from, bob.jid);
    assert.throws(() => alice.client.sendChatState(bob.bare, 'typing'), TypeError, 'XEP-0085 §4: only the five states');
  } finally {
    await offline(alice, bob);
  }
});

// --- carbons (XEP-0280) -----------------------------------------------------------

test('XEP-0280 §6: with carbons enabled where offered, a second resource sees copies marked received and sent', async () => {
  const desk = await online('carol', { resource: 'desk' });
  const phone = await online('carol', { resource: 'phone' });
  const bob = await online('bob');
  try {
    const server = await desk.client.discoInfo();
    assert.ok(server.features.includes('urn:xmpp:carbons:2'), 'XEP-0030: ejabberd offers carbons');
    const received = waitFor(phone.client, 'message', (m) => m.body === 'to your desk', 10000, 'the received copy');
    bob.client.sendMessage({ to: desk.jid, body: 'to your desk' });
    const r = await received;
    assert.equal(r.carbon, 'received', 'XEP-0280 §7.3: a received copy');
    assert.equal(r.from, bob.jid);
    assert.ok(!r.outgoing);
    const sent = waitFor(phone.client, 'message', (m) => m.body === 'from my desk', 10000, 'the sent copy');
    desk.client.sendMessage({ to: bob.bare, body: 'from my desk' });
    const s = await sent;
    assert.equal(s.carbon, 'sent', 'XEP-0280 §7.4: a sent copy');
    assert.equal(s.outgoing, true, 'ours');
    assert.equal(s.to, bob.bare);
  } finally {
    await offline(desk, phone, bob);
  }
});

// --- history (XEP-0313 + XEP-0059) -----------------------------------------------

test('XEP-0313 §4 + XEP-0059 §2.5: history pages a conversation newest first, oldest first within a page, marked archived, to its end', async () => {
  const erin = await online('erin');
  const frank = await online('frank');
  try {
    for (let i = 1; i <= 7; i++) {
      // Each arrives before the next is sent: the archive's order is ours.
      const [from, to] = i % 2 ? [erin, frank] : [frank, erin];
      const arrived = waitFor(to.client, 'message', (m) => m.body === `m${i}`, 10000);
      from.client.sendMessage({ to: to.bare, body: `m${i}` });
      await arrived;
    }
    const p1 = await erin.client.history(frank.bare, { max: 3 });
    assert.deepEqual(p1.messages.map((m) => m.body), ['m5', 'm6', 'm7'], 'XEP-0059 §2.5: the latest page');
    assert.equal(p1.complete, false);
    assert.ok(p1.messages.every((m) => m.archived === true && m.stanzaId && m.delay), 'XEP-0313 §5: archived, with id and time');
    assert.deepEqual(p1.messages.map((m) => !!m.outgoing), [true, false, true], 'what erin sent is hers');
    const p2 = await erin.client.history(frank.bare, { max: 3, before: p1.first });
    assert.deepEqual(p2.messages.map((m) => m.body), ['m2', 'm3', 'm4'], 'XEP-0059 §2.5: the page before');
    const p3 = await erin.client.history(frank.bare, { max: 3, before: p2.first });
    assert.deepEqual(p3.messages.map((m) => m.body), ['m1']);
    assert.equal(p3.complete, true, 'XEP-0313 §5.4.3: the end of history');
    assert.ok(!erin.of('message').some((m) => m.archived), 'history pages are not live message events');
    assert.throws(() => erin.client.history(frank.bare, { max: 0 }), TypeError);
  } finally {
    await offline(erin, frank);
  }
});

// --- group chat (XEP-0045) ---------------------------------------------------------

test('XEP-0045 §7: join (a new instant room), subject, messages, occupants with role and affiliation, history on join, leave', async () => {
  const alice = await online('alice');
  const bob = await online('bob');
  const room = `plans@${MUC}`;
  try {
    const joined = await alice.client.join(room, { nick: 'Alice' });
    assert.deepEqual(joined, { room, nick: 'Alice', role: 'moderator', affiliation: 'owner' }, 'XEP-0045 §10.1: the creator owns it');
    const subject = waitFor(alice.client, 'roomSubject', (s) => s.subject === 'Friday', 10000);
    alice.client.sendMessage({ to: room, type: 'groupchat', subject: 'Friday' });
    assert.equal((await subject).by, 'Alice', 'XEP-0045 §8.1: the subject and who set it');
    const echo = waitFor(alice.client, 'message', (m) => m.body === 'before bob' && m.room === room, 10000);
    alice.client.sendMessage({ to: room, type: 'groupchat', body: 'before bob' });
    const own = await echo;
    assert.equal(own.nick, 'Alice');
    assert.equal(own.outgoing, true, 'the room\'s copy of ours is ours');

    const seesBob = waitFor(alice.client, 'occupant', (o) => o.nick === 'Bob' && o.available, 10000);
    const bobSeesSubject = waitFor(bob.client, 'roomSubject', (s) => s.room === room, 10000);
    const joinedB = await bob.client.join(room, { nick: 'Bob', history: 10 });
    assert.equal(joinedB.role, 'participant', 'XEP-0045 §5.1: a visitor to an open room takes part');
    const o = await seesBob;
    assert.equal(o.jid, bob.jid, 'XEP-0045 §7.2.3: a non-anonymous room tells the owner who joined');
    assert.equal((await bobSeesSubject).subject, 'Friday', 'XEP-0045 §7.2.15: the subject on join');
    const hist = bob.of('message').find((m) => m.body === 'before bob');
    assert.ok(hist && hist.room === room && hist.nick === 'Alice' && hist.delay, 'XEP-0045 §7.2.14: history on join, with its time');
    assert.ok(!hist.outgoing, 'not bob\'s');
    const rooms = bob.client.rooms;
    assert.deepEqual(rooms.map((r) => r.jid), [room]);
    assert.deepEqual(rooms[0].occupants.map((x) => `${x.nick}:${x.role}:${x.affiliation}`).sort(),
      ['Alice:moderator:owner', 'Bob:participant:none'], 'XEP-0045 §7.2.2: occupants with role and affiliation');

    const hi = waitFor(alice.client, 'message', (m) => m.body === 'hi all' && m.room === room, 10000);
    bob.client.sendMessage({ to: room, type: 'groupchat', body: 'hi all' });
    assert.equal((await hi).nick, 'Bob', 'XEP-0045 §7.4');

    const bobGone = waitFor(alice.client, 'occupant', (x) => x.nick === 'Bob' && !x.available, 10000);
    const left = waitFor(bob.client, 'roomLeft', (x) => x.room === room, 10000);
    bob.client.leave(room);
    await left;
    await bobGone;
    assert.deepEqual(bob.client.rooms, [], 'XEP-0045 §7.14: left');
    assert.deepEqual(alice.client.rooms[0].occupants.map((x) => x.nick), ['Alice']);
  } finally {
    await offline(alice, bob);
  }
});

test('XEP-0045 §7.2.6-§7.2.9: nickname taken, members-only, wrong password and banned are clear errors; the right password joins', async () => {
  const alice = await online('alice');
  const carol = await online('carol');
  try {
    await alice.client.join(`open@${MUC}`, { nick: 'Alice' });
    await assert.rejects(carol.client.join(`open@${MUC}`, { nick: 'Alice' }), (e) => e.condition === 'conflict' && e.room === `open@${MUC}`,
      'XEP-0045 §7.2.9: nickname taken');
    // mod_muc_admin takes the options as JSON name/value pairs.
    await server.ctl('create_room_with_opts', 'club', MUC, 'localhost', '[{"name":"members_only","value":"true"}]');
    await assert.rejects(carol.client.join(`club@${MUC}`, { nick: 'Carol' }), (e) => e.condition === 'registration-required',
      'XEP-0045 §7.2.7: members only');
    await server.ctl('create_room_with_opts', 'vault', MUC, 'localhost',
      '[{"name":"password_protected","value":"true"},{"name":"password","value":"sesame"}]');
    await assert.rejects(carol.client.join(`vault@${MUC}`, { nick: 'Carol', password: 'guess' }), (e) => e.condition === 'not-authorized',
      'XEP-0045 §7.2.6: wrong password');
    const inVault = await carol.client.join(`vault@${MUC}`, { nick: 'Carol', password: 'sesame' });
    assert.equal(inVault.room, `vault@${MUC}`, 'XEP-0045 §7.2.6: the right password');
    await server.ctl('create_room', 'bar', MUC, 'localhost');
    await server.ctl('set_room_affiliation', 'bar', MUC, 'carol@localhost', 'outcast');
    await assert.rejects(carol.client.join(`bar@${MUC}`, { nick: 'Carol' }), (e) => e.condition === 'forbidden',
      'XEP-0045 §7.2.8: banned');
    assert.deepEqual(carol.client.rooms.map((r) => r.jid), [`vault@${MUC}`], 'failed joins leave no room behind');
    assert.throws(() => carol.client.join(`vault@${MUC}`, { nick: 'Other' }), (e) => e.condition === 'bad-request',
      'already in the room under another nickname');
  } finally {
    await offline(alice, carol);
  }
});

// --- discovery and capabilities (XEP-0030, XEP-0115), blocking, extensions --------------

test('XEP-0030 + XEP-0115: our identity and features answered; the caps hash in our presence is theirs; an unknown IQ gets service-unavailable (RFC 6120 §8.4)', async () => {
  const alice = await online('alice');
  const bob = await online('bob');
  try {
    await befriend(alice, bob);
    const info = await bob.client.discoInfo(alice.jid);
    assert.deepEqual(info.identities, [{ category: 'client', type: 'web', name: 'xmpp-wasm' }], 'XEP-0030 §3.1');
    for (const f of ['http://jabber.org/protocol/disco#info', 'urn:xmpp:receipts', 'urn:xmpp:chat-markers:0',
      'http://jabber.org/protocol/chatstates', 'http://jabber.org/protocol/muc', 'urn:xmpp:carbons:2']) {
      assert.ok(info.features.includes(f), `XEP-0030 §3.1: ${f} advertised`);
    }
    // XEP-0115 §5.1, computed here from what alice answered.
    const S = `client/web//xmpp-wasm<${[...info.features].sort().join('<')}<`;
    const ver = createHash('sha1').update(S).digest('base64');
    const p = bob.client.presenceOf(alice.bare).resources[0];
    assert.equal(p.capsVer, ver, 'XEP-0115 §5.1: our presence\'s ver is the hash of what disco says');
    assert.equal(p.capsNode, 'https://xmpp-wasm.dev');
    const node = await bob.client.discoInfo(alice.jid, { node: `${p.capsNode}#${p.capsVer}` });
    assert.deepEqual(node.features, info.features, 'XEP-0115 §6.2: the node#ver query answers the same');

    const answer = await malloryAsks(`<iq xmlns='jabber:client' type='get' id='unknown1' to='${alice.jid}'><query xmlns='urn:example:nothing'/></iq>`,
      /id='unknown1'/);
    assert.match(answer, /type='error'[^>]*id='unknown1'|id='unknown1'[^>]*type='error'/, 'RFC 6120 §8.4: an error');
    assert.match(answer, /<service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'\/>/);
  } finally {
    await offline(alice, bob);
  }
});

test('XEP-0191: block, list, unblock; a blocked user\'s messages do not arrive', async () => {
  const alice = await online('alice');
  try {
    await alice.client.block('mallory@localhost');
    assert.deepEqual(await alice.client.blocklist(), ['mallory@localhost'], 'XEP-0191 §3.2');
    const pushed = alice.of('blocklist');
    assert.deepEqual(pushed.at(-1), { blocked: ['mallory@localhost'], unblocked: [] }, 'XEP-0191 §3.3: the server\'s push');
    const bounce = await malloryAsks(`<message xmlns='jabber:client' to='${alice.jid}' type='chat' id='blk1'><body>let me in</body></message>`,
      /id='blk1'/);
    assert.match(bounce, /type='error'/, 'XEP-0191 §3.5: bounced back to mallory');
    await alice.client.unblock(['mallory@localhost']);
    assert.deepEqual(await alice.client.blocklist(), []);
    const through = waitFor(alice.client, 'message', (m) => m.body === 'now?', 10000);
    await mallory.send(`<message xmlns='jabber:client' to='${alice.jid}' type='chat'><body>now?</body></message>`);
    await through;
    assert.ok(!alice.of('message').some((m) => m.body === 'let me in'), 'XEP-0191 §3.5: nothing while blocked');
  } finally {
    await alice.client.unblock().catch(() => {}); // the tests after need mallory heard
    await offline(alice);
  }
});

test('extensions: a handler by element and namespace gets a stanza the core does not know; sendRaw sends one', async () => {
  const alice = await online('alice');
  const bob = await online('bob');
  try {
    const got = new Promise((resolve) => bob.client.addHandler({ name: 'message', child: 'poke', childNs: 'urn:example:poke' }, resolve));
    alice.client.sendRaw(`<message to='${bob.jid}'><poke xmlns='urn:example:poke' times='3'/></message>`);
    const { xml } = await got;
    assert.match(xml, /<poke xmlns='urn:example:poke' times='3'\/>/);
    assert.throws(() => alice.client.sendRaw('<message><unclosed></message>'), (e) => e.condition === 'not-well-formed');
  } finally {
    await offline(alice, bob);
  }
});

// --- forgery never reaches the app (mallory forges it through ejabberd) ---------------

test('every IM parser takes odd and forged input from a third user through ejabberd: the session stays, nothing is confused, the next message arrives', async () => {
  const alice = await online('alice');
  try {
    const to = alice.jid;
    const before = { roster: JSON.stringify(alice.client.roster), blocklist: await alice.client.blocklist() };
    const next = waitFor(alice.client, 'message', (m) => m.body === 'still there?', 10000, 'the message after');
    const answer = await malloryAsks(
      // XEP-0191 §3.3: a blocking push from someone else.
      `<iq xmlns='jabber:client' type='set' id='evil-block' to='${to}'><unblock xmlns='urn:xmpp:blocking'/></iq>` +
      // RFC 6121 §4.7.2.3 and XEP-0115: a priority that is no number, caps with odd values.
      `<presence xmlns='jabber:client' to='${to}'><priority>lots</priority><show>sleeping</show>` +
      `<c xmlns='http://jabber.org/protocol/caps' hash='md5' node='' ver='${'v'.repeat(2000)}'/></presence>` +
      // XEP-0045: a muc#user presence claiming to be us (110) in a room we are not in.
      `<presence xmlns='jabber:client' to='${to}'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='owner' role='moderator'/>` +
      `<status code='110'/><status code='201'/></x></presence>` +
      // XEP-0184, XEP-0333, XEP-0085 with no ids and an unknown state.
      `<message xmlns='jabber:client' to='${to}' type='chat'><received xmlns='urn:xmpp:receipts'/><displayed xmlns='urn:xmpp:chat-markers:0'/>` +
      `<sleeping xmlns='http://jabber.org/protocol/chatstates'/></message>` +
      // XEP-0313: a result with no queryid; a forwarded in a forwarded.
      `<message xmlns='jabber:client' to='${to}'><result xmlns='urn:xmpp:mam:2' id='x'/></message>` +
      `<message xmlns='jabber:client' to='${to}'><forwarded xmlns='urn:xmpp:forward:0'><forwarded xmlns='urn:xmpp:forward:0'/></forwarded></message>` +
      // XEP-0030: our disco#info at a node we do not have.
      `<iq xmlns='jabber:client' type='get' id='evil-disco' to='${to}'><query xmlns='http://jabber.org/protocol/disco#info' node='nope#x'/></iq>` +
      `<message xmlns='jabber:client' to='${to}' type='chat'><body>still there?</body></message>`,
      /id='evil-disco'[\s\S]*id='evil-block'|id='evil-block'[\s\S]*id='evil-disco'/);
    await next;
    assert.match(answer, /<iq [^>]*id='evil-block'[^>]*type='error'|<iq [^>]*type='error'[^>]*id='evil-block'/, 'XEP-0191: the forged push refused');
    assert.match(answer, /<iq [^>]*id='evil-disco'/, 'XEP-0030: the disco query answered');
    assert.ok(alice.of('error').some((e) => e.condition === 'spoofed-blocklist-push'), 'the forged push told');
    assert.ok(!alice.of('blocklist').length, 'no blocklist event');
    assert.deepEqual(await alice.client.blocklist(), before.blocklist, 'the blocklist unchanged');
    assert.equal(JSON.stringify(alice.client.roster), before.roster, 'the roster unchanged');
    assert.ok(!alice.of('occupant').length && !alice.of('roomJoined').length, 'no room from a presence claiming one');
    assert.deepEqual(alice.client.rooms, []);
    const p = alice.client.presenceOf('mallory@localhost').best;
    assert.equal(p?.priority, 0, 'RFC 6121 §4.7.2.3: not a number: 0');
    assert.ok(!alice.of('receipt').length && !alice.of('marker').length, 'no receipt or marker without an id');
    assert.deepEqual(alice.of('status').map((e) => e.status), ['connecting', 'online'], 'the session never dropped');
  } finally {
    await offline(alice);
  }
});

test('RFC 6121 §2.1.6 (CVE-2015-8688 class): a roster push from another user is ignored and answered with an error', async () => {
  const alice = await online('alice');
  try {
    const before = JSON.stringify(alice.client.roster);
    const dropped = waitFor(alice.client, 'error', (e) => e.condition === 'spoofed-roster-push', 10000);
    const answer = await malloryAsks(`<iq xmlns='jabber:client' type='set' id='push-evil' to='${alice.jid}'><query xmlns='jabber:iq:roster'>` +
      `<item jid='mallory@localhost' name='Your bank' subscription='both'/></query></iq>`, /id='push-evil'/);
    await dropped;
    assert.match(answer, /type='error'/, 'answered with an error');
    await sleep(300);
    assert.equal(JSON.stringify(alice.client.roster), before, 'the roster is unchanged');
    assert.ok(!alice.of('roster').some((r) => r.items.some((i) => i.jid === 'mallory@localhost')), 'no roster event');
  } finally {
    await offline(alice);
  }
});

test('XEP-0280 §11 (CVE-2017-5589 class): carbon copies from another user are ignored', async () => {
  const alice = await online('alice');
  try {
    const forged = (dir, body) => `<message xmlns='jabber:client' to='${alice.jid}' type='chat'><${dir} xmlns='urn:xmpp:carbons:2'>` +
      `<forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client' type='chat' from='${dir === 'sent' ? alice.jid : 'bob@localhost/x'}' ` +
      `to='${dir === 'sent' ? 'mallory@localhost' : alice.bare}'><body>${body}</body></message></forwarded></${dir}></message>`;
    const marker = waitFor(alice.client, 'message', (m) => m.body === 'marker', 10000);
    await mallory.send(forged('received', 'bob says: send money') + forged('sent', 'I promise to pay') +
      `<message xmlns='jabber:client' to='${alice.jid}' type='chat'><body>marker</body></message>`);
    await marker;
    assert.equal(alice.of('error').filter((e) => e.condition === 'spoofed-carbon').length, 2, 'both dropped, each told');
    assert.ok(!alice.of('message').some((m) => /money|promise/.test(m.body ?? '')), 'neither reached the app');
  } finally {
    await offline(alice);
  }
});

test('XEP-0313 §9.2 (CVE-2019-16237 class): archive results outside a query, with an unknown queryid, or from anyone but the archive asked are ignored', async () => {
  const proxy = await startWatchProxy(server.boshUrl);
  // No stream management: no <r/> from the server answers the long-poll
  // that must carry mallory's forgery (see below).
  const alice = await online('alice', { service: proxy.url, streamManagement: false });
  try {
    const result = (qid, body) => `<message xmlns='jabber:client' to='${alice.jid}'><result xmlns='urn:xmpp:mam:2' queryid='${qid}' id='f-${qid}'>` +
      `<forwarded xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:delay' stamp='2020-01-01T00:00:00Z'/>` +
      `<message xmlns='jabber:client' from='bob@localhost/x' to='${alice.bare}' type='chat'><body>${body}</body></message></forwarded></result></message>`;
    // No query open.
    let dropped = waitFor(alice.client, 'error', (e) => e.condition === 'spoofed-archive-result', 10000, 'the first drop');
    await mallory.send(result('none-open', 'outside any query'));
    await dropped;
    // A query held back on its way to the server: open, not yet answered.
    // alice's idle long-poll, at the server, is what carries the forgery
    // meanwhile (the server answers requests in order: none after the held
    // one): one forgery per held query.
    for (const [forgery, what, why] of [[() => result('not-the-query', 'unknown queryid'), 'an unknown queryid', /answers no query/],
      [(qid) => result(qid, 'the right queryid, from mallory'), 'the open query\'s id, from mallory', /not from the archive asked/]]) {
      await proxy.idle();
      const hold = proxy.holdNext(/urn:xmpp:mam:2/);
      const page = alice.client.history('bob@localhost', { max: 5 });
      const qid = /queryid='([^']+)'/.exec(await hold.seen)[1];
      dropped = waitFor(alice.client, 'error', (e) => e.condition === 'spoofed-archive-result', 10000, `the drop of ${what}`);
      await mallory.send(forgery(qid));
      assert.match((await dropped).text, why, `${what}: dropped for the right reason`);
      hold.release();
      const { messages } = await page;
      assert.ok(!messages.some((m) => /queryid|query/.test(m.body ?? '')), `${what}: not in the page`);
    }
    assert.ok(!alice.of('message').some((m) => /queryid|query/.test(m.body ?? '')), 'none as messages');
  } finally {
    await offline(alice);
    await proxy.close();
  }
});

test('RFC 6120 §8.1.2.1: an IQ answer from anyone but the entity asked does not answer the request (a spoofed ping answer)', async () => {
  const proxy = await startWatchProxy(server.boshUrl);
  const alice = await online('alice', { service: proxy.url });
  // oscar's session reads its pings but does not answer them by itself.
  const oscar = await rawBoshLogin(server.boshUrl, { user: 'oscar', password: 'oscar-pw', resource: 'slow' });
  try {
    const ping = alice.client.ping({ to: oscar.jid, timeoutMs: 20000 });
    let settled = false;
    ping.then(() => { settled = true; }, () => { settled = true; });
    // The id of the ping to oscar, from what alice sent.
    const pingTo = new RegExp(`<iq [^>]*to='${escapeRe(oscar.jid)}'[^>]*><ping xmlns='urn:xmpp:ping'/>`);
    const asked = pingTo.exec(await proxy.waitForBody(pingTo))[0];
    const id = /id='([^']+)'/.exec(asked)?.[1];
    assert.ok(id, `the ping's id: ${asked}`);
    const dropped = waitFor(alice.client, 'error', (e) => e.condition === 'spoofed-iq', 10000);
    await mallory.send(`<iq xmlns='jabber:client' type='result' id='${id}' to='${alice.jid}'/>`);
    await dropped;
    await sleep(300);
    assert.equal(settled, false, 'mallory\'s answer did not settle the ping');
    await oscar.send(`<iq xmlns='jabber:client' type='result' id='${id}' to='${alice.jid}'/>`);
    assert.equal(typeof await ping, 'number', 'the real answer does');
  } finally {
    await oscar.close();
    await offline(alice);
    await proxy.close();
  }
});

test('XEP-0045 §7.4: a groupchat message, a subject and an occupant presence from outside a room are ignored', async () => {
  const alice = await online('alice');
  try {
    const room = `club2@${MUC}`;
    await alice.client.join(room, { nick: 'Alice' });
    const marker = waitFor(alice.client, 'message', (m) => m.body === 'marker', 10000);
    await mallory.send(`<message xmlns='jabber:client' to='${alice.jid}' type='groupchat' id='g1'><body>I am the room</body></message>` +
      `<message xmlns='jabber:client' to='${alice.jid}' type='groupchat' id='g2'><subject>Pwned</subject></message>` +
      `<presence xmlns='jabber:client' to='${alice.jid}'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='owner' role='moderator'/></x></presence>` +
      `<message xmlns='jabber:client' to='${alice.jid}' type='chat'><body>marker</body></message>`);
    await marker;
    await sleep(200);
    assert.equal(alice.of('error').filter((e) => e.condition === 'spoofed-groupchat').length, 2, 'both groupchat stanzas dropped, each told');
    assert.ok(!alice.of('message').some((m) => m.body === 'I am the room'));
    assert.ok(!alice.of('roomSubject').some((s) => s.subject === 'Pwned'));
    assert.ok(!alice.of('occupant').some((o) => o.nick === undefined || o.jid === 'mallory@localhost' || o.room !== room),
      'no occupant outside the room');
    assert.deepEqual(alice.client.rooms.map((r) => r.jid), [room]);
    assert.deepEqual(alice.client.rooms[0].occupants.map((o) => o.nick), ['Alice']);
  } finally {
    await offline(alice);
  }
});

test('XEP-0280 §11: a message claiming our own bare JID that is not a carbon from our server is not shown as ours', async () => {
  const alice = await online('alice');
  try {
    // ejabberd refuses a 'from' that is not the sender's own (RFC 6120 §8.1.2.1): the stream ends.
    await assert.rejects(mallory.send(`<message xmlns='jabber:client' from='${alice.bare}' to='${alice.jid}' type='chat'><body>I am you</body></message>`),
      /invalid-from/, 'RFC 6120 §4.9.3.9: the server stops the forged from');
    mallory = await rawBoshLogin(server.boshUrl, { user: 'mallory', password: 'mallory-pw' });
    // A message whose forwarded inner message is from us, without the carbon wrapper.
    const got = waitFor(alice.client, 'message', (m) => m.from === mallory.jid, 10000);
    await mallory.send(`<message xmlns='jabber:client' to='${alice.jid}' type='chat'><body>you said so</body><forwarded xmlns='urn:xmpp:forward:0'>` +
      `<message xmlns='jabber:client' from='${alice.jid}' to='mallory@localhost' type='chat'><body>I owe mallory</body></message></forwarded></message>`);
    const m = await got;
    assert.equal(m.body, 'you said so', 'the outer message is mallory\'s');
    assert.ok(!m.outgoing && !m.carbon, 'not ours');
    await sleep(300);
    assert.ok(!alice.of('message').some((e) => e.body === 'I owe mallory' || e.outgoing), 'nothing shown as ours');
    assert.ok(!alice.of('message').some((e) => e.body === 'I am you'), 'the refused one never came');
  } finally {
    await offline(alice);
  }
});
