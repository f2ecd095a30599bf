// scripted-cm.mjs: a small BOSH connection manager on 127.0.0.1 for the rows
// where the server must not count: it answers one session of one account
// (SCRAM-SHA-1, bind), holds requests as XEP-0124 says, answers IQs from a
// hook (a 10,000-item roster, a 5,000-message archive page) prebuilt in
// memory, and notes the wall-clock time it wrote each answer. Unlike
// tests/support/fake-cm.mjs it reads either quote style, as StanzaJS
// writes double quotes.
import http from 'node:http';
import crypto from 'node:crypto';
import { performance } from 'node:perf_hooks';

const NS = "xmlns='http://jabber.org/protocol/httpbind' xmlns:stream='http://etherx.jabber.org/streams'";
export const wallNow = () => performance.timeOrigin + performance.now();

export const attr = (tag, name) => new RegExp(`\\s${name}\\s*=\\s*(['"])(.*?)\\1`).exec(tag)?.[2];

/** The top-level elements of a BOSH body's payload, as strings. */
export function topLevel(payload) {
  const out = [];
  let depth = 0;
  let start = -1;
  const re = /<(\/?)([^\s>/]+)[^>]*?(\/?)>/g;
  for (let m; (m = re.exec(payload));) {
    if (m[2].startsWith('?') || m[2].startsWith('!')) continue;
    if (m[1]) {
      if (--depth === 0) out.push(payload.slice(start, re.lastIndex));
    } else if (m[3]) {
      if (depth === 0) out.push(m[0]);
    } else if (depth++ === 0) {
      start = m.index;
    }
  }
  return out;
}

/** SCRAM-SHA-1's server side (RFC 5802) for one password. */
function scramSha1(password) {
  const salt = crypto.randomBytes(16);
  const salted = crypto.pbkdf2Sync(password, salt, 4096, 20, 'sha1');
  const hmac = (key, data) => crypto.createHmac('sha1', key).update(data).digest();
  let clientFirstBare = '';
  let serverFirst = '';
  return {
    first(clientFirst) {
      clientFirstBare = clientFirst.replace(/^[^,]*,[^,]*,/, '');
      const nonce = /r=([^,]+)/.exec(clientFirstBare)[1] + crypto.randomBytes(12).toString('base64');
      serverFirst = `r=${nonce},s=${salt.toString('base64')},i=4096`;
      return serverFirst;
    },
    final(clientFinal) {
      const withoutProof = clientFinal.replace(/,p=[^,]*$/, '');
      const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
      return `v=${hmac(hmac(salted, 'Server Key'), authMessage).toString('base64')}`;
    },
  };
}

/**
 * Starts the server. opts: { jid ('alice@localhost/bench'), password, onIq(stanza, id) → reply XML, undefined
 *   (an empty result) or null (no answer now) }.
 * Returns { url, sent: [{ at (wall ms), bytes }], close() }.
 */
export async function startScriptedCM({ jid = 'alice@localhost/bench', password = 'pw', onIq } = {}) {
  const sid = crypto.randomBytes(8).toString('hex');
  const scram = scramSha1(password);
  const b64 = (s) => Buffer.from(s).toString('base64');
  const unb64 = (s) => Buffer.from(s, 'base64').toString();
  const held = []; // { rid, res, timer }
  const pending = [];
  let wait = 10;
  const cm = { url: '', sent: [] };

  function send(res, body) {
    if (res.writableEnded || res.destroyed) return;
    res.writeHead(200, { 'Content-Type': 'text/xml; charset=utf-8', 'Access-Control-Allow-Origin': '*' });
    cm.sent.push({ at: wallNow(), bytes: Buffer.byteLength(body) });
    res.end(body);
  }
  function answer(entry, payload) {
    clearTimeout(entry.timer);
    send(entry.res, payload ? `<body ${NS}>${payload}</body>` : `<body ${NS}/>`);
  }
  function flush() {
    while (held.length && (pending.length || held.length > 1)) answer(held.shift(), pending.splice(0).join(''));
  }

  function handle(text, res) {
    const open = /^\s*<body\b[^>]*>/.exec(text)?.[0] ?? '';
    if (!attr(open, 'sid')) {
      wait = Math.min(Number(attr(open, 'wait') ?? 10), 30);
      const features = "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1</mechanism></mechanisms></stream:features>";
      return send(res, `<body sid='${sid}' wait='${wait}' requests='2' hold='1' inactivity='30' polling='2' ver='1.11' from='localhost' ${NS}>${features}</body>`);
    }
    if (attr(open, 'type') === 'terminate') {
      for (const e of held.splice(0)) answer(e, '');
      return send(res, `<body type='terminate' ${NS}/>`);
    }
    if (attr(open, 'xmpp:restart') === 'true') {
      pending.push("<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>");
    }
    const inner = open.endsWith('/>') ? '' : text.slice(open.length, text.lastIndexOf('</body>'));
    for (const st of topLevel(inner)) {
      const name = /^<([^\s>/]+)/.exec(st)[1];
      const textOf = () => unb64(/>([^<]*)</.exec(st)?.[1] ?? '');
      if (name === 'auth') pending.push(`<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>${b64(scram.first(textOf()))}</challenge>`);
      else if (name === 'response') pending.push(`<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>${b64(scram.final(textOf()))}</success>`);
      else if (name === 'iq') {
        const tag = /^<iq\b[^>]*>/.exec(st)[0];
        const id = attr(tag, 'id');
        const type = attr(tag, 'type');
        if (type !== 'get' && type !== 'set') continue;
        const to = attr(tag, 'to');
        const from = to && to !== jid.split('/')[0] ? ` from='${to}'` : '';
        if (st.includes('urn:ietf:params:xml:ns:xmpp-bind')) {
          pending.push(`<iq xmlns='jabber:client' type='result' id='${id}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>${jid}</jid></bind></iq>`);
        } else {
          const reply = onIq?.(st, id);
          if (reply !== null) pending.push(reply ?? `<iq xmlns='jabber:client' type='result' id='${id}'${from} to='${jid}'/>`);
        }
      }
    }
    const entry = { res, timer: null };
    entry.timer = setTimeout(() => {
      const i = held.indexOf(entry);
      if (i >= 0) held.splice(i, 1);
      answer(entry, '');
    }, wait * 1000);
    held.push(entry);
    flush();
  }

  const sockets = new Set();
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'OPTIONS') {
        res.writeHead(200, { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Methods': 'POST',
          'Access-Control-Allow-Headers': 'Content-Type' });
        return res.end();
      }
      handle(Buffer.concat(chunks).toString('utf8'), res);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  cm.url = `http://127.0.0.1:${server.address().port}/bosh`;
  cm.close = () => new Promise((resolve) => {
    for (const e of held.splice(0)) clearTimeout(e.timer);
    for (const s of sockets) s.destroy();
    server.close(() => resolve());
  });
  return cm;
}

/** A roster result with n items (RFC 6121 §2.1.4), to the IQ id. */
export function rosterResult(id, n, to) {
  const items = [];
  for (let i = 0; i < n; i++) {
    items.push(`<item jid='contact${i}@example.org' name='Contact ${i}' subscription='both'><group>Group ${i % 20}</group></item>`);
  }
  return `<iq xmlns='jabber:client' type='result' id='${id}' to='${to}'><query xmlns='jabber:iq:roster' ver='v${n}'>${items.join('')}</query></iq>`;
}

/** Archive results for one MAM query (XEP-0313 with delay and stanza-id), then its fin. */
export function archivePage({ id, queryid, owner, to, peer, n, offset }) {
  const parts = [];
  const t0 = Date.UTC(2024, 0, 1);
  const ids = [];
  for (let i = 0; i < n; i++) {
    const sid = `arch-${queryid}-${offset + i}`;
    ids.push(sid);
    const stamp = new Date(t0 + (offset + i) * 1000).toISOString();
    const fromPeer = i % 2 === 0;
    parts.push(`<message xmlns='jabber:client' from='${owner}' to='${to}'><result xmlns='urn:xmpp:mam:2' queryid='${queryid}' id='${sid}'>` +
      `<forwarded xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:delay' stamp='${stamp}'/>` +
      `<message xmlns='jabber:client' from='${fromPeer ? `${peer}/phone` : `${owner}/bench`}' to='${fromPeer ? owner : peer}' type='chat' id='m${offset + i}'>` +
      `<body>Archived message number ${offset + i}, with some text of a typical length.</body>` +
      `<stanza-id xmlns='urn:xmpp:sid:0' by='${owner}' id='${sid}'/></message></forwarded></result></message>`);
  }
  parts.push(`<iq xmlns='jabber:client' type='result' id='${id}' to='${to}'><fin xmlns='urn:xmpp:mam:2' complete='true'>` +
    `<set xmlns='http://jabber.org/protocol/rsm'><first index='0'>${ids[0]}</first><last>${ids[n - 1]}</last><count>${n}</count></set></fin></iq>`);
  return parts.join('');
}
