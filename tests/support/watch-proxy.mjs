// watch-proxy.mjs: an HTTP proxy on 127.0.0.1 in front of one BOSH URL,
// for tests that must know what a client sent (an IQ's id, a query's
// queryid) so a third user can forge the answer, and that must hold a
// request back so the forgery is read first. It changes nothing it
// forwards.
import http from 'node:http';

/**
 * Starts the proxy in front of target (a BOSH URL). Returns { url, bodies, waitForBody(re, ms),
 * idle(ms), holdNext(re), close() }: bodies are the requests seen, in order; holdNext(re) makes the next request
 * whose body matches wait until the returned release() is called.
 */
export async function startWatchProxy(target) {
  const bodies = [];
  const waiters = new Set();
  const holds = [];
  let atServer = 0; // requests forwarded and not yet answered
  let mostAtServer = 0; // the most at once since the last resetMost()
  let lastActivity = Date.now();
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks).toString('utf8');
    bodies.push(body);
    for (const w of [...waiters]) w(body);
    const hold = holds.find((h) => !h.taken && h.re.test(body));
    if (hold) {
      hold.taken = true;
      hold.seen(body);
      await hold.released;
    }
    const counted = req.method === 'POST';
    if (counted) mostAtServer = Math.max(mostAtServer, ++atServer);
    lastActivity = Date.now();
    try {
      // A page on another origin sends CORS headers and preflights: they
      // go through both ways, so browsers can use the proxy too.
      const headers = { 'Content-Type': req.headers['content-type'] ?? 'text/xml; charset=utf-8' };
      for (const h of ['origin', 'access-control-request-method', 'access-control-request-headers']) {
        if (req.headers[h]) headers[h] = req.headers[h];
      }
      const answer = await fetch(target, { method: req.method, body: counted ? body : undefined, headers });
      const text = await answer.text();
      const out = { 'Content-Type': answer.headers.get('content-type') ?? 'text/xml' };
      for (const [k, v] of answer.headers) if (k.startsWith('access-control-')) out[k] = v;
      res.writeHead(answer.status, out);
      res.end(text);
    } catch {
      res.destroy();
    } finally {
      if (counted) atServer--;
      lastActivity = Date.now();
    }
  });
  server.keepAliveTimeout = 1000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/bosh`,
    bodies,
    /** Resolves with the first request body (seen or to come) matching re. */
    waitForBody(re, ms = 10000) {
      const seen = bodies.find((b) => re.test(b));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`watch-proxy: no request matched ${re}`));
        }, ms);
        const w = (b) => {
          if (!re.test(b)) return;
          clearTimeout(timer);
          waiters.delete(w);
          resolve(b);
        };
        waiters.add(w);
      });
    },
    /** Resolves once nothing has moved for ms and one request waits at the server: an idle long-poll. */
    async idle(ms = 300, timeoutMs = 10000) {
      const deadline = Date.now() + timeoutMs;
      while (!(atServer === 1 && Date.now() - lastActivity >= ms)) {
        if (Date.now() > deadline) throw new Error(`watch-proxy: never idle (${atServer} at the server)`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    /** BOSH requests in flight now, and the most at once since resetMost(). */
    get inFlight() {
      return atServer;
    },
    get mostInFlight() {
      return mostAtServer;
    },
    resetMost() {
      mostAtServer = atServer;
    },
    /** Holds the next request matching re; { seen: Promise<body>, release() }. */
    holdNext(re) {
      const h = { re, taken: false };
      h.released = new Promise((r) => { h.release = r; });
      const seen = new Promise((r) => { h.seen = r; });
      holds.push(h);
      return { seen, release: () => h.release() };
    },
    close: () => new Promise((resolve) => {
      for (const h of holds) h.release(); // nothing stays held after a test
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
