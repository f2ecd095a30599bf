// client.js: the public client API. It owns every fetch, timer and clock
// read; the core (C, via core.js) decides what to send and when. The loop:
// ask the core for requests and post them, hand back each answer, deliver
// the core's events, and sleep until the core's next deadline. A new
// long-poll is sent from the completion of the previous request, never
// from a timer, so throttled background tabs keep their session.

import { loadCore } from './core.js';

const now = () => performance.now();

/** An error whose `condition` says why, e.g. 'not-authorized'. */
export class XmppError extends Error {
  constructor(condition, text) {
    super(text ? `${condition}: ${text}` : condition);
    this.name = 'XmppError';
    this.condition = condition;
    this.text = text || '';
  }
}

// Conditions after which a lost session is opened again (XEP-0124 §17.2
// terminal conditions that a later attempt can cure, and our own
// connection-failed). Others (not-authorized, conflict, see-other-uri,
// host-unknown, policy-violation, …) would fail the same way again.
const RECONNECTABLE = new Set([
  'connection-failed', 'item-not-found', 'system-shutdown', 'remote-connection-failed', 'internal-server-error',
  'undefined-condition', 'host-gone', 'other-request', 'remote-stream-error',
]);
const MAX_OUTBOX = 1000;

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
  catchUpMax: 'catch_up_max',
  catchUpPageSize: 'catch_up_page',
  streamManagement: 'stream_management',
};
// With no archive id seen yet, catch-up starts this long before the lost
// session went online: client and server clocks differ.
const CATCH_UP_CLOCK_MARGIN_MS = 60000;

function optionValue(v) {
  if (typeof v === 'boolean') return v ? '1' : '0';
  return String(v);
}

/** Creates a client; nothing is sent until connect(). */
export function createClient(options) {
  return new Client(options);
}

export class Client {
  #opts;
  #core = null;
  #c = 0; // the core's xw_client pointer
  #listeners = new Map();
  #pumping = false;
  #again = false;
  #pumpQueued = false;
  #timer = null;
  #timerAt = -1;
  #inflight = new Map(); // rid -> AbortController
  #iqs = new Map(); // token -> { resolve, reject, started }
  #connectWaiter = null;
  #disconnectWaiter = null;
  #status = 'offline';
  #jid = null;
  #unloading = false;
  #onPageHide = null;
  #started = false;
  #everOnline = false;
  #userClosing = false;
  #attempt = 0;
  #reconnectTimer = null;
  // Messages to send once the next session is online (and caught up):
  // those the lost session could not confirm ({ resend: true }), then
  // those the app sent meanwhile, oldest first.
  #outbox = [];
  #holdOutbox = false; // from a lost session until the outbox is flushed
  #unacked = []; // this session's "unacknowledged" events, if it is lost
  #catchingUp = false; // this session fetches from the archive first
  #streamToResume = null; // { id, h } of a lost XEP-0198 stream
  #resumedAcked = null; // after a stream resumption: the server's h
  #resuming = false; // this session was resumed and has had no answer yet
  #suspended = false; // saved for the next page on pagehide; nothing runs
  // Where a new login catches up from the archive (XEP-0313): the archive
  // id of the last message delivered, else when the first session began.
  #lastStanzaId = null;
  #firstOnlineAt = null; // wall clock, ms

  constructor(options) {
    if (!options || typeof options !== 'object') throw new TypeError('createClient: options are required');
    const { service, jid, password } = options;
    if (!service) throw new TypeError('createClient: options.service (the BOSH URL) is required');
    if (!jid) throw new TypeError('createClient: options.jid is required');
    if (typeof password !== 'string') throw new TypeError('createClient: options.password must be a string');
    if (password.includes('\0') || String(jid).includes('\0')) throw new TypeError('createClient: NUL in jid or password');
    this.#opts = { ...options, service: String(new URL(service, globalThis.location?.href)) };
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
    if (!this.#listeners.has(event)) this.#listeners.set(event, new Set());
    this.#listeners.get(event).add(fn);
    return this;
  }

  off(event, fn) {
    this.#listeners.get(event)?.delete(fn);
    return this;
  }

  #emit(event, payload) {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        fn(payload);
      } catch (err) {
        // A throwing listener must not break the session loop.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  /** Opens the session; resolves with { jid, mechanism } once online. */
  async connect() {
    if (this.#started) throw new XmppError('bad-request', 'connect() was already called');
    this.#started = true;
    this.#core = await loadCore(this.#opts.wasm);
    const done = new Promise((resolve, reject) => {
      this.#connectWaiter = { resolve, reject };
    });
    this.#openSession(this.#takeSaved());
    this.#watchPageHide();
    return done;
  }

  // --- surviving reloads (resume: true) ---------------------------------
  // On pagehide the core's session (sid, rids, the bytes of every request
  // not yet processed; never the password) goes to sessionStorage, which
  // lives as long as the tab. The next page takes it and carries on the
  // same BOSH session: no new login, and what the server answered to the
  // requests the old page lost it answers again from its cache (XEP-0124 §14).

  #storageKey() {
    return `xmpp-wasm:session:${this.#opts.service}:${String(this.#opts.jid).toLowerCase()}`;
  }

  static #storage() {
    try {
      return globalThis.sessionStorage ?? null;
    } catch {
      return null; // storage disabled (e.g. sandboxed iframe): no resume
    }
  }

  // Takes (and removes, so a duplicated tab cannot take it too) the saved session.
  #takeSaved() {
    if (!this.#opts.resume) return null;
    const storage = Client.#storage();
    if (!storage) return null;
    const key = this.#storageKey();
    const saved = storage.getItem(key);
    if (saved !== null) storage.removeItem(key);
    try {
      const point = JSON.parse(storage.getItem(`${key}:catch-up`) ?? 'null');
      storage.removeItem(`${key}:catch-up`);
      if (point && typeof point === 'object') {
        if (typeof point.after === 'string') this.#lastStanzaId = point.after;
        if (Number.isFinite(point.since)) this.#firstOnlineAt = point.since;
      }
    } catch {
      // A damaged catch-up point: no catch-up if the resume fails.
    }
    return saved;
  }

  #saveForNextPage() {
    const storage = Client.#storage();
    if (!storage || !this.#c) return false;
    const { x } = this.#core;
    const ptr = x.xw_client_save(this.#c);
    if (!ptr) return false;
    try {
      storage.setItem(this.#storageKey(), this.#core.readString(ptr, x.xw_client_save_len(this.#c)));
      // If the saved session is gone when the next page comes, its new
      // login catches up from here.
      storage.setItem(`${this.#storageKey()}:catch-up`,
        JSON.stringify({ after: this.#lastStanzaId, since: this.#firstOnlineAt }));
      return true;
    } catch {
      return false; // quota: the next page logs in again
    }
  }

  // One BOSH session in the core: made by connect(), and again by each
  // reconnection after the session was lost.
  #openSession(saved = null, catchUp = false) {
    const core = this.#core;
    const { x } = core;
    const c = x.xw_client_new();
    if (!c) throw new XmppError('internal-error', 'out of memory');
    const set = (name, value) => {
      const rc = core.withStrings([name, value], (n, v) => x.xw_client_set_option(c, n, v));
      if (rc !== 0) {
        x.xw_client_free(c);
        throw new TypeError(`xmpp-wasm: bad option ${name}=${name === 'password' ? '…' : value} (${core.strerror(rc)})`);
      }
    };
    set('jid', this.#opts.jid);
    set('password', this.#opts.password);
    set('secure', new URL(this.#opts.service).protocol === 'https:' ? '1' : '0');
    for (const [js, cName] of Object.entries(OPTION_NAMES)) {
      if (this.#opts[js] !== undefined) set(cName, optionValue(this.#opts[js]));
    }
    if (catchUp && this.#opts.catchUp !== false) {
      // A new login after a lost one: fetch what the lost session may have
      // missed from the archive before presence goes out (see core), and
      // take the lost session's resource back, so the server closes that
      // ghost at once instead of routing messages to it until it times out
      // (RFC 6120 §7.7.2.2).
      if (this.#lastStanzaId && this.#lastStanzaId.length <= 256) {
        set('catch_up_after', this.#lastStanzaId);
        this.#catchingUp = true;
      } else if (this.#firstOnlineAt !== null) {
        set('catch_up_start', new Date(this.#firstOnlineAt - CATCH_UP_CLOCK_MARGIN_MS).toISOString().replace(/\.\d+Z$/, 'Z'));
        this.#catchingUp = true;
      }
      const resource = this.#jid?.split('/').slice(1).join('/');
      if (resource && this.#opts.resource === undefined) set('resource', resource);
    }
    if (catchUp && this.#streamToResume && this.#jid && this.#opts.streamManagement !== false) {
      // XEP-0198 §5: resume the lost stream if the server still has it;
      // failing that, the core binds and catches up as above.
      set('sm_resume_id', this.#streamToResume.id);
      set('sm_resume_h', String(this.#streamToResume.h));
      set('sm_resume_jid', this.#jid);
    }
    if (saved) {
      const bytes = new TextEncoder().encode(saved);
      const resumed = core.withBytes(bytes, (ptr, len) => x.xw_client_resume(c, ptr, len, now()));
      if (resumed === 0) {
        this.#resuming = true;
        this.#c = c;
        this.#pump();
        return;
      }
      // Another account's or a damaged saved session: log in instead.
    }
    const rc = x.xw_client_connect(c, now());
    if (rc !== 0) {
      x.xw_client_free(c);
      throw new XmppError('bad-request', core.strerror(rc));
    }
    this.#c = c;
    this.#pump();
  }

  /** Sends a chat message; returns its id. */
  sendMessage({ to, body, type = 'chat', id } = {}) {
    const messageId = id ?? this.#newId();
    if (this.#holdOutbox) {
      // After the messages of the lost session, in the order sent.
      if (this.#outbox.length >= MAX_OUTBOX) throw new XmppError('resource-constraint', 'sendMessage: too many messages waiting for the reconnection');
      this.#outbox.push({ to, body, type, id: messageId });
      return messageId;
    }
    const rc = this.#call(['to', 'type', 'body', 'id'], { to, type, body, id: messageId }, (x, c, p) =>
      x.xw_client_send_message(c, p.to, p.type, p.body, p.id));
    this.#check(rc, 'sendMessage');
    return messageId;
  }

  #idPrefix = null;
  #idCounter = 0;

  #newId() {
    if (!this.#idPrefix) {
      const r = new Uint8Array(6);
      globalThis.crypto.getRandomValues(r);
      this.#idPrefix = Array.from(r, (b) => b.toString(16).padStart(2, '0')).join('');
    }
    return `${this.#idPrefix}-${++this.#idCounter}`;
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
    const token = this.#call(['to'], { to }, (x, c, p) => x.xw_client_ping(c, p.to, timeoutMs, started));
    this.#check(token, 'ping');
    return new Promise((resolve, reject) => {
      this.#iqs.set(token, { resolve, reject, started });
    });
  }

  /** Sends unavailable presence and ends the session. */
  disconnect() {
    this.#userClosing = true;
    if (this.#reconnectTimer) {
      clearTimeout(this.#reconnectTimer);
      this.#reconnectTimer = null;
      this.#finish('disconnected', '');
      return Promise.resolve();
    }
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
  // with a keepalive fetch, which the browser completes after the page is gone.
  #watchPageHide() {
    if (this.#opts.closeOnPageHide === false || typeof globalThis.addEventListener !== 'function' ||
        typeof document === 'undefined') return;
    this.#onPageHide = () => {
      if (!this.#c) return;
      this.#unloading = true;
      if (this.#opts.resume && this.#status === 'online') {
        // XEP-0124 §10 pause, only when asked for: ejabberd (23.01 and
        // later) moves the stanzas waiting for delivery at the moment of a
        // pause into its input queue, so they never reach the client.
        // Without it the session outlives the page by the server's wait
        // plus inactivity, which covers a reload.
        const seconds = this.#opts.resumePauseSeconds ?? 0;
        if (seconds > 0) this.#core.x.xw_client_pause(this.#c, seconds, now());
        this.#pump();
        if (this.#saveForNextPage()) {
          this.#suspend();
          return;
        }
      }
      this.#core.x.xw_client_disconnect(this.#c, now());
      this.#pump();
    };
    globalThis.addEventListener('pagehide', this.#onPageHide);
    // Back from the back/forward cache: carry on from what was saved.
    globalThis.addEventListener('pageshow', (e) => {
      if (!e.persisted || !this.#suspended) return;
      this.#suspended = false;
      this.#unloading = false;
      try {
        this.#openSession(this.#takeSaved());
      } catch (err) {
        this.#finish(err.condition ?? 'internal-error', err.message);
      }
    });
  }

  // The session now belongs to the next page: stop without a word.
  #suspend() {
    this.#suspended = true;
    this.#release();
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

  #post(rid, body, timeoutMs) {
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), timeoutMs);
    // A keepalive request (terminate or pause on pagehide) must outlive
    // the page, so nothing aborts it but its own timeout.
    if (!this.#unloading) this.#inflight.set(rid, ctrl);
    fetch(this.#opts.service, {
      method: 'POST',
      body,
      headers: { 'Content-Type': 'text/xml; charset=utf-8' },
      signal: ctrl.signal,
      cache: 'no-store',
      // Lets the terminate request outlive the page (pagehide).
      keepalive: this.#unloading,
    })
      .then(async (res) => {
        const bytes = new Uint8Array(await res.arrayBuffer());
        return { status: res.status, bytes };
      })
      .then(
        ({ status, bytes }) => {
          clearTimeout(timer);
          this.#inflight.delete(rid);
          if (!this.#c) return;
          const { x } = this.#core;
          this.#core.withBytes(bytes, (ptr, len) => x.xw_client_receive(this.#c, rid, status, ptr, len, now()));
          if (status === 200 && this.#c) this.#resuming = false;
          this.#pump();
        },
        () => {
          clearTimeout(timer);
          this.#inflight.delete(rid);
          if (!this.#c) return;
          this.#core.x.xw_client_request_failed(this.#c, rid, now());
          this.#pump();
        },
      );
  }

  #schedule() {
    const at = this.#core.x.xw_client_next_deadline(this.#c);
    if (at === this.#timerAt) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#timerAt = at;
    if (at < 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#timerAt = -1;
      if (!this.#c) return;
      this.#core.x.xw_client_tick(this.#c, now());
      this.#pump();
    }, Math.max(0, at - now()));
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
      case 'status':
        // 'offline' is decided here, after the reconnection policy.
        if (ev.status === 'offline') break;
        this.#status = ev.status;
        this.#emit('status', { status: ev.status });
        break;
      case 'online':
        this.#streamToResume = null;
        if (ev.resumed === 'stream') {
          // Same stream: nothing to catch up; the server's h says which of
          // the lost session's messages it had.
          this.#catchingUp = false;
          this.#resumedAcked = ev.acked;
        } else {
          this.#resumedAcked = null;
        }
        this.#jid = ev.jid;
        this.#everOnline = true;
        this.#firstOnlineAt ??= Date.now();
        this.#attempt = 0;
        const info = ev.resumed ? { jid: ev.jid, resumed: true } : { jid: ev.jid, mechanism: ev.mechanism };
        this.#emit('online', info);
        if (!this.#catchingUp) this.#flushOutbox();
        if (this.#connectWaiter) {
          this.#connectWaiter.resolve(info);
          this.#connectWaiter = null;
        }
        break;
      case 'message': {
        if (ev.stanzaId) this.#lastStanzaId = ev.stanzaId;
        const m = {
          from: ev.from, to: ev.to, id: ev.id, type: ev.messageType,
          body: ev.body, subject: ev.subject, thread: ev.thread, xml: ev.xml,
        };
        if (ev.stanzaId) m.stanzaId = ev.stanzaId;
        if (ev.archived) {
          m.archived = true;
          if (ev.delay) m.delay = ev.delay;
        }
        this.#emit('message', m);
        break;
      }
      case 'caught-up':
        this.#catchingUp = false;
        this.#emit('caughtUp', { count: ev.count, complete: ev.complete, condition: ev.condition ?? null });
        this.#flushOutbox();
        break;
      case 'unacknowledged':
        this.#unacked.push({
          to: ev.to, type: ev.messageType, body: ev.body, id: ev.id, resend: true, seq: ev.seq, delivered: ev.delivered,
        });
        break;
      case 'stream-resumable':
        this.#streamToResume = { id: ev.id, h: ev.h };
        break;
      case 'presence':
        this.#emit('presence', {
          from: ev.from, to: ev.to, type: ev.presenceType,
          show: ev.show, status: ev.status, priority: ev.priority, xml: ev.xml,
        });
        break;
      case 'iq': {
        const waiter = this.#iqs.get(ev.token);
        if (!waiter) break;
        this.#iqs.delete(ev.token);
        if (ev.ok) waiter.resolve(now() - waiter.started);
        else waiter.reject(new XmppError(ev.condition, 'IQ failed'));
        break;
      }
      case 'stanza':
        this.#emit('stanza', { xml: ev.xml });
        break;
      case 'error':
        this.#emit('error', new XmppError(ev.condition, ev.text));
        break;
      case 'offline':
        this.#ended(ev.condition || null, ev.text || '');
        break;
      default:
        break;
    }
  }

  // Online (and caught up) again: sends what waited, in order. A message
  // the lost session could not confirm is skipped when the archive shows
  // the server got it after all, so the peer never sees it twice.
  #flushOutbox() {
    this.#holdOutbox = false;
    const acked = this.#resumedAcked;
    this.#resumedAcked = null;
    for (const m of this.#outbox.splice(0)) {
      const { resend, seq, delivered, ...message } = m;
      if (resend) {
        if (acked !== null) {
          // A resumed stream: the server handled our stanzas up to its h.
          if (seq && seq <= acked) continue;
        } else if (delivered ||
          this.#call(['id'], { id: m.id }, (x, c, p) => x.xw_client_archived_own(c, p.id)) === 1) {
          // A new session: the request carrying it was answered, or the
          // archive shows the server got it.
          continue;
        }
      }
      try {
        this.sendMessage(message);
      } catch (err) {
        this.#emit('error', err);
      }
    }
  }

  #ended(condition, text) {
    const reason = condition || 'disconnected';
    this.#release();
    this.#catchingUp = false;
    // What the lost session could not confirm goes first next time.
    if (this.#unacked.length) this.#outbox.unshift(...this.#unacked.splice(0));
    this.#holdOutbox = true;
    if (this.#resuming && !this.#userClosing && !this.#unloading) {
      // The saved session is gone (the server timed it out or restarted):
      // log in again at once, as the page would have without resume.
      this.#resuming = false;
      this.#status = 'reconnecting';
      this.#emit('status', { status: 'reconnecting', attempt: 0, delay: 0, reason });
      try {
        this.#openSession(null, true);
      } catch (err) {
        this.#finish(err.condition ?? 'internal-error', err.message);
      }
      return;
    }
    const max = this.#opts.maxReconnectAttempts ?? 10;
    if (!this.#userClosing && !this.#unloading && this.#everOnline && this.#opts.reconnect !== false &&
        RECONNECTABLE.has(reason) && this.#attempt < max) {
      // Exponential backoff with ±50% jitter and a cap, so a server that is
      // down is not hammered and clients do not return in step.
      this.#attempt++;
      const base = this.#opts.reconnectDelayMs ?? 1000;
      const cap = this.#opts.reconnectMaxDelayMs ?? 30000;
      const delay = Math.round(Math.min(cap, base * 2 ** (this.#attempt - 1)) * (0.5 + Math.random()));
      this.#status = 'reconnecting';
      this.#emit('status', { status: 'reconnecting', attempt: this.#attempt, delay, reason });
      this.#reconnectTimer = setTimeout(() => {
        this.#reconnectTimer = null;
        try {
          this.#openSession(null, true);
        } catch (err) {
          this.#finish(err.condition ?? 'internal-error', err.message);
        }
      }, delay);
      return;
    }
    this.#finish(reason, text);
  }

  // The session is over for good: tell the app and settle what waits.
  #finish(reason, text) {
    this.#status = 'offline';
    this.#holdOutbox = false;
    this.#streamToResume = null;
    if (this.#onPageHide) globalThis.removeEventListener('pagehide', this.#onPageHide);
    this.#onPageHide = null;
    if (this.#outbox.length) {
      this.#emit('error', new XmppError('recipient-unavailable', `${this.#outbox.length} queued message(s) were not sent`));
      this.#outbox = [];
    }
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

  // Frees the core session; the Client may open another (reconnection).
  #release() {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timerAt = -1;
    this.#timer = null;
    for (const ctrl of this.#inflight.values()) ctrl.abort();
    this.#inflight.clear();
    for (const w of this.#iqs.values()) w.reject(new XmppError('disconnected', 'the session ended'));
    this.#iqs.clear();
    if (this.#c) this.#core.x.xw_client_free(this.#c);
    this.#c = 0;
  }
}
