// Type declarations for xmpp-wasm: XMPP over BOSH for web pages.

/** What createClient() takes. Only `service`, `jid` and `password` are required; every other option has
 * the default its comment gives. */
export interface ClientOptions {
  /** The BOSH endpoint, e.g. 'http://127.0.0.1:5280/bosh'. */
  service: string;
  /** The account's bare JID (or full JID to ask for a resource). Its localpart is prepared as RFC 8265
   * UsernameCaseMapped (lower case, NFC). */
  jid: string;
  /** Prepared as RFC 8265 OpaqueString (NFC; non-ASCII spaces become U+0020; control characters are
   * refused with a TypeError at connect()). Handed to the core at connect() and not kept by this object;
   * the core wipes it once SCRAM's SaltedPassword can log in again, or, with PLAIN, keeps it while
   * `reconnect` is on (automatic re-login needs it) and wipes it when the client ends. A page that
   * carried on a saved session (`resume`) keeps it until a login needs it. Empty: the client can only
   * carry on a saved session (`resume`) or one another tab holds (`shareAcrossTabs`); a login fails
   * with 'not-authorized' (how the <xmpp-chat> element comes back after a reload without asking). */
  password: string;
  /** Resource to ask the server to bind. */
  resource?: string;
  /** Allow SASL PLAIN over a plain http:// service (sends the password in the clear). Default false. */
  allowPlain?: boolean;
  /** XEP-0124 `wait` to ask for, in seconds (default 60). */
  wait?: number;
  /** XEP-0124 `hold` to ask for (default 1). */
  hold?: number;
  /** Send available presence once online (default true). */
  initialPresence?: boolean;
  /** Retransmissions of one request before the session is given up (default 3). */
  maxRetries?: number;
  /** First retransmission delay in ms, doubled each time, ±50% jitter (default 250). */
  backoffBaseMs?: number;
  /** Cap on the retransmission delay in ms (default 8000). */
  backoffMaxMs?: number;
  /** Added to `wait` before an unanswered request is aborted, in ms (default 10000). */
  timeoutMarginMs?: number;
  /** Default IQ timeout in ms (default 30000). */
  iqTimeoutMs?: number;
  /** Per-stanza limits. A stanza past one is skipped with an 'error' event (condition 'policy-violation',
   * with `from` and `limit`), and the session goes on. Largest stanza as received, in bytes (default 1 MiB).
   * It protects from peers: an IQ from our own server or account (no `from`, or `from` our bare JID or
   * our server's domain, which peers cannot forge: RFC 6120 §8.1.2.1, RFC 6121 §2.1.6), such as a large
   * roster, is bounded by maxBodyBytes only; messages (carbons and archive results too) keep the limit. */
  maxStanzaBytes?: number;
  /** Largest HTTP response (default 8 MiB): past it the session ends with a terminate request and
   * 'policy-violation', and the client logs in again as after any lost session. */
  maxBodyBytes?: number;
  /** Deepest element nesting in a stanza, the stanza itself being 1 (default 256). */
  maxDepth?: number;
  /** Most attributes on one element (default 256). */
  maxAttributes?: number;
  /** Longest attribute value in bytes (default 65536). */
  maxAttributeLength?: number;
  /** Most IQs awaiting an answer; ping() past it throws XmppError('resource-constraint') (default 256). */
  maxPendingIqs?: number;
  /** Most bytes of outgoing stanzas queued while the request window is full; a send past it
   * throws XmppError('resource-constraint') and sends nothing (default 1 MiB). sendMessage() past it
   * queues in the outbox instead (maxOutbox). */
  maxQueuedBytes?: number;
  /** Most messages sendMessage() may queue while reconnecting or while maxQueuedBytes is full; past
   * it, it throws XmppError('resource-constraint') (default 1000). */
  maxOutbox?: number;
  /** Most one-to-one messages kept until the peer's client confirms them (XEP-0184 receipt or a
   * XEP-0333 marker; default 1000, 0: off; when full, a new message is not kept). A server can acknowledge a message and still lose it (a
   * cluster node dying with the peer's session or with ours). When a peer that has answered receipts
   * before comes online again (an available presence), what it has not confirmed of ours goes out
   * again 2 s later, with its id and origin-id unchanged and a XEP-0203 delay giving its first
   * sending time: at most 3 times, and only for 5 minutes after it was first sent. The peer's client
   * drops a copy it already has (same sender, same origin-id) and answers its receipt. */
  resendUnconfirmed?: number;
  /** The most PBKDF2 iterations a server may ask of SCRAM (default 600000, at least 4096). The key is
   * derived a few thousand iterations per call, so the page stays responsive; a server asking more
   * fails the login with 'server-auth-failed'. */
  maxScramIterations?: number;
  /** After a catch-up or a stream resumption, how long (ms) copies of delivered messages that the server
   * routes again are looked for (default 120000). */
  resendWindowMs?: number;
  /** In browsers, end the session (unavailable presence, then terminate, sent with a keepalive
   * fetch) when the page is hidden for good (pagehide), so no ghost stays online. Default true. */
  closeOnPageHide?: boolean;
  /** In browsers, share one session among all tabs of the origin that use the same service and
   * account (default true): in a SharedWorker where there is one, else in the tab holding a Web Lock.
   * createClient then returns a SharedClient. false: a session (and resource) per tab. No effect in
   * Node. See docs/tabs.md. */
  shareAcrossTabs?: boolean;
  /** After a session that was online is lost (connection-failed, item-not-found after a server
   * restart, system-shutdown, …), log in again with backoff (default true). Messages sent while
   * reconnecting are queued and sent once online. */
  reconnect?: boolean;
  /** First reconnection delay in ms, doubled per attempt, ±50% jitter (default 1000). */
  reconnectDelayMs?: number;
  /** Cap on the reconnection delay in ms (default 30000). */
  reconnectMaxDelayMs?: number;
  /** Attempts before giving up with an 'offline' event (default 10). Logins ended by a response over
   * maxBodyBytes count as attempts even once online, so a body the server hands over at every login
   * cannot loop forever. */
  maxReconnectAttempts?: number;
  /** After a reconnection, fetch what the lost session missed from the server's message archive
   * (XEP-0313) before sending presence: everything after the last archived message delivered
   * (or, if none was, since a minute before the first login), in order, each message once. The
   * reconnection also takes the lost session's resource back, so the server closes that ghost.
   * A 'caughtUp' event follows. Default true. */
  catchUp?: boolean;
  /** Most archived messages one catch-up fetches (default 10000); if more are waiting, 'caughtUp'
   * says complete: false and condition 'resource-constraint'. */
  catchUpMax?: number;
  /** Archived messages asked for per page (default 100, at most 1000); a result beyond it is
   * dropped with an 'error' event (XEP-0059 §2.1). */
  catchUpPageSize?: number;
  /** XEP-0198 stream management where the server offers it (default true): a lost session
   * resumes its stream (the server resends what we never acknowledged; its count says which of
   * our messages to resend) before falling back to a new login and the archive. */
  streamManagement?: boolean;
  /** How long in ms a new request waits for an earlier unanswered one that is not yet known to
   * have reached the server (default 50); while an earlier one waits to be sent again, a new one
   * waits for it. Requests sent closer may reach the server out of order, and ejabberd then
   * stalls both until `wait` ends. 0 sends at once. */
  requestGapMs?: number;
  /** In browsers, survive page reloads: on pagehide the session (sid, request ids and the bytes
   * of unanswered requests, never the password), where the next catch-up starts and the messages
   * queued while reconnecting are saved in sessionStorage, and the next connect() in the same tab
   * carries on the same BOSH session without logging in again; what arrived meanwhile is
   * delivered then. If the saved session is gone (or the page went while reconnecting),
   * connect() logs in at once and catches up. With resume on, pagehide keeps the session instead
   * of ending it: a closed tab stays online until the server's wait plus inactivity run out.
   * Default false. */
  resume?: boolean;
  /** With resume: on pagehide, ask the server to keep the session this many seconds with no
   * request held (XEP-0124 pause, capped at the server's maxpause). Default 0 (no pause):
   * ejabberd loses the stanzas waiting for delivery at the moment of a pause. */
  resumePauseSeconds?: number;
  /** Fetch the roster at every new login (RFC 6121 §2.2), with the version held where the server
   * offers versioning (§2.6). Default true. */
  roster?: boolean;
  /** Ask for a delivery receipt on chat and normal messages with a body, and answer requests for one
   * from contacts subscribed to our presence (XEP-0184; no receipt to strangers, §8). Default true. */
  receipts?: boolean;
  /** Mark our chat and normal messages markable (XEP-0333). Default true. */
  markers?: boolean;
  /** Enable message carbons where the server offers them (XEP-0280). Default true. */
  carbons?: boolean;
  /** Where to load the core from: a URL, the bytes, or a compiled module. Default: xmpp-wasm.wasm beside this module. */
  wasm?: string | URL | ArrayBuffer | ArrayBufferView | WebAssembly.Module;
}

/** A message, as the 'message' event and history() pages give it. */
export interface MessageEvent {
  /** The sender's full JID (a room message: the room's JID and the sender's nickname). */
  from?: string;
  /** To whom it was sent: us, or, for one of ours (outgoing), the peer. */
  to?: string;
  /** The sender's id for it; receipts and markers name it. */
  id?: string;
  /** chat, normal, groupchat, headline or error */
  type: string;
  /** The text. */
  body?: string;
  /** The subject (a room's subject when it comes from a room). */
  subject?: string;
  /** The conversation thread (RFC 6121 §5.2.5). */
  thread?: string;
  /** The whole stanza as XML, for extensions. */
  xml: string;
  /** The id the archive gave the message (XEP-0359 stanza-id: our server's, or the room's for a room message). */
  stanzaId?: string;
  /** The sender's own id for it (XEP-0359 origin-id), kept by every copy. A one-to-one message whose
   * sender (its bare JID; through a room, the occupant) and origin-id match one already delivered is a
   * copy (a sender's resend, see resendUnconfirmed) and is not delivered again; its receipt is still sent. */
  originId?: string;
  /** From an archive: a catch-up after a reconnection, or a history() page. */
  archived?: boolean;
  /** When it was sent, for a message that was stored (archive, offline storage, room history) or that its
   * sender sends again because no receipt came (XEP-0203). Messages that arrive after later ones (a
   * catch-up, offline storage, a resend) have one: sort by it, as the widget does. */
  delay?: string;
  /** Sent by our account: a 'sent' carbon, ours in our archive, ours in a room. Never judged from a
   * 'from' alone: anyone can send a message whose inner 'from' claims to be us. */
  outgoing?: boolean;
  /** A copy of a message of our account's other resources (XEP-0280): 'received' or 'sent'. */
  carbon?: 'received' | 'sent';
  /** A room message (XEP-0045): the room's bare JID and the sender's nickname. */
  room?: string;
  /** A room message: the sender's nickname in the room. */
  nick?: string;
  /** The sender asked for a receipt (XEP-0184); the client sent it if the sender may see our presence. */
  receiptRequested?: boolean;
  /** The sender wants to know when it is displayed (XEP-0333): markDisplayed(message). */
  markable?: boolean;
  /** A chat state that came with it (XEP-0085). */
  chatState?: ChatState;
  /** For type 'error': the RFC 6120 §8.3.3 condition. */
  errorCondition?: string;
}

/** Availability beyond online (RFC 6121 §4.7.2.1): away, free to chat, do not disturb, away for long. */
export type Show = 'away' | 'chat' | 'dnd' | 'xa';
/** A chat state (XEP-0085 §2). */
export type ChatState = 'active' | 'composing' | 'paused' | 'inactive' | 'gone';

/** One resource's presence (RFC 6121 §4) and its capabilities (XEP-0115). */
export interface ResourcePresence {
  /** The resource (the part of the full JID after '/'). */
  resource: string;
  /** Absent: plainly available. */
  show?: Show;
  /** The person's status text. */
  status?: string;
  /** -128..127; higher is preferred. */
  priority: number;
  /** The client software's XEP-0115 node, e.g. its web site. */
  capsNode?: string;
  /** Its XEP-0115 verification string: what discoInfo(jid, { node: capsNode + '#' + capsVer }) describes. */
  capsVer?: string;
}

/** A contact's presence: every available resource, and the best (highest priority, then the most
 * available show, then the latest); no best when offline. */
export interface ContactPresence {
  /** The resource to show for the contact; absent when the contact is offline. */
  best?: ResourcePresence;
  /** Every available resource. */
  resources: ResourcePresence[];
}

/** A presence stanza, as the 'presence' event gives it. */
export interface PresenceEvent {
  /** Whose presence: a full JID (or bare, for subscription requests). */
  from?: string;
  /** Ours, or the JID of a directed presence. */
  to?: string;
  /** 'available', 'unavailable', 'subscribe', 'subscribed', 'unsubscribe', 'unsubscribed', 'error', … */
  type: string;
  /** Absent: plainly available. */
  show?: Show;
  /** The status text. */
  status?: string;
  /** -128..127 (RFC 6121 §4.7.2.3). */
  priority?: number;
  /** The whole stanza as XML. */
  xml: string;
  /** For a contact's available or unavailable presence: the contact's presence after it. */
  contact?: ContactPresence;
  /** Told again on the next page of a session carried over a reload (resume). */
  restored: boolean;
}

/** A contact in the roster (RFC 6121 §2.1.2). */
export interface RosterItem {
  /** Bare JID. */
  jid: string;
  /** The name we gave the contact. */
  name?: string;
  /** 'none' | 'to' | 'from' | 'both'; 'remove' in a roster event for an item that is gone. */
  subscription: string;
  /** A subscription request of ours is pending (RFC 6121 §3.1.2). */
  ask?: boolean;
  /** The groups we put the contact in. */
  groups: string[];
}

/** The whole roster (full: after each login, and on the next page of a session carried over a
 * reload) or the items one push changed, with the server's roster version. */
export interface RosterEvent {
  /** The whole roster (true), or the items one push changed. */
  full: boolean;
  /** The server's roster version (RFC 6121 §2.6), null where it offers none. */
  version: string | null;
  /** The items: all of them, or the changed ones. */
  items: RosterItem[];
}

/** A page of history() (XEP-0313 with XEP-0059 paging). */
export interface HistoryPage {
  /** Oldest first; each with archived: true, stanzaId and delay. */
  messages: MessageEvent[];
  /** No older messages. */
  complete: boolean;
  /** Pass as `before` for the page before this one. */
  first: string | null;
  /** The archive id of the page's newest message. */
  last: string | null;
}

/** Someone in a room (XEP-0045). */
export interface Occupant {
  /** Their nickname in the room. */
  nick: string;
  /** The occupant's real JID, when the room tells us (non-anonymous rooms, or we moderate). */
  jid?: string;
  /** What they may do now (XEP-0045 §5.1). */
  role: 'moderator' | 'participant' | 'visitor' | 'none';
  /** Their lasting standing in the room (XEP-0045 §5.2). */
  affiliation: 'owner' | 'admin' | 'member' | 'outcast' | 'none';
  /** Their presence in the room. */
  show?: Show;
  /** Their status text. */
  status?: string;
  /** Us. */
  self: boolean;
}

/** A room we are in (XEP-0045). */
export interface Room {
  /** The room's bare JID. */
  jid: string;
  /** Our nickname there. */
  nick: string;
  /** Our role (XEP-0045 §5.1). */
  role: string;
  /** Our affiliation (XEP-0045 §5.2). */
  affiliation: string;
  /** The room's subject. */
  subject?: string;
  /** Everyone in the room, us included. */
  occupants: Occupant[];
}

/** What join() resolves with, and the 'roomJoined' event. */
export interface RoomJoined {
  /** The room's bare JID. */
  room: string;
  /** The nickname we have there (the room may have changed the one asked for). */
  nick: string;
  /** Our role (XEP-0045 §5.1). */
  role: string;
  /** Our affiliation (XEP-0045 §5.2). */
  affiliation: string;
}

/** What discoInfo() resolves with (XEP-0030 §3.1). */
export interface DiscoInfo {
  /** The entity that answered. */
  from: string;
  /** What it is: category and type from the XEP-0030 registry (server/im, client/web, conference/text, …), and a name. */
  identities: {
    /** E.g. 'server', 'client', 'conference'. */
    category: string;
    /** E.g. 'im', 'web', 'text'. */
    type: string;
    /** A human-readable name. */
    name?: string;
  }[];
  /** The namespaces it supports, e.g. 'urn:xmpp:mam:2'. */
  features: string[];
}

/** The 'offline' event: the client ended for good. */
export interface OfflineEvent {
  /** Why the session ended: 'disconnected' after disconnect(), else a condition such as
   * 'not-authorized', 'connection-failed', 'item-not-found', 'policy-violation'. */
  reason: string;
  /** A sentence for people, from the server or the client. */
  text: string;
}

/** `mechanism` is the SASL mechanism used, e.g. 'SCRAM-SHA-256'; a session carried on from the
 * previous page (resume) has `resumed: true` and no mechanism. */
export interface OnlineInfo {
  /** Our full JID, as the server bound it. */
  jid: string;
  /** The SASL mechanism of the login, e.g. 'SCRAM-SHA-256'. */
  mechanism?: string;
  /** The session was carried on (a reload with resume, or XEP-0198 stream resumption): no new login. */
  resumed?: boolean;
  /** This tab joined a session another tab had already opened (shareAcrossTabs). */
  attached?: boolean;
}

/** Where the client is: not connected or ended, logging in, online, or logging in again after a lost session. */
export type Status = 'offline' | 'connecting' | 'online' | 'reconnecting';

/** Every event of client.on(), with what its listener gets. */
export interface ClientEvents {
  /** The session is established; `mechanism` is the SASL mechanism used, e.g. 'SCRAM-SHA-256'. */
  online: OnlineInfo;
  /** A message: live, from a catch-up (archived), or a copy from another device of ours (carbon). */
  message: MessageEvent;
  /** A presence: a contact's, a subscription request, or our own reflected. */
  presence: PresenceEvent;
  /** The client ended for good: disconnect(), or a condition no new login can cure. */
  offline: OfflineEvent;
  /** `attempt`, `delay` (ms), `reason` (a condition) and `text` come with 'reconnecting'. */
  status: {
    /** The new status. */
    status: Status;
    /** Which attempt at logging in again this is, from 1. */
    attempt?: number;
    /** How long (ms) until that attempt. */
    delay?: number;
    /** The condition the session was lost with, e.g. 'connection-failed'. */
    reason?: string;
    /** A sentence for people about it. */
    text?: string;
  };
  /** A catch-up after a reconnection ended: `count` archived messages were delivered; `complete`
   * is false when the archive said there was more (or failed: `condition` says why, e.g.
   * 'feature-not-implemented' on a server without an archive, 'timeout'). */
  caughtUp: {
    /** Archived messages delivered. */
    count: number;
    /** The archive said this was all. */
    complete: boolean;
    /** Why not complete, e.g. 'feature-not-implemented'; null when complete. */
    condition: string | null;
  };
  /** A stanza the library does not handle itself. */
  stanza: {
    /** The whole stanza as XML. */
    xml: string;
  };
  /** The roster: the whole of it after each login, or what a push changed (RFC 6121 §2). */
  roster: RosterEvent;
  /** One of our messages arrived (XEP-0184); `id` is its id. */
  receipt: {
    /** The peer's full JID. */
    from: string;
    /** The id of our message. */
    id: string;
    /** For a room: the room. */
    room?: string;
    /** A copy from another device of ours (XEP-0280). */
    carbon?: 'received' | 'sent';
  };
  /** How far the other side got with one of our messages (XEP-0333). */
  marker: {
    /** Who sent the marker. */
    from: string;
    /** To whom (for a 'sent' carbon: the peer our other device told). */
    to?: string;
    /** The id of the message it is about. */
    id: string;
    /** How far they got: received, displayed (read), acknowledged. */
    marker: 'received' | 'displayed' | 'acknowledged';
    /** For a room: the room. */
    room?: string;
    /** For a room: the sender's nickname. */
    nick?: string;
    /** A copy from another device of ours (XEP-0280); 'sent': we marked it on another device or tab. */
    carbon?: 'received' | 'sent';
  };
  /** Typing and such (XEP-0085). */
  chatState: {
    /** Whose state. */
    from: string;
    /** The state: composing, paused, active, inactive, gone. */
    state: ChatState;
    /** The conversation thread it is about. */
    thread?: string;
    /** For a room: the room. */
    room?: string;
    /** For a room: the nickname. */
    nick?: string;
    /** A copy from another device of ours (XEP-0280). */
    carbon?: 'received' | 'sent';
  };
  /** The server says the blocklist changed (XEP-0191 §3.3); unblocked empty with nothing blocked: all. */
  blocklist: {
    /** JIDs now blocked. */
    blocked: string[];
    /** JIDs now unblocked. */
    unblocked: string[];
  };
  /** We are in a room: after join(), after the rejoin that follows a new login, and (restored) on
   * the next page of a session carried over a reload. */
  roomJoined: RoomJoined & {
    /** Told again on the next page of a session carried over a reload. */
    restored: boolean;
  };
  /** A join failed: condition conflict (nickname taken), registration-required (members only),
   * not-authorized (wrong password), forbidden (banned), service-unavailable (full), …; `room` says which. */
  roomError: XmppError;
  /** We left a room, or were kicked or banned (reason). */
  roomLeft: {
    /** The room's bare JID. */
    room: string;
    /** Why, when it was not our leave(). */
    reason: 'kicked' | 'banned' | null;
  };
  /** A room's subject, when we join and when it changes (XEP-0045 §8.1). */
  roomSubject: {
    /** The room's bare JID. */
    room: string;
    /** The subject; empty: none. */
    subject: string;
    /** The nickname of who set it, when the room says. */
    by: string | null;
  };
  /** Someone came, changed or left (available false). */
  occupant: Occupant & {
    /** The room's bare JID. */
    room: string;
    /** False: they left. */
    available: boolean;
  };
  /** Something went wrong but the session goes on: a stanza skipped over a per-stanza limit
   * (condition 'policy-violation', with `from` and `limit`), input dropped ('spoofed-iq',
   * 'spoofed-archive-result', 'bad-format', …), a queued message that can no longer be sent when
   * the client ends for good ('recipient-unavailable', with the message's `id`). */
  error: XmppError;
}

/** An error whose `condition` says why, e.g. 'not-authorized' or 'connection-failed'. */
export class XmppError extends Error {
  /** The RFC 6120 / XEP-0124 condition, or the client's own ('not-connected', 'resource-constraint', …). */
  readonly condition: string;
  /** A sentence for people about it. */
  readonly text: string;
  /** For a skipped stanza: its sender, when readable. */
  readonly from?: string;
  /** For a skipped stanza: the option whose limit it passed. */
  readonly limit?: 'maxDepth' | 'maxAttributes' | 'maxAttributeLength' | 'maxStanzaBytes';
  /** For a message that was never sent: its id. */
  readonly id?: string;
  /** For a room error: the room. */
  readonly room?: string;
}

/** A client of one account: one session, or (SharedClient) a tab's part in a session its tabs share. Made by createClient(). */
export class Client {
  /** Where the client is now. */
  readonly status: Status;
  /** The full JID bound by the server, once online. */
  readonly jid: string | null;
  /** Calls listener with every `event` (see ClientEvents) until off(). */
  on<K extends keyof ClientEvents>(event: K, listener: (e: ClientEvents[K]) => void): this;
  /** Stops calling a listener given to on(). */
  off<K extends keyof ClientEvents>(event: K, listener: (e: ClientEvents[K]) => void): this;
  /** Opens the session; rejects with an XmppError whose condition says why. */
  connect(): Promise<OnlineInfo>;
  /** Sends a message with an XEP-0359 origin-id; returns its id (generated when not given).
   * Throws TypeError for a bad JID or text XML cannot carry, XmppError('not-connected') before
   * the first online or after the end. While reconnecting the message is queued; if the session
   * is lost before the server acknowledged a message, the next session sends it again with the
   * same ids (unless the resumed stream or the archive shows the server got it). */
  sendMessage(message: {
    to: string;
    /** One of body and subject is needed; a subject to a room sets the room's subject (XEP-0045 §8.1). */
    body?: string;
    subject?: string;
    /** RFC 6121 §5.2.5: the conversation thread. */
    thread?: string;
    type?: 'chat' | 'normal' | 'groupchat' | 'headline';
    id?: string;
  }): string;
  /** Sends presence as given, e.g. directed presence to one JID (RFC 6121 §4.6). For our presence
   * at every login use setPresence(). */
  sendPresence(presence?: { show?: Show; status?: string; type?: string; to?: string }): void;
  /** XEP-0199 ping; resolves with the round trip in ms. An answer from anyone but `to` is dropped
   * with an 'error' event ('spoofed-iq') and does not settle it (RFC 6120 §8.1.2.1). */
  ping(options?: { to?: string; timeoutMs?: number }): Promise<number>;

  /** Calls fn for every stanza matching an element's name and namespace and a child's name and
   * namespace (each optional), besides what the client does with it. An IQ get or set the client
   * does not handle and a handler matches is left to the app to answer (with sendRaw); one nothing
   * matches is answered service-unavailable (RFC 6120 §8.4). Returns an id for removeHandler(). */
  addHandler(match: { name?: string; ns?: string; child?: string; childNs?: string }, fn: (stanza: { xml: string }) => void): number;
  /** Removes a handler addHandler() returned the id of; false when there is none. */
  removeHandler(id: number): boolean;
  /** Sends one element given as XML (unprefixed elements are in jabber:client), parsed and
   * serialized again; XmppError('not-well-formed') unless it is exactly one well-formed element. */
  sendRaw(xml: string): void;

  /** The roster as the server last said (RFC 6121 §2). */
  readonly roster: RosterItem[];
  /** Adds a contact, or changes its name and groups (RFC 6121 §2.3, §2.4); resolves once the server took it. */
  addContact(jid: string, options?: { name?: string; groups?: string[] }): Promise<void>;
  /** Removes a contact and the subscriptions both ways (RFC 6121 §2.5). */
  removeContact(jid: string): Promise<void>;
  /** Asks to see jid's presence (RFC 6121 §3.1). */
  subscribe(jid: string): void;
  /** Lets jid see our presence, answering its request (§3.1.4). */
  approve(jid: string): void;
  /** Refuses jid's request, or cancels the subscription it has (§3.2). */
  deny(jid: string): void;
  /** Stops seeing jid's presence (§3.3). */
  unsubscribe(jid: string): void;
  /** Our presence, now and at every later login (RFC 6121 §4.2, §4.7). */
  setPresence(presence?: { show?: Show; status?: string; priority?: number }): void;
  /** A contact's presence (bare JID): every resource and the best one. */
  presenceOf(jid: string): ContactPresence;
  /** XEP-0085: tells `to` our chat state; type 'groupchat' for a room. */
  sendChatState(to: string, state: ChatState, options?: { type?: 'chat' | 'groupchat' }): void;
  /** XEP-0333: tells the sender of a message event that it was displayed (or received, acknowledged). */
  markDisplayed(message: MessageEvent | { from: string; id: string }, marker?: 'received' | 'displayed' | 'acknowledged'): void;
  /** XEP-0313 + XEP-0059: a page of the conversation with `jid` (a room we are in: the room's
   * archive), newest first: without `before` the latest page, then the page's `first` as `before`.
   * Results that answer no query of ours, or come from another archive, are dropped with an 'error'. */
  history(jid: string, options?: { before?: string; max?: number }): Promise<HistoryPage>;
  /** The rooms we are in (XEP-0045). */
  readonly rooms: Room[];
  /** Joins a room; rejects with an XmppError (condition conflict, registration-required,
   * not-authorized, forbidden, …), or with remote-server-timeout when the room has not answered
   * within `iqTimeoutMs` of the call (the half-made join is then left). `history`: messages of the
   * room's history to get (-1: the room's default). Rooms are joined again after a new login. A
   * second join() of a room still joining returns the first one's promise. Throws
   * XmppError('bad-request') in a room we are in under another nickname. */
  join(room: string, options: { nick: string; password?: string; history?: number }): Promise<RoomJoined>;
  /** Leaves a room (unavailable presence to it); it is not joined again at the next login. */
  leave(room: string): void;
  /** XEP-0030: what jid (default: our server) is and supports; `node` for XEP-0115 node#ver. */
  discoInfo(jid?: string, options?: { node?: string }): Promise<DiscoInfo>;
  /** XEP-0191. */
  block(jids: string | string[]): Promise<void>;
  /** Unblocks the JIDs given; none: everyone. */
  unblock(jids?: string | string[]): Promise<void>;
  /** The JIDs we block (XEP-0191 §3.2). */
  blocklist(): Promise<string[]>;
  /** Sends unavailable presence and ends the session. */
  disconnect(): Promise<void>;
}

/** A tab's client of a session its tabs share (shareAcrossTabs): the Client's API, the calls going to
 * the session's owner. Methods that return at once report what only the core can judge (an invalid
 * JID, XML that is not well-formed) as an 'error' event with `method` instead of throwing;
 * disconnect() ends the session for every tab; a tab that closes only detaches. */
export interface SharedClient extends Client {
  /** How many tabs share the session, this one included. */
  readonly sharedTabs: number;
}
/** Made by createClient() in a browser; not meant to be constructed by an app. */
export const SharedClient: {
  /** kind: where the session lives, a SharedWorker or the tab holding a Web Lock. */
  new (options: ClientOptions, kind: 'worker' | 'locks'): SharedClient;
};

/** Creates a client; nothing is sent until connect(). In a browser, a SharedClient unless
 * options.shareAcrossTabs is false. */
export function createClient(options: ClientOptions): Client | SharedClient;
