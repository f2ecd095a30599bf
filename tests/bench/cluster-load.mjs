// cluster-load.mjs (`npm run cluster-load`): COUNT xmpp-wasm clients (default
// 1,000) in this one Node process log in through the balancer of an ejabberd
// cluster (tests/support/cluster.mjs: two nodes, PostgreSQL, HAProxy round
// robin) and chat in pairs for SECONDS (default 60): every client sends its
// partner one message every INTERVAL_MS (default 4,000, so 250 msg/s for
// 1,000 clients). Then it checks that every message arrived once, in order,
// and that no session was dropped, and reports messages per second, login
// time percentiles, memory per client (JS heap and the shared core's wasm
// memory) and client CPU per message. Exits 1 when anything was lost,
// duplicated or dropped. Run with --expose-gc for the heap figure.
// runLoad() is the same run on a cluster of the caller's (cluster.test.mjs).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { startCluster } from '../support/cluster.mjs';
import { registerInBand, REGISTER_YAML } from './register.mjs';
import { createClient } from '../../dist/index.js';
import { loadCore } from '../../dist/core.js';

const COUNT = Number(process.env.COUNT ?? 1000) & ~1; // pairs
const SECONDS = Number(process.env.SECONDS ?? 60);
const INTERVAL_MS = Number(process.env.INTERVAL_MS ?? 4000);
const LOGIN_BATCH = 25;
const PW = 'load-pw';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...a) => console.error('[cluster-load]', ...a);
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};

/**
 * Logs in `count` clients (accounts load0.. with password PW, registered here by
 * in-band registration: the cluster needs REGISTER_YAML) through the cluster's balancer,
 * lets pairs chat for `seconds`, disconnects them; returns the figures, with `ok` when
 * every client came online and every message arrived once, in order, no session dropped.
 */
export async function runLoad(cluster, { count = COUNT, seconds = SECONDS, intervalMs = INTERVAL_MS } = {}) {
  const core = await loadCore();
  const snapshot = () => {
    global.gc?.();
    const m = process.memoryUsage();
    return { heapUsed: m.heapUsed, rss: m.rss, wasm: core.x.memory.buffer.byteLength };
  };
  const users = Array.from({ length: count }, (_, i) => ({ user: `load${i}`, password: PW }));
  const reg = await registerInBand(cluster.nodes[0].c2sPort, cluster.domain, users);
  log(`${reg.ok} accounts registered`);

  const before = snapshot();
  const clients = [];
  const loginMs = [];
  const failures = [];
  const dropped = [];
  const got = Array.from({ length: count }, () => []);
  const t0 = performance.now();
  for (let i = 0; i < count; i += LOGIN_BATCH) {
    await Promise.all(users.slice(i, i + LOGIN_BATCH).map(async ({ user }, k) => {
      const n = i + k;
      const c = createClient({ service: cluster.boshUrl, jid: `${user}@${cluster.domain}`, password: PW, shareAcrossTabs: false, catchUp: false });
      clients[n] = c;
      c.on('message', (m) => {
        const seq = /^m(\d+)$/.exec(m.body ?? '');
        if (seq) got[n].push(Number(seq[1]));
      });
      c.on('status', (e) => { if (e.status === 'reconnecting') dropped.push({ n, reason: e.reason }); });
      const start = performance.now();
      try {
        await Promise.race([c.connect(), sleep(60000).then(() => { throw new Error('login timed out'); })]);
        loginMs.push(performance.now() - start);
      } catch (err) {
        failures.push(`${user}: ${err.condition ?? err.message}`);
      }
    }));
  }
  const loginSeconds = (performance.now() - t0) / 1000;
  log(`${loginMs.length}/${count} online in ${loginSeconds.toFixed(1)} s; failures: ${failures.slice(0, 5).join(', ')}`);
  await sleep(3000);
  const online = snapshot();

  // Pairs (2k, 2k+1) send each other m1, m2, … every intervalMs, each
  // client starting at a random offset so the load is even.
  const sent = new Array(count).fill(0);
  const cpu0 = process.cpuUsage();
  const tStart = performance.now();
  const tEnd = tStart + seconds * 1000;
  await Promise.all(clients.map(async (c, n) => {
    const partner = `load${n ^ 1}@${cluster.domain}`;
    await sleep(Math.random() * intervalMs);
    while (performance.now() < tEnd) {
      try {
        c.sendMessage({ to: partner, body: `m${sent[n] + 1}` });
        sent[n]++;
      } catch (err) {
        failures.push(`send by load${n}: ${err.condition ?? err.message}`);
      }
      await sleep(intervalMs);
    }
  }));
  const expected = (n) => sent[n ^ 1];
  const drainDeadline = performance.now() + 30000;
  while (got.some((g, n) => g.length < expected(n)) && performance.now() < drainDeadline) await sleep(200);
  const tLast = performance.now();
  const cpu = process.cpuUsage(cpu0);
  await sleep(2000); // a duplicate would come now
  const totalSent = sent.reduce((a, b) => a + b, 0);
  let lost = 0;
  let dups = 0;
  let disorder = 0;
  got.forEach((g, n) => {
    const seen = new Set(g);
    dups += g.length - seen.size;
    for (let k = 1; k <= expected(n); k++) if (!seen.has(k)) lost++;
    for (let k = 1; k < g.length; k++) if (g[k] < g[k - 1]) disorder++;
  });
  const received = got.reduce((a, g) => a + g.length, 0);
  const result = {
    clients: count, online: loginMs.length, loginSeconds: +loginSeconds.toFixed(1),
    loginMs: { p50: +pct(loginMs, 50).toFixed(0), p95: +pct(loginMs, 95).toFixed(0), p99: +pct(loginMs, 99).toFixed(0), max: +pct(loginMs, 100).toFixed(0) },
    sent: totalSent, received, lost, duplicated: dups, outOfOrder: disorder, sessionsDropped: dropped.length,
    msgPerSecond: +(received / ((tLast - tStart) / 1000)).toFixed(0),
    perClient: {
      jsHeapKiB: +((online.heapUsed - before.heapUsed) / loginMs.length / 1024).toFixed(1),
      wasmKiB: +((online.wasm - before.wasm) / loginMs.length / 1024).toFixed(1),
      rssKiB: +((online.rss - before.rss) / loginMs.length / 1024).toFixed(1),
    },
    cpuMsPerMessage: +(((cpu.user + cpu.system) / 1000) / (totalSent + received)).toFixed(3),
    failures: failures.slice(0, 10), dropped: dropped.slice(0, 10),
  };
  result.ok = result.online === count && lost === 0 && dups === 0 && disorder === 0 && dropped.length === 0 && !failures.length;
  for (let i = 0; i < clients.length; i += 50) {
    await Promise.all(clients.slice(i, i + 50).map((c) => Promise.race([c?.disconnect().catch(() => {}), sleep(5000)])));
  }
  return result;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  log(`starting the cluster; ${COUNT} clients, ${SECONDS} s, a message per client every ${INTERVAL_MS} ms`);
  const cluster = await startCluster({ mam: true, extraYaml: REGISTER_YAML });
  let exitCode = 1;
  try {
    const result = await runLoad(cluster);
    console.log(JSON.stringify(result, null, 2));
    exitCode = result.ok ? 0 : 1;
  } finally {
    await cluster.stop();
  }
  process.exit(exitCode);
}
