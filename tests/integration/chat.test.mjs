// chat.test.mjs: the built package (dist/) against a real ejabberd over
// real HTTP, in Node: login with SCRAM, chat both ways, ping, errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEjabberd } from '../support/ejabberd.mjs';
import { waitFor } from '../support/wait.mjs';
import { createClient, XmppError } from '../../dist/index.js';

let server;
let server256;

before(async () => {
  [server, server256] = await Promise.all([startEjabberd(), startEjabberd({ scramHash: 'sha256' })]);
  await Promise.all([
    server.register('alice', 'alice-pw'),
    server.register('bob', 'bob-pw'),
    server256.register('carol', 'carol-pw'),
  ]);
});

after(async () => {
  await Promise.all([server?.stop(), server256?.stop()]);
});

test('XEP-0206 + RFC 6121 §5: alice and bob exchange messages both ways (SCRAM-SHA-1)', async () => {
  const alice = createClient({ service: server.boshUrl, jid: `alice@${server.domain}`, password: 'alice-pw' });
  const bob = createClient({ service: server.boshUrl, jid: `bob@${server.domain}`, password: 'bob-pw' });
  const statuses = [];
  alice.on('status', ({ status }) => statuses.push(status));
  const [a, b] = await Promise.all([alice.connect(), bob.connect()]);
  assert.match(a.jid, /^alice@localhost\/.+/, 'RFC 6120 §7: a full JID is bound');
  assert.match(b.jid, /^bob@localhost\/.+/);
  assert.equal(a.mechanism, 'SCRAM-SHA-1', 'RFC 5802: the strongest mechanism ejabberd offers by default');
  assert.equal(alice.status, 'online');
  assert.deepEqual(statuses, ['connecting', 'online']);

  // connect() resolves once bound, with the initial presence just sent: a
  // message to bob's bare JID that reaches ejabberd before his presence
  // finds no available resource (RFC 6121 §8.5.2.1) and goes to offline
  // storage. A ping answered means his session has handled everything he
  // sent before it (RFC 6120 §10.1, in order).
  await bob.ping();
  const toBob = waitFor(bob, 'message', (m) => m.body === 'hello bob <3 & ünïcode');
  const sentId = alice.sendMessage({ to: `bob@${server.domain}`, body: 'hello bob <3 & ünïcode' });
  const m1 = await toBob;
  assert.equal(m1.type, 'chat');
  assert.equal(m1.id, sentId, 'RFC 6121 §5.2: the id travels with the message');
  assert.equal(m1.from, a.jid, 'RFC 6120 §8.1.2: the server stamps the sender full JID');
  assert.match(m1.xml, /^<message xmlns='jabber:client'/);

  const toAlice = waitFor(alice, 'message', (m) => m.body === 'hi alice');
  bob.sendMessage({ to: a.jid, body: 'hi alice' });
  const m2 = await toAlice;
  assert.equal(m2.from, b.jid);

  const rtt = await alice.ping();
  assert.ok(typeof rtt === 'number' && rtt >= 0, 'XEP-0199: ping resolves with the round trip');

  assert.match(await server.ctl('connected_users'), new RegExp(a.jid.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  const offline = waitFor(alice, 'offline');
  await alice.disconnect();
  assert.equal((await offline).reason, 'disconnected');
  assert.equal(alice.status, 'offline');
  // XEP-0124 §12: after terminate the server has no session left for alice.
  assert.doesNotMatch(await server.ctl('connected_users'), /^alice@/m);
  await bob.disconnect();
});

test('RFC 6120 §6.5.10: a wrong password rejects connect() with not-authorized', async () => {
  const c = createClient({ service: server.boshUrl, jid: `alice@${server.domain}`, password: 'wrong' });
  await assert.rejects(c.connect(), (err) => err instanceof XmppError && err.condition === 'not-authorized');
  assert.equal(c.status, 'offline');
});

test('an unreachable service rejects connect() with connection-failed', async () => {
  // A port nothing listens on: the loopback answers with a reset at once.
  const c = createClient({
    service: 'http://127.0.0.1:9/bosh', jid: 'alice@localhost', password: 'x', maxRetries: 2, backoffBaseMs: 50,
  });
  const started = performance.now();
  await assert.rejects(c.connect(), (err) => err instanceof XmppError && err.condition === 'connection-failed');
  assert.ok(performance.now() - started < 5000, 'gives up after bounded retries');
});

test('Node: a wake already due keeps the process alive until connect() settles (retries with no backoff)', async () => {
  // With backoffBaseMs 0 every retry is due at once, so the client wakes on
  // a message port with no fetch or timer pending. A port that never keeps
  // Node alive let the process exit there with connect() unsettled.
  const { execFile } = await import('node:child_process');
  const script = `
    import { createClient } from ${JSON.stringify(new URL('../../dist/index.js', import.meta.url).href)};
    const c = createClient({ service: 'http://127.0.0.1:9/bosh', jid: 'alice@localhost', password: 'x',
      maxRetries: 3, backoffBaseMs: 0 });
    c.connect().then(() => console.log('online'), (e) => console.log('rejected ' + e.condition));`;
  const out = await new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 20000 }, (err, stdout) =>
      (err ? reject(err) : resolve(stdout.trim())));
  });
  assert.equal(out, 'rejected connection-failed');
});

test('RFC 7677: SCRAM-SHA-256 against a server with auth_scram_hash: sha256', async () => {
  const c = createClient({ service: server256.boshUrl, jid: `carol@${server256.domain}`, password: 'carol-pw' });
  const { mechanism } = await c.connect();
  assert.equal(mechanism, 'SCRAM-SHA-256');
  await c.disconnect();
});

test('bad input from the app gets a clear error and sends nothing', async () => {
  const c = createClient({ service: server.boshUrl, jid: `bob@${server.domain}`, password: 'bob-pw' });
  assert.throws(() => c.sendMessage({ to: 'x@y', body: 'x' }), (e) => e.condition === 'not-connected');
  await c.connect();
  assert.throws(() => c.sendMessage({ to: 'not a jid@', body: 'x' }), TypeError, 'RFC 7622: invalid JID');
  assert.throws(() => c.sendMessage({ to: 'x@y', body: 'nul \u0000 inside' }), TypeError, 'XML 1.0 §2.2: NUL');
  assert.throws(() => createClient({ jid: 'a@b', password: 'x' }), TypeError);
  await c.disconnect();
});

test('XEP-0124 §17.2: a session lost to a server restart reconnects with backoff, logs in again, and chat goes on', async () => {
  const own = await startEjabberd();
  try {
    await Promise.all([own.register('alice', 'alice-pw'), own.register('bob', 'bob-pw')]);
    const opts = { service: own.boshUrl, backoffBaseMs: 100, reconnectDelayMs: 300 };
    const alice = createClient({ ...opts, jid: `alice@${own.domain}`, password: 'alice-pw' });
    const bob = createClient({ ...opts, jid: `bob@${own.domain}`, password: 'bob-pw' });
    await Promise.all([alice.connect(), bob.connect()]);
    const statuses = [];
    alice.on('status', (e) => statuses.push(e));
    let offline = null;
    alice.on('offline', (e) => { offline = e; });
    await own.ctl('restart');
    // ejabberd accepts logins for a moment while it shuts down, then drops
    // them again: wait until both are back on the restarted server.
    const deadline = Date.now() + 60000;
    let stable = 0;
    while (stable < 5 && Date.now() < deadline) {
      stable = alice.status === 'online' && bob.status === 'online' ? stable + 1 : 0;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(stable, 5, `both back online (alice ${alice.status}, bob ${bob.status})`);
    const reconnecting = statuses.filter((s) => s.status === 'reconnecting');
    assert.ok(reconnecting.length >= 1, 'a reconnecting status was reported');
    assert.ok(reconnecting.every((s) => s.delay > 0 && s.attempt >= 1), 'with attempt and delay');
    assert.equal(offline, null, 'no offline event for a session that came back');
    assert.equal(alice.status, 'online');
    const got = waitFor(bob, 'message', (m) => m.body === 'after the restart', 20000);
    alice.sendMessage({ to: `bob@${own.domain}`, body: 'after the restart' });
    await got;
    await Promise.all([alice.disconnect(), bob.disconnect()]);
    assert.equal(alice.status, 'offline');
  } finally {
    await own.stop();
  }
});
