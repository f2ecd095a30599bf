// state.js: what a client keeps between events, the same for a Client
// (fed by its core) and a SharedClient (fed by the session's owner): the
// app's listeners, the roster and the rooms as the events left them, and
// the checks on createClient's options.

/** Calls an app's callback; what it throws is rethrown outside the session loop, so the loop goes on. */
export function callSafely(fn, arg) {
  try {
    fn(arg);
  } catch (err) {
    queueMicrotask(() => {
      throw err;
    });
  }
}

/** The bare JID of a JID, lower-cased: how a tab, the owner and the widget compare accounts and contacts. */
export function bareJid(jid) {
  const s = String(jid ?? '');
  const slash = s.indexOf('/');
  return (slash < 0 ? s : s.slice(0, slash)).toLowerCase();
}

/** Where a marker for `message` goes (XEP-0333): its sender, or in a room the room, naming the
 * room's stanza-id (XEP-0359) there and the message's own id in a chat. */
export function markerTarget(message) {
  const room = message?.room;
  return { to: room ?? message?.from, id: room ? message.stanzaId ?? message.id : message?.id, type: room ? 'groupchat' : 'chat' };
}

/** The app's event listeners. */
export class Listeners {
  #byEvent = new Map();

  on(event, fn) {
    if (!this.#byEvent.has(event)) this.#byEvent.set(event, new Set());
    this.#byEvent.get(event).add(fn);
  }

  off(event, fn) {
    this.#byEvent.get(event)?.delete(fn);
  }

  emit(event, payload) {
    const set = this.#byEvent.get(event);
    if (!set) return;
    for (const fn of [...set]) callSafely(fn, payload);
  }
}

/** Checks createClient's options; returns the rest and the password apart. */
export function checkOptions(options) {
  if (!options || typeof options !== 'object') throw new TypeError('createClient: options are required');
  const { service, jid, password } = options;
  if (!service) throw new TypeError('createClient: options.service (the BOSH URL) is required');
  if (!jid) throw new TypeError('createClient: options.jid is required');
  if (typeof password !== 'string') throw new TypeError('createClient: options.password must be a string');
  if (password.includes('\0') || String(jid).includes('\0')) throw new TypeError('createClient: NUL in jid or password');
  const { password: _, ...rest } = options;
  return { rest, password };
}

/** The contacts (RFC 6121), by bare JID, as the last 'roster' events left them. */
export class RosterTable {
  #items = new Map();

  apply({ full, items }) {
    if (full) this.#items.clear();
    for (const item of items) {
      if (item.subscription === 'remove') this.#items.delete(item.jid);
      else this.#items.set(item.jid, item);
    }
  }

  list() {
    return [...this.#items.values()];
  }
}

/** The rooms we are in (XEP-0045): { jid, nick, role, affiliation, subject, occupants: Map(nick -> occupant) }. */
export class RoomTable {
  #rooms = new Map(); // lower-cased room JID -> room

  get(room) {
    return typeof room === 'string' ? this.#rooms.get(room.toLowerCase()) : undefined;
  }

  #room(jid) {
    const key = jid.toLowerCase();
    const room = this.#rooms.get(key) ?? { jid, occupants: new Map() };
    this.#rooms.set(key, room);
    return room;
  }

  joined({ room, nick, role, affiliation }) {
    Object.assign(this.#room(room), { nick, role, affiliation });
  }

  left(room) {
    this.#rooms.delete(room.toLowerCase());
  }

  subject(room, subject) {
    const r = this.get(room);
    if (r) r.subject = subject;
  }

  /** An occupant came, changed or went (available false). */
  occupant(room, available, occupant) {
    const r = this.#room(room);
    if (available) r.occupants.set(occupant.nick, occupant);
    else r.occupants.delete(occupant.nick);
  }

  list() {
    return [...this.#rooms.values()].map((r) => ({ ...r, occupants: [...r.occupants.values()] }));
  }
}
