// raw-burst.mjs: the burst through a bare BOSH client in Node, straight on
// fetch, to show what the server itself allows: alice sends `count`
// messages in batches (one request holds while the next carries a batch,
// so none waits for `wait`), bob keeps one poll held and renews it as soon
// as an answer comes. Rate: messages bob received per second, from the
// first send to the last arrival.
import { performance } from 'node:perf_hooks';
import { rawBoshLogin } from '../support/raw-bosh.mjs';

export async function rawBurst(service, { alice, bob, count, batch = 250, timeoutMs = 60000 }) {
  const a = await rawBoshLogin(service, { user: alice.user, password: alice.password, resource: 'rawburst' });
  const b = await rawBoshLogin(service, { user: bob.user, password: bob.password, resource: 'rawburst' });
  const to = `${bob.user}@localhost`;
  await b.send("<presence xmlns='jabber:client'/>"); // chat to a bare JID goes to available resources only
  let received = 0;
  let next = 0;
  let inOrder = true;
  let lastAt = 0;
  let stop = false;
  const t0 = performance.now();
  const deadline = t0 + timeoutMs;
  const polling = (async () => {
    while (!stop && received < count && performance.now() < deadline) {
      const text = await b.send('');
      for (const m of text.matchAll(/<body>burst:(\d+)<\/body>/g)) {
        if (Number(m[1]) !== next) inOrder = false;
        next = Number(m[1]) + 1;
        received++;
        lastAt = performance.now();
      }
    }
  })();
  // Keep one request held: each new batch releases the one before, and the
  // next is sent only once that earlier answer came (requests stay in rid order).
  let held = a.send('');
  for (let i = 0; i < count; i += batch) {
    const stanzas = [];
    for (let j = i; j < Math.min(count, i + batch); j++) {
      stanzas.push(`<message xmlns='jabber:client' to='${to}' type='chat'><body>burst:${j}</body></message>`);
    }
    const sending = a.send(stanzas.join(''));
    await held;
    held = sending;
  }
  await Promise.race([polling, new Promise((r) => setTimeout(r, Math.max(0, deadline - performance.now())))]);
  stop = true;
  await held.catch(() => {});
  await Promise.all([a.close(), b.close()]);
  return { count, received, inOrder: inOrder && received === count, perSec: received / ((lastAt - t0) / 1000) };
}
