// Type declarations for xmpp-wasm: XMPP over BOSH for web pages.

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
   * carried on a saved session (`resume`) keeps it until a login needs it. */
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
   * with `from` and `limit`), and the session goes on. Largest stanza as received, in bytes (default 1 MiB). */
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
   * throws XmppError('resource-constraint') and sends nothing (default 1 MiB). */
  maxQueuedBytes?: number;
  /** Most messages sendMessage() may queue while reconnecting; past it, it throws
   * XmppError('resource-constraint') (default 1000). */
  maxOutbox?: number;
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
  /** Least time in ms between sending a request and the next one while the first is unanswered
   * (default 50). Requests sent closer may reach the server out of order, and ejabberd then
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
  /** Where to load the core from: a URL, the bytes, or a compiled module. Default: xmpp-wasm.wasm beside this module. */
  wasm?: string | URL | ArrayBuffer | ArrayBufferView | WebAssembly.Module;
}

export interface MessageEvent {
  from?: string;
  to?: string;
  id?: string;
  /** chat, normal, groupchat, headline or error */
  type: string;
  body?: string;
  subject?: string;
  thread?: string;
  /** The whole stanza as XML, for extensions. */
  xml: string;
  /** The id our server's archive gave the message (XEP-0359 stanza-id by our bare JID). */
  stanzaId?: string;
  /** true for a message fetched from the archive by a catch-up after a reconnection. */
  archived?: boolean;
  /** For an archived message: when the server received it (XEP-0203 stamp). */
  delay?: string;
}

export interface PresenceEvent {
  from?: string;
  to?: string;
  /** 'available', 'unavailable', 'subscribe', … */
  type: string;
  show?: string;
  status?: string;
  priority?: string;
  xml: string;
}

export interface OfflineEvent {
  /** Why the session ended: 'disconnected' after disconnect(), else a condition such as
   * 'not-authorized', 'connection-failed', 'item-not-found', 'policy-violation'. */
  reason: string;
  text: string;
}

/** `mechanism` is the SASL mechanism used, e.g. 'SCRAM-SHA-256'; a session carried on from the
 * previous page (resume) has `resumed: true` and no mechanism. */
export interface OnlineInfo {
  jid: string;
  mechanism?: string;
  resumed?: boolean;
}

export type Status = 'offline' | 'connecting' | 'online' | 'reconnecting';

export interface ClientEvents {
  /** The session is established; `mechanism` is the SASL mechanism used, e.g. 'SCRAM-SHA-256'. */
  online: OnlineInfo;
  message: MessageEvent;
  presence: PresenceEvent;
  offline: OfflineEvent;
  /** `attempt`, `delay` (ms), `reason` (a condition) and `text` come with 'reconnecting'. */
  status: { status: Status; attempt?: number; delay?: number; reason?: string; text?: string };
  /** A catch-up after a reconnection ended: `count` archived messages were delivered; `complete`
   * is false when the archive said there was more (or failed: `condition` says why, e.g.
   * 'feature-not-implemented' on a server without an archive, 'timeout'). */
  caughtUp: { count: number; complete: boolean; condition: string | null };
  /** A stanza the library does not handle itself. */
  stanza: { xml: string };
  /** Something went wrong but the session goes on: a stanza skipped over a per-stanza limit
   * (condition 'policy-violation', with `from` and `limit`), input dropped ('spoofed-iq',
   * 'spoofed-archive-result', 'bad-format', …), a queued message that can no longer be sent when
   * the client ends for good ('recipient-unavailable', with the message's `id`). */
  error: XmppError;
}

/** An error whose `condition` says why, e.g. 'not-authorized' or 'connection-failed'. */
export class XmppError extends Error {
  readonly condition: string;
  readonly text: string;
  /** For a skipped stanza: its sender, when readable. */
  readonly from?: string;
  /** For a skipped stanza: the option whose limit it passed. */
  readonly limit?: 'maxDepth' | 'maxAttributes' | 'maxAttributeLength' | 'maxStanzaBytes';
  /** For a message that was never sent: its id. */
  readonly id?: string;
}

export class Client {
  readonly status: Status;
  /** The full JID bound by the server, once online. */
  readonly jid: string | null;
  on<K extends keyof ClientEvents>(event: K, listener: (e: ClientEvents[K]) => void): this;
  off<K extends keyof ClientEvents>(event: K, listener: (e: ClientEvents[K]) => void): this;
  /** Opens the session; rejects with an XmppError whose condition says why. */
  connect(): Promise<OnlineInfo>;
  /** Sends a message with an XEP-0359 origin-id; returns its id (generated when not given).
   * Throws TypeError for a bad JID or text XML cannot carry, XmppError('not-connected') before
   * the first online or after the end. While reconnecting the message is queued; if the session
   * is lost before the server acknowledged a message, the next session sends it again with the
   * same ids (unless the resumed stream or the archive shows the server got it). */
  sendMessage(message: { to: string; body?: string; type?: 'chat' | 'normal' | 'groupchat' | 'headline'; id?: string }): string;
  sendPresence(presence?: { show?: 'away' | 'chat' | 'dnd' | 'xa'; status?: string; type?: string; to?: string }): void;
  /** XEP-0199 ping; resolves with the round trip in ms. */
  ping(options?: { to?: string; timeoutMs?: number }): Promise<number>;
  /** Sends unavailable presence and ends the session. */
  disconnect(): Promise<void>;
}

export function createClient(options: ClientOptions): Client;
