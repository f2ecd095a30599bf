// run.mjs (`npm run bench`): xmpp-wasm side by side with Strophe.js and
// StanzaJS (over BOSH) in headless Chromium against a local ejabberd without
// mod_mam, interleaved round-robin so machine noise hits all alike: login,
// ping, one-way chat latency between two tabs, a burst (and the same burst
// through a bare BOSH client: what the server allows), an archive page and
// a roster from a scripted server (so the server does not count), download
// size, memory, cold start. Writes build/bench/results.md, results.json
// (machine, versions, raw samples) and latency.svg; prints the table.
// A benchmark, not a test: it asserts nothing about speed.
// BENCH_QUICK=1: small counts, for a smoke run.
import path from 'node:path';
import fs from 'node:fs/promises';
import os from 'node:os';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startEjabberd } from '../support/ejabberd.mjs';
import { startStaticServer } from '../support/static-server.mjs';
import { CHROMIUM_ARGS } from '../support/browser.mjs';
import { buildBundles } from './bundles.mjs';
import { registerInBand, REGISTER_YAML } from './register.mjs';
import { rawBurst } from './raw-burst.mjs';
import { startScriptedCM, rosterResult, archivePage, attr } from './scripted-cm.mjs';
import { median, p95, fmt, markdownTable, latencySvg } from './report.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const outDir = path.join(root, 'build/bench');
const QUICK = process.env.BENCH_QUICK === '1';
const N = QUICK
  ? { login: 3, ping: 20, oneway: 20, burst: 500, archive: 1, archiveSize: 5000, roster: 10000, rosterRuns: 1, cold: 3, idle: 50, burstWaitMs: 60000 }
  : { login: 20, ping: 200, oneway: 200, burst: 5000, archive: 5, archiveSize: 5000, roster: 10000, rosterRuns: 3, cold: 7, idle: 1000, burstWaitMs: 240000 };
const PW = 'bench-pw';
const MAIN = 'xmpp-wasm';
const ALT = 'xmpp-wasm, shareAcrossTabs: false';
const OTHERS = ['Strophe.js', 'StanzaJS'];
const CLIENTS = [MAIN, ALT, ...OTHERS];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const jitter = (lo, hi) => lo + Math.random() * (hi - lo);
const log = (...a) => console.error('[bench]', ...a);

/** page.evaluate with a deadline of its own, so nothing waits forever. */
async function ev(page, fn, arg, ms = 60000) {
  let timer;
  try {
    return await Promise.race([
      page.evaluate(fn, arg),
      new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`evaluate timed out after ${ms} ms`)), ms); }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs fn, or notes the error once per (client, step) and gives NaN. */
const failures = {};
async function attempt(client, step, fn) {
  try {
    return await fn();
  } catch (err) {
    const key = `${client}: ${step}`;
    if (!failures[key]) log(`${key} failed: ${err.message.split('\n')[0]}`);
    failures[key] = (failures[key] ?? 0) + 1;
    return NaN;
  }
}

/** Each round starts with the next client, so none is always first after the pause. */
const rotate = (xs, r) => xs.map((_, i) => xs[(i + r) % xs.length]);

async function machine() {
  const osRelease = await fs.readFile('/etc/os-release', 'utf8').catch(() => '');
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    os: `${/PRETTY_NAME="([^"]*)"/.exec(osRelease)?.[1] ?? os.type()} (${os.type()} ${os.release()})`,
  };
}

const pkgVersion = async (p) => JSON.parse(await fs.readFile(path.join(root, p), 'utf8')).version;

// ---------------------------------------------------------------- the run
const results = { quick: QUICK, counts: N, started: new Date().toISOString(), machine: await machine(), versions: {}, samples: {}, notes: {}, failures };
const opened = []; // what to stop at the end, last first
let browser = null;

async function stopAll() {
  if (browser) await browser.close().catch(() => {});
  for (const stop of opened.reverse()) await stop().catch(() => {});
}
for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => stopAll().then(() => process.exit(130)));

try {
  log('bundling the clients');
  results.download = await buildBundles(root, outDir);

  log('starting ejabberd, the static server and Chromium');
  const server = await startEjabberd({ extraYaml: REGISTER_YAML }); // no mod_mam: it throttles ejabberd's default backend
  opened.push(() => server.stop());
  const web = await startStaticServer(root);
  opened.push(() => web.close());
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: [...CHROMIUM_ARGS, '--enable-precise-memory-info', '--js-flags=--expose-gc'],
  });

  const accounts = [];
  CLIENTS.forEach((_, k) => accounts.push({ user: `l${k}`, password: PW }, { user: `a${k}`, password: PW }, { user: `b${k}`, password: PW }));
  accounts.push({ user: 'rawa', password: PW }, { user: 'rawb', password: PW });
  for (let i = 0; i < N.idle; i++) accounts.push({ user: `idle${i}`, password: PW });
  const t0 = Date.now();
  const reg = await registerInBand(server.c2sPort, server.domain, accounts);
  results.notes.registration = `${reg.ok} accounts by in-band registration (XEP-0077) over one c2s stream in ${((Date.now() - t0) / 1000).toFixed(1)} s`;
  log(results.notes.registration);
  const creds = (user) => ({ service: server.boshUrl, jid: `${user}@${server.domain}`, password: PW });

  // One browser context per client: its own connection pool (six per host)
  // and SharedWorker, as a user of one site has; two tabs in it, alice's and bob's.
  const tabs = {};
  for (const name of CLIENTS) {
    const context = await browser.newContext();
    const open = async () => {
      const page = await context.newPage();
      page.on('pageerror', (e) => log(`${name} page error: ${e.message}`));
      await page.goto(`${web.url}/tests/bench/page.html`, { timeout: 30000 });
      await page.waitForFunction(() => window.benchReady === true, null, { timeout: 30000 });
      return page;
    };
    tabs[name] = { context, alice: await open(), bob: await open() };
  }
  const floorPage = await (await browser.newContext()).newPage();
  await floorPage.goto(`${web.url}/tests/bench/page.html`);
  await floorPage.waitForFunction(() => window.benchReady === true, null, { timeout: 30000 });
  results.versions = {
    chromium: browser.version(),
    ejabberd: /ejabberd (\S+)/.exec(await server.ctl('status'))?.[1] ?? 'unknown',
    node: process.version,
    'xmpp-wasm': await pkgVersion('package.json'),
    'Strophe.js': await pkgVersion('node_modules/strophe.js/package.json'),
    StanzaJS: await pkgVersion('node_modules/stanza/package.json'),
    esbuild: await pkgVersion('node_modules/esbuild/package.json'),
  };

  // 1. Login: a fresh session each time (its own account, so a shared
  // session of the tab never answers for it).
  log(`login × ${N.login}`);
  const S = (results.samples = { login: {}, ping: {}, oneway: {}, floor: [], burst: {}, archive: {}, roster: {}, cold: {} });
  for (const c of CLIENTS) Object.assign(S.login, { [c]: [] }), (S.ping[c] = []), (S.oneway[c] = []);
  for (let r = 0; r < N.login; r++) {
    for (const c of rotate(CLIENTS, r)) {
      const k = CLIENTS.indexOf(c);
      S.login[c].push(await attempt(c, 'login', () => ev(tabs[c].alice, ([n, cr]) => window.bench.login(n, cr), [c, creds(`l${k}`)], 30000)));
      await sleep(jitter(20, 60));
    }
  }

  log('opening the tabs\' sessions');
  const live = [];
  for (const c of CLIENTS) {
    const k = CLIENTS.indexOf(c);
    const ok = await attempt(c, 'open', async () => {
      await ev(tabs[c].alice, ([n, cr]) => window.bench.open(n, cr), [c, creds(`a${k}`)], 30000);
      await ev(tabs[c].bob, ([n, cr]) => window.bench.open(n, cr), [c, creds(`b${k}`)], 30000);
      return 1;
    });
    if (ok === 1) live.push(c);
  }
  await sleep(1000); // presence exchanged, every session idle with its long-poll held

  // 2. Ping, with the browser's floor (one fetch round trip) in the same rounds.
  log(`ping × ${N.ping}`);
  for (let r = 0; r < N.ping; r++) {
    for (const c of rotate([...live, 'floor'], r)) {
      if (c === 'floor') {
        S.floor.push(await attempt('floor', 'fetch', () => ev(floorPage, (u) => window.bench.fetchFloor(u), server.boshUrl, 15000)));
      } else {
        S.ping[c].push(await attempt(c, 'ping', () => ev(tabs[c].alice, (n) => window.bench.ping(n, 'localhost'), c, 15000)));
      }
      await sleep(jitter(2, 20));
    }
  }

  // 3. One-way: alice's tab stamps the wall clock and sends; bob's tab
  // subtracts it from the wall clock at the message handler. The next
  // sample starts once this one arrived, after a random pause.
  log(`one-way × ${N.oneway}`);
  for (let r = 0; r < N.oneway; r++) {
    for (const c of rotate(live, r)) {
      const k = CLIENTS.indexOf(c);
      S.oneway[c].push(await attempt(c, 'one-way', async () => {
        const got = ev(tabs[c].bob, ([n, i]) => window.bench.receivedLatency(n, i, 10000), [c, r], 15000);
        await ev(tabs[c].alice, ([n, to, i]) => window.bench.sendLatency(n, to, i), [c, `b${k}@${server.domain}`, r], 15000);
        const v = await got;
        if (v === null) throw new Error(`sample ${r} did not arrive within 10 s`);
        return v;
      }));
      await sleep(jitter(5, 40));
    }
  }

  // 4. Burst: one client after the other (a burst cannot be interleaved),
  // then the bare BOSH client in Node.
  log(`burst of ${N.burst}`);
  for (const c of live) {
    const k = CLIENTS.indexOf(c);
    S.burst[c] = await attempt(c, 'burst', async () => {
      await ev(tabs[c].bob, ([n, count]) => window.bench.expectBurst(n, count), [c, N.burst]);
      const sent = await ev(tabs[c].alice, ([n, to, count]) => window.bench.sendBurst(n, to, count), [c, `b${k}@${server.domain}`, N.burst], N.burstWaitMs);
      const got = await ev(tabs[c].bob, ([n, ms]) => window.bench.burstReceived(n, ms), [c, N.burstWaitMs], N.burstWaitMs + 10000);
      return { ...got, sendApiMs: sent.apiMs, errors: sent.errors, perSec: got.received / ((got.lastAt - sent.t0) / 1000) };
    });
    log(`  ${c}: ${JSON.stringify(S.burst[c])}`);
  }
  for (const c of live) {
    await attempt(c, 'close', async () => {
      await ev(tabs[c].alice, (n) => window.bench.close(n), c, 10000);
      await ev(tabs[c].bob, (n) => window.bench.close(n), c, 10000);
    });
  }
  S.rawBurst = await attempt('raw BOSH', 'burst', () => rawBurst(server.boshUrl, {
    alice: { user: 'rawa', password: PW }, bob: { user: 'rawb', password: PW }, count: N.burst, timeoutMs: 60000,
  }));

  // 5. Archive: five queries of 1,000 (xmpp-wasm's history() takes at most
  // 1,000 a page), all answered in one BOSH response of 5,000 results from
  // a scripted server; from the moment it wrote that response to every
  // message handed to the app, in the page's wall clock.
  log(`archive × ${N.archive}`);
  const withs = Array.from({ length: 5 }, (_, i) => `peer${i}@localhost`);
  for (const c of CLIENTS) S.archive[c] = [];
  for (let r = 0; r < N.archive; r++) {
    for (const c of rotate(CLIENTS, r)) {
      S.archive[c].push(await attempt(c, 'archive', async () => {
        const queries = [];
        const cm = await startScriptedCM({
          password: PW,
          onIq(st, id) {
            if (!st.includes('urn:xmpp:mam:2')) return undefined;
            const q = /<query\b[^>]*>/.exec(st)?.[0] ?? '';
            queries.push({ id, queryid: attr(q, 'queryid') });
            if (queries.length < withs.length) return null;
            return queries.map((x, i) => archivePage({
              id: x.id, queryid: x.queryid, owner: 'alice@localhost', to: 'alice@localhost/bench', peer: withs[i],
              n: N.archiveSize / withs.length, offset: i * (N.archiveSize / withs.length),
            })).join('');
          },
        });
        try {
          const context = await browser.newContext();
          try {
            const page = await context.newPage();
            await page.goto(`${web.url}/tests/bench/page.html`);
            await page.waitForFunction(() => window.benchReady === true, null, { timeout: 30000 });
            const res = await ev(page, ([n, cr, w]) => window.bench.archive(n, cr, w),
              [c, { service: cm.url, jid: 'alice@localhost', password: PW }, withs], 90000);
            if (res.count !== N.archiveSize || res.complete !== N.archiveSize) throw new Error(`got ${res.count} messages, ${res.complete} complete`);
            const sent = cm.sent.reduce((a, b) => (b.bytes > a.bytes ? b : a));
            return res.doneAt - sent.at;
          } finally {
            await context.close();
          }
        } finally {
          await cm.close();
        }
      }));
    }
  }

  // 7a. Memory: a 10,000-item roster from a scripted server, in a fresh
  // context per run; the page's JS heap after a GC, and xmpp-wasm's wasm
  // memory (only visible where the core runs in the page: shareAcrossTabs
  // false; with the default the core is in the SharedWorker).
  log(`roster of ${N.roster} × ${N.rosterRuns}`);
  for (const c of CLIENTS) S.roster[c] = [];
  for (let r = 0; r < N.rosterRuns; r++) {
    for (const c of rotate(CLIENTS, r)) {
      const v = await attempt(c, 'roster', async () => {
        const cm = await startScriptedCM({
          password: PW,
          onIq: (st, id) => (st.includes('jabber:iq:roster') && /type=['"]get['"]/.test(st) ? rosterResult(id, N.roster, 'alice@localhost/bench') : undefined),
        });
        const context = await browser.newContext();
        try {
          const page = await context.newPage();
          await page.goto(`${web.url}/tests/bench/page.html`);
          await page.waitForFunction(() => window.benchReady === true, null, { timeout: 30000 });
          const options = undefined; // defaults: the server's own roster result is not bound by maxStanzaBytes
          const res = await ev(page, ([n, cr]) => window.bench.roster(n, cr), [c, { service: cm.url, jid: 'alice@localhost', password: PW, options }], 90000);
          if (res.items !== N.roster) throw new Error(`roster of ${res.items}`);
          return res;
        } finally {
          await context.close();
          await cm.close();
        }
      });
      if (v) S.roster[c].push(v);
    }
  }

  // 8. Cold start: a fresh context and an empty page each time; import of
  // the production bundle to a client ready to connect.
  log(`cold start × ${N.cold}`);
  const coldClients = [ALT, ...OTHERS];
  for (const c of coldClients) S.cold[c] = [];
  for (let r = 0; r < N.cold; r++) {
    for (const c of rotate(coldClients, r)) {
      S.cold[c].push(await attempt(c, 'cold start', async () => {
        const context = await browser.newContext();
        try {
          const page = await context.newPage();
          await page.goto(`${web.url}/tests/bench/blank.html`);
          return await ev(page, async ([n, service]) => {
            const t0 = performance.now();
            if (n.startsWith('xmpp-wasm')) {
              const m = await import('/build/bench/xmpp-wasm.js');
              m.createClient({ service, jid: 'alice@localhost', password: 'x', shareAcrossTabs: false });
              await m.loadCore(); // fetch, compile and instantiate the .wasm
            } else if (n === 'Strophe.js') {
              const m = await import('/build/bench/strophe.js');
              new m.Strophe.Connection(service); // eslint-disable-line no-new
            } else {
              const m = await import('/build/bench/stanza.js');
              m.createClient({ jid: 'alice@localhost', password: 'x', transports: { bosh: service, websocket: false } });
            }
            return performance.now() - t0;
          }, [c, server.boshUrl], 30000);
        } finally {
          await context.close();
        }
      }));
    }
  }

  // 7b. Idle clients in one Node process, against this ejabberd.
  log(`${N.idle} idle xmpp-wasm clients in Node`);
  S.idle = await attempt(MAIN, 'idle clients in Node', () => new Promise((resolve, reject) => {
    execFile(process.execPath, ['--expose-gc', path.join(here, 'node-idle.mjs')], {
      env: { ...process.env, SERVICE: server.boshUrl, COUNT: String(N.idle), PREFIX: 'idle', PASSWORD: PW },
      timeout: 600000, killSignal: 'SIGKILL', maxBuffer: 1 << 20,
    }, (err, stdout, stderr) => {
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line));
      else reject(err ?? new Error(stderr.slice(-500)));
    });
  }));
} finally {
  await stopAll();
}

// ---------------------------------------------------------------- report
const S = results.samples;
const col = (f) => Object.fromEntries(CLIENTS.map((c) => [c, f(c)]));
const floorMed = median(S.floor ?? []);
const num = (v) => (Number.isFinite(v) ? v : undefined);
const rosterOf = (c, k) => median((S.roster?.[c] ?? []).map((x) => x[k]));
const idle = S.idle && Number.isFinite(S.idle.online) ? S.idle : null;
const per = (k) => (idle ? (idle.after[k] - idle.before[k]) / idle.online : undefined);
const burstCell = (b) => (b && Number.isFinite(b.perSec)
  ? `${fmt.rate(b.perSec)} (${b.received.toLocaleString('en-US')}/${N.burst.toLocaleString('en-US')}${b.inOrder ? ', in order' : b.received === N.burst ? ', out of order' : ''}${b.errors?.length ? `, ${b.errors.length} errors` : ''})`
  : '–');
const dl = (k) => col((c) => (c === ALT
  ? results.download[MAIN].files.filter((f) => !f.file.startsWith('shared-worker')).reduce((a, f) => a + f[k], 0)
  : results.download[c === MAIN ? MAIN : c]?.total[k]));
const rows = [
  { label: `login, median of ${N.login}`, values: col((c) => median(S.login[c])), format: fmt.ms, better: 'lower' },
  { label: `ping round trip, median of ${N.ping}`, values: { ...col((c) => median(S.ping[c])), floor: floorMed }, format: fmt.ms, better: 'lower' },
  { label: 'ping round trip, p95', values: { ...col((c) => p95(S.ping[c])), floor: p95(S.floor) }, format: fmt.ms, better: 'lower' },
  { label: 'ping median ÷ floor', values: col((c) => median(S.ping[c]) / floorMed), format: fmt.x, better: 'lower' },
  { label: `one-way chat latency, median of ${N.oneway}`, values: { ...col((c) => median(S.oneway[c])), floor: floorMed }, format: fmt.ms, better: 'lower' },
  { label: 'one-way chat latency, p95', values: { ...col((c) => p95(S.oneway[c])), floor: p95(S.floor) }, format: fmt.ms, better: 'lower' },
  { label: 'one-way median ÷ floor', values: col((c) => median(S.oneway[c]) / floorMed), format: fmt.x, better: 'lower' },
  {
    label: `burst of ${N.burst.toLocaleString('en-US')}, received`, format: fmt.rate, better: 'higher',
    values: { ...col((c) => S.burst[c]?.perSec), floor: S.rawBurst?.perSec },
    text: { ...col((c) => burstCell(S.burst[c])), floor: `${burstCell(S.rawBurst)} ²` },
  },
  { label: `archive page of ${N.archiveSize.toLocaleString('en-US')} to the app, median of ${N.archive}`, values: col((c) => median(S.archive[c])), format: fmt.ms, better: 'lower' },
  { label: 'download, minified, raw', values: dl('raw'), format: fmt.kb, better: 'lower' },
  { label: 'download, gzip -9', values: dl('gzip'), format: fmt.kb, better: 'lower' },
  { label: 'download, brotli', values: dl('brotli'), format: fmt.kb, better: 'lower' },
  { label: `${N.roster.toLocaleString('en-US')}-item roster: wasm memory`, values: { [ALT]: num(rosterOf(ALT, 'wasm')) }, format: fmt.kb, better: null },
  { label: `${N.roster.toLocaleString('en-US')}-item roster: page JS heap added`, values: col((c) => num(rosterOf(c, 'heapAdded'))), format: fmt.kb, better: 'lower' },
  { label: `idle client in Node (${idle?.online ?? '?'} of ${N.idle.toLocaleString('en-US')} online on ejabberd): JS heap each`, values: { [ALT]: per('heapUsed') }, format: fmt.kb, better: null },
  { label: 'idle client in Node: wasm memory each', values: { [ALT]: per('wasm') }, format: fmt.kb, better: null },
  { label: 'idle client in Node: process RSS each', values: { [ALT]: per('rss') }, format: fmt.kb, better: null },
  { label: `cold start, median of ${N.cold}`, values: col((c) => median(S.cold[c] ?? [])), format: fmt.ms, better: 'lower' },
];
const table = markdownTable(rows, { columns: CLIENTS, extra: ['floor'], main: MAIN, alt: ALT, others: OTHERS });
results.table = rows.map((r) => ({ label: r.label, values: r.values }));
const v = results.versions;
const md = `# xmpp-wasm benchmark${QUICK ? ' (BENCH_QUICK: small counts)' : ''}

${results.machine.cpu}, ${results.machine.cores} cores, ${results.machine.os}; headless Chromium ${v.chromium}, ejabberd ${v.ejabberd} on loopback (mod_mam off), Node ${v.node}; xmpp-wasm ${v['xmpp-wasm']}, Strophe.js ${v['Strophe.js']}, StanzaJS ${v.StanzaJS} (BOSH only). Clients interleaved round-robin per round; each client in its own browser context (its own connection pool and SharedWorker), alice and bob in two tabs of it.

${table}

- floor: one fetch() round trip from a page to the same ejabberd /bosh (an unknown sid, answered at once), sampled in the ping rounds; the ÷ floor rows divide by its median.
- ² the burst through a bare BOSH client in Node on fetch (batches of 250 per request), what the server itself allows.
- ¹ measured with shareAcrossTabs: false (the core in the page), where the default's core sits in the SharedWorker.
- one-way: alice's tab stamps performance.timeOrigin + performance.now() into the body right before the send call; bob's tab subtracts it from the same wall clock in its message handler (both tabs on this machine share one clock). Each sample starts after the previous arrived, plus a random 5–40 ms pause.
- archive: five queries of 1,000 each, answered together in one BOSH response of ${N.archiveSize.toLocaleString('en-US')} results (delay, stanza-id) by a scripted server on loopback; from the server writing it (Node's wall clock) to every message handed to the app (the page's).
- login: createClient (or the library's constructor) to online (xmpp-wasm: connect() resolved; Strophe.js: CONNECTED; StanzaJS: session:started), a fresh session and account per client, then logged out.
- ping: XEP-0199 to the server, timed in alice's tab around the API call, with a random 2–20 ms pause between samples.
- burst: alice's tab calls the send API ${N.burst.toLocaleString('en-US')} times as fast as it takes them (xmpp-wasm's Client: a resource-constraint throw waits 5 ms and retries); msg/s is what bob's tab received, from the first send to the last arrival, checked for order and duplicates.
- download: the esbuild --bundle --minify bundle of each client's entry as a page imports it; xmpp-wasm adds its .wasm, and with the default (SharedWorker) the worker's own bundle.
- roster: a scripted server sends ${N.roster.toLocaleString('en-US')} items (name, group; ${(Buffer.byteLength(rosterResult('x', N.roster, 'alice@localhost/bench')) / 2 ** 20).toFixed(2)} MiB in one result) at login (xmpp-wasm fetches it itself; Strophe.js and StanzaJS ask for it); the page's JS heap after gc() minus before connecting (the roster kept by the app), median of ${N.rosterRuns} fresh contexts. every client with its defaults; its wasm memory is the core's whole linear memory, read where the core runs in the page (shareAcrossTabs: false).
- idle clients in Node: ${N.idle.toLocaleString('en-US')} xmpp-wasm clients (shareAcrossTabs: false) logged in 25 at a time in one Node process against this ejabberd, 5 s idle, then the process's heapUsed (after gc), the core's wasm memory and RSS, minus before the first login, divided by the clients online. ejabberd runs under su with 1,024 open files, which is about where a thousand held BOSH connections end.
- cold start: a fresh browser context and empty page, then import() of the bundle to a client ready to connect (xmpp-wasm: createClient and loadCore, the .wasm fetched, compiled and instantiated; Strophe.js: new Strophe.Connection; StanzaJS: createClient), median of ${N.cold}.
- xmpp-wasm ÷ best other: xmpp-wasm (default) against the better of Strophe.js and StanzaJS; for msg/s higher is better, elsewhere lower.
${Object.keys(failures).length ? `- failures: ${Object.entries(failures).map(([k, n]) => `${k} (${n})`).join('; ')}\n` : ''}`;

await fs.mkdir(outDir, { recursive: true });
await fs.writeFile(path.join(outDir, 'results.md'), md);
await fs.writeFile(path.join(outDir, 'results.json'), `${JSON.stringify(results, null, 1)}\n`);
const colors = { [MAIN]: '#d62728', [ALT]: '#ff9896', 'Strophe.js': '#1f77b4', StanzaJS: '#2ca02c' };
await fs.writeFile(path.join(outDir, 'latency.svg'), latencySvg([
  { title: 'ping round trip (XEP-0199)', samples: S.ping ?? {}, floor: floorMed },
  { title: 'one-way chat latency, tab to tab', samples: S.oneway ?? {}, floor: floorMed },
], colors));
console.log(md);
