// fake-cm.mjs: a scripted BOSH connection manager on 127.0.0.1, for what a
// real server cannot be made to do on cue: answer out of rid order, lose
// an answer after acting on the request, reset a connection, answer with
// any HTTP status, terminal or recoverable condition, or malformed XML.
//
// By default it behaves as a small, correct XEP-0124/XEP-0206 server for
// one account (PLAIN, bind, held requests answered when there is something
// to push or after `wait`), so the client under test gets online. A test
// then steers it: push(xml) sends a stanza, answerHeld(status, body)
// answers the oldest held request with exactly that, and `onRequest` can
// take over any request before the default handling.
import http from 'node:http';
import crypto from 'node:crypto';

const NS = "xmlns='http://jabber.org/protocol/httpbind' xmlns:stream='http://etherx.jabber.org/streams'";

/** The parts of a client request body a test looks at (the client's own format). */
export function parseRequest(text) {
  const open = /^<body\b[^>]*>/.exec(text)?.[0] ?? '';
  const attr = (name) => new RegExp(`\\s${name}='([^']*)'`).exec(open)?.[1];
  const inner = text.endsWith('</body>') ? text.slice(open.length, -'</body>'.length) : '';
  return {
    text, rid: Number(attr('rid')), sid: attr('sid'), type: attr('type'), pause: attr('pause'),
    restart: attr('xmpp:restart') === 'true', payload: inner,
  };
}

const b64 = (s) => Buffer.from(s).toString('base64');

/** The server side of SCRAM (RFC 5802) for one account, on node:crypto. */
function scramServer({ hash = 'sha1', iterations = 4096, password = 'pw' }) {
  const name = `SCRAM-${hash.toUpperCase().replace('SHA', 'SHA-')}`;
  const salt = crypto.randomBytes(16);
  const salted = crypto.pbkdf2Sync(password.normalize('NFC'), salt, iterations, crypto.createHash(hash).digest().length, hash);
  const hmac = (key, data) => crypto.createHmac(hash, key).update(data).digest();
  let clientFirstBare = '';
  let serverFirst = '';
  return {
    name,
    /** The challenge for the client-first-message. */
    first(clientFirst) {
      clientFirstBare = clientFirst.replace(/^n,,/, '');
      const nonce = /r=([^,]+)/.exec(clientFirstBare)[1] + crypto.randomBytes(12).toString('base64');
      serverFirst = `r=${nonce},s=${salt.toString('base64')},i=${iterations}`;
      return serverFirst;
    },
    /** The server-final-message, or null when the proof is wrong. */
    final(clientFinal) {
      const withoutProof = clientFinal.replace(/,p=[^,]*$/, '');
      const proof = Buffer.from(/,p=([^,]*)$/.exec(clientFinal)?.[1] ?? '', 'base64');
      const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
      const clientKey = hmac(salted, 'Client Key');
      const storedKey = crypto.createHash(hash).update(clientKey).digest();
      const signature = hmac(storedKey, authMessage);
      const expected = Buffer.from(clientKey.map((b, i) => b ^ signature[i]));
      if (proof.length !== expected.length || !crypto.timingSafeEqual(proof, expected)) return null;
      return `v=${hmac(hmac(salted, 'Server Key'), authMessage).toString('base64')}`;
    },
  };
}

/**
 * Starts the fake connection manager.
 * opts: { jid ('alice@localhost/web'), wait (s, 2), requests (2), hold (1), polling, inactivity (30),
 *         acks (offer XEP-0124 §9 acknowledgements), creationAttrs (extra attributes for the creation response),
 *         scram: { hash ('sha1', 'sha256', 'sha512'), iterations, password } to offer SCRAM instead of PLAIN }.
 * Returns { url, log (every request, parsed, with .at), received (stanzas the client sent),
 *           onRequest, push(xml), answerHeld(status, body), heldCount(), close() }.
 */
export async function startFakeCM(opts = {}) {
  const cfg = { jid: 'alice@localhost/web', wait: 2, requests: 2, hold: 1, inactivity: 30, ...opts };
  const scram = cfg.scram ? scramServer(cfg.scram) : null;
  const sid = `fake${Math.floor(Math.random() * 1e9)}`;
  const log = [];
  const received = [];
  const held = []; // { req, res, timer }, lowest rid first
  const pending = []; // stanzas waiting for a held request
  const answered = new Map(); // rid -> { status, body }: XEP-0124 §14 resends get the same answer
  const sockets = new Set();
  const cm = { url: '', log, received, onRequest: null };

  function send(res, status, body) {
    if (res.writableEnded || res.destroyed) return;
    res.writeHead(status, { 'Content-Type': 'text/xml; charset=utf-8', 'Access-Control-Allow-Origin': '*' });
    res.end(body);
  }

  function answer(entry, payload) {
    clearTimeout(entry.timer);
    const body = payload ? `<body ${NS}>${payload}</body>` : `<body ${NS}/>`;
    answered.set(entry.req.rid, { status: 200, body });
    send(entry.res, 200, body);
  }

  // Pushes what waits into the oldest held request; keeps at most `hold` held.
  function flush() {
    while (held.length && (pending.length || held.length > cfg.hold)) {
      const entry = held.shift();
      answer(entry, pending.splice(0).join(''));
    }
  }

  function hold(req, res) {
    const entry = { req, res, timer: null };
    entry.timer = setTimeout(() => {
      const i = held.indexOf(entry);
      if (i >= 0) held.splice(i, 1);
      answer(entry, '');
    }, cfg.wait * 1000);
    held.push(entry);
    held.sort((a, b) => a.req.rid - b.req.rid);
    flush();
  }

  // The default server: negotiation, then hold and push.
  function handle(req, res) {
    if (!req.sid) {
      const extra = Object.entries(cfg.creationAttrs ?? {}).map(([k, v]) => ` ${k}='${v}'`).join('');
      const attrs = `sid='${sid}' wait='${cfg.wait}' requests='${cfg.requests}' hold='${cfg.hold}' ` +
        `inactivity='${cfg.inactivity}'${cfg.polling ? ` polling='${cfg.polling}'` : ''} ver='1.11' from='localhost'${extra}` +
        (cfg.acks ? ` ack='${req.rid}'` : '');
      const body = `<body ${attrs} ${NS}><stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>` +
        `<mechanism>${scram ? scram.name : 'PLAIN'}</mechanism></mechanisms></stream:features></body>`;
      answered.set(req.rid, { status: 200, body });
      return send(res, 200, body);
    }
    if (req.sid !== sid) return send(res, 404, '');
    if (answered.has(req.rid)) {
      const a = answered.get(req.rid);
      return send(res, a.status, a.body);
    }
    const same = held.find((e) => e.req.rid === req.rid);
    if (same) {
      // A retransmission of a request still held (the client lost the
      // connection): acted on once, answered on the newest connection.
      same.res.destroy();
      same.res = res;
      return;
    }
    if (req.type === 'terminate') {
      for (const entry of held.splice(0)) answer(entry, '');
      const body = `<body type='terminate' ${NS}/>`;
      answered.set(req.rid, { status: 200, body });
      return send(res, 200, body);
    }
    if (req.restart) {
      pending.push("<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>");
    }
    for (const stanza of req.payload.match(/<(auth|response|iq|message|presence)\b[\s\S]*?(\/>|<\/\1>)/g) ?? []) {
      received.push(stanza);
      const sasl = (reply) => pending.push(`<${reply}</${reply.split(/[ >]/)[0]}>`);
      const saslText = () => Buffer.from(/>([^<]*)</.exec(stanza)?.[1] ?? '', 'base64').toString();
      if (stanza.startsWith('<auth') && scram) {
        sasl(`challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>${b64(scram.first(saslText()))}`);
      } else if (stanza.startsWith('<response') && scram) {
        const final = scram.final(saslText());
        if (final) sasl(`success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>${b64(final)}`);
        else pending.push("<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>");
      } else if (stanza.startsWith('<auth')) {
        pending.push("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
      }
      const id = /\sid='([^']*)'/.exec(stanza)?.[1];
      if (stanza.startsWith('<iq') && stanza.includes('urn:ietf:params:xml:ns:xmpp-bind')) {
        pending.push(`<iq xmlns='jabber:client' type='result' id='${id}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>` +
          `<jid>${cfg.jid}</jid></bind></iq>`);
      } else if (stanza.startsWith('<iq') && stanza.includes("type='get'")) {
        // Answered by whom it was sent to; a request to our own account
        // (no 'to') is answered with no 'from' (RFC 6120 §8.1.2.1).
        const to = /^<iq\b[^>]*\sto='([^']*)'/.exec(stanza)?.[1];
        pending.push(`<iq xmlns='jabber:client' type='result' id='${id}'${to ? ` from='${to}'` : ''}/>`);
      }
    }
    hold(req, res);
  }

  cm.open = 0; // HTTP requests open now, and the most at once
  cm.maxOpen = 0;
  const server = http.createServer((httpReq, res) => {
    cm.open++;
    cm.maxOpen = Math.max(cm.maxOpen, cm.open);
    res.on('close', () => cm.open--);
    const chunks = [];
    httpReq.on('data', (c) => chunks.push(c));
    httpReq.on('end', async () => {
      if (httpReq.method === 'OPTIONS') {
        // CORS preflight from a page on another origin (text/xml is not a simple type).
        res.writeHead(200, { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Methods': 'POST',
          'Access-Control-Allow-Headers': 'Content-Type' });
        return res.end();
      }
      if (httpReq.method !== 'POST') return send(res, 405, '');
      const req = parseRequest(Buffer.concat(chunks).toString('utf8'));
      req.at = Date.now();
      log.push(req);
      const custom = cm.onRequest ? await cm.onRequest(req, res) : undefined;
      if (custom === 'handled') return;
      if (custom === 'reset') return res.socket?.resetAndDestroy();
      if (custom === 'ignore') return; // never answered: the client's timeout must cope
      handle(req, res);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  cm.url = `http://127.0.0.1:${server.address().port}/bosh`;

  /** Sends a stanza to the client in the next answer. */
  cm.push = (xml) => {
    pending.push(xml);
    flush();
  };
  /** Answers the oldest held request with exactly this status and body. */
  cm.answerHeld = (status, body) => {
    const entry = held.shift();
    if (!entry) throw new Error('fake-cm: no request held');
    clearTimeout(entry.timer);
    answered.set(entry.req.rid, { status, body });
    send(entry.res, status, body);
  };
  cm.heldCount = () => held.length;
  /** Answers (or resets) a request the test took over with onRequest. */
  cm.respond = (res, status, body) => send(res, status, body);
  /** The default handling, for a request onRequest took over and lets through later. */
  cm.handle = (req, res) => handle(req, res);
  cm.answered = answered;
  cm.sid = sid;
  cm.hold = cfg.hold;
  cm.close = () => new Promise((resolve) => {
    for (const entry of held.splice(0)) clearTimeout(entry.timer);
    for (const s of sockets) s.destroy();
    server.close(() => resolve());
  });
  return cm;
}
