// chat.js: <xmpp-chat>, a whole chat in one element. `import 'xmpp-wasm/chat'`
// (or the one-file build, dist/xmpp-chat.js) defines it:
//
//   <xmpp-chat service="https://example.com/bosh" jid="alice@example.com"></xmpp-chat>
//
// Without a password it asks for one. It signs in with resume on, so a
// reload carries the session on (and the tabs of the site share it); the
// open conversation and where it was scrolled come back too. A page that
// makes its own client sets the `client` property instead.
//
// The element wires the client's events into the model (chat-model.js) and
// redraws what changed at most once a frame; remote text only ever goes in
// as text (chat-view.js).

import { createClient } from './index.js';
import { ChatModel, bareJid, messageKeys } from './chat-model.js';
import { DEFAULT_STRINGS, format, reasonText } from './chat-strings.js';
import { el, linkified, dayOf, dayLabel, timeLabel, initials, hueOf } from './chat-view.js';
import { applyStyle } from './chat-style.js';

const LOG_WINDOW = 120; // messages in the DOM at once; older ones come back on scroll up
const HISTORY_PAGE = 40;
const NEAR_EDGE_PX = 48;
const TYPING_TIMEOUT_MS = 30000; // a 'composing' nobody ended (XEP-0085 §5.3 leaves it to us)
const PAUSED_AFTER_MS = 5000;
const CLIENT_EVENTS = ['status', 'online', 'offline', 'roster', 'presence', 'message', 'receipt', 'marker',
  'chatState', 'blocklist', 'roomJoined', 'roomLeft', 'roomSubject', 'occupant', 'roomError', 'error'];

export class XmppChatElement extends HTMLElement {
  static observedAttributes = ['service', 'jid', 'room', 'nick'];

  #shadow;
  #strings = { ...DEFAULT_STRINGS };
  #password = null; // the `password` property, for pages that sign in for the user
  #client = null;
  #ownsClient = false; // made here (signed in by the form or attributes), not given by the page
  #handlers = null; // event -> listener on #client
  #model = null;
  #started = false;
  #view = 'none'; // 'login' | 'chat'
  #loginError = '';
  #busy = false;
  #form = null; // null | 'contact' | 'room' (the sidebar's open form)
  #removeArmed = null; // JID whose remove button was pressed once
  #showPeople = false;
  #status = { status: 'offline' };
  #frameQueued = false;
  #dirty = new Set(); // 'sidebar' | 'head' | 'log' | 'typing' | 'people' | 'banner' | 'all'
  #log = null; // the open conversation's rendered window: { conv, start, entries, nodes, lastDay }
  #restoreAnchor = null; // { key, offset } of the message at the top of the log, to bring back once loaded
  #composing = null; // { to, timer }: our chat state while the user types
  #typingTimer = null;
  #els = {};

  constructor() {
    super();
    this.#shadow = this.attachShadow({ mode: 'open' });
    applyStyle(this.#shadow);
    this.#els.root = el('div', { class: 'root', part: 'root', onkeydown: (e) => this.#onKeyDown(e) });
    this.#shadow.append(this.#els.root);
  }

  // --- attributes and properties -----------------------------------------

  get service() { return this.getAttribute('service') ?? ''; }
  set service(v) { this.setAttribute('service', v); }
  get jid() { return this.getAttribute('jid') ?? ''; }
  set jid(v) { this.setAttribute('jid', v); }
  get room() { return this.getAttribute('room') ?? ''; }
  set room(v) { this.setAttribute('room', v); }
  get nick() { return this.getAttribute('nick') ?? ''; }
  set nick(v) { this.setAttribute('nick', v); }
  /** Signs in without asking (the page has it); read only by the element, never shown. */
  set password(v) { this.#password = v == null ? null : String(v); }
  get password() { return undefined; }

  /** Every UI string; assign an object with the keys to change. */
  get strings() { return { ...this.#strings }; }
  set strings(v) {
    this.#strings = { ...DEFAULT_STRINGS, ...(v ?? {}) };
    this.#rebuild();
  }

  /** The client the element shows: set one the page made (it connects it), or the one the element signed in with. */
  get client() { return this.#client; }
  set client(client) {
    if (client === this.#client) return;
    this.#detach();
    this.#ownsClient = false;
    if (client) this.#attach(client);
    if (this.#started) this.#startWithClient();
  }

  attributeChangedCallback(name, old, value) {
    if (!this.#started || old === value) return;
    if (name === 'room' && value && this.#client?.status === 'online') this.#joinRoom(value, true);
    else if (name === 'jid' && this.#view === 'login') this.#rebuild();
  }

  connectedCallback() {
    // A page may set properties before this module defined the element:
    // those are plain properties of the element, hiding the class's
    // setters. Take them and set them through the setters.
    for (const name of ['service', 'jid', 'room', 'nick', 'password', 'strings', 'client']) {
      if (!Object.prototype.hasOwnProperty.call(this, name)) continue;
      const value = this[name];
      delete this[name];
      this[name] = value;
    }
    if (this.#started) return;
    this.#started = true;
    // After the current task, so properties set right after createElement count.
    queueMicrotask(() => this.#start());
  }

  /** Opens the conversation with a contact or room JID. */
  open(jid) {
    const bare = bareJid(jid);
    if (!bare) return;
    const isRoom = this.#client?.rooms?.some((r) => r.jid === bare) || this.#model?.conversations.get(bare)?.kind === 'room';
    this.#openConversation(bare, isRoom ? 'room' : 'chat');
  }

  /** Ends the session and shows the sign-in form. */
  async signOut() {
    const client = this.#client;
    this.#model?.forget();
    this.#model = null;
    if (client) await client.disconnect().catch(() => {});
    this.#detach();
    this.#showLogin('');
  }

  // --- starting: a given client, a password, a saved session, or the form --

  #start() {
    if (this.#client) return this.#startWithClient();
    this.#model = new ChatModel(`xmpp-chat:${this.service}`);
    if (!this.service) return this.#showLogin('');
    const account = this.jid || this.#model.account?.jid;
    if (this.jid && this.#password) return this.#signIn(this.jid, this.#password, false);
    // A reload (or another tab) of a signed-in page: the session is carried
    // on without the password; if it is gone, the form asks for it.
    if (account && this.#model.account?.jid === account) return this.#signIn(account, '', true);
    this.#showLogin('');
  }

  #startWithClient() {
    this.#model ??= new ChatModel(`xmpp-chat:${this.service || 'client'}`);
    this.#view = 'chat';
    this.#rebuild();
    if (this.#client.status === 'online') this.#onOnline({ jid: this.#client.jid });
  }

  async #signIn(jid, password, quiet) {
    let client;
    try {
      client = createClient({ service: this.service, jid, password, resume: true });
    } catch (err) {
      return this.#showLogin(err.message);
    }
    this.#model ??= new ChatModel(`xmpp-chat:${this.service}`);
    this.#ownsClient = true;
    this.#attach(client);
    this.#busy = true;
    if (this.#view !== 'login') this.#showLogin('');
    else this.#rebuild();
    try {
      await client.connect();
      this.#model.account = { jid: bareJid(jid) };
      this.#model.save();
    } catch (err) {
      if (this.#client !== client) return;
      this.#detach();
      this.#busy = false;
      this.#showLogin(quiet ? '' : format(this.#strings, 'loginFailed', { reason: reasonText(this.#strings, err.condition ?? err.message) }), bareJid(jid));
    }
  }

  #attach(client) {
    this.#client = client;
    this.#handlers = {};
    for (const name of CLIENT_EVENTS) {
      const fn = (payload) => {
        if (this.#client === client) this.#onEvent(name, payload);
      };
      this.#handlers[name] = fn;
      client.on(name, fn);
    }
    this.#watchPage();
  }

  #detach() {
    const client = this.#client;
    if (client && this.#handlers) for (const [name, fn] of Object.entries(this.#handlers)) client.off(name, fn);
    this.#client = null;
    this.#handlers = null;
    this.#log = null;
    this.#stopComposing(false);
  }

  #pageWatched = false;

  #watchPage() {
    if (this.#pageWatched) return;
    this.#pageWatched = true;
    // What the next page (a reload) brings back: saved when this one goes.
    addEventListener('pagehide', () => {
      this.#rememberScroll();
      this.#model?.save();
    });
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') this.#markSeen();
    });
  }

  // --- the client's events ------------------------------------------------

  #onEvent(name, e) {
    const model = this.#model;
    if (!model) return;
    switch (name) {
      case 'status':
        // 'offline' comes as a status and as an event with the reason, in either order.
        this.#status = e.status === 'offline' && this.#status.status === 'offline' ? { ...e, reason: this.#status.reason } : e;
        this.#invalidate('banner');
        break;
      case 'online':
        this.#onOnline(e);
        break;
      case 'offline':
        this.#status = { status: 'offline', reason: e.reason };
        this.#stopComposing(false);
        if (e.reason === 'disconnected') break; // signOut() shows the form
        this.#invalidate('banner');
        break;
      case 'roster':
        for (const item of e.items) {
          if (item.subscription === 'from' || item.subscription === 'both') model.requests.delete(item.jid);
        }
        this.#invalidate('sidebar', 'head');
        break;
      case 'presence':
        this.#onPresence(e);
        break;
      case 'message':
        this.#onMessage(e);
        break;
      case 'receipt':
        if (!e.carbon && !e.room) this.#tick(bareJid(e.from), e.id, 'delivered');
        break;
      case 'marker':
        this.#onMarker(e);
        break;
      case 'chatState':
        this.#onChatState(e);
        break;
      case 'blocklist':
        // XEP-0191 §3.4: an unblock push naming nobody unblocks everyone.
        if (!e.blocked.length && !e.unblocked.length) model.blocked.clear();
        for (const j of e.blocked) model.blocked.add(bareJid(j));
        for (const j of e.unblocked) model.blocked.delete(bareJid(j));
        this.#invalidate('sidebar', 'head', 'log');
        break;
      case 'roomJoined':
        model.conversation(e.room, 'room');
        this.#invalidate('sidebar', 'head', 'people');
        if (!model.open && e.room === bareJid(this.room)) this.#openConversation(e.room, 'room');
        break;
      case 'roomLeft':
        if (e.reason) this.#note(e.room, format(this.#strings, e.reason, { room: e.room }));
        this.#invalidate('sidebar', 'head', 'people', 'log');
        break;
      case 'roomSubject':
      case 'occupant':
        this.#invalidate('head', 'people');
        break;
      case 'roomError':
        this.#note(e.room, format(this.#strings, 'roomError', { room: e.room, reason: reasonText(this.#strings, e.condition) }));
        break;
      case 'error':
        // A queued message that can never be sent now: its bubble says so.
        if (e.id) this.#failOwn(e.id, e.condition);
        break;
      default:
        break;
    }
  }

  #onOnline() {
    const model = this.#model;
    this.#busy = false;
    this.#status = { status: 'online' };
    if (this.#view !== 'chat') {
      this.#view = 'chat';
      this.#rebuild();
    } else this.#invalidate('all');
    // A page's own client may have been shown before it was online.
    if (this.#els.me) this.#els.me.textContent = bareJid(this.#client.jid ?? '');
    this.#client.blocklist().then((jids) => {
      model.blocked = new Set(jids.map(bareJid));
      this.#invalidate('sidebar', 'head', 'log');
    }, () => {});
    for (const r of this.#client.rooms) model.conversation(r.jid, 'room');
    if (this.room) this.#joinRoom(this.room, !model.open);
    if (model.open && !this.#log) {
      this.#restoreAnchor = model.anchor ?? { atBottom: true };
      this.#openConversation(model.open.jid, model.open.kind, true);
    }
  }

  #joinRoom(room, openIt) {
    const jid = bareJid(room);
    const joined = this.#client.rooms.some((r) => r.jid === jid);
    this.#model.conversation(jid, 'room');
    if (!joined) {
      const nick = this.nick || bareJid(this.#client.jid).split('@')[0] || 'guest';
      // The archive (XEP-0313) gives the room's past: no history on join, so nothing is shown twice.
      this.#client.join(jid, { nick, history: 0 }).catch(() => {}); // roomError says why
    }
    if (openIt) this.#openConversation(jid, 'room');
    this.#invalidate('sidebar');
  }

  #onPresence(p) {
    const from = bareJid(p.from);
    if (p.type === 'subscribe') {
      const item = this.#client.roster.find((i) => i.jid === from);
      if (item && (item.subscription === 'from' || item.subscription === 'both')) return;
      this.#model.requests.add(from);
      this.#model.save();
    } else if (p.type === 'unsubscribe') {
      this.#model.requests.delete(from);
    }
    this.#invalidate('sidebar');
    if (this.#model.open?.jid === from) this.#invalidate('head');
  }

  #conversationOf(m) {
    if (m.room) return { jid: bareJid(m.room), kind: 'room' };
    const jid = bareJid(m.outgoing ? m.to : m.from);
    return jid ? { jid, kind: 'chat' } : null;
  }

  /** What the log keeps of a message event with a body, and the conversation it belongs to; null for others. */
  #entryOf(m) {
    if (typeof m.body !== 'string' || m.body === '' || m.type === 'error') return null;
    const where = this.#conversationOf(m);
    if (!where) return null;
    const delay = m.delay ? Date.parse(m.delay) : NaN;
    const outgoing = m.outgoing === true;
    const id = m.id ?? m.originId; // what receipts and markers name (XEP-0184 §4, XEP-0333 §4)
    return {
      conv: this.#model.conversation(where.jid, where.kind),
      entry: {
        keys: messageKeys(m), id, from: m.from, nick: m.nick, body: m.body, outgoing,
        time: Number.isFinite(delay) ? delay : Date.now(),
        tick: outgoing && where.kind === 'chat' && id ? this.#model.knownTick(id) : undefined,
        markable: m.markable === true && !outgoing, ref: { from: m.from, id: m.id, room: m.room, stanzaId: m.stanzaId },
      },
    };
  }

  #onMessage(m) {
    if (m.type === 'error') {
      if (m.id) this.#failOwn(m.id, m.errorCondition);
      return;
    }
    const found = this.#entryOf(m);
    if (!found) return;
    const { conv, entry } = found;
    if (!conv.add(entry)) return;
    if (!entry.outgoing) {
      conv.typing.delete(m.nick ?? conv.jid);
      if (!this.#isSeen(conv)) conv.unread++;
      this.#invalidate('typing');
    }
    if (this.#log?.conv === conv) {
      this.#invalidate('log');
      this.#markSeen();
    }
    this.#invalidate('sidebar');
  }

  #onMarker(e) {
    if (e.carbon === 'sent') {
      // Read on another device or tab of ours: not unread here either.
      const conv = this.#model.conversations.get(bareJid(e.room ?? e.to));
      if (conv && conv.unread) {
        conv.unread = 0;
        conv.lastMarkedId = e.id;
        this.#invalidate('sidebar');
      }
      return;
    }
    if (e.carbon || e.room) return;
    this.#tick(bareJid(e.from), e.id, e.marker === 'received' ? 'delivered' : 'read');
  }

  #tick(jid, id, tick) {
    this.#model.tick(jid, id, tick);
    if (this.#log?.conv.jid === jid) this.#invalidate('log');
  }

  #failOwn(id, condition) {
    for (const conv of this.#model.conversations.values()) {
      const m = conv.byKey(`me:${id}`);
      // A message the recipient acknowledged, or the server archived (the
      // room's echo, a carbon), got there: the client's end-of-session
      // report of what it could not confirm does not undo that.
      if (m && (m.tick === 'delivered' || m.tick === 'read' || m.stanzaId)) return;
      if (m) {
        m.error = condition || 'undefined-condition';
        if (this.#log?.conv === conv) this.#invalidate('log');
        return;
      }
    }
  }

  #onChatState(e) {
    if (e.carbon) return;
    const jid = bareJid(e.room ?? e.from);
    const conv = this.#model.conversations.get(jid) ?? (e.room ? null : this.#model.conversation(jid));
    if (!conv) return;
    const who = e.room ? e.nick : jid;
    if (e.room && this.#client.rooms.find((r) => r.jid === jid)?.nick === e.nick) return; // our own
    if (e.state === 'composing') conv.typing.set(who, Date.now() + TYPING_TIMEOUT_MS);
    else conv.typing.delete(who);
    if (this.#log?.conv === conv) this.#invalidate('typing');
    // A 'composing' nobody ends still goes away.
    clearTimeout(this.#typingTimer);
    this.#typingTimer = setTimeout(() => this.#invalidate('typing'), TYPING_TIMEOUT_MS + 100);
  }

  #note(jid, text) {
    const conv = this.#model.conversation(bareJid(jid), 'room');
    conv.note = text;
    if (this.#log?.conv === conv) this.#invalidate('log');
  }

  // --- names and presence ---------------------------------------------------

  #nameOf(jid) {
    const item = this.#client?.roster.find((i) => i.jid === jid);
    return item?.name || jid.split('@')[0] || jid;
  }

  #presence(jid) {
    try {
      const best = this.#client?.presenceOf(jid)?.best;
      return best ? { show: best.show ?? 'available', status: best.status ?? '' } : { show: 'unavailable', status: '' };
    } catch {
      return { show: 'unavailable', status: '' };
    }
  }

  #avatar(name, show) {
    const a = el('span', { class: 'avatar', 'aria-hidden': 'true' }, initials(name));
    // CSSOM, not a style attribute: a CSP without 'unsafe-inline' allows it.
    a.style.setProperty('--hue', String(hueOf(name)));
    if (show) a.append(el('span', { class: `dot ${show}` }));
    return a;
  }

  // --- drawing ----------------------------------------------------------------

  #invalidate(...parts) {
    for (const p of parts) this.#dirty.add(p);
    if (this.#frameQueued) return;
    this.#frameQueued = true;
    // One redraw per frame however many events came; a hidden page's frames
    // wait, so a timer makes sure background events are drawn too.
    const run = () => {
      if (!this.#frameQueued) return;
      this.#frameQueued = false;
      this.#draw();
    };
    requestAnimationFrame(run);
    setTimeout(run, 100);
  }

  /** Draws everything at once (a view was just built). */
  #drawNow() {
    this.#dirty.add('all');
    this.#draw();
  }

  #draw() {
    const dirty = this.#dirty;
    this.#dirty = new Set();
    if (this.#view !== 'chat' || !this.#els.body) return;
    const all = dirty.has('all');
    if (all || dirty.has('banner')) this.#drawBanner();
    if (all || dirty.has('sidebar')) this.#drawSidebar();
    if (this.#log) {
      if (all || dirty.has('head')) this.#drawHead();
      if (all || dirty.has('log')) this.#drawLog();
      if (all || dirty.has('typing') || dirty.has('head')) this.#drawTyping();
      if (all || dirty.has('people')) this.#drawPeople();
    }
  }

  #rebuild() {
    if (!this.#started) return;
    const root = this.#els.root;
    const focusedJid = this.#shadow.activeElement?.dataset?.jid;
    root.replaceChildren();
    this.#els = { root };
    if (this.#view === 'login') {
      root.append(this.#buildBanner(), this.#buildLogin());
      this.#drawBanner();
      return;
    }
    if (this.#view !== 'chat') return;
    const sidebar = el('nav', { class: 'sidebar', part: 'contacts', 'aria-label': this.#strings.contacts });
    const main = el('section', { class: 'main', part: 'conversation' });
    const body = el('div', { class: 'body' }, sidebar, main);
    Object.assign(this.#els, { sidebar, main, body });
    root.append(this.#buildTopbar(), this.#buildBanner(), body);
    const open = this.#log?.conv;
    this.#log = null;
    if (open) this.#buildConversation(open);
    else main.append(el('p', { class: 'placeholder' }, this.#strings.choose));
    body.classList.toggle('has-open', !!open);
    this.#drawNow();
    if (focusedJid) this.#focusEntry(focusedJid);
  }

  #buildBanner() {
    const text = el('span', { class: 'text' });
    const retry = el('button', { type: 'button', onclick: () => this.#retry() }, this.#strings.retry);
    const banner = el('div', { class: 'banner', part: 'banner', role: 'status', 'aria-live': 'polite', hidden: true }, text, retry);
    Object.assign(this.#els, { banner, bannerText: text, retry });
    return banner;
  }

  #drawBanner() {
    const { banner, bannerText, retry } = this.#els;
    if (!banner) return;
    const s = this.#status;
    const strings = this.#strings;
    let text = '';
    if (s.status === 'connecting' && this.#view === 'chat') text = strings.connecting;
    else if (s.status === 'reconnecting') {
      text = format(strings, 'reconnecting', { reason: reasonText(strings, s.reason) || strings.connecting, seconds: Math.ceil((s.delay ?? 0) / 1000) });
    } else if (s.status === 'offline' && s.reason && s.reason !== 'disconnected' && this.#view === 'chat') {
      // A session carried over a reload has no password to log in again with.
      text = s.reason === 'not-authorized' ? strings.sessionEnded : format(strings, 'offline', { reason: reasonText(strings, s.reason) });
    }
    banner.hidden = !text;
    bannerText.textContent = text;
    retry.hidden = s.status !== 'offline';
    retry.textContent = s.reason === 'not-authorized' ? strings.signIn : strings.retry;
  }

  #retry() {
    const jid = bareJid(this.#client?.jid ?? this.#model?.account?.jid ?? this.jid);
    if (!this.#ownsClient) return; // the page's client: the page decides
    this.#detach();
    if (this.#password) this.#signIn(jid, this.#password, false);
    else this.#showLogin('', jid);
  }

  #showLogin(error, jid) {
    this.#view = 'login';
    this.#loginError = error;
    if (jid) this.#loginJid = jid;
    this.#rebuild();
  }

  #loginJid = '';

  #buildLogin() {
    const s = this.#strings;
    const presetJid = this.jid || this.#loginJid || this.#model?.account?.jid || '';
    const jid = el('input', { name: 'jid', type: 'text', autocomplete: 'username', required: true, spellcheck: 'false', dir: 'auto', autocapitalize: 'none' });
    jid.value = presetJid;
    const password = el('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
    const submit = el('button', { type: 'submit', class: 'primary', disabled: this.#busy }, this.#busy ? s.signingIn : s.signIn);
    const error = el('p', { class: 'error', role: 'alert' }, this.#loginError);
    const form = el('form', {
      class: 'login', part: 'login', 'aria-labelledby': 'login-title',
      onsubmit: (e) => {
        e.preventDefault();
        if (this.#busy) return;
        this.#loginError = '';
        this.#signIn(jid.value.trim(), password.value, false);
      },
    },
    el('h2', { id: 'login-title' }, s.loginTitle),
    el('label', {}, s.jidLabel, jid),
    el('label', {}, s.passwordLabel, password),
    submit, error);
    if (!this.service) {
      submit.disabled = true;
      error.textContent = 'xmpp-chat: the service attribute (the BOSH URL) is missing.';
    }
    queueMicrotask(() => (presetJid ? password : jid).focus());
    return form;
  }

  #buildTopbar() {
    const s = this.#strings;
    const me = el('span', { class: 'me', dir: 'auto' }, bareJid(this.#client?.jid ?? ''));
    const show = el('select', {
      'aria-label': s.myStatus,
      onchange: () => {
        const v = show.value;
        this.#client?.setPresence(v === 'available' ? {} : { show: v });
      },
    }, ['available', 'away', 'dnd'].map((v) => el('option', { value: v }, s[v])));
    this.#els.me = me;
    const bar = el('header', { class: 'topbar', part: 'header' }, me, show);
    if (this.#ownsClient) bar.append(el('button', { type: 'button', onclick: () => this.signOut() }, s.signOut));
    return bar;
  }

  // The sidebar: requests, the add/join form, rooms, contacts, others.
  #drawSidebar() {
    const { sidebar } = this.#els;
    if (!sidebar || !this.#client) return;
    const s = this.#strings;
    const model = this.#model;
    const focusedJid = this.#shadow.activeElement?.dataset?.jid;
    const keepForm = this.#form && sidebar.querySelector('.form');
    const actions = el('div', { class: 'actions' },
      el('button', { type: 'button', 'aria-expanded': String(this.#form === 'contact'), onclick: () => this.#toggleForm('contact') }, s.addContact),
      el('button', { type: 'button', 'aria-expanded': String(this.#form === 'room'), onclick: () => this.#toggleForm('room') }, s.joinRoom));
    const list = el('div', { class: 'list' });
    if (model.requests.size) {
      list.append(el('h3', {}, s.requests));
      const ul = el('ul', {});
      for (const jid of model.requests) {
        ul.append(el('li', { class: 'request' },
          el('span', { dir: 'auto' }, format(s, 'wantsToAdd', { jid })),
          el('span', { class: 'buttons' },
            el('button', { type: 'button', class: 'primary', onclick: () => this.#answerRequest(jid, true) }, s.accept),
            el('button', { type: 'button', onclick: () => this.#answerRequest(jid, false) }, s.deny))));
      }
      list.append(ul);
    }
    const rooms = [...model.conversations.values()].filter((c) => c.kind === 'room');
    if (rooms.length) {
      list.append(el('h3', {}, s.rooms));
      list.append(el('ul', {}, rooms.map((c) => el('li', {}, this.#entry(c.jid, 'room')))));
    }
    list.append(el('h3', {}, s.contacts));
    const roster = this.#client.roster.filter((i) => i.subscription !== 'remove');
    if (!roster.length) list.append(el('p', { class: 'empty' }, s.noContacts));
    const rank = (show) => (show === 'unavailable' ? 1 : 0);
    const sorted = roster.map((i) => ({ item: i, p: this.#presence(i.jid), name: this.#nameOf(i.jid) }))
      .sort((a, b) => rank(a.p.show) - rank(b.p.show) || a.name.localeCompare(b.name));
    list.append(el('ul', {}, sorted.map(({ item }) => el('li', {}, this.#entry(item.jid, 'chat')))));
    const inRoster = new Set(roster.map((i) => i.jid));
    const others = [...model.conversations.values()].filter((c) => c.kind === 'chat' && !inRoster.has(c.jid) && c.messages.length);
    if (others.length) {
      list.append(el('h3', {}, s.others));
      list.append(el('ul', {}, others.map((c) => el('li', {}, this.#entry(c.jid, 'chat')))));
    }
    if (keepForm) sidebar.replaceChildren(actions, keepForm, list);
    else sidebar.replaceChildren(actions, ...(this.#form ? [this.#buildForm()] : []), list);
    if (focusedJid) this.#focusEntry(focusedJid);
  }

  #entry(jid, kind) {
    const s = this.#strings;
    const conv = this.#model.conversations.get(jid);
    const unread = conv?.unread ?? 0;
    const isOpen = this.#model.open?.jid === jid;
    let name;
    let line;
    let show = null;
    if (kind === 'room') {
      const room = this.#client.rooms.find((r) => r.jid === jid);
      name = jid.split('@')[0];
      line = room?.subject ?? '';
    } else {
      const p = this.#presence(jid);
      name = this.#nameOf(jid);
      show = this.#model.blocked.has(jid) ? 'unavailable' : p.show;
      line = p.status || s[show];
    }
    // The accessible name is the visible text (WCAG 2.5.3), with what only
    // colour shows (the presence dot, when a status text replaces it) and the unread count spelt out.
    return el('button', {
      type: 'button', class: 'entry', 'aria-current': isOpen ? 'true' : 'false', dataset: { jid },
      onclick: () => this.#openConversation(jid, kind),
    },
    this.#avatar(name, show),
    el('span', { class: 'who' },
      el('span', { class: 'name', dir: 'auto' }, name),
      el('span', { class: 'status', dir: 'auto' }, line, show && line !== s[show] ? el('span', { class: 'sr-only' }, ` (${s[show]})`) : null)),
    unread ? el('span', { class: 'badge' }, el('span', { 'aria-hidden': 'true' }, String(unread)), el('span', { class: 'sr-only' }, format(s, 'unread', { count: unread }))) : null);
  }

  #focusEntry(jid) {
    for (const b of this.#shadow.querySelectorAll('.entry')) {
      if (b.dataset.jid === jid) {
        b.focus();
        return;
      }
    }
  }

  #toggleForm(kind) {
    this.#form = this.#form === kind ? null : kind;
    this.#drawSidebar();
    if (this.#form) this.#els.sidebar.querySelector('.form input')?.focus();
  }

  #buildForm() {
    const s = this.#strings;
    const room = this.#form === 'room';
    const first = el('input', { type: 'text', required: true, spellcheck: 'false', autocapitalize: 'none', dir: 'auto', 'aria-label': room ? s.roomJid : s.contactJid, placeholder: room ? s.roomJid : s.contactJid });
    const second = el('input', { type: 'text', dir: 'auto', 'aria-label': room ? s.nickname : s.contactName, placeholder: room ? s.nickname : s.contactName });
    if (room) second.value = this.nick || bareJid(this.#client?.jid ?? '').split('@')[0];
    const error = el('p', { class: 'error', role: 'alert' });
    return el('form', {
      class: 'form', part: 'form',
      onsubmit: async (e) => {
        e.preventDefault();
        const jid = bareJid(first.value.trim());
        if (!jid.includes('@')) {
          error.textContent = format(s, 'actionFailed', { action: room ? s.joinRoom : s.addContact, reason: reasonText(s, 'jid-malformed') });
          return;
        }
        try {
          if (room) {
            this.#model.conversation(jid, 'room');
            await this.#client.join(jid, { nick: second.value.trim() || 'guest', history: 0 });
          } else {
            await this.#client.addContact(jid, second.value.trim() ? { name: second.value.trim() } : {});
            this.#client.subscribe(jid);
          }
          this.#form = null;
          this.#openConversation(jid, room ? 'room' : 'chat');
        } catch (err) {
          error.textContent = format(s, 'actionFailed', { action: room ? s.joinRoom : s.addContact, reason: reasonText(s, err.condition ?? err.message) });
        }
      },
    },
    first, second,
    el('span', { class: 'buttons' },
      el('button', { type: 'submit', class: 'primary' }, room ? s.join : s.add),
      el('button', { type: 'button', onclick: () => this.#toggleForm(this.#form) }, s.cancel)),
    error);
  }

  #answerRequest(jid, accept) {
    const client = this.#client;
    this.#model.requests.delete(jid);
    this.#model.save();
    if (accept) {
      client.approve(jid);
      // Both ways, as people expect of "add contact": ask to see theirs too.
      const item = client.roster.find((i) => i.jid === jid);
      if (!item || item.subscription === 'none' || item.subscription === 'from') client.subscribe(jid);
    } else client.deny(jid);
    this.#invalidate('sidebar');
  }

  // --- the open conversation ----------------------------------------------------

  #openConversation(jid, kind, restoring = false) {
    if (!this.#client || this.#view !== 'chat') return;
    const conv = this.#model.conversation(jid, kind);
    this.#model.open = { jid, kind };
    if (!restoring) this.#model.anchor = null;
    if (!restoring) this.#restoreAnchor = null;
    this.#stopComposing(true);
    this.#removeArmed = null;
    this.#showPeople = false;
    this.#els.main.replaceChildren();
    this.#buildConversation(conv);
    this.#els.body.classList.add('has-open');
    this.#drawNow();
    this.#markSeen();
    this.#model.save();
    if (conv.historyBefore === undefined) this.#loadOlder(conv);
    if (!restoring) this.#els.input?.focus();
  }

  #closeConversation() {
    const jid = this.#model?.open?.jid;
    if (!jid) return;
    this.#stopComposing(true);
    this.#model.open = null;
    this.#log = null;
    this.#model.save();
    this.#els.main.replaceChildren(el('p', { class: 'placeholder' }, this.#strings.choose));
    this.#els.body.classList.remove('has-open');
    this.#drawSidebar();
    this.#focusEntry(jid);
  }

  #buildConversation(conv) {
    const s = this.#strings;
    const head = el('div', { class: 'convhead', part: 'conversation-header' });
    const log = el('div', { class: 'log', part: 'log', role: 'log', tabindex: '0', 'aria-live': 'polite', 'aria-label': this.#titleOf(conv) });
    log.addEventListener('scroll', () => this.#onScroll(), { passive: true });
    const people = el('aside', { class: 'occupants', part: 'occupants', 'aria-label': s.people.replace(' ({count})', ''), hidden: true });
    const typing = el('div', { class: 'typing', 'aria-live': 'polite' });
    const footer = el('div', { class: 'footer' });
    this.#els.main.append(head, el('div', { class: 'convbody' }, log, people), typing, footer);
    Object.assign(this.#els, { head, logEl: log, people, typing, footer, input: null });
    this.#log = { conv, start: 0, entries: [], nodes: new Map(), top: null };
    this.#drawFooter();
  }

  #titleOf(conv) {
    return conv.kind === 'room' ? conv.jid.split('@')[0] : this.#nameOf(conv.jid);
  }

  #drawHead() {
    const { head } = this.#els;
    const conv = this.#log.conv;
    const s = this.#strings;
    const jid = conv.jid;
    const back = el('button', { type: 'button', class: 'back', onclick: () => this.#closeConversation() }, s.back);
    let who;
    const buttons = [];
    if (conv.kind === 'room') {
      const room = this.#client.rooms.find((r) => r.jid === jid);
      who = el('span', { class: 'who' },
        el('span', { class: 'name', dir: 'auto' }, this.#titleOf(conv)),
        el('span', { class: 'subject status', dir: 'auto' }, linkified(room?.subject || s.noSubject)));
      buttons.push(el('button', {
        type: 'button', 'aria-expanded': String(this.#showPeople),
        onclick: () => { this.#showPeople = !this.#showPeople; this.#invalidate('people', 'head'); },
      }, format(s, 'people', { count: room?.occupants.length ?? 0 })));
      if (room) buttons.push(el('button', { type: 'button', onclick: () => this.#client.leave(jid) }, s.leaveRoom));
    } else {
      const p = this.#presence(jid);
      const blocked = this.#model.blocked.has(jid);
      who = el('span', { class: 'who' },
        el('span', { class: 'name', dir: 'auto' }, this.#nameOf(jid)),
        el('span', { class: 'status', dir: 'auto' }, `${jid} · ${p.status || s[p.show]}`));
      buttons.push(el('button', {
        type: 'button',
        onclick: () => this.#act(blocked ? s.unblock : s.block, () => (blocked ? this.#client.unblock(jid) : this.#client.block(jid))),
      }, blocked ? s.unblock : s.block));
      if (this.#client.roster.some((i) => i.jid === jid)) {
        const armed = this.#removeArmed === jid;
        buttons.push(el('button', {
          type: 'button', class: armed ? 'danger' : undefined,
          onclick: () => {
            if (!armed) {
              this.#removeArmed = jid;
              this.#drawHead();
              this.#els.head.querySelector('.danger')?.focus();
              return;
            }
            this.#removeArmed = null;
            this.#act(s.removeContact, () => this.#client.removeContact(jid));
          },
        }, armed ? s.confirmRemove : s.removeContact));
      }
    }
    head.replaceChildren(back, this.#avatar(this.#titleOf(conv), null), who, ...buttons);
    this.#drawFooter();
  }

  async #act(action, fn) {
    try {
      await fn();
    } catch (err) {
      this.#note(this.#log?.conv.jid ?? '', format(this.#strings, 'actionFailed', { action, reason: reasonText(this.#strings, err.condition ?? err.message) }));
    }
    this.#invalidate('head', 'sidebar');
  }

  #drawFooter() {
    const { footer } = this.#els;
    const conv = this.#log?.conv;
    if (!footer || !conv) return;
    const s = this.#strings;
    const blocked = conv.kind === 'chat' && this.#model.blocked.has(conv.jid);
    if (blocked) {
      this.#els.input = null;
      footer.replaceChildren(el('p', { class: 'notice', dir: 'auto' }, format(s, 'blockedNotice', { jid: conv.jid })));
      return;
    }
    if (this.#els.input && footer.contains(this.#els.input)) return; // keep what is being typed
    const input = el('textarea', {
      rows: '1', dir: 'auto', 'aria-label': format(s, 'messageLabel', { name: this.#titleOf(conv) }), placeholder: format(s, 'messageLabel', { name: this.#titleOf(conv) }),
      onkeydown: (e) => {
        if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
          e.preventDefault();
          this.#send();
        }
      },
      oninput: () => {
        this.#composingNow(conv);
        input.style.height = 'auto';
        input.style.height = `${Math.min(input.scrollHeight + 2, 160)}px`;
      },
    });
    const form = el('form', { class: 'composer', part: 'composer', onsubmit: (e) => { e.preventDefault(); this.#send(); } },
      input, el('button', { type: 'submit', class: 'primary' }, s.send));
    footer.replaceChildren(form);
    this.#els.input = input;
  }

  #send() {
    const input = this.#els.input;
    const conv = this.#log?.conv;
    if (!input || !conv) return;
    const body = input.value;
    if (!body.trim()) return;
    const room = conv.kind === 'room';
    let id;
    try {
      id = this.#client.sendMessage({ to: conv.jid, body, type: room ? 'groupchat' : 'chat' });
    } catch (err) {
      // Not sent: the text stays in the box.
      this.#note(conv.jid, format(this.#strings, 'actionFailed', { action: this.#strings.send, reason: reasonText(this.#strings, err.condition ?? err.message) }));
      return;
    }
    this.#stopComposing(false);
    input.value = '';
    input.style.height = 'auto';
    const nick = room ? this.#client.rooms.find((r) => r.jid === conv.jid)?.nick : undefined;
    conv.add({
      keys: [`me:${id}`], id, from: this.#client.jid, nick, body, outgoing: true, time: Date.now(),
      tick: room ? undefined : this.#model.knownTick(id),
    });
    this.#stickToBottom = true;
    this.#invalidate('log', 'sidebar');
  }

  #stickToBottom = false;

  #composingNow(conv) {
    if (!this.#client || this.#client.status !== 'online') return;
    const type = conv.kind === 'room' ? 'groupchat' : 'chat';
    if (this.#composing?.to !== conv.jid) {
      this.#stopComposing(true);
      try {
        this.#client.sendChatState(conv.jid, 'composing', { type });
      } catch {
        return;
      }
      this.#composing = { to: conv.jid, type, timer: 0 };
    }
    clearTimeout(this.#composing.timer);
    this.#composing.timer = setTimeout(() => this.#stopComposing(true), PAUSED_AFTER_MS);
  }

  /** Ends our 'composing': with a 'paused' when the user stopped typing (not when the message itself ends it). */
  #stopComposing(sendPaused) {
    const c = this.#composing;
    if (!c) return;
    clearTimeout(c.timer);
    this.#composing = null;
    if (sendPaused && this.#client?.status === 'online') {
      try {
        this.#client.sendChatState(c.to, 'paused', { type: c.type });
      } catch {
        // the session went: nothing to tell
      }
    }
  }

  #drawTyping() {
    const { typing } = this.#els;
    const conv = this.#log?.conv;
    if (!typing || !conv) return;
    const names = conv.typingNow(Date.now()).map((who) => (conv.kind === 'room' ? who : this.#nameOf(who)));
    typing.textContent = names.length ? format(this.#strings, 'typing', { name: names.join(', ') }) : '';
  }

  #drawPeople() {
    const { people } = this.#els;
    const conv = this.#log?.conv;
    if (!people || !conv) return;
    const room = conv.kind === 'room' ? this.#client.rooms.find((r) => r.jid === conv.jid) : null;
    people.hidden = !room || !this.#showPeople;
    if (people.hidden) return;
    const occupants = [...room.occupants].sort((a, b) => a.nick.localeCompare(b.nick));
    people.replaceChildren(el('ul', {}, occupants.map((o) => el('li', {},
      el('span', { dir: 'auto' }, o.self ? `${o.nick} (${this.#strings.you})` : o.nick),
      o.role !== 'participant' && o.role !== 'none' ? el('span', { class: 'role' }, o.role) : null))));
  }

  // The message log: a window of at most LOG_WINDOW messages (plus what the
  // user scrolled back to), drawn again only when messages came before its
  // end; new messages at the end are appended.
  #drawLog() {
    const log = this.#log;
    const logEl = this.#els.logEl;
    if (!log || !logEl) return;
    const conv = log.conv;
    const msgs = conv.messages;
    const atBottom = this.#stickToBottom || logEl.scrollHeight - logEl.scrollTop - logEl.clientHeight < NEAR_EDGE_PX;
    this.#stickToBottom = false;
    const fromBottom = logEl.scrollHeight - logEl.scrollTop;
    const first = log.entries[0];
    const last = log.entries.at(-1);
    const lastIndex = last ? msgs.lastIndexOf(last) : -1;
    const appendOnly = last && lastIndex === log.start + log.entries.length - 1 && msgs[log.start] === first && !log.topChanged && !log.showFrom;
    const added = appendOnly ? msgs.length - 1 - lastIndex : 0;
    const trim = atBottom && log.entries.length + added > LOG_WINDOW * 3;
    if (appendOnly && added > 0 && !trim) {
      for (let i = lastIndex + 1; i < msgs.length; i++) this.#appendMessage(msgs[i], msgs[i - 1]);
    } else if (!appendOnly || trim) {
      // Rebuild: keep the first message shown at the top unless the user is at the bottom.
      let start = first && !atBottom ? msgs.indexOf(first) : -1;
      if (log.showFrom) {
        start = Math.max(0, msgs.indexOf(log.showFrom));
        log.showFrom = null;
      }
      if (start < 0 || (atBottom && msgs.length - start > LOG_WINDOW * 3)) start = Math.max(0, msgs.length - LOG_WINDOW);
      log.start = start;
      log.entries = [];
      log.nodes = new Map();
      logEl.replaceChildren(this.#topNote(conv));
      for (let i = start; i < msgs.length; i++) this.#appendMessage(msgs[i], msgs[i - 1]);
      log.topChanged = false;
    }
    this.#updateTopNote(conv);
    for (const m of log.entries) {
      const node = log.nodes.get(m);
      if (node && ((node.dataset.tick ?? '') !== (m.tick ?? '') || (m.error && !node.classList.contains('failed')))) {
        const fresh = this.#messageNode(m);
        node.replaceWith(fresh);
        log.nodes.set(m, fresh);
      }
    }
    if (conv.note) {
      logEl.append(el('p', { class: 'note', role: 'status' }, conv.note));
      conv.note = null;
    }
    if (this.#restoreAnchor && conv.historyBefore !== undefined && !conv.historyLoading) {
      this.#restoreScroll(conv);
    } else if (atBottom) logEl.scrollTop = logEl.scrollHeight;
    else logEl.scrollTop = logEl.scrollHeight - fromBottom;
  }

  // The top of the log, watched: when it comes into view (scrolled up, by
  // wheel, keys or touch, or a log too short to scroll) older messages come.
  // Back after a reload: the message that was at the top of the log, at
  // the same offset, loading older pages (a few at most) to reach it.
  #restoreScroll(conv) {
    const log = this.#log;
    const logEl = this.#els.logEl;
    const anchor = this.#restoreAnchor;
    const m = anchor.key ? conv.byKey(anchor.key) : null;
    if (!anchor.atBottom && !m && !conv.historyComplete && (log.restorePages = (log.restorePages ?? 0) + 1) < 8) {
      this.#loadOlder(conv);
      return;
    }
    this.#restoreAnchor = null;
    const index = m ? conv.messages.indexOf(m) : -1;
    if (index >= 0 && index < log.start) {
      // Loaded but above the window: draw from it, then place it.
      log.showFrom = m;
      this.#restoreAnchor = anchor;
      this.#invalidate('log');
      return;
    }
    const node = m && log.nodes.get(m);
    if (!node) {
      logEl.scrollTop = logEl.scrollHeight;
      return;
    }
    logEl.scrollTop += node.getBoundingClientRect().top - logEl.getBoundingClientRect().top - anchor.offset;
  }

  #topNote(conv) {
    const note = el('p', { class: 'note top' });
    this.#log.top = note;
    this.#updateTopNote(conv);
    this.#topWatcher?.disconnect();
    this.#topWatcher = new IntersectionObserver((seen) => {
      if (seen.some((e) => e.isIntersecting)) this.#showOlder();
    }, { root: this.#els.logEl, rootMargin: `${NEAR_EDGE_PX}px 0px 0px 0px` });
    this.#topWatcher.observe(note);
    return note;
  }

  #topWatcher = null;

  #showOlder() {
    const log = this.#log;
    if (!log) return;
    if (log.start > 0) {
      // Older messages already loaded: put them back in the window.
      log.showFrom = log.conv.messages[Math.max(0, log.start - LOG_WINDOW / 2)];
      this.#invalidate('log');
    } else this.#loadOlder(log.conv);
  }

  #updateTopNote(conv) {
    const note = this.#log?.top;
    if (!note) return;
    const s = this.#strings;
    let text = ''; // nothing while older messages are still in memory above the window
    if (this.#log.start > 0) text = '';
    else if (conv.historyLoading) text = s.loadingHistory;
    else if (conv.historyError) text = format(s, 'historyFailed', { reason: reasonText(s, conv.historyError) });
    else if (conv.historyComplete) text = s.historyStart;
    // Never hidden: it is what the IntersectionObserver watches.
    note.textContent = text;
  }

  #appendMessage(m, previous) {
    const log = this.#log;
    if (!previous || log.entries.length === 0 || dayOf(previous.time) !== dayOf(m.time)) {
      this.#els.logEl.append(el('p', { class: 'day', role: 'separator' }, dayLabel(m.time, Date.now(), this.#strings)));
    }
    const node = this.#messageNode(m);
    log.entries.push(m);
    log.nodes.set(m, node);
    this.#els.logEl.append(node);
  }

  #messageNode(m) {
    const s = this.#strings;
    const room = this.#log.conv.kind === 'room';
    const meta = el('span', { class: 'meta' }, el('time', { datetime: new Date(m.time).toISOString() }, timeLabel(m.time)));
    if (m.error) meta.append(el('span', {}, format(s, 'failed', { reason: reasonText(s, m.error) })));
    else if (m.tick) {
      const mark = m.tick === 'sent' ? '✓' : '✓✓';
      meta.append(el('span', { class: `tick ${m.tick}`, 'aria-label': s[m.tick], title: s[m.tick] }, mark));
    }
    const node = el('div', {
      class: `msg ${m.outgoing ? 'out' : 'in'}${m.error ? ' failed' : ''}`, part: m.outgoing ? 'message message-out' : 'message message-in',
      dataset: { tick: m.tick ?? '' },
    },
    room && !m.outgoing && m.nick ? el('span', { class: 'nick', dir: 'auto' }, m.nick) : null,
    el('div', { class: 'bubble', part: 'bubble', dir: 'auto' }, linkified(m.body)),
    meta);
    return node;
  }

  #onScroll() {
    const logEl = this.#els.logEl;
    const log = this.#log;
    if (!logEl || !log) return;
    if (logEl.scrollTop < NEAR_EDGE_PX) this.#showOlder();
    this.#scrollSaveQueued ||= setTimeout(() => {
      this.#scrollSaveQueued = 0;
      this.#rememberScroll();
      this.#model?.save();
    }, 300);
  }

  #scrollSaveQueued = 0;

  #rememberScroll() {
    const logEl = this.#els.logEl;
    if (!logEl || !this.#log || !this.#model || this.#restoreAnchor) return;
    if (logEl.scrollHeight - logEl.clientHeight - logEl.scrollTop < NEAR_EDGE_PX) {
      this.#model.anchor = null; // at the bottom: the next page starts there too
      return;
    }
    const top = logEl.getBoundingClientRect().top;
    for (const m of this.#log.entries) {
      const rect = this.#log.nodes.get(m)?.getBoundingClientRect();
      if (rect && rect.bottom > top) {
        this.#model.anchor = { key: m.keys[0], offset: Math.round(rect.top - top) };
        return;
      }
    }
  }

  #loadOlder(conv) {
    if (conv.historyLoading || conv.historyComplete || !this.#client || this.#client.status !== 'online') return;
    const client = this.#client;
    const options = { max: HISTORY_PAGE };
    if (conv.historyBefore) options.before = conv.historyBefore;
    conv.historyLoading = client.history(conv.jid, options).then((page) => {
      conv.historyError = null;
      const firstBefore = this.#log?.conv === conv ? conv.messages[0] : null;
      const entries = page.messages.map((m) => this.#entryOf(m)).filter((f) => f?.conv === conv).map((f) => f.entry);
      conv.addOlder(entries);
      conv.historyBefore = page.first ?? null;
      conv.historyComplete = page.complete || !page.first;
      // Show what came above the window's top.
      if (this.#log?.conv === conv && this.#log.start === 0 && firstBefore) this.#log.showFrom = conv.messages[0];
    }, (err) => {
      conv.historyError = err.condition ?? err.message;
      conv.historyComplete = true;
      conv.historyBefore ??= null;
    }).finally(() => {
      conv.historyLoading = null;
      if (this.#log?.conv === conv) {
        this.#log.topChanged = true;
        this.#invalidate('log');
      }
    });
    if (this.#log?.conv === conv) this.#updateTopNote(conv);
  }

  // --- seen and unread ------------------------------------------------------------

  #isSeen(conv) {
    return this.#log?.conv === conv && document.visibilityState === 'visible' && this.#view === 'chat';
  }

  /** The open conversation is read: unread goes to 0 and the sender hears it was displayed (XEP-0333). */
  #markSeen() {
    const conv = this.#log?.conv;
    if (!conv || !this.#isSeen(conv)) return;
    if (conv.unread) {
      conv.unread = 0;
      this.#invalidate('sidebar');
    }
    if (conv.kind !== 'chat' || this.#client?.status !== 'online') return;
    const last = conv.messages.findLast((m) => m.markable);
    if (!last || last.id === conv.lastMarkedId) return;
    conv.lastMarkedId = last.id;
    try {
      this.#client.markDisplayed(last.ref);
    } catch {
      // a message we cannot name back: nothing to mark
    }
  }

  #onKeyDown(e) {
    if (e.key !== 'Escape') return;
    if (this.#form) {
      e.preventDefault();
      this.#toggleForm(this.#form);
    } else if (this.#showPeople) {
      e.preventDefault();
      this.#showPeople = false;
      this.#invalidate('people', 'head');
    } else if (this.#log) {
      e.preventDefault();
      this.#closeConversation();
    }
  }
}

if (globalThis.customElements && !customElements.get('xmpp-chat')) customElements.define('xmpp-chat', XmppChatElement);

export { createClient };
