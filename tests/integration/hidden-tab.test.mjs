// hidden-tab.test.mjs: a page in a background tab keeps its session.
// Browsers throttle a hidden tab's timers (Chromium: to once a minute
// after a while), which is how timer-driven BOSH clients lose sessions in
// background tabs. xmpp-wasm issues each long-poll from the completion of
// the previous request, never from a timer, so a throttled client keeps a
// request held at the server and gets each message at once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { startEjabberd } from '../support/ejabberd.mjs';
import { createClient } from '../../dist/index.js';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const INACTIVITY_S = 10; // ejabberd's max_inactivity for this server
let server;

before(async () => {
  server = await startEjabberd({ inactivity: INACTIVITY_S });
  await Promise.all([server.register('alice', 'alice-pw'), server.register('bob', 'bob-pw')]);
});
after(async () => {
  await server?.stop();
});

test('XEP-0124 §10 + §11: with its timers throttled to once a minute for longer than the server\'s inactivity, a hidden client keeps its session and gets each message at once', async () => {
  const bob = new Worker(new URL('../support/hidden-tab-worker.mjs', import.meta.url), {
    workerData: { options: { service: server.boshUrl, jid: `bob@${server.domain}`, password: 'bob-pw' } },
  });
  const events = [];
  const waiters = [];
  bob.on('message', (e) => {
    events.push(e);
    for (const w of [...waiters]) if (w.pred(e)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(e); }
  });
  const next = (pred, ms, what) => new Promise((resolve, reject) => {
    const found = events.find(pred);
    if (found) return resolve(found);
    const w = { pred, resolve };
    waiters.push(w);
    setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  const alice = createClient({ service: server.boshUrl, jid: `alice@${server.domain}`, password: 'alice-pw' });
  try {
    await Promise.all([alice.connect(), next((e) => e.event === 'online', 20000, 'bob online')]);
    await sleep(500); // bob's initial presence is in
    bob.postMessage({ hide: true });
    await next((e) => e.event === 'hidden', 5000, 'bob hidden');
    const hiddenAt = Date.now();
    const sent = new Map();
    const count = 8;
    for (let i = 1; i <= count; i++) {
      sent.set(`h${i}`, Date.now());
      alice.sendMessage({ to: `bob@${server.domain}`, body: `h${i}` });
      await next((e) => e.event === 'message' && e.body === `h${i}`, 60000, `h${i}`);
      await sleep(3000);
    }
    const hiddenFor = Date.now() - hiddenAt;
    const got = events.filter((e) => e.event === 'message');
    const latencies = got.map((e) => e.at - sent.get(e.body));
    bob.postMessage({ disconnect: true });
    const closed = await next((e) => e.event === 'closed', 20000, 'bob closed');
    console.log(`hidden for ${Math.round(hiddenFor / 1000)} s (server inactivity ${INACTIVITY_S} s), ` +
      `${closed.timersDeferred} timer(s) pushed to the next minute; latencies ${latencies.join(', ')} ms`);
    assert.ok(hiddenFor > INACTIVITY_S * 1000 * 2, 'hidden well past the server\'s inactivity');
    assert.deepEqual(got.map((e) => e.body), Array.from({ length: count }, (_, k) => `h${k + 1}`), 'each message once, in order');
    assert.ok(latencies.every((ms) => ms < 5000), `no message waited for a throttled timer: ${latencies}`);
    const statuses = events.filter((e) => e.event === 'status' && e.at > hiddenAt && e.at < hiddenAt + hiddenFor);
    assert.deepEqual(statuses, [], 'the session never dropped while hidden');
    assert.equal(events.filter((e) => e.event === 'online').length, 1, 'one login: the session was never lost');
  } finally {
    await alice.disconnect().catch(() => {});
    await bob.terminate();
  }
});
