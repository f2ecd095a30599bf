// latency.mjs (`npm run bench`): xmpp-wasm side by side with Strophe.js
// (and StanzaJS when its browser bundle is present) in one headless
// Chromium, against one local ejabberd without mod_mam. Prints medians.
// A benchmark, not a test: it asserts nothing about speed.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEjabberd } from '../support/ejabberd.mjs';
import { startStaticServer } from '../support/static-server.mjs';
import { launchBrowser } from '../support/browser.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const n = Number(process.env.BENCH_N ?? 50);
const burst = Number(process.env.BENCH_BURST ?? 1000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 1);

const server = await startEjabberd(); // no mod_mam: it throttles ejabberd's default backend
const web = await startStaticServer(root);
const browser = await launchBrowser();
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(`${web.url}/tests/bench/bench.html`);
  const libs = await page.waitForFunction(() => window.benchReady).then((h) => h.jsonValue());
  const results = [];
  for (let round = 0; round < rounds; round++) {
    for (const [i, lib] of libs.entries()) {
      // Separate accounts per library so no session of one run meets another.
      const alice = { jid: `a${round}x${i}@${server.domain}`, password: 'pw-a' };
      const bob = { jid: `b${round}x${i}@${server.domain}`, password: 'pw-b' };
      await server.register(alice.jid.split('@')[0], alice.password);
      await server.register(bob.jid.split('@')[0], bob.password);
      const r = await page.evaluate(([l, o]) => window.runBench(l, o), [lib, { service: server.boshUrl, alice, bob, n, burst }]);
      results.push(r);
      console.error(`${r.lib}: done`);
    }
  }
  const floor = await page.evaluate((o) => window.rawFetch(o), { service: server.boshUrl, n });
  const chromium = await browser.browser()?.version?.();
  console.log(`headless Chromium ${chromium ?? ''}, ejabberd 23.01 on loopback (no mod_mam); medians of ${n}; burst of ${burst}`);
  console.log('| client | login | ping round trip | one-way chat latency | burst received |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const r of results) {
    console.log(`| ${r.lib} | ${r.loginMs.toFixed(1)} ms | ${r.pingMs.toFixed(2)} ms | ${r.latencyMs.toFixed(2)} ms | ` +
      `${Math.round(r.burstPerSec)} msg/s (${r.burstReceived}/${r.burst}) |`);
  }
  console.log(`| one fetch() round trip to the same server (the browser's floor) | | ${floor.toFixed(2)} ms | | |`);
} finally {
  await browser.close();
  await web.close();
  await server.stop();
}
