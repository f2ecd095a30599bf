// tabs.test.mjs: many tabs of one Chromium profile share one session
// (shared.js), against a real ejabberd. A browser gives a host six
// HTTP/1.1 connections across all tabs of a profile, and a session per tab
// holds one of them at all times: the seventh tab used to freeze the site.
// The BOSH service is reached through a watch proxy that counts requests in
// flight, which is what the connection limit is about.
import { test, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEjabberd } from '../support/ejabberd.mjs';
import { startStaticServer } from '../support/static-server.mjs';
import { startWatchProxy } from '../support/watch-proxy.mjs';
import { launchBrowser } from '../support/browser.mjs';
import { waitFor } from '../support/wait.mjs';
import { rawBoshLogin } from '../support/raw-bosh.mjs';
import { createClient } from '../../dist/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let server;
let web;
let proxy;

before(async () => {
  server = await startEjabberd();
  // One account per test and kind: a test's browser closed at its end may
  // leave a session behind until the server's inactivity timeout.
  await Promise.all(['alice0', 'alice1', 'bob', 'carol0', 'carol1', 'dave0', 'dave1', 'erin', 'frank', 'gina', 'hank', 'ivy', 'mallory'].map((u) => server.register(u, `${u}-pw`)));
  // dave and bob see each other's presence (RFC 6121 §3): bob sees dave go.
  for (const [u, c] of [['dave0', 'bob'], ['bob', 'dave0'], ['dave1', 'bob'], ['bob', 'dave1']]) {
    await server.ctl('add_rosteritem', u, 'localhost', c, 'localhost', c, 'friends', 'both');
  }
  web = await startStaticServer(root);
});

// Each test has its own proxy, so requests a closed browser left held at
// the server are not counted in the next test.
beforeEach(async () => {
  proxy = await startWatchProxy(server.boshUrl);
});

afterEach(async () => {
  await proxy?.close();
});

after(async () => {
  await web?.close();
  await server?.stop();
});

function tabUrl(user, extra = '') {
  const q = new URLSearchParams({ service: proxy.url, jid: `${user}@${server.domain}`, password: `${user}-pw` });
  return `${web.url}/tests/integration/pages/tab.html?${q}${extra}`;
}

async function openTab(browser, user, extra) {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error('page error:', e));
  await page.goto(tabUrl(user, extra));
  await page.waitForFunction(() => window.ready === true);
  return page;
}

// Resolves with { ms } once the tab is online, or { error } (never rejects).
function online(page, ms = 15000) {
  return page.evaluate((ms) => Promise.race([
    window.connected.then(() => ({ ms: window.log.connected.at - window.log.loaded }), (e) => ({ error: e.condition })),
    new Promise((r) => setTimeout(() => r({ error: `not online in ${ms} ms` }), ms)),
  ]), ms);
}

async function bobClient() {
  const bob = createClient({ service: server.boshUrl, jid: `bob@${server.domain}`, password: 'bob-pw', requestGapMs: 0 });
  await bob.connect();
  return bob;
}

async function sessionsOf(user) {
  const users = await server.ctl('connected_users');
  return users.split('\n').filter((l) => l.startsWith(`${user}@`));
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

for (const [k, kind] of ['SharedWorker', 'Web Locks + BroadcastChannel'].entries()) {
  const extra = k === 0 ? '' : '&nosw=1';
  const [alice, carol, dave] = [`alice${k}`, `carol${k}`, `dave${k}`];

  test(`twelve tabs (${kind}): every tab comes online, sends and receives, and the browser never has more than two BOSH requests in flight`, async () => {
    const browser = await launchBrowser();
    const bob = await bobClient();
    // bob answers every message at once.
    bob.on('message', (m) => {
      if (m.body?.startsWith('ping ')) bob.sendMessage({ to: m.from, body: m.body.replace('ping', 'pong') });
    });
    try {
      const tabs = [];
      const logins = [];
      const trips = [];
      for (let i = 0; i < 12; i++) {
        const page = await openTab(browser, alice, extra);
        tabs.push(page);
        const r = await online(page);
        assert.equal(r.error, undefined, `tab ${i + 1} online`);
        logins.push(Math.round(r.ms));
        if (i === 0) proxy.resetMost();
        const trip = await page.evaluate((i) => new Promise((resolve) => {
          const started = performance.now();
          const fn = (m) => {
            if (m.body !== `pong ${i}`) return;
            window.client.off('message', fn);
            resolve(performance.now() - started);
          };
          window.client.on('message', fn);
          window.client.sendMessage({ to: 'bob@localhost', body: `ping ${i}` });
          setTimeout(() => resolve(-1), 10000);
        }), i);
        assert.ok(trip >= 0, `tab ${i + 1}: bob's answer arrives`);
        trips.push(Math.round(trip));
      }
      // XEP-0333: the last answer read in the first tab is read in all of
      // them (a widget's unread counts agree), told as a sent marker.
      const markersSeen = Promise.all(tabs.slice(1).map((p) => p.evaluate(() => new Promise((resolve) => {
        window.client.on('marker', (mk) => { if (mk.carbon === 'sent') resolve(mk); });
        setTimeout(() => resolve(null), 10000);
      }))));
      const lastId = await tabs[0].evaluate(() => {
        const m = window.log.messages.filter((x) => x.body === 'pong 11').at(-1);
        window.client.markDisplayed(m);
        return m.id;
      });
      for (const mk of await markersSeen) {
        assert.deepEqual(mk && { id: mk.id, marker: mk.marker, toBob: mk.to.startsWith('bob@localhost/') }, { id: lastId, marker: 'displayed', toBob: true },
          'every other tab hears the marker the first tab sent');
      }
      const most = proxy.mostInFlight;
      console.log(`# ${kind}: online after loading (ms): ${logins.join(', ')}; round trip to bob (ms): ${trips.join(', ')}; ` +
        `median after the first tab: online ${median(logins.slice(1))} ms, round trip ${median(trips.slice(1))} ms; most BOSH requests in flight: ${most}`);
      assert.ok(most <= 2, `XEP-0124 §11: at most two requests in flight for all twelve tabs, saw ${most}`);
      assert.equal((await sessionsOf(alice)).length, 1, 'one session for all tabs');
      // Every tab heard every answer, and what the others sent as sent.
      const logs = await Promise.all(tabs.map((p) => p.evaluate(() => window.log)));
      for (const [i, log] of logs.entries()) {
        const pongs = log.messages.filter((m) => m.body?.startsWith('pong ')).map((m) => m.body);
        const wanted = Array.from({ length: 12 - i }, (_, k) => `pong ${i + k}`);
        assert.deepEqual(pongs, wanted, `tab ${i + 1} shows the answers since it opened, once, in order`);
        const sentByOthers = log.messages.filter((m) => m.outgoing && m.body?.startsWith('ping ')).map((m) => m.body);
        assert.deepEqual(sentByOthers, wanted.filter((b) => b !== `pong ${i}`).map((b) => b.replace('pong', 'ping')),
          `tab ${i + 1} shows what the later tabs sent as sent`);
      }
      // All tabs closed: no session stays behind.
      await closeAll(tabs);
      await waitUntil(async () => (await sessionsOf(alice)).length === 0, 5000, 'alice has no session left');
    } finally {
      await browser.close();
      await bob.disconnect();
    }
  });

  test(`the first tab closes while bob sends 200 messages (${kind}): the other tabs show all 200 once, in order, with no new login`, async () => {
    const browser = await launchBrowser();
    const bob = await bobClient();
    try {
      const tabs = [];
      for (let i = 0; i < 3; i++) {
        tabs.push(await openTab(browser, carol, extra));
        assert.equal((await online(tabs[i])).error, undefined);
      }
      const sending = (async () => {
        for (let n = 0; n < 200; n++) {
          bob.sendMessage({ to: `${carol}@${server.domain}`, body: `m${n}` });
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      await new Promise((r) => setTimeout(r, 300));
      await closeTab(tabs[0]);
      await sending;
      const want = Array.from({ length: 200 }, (_, n) => `m${n}`);
      for (const page of tabs.slice(1)) {
        await page.waitForFunction(() => window.log.messages.filter((m) => /^m\d+$/.test(m.body ?? '')).length >= 200, null, { timeout: 20000 })
          .catch(() => {});
        const log = await page.evaluate(() => window.log);
        const got = log.messages.filter((m) => /^m\d+$/.test(m.body ?? '')).map((m) => m.body);
        assert.deepEqual(got, want, 'all 200, once, in order');
        const logins = log.onlines.filter((o) => o.mechanism);
        assert.ok(logins.length <= 1, 'no new login after the first tab closed');
        assert.equal(log.statuses.includes('offline'), false);
      }
      assert.equal((await sessionsOf(carol)).length, 1, 'still one session');
    } finally {
      await browser.close();
      await bob.disconnect();
    }
  });

  test(`all tabs closed (${kind}): the session ends at once and bob sees the account go`, async () => {
    const browser = await launchBrowser();
    const bob = await bobClient();
    try {
      const tabs = [];
      const here = waitFor(bob, 'presence', (p) => p.from?.startsWith(`${dave}@`) && p.type !== 'unavailable', 15000, 'dave available');
      for (let i = 0; i < 3; i++) {
        tabs.push(await openTab(browser, dave, extra));
        assert.equal((await online(tabs[i])).error, undefined);
      }
      await here;
      // Every tab, the attached ones too, knows the roster and bob's
      // presence (RFC 6121 §2, §4), and what a tab asks is answered to it.
      for (const page of tabs) {
        const seen = await page.evaluate(async () => {
          const c = window.client;
          const until = Date.now() + 5000;
          while (!c.presenceOf('bob@localhost').best && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
          return {
            roster: c.roster.map((i) => `${i.jid} ${i.subscription}`),
            bobOnline: !!c.presenceOf('bob@localhost').best,
            ping: typeof (await c.ping()),
            disco: (await c.discoInfo()).features.includes('urn:xmpp:ping'),
          };
        });
        assert.deepEqual(seen, { roster: ['bob@localhost both'], bobOnline: true, ping: 'number', disco: true });
      }
      const gone = waitFor(bob, 'presence', (p) => p.from?.startsWith(`${dave}@`) && p.type === 'unavailable', 10000, 'dave unavailable');
      const started = Date.now();
      await closeAll(tabs);
      await gone;
      console.log(`# ${kind}: last tab closed -> bob saw ${dave} unavailable after ${Date.now() - started} ms`);
      await waitUntil(async () => (await sessionsOf(dave)).length === 0, 5000, 'RFC 6121 §4.5.2 + XEP-0124 §12: no ghost session');
    } finally {
      await browser.close();
      await bob.disconnect();
    }
  });
}

test('two accounts in two tabs have two sessions; a tab with shareAcrossTabs: false has its own beside the shared one', async () => {
  const browser = await launchBrowser();
  try {
    const a1 = await openTab(browser, 'erin');
    const a2 = await openTab(browser, 'erin');
    const own = await openTab(browser, 'erin', '&share=0');
    const other = await openTab(browser, 'frank');
    for (const p of [a1, a2, own, other]) assert.equal((await online(p)).error, undefined);
    const jids = await Promise.all([a1, a2, own, other].map((p) => p.evaluate(() => window.client.jid)));
    assert.equal(jids[0], jids[1], 'the two shared tabs are one resource');
    assert.notEqual(jids[2], jids[0], 'the unshared tab has its own resource');
    assert.match(jids[3], /^frank@/);
    assert.equal((await sessionsOf('erin')).length, 2);
    assert.equal((await sessionsOf('frank')).length, 1);
  } finally {
    await browser.close();
  }
});

// Closes tabs as a person does, one after another, the newest first (the
// first tab closing while others stay is the test above).
async function closeAll(tabs) {
  for (const page of [...tabs].reverse()) await closeTab(page);
}

// As a person closes a tab: its pagehide runs (runBeforeUnload), and the
// next tab is closed once this one is gone.
async function closeTab(page) {
  const closed = page.waitForEvent('close');
  await page.close({ runBeforeUnload: true });
  await closed;
}

test('a SharedWorker whose script does not load (a bundler left it out, a CSP): the tabs share through Web Locks instead', async () => {
  const broken = await startStaticServer(root, {
    routes: { '/dist/shared-worker.js': { type: 'text/javascript; charset=utf-8', body: 'this is not JavaScript (' } },
  });
  const browser = await launchBrowser();
  try {
    const open = async () => {
      const page = await browser.newPage();
      const q = new URLSearchParams({ service: proxy.url, jid: `gina@${server.domain}`, password: 'gina-pw' });
      await page.goto(`${broken.url}/tests/integration/pages/tab.html?${q}`);
      await page.waitForFunction(() => window.ready === true);
      return page;
    };
    const [a, b] = [await open(), await open()];
    for (const p of [a, b]) assert.equal((await online(p)).error, undefined, 'online');
    const [ja, jb] = await Promise.all([a, b].map((p) => p.evaluate(() => window.client.jid)));
    assert.equal(ja, jb, 'one session');
    assert.equal((await sessionsOf('gina')).length, 1);
    await closeAll([a, b]);
    await waitUntil(async () => (await sessionsOf('gina')).length === 0, 5000, 'the session ends with the last tab');
  } finally {
    await browser.close();
    await broken.close();
  }
});

test('RFC 6120 §13.12: a stranger\'s stanza past a limit, and odd payloads, sent through ejabberd to a shared session: every tab gets the error naming the sender and the limit, then the next message; the session stays', async () => {
  const browser = await launchBrowser();
  const mallory = await rawBoshLogin(server.boshUrl, { user: 'mallory', password: 'mallory-pw' });
  try {
    const tabs = [];
    for (let i = 0; i < 2; i++) {
      tabs.push(await openTab(browser, 'hank'));
      assert.equal((await online(tabs[i])).error, undefined);
    }
    const to = `hank@${server.domain}`;
    const wide = `<x xmlns='urn:example:wide'${Array.from({ length: 257 }, (_, i) => ` a${i}='v'`).join('')}/>`;
    await mallory.send(`<message xmlns='jabber:client' to='${to}' id='p1' type='chat'>${wide}</message>` +
      // A body that looks like the tabs' own protocol, and one with markup in it: text to the app.
      `<message xmlns='jabber:client' to='${to}' id='p2' type='chat'><body>{"op":"detach","tab":"x"}</body></message>` +
      `<message xmlns='jabber:client' to='${to}' id='p3' type='chat'><body>&lt;script&gt;after&lt;/script&gt;</body></message>`);
    for (const page of tabs) {
      await page.waitForFunction(() => window.log.messages.some((m) => m.body === '<script>after</script>'), null, { timeout: 10000 });
      const log = await page.evaluate(() => window.log);
      assert.deepEqual(log.errors, ['policy-violation'], 'the poison is an error event in every tab');
      assert.deepEqual(log.messages.map((m) => m.body), ['{"op":"detach","tab":"x"}', '<script>after</script>'], 'the messages after it, as text');
      assert.equal(log.statuses.includes('offline') || log.statuses.includes('reconnecting'), false, 'the session stays');
    }
    // The error's details cross to every tab: a second poison, listened for.
    const details = Promise.all(tabs.map((p) => p.evaluate(() => new Promise((resolve) => {
      window.client.on('error', (e) => resolve({ from: e.from, limit: e.limit, name: e.name, condition: e.condition }));
    }))));
    await mallory.send(`<message xmlns='jabber:client' to='${to}' id='p4' type='chat'>${wide}</message>`);
    for (const d of await details) {
      assert.deepEqual({ ...d, from: d.from.split('/')[0] }, { from: 'mallory@localhost', limit: 'maxAttributes', name: 'XmppError', condition: 'policy-violation' });
    }
    assert.equal((await sessionsOf('hank')).length, 1);
  } finally {
    await browser.close();
    await mallory.close();
  }
});

test('a burst of 5,000 from a shared tab, past the 1 MiB request queue (RFC 6120 §10.1, in order): bob gets each once and in order, with no error, and the other tab shows each as sent', async () => {
  const browser = await launchBrowser();
  const bob = await bobClient();
  const N = 5000;
  const got = [];
  bob.on('message', (m) => { if (m.body?.startsWith('burst ')) got.push(Number(m.body.slice(6))); });
  try {
    const [sender, other] = [await openTab(browser, 'ivy'), await openTab(browser, 'ivy')];
    for (const page of [sender, other]) assert.equal((await online(page)).error, undefined, 'online');
    await sender.evaluate(({ n, to }) => {
      for (let i = 0; i < n; i++) window.client.sendMessage({ to, body: `burst ${i}` });
    }, { n: N, to: `bob@${server.domain}` });
    await waitUntil(() => got.length >= N, 60000, `bob got ${got.length} of ${N}`);
    await new Promise((r) => setTimeout(r, 300)); // nothing more, twice or late
    assert.equal(got.length, N, 'each once');
    assert.ok(got.every((v, i) => v === i), 'in the order sent');
    await waitUntil(() => other.evaluate((n) => window.log.messages.filter((m) => m.outgoing).length >= n, N), 30000, 'the other tab shows them');
    for (const page of [sender, other]) assert.deepEqual(await page.evaluate(() => window.log.errors), [], 'no error event');
  } finally {
    await bob.disconnect();
    await browser.close();
  }
});

async function waitUntil(check, ms, what) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
