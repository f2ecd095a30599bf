// owner.js: the owner's side of a session shared by tabs (see shared.js):
// a SessionHost holds one Client (its core inside) and the tabs attached to
// it, relays every event to every tab and runs what tabs ask, in a
// SharedWorker (shared-worker.js) or in the tab that holds the owner lock.
// Kept apart from shared.js so a worker's bundle has no code that makes
// workers.

import { Client, XmppError, OWNER_HOOKS, SAVE_STATE, SUSPEND, PAGE_HIDE, prepareJid } from './client.js';
import { markerTarget } from './state.js';

// Every event a Client emits, relayed to every tab.
const EVENTS = [
  'status', 'online', 'offline', 'message', 'roster', 'receipt', 'marker', 'chatState', 'blocklist',
  'roomJoined', 'roomError', 'roomLeft', 'roomSubject', 'occupant', 'caughtUp', 'presence', 'stanza', 'error',
];

// What a tab may ask the owner's Client to do.
const METHODS = new Set([
  'sendRaw', 'sendMessage', 'sendPresence', 'ping', 'addContact', 'removeContact', 'setPresence',
  'sendChatState', 'markDisplayed', 'history', 'join', 'leave', 'discoInfo', 'block', 'unblock', 'blocklist',
  'disconnect',
]);

/** The session a tab's options name: one per service and account. */
export function sessionKey(options) {
  const service = String(new URL(options.service, globalThis.location?.href));
  return `${service} ${prepareJid(options.jid).toLowerCase()}`;
}

// Errors cross as plain objects and come back as what they were.

export function encodeError(err) {
  if (err instanceof XmppError) {
    const { name, condition, text, message, stack, ...details } = err;
    return { kind: 'XmppError', condition, text, details };
  }
  return { kind: err instanceof TypeError ? 'TypeError' : 'Error', message: String(err?.message ?? err) };
}

export function decodeError(e) {
  if (e.kind === 'XmppError') return new XmppError(e.condition, e.text, e.details);
  return e.kind === 'TypeError' ? new TypeError(e.message) : new Error(e.message);
}

function encodePayload(name, payload) {
  return name === 'error' || name === 'roomError' ? { error: encodeError(payload) } : payload;
}

/**
 * One shared session: the Client and the tabs attached to it. `onDone` is
 * called once the session is over (ended, or suspended for a next page).
 */
/**
 * Wraps a port's postMessage so that what is sent in one task travels as
 * one message, {op: 'batch', msgs}: a burst of sends from a tab, or of
 * events to it, costs one structured clone and one wake-up instead of
 * thousands. Order is kept; unpack with forEachMessage().
 */
export function batchedPost(post) {
  let pending = null;
  return (msg) => {
    if (!pending) {
      pending = [];
      queueMicrotask(() => {
        const msgs = pending;
        pending = null;
        post(msgs.length === 1 ? msgs[0] : { op: 'batch', msgs });
      });
    }
    pending.push(msg);
  };
}

/** Calls fn on each message a batchedPost() sent in `data`. */
export function forEachMessage(data, fn) {
  if (data?.op === 'batch' && Array.isArray(data.msgs)) for (const m of data.msgs) fn(m);
  else fn(data);
}

export class SessionHost {
  #client = null;
  #tabs = new Map(); // tab id -> { send, handlers: Map(hid -> client handler id), waiting }
  #presence = new Map(); // bare JID -> the contact's presence, as the last presence event left it
  #onDone;
  #done = false;
  #handedOver; // the state the last owner handed over (locks kind)

  constructor(onDone, handedOver = null) {
    this.#onDone = onDone;
    this.#handedOver = handedOver;
  }

  get tabCount() {
    return this.#tabs.size;
  }

  get client() {
    return this.#client;
  }

  /** Handles one message from tab `tab`; `send` reaches that tab. */
  receive(tab, msg, send) {
    if (this.#done) {
      if (msg.op === 'connect') send({ op: 'retry' }); // this session is over: the tab asks again
      return;
    }
    switch (msg.op) {
      case 'connect':
        this.#connect(tab, msg, send);
        break;
      case 'call':
        if (this.#tabs.has(tab)) this.#call(tab, msg);
        break;
      case 'handler': {
        const t = this.#tabs.get(tab);
        if (!t || !this.#client) break;
        t.handlers.set(msg.hid, this.#client.addHandler(msg.match, ({ xml }) => t.send({ op: 'stanza', hid: msg.hid, xml })));
        break;
      }
      case 'unhandler': {
        const t = this.#tabs.get(tab);
        const id = t?.handlers.get(msg.hid);
        if (id !== undefined) this.#client?.removeHandler(id);
        t?.handlers.delete(msg.hid);
        break;
      }
      case 'detach':
        this.detach(tab);
        break;
      default:
        break;
    }
  }

  #connect(tab, msg, send) {
    const known = this.#tabs.get(tab);
    const t = known ?? { send, handlers: new Map(), waiting: true };
    t.send = send;
    t.waiting = true;
    this.#tabs.set(tab, t);
    if (!this.#client) {
      // The first tab's options make the session; later tabs' options are
      // theirs only for what they do locally.
      const client = new Client({
        ...msg.options,
        password: msg.password ?? '',
        closeOnPageHide: false,
        [OWNER_HOOKS]: { saved: this.#handedOver ?? msg.saved ?? null },
      });
      this.#client = client;
      for (const name of EVENTS) client.on(name, (payload) => this.#relay(name, payload));
      client.connect().then(
        (info) => this.#answerConnects(info),
        (err) => {
          for (const w of this.#tabs.values()) {
            w.waiting = false;
            w.send({ op: 'connected', ok: false, error: encodeError(err) });
          }
          // A client that could not even start (a bad option) told no one
          // it ended: the tabs hear it here.
          if (!this.#done) this.#relay('offline', { reason: err.condition ?? 'bad-request', text: err.message });
        },
      );
    } else {
      // Attaching to a session already there: the tab hears what it would
      // have heard had it been there from the start, as a resumed page does.
      this.#replay(t);
      if (this.#client.status === 'online') {
        const info = { jid: this.#client.jid, attached: true };
        t.waiting = false;
        t.send({ op: 'event', name: 'online', payload: info });
        t.send({ op: 'connected', ok: true, info });
      }
    }
    this.#tellCounts();
  }

  #answerConnects(info) {
    for (const t of this.#tabs.values()) {
      if (!t.waiting) continue;
      t.waiting = false;
      t.send({ op: 'connected', ok: true, info });
    }
  }

  #replay(t) {
    const c = this.#client;
    t.send({ op: 'event', name: 'status', payload: { status: c.status } });
    if (c.status === 'offline' || c.status === 'connecting') return;
    const roster = c.roster;
    t.send({ op: 'event', name: 'roster', payload: { full: true, version: null, items: roster, restored: true } });
    for (const [, contact] of this.#presence) {
      for (const r of contact.resources ?? []) {
        const bare = contact.jid;
        t.send({
          op: 'event', name: 'presence',
          payload: {
            from: r.resource ? `${bare}/${r.resource}` : bare, type: 'available', show: r.show, status: r.status,
            priority: r.priority, contact: contact.value, restored: true,
          },
        });
      }
    }
    for (const room of c.rooms) {
      const me = room.occupants.find((o) => o.self);
      t.send({ op: 'event', name: 'roomJoined', payload: { room: room.jid, nick: room.nick, role: me?.role ?? room.role, affiliation: me?.affiliation ?? room.affiliation, restored: true } });
      for (const o of room.occupants) t.send({ op: 'event', name: 'occupant', payload: { room: room.jid, available: true, ...o } });
      if (room.subject !== undefined) t.send({ op: 'event', name: 'roomSubject', payload: { room: room.jid, subject: room.subject, by: null } });
    }
  }

  #relay(name, payload) {
    if (name === 'presence' && payload.contact && payload.from) {
      const bare = payload.from.includes('/') ? payload.from.slice(0, payload.from.indexOf('/')) : payload.from;
      const key = bare.toLowerCase();
      if (payload.contact.resources?.length) this.#presence.set(key, { jid: bare, value: payload.contact, resources: payload.contact.resources });
      else this.#presence.delete(key);
    }
    const msg = { op: 'event', name, payload: encodePayload(name, payload) };
    for (const t of this.#tabs.values()) t.send(msg);
    if (name === 'online') this.#answerConnects(payload);
    if (name === 'offline') this.#finish();
  }

  async #call(tab, { seq, method, args }) {
    let reply;
    try {
      if (!METHODS.has(method)) throw new TypeError(`${method} is not a client method`);
      const value = await this.#client[method](...args);
      reply = { op: 'result', seq, ok: true, value };
      if (method === 'sendMessage') this.#echoSent(tab, args[0], value);
      if (method === 'markDisplayed') this.#echoMarker(tab, args[0], args[1]);
    } catch (err) {
      // Failed because this owner stopped (its page went, the session
      // handed over): the tab asks the next owner again (owner-ready), so
      // a history() asked during a reload is answered, not failed.
      if (this.#done) return;
      reply = { op: 'result', seq, ok: false, error: encodeError(err) };
    }
    this.#tabs.get(tab)?.send(reply); // unless the tab went meanwhile
  }

  // What one tab sends, the others show as sent, as a carbon from another
  // device would be (a room echoes its messages to every tab by itself).
  #echoSent(fromTab, m, id) {
    if (!m || m.type === 'groupchat') return;
    const payload = {
      from: this.#client.jid, to: m.to, body: m.body, subject: m.subject, thread: m.thread, id,
      type: m.type ?? 'chat', outgoing: true, carbon: 'sent',
    };
    for (const [tab, t] of this.#tabs) if (tab !== fromTab) t.send({ op: 'event', name: 'message', payload });
  }

  // A message one tab marked read is read in all (unread counts agree), as
  // a marker sent from another device comes as a sent carbon.
  #echoMarker(fromTab, m, marker = 'displayed') {
    const { to, id } = markerTarget(m);
    const payload = { from: this.#client.jid, to, id, marker, room: m?.room, carbon: 'sent' };
    for (const [tab, t] of this.#tabs) if (tab !== fromTab) t.send({ op: 'event', name: 'marker', payload });
  }

  #tellCounts() {
    for (const t of this.#tabs.values()) t.send({ op: 'tabs', count: this.#tabs.size });
  }

  /** Tab `tab` has gone (closed, or told us). The last one ends the session. */
  detach(tab) {
    const t = this.#tabs.get(tab);
    if (!t) return;
    this.#tabs.delete(tab);
    for (const id of t.handlers.values()) this.#client?.removeHandler(id);
    if (this.#tabs.size > 0) {
      this.#tellCounts();
      return;
    }
    if (!this.#client || this.#done) return;
    // As a closing page does: unavailable presence and terminate in a
    // keepalive request, which outlives a SharedWorker that ends with its
    // last tab.
    this.#client[PAGE_HIDE]();
  }

  /** The owner's own page goes (the locks kind): do what a single client would. */
  pageHide() {
    this.#client?.[PAGE_HIDE]();
    this.#finish();
  }

  /** Stops here without ending the session and returns the state another owner carries on from. */
  handOver() {
    const state = this.#client?.[SAVE_STATE]() ?? null;
    this.#client?.[SUSPEND]();
    this.#finish();
    return state;
  }

  #finish() {
    if (this.#done) return;
    this.#done = true;
    this.#onDone?.();
  }
}
