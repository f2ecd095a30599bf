// password.test.mjs: passwords as people type them, and what stays in
// memory. RFC 8265 §4.2 (OpaqueString, which RFC 7613 and SASLprep before
// it define for SASL passwords): the same password typed on a system that
// composes characters (NFC) and one that decomposes them (NFD, as macOS
// input can) logs in against ejabberd and Prosody alike, and so does a
// no-break space where the server's SASLprep made it a space. After the
// login no copy of the password is left in the core's wasm memory, freed
// or not: the core keeps SCRAM's SaltedPassword to log in again, and with
// PLAIN keeps the password only while reconnecting is on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEjabberd } from '../support/ejabberd.mjs';
import { startProsody } from '../support/prosody.mjs';
import { startFakeCM } from '../support/fake-cm.mjs';
import { createClient } from '../../dist/index.js';
import { loadCore } from '../../dist/core.js';

// "Ünïcödé пароль Å" with composed letters; the same text decomposed.
const COMPOSED = '\u00dcn\u00efc\u00f6d\u00e9 \u043f\u0430\u0440\u043e\u043b\u044c \u00c5';
const DECOMPOSED = COMPOSED.normalize('NFD');
let ejabberd;
let prosody;

before(async () => {
  assert.notEqual(COMPOSED, DECOMPOSED, 'the two forms differ as bytes');
  [ejabberd, prosody] = await Promise.all([startEjabberd(), startProsody()]);
  await Promise.all([
    ejabberd.register('nora', COMPOSED),
    prosody.register('nora', COMPOSED),
    prosody.register('nbsp', 'no\u00a0break'),
    ejabberd.register('alice', 'alice-pw'),
  ]);
});

after(async () => {
  await Promise.all([ejabberd?.stop(), prosody?.stop()]);
});

async function logsIn(service, jid, password) {
  const c = createClient({ service, jid, password });
  try {
    const { mechanism } = await c.connect();
    return mechanism;
  } catch (e) {
    return e.condition;
  } finally {
    await c.disconnect();
  }
}

test('RFC 8265 §4.2: a non-ASCII password typed composed or decomposed logs in to ejabberd', async () => {
  assert.equal(await logsIn(ejabberd.boshUrl, 'nora@localhost', COMPOSED), 'SCRAM-SHA-1');
  assert.equal(await logsIn(ejabberd.boshUrl, 'nora@localhost', DECOMPOSED), 'SCRAM-SHA-1', 'NFC before SCRAM');
});

test('RFC 8265 §4.2: the same against Prosody, and a no-break space its SASLprep stored as a space', async () => {
  assert.equal(await logsIn(prosody.boshUrl, 'nora@localhost', COMPOSED), 'SCRAM-SHA-1');
  assert.equal(await logsIn(prosody.boshUrl, 'nora@localhost', DECOMPOSED), 'SCRAM-SHA-1', 'NFC before SCRAM');
  assert.equal(await logsIn(prosody.boshUrl, 'nbsp@localhost', 'no\u00a0break'), 'SCRAM-SHA-1',
    'RFC 8265 §4.2.1: non-ASCII spaces are mapped to U+0020');
});

test('RFC 8265 §4.2: a password with a control character is refused before anything is sent', async () => {
  const c = createClient({ service: ejabberd.boshUrl, jid: 'alice@localhost', password: 'bell\u0007' });
  await assert.rejects(c.connect(), TypeError);
});

/** How many times `secret` (as UTF-8) is found in the core's wasm memory. */
async function copiesInCore(secret) {
  const core = await loadCore();
  const heap = core.heap();
  const needle = new TextEncoder().encode(secret);
  let count = 0;
  for (let i = heap.indexOf(needle[0]); i >= 0 && i <= heap.length - needle.length; i = heap.indexOf(needle[0], i + 1)) {
    let k = 1;
    while (k < needle.length && heap[i + k] === needle[k]) k++;
    if (k === needle.length) count++;
  }
  return count;
}

const uniqueSecret = () => `pw-${Math.random().toString(36).slice(2)}-${Date.now()}`;

test('after a SCRAM login no copy of the password is left in wasm memory (the core keeps SaltedPassword instead)', async () => {
  const password = uniqueSecret();
  await ejabberd.register('scrammer', password);
  const c = createClient({ service: ejabberd.boshUrl, jid: 'scrammer@localhost', password });
  try {
    await c.connect();
    assert.equal(await copiesInCore(password), 0, 'no copy of the password in wasm memory, freed or not');
  } finally {
    await c.disconnect();
  }
});

test('after a PLAIN login without automatic reconnection no copy of the credentials is left in wasm memory', async () => {
  const password = uniqueSecret();
  const cm = await startFakeCM();
  const c = createClient({ service: cm.url, jid: 'alice@localhost', password, allowPlain: true, reconnect: false });
  try {
    await c.connect();
    await new Promise((r) => setTimeout(r, 100)); // the auth request is answered and freed by now
    assert.ok(cm.received.some((s) => s.startsWith('<auth')), 'PLAIN was used');
    assert.equal(await copiesInCore(password), 0, 'no copy of the password, nor of the request that carried it');
    const plain = Buffer.from(`\0alice\0${password}`).toString('base64');
    assert.equal(await copiesInCore(plain.slice(8)), 0, 'no copy of the base64 auth payload either');
  } finally {
    await c.disconnect();
    await cm.close();
  }
});

test('with PLAIN and automatic reconnection on (the default), the core keeps the password to log in again, as documented', async () => {
  const password = uniqueSecret();
  const cm = await startFakeCM();
  const c = createClient({ service: cm.url, jid: 'alice@localhost', password, allowPlain: true });
  try {
    await c.connect();
    assert.equal(await copiesInCore(password), 1, 'exactly one copy: the core\'s own');
  } finally {
    await c.disconnect();
    await cm.close();
  }
  assert.equal(await copiesInCore(password), 0, 'wiped when the client ends');
});
