/* xw.h: the one public header of the xmpp-wasm core.
 *
 * The core is sans-I/O: it never reads a clock, opens a socket, sleeps or
 * draws randomness by itself. Time comes in as `now_ms` arguments, bytes
 * come in through xw_client_receive(), randomness through xw_init()'s seed
 * (mixed again with xw_entropy_add()). The caller (the JS shim, or a test)
 * asks for the next HTTP request to send, the next deadline, and a batch of
 * events.
 *
 * Ownership: a returned `char *` is freed by the caller with xw_free();
 * a returned `const char *`/pointer+length is borrowed until the next call
 * on the same object. 0 is success, negative values are xw_error codes. */
#ifndef XW_H
#define XW_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum xw_error {
    XW_OK = 0,
    XW_ERR_NOMEM = -1,        /* allocation failed */
    XW_ERR_INVALID = -2,      /* an argument is out of range or malformed */
    XW_ERR_STATE = -3,        /* the call is not allowed in the current state */
    XW_ERR_XML = -4,          /* malformed or restricted XML (RFC 6120 §11) */
    XW_ERR_LIMIT = -5,        /* a configured limit was exceeded */
    XW_ERR_AUTH = -6,         /* authentication failed (includes a bad server signature) */
    XW_ERR_PROTOCOL = -7,     /* the peer broke a protocol rule */
    XW_ERR_JID = -8,          /* not a valid JID (RFC 7622) */
    XW_ERR_CRYPTO = -9        /* a crypto primitive failed */
} xw_error;

/* A short English description of an xw_error code; never NULL. */
const char *xw_strerror(int code);

/* Process-wide initialisation: seeds the core's random generator with 32
 * bytes of entropy from the caller and initialises libsodium. Call once
 * before anything else; calling again only mixes in the new seed. */
int xw_init(const uint8_t seed[32]);

/* Mixes more entropy into the random generator (never replaces it). */
void xw_entropy_add(const uint8_t *bytes, size_t len);

/* Frees memory returned by the core as `char *`. */
void xw_free(void *p);


/* ------------------------------------------------------------------ client
 * One XMPP account, over one BOSH session at a time: the client outlives
 * its sessions, logging in again by itself after a lost one.
 *
 * The caller's loop:
 *   1. after every call below, while xw_client_next_request() returns 1,
 *      POST xw_client_request_body() to the service and report the answer
 *      with xw_client_receive() or xw_client_request_failed();
 *   2. drain xw_client_events() (a JSON array of event objects);
 *   3. call xw_client_tick() at xw_client_next_deadline().
 *
 * Time: every `now_ms` is milliseconds since the Unix epoch on a clock that
 * does not go back (in a browser, performance.timeOrigin +
 * performance.now()). Deadlines are in the same clock; the catch-up's
 * start time (XEP-0082) is written from it.
 *
 * Events: objects with a "type"; fields absent when unknown.
 *   status    {status: "connecting" | "online" | "reconnecting" | "offline"};
 *             reconnecting also has attempt (0 when a saved session was
 *             gone and the login follows at once), delay (ms until the
 *             login), reason (the condition that ended the session) and
 *             text (what was wrong, when known)
 *   online    {jid, mechanism} after a login; {jid, resumed: true} when a
 *             saved session (xw_client_resume) or a XEP-0198 stream was
 *             carried on
 *   message   {history, message: {type, from, to, id, body, subject,
 *             thread, xml, stanzaId (our archive's id, XEP-0359), delay and
 *             archived: true (from the archive catch-up, XEP-0313)}}: the
 *             message as the app gets it, under the event's own fields
 *   presence  {from, to, presenceType, show, status, priority, xml}
 *   iq        {token, ok, condition, xml}: the answer to xw_client_ping();
 *             condition "timeout" or "disconnected" when none came
 *   stanza    {xml, handler}: an element the core does not handle, once
 *             online; with handler, one an app handler matched (it may
 *             also have been handled by the core)
 *   caught-up {count, complete, condition}: the catch-up after a new login
 *             ended (count messages delivered; complete when the archive
 *             said so; condition why not: the archive's error, "timeout",
 *             "resource-constraint" at catch_up_max, "undefined-condition"
 *             when a page brought nothing new)
 *   error     {condition, text}: the session goes on. With from and limit
 *             when a stanza was skipped over a per-stanza limit
 *             (condition "policy-violation"); with id for each queued
 *             message dropped when the client ends for good (condition
 *             "recipient-unavailable"); "spoofed-iq",
 *             "spoofed-archive-result", "bad-format", ... for input that
 *             was dropped
 *   roster    {full, version, items: [{jid, name, subscription, ask,
 *             groups}]}: the whole roster after each new login (full), or
 *             the items a push changed (subscription "remove": gone)
 *   presence  also has contact: {best, resources: [{resource, show,
 *             status, priority, capsNode, capsVer}]} for available and
 *             unavailable presence (best: the highest priority, then the
 *             most available show, then the latest; absent when offline)
 *   receipt   {from, id}: XEP-0184, one of our messages arrived
 *   marker    {from, marker: received|displayed|acknowledged, id}: XEP-0333
 *   chat-state {from, state, thread}: XEP-0085
 *             (these three with room and nick for a room, carbon for a copy)
 *   message   history: the token of the query it answers (a page of
 *             history, not a new message); in message also: originId,
 *             carbon ("received"/"sent": XEP-0280 copies of our other
 *             resources' messages), room and nick (XEP-0045), outgoing:
 *             true when our account sent it (a sent carbon, ours in our archive,
 *             ours in a room; never judged from a 'from' alone),
 *             receiptRequested, markable, chatState, errorCondition (type
 *             error); a message
 *             with nothing but a receipt, marker or chat state is not one
 *   history   {token, ok, condition, complete, first, last, count}: the end
 *             of a history page (first: ask before it for the older page)
 *   room-joined {room, nick, role, affiliation}; room-left {room, nick,
 *             condition: kicked|banned}; room-error {room, nick, condition,
 *             text}: the join failed (conflict: nickname taken;
 *             registration-required: members only; not-authorized: wrong
 *             password; forbidden: banned); room-subject {room, subject, by}
 *   occupant  {room, nick, jid, role, affiliation, show, status, available,
 *             self}
 *   disco-info {token, ok, condition, from, identities: [{category, type,
 *             name}], features: [var]}: XEP-0030
 *   blocklist {token, items} for xw_client_blocklist(); {blocked} or
 *             {unblocked} (empty: all) when the server says it changed
 *   offline   {condition, text}: the client has ended for good
 *             ("disconnected" after xw_client_disconnect()); nothing more
 *             happens but xw_client_free(). */
typedef struct xw_client xw_client;

/* NULL on OOM. xw_init() must have succeeded. */
xw_client *xw_client_new(void);
void xw_client_free(xw_client *c);

/* Options, by name, before connect/resume. Values are strings (numbers in
 * decimal, flags "0"/"1"). XW_ERR_INVALID for an unknown name or a value
 * out of range (XW_ERR_JID for a bad jid), XW_ERR_STATE after connect.
 *   jid            the account (a bare or full JID; a resource in it is
 *                  asked for at bind, as with `resource`)
 *   password       prepared by RFC 8265 §4.2 OpaqueString but for NFC
 *                  normalization, which is the caller's: non-ASCII spaces
 *                  become U+0020, control characters are refused. Kept in
 *                  memory only until the first login: SCRAM's
 *                  SaltedPassword then logs in again (RFC 5802 §5.1); with
 *                  PLAIN the password is kept while `reconnect` is on, and
 *                  wiped at once otherwise. A client that resumed a saved
 *                  session keeps it until a login uses it. Wiped on free.
 *   resource       asked for at bind (default: the server's choice, and
 *                  after a lost session the lost session's resource)
 *   secure         "1" when the service URL is https (PLAIN allowed then)
 *   allow_plain    "1" to allow SASL PLAIN over an insecure service
 *   wait, hold     XEP-0124 §7.1 values asked for (default 60, 1)
 *   max_retries    retransmissions of one request before the session is
 *                  lost (3); backoff_base_ms (250), backoff_max_ms (8000)
 *   timeout_margin_ms  added to wait before a request is given up (10000)
 *   request_gap_ms a new request waits this long for an earlier unanswered
 *                  one not known to have arrived, and for any earlier one
 *                  waiting to be sent again (50; 0: neither; see bosh.c)
 *   initial_presence   "0": no presence once online (default "1")
 *   iq_timeout_ms  timeout of the session's IQs and default of pings (30000)
 *   stream_management  "0": no XEP-0198 even where offered (default "1")
 *   max_stanza_bytes, max_depth, max_attrs, max_attr_len
 *                  per-stanza limits (1 MiB as received, nesting 256, 256
 *                  attributes per element, 64 KiB per attribute): a stanza
 *                  past one is skipped with an "error" event naming its
 *                  sender and the limit, and the session goes on.
 *                  max_stanza_bytes protects from peers, so it does not
 *                  bound an IQ our own server or account sends (no 'from',
 *                  or 'from' our bare JID or our server's domain, which
 *                  peers cannot forge: RFC 6120 §8.1.2.1, RFC 6121
 *                  §2.1.6), e.g. a large roster: max_body_bytes does
 *   max_body_bytes one HTTP answer (8 MiB): past it the session ends with
 *                  a terminate and "policy-violation", and a new login
 *                  follows as after any lost session
 *   max_pending_iqs (256), max_queued_bytes (1 MiB of stanzas waiting for
 *                  the request window): a send past either fails with
 *                  XW_ERR_LIMIT and sends nothing
 *   max_outbox     messages the app may queue while reconnecting, or
 *                  past max_queued_bytes (1000): a send past it fails
 *                  with XW_ERR_LIMIT
 *   reconnect      "0": a lost session ends the client (default "1")
 *   reconnect_delay_ms (1000), reconnect_max_delay_ms (30000),
 *   max_reconnect_attempts (10): the n-th login after a loss waits
 *                  min(max, delay * 2^(n-1)) ms, ±50% at random
 *   catch_up       "0": no archive catch-up after a lost session (default "1")
 *   catch_up_max   messages fetched per catch-up (10000)
 *   catch_up_page  messages asked for per archive page (100, at most 1000)
 *   max_scram_iterations  the most PBKDF2 iterations a server may ask of
 *                  SCRAM (600000); the derivation runs a few thousand per
 *                  call, see xw_client_next_deadline()
 *   resend_window_ms  how long after a catch-up or a stream resumption
 *                  copies of delivered messages are looked for (120000)
 *   receipts       "0": no XEP-0184 receipt requests on our chat messages
 *                  and no receipts sent (default "1": asked for, and sent
 *                  to contacts subscribed to our presence)
 *   resend_unconfirmed  our chat messages kept until the peer confirms
 *                  them (1000; "0": none): a peer that has answered
 *                  receipts and comes online gets again, 2 s later, what it
 *                  has not confirmed, same id and origin-id, with a
 *                  XEP-0203 delay of its first sending (src/receipts.h); a
 *                  received copy (same sender, same origin-id) is not
 *                  delivered again and its receipt is sent
 *   markers        "0": our chat messages are not markable (XEP-0333)
 *   carbons        "0": no message carbons even where offered (XEP-0280)
 *   roster         "0": no roster fetch at login (RFC 6121 §2.2) */
int xw_client_set_option(xw_client *c, const char *name, const char *value);

/* Begins: session creation, SASL, bind, then "online". */
int xw_client_connect(xw_client *c, double now_ms);

/* 1 when a request should be POSTed now; its fields are then readable with
 * the accessors below (borrowed until the next call on c). 0 when none. */
int xw_client_next_request(xw_client *c, double now_ms);
double xw_client_request_rid(const xw_client *c);
const char *xw_client_request_body(const xw_client *c);
size_t xw_client_request_len(const xw_client *c);
/* Abort the HTTP request after this many ms and report it failed. */
unsigned xw_client_request_timeout(const xw_client *c);

/* The HTTP answer to request `rid`. */
void xw_client_receive(xw_client *c, double rid, int http_status, const char *body, size_t len,
                       double now_ms);
/* Request `rid` got no HTTP answer (network error or aborted). */
void xw_client_request_failed(xw_client *c, double rid, double now_ms);

/* When to call xw_client_tick() next (absolute ms), or -1 for never. While
 * SCRAM's key is being derived this is "now": one step per tick keeps each
 * call short. */
double xw_client_next_deadline(const xw_client *c);
void xw_client_tick(xw_client *c, double now_ms);

/* The events since the last call, as a JSON array; borrowed until the next
 * call on c. Length in bytes via xw_client_events_len(). */
const char *xw_client_events(xw_client *c);
size_t xw_client_events_len(const xw_client *c);

/* Sends a message (RFC 6121 §5) with an XEP-0359 origin-id. type: chat,
 * normal, groupchat, headline (NULL = chat). body, subject (§5.2.4; to a
 * room: its subject, XEP-0045 §8.1) and thread (§5.2.5) are each optional,
 * but one of body and subject is needed. id NULL: one is made; the id
 * used is then xw_client_message_id(). Once the client has been online,
 * a message sent while it reconnects is queued and goes out, in order,
 * when the next session is online and caught up; nothing is lost with a
 * session: what the server had not confirmed is sent again then, unless
 * the server turns out to have had it. Errors: XW_ERR_JID for a bad `to`,
 * XW_ERR_INVALID for text that XML cannot carry or a bad type, XW_ERR_STATE
 * before the first online or after the end, XW_ERR_LIMIT past
 * max_queued_bytes or max_outbox. */
int xw_client_send_message(xw_client *c, const char *to, const char *type, const char *body, const char *subject,
                           const char *thread, const char *id);
/* The id of the last message sent or queued; borrowed until the next send. */
const char *xw_client_message_id(const xw_client *c);
/* Sends presence (RFC 6121 §4): type NULL for available; show and status
 * optional; to NULL broadcasts. XW_ERR_STATE unless online. */
int xw_client_send_presence(xw_client *c, const char *type, const char *show, const char *status, const char *to);
/* Sends a XEP-0199 ping to `to` (NULL: the server). Returns a positive
 * token; its answer arrives as an "iq" event with that token, or with
 * "condition":"timeout" after timeout_ms (0: iq_timeout_ms). */
int xw_client_ping(xw_client *c, const char *to, double timeout_ms, double now_ms);
/* ------------------------------------------------- instant messaging
 * Each returns 0 (or a positive token whose outcome comes as an event with
 * that token: "iq", or "history", "disco-info", "blocklist"), or
 * XW_ERR_STATE when not online, XW_ERR_JID / XW_ERR_INVALID for bad input. */
/* RFC 6121 §2.3: adds or changes a contact; groups one per line (NULL: none). */
int xw_client_roster_set(xw_client *c, const char *jid, const char *name, const char *groups);
/* RFC 6121 §2.5: removes a contact (and the subscriptions both ways). */
int xw_client_roster_remove(xw_client *c, const char *jid);
/* RFC 6121 §4.2-4.4: our presence (show NULL: available), sent now when
 * online, and as initial presence at every login; priority -128..127. */
int xw_client_set_presence(xw_client *c, const char *show, const char *status, int priority);
/* A contact's presence as JSON {best, resources}; borrowed until the next
 * call on c; NULL for a bad JID. */
const char *xw_client_presence_of(xw_client *c, const char *jid);
/* XEP-0085: a chat state (active, composing, paused, inactive, gone) to
 * `to`; type chat (NULL) or groupchat. */
int xw_client_send_chat_state(xw_client *c, const char *to, const char *state, const char *type);
/* XEP-0333: a marker (received, displayed, acknowledged) for message id. */
int xw_client_send_marker(xw_client *c, const char *to, const char *id, const char *marker, const char *type);
/* XEP-0313: a page of the archive of the conversation with `with` (NULL:
 * all; a room we are in: the room's archive), before archive id `before`
 * (NULL or "": the latest page), at most max (0: 50; at most 1000). */
int xw_client_history(xw_client *c, const char *with, const char *before, unsigned max);
/* XEP-0045 §7.2: joins a room (a bare JID) as nick, with password or NULL,
 * asking for `history` messages of history (-1: the room's default). The
 * outcome comes as "room-joined" or "room-error"; rooms are joined again
 * after every new login. Sent once online if called before. In a room
 * already joined: with the same nick, "room-joined" again at once; with
 * another, XW_ERR_STATE (a nickname change is not offered). */
int xw_client_join(xw_client *c, const char *room, const char *nick, const char *password, long history);
/* XEP-0045 §7.14: leaves a room; "room-left" follows. */
int xw_client_leave(xw_client *c, const char *room);
/* XEP-0030 §3: what jid (NULL: our server) is and supports. */
int xw_client_disco_info(xw_client *c, const char *jid, const char *node);
/* XEP-0191: blocks / unblocks the JIDs given one per line (unblock with
 * none: all), and asks for the list. */
int xw_client_block(xw_client *c, const char *jids);
int xw_client_unblock(xw_client *c, const char *jids);
int xw_client_blocklist(xw_client *c);

/* Extensions: the app's handlers for stanzas the core does not handle
 * itself. A stanza that matches one (its element name and namespace, and
 * a child element's name and namespace; NULL matches any, and child_ns
 * NULL needs no child) reaches the app as a "stanza" event with "handler":
 * the returned id, besides whatever the core does with it; an IQ get or
 * set that an app handler matches and the core does not handle is left
 * for the app to answer (with xw_client_send_raw) instead of getting
 * service-unavailable. Returns the id (> 0), or XW_ERR_NOMEM. */
int xw_client_add_handler(xw_client *c, const char *name, const char *ns, const char *child, const char *child_ns);
/* XW_ERR_INVALID when there is no handler with that id. */
int xw_client_remove_handler(xw_client *c, int id);
/* Sends one element given as XML text, e.g. a stanza with an extension the
 * core does not build; unprefixed elements are in jabber:client. It is
 * parsed by the same restricted parser as what the server sends (RFC 6120
 * §11: no DTD, comments or processing instructions) and serialized again,
 * so what goes out is well-formed and escaped. XW_ERR_XML when it is not
 * exactly one well-formed element, XW_ERR_STATE unless online,
 * XW_ERR_LIMIT past max_queued_bytes. */
int xw_client_send_raw(xw_client *c, const char *xml, size_t len);
/* Sends unavailable presence and terminates the session (XEP-0124 §12);
 * between two logins, ends at once. "offline" follows. */
int xw_client_disconnect(xw_client *c, double now_ms);

/* ------------------------------------------------------ surviving reloads
 * xw_client_save() returns what a new page needs to carry on (borrowed
 * until the next call on c; length via xw_client_save_len()), or NULL
 * before the first online: while a session is online, that BOSH session
 * (sid, rids, the bound JID, the exact bytes of every request not yet
 * processed, stream management counters); always, the account's
 * continuity: where the next catch-up starts, the stream to resume, and
 * the messages queued for the next session. It holds no password or key.
 * xw_client_resume() takes a new client, with its options set as for
 * connect(), from that text: it resends the unprocessed requests unchanged
 * (XEP-0124 §14), so the server answers the ones the old page lost from
 * its cache, and emits "online" with "resumed"; if the saved session is
 * gone by then, or none was saved, it logs in again at once and catches
 * up. Errors: XW_ERR_JID when the text belongs to another account,
 * XW_ERR_INVALID when it is not a saved session; c is then still new, so
 * connect() can follow. */
const char *xw_client_save(xw_client *c);
size_t xw_client_save_len(const xw_client *c);
int xw_client_resume(xw_client *c, const char *saved, size_t len, double now_ms);
/* Asks the server to keep the session for `seconds` (capped at its
 * maxpause) while no request is held, e.g. while the page reloads
 * (XEP-0124 §10). XW_ERR_STATE when not online or no maxpause offered. */
int xw_client_pause(xw_client *c, unsigned seconds, double now_ms);

#ifdef __cplusplus
}
#endif
#endif
