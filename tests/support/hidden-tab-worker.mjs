// hidden-tab-worker.mjs: a client in a worker thread whose timers can be
// throttled the way Chromium throttles a hidden tab's: once "hidden", a
// timer fires no earlier than the next whole minute (intensive wake-up
// throttling). Fetch completions and microtasks are not throttled, as in a
// browser. Headless Chromium never hides a page, so this stands in for
// the tab. Messages: in { hide: true } | { disconnect: true };
// out { event, ... } for each client event the test watches.
import { parentPort, workerData } from 'node:worker_threads';
import { createClient } from '../../dist/index.js';

const realSetTimeout = globalThis.setTimeout;
let hidden = false;
let timersDeferred = 0;
globalThis.setTimeout = (fn, ms = 0, ...args) => {
  if (!hidden) return realSetTimeout(fn, ms, ...args);
  timersDeferred++;
  const due = Date.now() + ms;
  return realSetTimeout(fn, Math.ceil(due / 60000) * 60000 - Date.now(), ...args);
};

const client = createClient(workerData.options);
const post = (event, data = {}) => parentPort.postMessage({ event, at: Date.now(), ...data });
client.on('message', (m) => post('message', { body: m.body }));
client.on('status', (s) => post('status', { status: s.status }));
client.on('online', (o) => post('online', { jid: o.jid }));
parentPort.on('message', async (msg) => {
  if (msg.hide) {
    hidden = true;
    post('hidden');
  } else if (msg.disconnect) {
    hidden = false;
    await client.disconnect().catch(() => {});
    post('closed', { timersDeferred });
  }
});
client.connect().catch((err) => post('error', { condition: err.condition }));
