// browser.test.mjs: the built package in real headless Chromium (Debian's
// chromium driven by playwright-core), on a page served from localhost,
// against a real ejabberd on another port (cross-origin BOSH, CORS).
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
  server = await startEjabberd();
  await Promise.all([server.register('alice', 'alice-pw'), server.register('bob', 'bob-pw')]);
  web = await startStaticServer(root);
  browser = await launchBrowser();
  page = await openPackagePage(browser, web.url);
});

after(async () => {
  await browser?.close();
  await web?.close();
  await server?.stop();
});

test('XEP-0206 in Chromium: alice and bob exchange messages both ways', async () => {
  const result = await page.evaluate(async ({ service, domain }) => {
    const { createClient } = window.xmpp;
    const alice = createClient({ service, jid: `alice@${domain}`, password: 'alice-pw' });
    const bob = createClient({ service, jid: `bob@${domain}`, password: 'bob-pw' });
    const next = (c, name, pred) => new Promise((resolve) => {
      const fn = (e) => { if (pred(e)) { c.off(name, fn); resolve(e); } };
      c.on(name, fn);
    });
    const [a, b] = await Promise.all([alice.connect(), bob.connect()]);
    // bob's initial presence handled before a message to his bare JID (RFC
    // 6121 §8.5.2.1: else it may go to offline storage); see chat.test.mjs.
    await bob.ping();
    const got1 = next(bob, 'message', (m) => m.body === 'from alice');
    alice.sendMessage({ to: `bob@${domain}`, body: 'from alice' });
    const m1 = await got1;
    const got2 = next(alice, 'message', (m) => m.body === 'from bob');
    bob.sendMessage({ to: a.jid, body: 'from bob' });
    const m2 = await got2;
    const rtt = await alice.ping();
    await Promise.all([alice.disconnect(), bob.disconnect()]);
    return { a: a.jid, b: b.jid, mechanism: a.mechanism, m1From: m1.from, m2From: m2.from, rtt, status: alice.status };
  }, { service: server.boshUrl, domain: server.domain });
  assert.match(result.a, /^alice@localhost\//);
  assert.equal(result.m1From, result.a, 'RFC 6120 §8.1.2: sender stamped by the server');
  assert.equal(result.m2From, result.b);
  assert.equal(result.mechanism, 'SCRAM-SHA-1');
  assert.equal(typeof result.rtt, 'number');
  assert.equal(result.status, 'offline');
});

test('XEP-0124 §12: closing the page ends the session at once (no ghost until inactivity)', async () => {
  const tab = await openPackagePage(browser, web.url);
  const jid = await tab.evaluate(async ({ service, domain }) => {
    const c = window.xmpp.createClient({ service, jid: `bob@${domain}`, password: 'bob-pw', resource: 'closing' });
    return (await c.connect()).jid;
  }, { service: server.boshUrl, domain: server.domain });
  assert.match(await server.ctl('connected_users'), /bob@localhost\/closing/);
  await tab.close({ runBeforeUnload: true });
  // mod_bosh's inactivity is 30 s here: anything much quicker is the terminate.
  const deadline = Date.now() + 5000;
  let users = '';
  while (Date.now() < deadline) {
    users = await server.ctl('connected_users');
    if (!users.includes(jid)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(!users.includes(jid), `still connected after the tab closed: ${users}`);
});

test('Chromium: a wrong password rejects with not-authorized', async () => {
  const condition = await page.evaluate(async ({ service, domain }) => {
    const c = window.xmpp.createClient({ service, jid: `alice@${domain}`, password: 'nope' });
    try {
      await c.connect();
      return 'connected?!';
    } catch (e) {
      return e.condition;
    }
  }, { service: server.boshUrl, domain: server.domain });
  assert.equal(condition, 'not-authorized');
});

test('XEP-0124 §14 + resume: bob reloads twice while alice sends 100 messages; each arrives once, in order, with no second login', async () => {
  const tab = await browser.newPage();
  const q = new URLSearchParams({ service: server.boshUrl, jid: `bob@${server.domain}`, password: 'bob-pw' });
  await tab.goto(`${web.url}/tests/integration/pages/resume.html?${q}`);
  const stored = (key) => tab.evaluate((k) => JSON.parse(sessionStorage.getItem(k) ?? '[]'), key).catch(() => []);
  await waitFor(async () => (await stored('onlines')).length === 1, 10000, 'bob online');
  const [first] = await stored('onlines');
  assert.ok(first.mechanism && !first.resumed, 'the first load logs in');
  const bobJid = first.jid;

  const alice = createClient({ service: server.boshUrl, jid: `alice@${server.domain}`, password: 'alice-pw' });
  const unavailable = [];
  alice.on('presence', (p) => { if (p.from === bobJid && p.type === 'unavailable') unavailable.push(p); });
  await alice.connect();
  alice.sendPresence({ to: `bob@${server.domain}` });
  const reloads = [];
  try {
    for (let i = 1; i <= 100; i++) {
      alice.sendMessage({ to: bobJid, body: String(i) });
      if (i === 30 || i === 70) {
        // Reload while messages are in flight.
        reloads.push(Date.now());
        await tab.reload({ waitUntil: 'commit' });
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    let transcript = [];
    await waitFor(async () => (transcript = await stored('transcript')).length >= 100, 15000,
      () => `100 messages (have ${transcript.length}: ${transcript.join(',')})`);
    await new Promise((r) => setTimeout(r, 500)); // duplicates would arrive now
    transcript = await stored('transcript');
    const expected = Array.from({ length: 100 }, (_, i) => String(i + 1));
    assert.deepEqual(transcript, expected, 'every message shown exactly once, in order');
    const onlines = await stored('onlines');
    assert.equal(onlines.length, 3, JSON.stringify(onlines));
    assert.ok(onlines.slice(1).every((o) => o.resumed === true && o.jid === bobJid),
      `each reload resumes the same session: ${JSON.stringify(onlines)}`);
    // mod_admin_extra: connection, ip, port, priority, node, uptime (s), status, resource, text.
    const sessions = (await server.ctl('user_sessions_info', 'bob', server.domain)).trim().split('\n');
    assert.equal(sessions.length, 1, `one server session for bob: ${sessions}`);
    const [, , , , , uptime, , resource] = sessions[0].split('\t');
    assert.equal(`bob@${server.domain}/${resource}`, bobJid, 'the session bound on the first load');
    assert.ok(Number(uptime) >= Math.floor((Date.now() - first.at) / 1000) - 1,
      `the server session is as old as the first login (uptime ${uptime} s): no second login`);
    assert.deepEqual(unavailable, [], 'alice never saw bob go offline');
    const firsts = (await stored('firstMessages')).slice(1);
    console.log(`# reload -> resumed online: ${onlines.slice(1).map((o, k) => o.at - reloads[k]).join(', ')} ms; ` +
      `reload -> first message shown by the new page: ${firsts.map((t, k) => t - reloads[k]).join(', ')} ms`);
  } finally {
    await alice.disconnect();
    await tab.close();
  }
});

async function waitFor(cond, ms, what) {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === 'function' ? what() : what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
