// widget.test.mjs: the <xmpp-chat> element as people use it, in headless
// Chromium against the real ejabberd (archive, rooms, carbons, blocking on):
// two pages, alice and bob, sign in with the element's form and chat with
// typing and ticks; one reloads mid-conversation and carries on; history
// comes back on scroll up; a room; blocking; a network blackout shown in
// the banner; a hostile user's markup everywhere it can put text, shown as
// text; axe-core on every view; screenshots (light, dark, 360 px) saved
// under build/test-output/screenshots/ for a person to look at.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEjabberd } from '../support/ejabberd.mjs';
import { startStaticServer } from '../support/static-server.mjs';
import { startFaultProxy } from '../support/fault-proxy.mjs';
import { launchBrowser } from '../support/browser.mjs';
import { createClient } from '../../dist/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const shots = path.join(root, 'build/test-output/screenshots');
const ROOM = 'lobby@conference.localhost';
const SEEDED = 150; // carol's archived messages to alice, for history paging

let server;
let web;
let browser;
let proxy;
const pages = {};
const pageErrors = [];

// Markup a hostile user puts wherever text of theirs is shown: each payload
// that runs pushes to window.__xss (set up before the page's own scripts).
const XSS = [
  '<img src=x onerror="window.__xss.push(\'img\')">',
  '<svg onload="window.__xss.push(\'svg\')"></svg>',
  '<script>window.__xss.push("script")</script>',
  'javascript:window.__xss.push("js-link")',
  'data:text/html,<script>window.__xss.push("data-link")</script>',
  '<a href="javascript:window.__xss.push(\'a\')">click</a>',
];

before(async () => {
  mkdirSync(shots, { recursive: true });
  server = await startEjabberd({ mam: true, muc: true, im: true });
  await Promise.all(['alice', 'bob', 'carol', 'mallory'].map((u) => server.register(u, `${u}-pw`)));
  // Contacts both ways (RFC 6121 §3.1), set up by the server's admin; alice's
  // name for mallory is mallory's own choice of markup, as a shared roster could hand over.
  const pair = async (a, b, name) => {
    await server.ctl('add_rosteritem', a, 'localhost', b, 'localhost', name, 'Friends', 'both');
  };
  await pair('alice', 'bob', 'Bob');
  await pair('bob', 'alice', 'Alice');
  await pair('alice', 'carol', 'Carol');
  await pair('carol', 'alice', 'Alice');
  await pair('alice', 'mallory', XSS[0]);
  await pair('mallory', 'alice', 'Alice');
  await server.ctl('create_room', 'lobby', 'conference.localhost', 'localhost');
  await server.ctl('change_room_option', 'lobby', 'conference.localhost', 'persistent', 'true');
  await server.ctl('change_room_option', 'lobby', 'conference.localhost', 'mam', 'true');
  await seedHistory();
  proxy = await startFaultProxy({ targetPort: server.httpPort, resetRate: 0, delayRate: 0 });
  web = await startStaticServer(root);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await proxy?.close();
  await web?.close();
  await server?.stop();
});

// carol writes to alice SEEDED times while an alice in Node receives them, so
// the archive (XEP-0313) holds them and the widget has history to page through.
async function seedHistory() {
  const carol = createClient({ service: server.boshUrl, jid: 'carol@localhost', password: 'carol-pw' });
  const alice = createClient({ service: server.boshUrl, jid: 'alice@localhost', password: 'alice-pw', resource: 'seed' });
  await Promise.all([carol.connect(), alice.connect()]);
  // alice's initial presence handled before carol writes to her bare JID
  // (RFC 6121 §8.5.2.1: else the first messages may go to offline storage).
  await alice.ping();
  let got = 0;
  const all = new Promise((resolve) => alice.on('message', (m) => {
    if (m.body?.startsWith('history ') && ++got === SEEDED) resolve();
  }));
  for (let i = 1; i <= SEEDED; i++) carol.sendMessage({ to: 'alice@localhost', body: `history ${i}` });
  await all;
  await Promise.all([carol.disconnect(), alice.disconnect()]);
}

function service() {
  return `http://127.0.0.1:${proxy.port}/bosh`;
}

async function openWidget(name, params = {}) {
  const page = await browser.newPage();
  await page.setViewportSize({ width: 960, height: 680 });
  await page.addInitScript(() => {
    window.__xss = [];
    window.alert = () => window.__xss.push('alert');
  });
  page.on('pageerror', (e) => pageErrors.push(`${name}: ${e.message}`));
  const q = new URLSearchParams({ service: service(), ...params });
  await page.goto(`${web.url}/tests/integration/pages/widget.html?${q}`);
  await page.waitForFunction(() => window.ready === true);
  pages[name] = page;
  return page;
}

async function signIn(page, user) {
  const jid = page.locator('xmpp-chat input[name=jid]');
  if (await jid.inputValue() === '') await jid.fill(`${user}@localhost`);
  await page.locator('xmpp-chat input[name=password]').fill(`${user}-pw`);
  await page.locator('xmpp-chat input[name=password]').press('Enter');
  await page.locator('xmpp-chat .topbar').waitFor({ timeout: 20000 });
}

const entry = (page, jid) => page.locator(`xmpp-chat .entry[data-jid="${jid}"]`);
const bubbles = (page) => page.locator('xmpp-chat .log .bubble');

async function bodies(page) {
  return bubbles(page).allTextContents();
}

/** Elements of the page and the widget wider than the viewport (none expected). */
function overflowing(page) {
  return page.evaluate(() => {
    const out = [];
    const walk = (root) => {
      for (const e of root.querySelectorAll('*')) {
        const r = e.getBoundingClientRect();
        if (r.width && r.right > innerWidth + 1) out.push(`${e.tagName.toLowerCase()}.${e.className} ${Math.round(r.right)}`);
        if (e.shadowRoot) walk(e.shadowRoot);
      }
    };
    walk(document);
    return out.slice(0, 5);
  });
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(shots, `${name}.png`) });
}

/** axe-core (WCAG 2.x A/AA rules) on the page, the widget's shadow DOM included. */
async function axe(page) {
  await page.addScriptTag({ path: path.join(root, 'node_modules/axe-core/axe.min.js') });
  const result = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 3) }));
  });
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

test('sign-in form, then each sees the other online in the contact list (RFC 6121 §4: presence)', async () => {
  const alice = await openWidget('alice');
  await alice.locator('xmpp-chat form.login').waitFor();
  assert.deepEqual(await axe(alice), [], 'axe: login view');
  await shot(alice, 'login-light');
  await signIn(alice, 'alice');
  const bob = await openWidget('bob', { jid: 'bob@localhost' });
  assert.equal(await bob.locator('xmpp-chat input[name=jid]').inputValue(), 'bob@localhost', 'the jid attribute fills the form');
  await signIn(bob, 'bob');
  await entry(alice, 'bob@localhost').locator('.dot.available').waitFor({ timeout: 10000 });
  await entry(bob, 'alice@localhost').locator('.dot.available').waitFor({ timeout: 10000 });
  assert.match(await entry(alice, 'bob@localhost').textContent(), /^BBobOnline/);
  assert.match(await entry(alice, 'carol@localhost').textContent(), /Offline/);
  assert.deepEqual(await axe(alice), [], 'axe: contact list');
  await shot(alice, 'contacts-light');
});

test('chat: typing shown (XEP-0085), unread count, delivered then read ticks (XEP-0184, XEP-0333), Enter sends, Shift+Enter is a new line', async () => {
  const { alice, bob } = pages;
  await entry(alice, 'bob@localhost').click();
  const input = alice.locator('xmpp-chat textarea');
  await input.click();
  await input.pressSequentially('Hello Bob', { delay: 10 });
  await input.press('Shift+Enter');
  await input.pressSequentially('second line');
  // bob has not opened alice's conversation: no typing line to show yet, but the state is kept.
  await input.press('Enter');
  assert.equal(await input.inputValue(), '', 'Enter sent it');
  await entry(bob, 'alice@localhost').locator('.badge').waitFor({ timeout: 10000 });
  assert.equal(await entry(bob, 'alice@localhost').locator('.badge').textContent(), '11 unread', 'one unread, said in words too');
  const ownTick = alice.locator('xmpp-chat .msg.out .tick').last();
  await alice.waitForFunction(() => document.querySelector('xmpp-chat').shadowRoot.querySelector('.msg.out .tick.delivered, .msg.out .tick.read'), null, { timeout: 10000 });
  assert.ok(['Delivered', 'Read'].includes(await ownTick.getAttribute('aria-label')), 'delivered (XEP-0184 receipt)');
  await entry(bob, 'alice@localhost').click();
  assert.deepEqual(await bodies(bob), ['Hello Bob\nsecond line'], 'Shift+Enter made a new line in the body');
  assert.equal(await entry(bob, 'alice@localhost').locator('.badge').count(), 0, 'opening clears the unread count');
  await alice.locator('xmpp-chat .msg.out .tick.read').waitFor({ timeout: 10000 });
  assert.equal(await ownTick.getAttribute('aria-label'), 'Read', 'read once bob saw it (XEP-0333 displayed)');
  // Typing: bob types, alice sees it; bob stops, it goes.
  const bobInput = bob.locator('xmpp-chat textarea');
  await bobInput.pressSequentially('Hi Alice', { delay: 10 });
  await alice.locator('xmpp-chat .typing', { hasText: 'Bob is typing…' }).waitFor({ timeout: 10000 });
  await shot(alice, 'conversation-typing-light');
  await bobInput.press('Enter');
  await alice.locator('xmpp-chat .bubble', { hasText: 'Hi Alice' }).waitFor({ timeout: 10000 });
  assert.equal(await alice.locator('xmpp-chat .typing').textContent(), '', 'the message ends the typing line');
  assert.deepEqual(await axe(alice), [], 'axe: conversation');
  await shot(alice, 'conversation-light');
});

test('history on scroll up: the archive (XEP-0313, paged with XEP-0059) gives every earlier message once, in order, then the beginning', async () => {
  const { alice } = pages;
  await entry(alice, 'carol@localhost').click();
  await alice.locator('xmpp-chat .bubble', { hasText: `history ${SEEDED}` }).waitFor({ timeout: 10000 });
  const firstPage = await bodies(alice);
  assert.ok(firstPage.length < SEEDED, `a page, not all (${firstPage.length})`);
  for (let round = 0; round < 20; round++) {
    const done = await alice.locator('xmpp-chat .note.top', { hasText: 'Beginning of the conversation' }).isVisible();
    if (done) break;
    await alice.locator('xmpp-chat .log').evaluate((log) => { log.scrollTop = 0; });
    await alice.waitForTimeout(300);
  }
  const all = await bodies(alice);
  assert.deepEqual(all, Array.from({ length: SEEDED }, (_, i) => `history ${i + 1}`), 'all, once, in order');
});

test('reload mid-conversation (XEP-0124 session carried over): no sign-in, the open conversation and its scroll position come back, nothing lost or twice', async () => {
  const { alice, bob } = pages;
  // alice reads carol's history half-way up.
  await alice.locator('xmpp-chat .log').evaluate((l) => {
    l.scrollTop = Math.round((l.scrollHeight - l.clientHeight) / 2);
  });
  await alice.waitForTimeout(500); // the position is saved as the user scrolls
  // The message at the top of the log and how far above the log's top it starts.
  const topVisible = () => alice.locator('xmpp-chat .log').evaluate((l) => {
    const top = l.getBoundingClientRect().top;
    const b = [...l.querySelectorAll('.msg')].find((x) => x.getBoundingClientRect().bottom > top + 1);
    return { text: b?.querySelector('.bubble').textContent, offset: Math.round(b?.getBoundingClientRect().top - top) };
  });
  const seen = await topVisible();
  assert.match(seen.text, /^history /);
  // bob writes while alice's page reloads.
  const reloaded = alice.reload();
  for (let i = 1; i <= 3; i++) await bob.locator('xmpp-chat textarea').fill(`during reload ${i}`).then(() => bob.locator('xmpp-chat textarea').press('Enter'));
  await reloaded;
  await alice.waitForFunction(() => window.ready === true);
  await alice.locator('xmpp-chat .topbar').waitFor({ timeout: 20000 });
  assert.equal(await alice.locator('xmpp-chat form.login').count(), 0, 'no sign-in form: the session carried on');
  await alice.locator('xmpp-chat .bubble', { hasText: seen.text }).waitFor({ timeout: 15000 });
  await alice.waitForTimeout(500);
  const back = await topVisible();
  assert.equal(back.text, seen.text, 'the same message at the top of the log');
  assert.ok(Math.abs(back.offset - seen.offset) <= 2, `at the same place (${seen.offset} → ${back.offset} px)`);
  // bob's messages: in bob's conversation, each once.
  await entry(alice, 'bob@localhost').click();
  await alice.locator('xmpp-chat .bubble', { hasText: 'during reload 3' }).waitFor({ timeout: 15000 });
  await alice.waitForTimeout(1000); // history and live copies both in
  const b = await bodies(alice);
  for (const text of ['Hello Bob\nsecond line', 'Hi Alice', 'during reload 1', 'during reload 2', 'during reload 3']) {
    assert.equal(b.filter((x) => x === text).length, 1, `"${text}" shown once (${JSON.stringify(b)})`);
  }
  assert.deepEqual(b.slice(-3), ['during reload 1', 'during reload 2', 'during reload 3'], 'in order');
  assert.equal(await alice.locator('xmpp-chat .msg.out .tick').first().getAttribute('aria-label'), 'Read', 'ticks survive the reload');
});

test('a room (XEP-0045): joined by setting the room attribute and from the form, occupants and subject shown, messages both ways, each once', async () => {
  const { alice: alice2, bob } = pages;
  await alice2.evaluate((room) => {
    const chat = document.querySelector('xmpp-chat');
    chat.setAttribute('nick', 'Alice');
    chat.setAttribute('room', room);
  }, ROOM);
  await alice2.locator('xmpp-chat .convhead', { hasText: 'lobby' }).waitFor({ timeout: 15000 });
  await bob.locator('xmpp-chat button', { hasText: 'Join room' }).click();
  await bob.locator('xmpp-chat .form input').first().fill(ROOM);
  await bob.locator('xmpp-chat .form input').nth(1).fill('Bob');
  await bob.locator('xmpp-chat .form button[type=submit]').click();
  await bob.locator('xmpp-chat .convhead', { hasText: 'lobby' }).waitFor({ timeout: 15000 });
  await alice2.locator('xmpp-chat .convhead button', { hasText: 'People (2)' }).waitFor({ timeout: 10000 });
  await alice2.locator('xmpp-chat .convhead button', { hasText: 'People' }).click();
  await alice2.locator('xmpp-chat .occupants li').nth(1).waitFor({ timeout: 5000 });
  assert.deepEqual(await alice2.locator('xmpp-chat .occupants li > span:first-child').allTextContents(), ['Alice (You)', 'Bob']);
  await alice2.locator('xmpp-chat textarea').fill('hello room');
  await alice2.locator('xmpp-chat textarea').press('Enter');
  await bob.locator('xmpp-chat .msg.in', { hasText: 'hello room' }).waitFor({ timeout: 10000 });
  assert.equal(await bob.locator('xmpp-chat .msg.in .nick').last().textContent(), 'Alice', 'the sender\'s nickname');
  await bob.locator('xmpp-chat textarea').fill('hi from bob');
  await bob.locator('xmpp-chat textarea').press('Enter');
  await alice2.locator('xmpp-chat .msg.in', { hasText: 'hi from bob' }).waitFor({ timeout: 10000 });
  await alice2.waitForTimeout(800); // the room's echo of alice's own message has come back
  assert.equal((await bodies(alice2)).filter((x) => x === 'hello room').length, 1, 'our message once, though the room echoes it');
  await bob.evaluate(() => document.querySelector('xmpp-chat').client.sendMessage({ to: 'lobby@conference.localhost', subject: 'Welcome to the lobby', type: 'groupchat' }));
  await alice2.locator('xmpp-chat .convhead .subject', { hasText: 'Welcome to the lobby' }).waitFor({ timeout: 10000 });
  assert.deepEqual(await axe(alice2), [], 'axe: room');
  await shot(alice2, 'room-light');
});

test('block and unblock (XEP-0191): the composer gives way to a notice, the blocked contact\'s messages stop, and come again after unblocking', async () => {
  const { alice, bob } = pages;
  await entry(alice, 'bob@localhost').click();
  await alice.locator('xmpp-chat .convhead button', { hasText: /^Block$/ }).click();
  await alice.locator('xmpp-chat .notice', { hasText: 'You blocked bob@localhost' }).waitFor({ timeout: 10000 });
  assert.equal(await alice.locator('xmpp-chat textarea').count(), 0, 'no composer');
  await entry(bob, 'alice@localhost').click();
  await bob.locator('xmpp-chat textarea').fill('while blocked');
  await bob.locator('xmpp-chat textarea').press('Enter');
  await alice.locator('xmpp-chat .convhead button', { hasText: 'Unblock' }).click();
  await alice.locator('xmpp-chat textarea').waitFor({ timeout: 10000 });
  await bob.locator('xmpp-chat textarea').fill('after unblock');
  await bob.locator('xmpp-chat textarea').press('Enter');
  await alice.locator('xmpp-chat .bubble', { hasText: 'after unblock' }).waitFor({ timeout: 10000 });
  assert.ok(!(await bodies(alice)).includes('while blocked'), 'nothing from bob while he was blocked');
});

test('keyboard: Escape closes the conversation and focus goes back to its contact; the log and every control are reachable', async () => {
  const { alice } = pages;
  await entry(alice, 'bob@localhost').click();
  await alice.locator('xmpp-chat textarea').press('Escape');
  await alice.locator('xmpp-chat .placeholder').waitFor();
  const focused = await alice.evaluate(() => document.querySelector('xmpp-chat').shadowRoot.activeElement?.dataset.jid);
  assert.equal(focused, 'bob@localhost');
  await alice.keyboard.press('Enter');
  await alice.locator('xmpp-chat textarea').waitFor();
  assert.equal(await alice.locator('xmpp-chat .log').getAttribute('tabindex'), '0', 'the log can be focused and scrolled by keys');
});

test('hostile text (markup in bodies, links, nickname, subject, status, roster name) is shown as text and never runs; only http(s) links, with noopener noreferrer', async () => {
  const { alice } = pages;
  const mallory = createClient({ service: server.boshUrl, jid: 'mallory@localhost', password: 'mallory-pw', resource: 'evil' });
  await mallory.connect();
  try {
    mallory.setPresence({ status: XSS[1] });
    for (const body of [...XSS, 'see https://example.com/ok and javascript:alert(1) and data:text/html,x', 'שלום עולם']) {
      mallory.sendMessage({ to: 'alice@localhost', body });
    }
    await mallory.join(ROOM, { nick: XSS[0] });
    mallory.sendMessage({ to: ROOM, type: 'groupchat', body: XSS[2] });
    mallory.sendMessage({ to: ROOM, type: 'groupchat', subject: XSS[1] });
    await entry(alice, 'mallory@localhost').locator('.status', { hasText: '<svg' }).waitFor({ timeout: 10000 });
    await entry(alice, 'mallory@localhost').click();
    await alice.locator('xmpp-chat .bubble', { hasText: 'שלום עולם' }).waitFor({ timeout: 10000 });
    const shown = await bodies(alice);
    for (const body of XSS) assert.ok(shown.includes(body), `shown as text: ${body}`);
    assert.equal(await alice.locator('xmpp-chat .convhead .name').textContent(), XSS[0], 'roster name as text');
    const links = await alice.evaluate(() => [...document.querySelector('xmpp-chat').shadowRoot.querySelectorAll('.log a')]
      .map((a) => ({ href: a.getAttribute('href'), rel: a.rel, target: a.target })));
    assert.deepEqual(links, [{ href: 'https://example.com/ok', rel: 'noopener noreferrer', target: '_blank' }],
      'one link: the https one, opening with no opener and no referrer; javascript: and data: stay text');
    const rtl = await alice.locator('xmpp-chat .bubble', { hasText: 'שלום עולם' }).evaluate((b) => getComputedStyle(b).direction);
    assert.equal(rtl, 'rtl', 'right-to-left text shown right to left (dir=auto)');
    await entry(alice, ROOM).click();
    await alice.locator('xmpp-chat .msg.in .nick', { hasText: '<img' }).waitFor({ timeout: 10000 });
    await alice.locator('xmpp-chat .subject', { hasText: '<svg' }).waitFor({ timeout: 10000 });
    await alice.locator('xmpp-chat .convhead button', { hasText: 'People' }).click();
    await alice.locator('xmpp-chat .occupants li', { hasText: '<img' }).waitFor({ timeout: 5000 });
    const report = await alice.evaluate(() => {
      const root = document.querySelector('xmpp-chat').shadowRoot;
      return {
        xss: window.__xss,
        foreign: root.querySelectorAll('img, svg, script, iframe, object').length,
        links: [...root.querySelectorAll('a')].map((a) => ({ href: a.getAttribute('href'), rel: a.rel, target: a.target })),
        occupants: [...root.querySelectorAll('.occupants li > span:first-child')].map((s) => s.textContent),
      };
    });
    assert.deepEqual(report.xss, [], 'no payload ran');
    assert.equal(report.foreign, 0, 'no element from remote markup');
    assert.ok(report.occupants.includes(XSS[0]), 'nickname as text in the occupant list');
    for (const link of report.links) assert.match(link.href, /^https?:\/\//, 'only http(s) links');
    await entry(alice, 'mallory@localhost').click();
    await shot(alice, 'hostile-text-light');
  } finally {
    await mallory.disconnect();
  }
});

test('connection banner: a network blackout shows "reconnecting" with the reason; bob\'s session comes back and the banner goes; alice\'s, carried over a reload without its password, asks her to sign in again', async () => {
  const { alice, bob } = pages;
  proxy.setBlackout(true);
  await bob.locator('xmpp-chat .banner', { hasText: 'Reconnecting' }).waitFor({ timeout: 60000 });
  assert.match(await bob.locator('xmpp-chat .banner .text').textContent(), /Connection lost \(.+\)/);
  await shot(bob, 'banner-reconnecting-light');
  // The network comes back only once both clients have given up on their
  // connection manager session (XEP-0124 §14.3: no answer to the retries):
  // ended sooner, alice's retransmissions would carry her session on.
  await alice.locator('xmpp-chat .banner', { hasText: 'Reconnecting' }).waitFor({ timeout: 60000 });
  proxy.setBlackout(false);
  await bob.locator('xmpp-chat .banner').waitFor({ state: 'hidden', timeout: 60000 });
  // alice's page was reloaded: the login the lost session needs has no password.
  await alice.locator('xmpp-chat .banner button', { hasText: 'Sign in' }).waitFor({ timeout: 90000 });
  assert.equal(await alice.locator('xmpp-chat .banner .text').textContent(), 'Your session has ended. Sign in again to go on.');
  await alice.locator('xmpp-chat .banner button', { hasText: 'Sign in' }).click();
  await signIn(alice, 'alice');
  await bob.locator('xmpp-chat textarea').fill('after the blackout');
  await bob.locator('xmpp-chat textarea').press('Enter');
  await entry(alice, 'bob@localhost').click();
  await alice.locator('xmpp-chat .bubble', { hasText: 'after the blackout' }).waitFor({ timeout: 20000 });
});

test('dark theme (prefers-color-scheme) and 360 px wide: every view usable, nothing wider than the screen, axe clean', async () => {
  const { alice } = pages;
  await alice.emulateMedia({ colorScheme: 'dark' });
  await entry(alice, 'bob@localhost').click();
  assert.deepEqual(await axe(alice), [], 'axe: dark conversation');
  await shot(alice, 'conversation-dark');
  await entry(alice, ROOM).click();
  await shot(alice, 'room-dark');
  await alice.locator('xmpp-chat .convhead button', { hasText: 'Back' }).isHidden();
  await alice.setViewportSize({ width: 360, height: 680 });
  await alice.emulateMedia({ colorScheme: 'light' });
  await shot(alice, 'room-360');
  await alice.locator('xmpp-chat .convhead button', { hasText: 'Back' }).click();
  await alice.locator('xmpp-chat .sidebar').waitFor();
  assert.deepEqual(await overflowing(alice), [], 'nothing wider than 360 px in the contact list');
  assert.deepEqual(await axe(alice), [], 'axe: contact list at 360 px');
  await shot(alice, 'contacts-360');
  await entry(alice, 'bob@localhost').click();
  await shot(alice, 'conversation-360');
  assert.deepEqual(await overflowing(alice), [], 'nothing wider than 360 px in a conversation');
  const login = await openWidget('login-dark', { signin: 'Enter the chat' });
  await login.emulateMedia({ colorScheme: 'dark' });
  await login.locator('xmpp-chat form.login').waitFor();
  assert.equal(await login.locator('xmpp-chat form.login button[type=submit]').textContent(), 'Enter the chat',
    'strings set before the element was defined are used');
  await shot(login, 'login-dark');
  await login.setViewportSize({ width: 360, height: 680 });
  await shot(login, 'login-360');
  await login.close();
  assert.deepEqual(pageErrors, [], 'no page errors');
});

test('the client property: a page that makes and connects its own client gets the widget on it, with no sign-in form and no sign-out of its session', async () => {
  const page = await openWidget('carol', { own: '1', jid: 'carol@localhost', ownpw: 'carol-pw' });
  await page.evaluate(() => window.connected);
  await entry(page, 'alice@localhost').waitFor({ timeout: 10000 });
  assert.equal(await page.locator('xmpp-chat form.login').count(), 0, 'no sign-in form');
  assert.equal(await page.locator('xmpp-chat .topbar button', { hasText: 'Sign out' }).count(), 0, 'the page owns the session');
  assert.match(await page.locator('xmpp-chat .topbar .me').textContent(), /^carol@localhost$/);
  await page.close();
  assert.deepEqual(pageErrors, [], 'no page errors');
});
