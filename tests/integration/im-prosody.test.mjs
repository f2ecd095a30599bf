// im-prosody.test.mjs: the central flows of the instant-messaging layer
// against Debian's Prosody (BOSH at /http-bind), which many deployments
// run instead of ejabberd: roster with presence, chat with typing and
// receipts, history paging, a room. Prosody is started with the modules
// its shipped config leaves commented out (mam, bosh, a muc component):
// see tests/support/prosody.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startProsody } from '../support/prosody.mjs';
import { waitFor } from '../support/wait.mjs';
import { createClient } from '../../dist/index.js';

let server;
let alice;
let bob;

before(async () => {
  server = await startProsody({ im: true });
  await Promise.all(['alice', 'bob'].map((u) => server.register(u, `${u}-pw`)));
  const make = (u) => createClient({ service: server.boshUrl, jid: `${u}@localhost`, password: `${u}-pw` });
  [alice, bob] = [make('alice'), make('bob')];
  await Promise.all([alice.connect(), bob.connect()]);
});

after(async () => {
  await Promise.all([alice?.disconnect(), bob?.disconnect()]);
  await server?.stop();
});

test('Prosody, RFC 6121 §2-§4: roster add and mutual subscription, with each other\'s presence per resource', async () => {
  await alice.addContact('bob@localhost', { name: 'Bob', groups: ['Friends'] });
  for (const [x, y] of [[alice, bob], [bob, alice]]) {
    const asked = waitFor(y, 'presence', (p) => p.type === 'subscribe' && p.from === x.jid.split('/')[0], 10000);
    x.subscribe(y.jid.split('/')[0]);
    await asked;
    y.approve(x.jid.split('/')[0]);
  }
  const both = () => alice.roster.find((i) => i.jid === 'bob@localhost')?.subscription === 'both';
  if (!both()) await waitFor(alice, 'roster', both, 10000, 'subscription both');
  assert.deepEqual(alice.roster.find((i) => i.jid === 'bob@localhost'),
    { jid: 'bob@localhost', name: 'Bob', subscription: 'both', groups: ['Friends'] });
  const away = waitFor(alice, 'presence', (p) => p.from === bob.jid && p.show === 'away', 10000);
  bob.setPresence({ show: 'away', status: 'coffee' });
  const p = await away;
  assert.equal(p.contact.best.resource, bob.jid.split('/')[1], 'RFC 6121 §4: the best presence');
  assert.equal(alice.presenceOf('bob@localhost').best.status, 'coffee');
  assert.match(alice.presenceOf('bob@localhost').best.capsVer, /^[A-Za-z0-9+/]{27}=$/, 'XEP-0115: our caps travel through Prosody');
});

test('Prosody, XEP-0184 + XEP-0085: chat with typing and a receipt', async () => {
  const typing = waitFor(bob, 'chatState', (s) => s.from === alice.jid && s.state === 'composing', 10000);
  alice.sendChatState('bob@localhost', 'composing');
  await typing;
  const got = waitFor(bob, 'message', (m) => m.body === 'hi from alice', 10000);
  const id = alice.sendMessage({ to: 'bob@localhost', body: 'hi from alice' });
  const receipt = waitFor(alice, 'receipt', (r) => r.id === id, 10000, 'the receipt');
  const m = await got;
  assert.equal(m.from, alice.jid);
  assert.equal(m.receiptRequested, true);
  assert.equal((await receipt).from, bob.jid, 'XEP-0184 §5.4');
});

test('Prosody, XEP-0313 + XEP-0059: history pages newest first to the end, receipts in the archive not counted as messages', async () => {
  for (let i = 1; i <= 5; i++) {
    const arrived = waitFor(alice, 'message', (m) => m.body === `h${i}`, 10000);
    bob.sendMessage({ to: 'alice@localhost', body: `h${i}` });
    await arrived;
  }
  const p1 = await alice.history('bob@localhost', { max: 3 });
  assert.deepEqual(p1.messages.map((m) => m.body), ['h3', 'h4', 'h5'], 'the latest page, filled past the receipts Prosody archives');
  assert.equal(p1.complete, false);
  assert.ok(p1.messages.every((m) => m.archived && m.stanzaId));
  const p2 = await alice.history('bob@localhost', { max: 3, before: p1.first });
  assert.deepEqual(p2.messages.map((m) => m.body), ['hi from alice', 'h1', 'h2']);
  assert.deepEqual(p2.messages.map((m) => !!m.outgoing), [true, false, false], 'alice\'s own, from her archive');
  const p3 = await alice.history('bob@localhost', { max: 3, before: p2.first });
  assert.deepEqual(p3.messages, []);
  assert.equal(p3.complete, true, 'XEP-0313 §5.4.3: the end');
});

test('Prosody, XEP-0045: a room: join, occupants, messages, history on join and from the room\'s archive, leave', async () => {
  const room = 'tea@conference.localhost';
  const joined = await alice.join(room, { nick: 'Alice' });
  assert.equal(joined.affiliation, 'owner', 'XEP-0045 §10.1: created, an instant room');
  const echo = waitFor(alice, 'message', (m) => m.room === room && m.body === 'first!', 10000);
  alice.sendMessage({ to: room, type: 'groupchat', body: 'first!' });
  assert.equal((await echo).outgoing, true);
  const history = waitFor(bob, 'message', (m) => m.room === room && m.body === 'first!', 10000, 'history on join');
  const joinedB = await bob.join(room, { nick: 'Bob', history: 5 });
  assert.equal(joinedB.role, 'participant');
  const h = await history;
  assert.ok(h.delay && h.nick === 'Alice' && !h.outgoing, 'XEP-0045 §7.2.14: history on join, with its time');
  assert.ok(bob.rooms[0].occupants.some((o) => o.nick === 'Alice' && o.role === 'moderator'), 'XEP-0045 §7.2.3: occupants');
  const hi = waitFor(alice, 'message', (m) => m.room === room && m.nick === 'Bob', 10000);
  bob.sendMessage({ to: room, type: 'groupchat', body: 'hello tea' });
  assert.equal((await hi).body, 'hello tea');
  const archived = await bob.history(room, { max: 10 });
  assert.deepEqual(archived.messages.map((m) => `${m.nick}:${m.body}`), ['Alice:first!', 'Bob:hello tea'], 'XEP-0313 §6: the room\'s archive');
  assert.throws(() => alice.join(room, { nick: 'Other' }), (e) => e.condition === 'bad-request', 'already in it under another nickname');
  const left = waitFor(bob, 'roomLeft', (e) => e.room === room, 10000);
  bob.leave(room);
  await left;
  assert.deepEqual(bob.rooms, []);
});
