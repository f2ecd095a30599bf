/* bosh.h: the BOSH transport state machine (XEP-0124, XEP-0206). It owns
 * rids, the request window, retransmission, response ordering and the
 * binding's error conditions. It knows nothing of SASL or stanzas beyond
 * carrying serialized payloads: the session layer above queues payloads and
 * receives the children of each response <body/> in rid order. */
#ifndef XW_BOSH_H
#define XW_BOSH_H

#include <stddef.h>
#include <stdint.h>
#include "util.h"
#include "xml.h"

typedef enum xw_bosh_state {
    XW_BOSH_IDLE = 0,     /* not started */
    XW_BOSH_CREATING,     /* session creation request sent (XEP-0124 §7.1) */
    XW_BOSH_ACTIVE,       /* sid known, requests flowing */
    XW_BOSH_TERMINATING,  /* terminate sent, waiting for its answer */
    XW_BOSH_CLOSED        /* ended: see xw_bosh_condition() */
} xw_bosh_state;

typedef struct xw_bosh_config {
    const char *to;          /* the XMPP domain */
    const char *route;       /* optional XEP-0124 §7.1 route, or NULL */
    unsigned wait_s;         /* longest time the server may hold a request */
    unsigned hold;           /* requests the server may hold */
    unsigned timeout_margin_ms; /* added to wait before a request is given up */
    unsigned max_retries;    /* retransmissions of one request before the session is lost */
    unsigned backoff_base_ms;
    unsigned backoff_max_ms;
    size_t max_queued_bytes; /* payload waiting for the window to open */
    size_t max_request_bytes; /* payload one request carries, whole elements (at least one) */
    unsigned request_gap_ms; /* least time between a request and the next while it is unanswered */
} xw_bosh_config;

void xw_bosh_config_default(xw_bosh_config *c);

/* Receives, in rid order, each element child of a response <body/>.
 * The callee owns `stanza`. Return non-zero to flag a session-level error. */
typedef int (*xw_bosh_stanza_fn)(void *ud, xw_node *stanza, double now_ms);
/* Receives, in the same order, each child skipped for passing a
 * per-stanza limit (xml.h). Return non-zero to flag an error. */
typedef int (*xw_bosh_skip_fn)(void *ud, const xw_xml_skipped *skipped, double now_ms);

typedef struct xw_bosh xw_bosh;

/* on_skip may be NULL: a per-stanza limit then refuses the whole body. */
xw_bosh *xw_bosh_new(const xw_bosh_config *cfg, const xw_xml_limits *limits, xw_bosh_stanza_fn on_stanza,
                     xw_bosh_skip_fn on_skip, void *ud);
void xw_bosh_free(xw_bosh *b);

/* Starts session creation; the creation request becomes available from
 * xw_bosh_next_request(). The first rid is random in [1, 2^52). */
XW_MUST_CHECK int xw_bosh_start(xw_bosh *b, double now_ms);

/* Queues serialized stanzas for the next request. XW_ERR_LIMIT when the
 * queue would pass max_queued_bytes (nothing is queued then). */
XW_MUST_CHECK int xw_bosh_queue(xw_bosh *b, const char *xml, size_t len);
/* Asks for a stream restart (XEP-0206 §5) in the next request. */
void xw_bosh_request_restart(xw_bosh *b);
/* Sends `final_xml` (e.g. unavailable presence) with type='terminate'. */
XW_MUST_CHECK int xw_bosh_terminate(xw_bosh *b, const char *final_xml, size_t len);

/* A request for the caller to POST. Borrowed until the next call on b. */
typedef struct xw_bosh_request {
    double rid;
    const char *body;
    size_t body_len;
    unsigned timeout_ms;  /* abort the HTTP request after this long */
} xw_bosh_request;

/* If a request should be sent now, fills *out and returns 1; else 0. The
 * caller sends every request it gets, each on its own HTTP connection. */
int xw_bosh_next_request(xw_bosh *b, double now_ms, xw_bosh_request *out);

/* An HTTP response for `rid`: status and body bytes. */
void xw_bosh_receive(xw_bosh *b, double rid, int http_status, const char *body, size_t len,
                     double now_ms);
/* The request for `rid` failed without an HTTP response (network error,
 * abort on timeout). */
void xw_bosh_failed(xw_bosh *b, double rid, double now_ms);

/* Earliest time the caller must call xw_bosh_tick(), or -1 for none. */
double xw_bosh_next_deadline(const xw_bosh *b);
void xw_bosh_tick(xw_bosh *b, double now_ms);

xw_bosh_state xw_bosh_get_state(const xw_bosh *b);
/* Why the session closed (a XEP-0124 §17 condition or one of ours:
 * "connection-failed", "xml-not-well-formed"); NULL while open. */
const char *xw_bosh_condition(const xw_bosh *b);
/* Detail text for the condition; may be "". */
const char *xw_bosh_condition_text(const xw_bosh *b);
/* 1 when the client ended the session itself (the server sent input it
 * refused, or never answered), 0 when the server ended it. Refused input
 * ends the session with a terminate request first (XEP-0124 §12), then
 * with the condition that says what was refused. */
int xw_bosh_closed_locally(const xw_bosh *b);
/* Delivery marks, in payload bytes since the session began: the mark just
 * after everything queued so far, and how far the server has acknowledged
 * (by answering the request that carried it). A stanza whose queue_end mark
 * is above xw_bosh_acked() may never have reached the server. */
uint64_t xw_bosh_queue_end(const xw_bosh *b);
uint64_t xw_bosh_acked(const xw_bosh *b);
/* Session attributes adopted from the creation response. */
const char *xw_bosh_sid(const xw_bosh *b);
unsigned xw_bosh_requests(const xw_bosh *b);
unsigned xw_bosh_wait(const xw_bosh *b);
/* Called by the layer above when it ends the session for its own reason. */
void xw_bosh_close(xw_bosh *b, const char *condition, const char *text);

/* Asks the server to keep the session for `seconds` (capped at its
 * maxpause) with no request held (XEP-0124 §10): sent with the next
 * request. XW_ERR_STATE when the server offered no maxpause. */
XW_MUST_CHECK int xw_bosh_pause(xw_bosh *b, unsigned seconds);

/* Save and restore, so a reloaded page carries on the same session.
 * save_attrs appends the session attributes (as XML attributes) and
 * save_requests appends one <request rid=''/> element in namespace `ns`
 * per unprocessed rid, holding its exact bytes, and <queued/> with the
 * payload not yet sent. restore_attrs takes a new, unstarted b to ACTIVE;
 * restore_request brings back one request, to be sent again unchanged;
 * restore_check says whether every rid in the window came back. */
XW_MUST_CHECK int xw_bosh_save_attrs(const xw_bosh *b, xw_buf *out);
XW_MUST_CHECK int xw_bosh_save_requests(const xw_bosh *b, const char *ns, xw_buf *out);
XW_MUST_CHECK int xw_bosh_restore_attrs(xw_bosh *b, const xw_node *saved);
XW_MUST_CHECK int xw_bosh_restore_request(xw_bosh *b, const char *rid, const char *body, size_t len);
XW_MUST_CHECK int xw_bosh_restore_check(xw_bosh *b);

#endif
