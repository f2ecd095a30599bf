// package.test.mjs: the package as a user gets it. `npm pack` makes the
// tarball, which is installed with pinned registry packages into a fresh
// project in a temporary folder; Vite and webpack build it, the builds (and
// Vite's dev server) are served and opened in headless Chromium, where two
// tabs share one session in the SharedWorker and a message goes to bob; a
// TypeScript file type-checks with tsc --strict against the packed .d.ts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
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
  file('vite.config.js', "export default { build: { outDir: 'dist-vite' }, optimizeDeps: { exclude: ['xmpp-wasm'] } };\n");
  file('webpack.config.cjs', `module.exports = { mode: 'production', entry: './main.js',
  output: { path: __dirname + '/dist-webpack', publicPath: '/' } };\n`);
  file('check.ts', `import { createClient, XmppError, type MessageEvent, type SharedClient } from 'xmpp-wasm';
const client = createClient({ service: '/bosh', jid: 'alice@localhost', password: 'pw', shareAcrossTabs: true });
client.on('message', (m: MessageEvent) => console.log(m.body ?? '', m.outgoing === true));
client.on('online', (o) => console.log(o.jid, o.attached ?? false));
const id: string = client.sendMessage({ to: 'bob@localhost', body: 'hi' });
const tabs: number = (client as SharedClient).sharedTabs;
client.history('bob@localhost', { max: 20 }).then((page) => page.messages.length, (e: XmppError) => e.condition);
console.log(id, tabs);
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

test('npm pack: built files only (dist/), an exports map with types first, no install scripts', async () => {
  const { stdout } = await run('tar', ['tzf', tarball]);
  const files = stdout.trim().split('\n').map((f) => f.replace(/^package\//, '')).sort();
  for (const f of files) assert.match(f, /^(dist\/[\w.-]+|package\.json|README\.md|LICENSE)$/, `${f} is a built file`);
  for (const f of ['dist/index.js', 'dist/index.d.ts', 'dist/xmpp-wasm.wasm', 'dist/shared-worker.js']) assert.ok(files.includes(f), f);
  const { stdout: pj } = await run('tar', ['xzf', tarball, '-O', 'package/package.json']);
  const pkg = JSON.parse(pj);
  assert.deepEqual(Object.keys(pkg.exports['.']), ['types', 'default'], 'types first');
  for (const s of ['preinstall', 'install', 'postinstall', 'prepare']) assert.equal(pkg.scripts?.[s], undefined, `no ${s} script`);
});

test('vite build: ships the page bundle, the shared worker and the .wasm (nothing else of the package); two tabs share one session and chat', async () => {
  await run('npx', ['vite', 'build'], { cwd: dir, timeout: 120000 });
  const assets = readdirSync(path.join(dir, 'dist-vite/assets'));
  assert.equal(assets.filter((f) => f.endsWith('.wasm')).length, 1, 'one .wasm');
  assert.equal(assets.filter((f) => f.startsWith('shared-worker')).length, 1, 'the worker bundle');
  assert.deepEqual(assets.filter((f) => !/\.(js|wasm)$/.test(f)), [], 'no other package file (.d.ts, …)');
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

test('the Vite dev server (with optimizeDeps.exclude, as the README says): two tabs share one session and chat', async () => {
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
  } finally {
    process.kill(-dev.pid, 'SIGTERM');
  }
});

test('TypeScript: a file using the API type-checks with tsc --strict against the packed .d.ts', async () => {
  await run('npx', ['tsc', '--strict', '--noEmit', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--lib', 'es2022,dom', 'check.ts'], { cwd: dir, timeout: 120000 });
});
