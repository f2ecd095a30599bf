// wait.mjs: waiting for a client event in tests.

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
