// im-browser.test.mjs: the central flows of the instant-messaging layer in
// real headless Chromium against the real ejabberd: roster with presence,
// chat with typing and receipts, history paging, a room; then a reload
// that carries the roster and the room over to the next page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEjabberd } from '../support/ejabberd.mjs';
import { startStaticServer } from '../support/static-server.mjs';
import { launchBrowser, openPackagePage } from '../support/browser.mjs';
import { createClient } from '../../dist/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let server;
let web;
let browser;
let page;

before(async () => {
  server = await startEjabberd({ mam: true, muc: true, im: true });
  await Promise.all(['alice', 'bob', 'carol'].map((u) => server.register(u, `${u}-pw`)));
  web = await startStaticServer(root);
  browser = await launchBrowser();
  page = await openPackagePage(browser, web.url);
});

after(async () => {
  await browser?.close();
  await web?.close();
  await server?.stop();
});

test('Chromium: roster with presence, chat with typing and receipts, history paging, a room', async () => {
  const r = await page.evaluate(async ({ service }) => {
    const { createClient } = window.xmpp;
    const next = (c, name, pred = () => true) => new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${name}`)), 10000);
      const fn = (e) => {
        if (!pred(e)) return;
        clearTimeout(timer);
        c.off(name, fn);
        resolve(e);
      };
      c.on(name, fn);
    });
    const alice = createClient({ service, jid: 'alice@localhost', password: 'alice-pw' });
    const bob = createClient({ service, jid: 'bob@localhost', password: 'bob-pw' });
    await Promise.all([alice.connect(), bob.connect()]);
    const out = {};
    // Roster and mutual subscription (RFC 6121 §2, §3), then presence.
    await alice.addContact('bob@localhost', { name: 'Bob', groups: ['Friends'] });
    for (const [x, y, xb, yb] of [[alice, bob, 'alice@localhost', 'bob@localhost'], [bob, alice, 'bob@localhost', 'alice@localhost']]) {
      const asked = next(y, 'presence', (p) => p.type === 'subscribe' && p.from === xb);
      x.subscribe(yb);
      await asked;
      y.approve(xb);
    }
    const both = () => alice.roster.some((i) => i.jid === 'bob@localhost' && i.subscription === 'both');
    if (!both()) await next(alice, 'roster', both);
    const seesBob = next(alice, 'presence', (p) => p.from === bob.jid && p.show === 'chat');
    bob.setPresence({ show: 'chat', status: 'here' });
    await seesBob;
    out.roster = alice.roster;
    out.best = alice.presenceOf('bob@localhost').best;
    // Typing and a receipt (XEP-0085, XEP-0184).
    const typing = next(bob, 'chatState', (s) => s.state === 'composing');
    alice.sendChatState('bob@localhost', 'composing');
    out.typing = (await typing).from === alice.jid;
    const got = next(bob, 'message', (m) => m.body === 'hello from Chromium');
    const id = alice.sendMessage({ to: 'bob@localhost', body: 'hello from Chromium' });
    const receipt = await next(alice, 'receipt', (x) => x.id === id);
    out.receiptFrom = receipt.from === bob.jid;
    out.gotFrom = (await got).from === alice.jid;
    // History paging (XEP-0313, XEP-0059).
    for (let i = 1; i <= 4; i++) {
      const arrived = next(alice, 'message', (m) => m.body === `p${i}`);
      bob.sendMessage({ to: 'alice@localhost', body: `p${i}` });
      await arrived;
    }
    const p1 = await alice.history('bob@localhost', { max: 3 });
    const p2 = await alice.history('bob@localhost', { max: 3, before: p1.first });
    out.pages = [p1.messages.map((m) => m.body), p1.complete, p2.messages.map((m) => m.body), p2.complete];
    // A room (XEP-0045).
    const room = 'chromium@conference.localhost';
    out.joined = await alice.join(room, { nick: 'Alice' });
    const seen = next(alice, 'message', (m) => m.room === room && m.nick === 'Bob');
    await bob.join(room, { nick: 'Bob' });
    bob.sendMessage({ to: room, type: 'groupchat', body: 'hi from Bob' });
    out.roomMessage = (await seen).body;
    out.occupants = alice.rooms[0].occupants.map((o) => o.nick).sort();
    await Promise.all([alice.disconnect(), bob.disconnect()]);
    return out;
  }, { service: server.boshUrl });
  assert.deepEqual(r.roster, [{ jid: 'bob@localhost', name: 'Bob', subscription: 'both', groups: ['Friends'] }], 'RFC 6121 §2');
  assert.equal(r.best.show, 'chat', 'RFC 6121 §4: the best presence');
  assert.equal(r.best.status, 'here');
  assert.ok(r.typing, 'XEP-0085');
  assert.ok(r.receiptFrom && r.gotFrom, 'XEP-0184');
  assert.deepEqual(r.pages, [['p2', 'p3', 'p4'], false, ['hello from Chromium', 'p1'], true], 'XEP-0313 + XEP-0059: two pages to the end');
  assert.deepEqual(r.joined, { room: 'chromium@conference.localhost', nick: 'Alice', role: 'moderator', affiliation: 'owner' });
  assert.equal(r.roomMessage, 'hi from Bob');
  assert.deepEqual(r.occupants, ['Alice', 'Bob']);
});

test('Chromium reload: the next page hears the roster and the room the last one had, and the room goes on', async () => {
  const tab = await browser.newPage();
  const q = new URLSearchParams({ service: server.boshUrl, jid: 'carol@localhost', password: 'carol-pw', room: 'reload@conference.localhost', nick: 'Carol' });
  await tab.goto(`${web.url}/tests/integration/pages/resume.html?${q}`);
  const stored = (key) => tab.evaluate((k) => JSON.parse(sessionStorage.getItem(k) ?? '[]'), key).catch(() => []);
  const until = async (cond, what) => {
    const deadline = Date.now() + 15000;
    while (!(await cond())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((res) => setTimeout(res, 50));
    }
  };
  const alice = createClient({ service: server.boshUrl, jid: 'alice@localhost', password: 'alice-pw' });
  try {
    await until(async () => (await stored('roomsJoined')).length === 1, 'carol in the room');
    await tab.evaluate(() => window.client.addContact('alice@localhost', { name: 'Alice' }));
    await until(async () => (await stored('rosters')).some((x) => x.jids.includes('alice@localhost')), 'the roster push');
    const version = (await stored('rosters')).at(-1).version;
    await tab.reload({ waitUntil: 'commit' });
    await until(async () => (await stored('onlines')).length === 2, 'the reloaded page online');
    const onlines = await stored('onlines');
    assert.equal(onlines[1].resumed, true, 'the session carried on');
    const rosters = await stored('rosters');
    assert.deepEqual(rosters.at(-1), { full: true, version, jids: ['alice@localhost'] },
      'RFC 6121 §2.6: the next page hears the whole roster, at the version kept');
    const rooms = await stored('roomsJoined');
    assert.equal(rooms.length, 2);
    assert.deepEqual(rooms[1], { room: 'reload@conference.localhost', nick: 'Carol', role: 'moderator', affiliation: 'owner', restored: true },
      'XEP-0045: the next page hears it is in the room');
    await alice.connect();
    await alice.join('reload@conference.localhost', { nick: 'Alice' });
    alice.sendMessage({ to: 'reload@conference.localhost', type: 'groupchat', body: 'after your reload' });
    await until(async () => (await stored('transcript')).includes('after your reload'), 'the room message on the new page');
  } finally {
    await alice.disconnect().catch(() => {});
    await tab.close();
  }
});
