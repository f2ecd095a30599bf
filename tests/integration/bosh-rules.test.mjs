// bosh-rules.test.mjs: the XEP-0124/XEP-0206 client rules, table by table,
// for the built package (wasm core and JS layer) against a scripted
// connection manager (tests/support/fake-cm.mjs): what ejabberd cannot be
// made to do on cue — answers out of order, lost after the server acted,
// reset connections, every terminal condition, HTTP errors, forbidden XML.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeCM } from '../support/fake-cm.mjs';
import { until } from '../support/wait.mjs';
import { createClient } from '../../dist/index.js';

const NS = "xmlns='http://jabber.org/protocol/httpbind' xmlns:stream='http://etherx.jabber.org/streams'";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** alice online against a fresh fake CM; every client event is recorded in order. */
async function online(cmOpts = {}, clientOpts = {}) {
  const cm = await startFakeCM(cmOpts);
  const client = createClient({
    service: cm.url, jid: 'alice@localhost', password: 'pw', resource: 'web', allowPlain: true,
    reconnect: false, maxRetries: 2, backoffBaseMs: 50, backoffMaxMs: 200, timeoutMarginMs: 500, ...clientOpts,
  });
  const events = [];
  for (const name of ['message', 'offline', 'error', 'status', 'stanza']) {
    client.on(name, (e) => events.push({ name, e }));
  }
  await client.connect();
  await until(() => cm.received.some((s) => s.startsWith('<presence')), 5000, 'initial presence');
  if (cm.hold !== 0) await until(() => cm.heldCount() > 0, 5000, 'a held request');
  const offline = () => events.find((x) => x.name === 'offline')?.e;
  const bodies = () => events.filter((x) => x.name === 'message').map((x) => x.e.body);
  return { cm, client, events, offline, bodies };
}

const message = (body, id = body) =>
  `<message xmlns='jabber:client' from='bob@localhost/x' to='alice@localhost/web' type='chat' id='${id}'><body>${body}</body></message>`;

// XEP-0124 §17.2 (and XEP-0206 §7 for remote-stream-error): each terminal
// condition ends the session with that condition as the reason; stanzas in
// the same body are delivered first.
const TERMINAL = [
  'bad-request', 'host-gone', 'host-unknown', 'improper-addressing', 'internal-server-error', 'item-not-found',
  'other-request', 'policy-violation', 'remote-connection-failed', 'see-other-uri', 'system-shutdown',
  'undefined-condition',
];

test('XEP-0124 §17.2: each terminal binding condition ends the session with that reason, after the stanzas before it', async (t) => {
  for (const condition of TERMINAL) {
    await t.test(condition, async () => {
      const s = await online();
      try {
        s.cm.answerHeld(200, `<body type='terminate' condition='${condition}' ${NS}>${message('last words')}</body>`);
        await until(s.offline, 5000, 'offline');
        assert.equal(s.offline().reason, condition);
        assert.deepEqual(s.bodies(), ['last words'], 'the stanza before the condition is delivered');
        assert.equal(s.client.status, 'offline');
      } finally {
        await s.cm.close();
      }
    });
  }
});

test('XEP-0124 §17.2 + XEP-0206 §7: remote-stream-error delivers the stanzas before it and reports the stream error', async () => {
  const s = await online();
  try {
    s.cm.answerHeld(200, `<body type='terminate' condition='remote-stream-error' ${NS}>${message('before')}` +
      `<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></body>`);
    await until(s.offline, 5000, 'offline');
    assert.deepEqual(s.bodies(), ['before']);
    assert.equal(s.offline().reason, 'conflict', 'the stream error (RFC 6120 §4.9.3.3) is the reason');
  } finally {
    await s.cm.close();
  }
});

test('XEP-0124 §17.1: HTTP 400, 403 and 404 end the session as bad-request, policy-violation, item-not-found', async (t) => {
  for (const [status, condition] of [[400, 'bad-request'], [403, 'policy-violation'], [404, 'item-not-found']]) {
    await t.test(`HTTP ${status}`, async () => {
      const s = await online();
      try {
        s.cm.answerHeld(status, '');
        await until(s.offline, 5000, 'offline');
        assert.equal(s.offline().reason, condition);
      } finally {
        await s.cm.close();
      }
    });
  }
});

// RFC 6120 §11.1 restricted XML, and XEP-0124 §4 (a response is one <body/>).
const FORBIDDEN = [
  ['a DOCTYPE', `<!DOCTYPE body [<!ENTITY x 'boom'>]><body ${NS}>${message('&x;')}</body>`, /document type declaration/],
  ['a comment', `<body ${NS}><!-- hidden -->${message('after comment')}</body>`, /comment/],
  ['a processing instruction', `<body ${NS}><?evil x?>${message('after pi')}</body>`, /processing instruction/],
  ['character data directly inside body', `<body ${NS}>stray text${message('after text')}</body>`, /character data/],
  ['a root that is not body', `<html xmlns='http://www.w3.org/1999/xhtml'>${message('in html')}</html>`, /root element/],
  ['bytes that are not XML', '\u0000\u0001\uFFFEnot xml at all', /not well-formed/],
];

test('RFC 6120 §11.1 + XEP-0124 §4: forbidden XML in a response is a clear error that ends the session, never a crash', async (t) => {
  for (const [what, body, explains] of FORBIDDEN) {
    await t.test(what, async () => {
      const s = await online();
      try {
        s.cm.answerHeld(200, body);
        await until(s.offline, 5000, 'offline');
        const error = s.events.find((x) => x.name === 'error')?.e;
        assert.ok(error, 'an error event names what was wrong');
        assert.equal(error.condition, 'not-well-formed');
        assert.match(error.message, explains, 'the error says what was wrong');
        assert.equal(s.offline().reason, error.condition);
        assert.deepEqual(s.bodies().filter((b) => b.startsWith('after') || b === 'in html' || b === 'boom'), [],
          'nothing from the forbidden body is delivered');
      } finally {
        await s.cm.close();
      }
    });
  }
});

test('XEP-0124 §14: responses that arrive out of order are processed in rid order', async () => {
  const s = await online();
  try {
    const heldRid = Math.max(...s.cm.log.map((r) => r.rid));
    s.cm.onRequest = (req, res) => {
      if (!req.payload.includes('trigger')) return undefined;
      s.cm.onRequest = null;
      // Answer the newer request first, the held older one 150 ms later.
      s.cm.answered.set(req.rid, { status: 200, body: `<body ${NS}>${message('second')}</body>` });
      s.cm.respond(res, 200, `<body ${NS}>${message('second')}</body>`);
      setTimeout(() => s.cm.answerHeld(200, `<body ${NS}>${message('first')}</body>`), 150);
      return 'handled';
    };
    s.client.sendMessage({ to: 'bob@localhost', body: 'trigger' });
    await until(() => s.bodies().length === 2, 5000, 'both messages');
    assert.deepEqual(s.bodies(), ['first', 'second'], `rid ${heldRid} before rid ${heldRid + 1}`);
  } finally {
    await s.cm.close();
  }
});

test('XEP-0124 §14: a request whose connection broke after the server took it is resent byte for byte with the same rid, and acted on once', async () => {
  const s = await online();
  try {
    let resets = 0;
    s.cm.onRequest = (req, res) => {
      if (!req.payload.includes('fragile') || resets) return undefined;
      resets++;
      s.cm.handle(req, res); // the server acts on it and holds it
      res.socket.resetAndDestroy(); // then the connection breaks
      return 'handled';
    };
    s.client.sendMessage({ to: 'bob@localhost', body: 'fragile' });
    await until(() => s.cm.log.filter((r) => r.payload.includes('fragile')).length === 2, 5000, 'the retransmission');
    const [first, again] = s.cm.log.filter((r) => r.payload.includes('fragile'));
    assert.equal(again.rid, first.rid, 'same rid');
    assert.equal(again.text, first.text, 'byte-identical');
    assert.equal(s.cm.received.filter((x) => x.includes('fragile')).length, 1, 'the server acted on it once');
    s.cm.push(message('still here'));
    await until(() => s.bodies().includes('still here'), 5000, 'the session goes on');
    assert.equal(s.offline(), undefined);
  } finally {
    await s.cm.close();
  }
});

test('XEP-0124 §14: an answer lost on the way is fetched again by resending the request; its stanzas arrive once', async () => {
  const s = await online();
  try {
    let lost = 0;
    s.cm.onRequest = (req, res) => {
      if (!req.payload.includes('ask') || lost) return undefined;
      lost++;
      // The answer is decided (and cached), then the connection dies before it goes out.
      s.cm.answered.set(req.rid, { status: 200, body: `<body ${NS}>${message('the answer')}</body>` });
      res.socket.resetAndDestroy();
      return 'handled';
    };
    s.client.sendMessage({ to: 'bob@localhost', body: 'ask' });
    await until(() => s.bodies().includes('the answer'), 5000, 'the answer');
    await sleep(300);
    assert.deepEqual(s.bodies(), ['the answer'], 'delivered once');
    const asks = s.cm.log.filter((r) => r.payload.includes('ask'));
    assert.equal(asks.length, 2);
    assert.equal(asks[1].text, asks[0].text, 'the resend is byte-identical');
  } finally {
    await s.cm.close();
  }
});

test('XEP-0124 §9.2 + §14: with a server that offers acks, the client acknowledges answers, fetches a reported lost answer at once, and ignores the duplicate when the lost one turns up', async () => {
  const s = await online({ acks: true, wait: 30 });
  try {
    let lostAt = 0;
    let lostRes = null;
    s.cm.onRequest = (req, res) => {
      if (!req.payload.includes('lost-one') || lostAt) return undefined;
      // The answer is decided, then lost without a trace: the connection stays open.
      lostAt = req.rid;
      lostRes = res;
      s.cm.received.push(req.payload);
      s.cm.answered.set(req.rid, { status: 200, body: `<body ${NS}>${message('reply to lost')}</body>` });
      return 'ignore';
    };
    s.client.sendMessage({ to: 'bob@localhost', body: 'lost-one' });
    await until(() => lostAt, 5000, 'the request');
    const first = s.cm.log.find((r) => r.rid === lostAt);
    assert.match(first.text, / ack='\d+'/, 'XEP-0124 §9.2: a request sent while an earlier answer is missing carries ack');
    const reportedAt = Date.now();
    s.cm.answerHeld(200, `<body report='${lostAt}' time='100' ${NS}/>`);
    await until(() => s.bodies().includes('reply to lost'), 5000, 'the reported answer');
    const again = s.cm.log.filter((r) => r.rid === lostAt);
    assert.equal(again.length, 2, 'resent once');
    assert.equal(again[1].text, first.text, 'byte for byte');
    assert.ok(again[1].at - reportedAt < 2000, `resent ${again[1].at - reportedAt} ms after the report, not at the 30 s timeout`);
    // The first answer was only late: it arrives now, a duplicate of the second.
    s.cm.respond(lostRes, 200, s.cm.answered.get(lostAt).body);
    await sleep(300);
    assert.deepEqual(s.bodies(), ['reply to lost'], 'a duplicate answer is not processed twice');
  } finally {
    await s.cm.close();
  }
});

test('XEP-0124 §17.3: a recoverable binding error resends that request and every earlier unanswered one, unchanged', async () => {
  const s = await online();
  try {
    const heldRid = Math.max(...s.cm.log.map((r) => r.rid));
    let errors = 0;
    s.cm.onRequest = (req, res) => {
      if (!req.payload.includes('recover') || errors) return undefined;
      errors++;
      s.cm.respond(res, 200, `<body type='error' ${NS}/>`);
      return 'handled';
    };
    s.client.sendMessage({ to: 'bob@localhost', body: 'recover' });
    await until(() => s.cm.received.some((x) => x.includes('recover')), 5000, 'the resent message');
    const held = s.cm.log.filter((r) => r.rid === heldRid);
    const withMessage = s.cm.log.filter((r) => r.payload.includes('recover'));
    assert.equal(held.length, 2, `the earlier unanswered request (rid ${heldRid}) was resent`);
    assert.equal(held[1].text, held[0].text, 'unchanged');
    assert.equal(withMessage.length, 2);
    assert.equal(withMessage[1].text, withMessage[0].text, 'unchanged');
    assert.equal(s.cm.received.filter((x) => x.includes('recover')).length, 1);
    assert.equal(s.offline(), undefined);
  } finally {
    await s.cm.close();
  }
});

test('XEP-0124 §14 + §17: a request never answered is resent after wait plus a margin, with backoff, then the session ends as connection-failed', async () => {
  const s = await online({ wait: 1 }, { maxRetries: 2, timeoutMarginMs: 300 });
  try {
    s.cm.onRequest = () => 'ignore';
    const before = s.cm.log.length;
    await until(s.offline, 15000, 'offline');
    assert.equal(s.offline().reason, 'connection-failed');
    const later = s.cm.log.slice(before);
    const byRid = new Map();
    for (const r of later) byRid.set(r.rid, [...(byRid.get(r.rid) ?? []), r]);
    for (const [rid, sends] of byRid) {
      assert.ok(sends.every((r) => r.text === sends[0].text), `rid ${rid}: every resend byte-identical`);
      assert.ok(sends.length <= 3, `rid ${rid}: at most 1 + maxRetries sends (${sends.length})`);
    }
    assert.ok([...byRid.values()].some((sends) => sends.length === 3), 'some request was tried 1 + maxRetries times');
  } finally {
    await s.cm.close();
  }
});

test('XEP-0124 §11: never more requests open than the server\'s requests attribute, even in a burst', async () => {
  const s = await online({ requests: 2, hold: 1 });
  try {
    s.cm.maxOpen = s.cm.open;
    for (let i = 1; i <= 200; i++) {
      s.client.sendMessage({ to: 'bob@localhost', body: `b${i}` });
      if (i % 20 === 0) await sleep(5);
    }
    await until(() => s.cm.received.filter((x) => x.startsWith('<message')).length === 200, 10000, 'all 200');
    const order = s.cm.received.filter((x) => x.startsWith('<message')).map((x) => /<body>(.*?)<\/body>/.exec(x)[1]);
    assert.deepEqual(order, Array.from({ length: 200 }, (_, k) => `b${k + 1}`), 'in order');
    assert.ok(s.cm.maxOpen <= 2, `at most 2 open at once (saw ${s.cm.maxOpen})`);
  } finally {
    await s.cm.close();
  }
});

test('XEP-0124 §7.1 + §9: rids start random below 2^53 and go up by one per new request', async () => {
  const a = await online();
  const b = await online();
  try {
    const ridsA = [...new Set(a.cm.log.map((r) => r.rid))];
    const ridsB = [...new Set(b.cm.log.map((r) => r.rid))];
    assert.ok(ridsA.every(Number.isSafeInteger) && ridsA[0] < 2 ** 53, 'safe integers below 2^53');
    assert.notEqual(ridsA[0], ridsB[0], 'two sessions start at different rids');
    ridsA.sort((x, y) => x - y);
    assert.deepEqual(ridsA, Array.from({ length: ridsA.length }, (_, k) => ridsA[0] + k), 'consecutive');
  } finally {
    await Promise.all([a.cm.close(), b.cm.close()]);
  }
});

test('XEP-0124 §10 + §11: an idle session always has a request held, so the server can push at any moment', async () => {
  const s = await online({ wait: 1 });
  try {
    // Empty answers come every second; after each a new request must follow at once.
    let longestGap = 0;
    let emptySince = null;
    const end = Date.now() + 3500;
    while (Date.now() < end) {
      if (s.cm.heldCount() === 0) emptySince ??= Date.now();
      else if (emptySince !== null) {
        longestGap = Math.max(longestGap, Date.now() - emptySince);
        emptySince = null;
      }
      await sleep(5);
    }
    assert.ok(longestGap < 250, `nothing held for at most ${longestGap} ms`);
    s.cm.push(message('pushed'));
    await until(() => s.bodies().includes('pushed'), 2000, 'the push');
  } finally {
    await s.cm.close();
  }
});

test('XEP-0124 §12: in a polling session (hold=0) empty requests are spaced by at least polling seconds', async () => {
  const s = await online({ requests: 1, hold: 0, polling: 1 });
  try {
    const start = s.cm.log.length;
    await sleep(3500);
    const empty = s.cm.log.slice(start).filter((r) => !r.payload && !r.type);
    assert.ok(empty.length >= 2 && empty.length <= 4, `${empty.length} polls in 3.5 s`);
    for (let i = 1; i < empty.length; i++) {
      assert.ok(empty[i].at - empty[i - 1].at >= 950, `polls ${empty[i].at - empty[i - 1].at} ms apart`);
    }
  } finally {
    await s.cm.close();
  }
});

test('XEP-0124 §12 + XEP-0206 §7: disconnect sends unavailable presence with type=terminate', async () => {
  const s = await online();
  try {
    await s.client.disconnect();
    const last = s.cm.log[s.cm.log.length - 1];
    assert.equal(last.type, 'terminate');
    assert.match(last.payload, /<presence [^>]*type='unavailable'/);
    assert.equal(s.offline().reason, 'disconnected');
  } finally {
    await s.cm.close();
  }
});
