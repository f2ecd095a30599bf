// memory.mjs (part of `npm run bench`): what clients cost in one page. In
// headless Chromium against a local ejabberd, a fresh page logs in 1, then
// (in another fresh page) 10 clients, waits until they are idle, and reads
// the core's wasm memory (one instance per page, shared by its clients)
// and the page's JS heap after a garbage collection. An instance per
// client would cost the one-client figure per client. A measurement, not a
// test: it asserts nothing.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEjabberd } from '../support/ejabberd.mjs';
import { startStaticServer } from '../support/static-server.mjs';
import { launchBrowser, openPackagePage } from '../support/browser.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const server = await startEjabberd();
const web = await startStaticServer(root);
const browser = await launchBrowser({ args: ['--enable-precise-memory-info', '--js-flags=--expose-gc'] });
const kib = (b) => `${(b / 1024).toFixed(0)} KiB`;
try {
  for (let i = 0; i < 10; i++) await server.register(`m${i}`, 'pw');
  const rows = [];
  for (const count of [1, 10]) {
    const page = await openPackagePage(browser, web.url);
    const r = await page.evaluate(async ({ service, count: n }) => {
      const { loadCore } = await import('/dist/core.js');
      const core = await loadCore();
      const heap = () => {
        window.gc?.();
        return performance.memory?.usedJSHeapSize ?? 0;
      };
      const wasmBefore = core.x.memory.buffer.byteLength;
      const jsBefore = heap();
      const clients = Array.from({ length: n }, (_, i) =>
        // The page's own core is what this counts (shared sessions live in a worker).
        window.xmpp.createClient({ service, jid: `m${i}@localhost`, password: 'pw', shareAcrossTabs: false }));
      await Promise.all(clients.map((c) => c.connect()));
      await new Promise((r) => setTimeout(r, 1500)); // idle: presence exchanged, one request held each
      const result = { wasm: core.x.memory.buffer.byteLength, wasmBefore, js: heap() - jsBefore };
      await Promise.all(clients.map((c) => c.disconnect()));
      return result;
    }, { service: server.boshUrl, count });
    rows.push({ count, ...r });
    await page.close();
  }
  console.log('\n| clients in one page | wasm memory (one core, shared) | JS heap added | an instance per client would need |');
  console.log('| --- | --- | --- | --- |');
  const one = rows[0].wasm;
  for (const r of rows) {
    console.log(`| ${r.count} | ${kib(r.wasm)} (${kib(r.wasmBefore)} before login) | ${kib(r.js)} | at least ${kib(one * r.count)} |`);
  }
} finally {
  await browser.close();
  await web.close();
  await server.stop();
}
