// tabs.mjs (part of `npm run bench`): 1, 6 and 12 tabs of one Chromium
// profile on one account, with a session per tab (shareAcrossTabs: false,
// what every BOSH client does) and with the shared session (SharedWorker,
// and Web Locks + BroadcastChannel as in a browser without SharedWorker).
// Per run: tabs online, login time after loading, a round trip to bob
// (medians over the tabs after the first), the most BOSH requests in flight
// (counted by a proxy in front of ejabberd), and what one tab's page holds.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEjabberd } from '../support/ejabberd.mjs';
import { startStaticServer } from '../support/static-server.mjs';
import { startWatchProxy } from '../support/watch-proxy.mjs';
import { launchBrowser } from '../support/browser.mjs';
import { createClient } from '../../dist/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const WAIT_MS = 5000; // a tab not online (or not answered) by then counts as stuck
const server = await startEjabberd();
const web = await startStaticServer(root);
const median = (xs) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] : NaN);
const rows = [];

try {
  await server.register('bob', 'bob-pw');
  const bob = createClient({ service: server.boshUrl, jid: `bob@${server.domain}`, password: 'bob-pw', requestGapMs: 0 });
  bob.on('message', (m) => {
    if (m.body?.startsWith('ping ')) bob.sendMessage({ to: m.from, body: m.body.replace('ping', 'pong') });
  });
  await bob.connect();
  let account = 0;
  for (const mode of ['a session per tab', 'shared: SharedWorker', 'shared: Web Locks']) {
    for (const n of [1, 6, 12]) {
      const user = `u${++account}`;
      await server.register(user, 'pw');
      const proxy = await startWatchProxy(server.boshUrl);
      const browser = await launchBrowser({ args: ['--enable-precise-memory-info'] });
      const extra = mode === 'a session per tab' ? '&share=0' : mode === 'shared: Web Locks' ? '&nosw=1' : '';
      const logins = [];
      const trips = [];
      let online = 0;
      let heap = 0;
      try {
        for (let i = 0; i < n; i++) {
          const page = await browser.newPage();
          const q = new URLSearchParams({ service: proxy.url, jid: `${user}@${server.domain}`, password: 'pw' });
          await page.goto(`${web.url}/tests/integration/pages/tab.html?${q}${extra}`, { timeout: 30000 });
          await page.waitForFunction(() => window.ready === true);
          const r = await page.evaluate((ms) => Promise.race([
            window.connected.then(() => window.log.connected.at - window.log.loaded, () => -1),
            new Promise((res) => setTimeout(() => res(-1), ms)),
          ]), WAIT_MS);
          if (r < 0) continue;
          online++;
          logins.push(r);
          const trip = await page.evaluate(({ i, ms }) => new Promise((resolve) => {
            const started = performance.now();
            window.client.on('message', (m) => { if (m.body === `pong ${i}`) resolve(performance.now() - started); });
            window.client.sendMessage({ to: 'bob@localhost', body: `ping ${i}` });
            setTimeout(() => resolve(-1), ms);
          }), { i, ms: WAIT_MS });
          if (trip >= 0) trips.push(trip);
          if (i === 0) heap = await page.evaluate(() => performance.memory?.usedJSHeapSize ?? 0);
        }
      } finally {
        await browser.close();
        await proxy.close();
      }
      rows.push({
        mode, n, online, first: logins[0], login: median(logins.slice(1)), trip: median(n > 1 ? trips.slice(1) : trips),
        answered: trips.length, most: proxy.mostInFlight, heap,
      });
      console.error(`${mode}, ${n} tabs: ${online} online, ${trips.length} answered`);
    }
  }
  await bob.disconnect();
} finally {
  await web.close();
  await server.stop();
}

const ms = (v) => (Number.isFinite(v) ? `${v.toFixed(1)} ms` : '–');
console.log('\n| tabs | mode | online | first tab online | later tabs online (median) | round trip to bob (median) | answered | most requests in flight | first page JS heap |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.n} | ${r.mode} | ${r.online}/${r.n} | ${ms(r.first)} | ${ms(r.login)} | ${ms(r.trip)} | ${r.answered}/${r.n} | ${r.most} | ${(r.heap / 1024).toFixed(0)} KiB |`);
}
console.log(`\nA tab counts as stuck when it is not online, or not answered, within ${WAIT_MS} ms.`);
