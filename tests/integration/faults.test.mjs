// faults.test.mjs: alice sends a steady stream to bob while a proxy resets
// connections (before the server and on the way back) and delays chunks.
// Every message must arrive exactly once and in order, with no session lost:
// that is what BOSH's retransmission rules promise (XEP-0124 §14: a request
// whose response is lost is resent with the same rid and the server answers
// it from its buffer; §9: the server processes requests in rid order). The
// long run is `npm run faults`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runFaultChat, describe } from '../support/fault-chat.mjs';

for (const seed of [1, 2]) {
  test(`XEP-0124 §14 + §9: 2000 messages through 10% resets and delays arrive once, in order (seed ${seed})`, async () => {
    const r = await runFaultChat({
      count: 2000, seed, resetRate: 0.1, delayRate: 0.1, maxDelayMs: 20, quietMs: 20000,
    });
    console.log(describe(r));
    assert.ok(r.faults.resetsIn + r.faults.resetsOut > 0, 'the proxy must actually have reset connections');
    assert.deepEqual(r.missing.slice(0, 20), [], 'nothing lost');
    assert.equal(r.duplicates, 0, 'nothing delivered twice');
    assert.equal(r.outOfOrder, 0, 'nothing out of order');
    assert.ok(r.inOrderExactlyOnce);
    assert.deepEqual(r.sessionsLost, { alice: 0, bob: 0 }, 'retransmission, not a new session, recovers the faults');
  });
}
