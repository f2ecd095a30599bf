// node-idle.mjs: run as its own Node process (with --expose-gc) by the
// runner: what one idle xmpp-wasm client costs when many run in one
// process. Logs in COUNT clients (accounts PREFIX0.., one password) to
// SERVICE in small batches, lets them idle (presence exchanged, one
// long-poll held each), then prints the process's memory before and after
// as one JSON line. The core is one instance per process, shared by all.
import { performance } from 'node:perf_hooks';
import { createClient } from '../../dist/index.js';
import { loadCore } from '../../dist/core.js';

const { SERVICE, COUNT, PREFIX, PASSWORD, DOMAIN = 'localhost' } = process.env;
const count = Number(COUNT);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const core = await loadCore();
const snapshot = () => {
  global.gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, wasm: core.x.memory.buffer.byteLength };
};
const before = snapshot();
const clients = [];
let online = 0;
const failures = [];
const t0 = performance.now();
for (let i = 0; i < count; i += 25) {
  const batch = [];
  for (let j = i; j < Math.min(count, i + 25); j++) {
    const c = createClient({ service: SERVICE, jid: `${PREFIX}${j}@${DOMAIN}`, password: PASSWORD, shareAcrossTabs: false, reconnect: false });
    clients.push(c);
    batch.push(Promise.race([c.connect(), sleep(60000).then(() => { throw new Error('login timed out'); })])
      .then(() => { online++; }, (e) => { failures.push(e.condition ?? e.message); }));
  }
  await Promise.all(batch);
}
const loginSeconds = (performance.now() - t0) / 1000;
await sleep(5000); // idle: presence and roster done, one request held each
const after = snapshot();
process.stdout.write(`${JSON.stringify({ count, online, failures: failures.slice(0, 5), loginSeconds, before, after })}\n`);
for (let i = 0; i < clients.length; i += 50) {
  await Promise.all(clients.slice(i, i + 50).map((c) => Promise.race([c.disconnect().catch(() => {}), sleep(5000)])));
}
process.exit(0);
