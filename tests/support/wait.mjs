// wait.mjs: waiting for a client event, or for a condition, in tests.

/** Resolves with the first event `name` from client for which pred is true; rejects after ms. */
export function waitFor(client, name, pred = () => true, ms = 10000, what = name) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off(name, fn);
      reject(new Error(`timed out waiting for ${what}`));
    }, ms);
    const fn = (e) => {
      if (!pred(e)) return;
      clearTimeout(timer);
      client.off(name, fn);
      resolve(e);
    };
    client.on(name, fn);
  });
}

/** Resolves once pred() (which may return a promise) holds, polling every 10 ms; rejects after ms. */
export async function until(pred, ms, what) {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
