// fault-chat.mjs: alice sends `count` numbered messages to bob through a
// fault-injecting proxy (fault-proxy.mjs) in front of a private ejabberd;
// both clients' BOSH traffic crosses it. Returns what bob got, checked for
// losses, duplicates and order, with the proxy's fault counts. Used by the
// short run in `npm test` and the long one in tests/bench/faults.mjs.
import { startEjabberd } from './ejabberd.mjs';
import { startFaultProxy } from './fault-proxy.mjs';
import { waitFor } from './wait.mjs';
import { createClient } from '../../dist/index.js';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * opts: { count, seed, resetRate, delayRate, maxDelayMs, quietMs (give up after
 * this long with nothing new), perTick (messages sent per millisecond tick),
 * clientOptions, log }.
 */
export async function runFaultChat(opts) {
  const { count = 1000, seed = 1, quietMs = 60000, perTick = 5, log = () => {} } = opts;
  const server = await startEjabberd();
  let proxy;
  const clients = [];
  try {
    await Promise.all([server.register('alice', 'alice-pw'), server.register('bob', 'bob-pw')]);
    proxy = await startFaultProxy({
      targetPort: server.httpPort, seed, resetRate: opts.resetRate, delayRate: opts.delayRate, maxDelayMs: opts.maxDelayMs,
    });
    const common = {
      service: `http://127.0.0.1:${proxy.port}/bosh`,
      // A retry policy for a network known to be bad: more retransmissions,
      // short backoff. Each retransmission is the same rid and bytes.
      maxRetries: 12, backoffBaseMs: 20, backoffMaxMs: 500, wait: 20,
      ...opts.clientOptions,
    };
    const alice = createClient({ ...common, jid: `alice@${server.domain}`, password: 'alice-pw' });
    const bob = createClient({ ...common, jid: `bob@${server.domain}`, password: 'bob-pw' });
    clients.push(alice, bob);
    const lost = { alice: 0, bob: 0 };
    alice.on('status', (e) => { if (e.status === 'reconnecting') lost.alice++; });
    bob.on('status', (e) => { if (e.status === 'reconnecting') lost.bob++; });
    const received = [];
    bob.on('message', (m) => {
      const n = /^m(\d+)$/.exec(m.body ?? '');
      if (n) received.push(Number(n[1]));
    });
    // 'online' means bound, not yet available: the initial presence may still
    // be crossing the proxy. A message to a bare JID that reaches the server
    // before bob's presence goes to offline storage (RFC 6121 §8.5.2.1.1),
    // not to this session, so wait for the server's reflection of bob's own
    // presence (RFC 6121 §4.2.2) before alice starts.
    const bobAvailable = waitFor(bob, 'presence', (p) => p.from === bob.jid && p.type === 'available', 30000,
      'bob\'s own presence to come back');
    await Promise.all([alice.connect(), bob.connect()]);
    await bobAvailable;
    log(`online through the proxy (port ${proxy.port}, seed ${seed}); sending ${count}`);

    const started = performance.now();
    const to = `bob@${server.domain}`;
    for (let i = 1; i <= count;) {
      try {
        alice.sendMessage({ to, body: `m${i}`, id: `m${i}` });
        i++;
        // A steady sender, not one burst: many requests, so many chances
        // for a fault to hit one.
        if (i % perTick === 0) await sleep(1);
      } catch (err) {
        if (err.condition !== 'resource-constraint') throw err;
        await sleep(5); // the outgoing queue is full: wait for the window
      }
    }
    let lastLen = -1;
    let lastChange = performance.now();
    while (received.length < count && performance.now() - lastChange < quietMs) {
      if (received.length !== lastLen) {
        lastLen = received.length;
        lastChange = performance.now();
      }
      await sleep(50);
    }
    const elapsedMs = performance.now() - started;
    proxy.setFaults(false);
    await Promise.all([alice.disconnect(), bob.disconnect()]);

    const seen = new Set();
    let duplicates = 0;
    let outOfOrder = 0;
    for (let k = 0; k < received.length; k++) {
      if (seen.has(received[k])) duplicates++;
      seen.add(received[k]);
      if (k > 0 && received[k] < received[k - 1]) outOfOrder++;
    }
    const missing = [];
    for (let i = 1; i <= count; i++) if (!seen.has(i)) missing.push(i);
    return {
      count, seed, received: received.length, unique: seen.size, duplicates, outOfOrder, missing,
      inOrderExactlyOnce: received.length === count && received.every((v, k) => v === k + 1),
      elapsedMs, sessionsLost: lost, faults: { ...proxy.counts },
    };
  } finally {
    for (const c of clients) if (c.status !== 'offline') await c.disconnect().catch(() => {});
    await proxy?.close();
    await server.stop();
  }
}

/** One line for the log: the fault counts and the result. */
export function describe(r) {
  const f = r.faults;
  return `seed ${r.seed}: ${f.connections} connections, ${f.chunks} chunks, ${f.resetsIn} reset before the server, ` +
    `${f.resetsOut} reset on the way back, ${f.delays} delayed; bob got ${r.received}/${r.count} ` +
    `(${r.unique} distinct, ${r.duplicates} duplicates, ${r.outOfOrder} out of order, ${r.missing.length} missing) ` +
    `in ${(r.elapsedMs / 1000).toFixed(1)} s; sessions lost: alice ${r.sessionsLost.alice}, bob ${r.sessionsLost.bob}`;
}
