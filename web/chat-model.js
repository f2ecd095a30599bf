// chat-model.js: what the <xmpp-chat> widget knows, apart from how it is
// shown: the conversations (each message once, in time order, however many
// ways it arrives: live, as a carbon, from another tab, from the archive),
// unread counts, delivery and read ticks, pending contact requests, and the
// page state that comes back after a reload (sessionStorage, per tab).

import { bareJid } from './state.js';

export { bareJid };

const TICK_ORDER = { sent: 0, delivered: 1, read: 2 };
const MAX_SAVED_TICKS = 500;

/**
 * One conversation: a contact's chat or a room. Messages are
 * { key, keys, id, from, nick, body, time, outgoing, tick, error, markable, stanzaId }.
 */
export class Conversation {
  constructor(jid, kind) {
    this.jid = jid;
    this.kind = kind; // 'chat' | 'room'
    this.messages = [];
    this.unread = 0;
    this.typing = new Map(); // who (nick or bare JID) -> until (ms)
    this.historyBefore = undefined; // undefined: nothing loaded yet; then the archive's cursor
    this.historyComplete = false;
    this.historyLoading = null;
    this.lastMarkedId = null;
    this.#byKey = new Map();
  }

  #byKey;

  /** Adds a message unless one of its keys is known; returns the stored message, or null for a copy. */
  add(message) {
    for (const k of message.keys) {
      const known = this.#byKey.get(k);
      if (known) {
        // A copy: it may still tell what the first one lacked (the archive's id).
        if (message.stanzaId && !known.stanzaId) {
          known.stanzaId = message.stanzaId;
          this.#byKey.set(`sid:${message.stanzaId}`, known);
        }
        return null;
      }
    }
    for (const k of message.keys) this.#byKey.set(k, message);
    // Mostly appended (live) or prepended (history); otherwise in time order.
    const list = this.messages;
    if (list.length === 0 || list.at(-1).time <= message.time) list.push(message);
    else if (list[0].time > message.time) list.unshift(message);
    else {
      let i = list.length;
      while (i > 0 && list[i - 1].time > message.time) i--;
      list.splice(i, 0, message);
    }
    return message;
  }

  /** Adds a history page (oldest first, all older than what is here) before the rest, each message once. */
  addOlder(messages) {
    const fresh = [];
    for (const m of messages) {
      if (m.keys.some((k) => this.#byKey.has(k))) {
        this.add(m); // a copy: add() keeps what it adds to the first
        continue;
      }
      for (const k of m.keys) this.#byKey.set(k, m);
      fresh.push(m);
    }
    // Archive order, not clock order: messages sent within one millisecond keep theirs.
    if (fresh.length) this.messages.unshift(...fresh);
    return fresh.length;
  }

  byKey(key) {
    return this.#byKey.get(key) ?? null;
  }

  /** Who is typing now (names), dropping states older than their time. */
  typingNow(now) {
    const names = [];
    for (const [who, until] of this.typing) {
      if (until > now) names.push(who);
      else this.typing.delete(who);
    }
    return names;
  }
}

/** Keys a message is known by: the archive's id, and the sender's id for it. */
export function messageKeys({ stanzaId, originId, id, outgoing, from, nick, room }) {
  const keys = [];
  if (stanzaId) keys.push(`sid:${stanzaId}`);
  // Our own messages are known by the ids we gave them (origin-id and id,
  // the same unless an app chose the id), whatever resource or tab sent
  // them; others' by sender and id (ids are only unique per sender).
  for (const own of new Set([originId, id])) {
    if (!own) continue;
    if (outgoing) keys.push(`me:${own}`);
    else keys.push(`${room ? `nick:${nick}` : `from:${bareJid(from)}`}:${own}`);
  }
  return keys;
}

/** Everything the widget shows: conversations by JID, requests, blocklist, ticks; saved per tab. */
export class ChatModel {
  constructor(storageKey) {
    this.storageKey = storageKey;
    this.conversations = new Map();
    this.requests = new Set(); // bare JIDs asking to see our presence
    this.blocked = new Set();
    this.ticks = new Map(); // our message id -> 'delivered' | 'read' (for messages not loaded yet)
    this.open = null; // { jid, kind }
    this.anchor = null; // { key, offset }: the open conversation's top message and where it was; null: at the bottom
    this.account = null; // { jid } of the last sign-in in this tab, for the next page
    this.#load();
  }

  conversation(jid, kind = 'chat') {
    let c = this.conversations.get(jid);
    if (!c) {
      c = new Conversation(jid, kind);
      this.conversations.set(jid, c);
      const saved = this.#saved?.unread?.[jid];
      if (saved) c.unread = saved;
      c.lastMarkedId = this.#saved?.marked?.[jid] ?? null;
    }
    return c;
  }

  /** A receipt or marker for our message `id`: the tick goes up, never down. */
  tick(conversationJid, id, tick) {
    const c = this.conversations.get(conversationJid);
    const m = c?.byKey(`me:${id}`);
    const known = m?.tick ?? this.ticks.get(id) ?? 'sent';
    if (TICK_ORDER[tick] <= TICK_ORDER[known]) return;
    this.ticks.set(id, tick);
    while (this.ticks.size > MAX_SAVED_TICKS) this.ticks.delete(this.ticks.keys().next().value);
    if (m) m.tick = tick;
  }

  /** The tick an arriving copy of our message gets from receipts that came first. */
  knownTick(id) {
    return this.ticks.get(id) ?? 'sent';
  }

  // --- the next page in this tab --------------------------------------------
  #saved = null;

  static #storage() {
    try {
      return globalThis.sessionStorage ?? null;
    } catch {
      return null; // storage disabled: nothing comes back after a reload
    }
  }

  #load() {
    try {
      const text = ChatModel.#storage()?.getItem(this.storageKey);
      if (!text) return;
      const s = JSON.parse(text);
      this.#saved = s;
      this.account = s.account ?? null;
      this.open = s.open ?? null;
      if (typeof s.anchor?.key === 'string' && Number.isFinite(s.anchor.offset)) this.anchor = { key: s.anchor.key, offset: s.anchor.offset };
      for (const jid of s.requests ?? []) this.requests.add(jid);
      for (const [id, t] of s.ticks ?? []) if (t in TICK_ORDER) this.ticks.set(id, t);
    } catch {
      // damaged: start afresh
    }
  }

  save() {
    const storage = ChatModel.#storage();
    if (!storage) return;
    const unread = {};
    const marked = {};
    for (const [jid, c] of this.conversations) {
      if (c.unread) unread[jid] = c.unread;
      if (c.lastMarkedId) marked[jid] = c.lastMarkedId;
    }
    const state = {
      account: this.account, open: this.open, anchor: this.anchor,
      requests: [...this.requests], ticks: [...this.ticks], unread, marked,
    };
    try {
      storage.setItem(this.storageKey, JSON.stringify(state));
    } catch {
      // quota: the next page starts with less
    }
  }

  forget() {
    try {
      ChatModel.#storage()?.removeItem(this.storageKey);
    } catch {
      // nothing saved
    }
  }
}
