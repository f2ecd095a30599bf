// package.test.mjs: the package as a user gets it. `npm pack` makes the
// tarball, which is installed with pinned registry packages into a fresh
// project in a temporary folder; Vite and webpack build it, the builds (and
// Vite's dev server, with no config) are served and opened in headless
// Chromium, where two tabs share one session in the SharedWorker and a
// message goes to bob; so is the one-file build (dist/xmpp-chat.js) from a
// plain folder; a TypeScript file type-checks with tsc --strict against the
// packed .d.ts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readdirSync, readFileSync, copyFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startEjabberd, freePort } from '../support/ejabberd.mjs';
import { startStaticServer } from '../support/static-server.mjs';
import { launchBrowser } from '../support/browser.mjs';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// What the user's project pins (registry packages only).
const PINNED = { vite: '5.4.11', webpack: '5.97.1', 'webpack-cli': '5.1.4', typescript: '5.6.3' };

let server;
let dir; // the user's project
let tarball;
let browser;

before(async () => {
  server = await startEjabberd();
  await Promise.all([server.register('alice', 'alice-pw'), server.register('bob', 'bob-pw')]);
  dir = mkdtempSync(path.join(os.tmpdir(), 'xw-project-'));
  const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: root });
  tarball = path.join(dir, stdout.trim().split('\n').at(-1));
  const file = (name, text) => writeFileSync(path.join(dir, name), text);
  file('package.json', JSON.stringify({
    name: 'user-project', private: true, type: 'module',
    devDependencies: { ...PINNED, 'xmpp-wasm': `file:${tarball}` },
  }));
  // A page as a user writes it: the package by name, nothing else.
  file('main.js', `import { createClient } from 'xmpp-wasm';
const q = new URLSearchParams(location.search);
const client = createClient({ service: q.get('service'), jid: q.get('jid'), password: q.get('password') });
window.client = client;
window.bodies = [];
client.on('message', (m) => window.bodies.push(m.body));
window.connected = client.connect();
`);
  file('index.html', '<!doctype html><meta charset="utf-8"><script type="module" src="/main.js"></script>\n');
  // Nothing about the package: the dev server works without config.
  file('vite.config.js', "export default { build: { outDir: 'dist-vite' } };\n");
  file('webpack.config.cjs', `module.exports = { mode: 'production', entry: './main.js',
  output: { path: __dirname + '/dist-webpack', publicPath: '/' } };\n`);
  file('check.ts', `import { createClient, XmppError, type MessageEvent, type SharedClient } from 'xmpp-wasm';
import 'xmpp-wasm/chat';
import type { XmppChatElement } from 'xmpp-wasm/chat';
const client = createClient({ service: '/bosh', jid: 'alice@localhost', password: 'pw', shareAcrossTabs: true });
client.on('message', (m: MessageEvent) => console.log(m.body ?? '', m.outgoing === true));
client.on('online', (o) => console.log(o.jid, o.attached ?? false));
const id: string = client.sendMessage({ to: 'bob@localhost', body: 'hi' });
const tabs: number = (client as SharedClient).sharedTabs;
client.history('bob@localhost', { max: 20 }).then((page) => page.messages.length, (e: XmppError) => e.condition);
console.log(id, tabs);
// The widget: importing it defines <xmpp-chat>, typed through HTMLElementTagNameMap.
const chat: XmppChatElement = document.createElement('xmpp-chat');
chat.service = '/bosh';
chat.client = client;
chat.open('bob@localhost');
`);
  await run('npm', ['install', '--no-audit', '--no-fund', '--silent'], { cwd: dir, timeout: 300000 });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Opens the served app as alice twice and bob once; alice's first tab messages bob. */
async function chatThrough(baseUrl) {
  const open = async (user) => {
    const page = await browser.newPage();
    const q = new URLSearchParams({ service: server.boshUrl, jid: `${user}@${server.domain}`, password: `${user}-pw` });
    await page.goto(`${baseUrl}/index.html?${q}`);
    await page.waitForFunction(() => window.connected, null, { timeout: 20000 });
    const info = await page.evaluate(() => Promise.race([
      window.connected, new Promise((r) => setTimeout(() => r({ error: 'not online in 15 s' }), 15000))]));
    return { page, info };
  };
  const a1 = await open('alice');
  const a2 = await open('alice');
  const b = await open('bob');
  try {
    await a1.page.evaluate(() => window.client.sendMessage({ to: 'bob@localhost', body: 'from a bundle' }));
    await b.page.waitForFunction(() => window.bodies.includes('from a bundle'), null, { timeout: 10000 });
    await a2.page.waitForFunction(() => window.bodies.includes('from a bundle'), null, { timeout: 10000 });
    const pageWasm = await a1.page.evaluate(() => performance.getEntriesByType('resource').some((e) => e.name.includes('.wasm')));
    return { a1: a1.info, a2: a2.info, b: b.info, pageWasm };
  } finally {
    for (const p of [a1, a2, b]) await p.page.close();
  }
}

function assertShared(r) {
  assert.match(r.a1.jid, /^alice@localhost\//, 'online');
  assert.deepEqual(r.a2, { jid: r.a1.jid, attached: true }, 'the second tab attaches to the first tab\'s session');
  assert.match(r.b.jid, /^bob@localhost\//);
  assert.equal(r.pageWasm, false, 'the core runs in the shared worker: the page loads no .wasm');
}

test('npm pack: built files only (dist/), the widget and the one-file build, an exports map with types first, no install scripts', async () => {
  const { stdout } = await run('tar', ['tzf', tarball]);
  const files = stdout.trim().split('\n').map((f) => f.replace(/^package\//, '')).sort();
  for (const f of files) assert.match(f, /^(dist\/[\w.-]+|package\.json|README\.md|LICENSE)$/, `${f} is a built file`);
  for (const f of ['dist/index.js', 'dist/index.d.ts', 'dist/xmpp-wasm.wasm', 'dist/shared-worker.js',
    'dist/chat.js', 'dist/chat.d.ts', 'dist/xmpp-chat.js']) assert.ok(files.includes(f), f);
  const { stdout: pj } = await run('tar', ['xzf', tarball, '-O', 'package/package.json']);
  const pkg = JSON.parse(pj);
  assert.deepEqual(Object.keys(pkg.exports['.']), ['types', 'default'], 'types first');
  assert.deepEqual(pkg.exports['./chat'], { types: './dist/chat.d.ts', default: './dist/chat.js' }, './chat, types first');
  assert.deepEqual(Object.keys(pkg.exports['./chat']), ['types', 'default'], './chat: types first');
  assert.equal(pkg.exports['./xmpp-chat.js'], './dist/xmpp-chat.js');
  for (const s of ['preinstall', 'install', 'postinstall', 'prepare']) assert.equal(pkg.scripts?.[s], undefined, `no ${s} script`);
});

test('vite build: ships the page bundle, the shared worker and the .wasm (nothing else of the package); two tabs share one session and chat', async () => {
  await run('npx', ['vite', 'build'], { cwd: dir, timeout: 120000 });
  const assets = readdirSync(path.join(dir, 'dist-vite/assets'));
  assert.equal(assets.filter((f) => f.endsWith('.wasm')).length, 1, 'one .wasm');
  assert.equal(assets.filter((f) => f.startsWith('shared-worker')).length, 1, 'the worker bundle');
  assert.deepEqual(assets.filter((f) => !/\.(js|wasm)$/.test(f)), [], 'no other package file (.d.ts, …)');
  for (const f of assets.filter((a) => a.endsWith('.js'))) {
    assert.ok(!readFileSync(path.join(dir, 'dist-vite/assets', f), 'utf8').includes('xmpp-chat'), `${f}: a page importing only createClient has none of the widget`);
  }
  const web = await startStaticServer(path.join(dir, 'dist-vite'));
  try {
    assertShared(await chatThrough(web.url));
  } finally {
    await web.close();
  }
});

test('webpack: builds without a warning, ships the .wasm; two tabs share one session and chat', async () => {
  const { stdout } = await run('npx', ['webpack', '--config', 'webpack.config.cjs'], { cwd: dir, timeout: 120000 });
  assert.doesNotMatch(stdout, /WARNING|ERROR/, 'webpack says nothing wrong');
  const out = path.join(dir, 'dist-webpack');
  assert.ok(readdirSync(out).some((f) => f.endsWith('.wasm')), 'the .wasm is emitted');
  writeFileSync(path.join(out, 'index.html'), '<!doctype html><meta charset="utf-8"><script src="/main.js"></script>\n');
  const web = await startStaticServer(out);
  try {
    assertShared(await chatThrough(web.url));
  } finally {
    await web.close();
  }
});

test('the Vite dev server with no config (the package pre-bundled into node_modules/.vite/deps/): two tabs share one session in the worker and chat', async () => {
  const port = await freePort();
  const dev = spawn('npx', ['vite', '--host', '127.0.0.1', '--port', String(port), '--strictPort'], { cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    // Ready when it answers (its banner is coloured under CI=true, so not parsed).
    let exited = null;
    dev.on('exit', (code) => { exited = code; });
    dev.stdout.resume();
    dev.stderr.resume();
    const deadline = Date.now() + 30000;
    for (;;) {
      if (exited !== null) throw new Error(`vite exited with ${exited}`);
      if (Date.now() > deadline) throw new Error('vite dev server did not start');
      const up = await fetch(`http://127.0.0.1:${port}/index.html`).then((r) => r.ok, () => false);
      if (up) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assertShared(await chatThrough(`http://127.0.0.1:${port}`));
    assert.ok(existsSync(path.join(dir, 'node_modules/.vite/deps/xmpp-wasm.js')), 'Vite pre-bundled the package (the case the package handles)');
  } finally {
    process.kill(-dev.pid, 'SIGTERM');
  }
});

test('the one-file build from a plain folder, no bundler: <xmpp-chat> is defined, and a page script creates clients from the same file (two tabs share one session in it, as the worker) and chats', async () => {
  const site = mkdtempSync(path.join(os.tmpdir(), 'xw-onefile-'));
  try {
    for (const f of ['xmpp-chat.js', 'xmpp-wasm.wasm']) copyFileSync(path.join(dir, 'node_modules/xmpp-wasm/dist', f), path.join(site, f));
    writeFileSync(path.join(site, 'index.html'), `<!doctype html><meta charset="utf-8">
<script type="module" src="xmpp-chat.js"></script>
<xmpp-chat></xmpp-chat>
<script type="module">
import { createClient } from './xmpp-chat.js';
window.defined = !!customElements.get('xmpp-chat');
window.upgraded = document.querySelector('xmpp-chat') instanceof customElements.get('xmpp-chat');
const q = new URLSearchParams(location.search);
if (q.has('jid')) {
  const client = createClient({ service: q.get('service'), jid: q.get('jid'), password: q.get('password') });
  window.client = client;
  window.bodies = [];
  client.on('message', (m) => window.bodies.push(m.body));
  window.connected = client.connect();
}
</script>
`);
    const web = await startStaticServer(site);
    try {
      const page = await browser.newPage();
      const missing = [];
      page.on('response', (r) => { if (!r.ok() && !r.url().endsWith('/favicon.ico')) missing.push(`${r.status()} ${r.url()}`); });
      await page.goto(`${web.url}/index.html`);
      await page.waitForFunction(() => window.upgraded !== undefined);
      assert.deepEqual(await page.evaluate(() => [window.defined, window.upgraded]), [true, true], 'xmpp-chat is defined when the file has run, and the element upgraded');
      const scripts = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname)
        .filter((p) => p !== '/favicon.ico'));
      assert.deepEqual(scripts, ['/xmpp-chat.js'], 'the page loads this one file');
      assert.deepEqual(missing, [], 'nothing the page asked for is missing');
      await page.close();
      assertShared(await chatThrough(web.url));
    } finally {
      await web.close();
    }
  } finally {
    rmSync(site, { recursive: true, force: true });
  }
});

test('TypeScript: a file using the API and <xmpp-chat> (xmpp-wasm/chat) type-checks with tsc --strict against the packed .d.ts', async () => {
  await run('npx', ['tsc', '--strict', '--noEmit', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--lib', 'es2022,dom', 'check.ts'], { cwd: dir, timeout: 120000 });
});
