// scram-steps.test.mjs: a server may ask SCRAM for many PBKDF2 iterations
// (RFC 5802 §5.1); the key derivation must not freeze the page. In real
// Chromium, against the fake connection manager acting as a SCRAM server
// (node:crypto computes its side), every call into the core is timed while
// the client logs in at 4,096, 100,000 and 600,000 (the default cap)
// iterations. The test checks what can fail on any machine: the login
// works, the derivation is spread over several calls once it passes one
// step, and a server past the cap is refused. The longest call is printed:
// it is the figure that matters in a browser, not a pass/fail on a shared
// machine.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeCM } from '../support/fake-cm.mjs';
import { startStaticServer } from '../support/static-server.mjs';
import { launchBrowser, openPackagePage } from '../support/browser.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let web;
let browser;
let page;

before(async () => {
  web = await startStaticServer(root);
  browser = await launchBrowser();
  page = await openPackagePage(browser, web.url);
});

after(async () => {
  await browser?.close();
  await web?.close();
});

/** Logs in against a fake CM asking `iterations` of `hash`; times every call into the core. */
async function timedLogin(hash, iterations, extra = {}) {
  const cm = await startFakeCM({ scram: { hash, iterations, password: 'pw' } });
  try {
    return await page.evaluate(async ({ service, extra: opts }) => {
      const { loadCore } = await import('/dist/core.js');
      const core = await loadCore();
      const real = core.x;
      const calls = {};
      // Every export the client calls goes through here and is timed (a
      // copy: the instance's exports object is frozen).
      core.x = Object.fromEntries(Object.entries(real).map(([name, fn]) => [name, typeof fn !== 'function' ? fn : (...args) => {
        const t0 = performance.now();
        try {
          return fn(...args);
        } finally {
          const ms = performance.now() - t0;
          const c = (calls[name] ??= { n: 0, max: 0 });
          c.n++;
          if (ms > c.max) c.max = ms;
        }
      }]));
      // The page's own core is the one timed here (a shared session's core
      // runs in a worker, off the page's thread).
      const client = window.xmpp.createClient({ service, jid: 'alice@localhost', password: 'pw', resource: 'web', shareAcrossTabs: false, ...opts });
      const t0 = performance.now();
      let outcome;
      try {
        const info = await client.connect();
        outcome = { ok: true, mechanism: info.mechanism };
      } catch (e) {
        outcome = { ok: false, condition: e.condition };
      }
      const loginMs = performance.now() - t0;
      core.x = real;
      await client.disconnect();
      const longest = Object.entries(calls).sort((a, b) => b[1].max - a[1].max)[0];
      return { ...outcome, loginMs, ticks: calls.xw_client_tick?.n ?? 0, longest: { name: longest[0], ms: longest[1].max } };
    }, { service: cm.url, extra });
  } finally {
    await cm.close();
  }
}

const ROWS = [['sha1', 4096], ['sha1', 100000], ['sha256', 100000], ['sha512', 100000], ['sha1', 600000], ['sha256', 600000], ['sha512', 600000]];

test('RFC 5802 §5.1: SCRAM logins at 4,096, 100,000 and 600,000 iterations work in Chromium with the derivation spread over calls', async () => {
  const lines = [];
  for (const [hash, iterations] of ROWS) {
    const r = await timedLogin(hash, iterations);
    assert.ok(r.ok, `${hash} at ${iterations}: logged in (${r.condition})`);
    assert.equal(r.mechanism, `SCRAM-${hash.toUpperCase().replace('SHA', 'SHA-')}`);
    if (iterations >= 100000) assert.ok(r.ticks >= 5, `${hash} at ${iterations}: derived over several calls (${r.ticks} ticks)`);
    lines.push(`${hash} i=${iterations}: login ${r.loginMs.toFixed(0)} ms, ${r.ticks} ticks, longest call ${r.longest.ms.toFixed(1)} ms (${r.longest.name})`);
  }
  console.log(`# SCRAM in Chromium: ${lines.join('; ')}`);
});

test('the iteration cap is the app\'s: a server asking more than maxScramIterations is refused with server-auth-failed', async () => {
  const r = await timedLogin('sha1', 200000, { maxScramIterations: 100000 });
  assert.deepEqual([r.ok, r.condition], [false, 'server-auth-failed']);
});
