// roster-memory.mjs: what one big roster costs the core, in Node. A
// scripted server (scripted-cm.mjs) answers the roster get with N items in
// one result (RFC 6121 §2.1.4, no 'from'); one client from dist/ logs in
// and takes it. Prints, as one JSON line: the core's wasm memory before
// login and after the 'roster' event, the wall time from the server
// writing the result to the event, and the time spent inside core exports
// in that span. The core is one instance per process (web/core.js), so its
// memory is read from the same loadCore().
//
//   node tests/bench/roster-memory.mjs [items=10000] [maxStanzaBytes]
//
// maxStanzaBytes is only needed by a core that applies the per-stanza
// limit to its own server's stanzas (a 10,000-item result is 1.05 MB).
import { performance } from 'node:perf_hooks';
import { createClient } from '../../dist/index.js';
import { loadCore } from '../../dist/core.js';
import { startScriptedCM, rosterResult, wallNow } from './scripted-cm.mjs';

const items = Number(process.argv[2] ?? 10000);
const maxStanzaBytes = process.argv[3] ? Number(process.argv[3]) : undefined;
const JID = 'alice@localhost/bench';

const core = await loadCore();
// Time spent inside the core: every export wrapped (the exports object
// itself is frozen, so core.x is replaced by a timed copy).
let coreMs = 0;
const timed = {};
for (const [name, v] of Object.entries(core.x)) {
  timed[name] = typeof v !== 'function' ? v : (...args) => {
    const t = performance.now();
    try {
      return v(...args);
    } finally {
      coreMs += performance.now() - t;
    }
  };
}
core.x = timed;
const wasmBytes = () => core.x.memory.buffer.byteLength;

const cm = await startScriptedCM({
  jid: JID,
  onIq: (st, id) => (st.includes('jabber:iq:roster') && /type=['"]get['"]/.test(st) ? rosterResult(id, items, JID) : undefined),
});
// The core's clock at the moment the server writes the big result.
let coreAtSend = null;
const push = cm.sent.push;
cm.sent.push = function (entry) {
  if (entry.bytes > items * 50) coreAtSend = coreMs;
  return push.call(this, entry);
};
const before = wasmBytes();
const options = maxStanzaBytes ? { maxStanzaBytes } : {};
const client = createClient({ service: cm.url, jid: 'alice@localhost', password: 'pw', shareAcrossTabs: false, reconnect: false, ...options });
const errors = [];
client.on('error', (e) => errors.push(e.condition ?? String(e)));
const got = new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`no roster event in 120 s (errors: ${errors.join(', ')})`)), 120000);
  client.on('roster', (e) => {
    if (!e.full) return;
    clearTimeout(timer);
    resolve({ at: wallNow(), core: coreMs, items: e.items.length });
  });
});
const t0 = wallNow();
await client.connect();
const ev = await got;
const sent = cm.sent.find((s) => s.bytes > items * 50) ?? cm.sent[cm.sent.length - 1];
const out = {
  items: ev.items,
  resultBytes: sent.bytes,
  wasmBefore: before,
  wasmAfter: wasmBytes(),
  msFromResultToEvent: Math.round((ev.at - sent.at) * 10) / 10,
  msFromConnectToEvent: Math.round((ev.at - t0) * 10) / 10,
  coreMsForResult: coreAtSend === null ? null : Math.round((ev.core - coreAtSend) * 10) / 10,
  coreMsWholeLogin: Math.round(ev.core * 10) / 10,
  errors,
};
process.stdout.write(`${JSON.stringify(out)}\n`);
await Promise.race([client.disconnect().catch(() => {}), new Promise((r) => setTimeout(r, 3000))]);
await cm.close();
process.exit(0);
