// clients.js: the page side of the benchmark. One adapter per client over
// its public API (connect, send, ping, handlers, roster, archive), and the
// steps the runner calls through window.bench. Times that cross pages are
// wall clock (performance.timeOrigin + performance.now()), which every page
// and the runner's Node process on this machine share.
import * as xw from '/build/bench/xmpp-wasm.js';
import { Strophe, $msg, $iq, $pres } from '/build/bench/strophe.js';
import * as Stanza from '/build/bench/stanza.js';

const wall = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const withTimeout = (p, ms, what) => Promise.race([p, sleep(ms).then(() => { throw new Error(`${what}: timed out after ${ms} ms`); })]);
const NS_MAM = 'urn:xmpp:mam:2';

function xmppWasm(extra) {
  return ({ service, jid, password, options }) => {
    const c = xw.createClient({ service, jid, password, ...extra, ...options });
    const errors = [];
    c.on('error', (e) => errors.push(e.condition + (e.limit ? ` (${e.limit})` : '')));
    return {
      client: c,
      errors,
      connect: () => c.connect(),
      onMessage: (cb) => c.on('message', (m) => { if (m.body !== undefined && !m.archived) cb(m.body); }),
      // As fast as the API takes them: a Client throws resource-constraint
      // past its queue limit and the sender waits for the queue to drain.
      send: async (to, body) => {
        for (;;) {
          try {
            c.sendMessage({ to, body });
            return;
          } catch (err) {
            if (err.condition !== 'resource-constraint') throw err;
            await sleep(5);
          }
        }
      },
      ping: (to) => c.ping({ to }),
      history: async (withs) => {
        const pages = await Promise.all(withs.map((w) => c.history(w, { max: 1000 })));
        return pages.flatMap((p) => p.messages.map((m) => ({ id: m.stanzaId, body: m.body, delay: m.delay })));
      },
      roster: () => new Promise((resolve) => {
        if (c.roster.length) resolve(c.roster);
        c.on('roster', (r) => { if (r.full) resolve(c.roster); });
      }),
      disconnect: () => c.disconnect(),
    };
  };
}

function strophe({ service, jid, password }) {
  const conn = new Strophe.Connection(service);
  const domain = jid.split('@')[1];
  let gone = null;
  return {
    client: conn,
    errors: [],
    connect: () => new Promise((resolve, reject) => conn.connect(jid, password, (status) => {
      if (status === Strophe.Status.DISCONNECTED) gone?.();
      if (status === Strophe.Status.CONNECTED) {
        conn.send($pres());
        resolve();
      } else if (status === Strophe.Status.AUTHFAIL || status === Strophe.Status.CONNFAIL) {
        reject(new Error(`Strophe status ${status}`));
      }
    })),
    onMessage: (cb) => conn.addHandler((m) => {
      const b = m.getElementsByTagName('body')[0];
      if (b && !m.getElementsByTagNameNS(NS_MAM, 'result').length) cb(b.textContent);
      return true;
    }, null, 'message'),
    send: (to, body) => conn.send($msg({ to, type: 'chat' }).c('body').t(body)),
    ping: (to) => new Promise((resolve, reject) =>
      conn.sendIQ($iq({ type: 'get', to: to ?? domain }).c('ping', { xmlns: 'urn:xmpp:ping' }), resolve, reject, 10000)),
    // Strophe.js has no archive API in its core: the app's handler reads
    // each result, as a plugin would.
    history: (withs) => new Promise((resolve, reject) => {
      const out = [];
      let done = 0;
      const h = conn.addHandler((m) => {
        const r = m.getElementsByTagNameNS(NS_MAM, 'result')[0];
        if (!r) return true;
        const fwd = r.getElementsByTagName('message')[0];
        out.push({
          id: r.getAttribute('id'),
          body: fwd?.getElementsByTagName('body')[0]?.textContent,
          delay: r.getElementsByTagName('delay')[0]?.getAttribute('stamp'),
        });
        return true;
      }, NS_MAM, 'message');
      for (const w of withs) {
        const iq = $iq({ type: 'set' }).c('query', { xmlns: NS_MAM, queryid: `q${Math.random().toString(36).slice(2)}` })
          .c('x', { xmlns: 'jabber:x:data', type: 'submit' })
          .c('field', { var: 'FORM_TYPE', type: 'hidden' }).c('value').t(NS_MAM).up().up()
          .c('field', { var: 'with' }).c('value').t(w).up().up().up()
          .c('set', { xmlns: 'http://jabber.org/protocol/rsm' }).c('max').t('1000').up().c('before');
        conn.sendIQ(iq, () => {
          if (++done === withs.length) {
            conn.deleteHandler(h);
            resolve(out);
          }
        }, reject, 60000);
      }
    }),
    roster: () => new Promise((resolve, reject) => conn.sendIQ($iq({ type: 'get' }).c('query', { xmlns: 'jabber:iq:roster' }), (res) => {
      resolve([...res.getElementsByTagName('item')].map((it) => ({
        jid: it.getAttribute('jid'), name: it.getAttribute('name'), subscription: it.getAttribute('subscription'),
        groups: [...it.getElementsByTagName('group')].map((g) => g.textContent),
      })));
    }, reject, 60000)),
    disconnect: () => new Promise((resolve) => {
      gone = resolve;
      conn.disconnect();
      setTimeout(resolve, 3000);
    }),
  };
}

function stanza({ service, jid, password }) {
  const c = Stanza.createClient({ jid, password, transports: { bosh: service, websocket: false } });
  const domain = jid.split('@')[1];
  return {
    client: c,
    errors: [],
    connect: () => new Promise((resolve, reject) => {
      c.once('session:started', () => {
        c.sendPresence();
        resolve();
      });
      c.once('auth:failed', () => reject(new Error('StanzaJS: auth failed')));
      c.connect();
    }),
    onMessage: (cb) => c.on('message', (m) => { if (m.body !== undefined && !m.archive) cb(m.body); }),
    send: (to, body) => { c.sendMessage({ to, body, type: 'chat' }); },
    ping: (to) => c.ping(to ?? domain),
    history: async (withs) => {
      const pages = await Promise.all(withs.map((w) => c.searchHistory({ with: w, paging: { max: 1000 } })));
      return pages.flatMap((p) => p.results.map((r) => ({ id: r.id, body: r.item.message?.body, delay: r.item.delay?.timestamp })));
    },
    roster: async () => (await c.getRoster()).items,
    disconnect: () => new Promise((resolve) => {
      c.once('disconnected', () => resolve());
      c.disconnect();
      setTimeout(resolve, 1000);
    }),
  };
}

const ADAPTERS = {
  'xmpp-wasm': xmppWasm({}),
  'xmpp-wasm, shareAcrossTabs: false': xmppWasm({ shareAcrossTabs: false }),
  'Strophe.js': strophe,
  StanzaJS: stanza,
};

const open = new Map(); // client name -> { a: adapter, lat: Map(i -> receipt wall), burst }

window.bench = {
  clients: Object.keys(ADAPTERS),
  versions: { StanzaJS: Stanza.VERSION, 'Strophe.js': Strophe.VERSION },

  /** Session creation to online, then the session ends. */
  async login(name, creds) {
    const t0 = performance.now();
    const a = ADAPTERS[name](creds);
    await withTimeout(a.connect(), 20000, `${name} login`);
    const ms = performance.now() - t0;
    await withTimeout(a.disconnect(), 5000, `${name} logout`).catch(() => {});
    return ms;
  },

  /** Opens the session this tab keeps for the ping, one-way and burst rows. */
  async open(name, creds) {
    const a = ADAPTERS[name](creds);
    const s = { a, lat: new Map(), latWaiter: null, burst: null };
    a.onMessage((body) => {
      const at = wall();
      if (body.startsWith('lat:')) {
        const [, i, sent] = body.split(':');
        s.lat.set(Number(i), at - Number(sent));
        s.latWaiter?.();
      } else if (body.startsWith('burst:') && s.burst) {
        const i = Number(body.slice(6));
        const b = s.burst;
        if (i !== b.next) b.inOrder = false;
        b.next = i + 1;
        if (b.seen.has(i)) b.dups++;
        b.seen.add(i);
        b.lastAt = at;
        if (b.seen.size === b.n) b.done?.();
      }
    });
    await withTimeout(a.connect(), 20000, `${name} connect`);
    open.set(name, s);
  },

  async ping(name, to) {
    const t0 = performance.now();
    await withTimeout(open.get(name).a.ping(to), 10000, `${name} ping`);
    return performance.now() - t0;
  },

  /** Sends sample i of the one-way row, stamped with the wall clock just before the API call. */
  sendLatency(name, to, i) {
    return open.get(name).a.send(to, `lat:${i}:${wall()}`);
  },

  /** The receiving tab: sample i's one-way time (receipt − stamp), once it arrived. */
  async receivedLatency(name, i, ms) {
    const s = open.get(name);
    const deadline = performance.now() + ms;
    while (!s.lat.has(i)) {
      if (performance.now() > deadline) return null;
      await new Promise((r) => { s.latWaiter = r; setTimeout(r, 50); });
    }
    return s.lat.get(i);
  },

  /** The receiving tab, before a burst: counts burst:<i> as they arrive. */
  expectBurst(name, n) {
    open.get(name).burst = { n, next: 0, inOrder: true, dups: 0, seen: new Set(), lastAt: null, done: null };
  },

  async burstReceived(name, ms) {
    const b = open.get(name).burst;
    if (b.seen.size < b.n) await new Promise((r) => { b.done = r; setTimeout(r, ms); });
    return { received: b.seen.size, inOrder: b.inOrder && b.seen.size === b.n, dups: b.dups, lastAt: b.lastAt };
  },

  /** The sending tab: n messages as fast as the API takes them. */
  async sendBurst(name, to, n) {
    const s = open.get(name);
    const before = s.a.errors.length;
    const t0 = wall();
    for (let i = 0; i < n; i++) await s.a.send(to, `burst:${i}`);
    return { t0, apiMs: wall() - t0, errors: s.a.errors.slice(before) };
  },

  async close(name) {
    const s = open.get(name);
    open.delete(name);
    await withTimeout(s.a.disconnect(), 5000, `${name} logout`).catch(() => {});
  },

  /** The browser's floor: one fetch() round trip to the server (an unknown sid, answered at once). */
  async fetchFloor(service) {
    const t0 = performance.now();
    const r = await fetch(service, {
      method: 'POST', headers: { 'Content-Type': 'text/xml; charset=utf-8' },
      body: "<body rid='1' sid='none' xmlns='http://jabber.org/protocol/httpbind'/>",
    });
    await r.arrayBuffer();
    return performance.now() - t0;
  },

  /** The archive row: online at the scripted server, then the queries; returns when every message was handed over. */
  async archive(name, creds, withs) {
    const a = ADAPTERS[name](creds);
    await withTimeout(a.connect(), 20000, `${name} connect`);
    const msgs = await withTimeout(a.history(withs), 60000, `${name} archive`);
    const doneAt = wall();
    const ok = msgs.filter((m) => m.id && m.body && m.delay).length;
    await a.disconnect().catch(() => {});
    return { doneAt, count: msgs.length, complete: ok, errors: a.errors.length };
  },

  /** The roster row: the page's memory after a full roster arrived and was handed to the app. */
  async roster(name, creds) {
    const heap = () => {
      window.gc?.();
      return performance.memory?.usedJSHeapSize ?? NaN;
    };
    const core = name === 'xmpp-wasm, shareAcrossTabs: false' ? await xw.loadCore() : null;
    const heap0 = heap();
    const wasm0 = core?.x.memory.buffer.byteLength;
    const a = ADAPTERS[name](creds);
    await withTimeout(a.connect(), 20000, `${name} connect`);
    const items = await withTimeout(a.roster(), 60000, `${name} roster`);
    window.keep = { a, items }; // what an app holds on to
    await sleep(200);
    const r = { items: items.length, heapAdded: heap() - heap0, heap: heap(), wasm0, wasm: core?.x.memory.buffer.byteLength };
    await a.disconnect().catch(() => {});
    window.keep = null;
    return r;
  },
};
window.benchReady = true;
