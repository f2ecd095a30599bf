// browser.test.mjs: the built package in real headless Chromium (Debian's
// chromium driven by playwright-core), on a page served from localhost,
// against a real ejabberd on another port (cross-origin BOSH, CORS).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEjabberd } from '../support/ejabberd.mjs';
import { startStaticServer } from '../support/static-server.mjs';
import { launchBrowser } from '../support/browser.mjs';

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
  page = await browser.newPage();
  page.on('pageerror', (e) => console.error('page error:', e));
  await page.goto(`${web.url}/tests/integration/pages/chat.html`);
  await page.waitForFunction(() => window.ready === true);
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
  const tab = await browser.newPage();
  await tab.goto(`${web.url}/tests/integration/pages/chat.html`);
  await tab.waitForFunction(() => window.ready === true);
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
