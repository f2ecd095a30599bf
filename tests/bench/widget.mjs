// widget.mjs (part of `npm run bench`): what <xmpp-chat> costs. The
// download it adds to the core's (minified as a bundler ships it: raw,
// gzip -9, brotli), the time from page load to the contact list shown
// (signing in included), and the time from a click to a conversation
// drawn, with 5,000 messages in the archive (what the widget fetches: the
// latest page) and with 5,000 already received in the page (what it
// draws: a window of the latest). Medians of RUNS fresh tabs, headless
// Chromium against a local ejabberd.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync, brotliCompressSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { startEjabberd } from '../support/ejabberd.mjs';
import { startStaticServer } from '../support/static-server.mjs';
import { launchBrowser } from '../support/browser.mjs';
import { createClient } from '../../dist/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const RUNS = 7;
const ARCHIVED = 5000;
// As fast as the client takes them: past its queue limit it says
// resource-constraint, and the sender waits for the queue to drain.
async function sendAll(client, to, count, body) {
  for (let i = 1; i <= count; i++) {
    for (;;) {
      try {
        client.sendMessage({ to, body: body(i) });
        break;
      } catch (err) {
        if (err.condition !== 'resource-constraint') throw err;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }
}
// A click to the conversation drawn (two frames after its last bubble is in).
const openConversation = (page, jid, last) => page.evaluate(({ jid, last }) => new Promise((resolve) => {
  const root = document.querySelector('xmpp-chat').shadowRoot;
  const t0 = performance.now();
  root.querySelector(`.entry[data-jid="${jid}"]`).click();
  const check = () => {
    const bubbles = root.querySelectorAll('.log .bubble');
    if (performance.now() - t0 > 20000) return resolve({ ms: NaN, drawn: bubbles.length, last: bubbles[bubbles.length - 1]?.textContent });
    if (bubbles.length && bubbles[bubbles.length - 1].textContent === last) {
      requestAnimationFrame(() => requestAnimationFrame(() => resolve({ ms: performance.now() - t0, drawn: bubbles.length })));
    } else requestAnimationFrame(check);
  };
  check();
}), { jid, last });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function minified(entry) {
  const out = await esbuild.build({ entryPoints: [path.join(root, entry)], bundle: true, minify: true, format: 'esm', write: false, target: 'es2022' });
  const bytes = out.outputFiles[0].contents;
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length, brotli: brotliCompressSync(bytes).length };
}

const api = await minified('dist/index.js');
const both = await minified('dist/chat.js');
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
console.log('download, minified (esbuild), as a bundler ships it:');
console.log(`  createClient only:     ${kb(api.raw)} raw, ${kb(api.gzip)} gzip, ${kb(api.brotli)} brotli`);
console.log(`  with <xmpp-chat>:      ${kb(both.raw)} raw, ${kb(both.gzip)} gzip, ${kb(both.brotli)} brotli`);
console.log(`  the widget adds:       ${kb(both.raw - api.raw)} raw, ${kb(both.gzip - api.gzip)} gzip, ${kb(both.brotli - api.brotli)} brotli`);

const server = await startEjabberd({ mam: true, muc: true, im: true });
const web = await startStaticServer(root);
const browser = await launchBrowser();
try {
  for (const u of ['alice', 'carol', 'dave']) await server.register(u, `${u}-pw`);
  for (const [a, b] of [['alice', 'carol'], ['carol', 'alice'], ['alice', 'dave'], ['dave', 'alice']]) {
    await server.ctl('add_rosteritem', a, 'localhost', b, 'localhost', b, 'Friends', 'both');
  }
  // carol's 5,000 messages to alice, archived (an alice in Node takes them live).
  const carol = createClient({ service: server.boshUrl, jid: 'carol@localhost', password: 'carol-pw' });
  const seedAlice = createClient({ service: server.boshUrl, jid: 'alice@localhost', password: 'alice-pw', resource: 'seed' });
  await Promise.all([carol.connect(), seedAlice.connect()]);
  let got = 0;
  const all = new Promise((resolve) => seedAlice.on('message', (m) => {
    if (m.body?.startsWith('archived ') && ++got === ARCHIVED) resolve();
  }));
  await sendAll(carol, 'alice@localhost', ARCHIVED, (i) => `archived ${i}`);
  await all;
  // Both end here: a client left on would try to log in again once the
  // server stops, and keep the benchmark's process from ending.
  await Promise.all([carol.disconnect(), seedAlice.disconnect()]);

  const toContacts = [];
  const openArchived = [];
  const openInMemory = [];
  let drawnArchived = 0;
  let drawnLive = 0;
  for (let run = 0; run < RUNS; run++) {
    const page = await browser.newPage();
    await page.setViewportSize({ width: 960, height: 680 });
    const q = new URLSearchParams({ service: server.boshUrl, jid: 'alice@localhost', password: 'alice-pw' });
    await page.goto(`${web.url}/tests/integration/pages/widget.html?${q}`);
    await page.waitForFunction(() => window.timing?.contacts, null, { timeout: 30000 });
    console.log(`  run ${run + 1}: contact list shown`);
    toContacts.push(await page.evaluate(() => window.timing.contacts));
    const archived = await openConversation(page, 'carol@localhost', `archived ${ARCHIVED}`);
    if (!(archived.ms >= 0)) throw new Error(`carol's conversation not drawn: ${JSON.stringify(archived)}`);
    openArchived.push(archived.ms);
    drawnArchived = archived.drawn;
    await page.close();
  }

  // 5,000 received while the page is open, then the conversation opened.
  // Against a second ejabberd without an archive: ejabberd's Mnesia archive
  // slows a burst down as it grows (4,000 messages in under 6 s without it,
  // about 1,800 in 30 s with it, the same clients), which is the server's.
  const plain = await startEjabberd({ im: true, muc: true });
  try {
    await plain.register('dave', 'dave-pw');
    for (let run = 0; run < RUNS; run++) {
      // An account per run: no session of an earlier tab shares its messages.
      const alice = `alice${run}`;
      await plain.register(alice, 'alice-pw');
      for (const [a, b] of [[alice, 'dave'], ['dave', alice]]) {
        await plain.ctl('add_rosteritem', a, 'localhost', b, 'localhost', b, 'Friends', 'both');
      }
      const page = await browser.newPage();
      await page.setViewportSize({ width: 960, height: 680 });
      const q = new URLSearchParams({ service: plain.boshUrl, jid: `${alice}@localhost`, password: 'alice-pw' });
      await page.goto(`${web.url}/tests/integration/pages/widget.html?${q}`);
      await page.waitForFunction(() => window.timing?.contacts, null, { timeout: 30000 });
      const dave = createClient({ service: plain.boshUrl, jid: 'dave@localhost', password: 'dave-pw' });
      await dave.connect();
      await sendAll(dave, `${alice}@localhost`, ARCHIVED, (i) => `live ${run} ${i}`);
      await page.waitForFunction((n) => {
        const e = document.querySelector('xmpp-chat').shadowRoot.querySelector('.entry[data-jid="dave@localhost"] .badge [aria-hidden]');
        return e && parseInt(e.textContent, 10) >= n;
      }, ARCHIVED, { timeout: 120000, polling: 250 });
      const live = await openConversation(page, 'dave@localhost', `live ${run} ${ARCHIVED}`);
      if (!(live.ms >= 0)) throw new Error(`dave's conversation not drawn: ${JSON.stringify(live)}`);
      openInMemory.push(live.ms);
      if (run === 0) drawnLive = live.drawn;
      await dave.disconnect();
      await page.close();
    }
  } finally {
    await plain.stop();
  }
  console.log(`  (drawn: ${drawnArchived} bubbles of the archived conversation's first page, ${drawnLive} of ${ARCHIVED} received)`);
  console.log(`\nmedians of ${RUNS} fresh tabs, ejabberd on loopback:`);
  console.log(`  page load to contact list shown (sign-in included): ${median(toContacts).toFixed(0)} ms`);
  console.log(`  click to a conversation with ${ARCHIVED} archived messages drawn (latest page fetched): ${median(openArchived).toFixed(0)} ms`);
  console.log(`  click to a conversation with ${ARCHIVED} received messages drawn: ${median(openInMemory).toFixed(1)} ms`);
} finally {
  await browser.close();
  await web.close();
  await server.stop();
}
