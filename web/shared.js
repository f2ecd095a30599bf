// shared.js: one XMPP session for every tab of a site that uses the same
// service and account. A browser gives a host six HTTP/1.1 connections
// across all tabs of a profile and a BOSH session keeps one open at all
// times, so a session per tab freezes the site at its seventh tab. Here one
// owner holds the session (a Client, the core inside it) and the tabs
// attach to it: the owner is a SharedWorker where the browser has them
// (shared-worker.js), else the tab holding a Web Lock, the others talking to
// it over a BroadcastChannel; when that tab goes, the next in the lock's
// queue carries the session on from the state it hands over.
//
// SessionHost (owner.js) is the owner's side; SharedClient is a tab's, with the
// Client's API. They speak in plain messages (structured clone):
//   tab → owner: connect {options, password, saved}, call {seq, method,
//                args}, handler {hid, match}, unhandler {hid}, detach
//   owner → tab: hello (worker), event {name, payload}, result {seq, ok,
//                value | error}, connected {info}, tabs {count},
//                stanza {hid, xml}; locks kind, to all: owner-ready,
//                handover {state}

import { loadCore, viteDevAssetUrl } from './core.js';
import { Listeners, RosterTable, RoomTable, checkOptions, callSafely, bareJid } from './state.js';
import { XmppError, prepareJid, savedStateKey } from './client.js';
import { SessionHost, sessionKey, decodeError, batchedPost, forEachMessage } from './owner.js';

/** Which kind of sharing this page can do: 'worker', 'locks' or null (a session per tab). */
export function sharingKind(options) {
  if (options?.shareAcrossTabs === false || typeof document === 'undefined') return null;
  // A reload with resume carries the session in the page that reloads, and
  // a SharedWorker does not live through its only page's reload: with
  // resume, the tabs share through Web Locks, where the owner is a page
  // that saves the exact state when it goes.
  if (options?.resume) return hasLocks() ? 'locks' : null;
  if (typeof SharedWorker === 'function') return 'worker';
  return hasLocks() ? 'locks' : null;
}

function hasLocks() {
  return typeof BroadcastChannel === 'function' && typeof navigator !== 'undefined' && !!navigator.locks;
}


function randomId() {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_');
}

/**
 * The Client's API for a tab whose session is shared. Methods go to the
 * owner; events come from it; the roster, rooms and presence are mirrored
 * here from those events. Methods that return at once (sendMessage, …)
 * check their arguments here and report what only the owner can find
 * (an invalid JID, not-well-formed XML) as an 'error' event on this tab.
 */
export class SharedClient {
  #opts;
  #password;
  #kind;
  #key;
  #tab = randomId();
  #link = null;
  #listeners = new Listeners();
  #status = 'offline';
  #jid = null;
  #started = false;
  #over = false;
  #roster = new RosterTable();
  #rooms = new RoomTable();
  #presence = new Map(); // bare JID -> { best, resources }
  #calls = new Map(); // seq -> { resolve, reject, method, args }
  #seq = 0;
  #handlers = new Map(); // hid -> fn
  #nextHid = 0;
  #connectWaiter = null;
  #disconnectWaiters = [];
  #tabCount = 0;
  #saved = null;
  #onPageHide = null;

  constructor(options, kind) {
    const { rest, password } = checkOptions(options);
    const base = globalThis.location?.href;
    this.#opts = { ...rest, service: String(new URL(rest.service, base)), jid: prepareJid(rest.jid) };
    if (rest.wasm) this.#opts.wasm = String(new URL(String(rest.wasm), base));
    this.#password = password;
    this.#kind = kind;
    this.#key = sessionKey(this.#opts);
  }

  /** 'offline' | 'connecting' | 'online' | 'reconnecting' */
  get status() {
    return this.#status;
  }

  get jid() {
    return this.#jid;
  }

  /** How many tabs share this session (this one included), as the owner last said. */
  get sharedTabs() {
    return this.#tabCount;
  }

  on(event, fn) {
    this.#listeners.on(event, fn);
    return this;
  }

  off(event, fn) {
    this.#listeners.off(event, fn);
    return this;
  }

  #emit(event, payload) {
    this.#listeners.emit(event, payload);
  }

  async connect() {
    if (this.#started) throw new XmppError('bad-request', 'connect() was already called');
    this.#started = true;
    const done = new Promise((resolve, reject) => {
      this.#connectWaiter = { resolve, reject };
    });
    const onMessage = (msg) => this.#receive(msg);
    if (this.#kind === 'worker') {
      try {
        this.#link = await openWorkerLink(this.#tab, onMessage, () => this.#workerFailed());
      } catch {
        this.#kind = 'locks'; // no worker: refused (a CSP without worker-src), not loaded, or silent
      }
    }
    if (this.#kind === 'locks') this.#link = await openLocksLink(this.#key, this.#tab, onMessage, this.#opts.wasm);
    this.#saved = this.#takeSaved();
    this.#sendConnect();
    this.#watchPageHide();
    return done;
  }

  // The worker's script did not load (not served next to index.js, a
  // bundler that left it out, a CSP): share through Web Locks instead, and
  // ask again what the worker never answered.
  async #workerFailed() {
    if (this.#over || this.#kind !== 'worker') return;
    this.#kind = 'locks';
    this.#link = await openLocksLink(this.#key, this.#tab, (msg) => this.#receive(msg), this.#opts.wasm);
    this.#receive({ op: 'owner-ready' });
  }

  #sendConnect() {
    this.#link.send({ op: 'connect', options: this.#opts, password: this.#password, saved: this.#saved });
  }

  // --- the owner's messages ----------------------------------------------

  #receive(msg) {
    switch (msg.op) {
      case 'event':
        this.#event(msg.name, msg.name === 'error' || msg.name === 'roomError' ? decodeError(msg.payload.error) : msg.payload);
        break;
      case 'result': {
        const call = this.#calls.get(msg.seq);
        if (!call) break;
        this.#calls.delete(msg.seq);
        if (msg.ok) call.resolve(msg.value);
        else call.reject(decodeError(msg.error));
        break;
      }
      case 'connected':
        if (!this.#connectWaiter) break;
        // The password stays here only until a session holds it, but for
        // the locks kind: this tab may have to carry the session on, and
        // log in again later.
        if (msg.ok && this.#kind === 'worker') this.#password = null;
        if (msg.ok) this.#connectWaiter.resolve(msg.info);
        else this.#ended(msg.error.condition ?? 'internal-error', msg.error.text ?? msg.error.message, decodeError(msg.error));
        this.#connectWaiter = null;
        break;
      case 'tabs':
        this.#tabCount = msg.count;
        break;
      case 'stanza': {
        const fn = this.#handlers.get(msg.hid);
        if (fn) callSafely(fn, { xml: msg.xml });
        break;
      }
      case 'owner-ready':
        // A new owner (locks kind) carries the session on: attach again,
        // and ask again what the old one never answered.
        if (this.#over || !this.#link) break; // not linked yet: its connect is still to come
        this.#sendConnect();
        for (const h of this.#handlersByHid()) this.#link.send({ op: 'handler', hid: h.hid, match: h.match });
        for (const [seq, call] of this.#calls) this.#link.send({ op: 'call', seq, method: call.method, args: call.args });
        break;
      case 'retry':
        if (!this.#over) setTimeout(() => this.#sendConnect(), 50);
        break;
      default:
        break;
    }
  }

  #handlerMatches = new Map(); // hid -> match

  *#handlersByHid() {
    for (const [hid, match] of this.#handlerMatches) yield { hid, match };
  }

  #event(name, payload) {
    switch (name) {
      case 'status':
        if (payload.status === 'offline') return; // told with 'offline'
        if (payload.status === this.#status && this.#status !== 'reconnecting') return;
        this.#status = payload.status;
        break;
      case 'online':
        this.#jid = payload.jid;
        this.#status = 'online';
        break;
      case 'offline':
        this.#ended(payload.reason, payload.text);
        return;
      case 'roster':
        this.#roster.apply(payload);
        if (payload.restored) {
          const { restored, ...rest } = payload;
          payload = rest;
        }
        break;
      case 'presence':
        if (payload.contact) {
          const bare = bareJid(payload.from);
          if (payload.contact.resources?.length) this.#presence.set(bare, payload.contact);
          else this.#presence.delete(bare);
        }
        break;
      case 'roomJoined':
        this.#rooms.joined(payload);
        break;
      case 'roomLeft':
        this.#rooms.left(payload.room);
        break;
      case 'roomSubject':
        this.#rooms.subject(payload.room, payload.subject);
        break;
      case 'occupant': {
        const { room, available, ...o } = payload;
        this.#rooms.occupant(room, available, o);
        break;
      }
      default:
        break;
    }
    this.#emit(name, payload);
  }

  #ended(reason, text, err = new XmppError(reason, text)) {
    if (this.#over) return;
    this.#over = true;
    this.#status = 'offline';
    this.#detachPageHide();
    this.#link?.close();
    this.#emit('status', { status: 'offline' });
    this.#emit('offline', { reason, text });
    this.#connectWaiter?.reject(err);
    this.#connectWaiter = null;
    for (const c of this.#calls.values()) c.reject(new XmppError('disconnected', 'the session ended'));
    this.#calls.clear();
    for (const w of this.#disconnectWaiters) w();
    this.#disconnectWaiters = [];
  }

  // --- asking the owner ---------------------------------------------------

  #ready(what) {
    if (!this.#link || this.#over) throw new XmppError('not-connected', `${what}: call connect() first`);
  }

  #ask(method, ...args) {
    this.#ready(method);
    const seq = ++this.#seq;
    return new Promise((resolve, reject) => {
      this.#calls.set(seq, { resolve, reject, method, args });
      this.#link.send({ op: 'call', seq, method, args });
    });
  }

  // For methods that answer at once: what only the owner can refuse
  // comes back as an 'error' event.
  #tell(method, ...args) {
    this.#ask(method, ...args).catch((err) => {
      if (err?.condition === 'disconnected') return;
      this.#emit('error', err instanceof XmppError ? Object.assign(err, { method }) : new XmppError('bad-request', `${method}: ${err.message}`, { method }));
    });
  }

  static #strings(what, values) {
    for (const [n, v] of Object.entries(values)) {
      if (v !== undefined && v !== null && typeof v !== 'string') throw new TypeError(`${what}: ${n} must be a string`);
      if (typeof v === 'string' && v.includes('\0')) throw new TypeError(`${what}: ${n} contains NUL, which XML cannot carry`);
    }
  }

  addHandler(match, fn) {
    if (typeof fn !== 'function') throw new TypeError('addHandler: fn must be a function');
    const m = { name: match?.name, ns: match?.ns, child: match?.child, childNs: match?.childNs };
    SharedClient.#strings('addHandler', m);
    const hid = ++this.#nextHid;
    this.#handlers.set(hid, fn);
    this.#handlerMatches.set(hid, m);
    this.#link?.send({ op: 'handler', hid, match: m });
    return hid;
  }

  removeHandler(hid) {
    if (!this.#handlers.delete(hid)) return false;
    this.#handlerMatches.delete(hid);
    this.#link?.send({ op: 'unhandler', hid });
    return true;
  }

  sendRaw(xml) {
    SharedClient.#strings('sendRaw', { xml });
    this.#ready('sendRaw');
    this.#tell('sendRaw', xml);
  }

  sendMessage({ to, body, subject, thread, type = 'chat', id } = {}) {
    SharedClient.#strings('sendMessage', { to, body, subject, thread, type, id });
    this.#ready('sendMessage');
    const msgId = id ?? randomId();
    this.#tell('sendMessage', { to, body, subject, thread, type, id: msgId });
    return msgId;
  }

  sendPresence({ show, status, type, to } = {}) {
    SharedClient.#strings('sendPresence', { show, status, type, to });
    this.#ready('sendPresence');
    this.#tell('sendPresence', { show, status, type, to });
  }

  ping(options = {}) {
    return this.#ask('ping', options);
  }

  get roster() {
    return this.#roster.list();
  }

  addContact(jid, { name, groups = [] } = {}) {
    if (!Array.isArray(groups) || groups.some((g) => typeof g !== 'string' || g.includes('\n'))) {
      throw new TypeError('addContact: groups must be strings without line breaks');
    }
    return this.#ask('addContact', jid, { name, groups });
  }

  removeContact(jid) {
    return this.#ask('removeContact', jid);
  }

  subscribe(jid) {
    this.sendPresence({ to: jid, type: 'subscribe' });
  }

  approve(jid) {
    this.sendPresence({ to: jid, type: 'subscribed' });
  }

  deny(jid) {
    this.sendPresence({ to: jid, type: 'unsubscribed' });
  }

  unsubscribe(jid) {
    this.sendPresence({ to: jid, type: 'unsubscribe' });
  }

  setPresence({ show, status, priority = 0 } = {}) {
    if (!Number.isInteger(priority)) throw new TypeError('setPresence: priority must be an integer');
    SharedClient.#strings('setPresence', { show, status });
    this.#ready('setPresence');
    this.#tell('setPresence', { show, status, priority });
  }

  presenceOf(jid) {
    const p = this.#presence.get(bareJid(jid));
    return p ? structuredClone(p) : { resources: [] };
  }

  sendChatState(to, state, { type = 'chat' } = {}) {
    SharedClient.#strings('sendChatState', { to, state, type });
    this.#ready('sendChatState');
    this.#tell('sendChatState', to, state, { type });
  }

  markDisplayed(message, marker = 'displayed') {
    const m = { room: message?.room, from: message?.from, id: message?.id, stanzaId: message?.stanzaId };
    SharedClient.#strings('markDisplayed', { ...m, marker });
    this.#ready('markDisplayed');
    this.#tell('markDisplayed', m, marker);
  }

  history(jid, { before, max = 50 } = {}) {
    if (!Number.isInteger(max) || max < 1 || max > 1000) throw new TypeError('history: max must be 1..1000');
    return this.#ask('history', jid, { before, max });
  }

  get rooms() {
    return this.#rooms.list();
  }

  join(room, { nick, password, history = -1 } = {}) {
    if (!Number.isInteger(history)) throw new TypeError('join: history must be an integer');
    SharedClient.#strings('join', { room, nick, password });
    const inRoom = this.#rooms.get(room);
    if (inRoom?.nick && inRoom.nick !== nick) throw new XmppError('bad-request', `join: already in ${room} as ${inRoom.nick}`);
    return this.#ask('join', room, { nick, password, history });
  }

  leave(room) {
    SharedClient.#strings('leave', { room });
    this.#ready('leave');
    this.#tell('leave', room);
  }

  discoInfo(jid, options = {}) {
    return this.#ask('discoInfo', jid, options);
  }

  block(jids) {
    return this.#ask('block', jids);
  }

  unblock(jids = []) {
    return this.#ask('unblock', jids);
  }

  blocklist() {
    return this.#ask('blocklist');
  }

  /** Ends the session for every tab that shares it (sign-out). A tab that only closes detaches. */
  disconnect() {
    if (!this.#started || this.#over) return Promise.resolve();
    const done = new Promise((resolve) => this.#disconnectWaiters.push(resolve));
    this.#ask('disconnect').catch(() => {});
    return done;
  }

  // --- the page going -----------------------------------------------------

  #takeSaved() {
    if (!this.#opts.resume) return null;
    try {
      const storage = globalThis.sessionStorage;
      const key = savedStateKey(this.#opts.service, this.#opts.jid);
      const saved = storage.getItem(key);
      if (saved !== null) storage.removeItem(key);
      return saved;
    } catch {
      return null;
    }
  }

  #watchPageHide() {
    if (typeof globalThis.addEventListener !== 'function') return;
    this.#onPageHide = () => {
      if (this.#over) return;
      // The owner's own tab (locks kind) hands the session to the next tab,
      // or, the last, does what a single client does when its page goes.
      if (this.#link.pageHide?.()) return;
      this.#link.send({ op: 'detach' });
    };
    globalThis.addEventListener('pagehide', this.#onPageHide);
  }

  #detachPageHide() {
    if (this.#onPageHide) globalThis.removeEventListener('pagehide', this.#onPageHide);
    this.#onPageHide = null;
  }
}

// --- links: how a tab reaches the owner ----------------------------------

// How long a tab that takes the session over waits for the old owner's
// state before it logs in afresh (the old owner crashed).
const HANDOVER_WAIT_MS = 1000;

// How long a tab waits for the shared worker's hello before it shares
// through Web Locks instead (the worker answers as soon as its script ran).
const WORKER_HELLO_MS = 5000;

// A Web Lock this tab holds for as long as it lives: whoever asks for the
// same lock gets it when the tab is gone (closed, crashed or navigated),
// which is how an owner learns that a tab went without saying so.
const tabLocks = new Map(); // tab id -> promise that it is held (asked once: a second ask would wait forever)

function holdTabLock(tab) {
  if (typeof navigator === 'undefined' || !navigator.locks) return Promise.resolve();
  if (!tabLocks.has(tab)) {
    tabLocks.set(tab, new Promise((held) => {
      navigator.locks.request(`xmpp-wasm:tab:${tab}`, () => {
        held();
        return new Promise(() => {});
      });
    }));
  }
  return tabLocks.get(tab);
}

async function openWorkerLink(tab, onMessage, onFail) {
  await holdTabLock(tab);
  // Under Vite's dev server this module is pre-bundled where the worker's
  // script is not: the package's own copy is loaded (core.js, viteDevAssetUrl).
  const viteDev = viteDevAssetUrl('shared-worker.js');
  const worker = viteDev
    ? new SharedWorker(viteDev, { type: 'module', name: 'xmpp-wasm' })
    // This exact form lets bundlers (Vite, webpack) find and ship the worker.
    : new SharedWorker(new URL('./shared-worker.js', import.meta.url), { type: 'module', name: 'xmpp-wasm' });
  const port = worker.port;
  // Nothing is sent before the worker says hello: a script that fails to
  // load fires 'error' on the first tab, but a tab that connects to that
  // failed worker a moment later may hear nothing at all.
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the shared worker did not answer')), WORKER_HELLO_MS);
    worker.onerror = () => {
      clearTimeout(timer);
      reject(new Error('the shared worker did not load'));
    };
    port.onmessage = (e) => {
      if (e.data?.op !== 'hello') return;
      clearTimeout(timer);
      resolve();
    };
    port.start();
  });
  worker.onerror = () => onFail();
  port.onmessage = (e) => forEachMessage(e.data, onMessage);
  const post = batchedPost((msg) => port.postMessage({ ...msg, tab }));
  return {
    send: post,
    close: () => {},
  };
}

// Without SharedWorker: the tab holding the owner lock runs a SessionHost;
// every tab (the owner too) talks to it through the BroadcastChannel, or
// directly for the owner's own messages.
async function openLocksLink(key, tab, onMessage, wasm) {
  // Every tab has the core ready, so taking the session over is done in
  // the task that gets the lock: a tab may be closed a moment later.
  await loadCore(wasm);
  const channel = new BroadcastChannel(`xmpp-wasm:${key}`);
  let host = null; // ours, while this tab owns the session
  let releaseOwnership = null;
  let handover = null; // the state the last owner handed over
  let handoverCame = null; // resolves when it comes
  let hadOwner = false; // an owner has answered us: a new one waits for its handover
  let gone = false;
  const watched = new Set(); // tabs whose going this owner watches
  const toOwner = (msg) => {
    if (host) host.receive(tab, msg, (m) => onMessage(m));
    else channel.postMessage({ to: 'owner', from: tab, msg });
  };
  channel.onmessage = (e) => {
    const { to, from, msg } = e.data;
    if (to === 'owner') {
      if (!host) return;
      // A message posted while a page goes may never arrive: the tab's
      // lock, granted here once the tab is gone, tells it for sure.
      if (msg.op === 'connect' && !watched.has(from)) {
        watched.add(from);
        navigator.locks.request(`xmpp-wasm:tab:${from}`, () => host?.detach(from)).catch(() => {});
      }
      host.receive(from, msg, (m) => channel.postMessage({ to: from, msg: m }));
    } else if (to === '*') {
      if (msg.op === 'handover') {
        handover = msg.state;
        handoverCame?.();
        return;
      }
      onMessage(msg);
    } else if (to === tab) {
      hadOwner = true;
      onMessage(msg);
    }
  };
  const becomeOwner = async () => {
    // The lock and the channel are two paths: the old owner's handover
    // may come a moment after the lock does.
    if (hadOwner && handover === null) {
      await new Promise((resolve) => {
        handoverCame = resolve;
        setTimeout(resolve, HANDOVER_WAIT_MS);
      });
    }
    if (gone) return;
    // After a session ends (sign-out), this tab stays the owner for the
    // next one.
    const fresh = (state) => {
      const h = new SessionHost(() => {
        if (!gone && host === h) host = fresh(null);
      }, state);
      return h;
    };
    host = fresh(handover);
    handover = null;
    // Tabs that were attached to the last owner attach again (and ask
    // again what it did not answer); this tab's own connect comes too.
    channel.postMessage({ to: '*', msg: { op: 'owner-ready' } });
    // Reported if it throws, but the lock stays held: this tab is the owner.
    callSafely(onMessage, { op: 'owner-ready' });
    await new Promise((release) => {
      releaseOwnership = release;
    });
  };
  navigator.locks.request(`xmpp-wasm:owner:${key}`, () => (gone ? undefined : becomeOwner())).catch(() => {});
  await holdTabLock(tab);
  return {
    send: (msg) => toOwner(msg),
    close: () => {},
    // True when this tab owned the session and has dealt with it.
    pageHide: () => {
      gone = true;
      if (!host) return false;
      if (host.tabCount > 1) {
        // Others stay: the next tab in the lock's queue carries on from here.
        const state = host.handOver();
        channel.postMessage({ to: '*', msg: { op: 'handover', state } });
      } else {
        host.pageHide();
      }
      host = null;
      releaseOwnership?.();
      channel.close();
      return true;
    },
  };
}
