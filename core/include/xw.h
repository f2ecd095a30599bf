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
 * One XMPP account over one BOSH session. The caller's loop:
 *   1. after every call below, while xw_client_next_request() returns 1,
 *      POST xw_client_request_body() to the service and report the answer
 *      with xw_client_receive() or xw_client_request_failed();
 *   2. drain xw_client_events() (a JSON array of event objects);
 *   3. call xw_client_tick() at xw_client_next_deadline().
 * Event objects have a "type": "status", "online", "message", "presence",
 * "iq" (answer to a tracked IQ, by "token"), "stanza" (anything else),
 * "error" (a limit or a bad stanza, session goes on) and "offline". */
typedef struct xw_client xw_client;

/* NULL on OOM. xw_init() must have succeeded. */
xw_client *xw_client_new(void);
void xw_client_free(xw_client *c);

/* Options, by name, before connect. Values are strings:
 *   jid, password, resource      the account
 *   secure        "1" when the service URL is https (PLAIN allowed then)
 *   allow_plain   "1" to allow SASL PLAIN over an insecure service
 *   wait, hold    XEP-0124 §7.1 values asked for (default 60, 1)
 *   initial_presence  "0" to not send presence once online (default "1")
 *   max_retries, backoff_base_ms, backoff_max_ms, timeout_margin_ms
 *   max_stanza_bytes, max_body_bytes, max_depth, max_attrs, max_attr_len
 *   max_pending_iqs (default 256), max_queued_bytes (default 1 MiB): a
 *   send past either fails with XW_ERR_LIMIT and sends nothing
 *   iq_timeout_ms  default timeout of tracked IQs (default 30000)
 * Returns XW_ERR_INVALID for an unknown name or bad value (XW_ERR_JID for
 * a bad jid), XW_ERR_STATE after connect. */
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

/* When to call xw_client_tick() next (absolute ms), or -1 for never. */
double xw_client_next_deadline(const xw_client *c);
void xw_client_tick(xw_client *c, double now_ms);

/* The events since the last call, as a JSON array; borrowed until the next
 * call on c. Length in bytes via xw_client_events_len(). */
const char *xw_client_events(xw_client *c);
size_t xw_client_events_len(const xw_client *c);

/* Sends a message (RFC 6121 §5). type: chat, normal, groupchat, headline
 * (NULL = chat). id NULL: one is generated. Errors: XW_ERR_JID for a bad
 * `to`, XW_ERR_INVALID for text that XML cannot carry, XW_ERR_STATE when
 * not online. */
int xw_client_send_message(xw_client *c, const char *to, const char *type, const char *body, const char *id);
/* When a session is lost, each message the server had not acknowledged
 * (the request carrying it went unanswered) is reported by an
 * "unacknowledged" event before "offline", oldest first, so the app can
 * send it again in its next session. Returns 1 when this session's
 * catch-up (XEP-0313) found our own message `id` in the archive, i.e. the
 * server did get it and it must not be sent again; 0 otherwise. */
int xw_client_archived_own(const xw_client *c, const char *id);
/* Sends presence (RFC 6121 §4): type NULL for available; show and status
 * optional; to NULL broadcasts. */
int xw_client_send_presence(xw_client *c, const char *type, const char *show, const char *status, const char *to);
/* Sends a XEP-0199 ping to `to` (NULL: the server). Returns a positive
 * token; its answer arrives as an "iq" event with that token, or with
 * "condition":"timeout" after timeout_ms (0: the default). */
int xw_client_ping(xw_client *c, const char *to, double timeout_ms, double now_ms);
/* Sends unavailable presence and terminates the session (XEP-0124 §12). */
int xw_client_disconnect(xw_client *c, double now_ms);

/* ------------------------------------------------------ surviving reloads
 * xw_client_save() returns what a new page needs to carry on this same
 * BOSH session (sid, rids, the bound JID, and the exact bytes of every
 * request not yet processed), or NULL when not online. Borrowed until the
 * next call on c; length via xw_client_save_len(). It holds no password or
 * key. xw_client_resume() takes a new client, with its options set as for
 * connect(), online again from that text: it resends the unprocessed
 * requests unchanged (XEP-0124 §14), so the server answers the ones the
 * old page lost from its cache. It emits "online" with "resumed". Errors:
 * XW_ERR_JID when the saved session belongs to another account,
 * XW_ERR_INVALID when the text is not a saved session; c is then still
 * new, so connect() can follow. */
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
