// client.js: the public client API. It owns every fetch, timer, clock read,
// storage call and page event; the core (C, via core.js) owns every
// decision: what to send and when, when to log in again, what to resend,
// what was already delivered. The loop: ask the core for requests and post
// them, hand back each answer, deliver the core's events, and sleep until
// the core's next deadline. A new long-poll is sent from the completion of
// the previous request, never from a timer, so throttled background tabs
// keep their session.

import { loadCore } from './core.js';
import { Listeners, RosterTable, RoomTable, checkOptions, callSafely, markerTarget } from './state.js';

// The core's clock: ms since the epoch that never goes back (performance
// is monotonic; its origin is wall-clock time, for XEP-0082 stamps).
const now = () => performance.timeOrigin + performance.now();

/** An error whose `condition` says why, e.g. 'not-authorized'. */
export class XmppError extends Error {
  constructor(condition, text, details) {
    super(text ? `${condition}: ${text}` : condition);
    this.name = 'XmppError';
    this.condition = condition;
    this.text = text || '';
    if (details) Object.assign(this, details);
  }
}

// JS option names and the core's (see xw.h for what each does).
const OPTION_NAMES = {
  resource: 'resource',
  allowPlain: 'allow_plain',
  wait: 'wait',
  hold: 'hold',
  initialPresence: 'initial_presence',
  maxRetries: 'max_retries',
  backoffBaseMs: 'backoff_base_ms',
  backoffMaxMs: 'backoff_max_ms',
  timeoutMarginMs: 'timeout_margin_ms',
  requestGapMs: 'request_gap_ms',
  iqTimeoutMs: 'iq_timeout_ms',
  maxStanzaBytes: 'max_stanza_bytes',
  maxBodyBytes: 'max_body_bytes',
  maxDepth: 'max_depth',
  maxAttributes: 'max_attrs',
  maxAttributeLength: 'max_attr_len',
  maxPendingIqs: 'max_pending_iqs',
  maxQueuedBytes: 'max_queued_bytes',
  maxOutbox: 'max_outbox',
  resendUnconfirmed: 'resend_unconfirmed',
  reconnect: 'reconnect',
  reconnectDelayMs: 'reconnect_delay_ms',
  reconnectMaxDelayMs: 'reconnect_max_delay_ms',
  maxReconnectAttempts: 'max_reconnect_attempts',
  catchUp: 'catch_up',
  catchUpMax: 'catch_up_max',
  catchUpPageSize: 'catch_up_page',
  streamManagement: 'stream_management',
  maxScramIterations: 'max_scram_iterations',
  resendWindowMs: 'resend_window_ms',
  receipts: 'receipts',
  markers: 'markers',
  carbons: 'carbons',
  roster: 'roster',
};

// history(): archive pages asked for at most to fill one page of messages.
const HISTORY_FILL_ROUNDS = 5;

// The core names a limit by its option; the app knows the JS name.
const JS_OPTION_NAME = Object.fromEntries(Object.entries(OPTION_NAMES).map(([js, c]) => [c, js]));

function optionValue(v) {
  if (typeof v === 'boolean') return v ? '1' : '0';
  return String(v);
}

// RFC 8265 §3.3 UsernameCaseMapped for the JID's localpart: fullwidth and
// halfwidth forms to their plain ones, lower case, NFC. (The core has no
// Unicode tables; the JS engine does.)
export function prepareJid(jid) {
  const s = String(jid);
  const at = s.indexOf('@');
  const slash = s.indexOf('/');
  if (at < 0 || (slash >= 0 && slash < at)) return s;
  const local = s.slice(0, at).replace(/[\uFF01-\uFFEF]/g, (ch) => ch.normalize('NFKC')).toLowerCase().normalize('NFC');
  return local + s.slice(at);
}

/** Where a tab keeps a session's saved state for its next page (sessionStorage). */
export function savedStateKey(service, jid) {
  return `xmpp-wasm:session:${service}:${jid.toLowerCase()}`;
}

// For the owner of a session shared by tabs (shared.js), not for apps:
// options[OWNER_HOOKS] = { saved } hands the client a saved state to carry
// on from (a session another tab handed over); client[SAVE_STATE]() is the
// state another owner can carry on from; client[SUSPEND]() stops it
// without ending the session (that owner is on its way); client[PAGE_HIDE]() does what a client does
// when its page goes (closeOnPageHide), for an owner that decides when.
export const OWNER_HOOKS = Symbol('xmpp-wasm owner hooks');
export const SAVE_STATE = Symbol('xmpp-wasm save state');
export const SUSPEND = Symbol('xmpp-wasm suspend');
export const PAGE_HIDE = Symbol('xmpp-wasm page hide');

export class Client {
  #opts;
  #password; // until connect() hands it to the core
  #core = null;
  #c = 0; // the core's xw_client pointer
  #listeners = new Listeners();
  #pumping = false;
  #again = false;
  #pumpQueued = false;
  #timer = null;
  #timerAt = -1;
  #soonPort = null; // wakes the loop at once without a throttled timer
  #inflight = new Map(); // rid -> AbortController
  #iqs = new Map(); // token -> { resolve, reject, started }
  #connectWaiter = null;
  #disconnectWaiter = null;
  #status = 'offline';
  #jid = null;
  #unloading = false;
  #onPageHide = null;
  #started = false;
  #suspended = false; // saved for the next page on pagehide; nothing runs
  #appHandlers = new Map(); // our id -> { match, fn, coreId }
  #nextHandlerId = 0;
  #roster = new RosterTable();
  #rooms = new RoomTable();
  #joins = new Map(); // room JID -> { resolve, reject } of join()
  #hooks = null; // OWNER_HOOKS, when a shared session's owner runs this client

  constructor(options) {
    const { rest: { [OWNER_HOOKS]: hooks, ...rest }, password } = checkOptions(options);
    this.#hooks = hooks ?? null;
    this.#opts = { ...rest, jid: prepareJid(rest.jid), service: String(new URL(rest.service, globalThis.location?.href)) };
    // RFC 8265 §4.2 OpaqueString: NFC here; the core maps spaces and
    // refuses control characters.
    this.#password = password.normalize('NFC');
  }

  /** 'offline' | 'connecting' | 'online' | 'reconnecting' */
  get status() {
    return this.#status;
  }

  /** The full JID bound by the server, once online. */
  get jid() {
    return this.#jid;
  }

  on(event, fn) {
    this.#listeners.on(event, fn);
    return this;
  }

  off(event, fn) {
    this.#listeners.off(event, fn);
    return this;
  }

  // A throwing listener must not break the session loop: reported later.
  #emit(event, payload) {
    this.#listeners.emit(event, payload);
  }

  /** Opens the session; resolves with { jid, mechanism } once online. */
  async connect() {
    if (this.#started) throw new XmppError('bad-request', 'connect() was already called');
    this.#started = true;
    this.#core = await loadCore(this.#opts.wasm);
    const done = new Promise((resolve, reject) => {
      this.#connectWaiter = { resolve, reject };
    });
    this.#openCore(this.#hooks?.saved ?? this.#takeSaved());
    this.#watchPageHide();
    return done;
  }

  // --- surviving reloads (resume: true) ---------------------------------
  // On pagehide the core's state (the BOSH session if online, where the
  // next catch-up starts, the queued messages; never the password) goes to
  // sessionStorage, which lives as long as the tab. The next page's core
  // carries on from it (see xw_client_resume).

  #storageKey() {
    return savedStateKey(this.#opts.service, this.#opts.jid);
  }

  static #storage() {
    try {
      return globalThis.sessionStorage ?? null;
    } catch {
      return null; // storage disabled (e.g. sandboxed iframe): no resume
    }
  }

  // Takes (and removes, so a duplicated tab cannot take it too) the saved state.
  #takeSaved() {
    if (!this.#opts.resume) return null;
    const storage = Client.#storage();
    if (!storage) return null;
    const key = this.#storageKey();
    const saved = storage.getItem(key);
    if (saved !== null) storage.removeItem(key);
    return saved;
  }

  #saveForNextPage() {
    const storage = Client.#storage();
    if (!storage || !this.#c) return false;
    const saved = this[SAVE_STATE]();
    if (!saved) return false;
    try {
      storage.setItem(this.#storageKey(), saved);
      return true;
    } catch {
      return false; // quota: the next page logs in again
    }
  }

  // The core's client: made once per connect() (and again after a page
  // comes back from the back/forward cache).
  #openCore(saved) {
    const core = this.#core;
    const { x } = core;
    const c = x.xw_client_new();
    if (!c) throw new XmppError('internal-error', 'out of memory');
    const set = (name, value, secret = false) => {
      const rc = secret
        ? core.withSecret(value, (v) => core.withStrings([name], (n) => x.xw_client_set_option(c, n, v)))
        : core.withStrings([name, value], (n, v) => x.xw_client_set_option(c, n, v));
      if (rc !== 0) {
        x.xw_client_free(c);
        throw new TypeError(`xmpp-wasm: bad option ${name}=${secret ? '…' : value} (${core.strerror(rc)})`);
      }
    };
    for (const h of this.#appHandlers.values()) h.coreId = this.#registerHandler(c, h.match);
    set('jid', this.#opts.jid);
    // An empty password: this page can only carry on a saved session (or,
    // shared, one another tab holds); a login fails with not-authorized.
    if (this.#password) set('password', this.#password, true);
    set('secure', new URL(this.#opts.service).protocol === 'https:' ? '1' : '0');
    for (const [js, cName] of Object.entries(OPTION_NAMES)) {
      if (this.#opts[js] !== undefined) set(cName, optionValue(this.#opts[js]));
    }
    // The core has it now (and wipes it once SCRAM's key can log in
    // again): no copy stays in this object.
    this.#password = null;
    let rc = -1;
    if (saved) {
      const bytes = new TextEncoder().encode(saved);
      rc = core.withBytes(bytes, (ptr, len) => x.xw_client_resume(c, ptr, len, now()));
      // Another account's or a damaged saved state: log in instead.
    }
    if (rc !== 0) rc = x.xw_client_connect(c, now());
    if (rc !== 0) {
      x.xw_client_free(c);
      throw new XmppError('bad-request', core.strerror(rc));
    }
    this.#c = c;
    this.#pump();
  }

  #registerHandler(c, { name, ns, child, childNs }) {
    const core = this.#core;
    const id = core.withStrings([name, ns, child, childNs], (...p) => core.x.xw_client_add_handler(c, ...p));
    if (id <= 0) throw new XmppError('internal-error', 'out of memory');
    return id;
  }

  /** Calls fn({ xml }) for every stanza that matches { name, ns, child, childNs } (an element's name and
   * namespace, a child's name and namespace; each optional), besides what the core does with it. An IQ
   * get/set the core does not handle and a handler matches is left to the app to answer (sendRaw).
   * Returns an id for removeHandler(). */
  addHandler(match, fn) {
    if (typeof fn !== 'function') throw new TypeError('addHandler: fn must be a function');
    const m = { name: match?.name, ns: match?.ns, child: match?.child, childNs: match?.childNs };
    for (const [k, v] of Object.entries(m)) {
      if (v !== undefined && (typeof v !== 'string' || v.includes('\0'))) throw new TypeError(`addHandler: ${k} must be a string`);
    }
    const id = ++this.#nextHandlerId;
    const h = { match: m, fn, coreId: this.#c ? this.#registerHandler(this.#c, m) : 0 };
    this.#appHandlers.set(id, h);
    return id;
  }

  removeHandler(id) {
    const h = this.#appHandlers.get(id);
    if (!h) return false;
    this.#appHandlers.delete(id);
    if (this.#c && h.coreId) this.#core.x.xw_client_remove_handler(this.#c, h.coreId);
    return true;
  }

  /** Sends one element given as XML (unprefixed elements are in jabber:client). Throws
   * XmppError('not-well-formed') unless it is exactly one well-formed element. */
  sendRaw(xml) {
    const rc = this.#call(['xml'], { xml }, (x, c, p) => x.xw_client_send_raw(c, p.xml, this.#core.byteLength(xml)));
    if (rc === -4) throw new XmppError('not-well-formed', 'sendRaw: not exactly one well-formed element');
    this.#check(rc, 'sendRaw');
  }

  /** Sends a message (type chat, normal, groupchat or headline) with a body, a subject (to a room: its
   * new subject) or both, and an optional thread; returns its id. */
  sendMessage({ to, body, subject, thread, type = 'chat', id } = {}) {
    const rc = this.#call(['to', 'type', 'body', 'subject', 'thread', 'id'], { to, type, body, subject, thread, id }, (x, c, p) =>
      x.xw_client_send_message(c, p.to, p.type, p.body, p.subject, p.thread, p.id));
    this.#check(rc, 'sendMessage');
    return this.#core.readString(this.#core.x.xw_client_message_id(this.#c));
  }

  /** Sends presence: { show, status, type, to } all optional. */
  sendPresence({ show, status, type, to } = {}) {
    const rc = this.#call(['type', 'show', 'status', 'to'], { type, show, status, to }, (x, c, p) =>
      x.xw_client_send_presence(c, p.type, p.show, p.status, p.to));
    this.#check(rc, 'sendPresence');
  }

  /** XEP-0199 ping; resolves with the round trip in ms. */
  ping({ to, timeoutMs = 0 } = {}) {
    const started = now();
    return this.#request('ping', ['to'], { to }, (x, c, p) => x.xw_client_ping(c, p.to, timeoutMs, started), started);
  }

  // A request to the core that answers later, by token: a promise.
  #request(what, names, values, fn, started = now()) {
    const token = this.#call(names, values, fn);
    this.#check(token, what);
    return new Promise((resolve, reject) => {
      this.#iqs.set(token, { resolve, reject, started, what, messages: [] });
    });
  }

  // --- roster (RFC 6121) ----------------------------------------------------

  /** The contacts, as the server last said: [{ jid, name, subscription, ask, groups }]. */
  get roster() {
    return this.#roster.list();
  }

  /** Adds or changes a contact (RFC 6121 §2.3); resolves once the server took it. */
  addContact(jid, { name, groups = [] } = {}) {
    if (!Array.isArray(groups) || groups.some((g) => typeof g !== 'string' || g.includes('\n'))) {
      throw new TypeError('addContact: groups must be strings without line breaks');
    }
    return this.#request('addContact', ['jid', 'name', 'groups'], { jid, name, groups: groups.join('\n') || undefined },
      (x, c, p) => x.xw_client_roster_set(c, p.jid, p.name, p.groups)).then(() => undefined);
  }

  /** Removes a contact, and the subscriptions both ways (RFC 6121 §2.5). */
  removeContact(jid) {
    return this.#request('removeContact', ['jid'], { jid }, (x, c, p) => x.xw_client_roster_remove(c, p.jid)).then(() => undefined);
  }

  /** Asks to see jid's presence (RFC 6121 §3.1). */
  subscribe(jid) {
    this.sendPresence({ to: jid, type: 'subscribe' });
  }

  /** Lets jid see our presence, answering its request (RFC 6121 §3.1.4). */
  approve(jid) {
    this.sendPresence({ to: jid, type: 'subscribed' });
  }

  /** Refuses jid's request, or takes back its subscription (RFC 6121 §3.2). */
  deny(jid) {
    this.sendPresence({ to: jid, type: 'unsubscribed' });
  }

  /** Stops seeing jid's presence (RFC 6121 §3.3). */
  unsubscribe(jid) {
    this.sendPresence({ to: jid, type: 'unsubscribe' });
  }

  // --- presence -------------------------------------------------------------

  /** Our presence (show: away, chat, dnd, xa or none; priority -128..127), now and at every login. */
  setPresence({ show, status, priority = 0 } = {}) {
    if (!Number.isInteger(priority)) throw new TypeError('setPresence: priority must be an integer');
    const rc = this.#call(['show', 'status'], { show, status }, (x, c, p) => x.xw_client_set_presence(c, p.show, p.status, priority));
    this.#check(rc, 'setPresence');
  }

  /** A contact's presence: { best, resources } (best absent when offline). */
  presenceOf(jid) {
    if (!this.#c) return { resources: [] };
    const ptr = this.#core.withStrings([jid], (j) => this.#core.x.xw_client_presence_of(this.#c, j));
    if (!ptr) throw new TypeError('presenceOf: not a JID');
    return JSON.parse(this.#core.readString(ptr));
  }

  // --- chat states, receipts and markers -----------------------------------

  /** XEP-0085: tells `to` we are composing, paused, active, inactive or gone. */
  sendChatState(to, state, { type = 'chat' } = {}) {
    const rc = this.#call(['to', 'state', 'type'], { to, state, type }, (x, c, p) => x.xw_client_send_chat_state(c, p.to, p.state, p.type));
    this.#check(rc, 'sendChatState');
  }

  /** XEP-0333: tells the sender of `message` (or { from, id }) that it was displayed. */
  markDisplayed(message, marker = 'displayed') {
    const { to, id, type } = markerTarget(message);
    const rc = this.#call(['to', 'id', 'marker', 'type'], { to, id, marker, type },
      (x, c, p) => x.xw_client_send_marker(c, p.to, p.id, p.marker, p.type));
    this.#check(rc, 'markDisplayed');
  }

  // --- history (XEP-0313) ---------------------------------------------------

  /** A page of the conversation with `jid` (a room we are in: the room's archive), newest first:
   * without `before` the latest page, then pass the page's `first` as `before` for the one before.
   * Resolves with { messages (oldest first, at most max), complete (no older page), first, last }.
   * Archive entries that are not messages to show (receipts, markers, states) do not count: the
   * archive is asked again, a few times at most, to fill the page. */
  history(jid, { before, max = 50 } = {}) {
    // Bad arguments throw here, as everywhere else, not in the promise.
    if (!Number.isInteger(max) || max < 1 || max > 1000) throw new TypeError('history: max must be 1..1000');
    return this.#historyPages(jid, before, max);
  }

  async #historyPages(jid, before, max) {
    const messages = [];
    let cursor = before;
    let page;
    let first = null;
    let last = null;
    for (let round = 0; round < HISTORY_FILL_ROUNDS; round++) {
      page = await this.#request('history', ['jid', 'before'], { jid, before: cursor },
        (x, c, p) => x.xw_client_history(c, p.jid, p.before, max - messages.length));
      messages.unshift(...page.messages);
      last ??= page.last;
      first = page.first ?? first;
      if (page.complete || !page.first || messages.length >= max) break;
      cursor = page.first;
    }
    return { messages, complete: page.complete, first, last };
  }

  // --- group chat (XEP-0045) ------------------------------------------------

  /** The rooms we are in: [{ jid, nick, role, affiliation, subject, occupants: [...] }]. */
  get rooms() {
    return this.#rooms.list();
  }

  /** Joins a room (a bare JID) as nick; resolves with { room, nick, role, affiliation }, rejects with an
   * XmppError: conflict (nickname taken), registration-required (members only), not-authorized (wrong
   * password), forbidden (banned), … Rooms are joined again after a reconnection. */
  join(room, { nick, password, history = -1 } = {}) {
    if (!Number.isInteger(history)) throw new TypeError('join: history must be an integer');
    const inRoom = this.#rooms.get(room);
    if (inRoom?.nick && inRoom.nick !== nick) throw new XmppError('bad-request', `join: already in ${room} as ${inRoom.nick}`);
    // A second join() of a room still joining waits for the same answer.
    const key = room.toLowerCase();
    const waiting = this.#joins.get(key);
    if (waiting) return waiting.promise;
    const rc = this.#call(['room', 'nick', 'password'], { room, nick, password },
      (x, c, p) => x.xw_client_join(c, p.room, p.nick, p.password, history));
    this.#check(rc, 'join');
    // A room that never answers (its service gone, the presence lost with
    // a server) must not leave the promise pending for ever: after the IQ
    // timeout it rejects, and the half-made join is left.
    const entry = {};
    entry.promise = new Promise((resolve, reject) => {
      const ms = this.#opts.iqTimeoutMs ?? 30000;
      const timer = setTimeout(() => {
        if (this.#joins.get(key) !== entry) return;
        this.#joins.delete(key);
        reject(new XmppError('remote-server-timeout', `join: no answer from ${room} within ${ms} ms`, { room }));
        try {
          this.leave(room);
        } catch {
          // not online any more: nothing to leave
        }
      }, ms);
      entry.resolve = (v) => { clearTimeout(timer); resolve(v); };
      entry.reject = (e) => { clearTimeout(timer); reject(e); };
    });
    this.#joins.set(key, entry);
    return entry.promise;
  }

  /** Leaves a room. */
  leave(room) {
    const rc = this.#call(['room'], { room }, (x, c, p) => x.xw_client_leave(c, p.room));
    this.#check(rc, 'leave');
  }

  // --- discovery (XEP-0030) and blocking (XEP-0191) -------------------------

  /** What jid (default: our server) is and supports: { identities, features }. */
  discoInfo(jid, { node } = {}) {
    return this.#request('discoInfo', ['jid', 'node'], { jid, node }, (x, c, p) => x.xw_client_disco_info(c, p.jid, p.node));
  }

  block(jids) {
    return this.#request('block', ['jids'], { jids: [jids].flat().join('\n') }, (x, c, p) => x.xw_client_block(c, p.jids)).then(() => undefined);
  }

  /** Unblocks the JIDs given (none: everyone). */
  unblock(jids = []) {
    return this.#request('unblock', ['jids'], { jids: [jids].flat().join('\n') }, (x, c, p) => x.xw_client_unblock(c, p.jids)).then(() => undefined);
  }

  /** The JIDs we block. */
  blocklist() {
    return this.#request('blocklist', [], {}, (x, c) => x.xw_client_blocklist(c));
  }

  /** Sends unavailable presence and ends the session. */
  disconnect() {
    if (!this.#c) return Promise.resolve();
    const done = new Promise((resolve) => {
      this.#disconnectWaiter = resolve;
    });
    this.#core.x.xw_client_disconnect(this.#c, now());
    this.#pump();
    return done;
  }

  // A closed tab must not leave a ghost session for the server's
  // inactivity period: on pagehide, send unavailable presence and terminate
  // with a keepalive fetch, which the browser completes after the page is
  // gone. With resume, save the state for the next page instead.
  #watchPageHide() {
    if (this.#opts.closeOnPageHide === false || typeof globalThis.addEventListener !== 'function' ||
        typeof document === 'undefined') return;
    this.#onPageHide = () => this.#hidePage();
    globalThis.addEventListener('pagehide', this.#onPageHide);
    // Back from the back/forward cache: carry on from what was saved.
    globalThis.addEventListener('pageshow', (e) => {
      if (!e.persisted || !this.#suspended) return;
      this.#suspended = false;
      this.#unloading = false;
      try {
        this.#openCore(this.#takeSaved());
      } catch (err) {
        this.#ended(err.condition ?? 'internal-error', err.message);
      }
    });
  }

  #call(names, values, fn) {
    if (!this.#c) throw new XmppError('not-connected', 'call connect() first');
    for (const n of names) {
      const v = values[n];
      if (v !== undefined && v !== null && typeof v !== 'string') throw new TypeError(`${n} must be a string`);
      // C strings end at NUL, and XML cannot carry it (XML 1.0 §2.2).
      if (typeof v === 'string' && v.includes('\0')) throw new TypeError(`${n} contains NUL, which XML cannot carry`);
    }
    const core = this.#core;
    const rc = core.withStrings(names.map((n) => values[n]), (...ptrs) => {
      const p = Object.fromEntries(names.map((n, i) => [n, ptrs[i]]));
      return fn(core.x, this.#c, p);
    });
    // Coalesce everything sent in one task into one request.
    if (!this.#pumpQueued) {
      this.#pumpQueued = true;
      queueMicrotask(() => {
        this.#pumpQueued = false;
        this.#pump();
      });
    }
    return rc;
  }

  #check(rc, what) {
    if (rc >= 0) return;
    const text = this.#core.strerror(rc);
    if (rc === -2 || rc === -8) throw new TypeError(`${what}: ${text}`);
    // XW_ERR_LIMIT: RFC 6120 §8.3.3.18 names this condition.
    if (rc === -5) throw new XmppError('resource-constraint', `${what}: ${text}`);
    throw new XmppError(rc === -3 ? 'not-connected' : 'internal-error', `${what}: ${text}`);
  }

  #pump() {
    if (!this.#c) return;
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#again = false;
        const { x } = this.#core;
        const c = this.#c;
        while (x.xw_client_next_request(c, now())) {
          const rid = x.xw_client_request_rid(c);
          const ptr = x.xw_client_request_body(c);
          const len = x.xw_client_request_len(c);
          const body = this.#core.heap().slice(ptr, ptr + len);
          this.#post(rid, body, x.xw_client_request_timeout(c));
        }
        this.#deliverEvents();
        if (this.#c) this.#schedule();
      } while (this.#again && this.#c);
    } finally {
      this.#pumping = false;
    }
  }

  [SAVE_STATE]() {
    if (!this.#c) return null;
    const { x } = this.#core;
    const ptr = x.xw_client_save(this.#c);
    return ptr ? this.#core.readString(ptr, x.xw_client_save_len(this.#c)) : null;
  }

  [SUSPEND]() {
    if (!this.#c) return;
    this.#suspended = true;
    this.#release();
  }

  #post(rid, body, timeoutMs) {
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), timeoutMs);
    // A keepalive request (terminate or pause on pagehide) must outlive
    // the page, so nothing aborts it but its own timeout.
    if (!this.#unloading) this.#inflight.set(rid, ctrl);
    const done = () => {
      clearTimeout(timer);
      this.#inflight.delete(rid);
      body.fill(0); // it may have carried credentials (SASL PLAIN)
    };
    fetch(this.#opts.service, {
      method: 'POST',
      body,
      headers: { 'Content-Type': 'text/xml; charset=utf-8' },
      signal: ctrl.signal,
      cache: 'no-store',
      keepalive: this.#unloading,
    })
      .then(async (res) => ({ status: res.status, bytes: new Uint8Array(await res.arrayBuffer()) }))
      .then(
        ({ status, bytes }) => {
          done();
          if (!this.#c) return;
          const { x } = this.#core;
          this.#core.withBytes(bytes, (ptr, len) => x.xw_client_receive(this.#c, rid, status, ptr, len, now()));
          // The app sees the answer before the next request goes out, so
          // what it sends in reaction (in a listener or a promise
          // continuation) rides on the long-poll that replaces this one
          // instead of following it at once, which the request gap would
          // hold back (bosh.c).
          this.#deliverEvents();
          this.#pumpSoon();
        },
        () => {
          done();
          if (!this.#c) return;
          this.#core.x.xw_client_request_failed(this.#c, rid, now());
          this.#pump();
        },
      );
  }

  // The page goes: end the session with a keepalive terminate, or with
  // resume, leave it to the next page with the state saved.
  #hidePage() {
    if (!this.#c) return;
    this.#unloading = true;
    if (this.#opts.resume) {
      // XEP-0124 §10 pause, only when asked for: ejabberd (23.01 and
      // later) moves the stanzas waiting for delivery at the moment of a
      // pause into its input queue, so they never reach the client.
      // Without it the session outlives the page by the server's wait
      // plus inactivity, which covers a reload.
      const seconds = this.#opts.resumePauseSeconds ?? 0;
      if (seconds > 0) this.#core.x.xw_client_pause(this.#c, seconds, now());
      this.#pump();
      if (this.#saveForNextPage()) {
        this.#suspended = true;
        this.#release();
        return;
      }
    }
    this.#core.x.xw_client_disconnect(this.#c, now());
    this.#pump();
  }

  [PAGE_HIDE]() {
    this.#hidePage();
  }

  // Sleeps until the core's next deadline. A deadline already due (a step
  // of SCRAM's key derivation) is taken on a message port: browsers do not
  // clamp or throttle those as they do zero-delay timers.
  #schedule() {
    const at = this.#core.x.xw_client_next_deadline(this.#c);
    if (at === this.#timerAt) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#timerAt = at;
    if (at < 0) return;
    const wake = () => {
      this.#timer = null;
      this.#timerAt = -1;
      if (!this.#c) return;
      this.#core.x.xw_client_tick(this.#c, now());
      this.#pump();
    };
    const delay = at - now();
    if (delay <= 0 && this.#soon(wake)) return;
    this.#timer = setTimeout(wake, Math.max(0, delay));
  }

  // Runs the loop once the current task and its microtasks are done.
  #pumpSoon() {
    if (!this.#c) return;
    if (!this.#soon(null)) this.#pump();
  }

  // Calls `wake` (or, when null, just the loop) right after the current
  // task, on a message port: browsers neither clamp nor throttle those as
  // they do zero-delay timers. False where there are no message ports.
  #soon(wake) {
    if (typeof MessageChannel !== 'function') return false;
    if (!this.#soonPort) {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        // Node: an idle port must not keep the process alive, but one
        // with a wake on its way must, as a pending timer does; otherwise
        // Node may exit with the wake undelivered and connect() unsettled.
        channel.port1.unref?.();
        const soon = this.#soonPort;
        if (!soon) return;
        const { wake: due } = soon;
        soon.wake = null;
        soon.posted = false;
        if (due) due(); // a deadline's wake runs the loop too
        else this.#pump();
      };
      channel.port1.unref?.();
      this.#soonPort = { port: channel.port2, ref: () => channel.port1.ref?.(), close: () => channel.port1.close(), wake: null, posted: false };
    }
    const soon = this.#soonPort;
    if (wake) soon.wake = wake;
    if (!soon.posted) {
      soon.posted = true;
      soon.ref();
      soon.port.postMessage(0);
    }
    return true;
  }

  #deliverEvents() {
    const { x } = this.#core;
    const ptr = x.xw_client_events(this.#c);
    const len = x.xw_client_events_len(this.#c);
    if (len <= 2) return;
    const events = JSON.parse(this.#core.readString(ptr, len));
    for (const ev of events) this.#dispatch(ev);
  }

  #dispatch(ev) {
    switch (ev.type) {
      case 'status': {
        // 'offline' is told with the offline event, after settling what waits.
        if (ev.status === 'offline') break;
        this.#status = ev.status;
        const { type, ...status } = ev;
        this.#emit('status', status);
        break;
      }
      case 'online': {
        this.#jid = ev.jid;
        const info = ev.resumed ? { jid: ev.jid, resumed: true } : { jid: ev.jid, mechanism: ev.mechanism };
        this.#emit('online', info);
        if (this.#connectWaiter) {
          this.#connectWaiter.resolve(info);
          this.#connectWaiter = null;
        }
        break;
      }
      case 'message': {
        // The core writes the message as the app gets it (no copy here: a
        // page of history is thousands of them).
        if (ev.history) {
          this.#iqs.get(ev.history)?.messages.push(ev.message); // a page of history, not a new message
          break;
        }
        this.#emit('message', ev.message);
        break;
      }
      case 'history': {
        const waiter = this.#iqs.get(ev.token);
        if (!waiter) break;
        this.#iqs.delete(ev.token);
        if (ev.ok) waiter.resolve({ messages: waiter.messages, complete: ev.complete, first: ev.first ?? null, last: ev.last ?? null });
        else waiter.reject(new XmppError(ev.condition, 'history failed'));
        break;
      }
      case 'disco-info': {
        const waiter = this.#iqs.get(ev.token);
        if (!waiter) break;
        this.#iqs.delete(ev.token);
        if (ev.ok) waiter.resolve({ from: ev.from, identities: ev.identities, features: ev.features });
        else waiter.reject(new XmppError(ev.condition, 'disco failed'));
        break;
      }
      case 'roster': {
        this.#roster.apply(ev);
        this.#emit('roster', { full: ev.full, version: ev.version ?? null, items: ev.items });
        break;
      }
      case 'receipt':
        this.#emit('receipt', { from: ev.from, id: ev.id, room: ev.room, carbon: ev.carbon });
        break;
      case 'marker':
        this.#emit('marker', { from: ev.from, id: ev.id, marker: ev.marker, room: ev.room, nick: ev.nick, carbon: ev.carbon });
        break;
      case 'chat-state':
        this.#emit('chatState', { from: ev.from, state: ev.state, thread: ev.thread, room: ev.room, nick: ev.nick, carbon: ev.carbon });
        break;
      case 'blocklist': {
        const waiter = ev.token ? this.#iqs.get(ev.token) : null;
        if (waiter) {
          this.#iqs.delete(ev.token);
          waiter.resolve(ev.items);
        } else {
          this.#emit('blocklist', { blocked: ev.blocked ?? [], unblocked: ev.unblocked ?? [] });
        }
        break;
      }
      case 'room-joined': {
        const key = ev.room.toLowerCase();
        this.#rooms.joined(ev);
        this.#joins.get(key)?.resolve({ room: ev.room, nick: ev.nick, role: ev.role, affiliation: ev.affiliation });
        this.#joins.delete(key);
        this.#emit('roomJoined', { room: ev.room, nick: ev.nick, role: ev.role, affiliation: ev.affiliation, restored: !!ev.restored });
        break;
      }
      case 'room-error': {
        const key = ev.room.toLowerCase();
        const err = new XmppError(ev.condition, ev.text, { room: ev.room });
        if (this.#joins.has(key)) {
          this.#joins.get(key).reject(err);
          this.#joins.delete(key);
        }
        this.#emit('roomError', err);
        break;
      }
      case 'room-left':
        this.#rooms.left(ev.room);
        this.#emit('roomLeft', { room: ev.room, reason: ev.condition ?? null });
        break;
      case 'room-subject': {
        this.#rooms.subject(ev.room, ev.subject);
        this.#emit('roomSubject', { room: ev.room, subject: ev.subject, by: ev.by ?? null });
        break;
      }
      case 'occupant': {
        const o = { nick: ev.nick, jid: ev.jid, role: ev.role, affiliation: ev.affiliation, show: ev.show, status: ev.status, self: !!ev.self };
        this.#rooms.occupant(ev.room, ev.available, o);
        this.#emit('occupant', { room: ev.room, available: ev.available, ...o });
        break;
      }
      case 'caught-up':
        this.#emit('caughtUp', { count: ev.count, complete: ev.complete, condition: ev.condition ?? null });
        break;
      case 'presence':
        this.#emit('presence', {
          from: ev.from, to: ev.to, type: ev.presenceType,
          show: ev.show, status: ev.status, priority: ev.priority, xml: ev.xml,
          contact: ev.contact, restored: !!ev.restored,
        });
        break;
      case 'iq': {
        const waiter = this.#iqs.get(ev.token);
        if (!waiter) break;
        this.#iqs.delete(ev.token);
        if (!ev.ok) waiter.reject(new XmppError(ev.condition, `${waiter.what} failed`));
        else if (waiter.what === 'ping') waiter.resolve(now() - waiter.started);
        else waiter.resolve(ev.xml);
        break;
      }
      case 'stanza': {
        if (!ev.handler) {
          this.#emit('stanza', { xml: ev.xml });
          break;
        }
        for (const h of this.#appHandlers.values()) {
          if (h.coreId === ev.handler) callSafely(h.fn, { xml: ev.xml });
        }
        break;
      }
      case 'error': {
        const { type, condition, text, ...details } = ev;
        if (details.limit) details.limit = JS_OPTION_NAME[details.limit] ?? details.limit;
        this.#emit('error', new XmppError(condition, text, details));
        break;
      }
      case 'offline':
        this.#ended(ev.condition, ev.text || '');
        break;
      default:
        break;
    }
  }

  // The client has ended for good: tell the app and settle what waits.
  #ended(reason, text) {
    this.#release();
    this.#status = 'offline';
    if (this.#onPageHide) globalThis.removeEventListener('pagehide', this.#onPageHide);
    this.#onPageHide = null;
    this.#emit('status', { status: 'offline' });
    this.#emit('offline', { reason, text });
    if (this.#connectWaiter) {
      this.#connectWaiter.reject(new XmppError(reason, text));
      this.#connectWaiter = null;
    }
    if (this.#disconnectWaiter) {
      this.#disconnectWaiter();
      this.#disconnectWaiter = null;
    }
  }

  // Frees the core's client and everything waiting on it.
  #release() {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timerAt = -1;
    this.#timer = null;
    this.#soonPort?.close();
    this.#soonPort = null;
    for (const ctrl of this.#inflight.values()) ctrl.abort();
    this.#inflight.clear();
    for (const w of this.#iqs.values()) w.reject(new XmppError('disconnected', 'the session ended'));
    this.#iqs.clear();
    for (const w of this.#joins.values()) w.reject(new XmppError('disconnected', 'the session ended'));
    this.#joins.clear();
    if (this.#c) this.#core.x.xw_client_free(this.#c);
    this.#c = 0;
  }
}
