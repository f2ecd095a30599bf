// demo.test.mjs: `npm run demo` as a visitor meets it. demo/serve.mjs runs
// as a child process (dist/ is built before integration tests): it prints
// its URL and three logins; the demo users have each other in their rosters
// and the demo room is there, persistent and archived; the page is sent
// under a Content-Security-Policy with no 'unsafe-inline' or 'unsafe-eval'
// and loads in headless Chromium with no violation and no console error,
// with the <xmpp-chat> widget given the demo's service and room; and SIGINT
// stops the demo, leaving no ejabberd node, no folder and no open port.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser } from '../support/browser.mjs';
import { createClient } from '../../dist/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// The widget's build; demo/index.html loads it. Until it is built, the
// checks that need the element are skipped (and say so).
const WIDGET = '/dist/xmpp-chat.js';
const widgetBuilt = () => existsSync(path.join(root, WIDGET));
const NO_WIDGET = `${WIDGET} is not built yet (the <xmpp-chat> widget's one-file build): the element checks are skipped`;

let demo; // the child process
let out = ''; // its stdout so far
let printed; // { url, bosh, node, dir }
let exited; // resolves with { code, signal } when the child exits
let browser;

before(async () => {
  assert.ok(existsSync(path.join(root, 'dist/index.js')), 'dist/ is built (bash wasm-build/build.sh)');
  demo = spawn(process.execPath, ['demo/serve.mjs'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  demo.stderr.on('data', (d) => { err += d; });
  exited = new Promise((resolve) => demo.once('exit', (code, signal) => resolve({ code, signal })));
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the demo printed no "Press Ctrl-C" in 120 s:\n${out}\n${err}`)), 120000);
    demo.stdout.on('data', (d) => {
      out += d;
      if (out.includes('Press Ctrl-C')) {
        clearTimeout(timer);
        resolve();
      }
    });
    exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`the demo exited (${code}) before it was ready:\n${out}\n${err}`));
    });
  });
  const url = out.match(/open (http:\/\/127\.0\.0\.1:\d+)\//)?.[1];
  const m = out.match(/ejabberd: BOSH (\S+), node (\S+), files in (\S+)/);
  assert.ok(url && m, `the demo prints its URL and its ejabberd:\n${out}`);
  printed = { url, bosh: m[1], node: m[2], dir: m[3] };
});

after(async () => {
  await browser?.close();
  if (demo && demo.exitCode === null && demo.signalCode === null) {
    demo.kill('SIGTERM');
    const done = await Promise.race([exited, new Promise((r) => setTimeout(() => r(null), 30000))]);
    if (!done) demo.kill('SIGKILL');
  }
});

const fetchConfig = async () => (await fetch(`${printed.url}/demo-config.json`)).json();

test('demo output: the URL, the three logins (jid and password) and the room are printed, on loopback', async () => {
  assert.match(printed.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.match(printed.bosh, /^http:\/\/127\.0\.0\.1:\d+\/bosh$/);
  for (const name of ['alice', 'bob', 'carol']) {
    assert.match(out, new RegExp(`${name}@localhost +password ${name}-demo`), `the login of ${name} is printed`);
  }
  assert.match(out, /room: lobby@conference\.localhost/);
});

test('demo-config.json: three demo users with passwords, the room, and the BOSH service the demo printed', async () => {
  const config = await fetchConfig();
  assert.deepEqual(config.users, ['alice', 'bob', 'carol'].map((n) => ({ jid: `${n}@localhost`, password: `${n}-demo` })));
  assert.equal(config.room, 'lobby@conference.localhost');
  assert.equal(config.service, printed.bosh);
});

test('RFC 6121 §2.1: each demo user has the two others in the roster, subscription both', async () => {
  const { service, users } = await fetchConfig();
  const clients = users.map(({ jid, password }) => createClient({ service, jid, password }));
  try {
    await Promise.all(clients.map((c) => c.connect()));
    for (const [i, c] of clients.entries()) {
      const others = users.filter((_, j) => j !== i).map((u) => u.jid);
      const deadline = Date.now() + 10000;
      while (c.roster.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(c.roster.map((r) => [r.jid, r.subscription]).sort(), others.map((j) => [j, 'both']),
        `${users[i].jid}'s roster`);
    }
  } finally {
    await Promise.all(clients.map((c) => c.disconnect().catch(() => {})));
  }
});

test('XEP-0045 §10.1.1 + XEP-0313 §8: the demo room exists before anyone joins, persistent and archived', async () => {
  const { service, users, room } = await fetchConfig();
  const carol = createClient({ service, jid: users[2].jid, password: users[2].password });
  try {
    await carol.connect();
    const info = await carol.discoInfo(room);
    assert.ok(info.identities.some((i) => i.category === 'conference'), 'a room');
    assert.ok(info.features.includes('muc_persistent'), 'persistent: it stays when empty');
    assert.ok(info.features.includes('urn:xmpp:mam:2'), 'archived (MAM)');
    // The first to join a new room would become its owner (§10.1.1); here
    // the room was made by the demo, so carol is an ordinary occupant.
    const joined = await carol.join(room, { nick: 'CarolTest' });
    assert.equal(joined.affiliation, 'none');
    carol.leave(room);
  } finally {
    await carol.disconnect().catch(() => {});
  }
});

/** The CSP directives of a response: { name: [tokens] }. */
function directives(header) {
  const map = {};
  for (const part of (header ?? '').split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) map[name.toLowerCase()] = values;
  }
  return map;
}

test("CSP Level 3: the page, its scripts and the wasm are sent with a policy without 'unsafe-inline' or 'unsafe-eval', and nosniff", async () => {
  const boshOrigin = new URL(printed.bosh).origin;
  for (const p of ['/', '/demo/demo.js', '/demo/demo.css', '/dist/index.js', '/dist/shared-worker.js', '/dist/xmpp-wasm.wasm']) {
    const res = await fetch(`${printed.url}${p}`);
    assert.equal(res.status, 200, p);
    const header = res.headers.get('content-security-policy');
    assert.ok(header, `${p} has a Content-Security-Policy`);
    assert.doesNotMatch(header, /'unsafe-inline'|'unsafe-eval'|\*/, `${p}: no 'unsafe-inline', no 'unsafe-eval', no wildcard`);
    const d = directives(header);
    assert.deepEqual(d['default-src'], ["'none'"], `${p}: default-src 'none'`);
    assert.deepEqual(d['script-src'], ["'self'", "'wasm-unsafe-eval'"], `${p}: scripts from the origin, wasm may compile`);
    assert.deepEqual(d['style-src'], ["'self'"], `${p}: styles from the origin only`);
    assert.deepEqual(d['connect-src'], ["'self'", boshOrigin], `${p}: fetch to the origin and ejabberd's BOSH only`);
    assert.deepEqual(d['frame-ancestors'], ["'none'"]);
    assert.deepEqual(d['base-uri'], ["'none'"]);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff', `${p}: nosniff`);
    await res.arrayBuffer();
  }
  // Nothing inline in the page that the policy would have to allow.
  const html = await (await fetch(`${printed.url}/`)).text();
  assert.doesNotMatch(html, /<script(?![^>]*\ssrc=)[^>]*>/i, 'no inline script');
  assert.doesNotMatch(html, /<style|\sstyle=|\son[a-z]+=/i, 'no style block, style attribute or event handler attribute');
  assert.match(html, new RegExp(`<script type="module" src="${WIDGET.replace(/\./g, '\\.')}"></script>`), 'the widget is loaded from its file');
});

test('Demo server: only demo/ and dist/ are served, nothing else of the repository and no path out of them', async () => {
  for (const p of ['/package.json', '/tests/support/ejabberd.mjs', '/demo/serve.mjs/..%2f..%2fpackage.json',
    '/dist/..%2fpackage.json', '/dist/%2e%2e/tests/support/ejabberd.mjs', '/demo/..%2f..%2f..%2fetc%2fpasswd']) {
    const res = await fetch(`${printed.url}${p}`);
    assert.equal(res.status, 404, p);
    await res.arrayBuffer();
  }
  assert.equal((await fetch(`${printed.url}/demo/serve.mjs`)).status, 200, 'demo/ itself is served');
});

/** Opens path in a new tab that records CSP violations (window.__csp) and console errors. */
async function openRecorded(pathAndQuery) {
  const page = await browser.newPage();
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__csp.push({ directive: e.effectiveDirective, blocked: e.blockedURI, source: e.sourceFile, line: e.lineNumber, sample: e.sample });
    }, true);
  });
  const errors = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push({ text: m.text(), url: m.location()?.url ?? '' });
  });
  page.on('pageerror', (e) => errors.push({ text: `page error: ${e.message}`, url: '' }));
  await page.goto(`${printed.url}${pathAndQuery}`, { waitUntil: 'load' });
  // demo.js has run when the element is in <main> (or an error is shown).
  await page.waitForFunction(() => document.querySelector('main > xmpp-chat') || document.querySelector('.logins .error'), null, { timeout: 15000 });
  return { page, errors };
}

/** What the page has recorded, leaving out the widget's 404 while it is not built. */
async function problems({ page, errors }) {
  const csp = await page.evaluate(() => window.__csp);
  const errs = widgetBuilt() ? errors : errors.filter((e) => !e.url.endsWith(WIDGET));
  return { csp, errors: errs.map((e) => `${e.text} (${e.url})`) };
}

test('CSP Level 3 in Chromium: the demo page loads with no securitypolicyviolation and no console error, and <xmpp-chat> gets the service and the room', async (t) => {
  browser ??= await launchBrowser();
  const tab = await openRecorded('/');
  const config = await fetchConfig();
  const attrs = await tab.page.evaluate(() => {
    const el = document.querySelector('main > xmpp-chat');
    return el && { service: el.getAttribute('service'), room: el.getAttribute('room'), jid: el.getAttribute('jid'), password: el.getAttribute('password') };
  });
  assert.deepEqual(attrs, { service: config.service, room: config.room, jid: null, password: null }, 'demo.js sets service and room, no jid, no password');
  const listed = await tab.page.locator('#logins li').allTextContents();
  assert.deepEqual(listed.map((s) => s.match(/^(\S+) \/ (\S+)/)?.slice(1)), config.users.map((u) => [u.jid, u.password]), 'the logins are shown');
  if (!widgetBuilt()) {
    assert.deepEqual(await problems(tab), { csp: [], errors: [] }, 'no violation, no console error');
    t.skip(NO_WIDGET);
    return;
  }
  await tab.page.waitForFunction(() => customElements.get('xmpp-chat') !== undefined, null, { timeout: 15000 });
  const upgraded = await tab.page.evaluate(() => document.querySelector('main > xmpp-chat') instanceof customElements.get('xmpp-chat'));
  assert.ok(upgraded, 'the element is the widget (defined and upgraded)');
  // Give the widget time to render its login form (styles, images) before looking.
  await tab.page.waitForTimeout(1000);
  assert.deepEqual(await problems(tab), { csp: [], errors: [] }, 'no violation, no console error');
  const box = await tab.page.locator('main > xmpp-chat').boundingBox();
  const viewport = tab.page.viewportSize();
  assert.ok(box && box.height > viewport.height * 0.6, `the widget fills most of the viewport (${box?.height} of ${viewport.height} px)`);
  await tab.page.close();
});

test("CSP Level 3 in Chromium: signed in through the widget's form with ?jid=, the core compiles and talks BOSH with no violation; a second tab is another user in the same room", async (t) => {
  if (!widgetBuilt()) {
    t.skip(NO_WIDGET);
    return;
  }
  browser ??= await launchBrowser();
  const config = await fetchConfig();
  const tabs = [];
  for (const user of config.users.slice(0, 2)) {
    const tab = await openRecorded(`/?${new URLSearchParams({ jid: user.jid })}`);
    tabs.push(tab);
    const jid = await tab.page.evaluate(() => document.querySelector('main > xmpp-chat')?.getAttribute('jid'));
    assert.equal(jid, user.jid, '?jid= presets the jid attribute');
    // The widget's own login form asks only for the password.
    const password = tab.page.locator('xmpp-chat input[type=password]');
    await password.fill(user.password, { timeout: 15000 });
    await password.press('Enter');
    await password.waitFor({ state: 'hidden', timeout: 20000 });
    // Signed in as that user (the wasm core compiled, BOSH to ejabberd's origin), and in the demo room.
    await tab.page.waitForFunction(({ jid, room }) => {
      const c = document.querySelector('main > xmpp-chat')?.client;
      return c?.status === 'online' && c.jid?.startsWith(`${jid}/`) && c.rooms.some((r) => r.jid === room);
    }, { jid: user.jid, room: config.room }, { timeout: 20000 });
  }
  // The two users, one per tab, see each other in the room (XEP-0045 §7.2.3).
  await tabs[0].page.waitForFunction((room) => {
    const r = document.querySelector('main > xmpp-chat').client.rooms.find((x) => x.jid === room);
    return r && r.occupants.length >= 2;
  }, config.room, { timeout: 20000 });
  await tabs[0].page.waitForTimeout(1000);
  for (const [i, tab] of tabs.entries()) {
    assert.deepEqual(await problems(tab), { csp: [], errors: [] }, `${config.users[i].jid}: no violation, no console error`);
    await tab.page.close();
  }
});

test('Demo lifecycle: SIGINT stops the demo within 30 s, leaving no ejabberd node, no ejabberd folder and no open port', async () => {
  await browser?.close();
  browser = undefined;
  const web = new URL(printed.url);
  const bosh = new URL(printed.bosh);
  assert.ok(await portOpen(Number(web.port)), 'the web port is open before');
  assert.ok(pgrep(printed.node).length > 0, 'the ejabberd node runs before');
  const t0 = Date.now();
  demo.kill('SIGINT');
  const done = await Promise.race([exited, new Promise((r) => setTimeout(() => r(null), 30000))]);
  assert.ok(done, 'the demo exits within 30 s of SIGINT');
  assert.deepEqual(done, { code: 0, signal: null }, 'and exits cleanly');
  console.log(`demo stopped in ${Date.now() - t0} ms`);
  assert.deepEqual(pgrep(printed.node), [], `no process of ${printed.node} is left`);
  assert.ok(!existsSync(printed.dir), `${printed.dir} is removed`);
  assert.equal(await portOpen(Number(web.port)), false, 'the web port is closed');
  assert.equal(await portOpen(Number(bosh.port)), false, 'the BOSH port is closed');
});

function pgrep(pattern) {
  try {
    return execFileSync('pgrep', ['-af', pattern], { encoding: 'utf8' }).trim().split('\n')
      .filter((l) => l && !l.includes('pgrep'));
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

function portOpen(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}
