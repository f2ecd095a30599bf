// fault-proxy.mjs: a TCP proxy on 127.0.0.1 that breaks the connections it
// carries, for tests of what a client loses on a bad network. Every chunk
// of bytes, in either direction, draws from a seeded generator: with
// probability resetRate both sockets are reset (TCP RST) and the chunk is
// dropped; with probability delayRate it is held back up to maxDelayMs
// (bytes of one connection keep their order). A reset on the way in means
// the server never saw the request; on the way out, the server acted on it
// and the client lost the answer. Same seed, same sequence of decisions.
// A blackout (setBlackout) is the network gone: every connection open or
// new is reset, in both directions, until it ends. With responses dropped
// (setDropResponses) requests still reach the server, but each connection
// is reset as its answer comes back: the server acts on what the client
// sends, and the client never learns it did.
import net from 'node:net';

/** mulberry32: a small, fast, seedable generator; plenty for fault draws. */
export function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Starts the proxy in front of 127.0.0.1:targetPort.
 * Returns { port, counts: { connections, chunks, resetsIn, resetsOut, delays, blackedOut, responsesDropped },
 * setFaults(bool), setBlackout(bool), setDropResponses(bool), setLatency(ms), close() }.
 */
export function startFaultProxy({ targetPort, seed = 1, resetRate = 0.02, delayRate = 0.1, maxDelayMs = 20 }) {
  const random = seededRandom(seed);
  const counts = { connections: 0, chunks: 0, resetsIn: 0, resetsOut: 0, delays: 0, blackedOut: 0, responsesDropped: 0 };
  const sockets = new Set();
  const links = new Set(); // breakBoth of each open connection
  let faults = true;
  let blackout = false;
  let dropResponses = false;
  let latencyMs = 0;

  const server = net.createServer((client) => {
    counts.connections++;
    if (blackout) {
      counts.blackedOut++;
      client.on('error', () => {});
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    let broken = false;
    const breakBoth = () => {
      if (broken) return;
      broken = true;
      links.delete(breakBoth);
      client.resetAndDestroy();
      upstream.resetAndDestroy();
    };
    links.add(breakBoth);
    client.on('close', () => links.delete(breakBoth));
    // One ordered lane per direction: a delayed chunk holds back the ones
    // after it, as a slow network would.
    const lane = (from, to, dir) => {
      let tail = Promise.resolve();
      from.on('data', (chunk) => {
        if (broken) return;
        if (dropResponses && dir === 'out') {
          counts.responsesDropped++;
          breakBoth();
          return;
        }
        counts.chunks++;
        const r = faults ? random() : 1;
        if (r < resetRate) {
          counts[dir === 'in' ? 'resetsIn' : 'resetsOut']++;
          breakBoth();
          return;
        }
        const delay = r < resetRate + delayRate ? Math.floor(random() * maxDelayMs) : 0;
        if (delay > 0) counts.delays++;
        // setLatency: a request reaches the server latencyMs after it came.
        const due = dir === 'in' && latencyMs > 0 ? Date.now() + latencyMs : 0;
        from.pause();
        tail = tail
          .then(() => (delay > 0 ? new Promise((res) => setTimeout(res, delay)) : null))
          .then(() => (due > Date.now() ? new Promise((res) => setTimeout(res, due - Date.now())) : null))
          .then(() => {
            if (!broken && !to.destroyed) to.write(chunk);
            from.resume();
          });
      });
      // A clean close passes on once the delayed bytes before it are out.
      from.on('end', () => tail.then(() => to.end()));
      from.on('close', () => {
        sockets.delete(from);
        tail.then(() => to.destroy());
      });
      from.on('error', breakBoth);
    };
    lane(client, upstream, 'in');
    lane(upstream, client, 'out');
  });

  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: server.address().port,
        counts,
        /** Faults off: the proxy just forwards (for a clean login or logout). */
        setFaults(on) {
          faults = on;
        },
        /** Network gone: resets every open connection and each new one until turned off. */
        setBlackout(on) {
          blackout = on;
          if (!on) return;
          for (const breakBoth of [...links]) {
            counts.blackedOut++;
            breakBoth();
          }
        },
        /** Requests pass, answers are lost: each connection is reset when its answer comes. */
        setDropResponses(on) {
          dropResponses = on;
        },
        /** A slow server (or a slow way to it): every chunk towards it is held ms first; 0 turns it off. */
        setLatency(ms) {
          latencyMs = ms;
        },
        close: () => new Promise((res) => {
          for (const s of sockets) s.destroy();
          server.close(() => res());
        }),
      });
    });
  });
}
