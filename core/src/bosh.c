/* bosh.c: the BOSH transport state machine (XEP-0124, XEP-0206).
 *
 * Requests live in a small fixed table of slots, one per rid not yet
 * processed. A slot is READY (to be handed to the caller), SENT, BACKOFF
 * (failed; READY again at its deadline, with the same bytes) or ANSWERED
 * (response kept until every lower rid is processed, XEP-0124 §14). */
#include "bosh.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SLOTS 8
/* Initial rids stay below 2^52 so rid+n never passes 2^53 (XEP-0124 §14:
 * clients must keep rids within what JavaScript represents exactly). */
#define RID_LIMIT ((uint64_t)1 << 52)

typedef enum { SLOT_FREE = 0, SLOT_READY, SLOT_SENT, SLOT_BACKOFF, SLOT_ANSWERED } slot_state;

typedef struct slot {
    slot_state st;
    uint64_t rid;
    xw_buf body;          /* the exact bytes; retransmissions reuse them */
    unsigned failures;
    double deadline;      /* SENT: give up; BACKOFF: retransmit */
    int http_status;
    xw_buf response;      /* an answer that came before a lower rid's, kept until its turn */
    const char *answer;   /* ANSWERED: the answer's bytes (in `response`, or the caller's while */
    size_t answer_len;    /* xw_bosh_receive() processes it at once: no copy of a 3 MB page) */
    uint64_t payload_end; /* xw_bosh_queue_end() just after this body's payload */
    unsigned times_sent;  /* > 1: a retransmission (after a failure, or sent by an earlier page) */
    double sent_ms;       /* when it was last handed out */
} slot;

struct xw_bosh {
    xw_bosh_config cfg;
    char *to;
    char *route;
    xw_bosh_state state;
    xw_xml_parser *parser;
    xw_bosh_stanza_fn on_stanza;
    xw_bosh_skip_fn on_skip;
    void *ud;

    uint64_t next_rid;      /* rid of the next new request */
    uint64_t processed_rid; /* highest rid whose response was processed */
    char *sid;
    unsigned requests, wait_s, hold, inactivity_s, polling_s, maxpause_s;
    int server_acks;        /* the creation response had 'ack' (XEP-0124 §9.1) */
    double created_ms;      /* when the creation response was processed */

    xw_buf queued;          /* payload for the next new requests */
    size_t *ends;           /* where each element in `queued` ends */
    size_t nends, ends_cap;
    uint64_t consumed_bytes; /* payload bytes ever moved into request bodies */
    uint64_t acked_bytes;    /* ... of those, carried by requests answered and processed */
    int restart_pending;
    int terminate_pending;
    unsigned pause_pending; /* seconds for the next request's pause attribute */
    double last_empty_ms;   /* when the last empty request went out (polling) */
    uint64_t last_new_rid;  /* the newest request handed out */
    uint64_t arrived_rid;   /* every rid up to this one is known to have reached the server */
    slot slots[MAX_SLOTS];

    /* per-response parse results, filled by on_body */
    int peeking;            /* parse only for the body's attributes */
    int peeked_plain;       /* ... and the body peeked at had no type */
    int dropping_echo;      /* the answer being parsed is our own request sent back: skip its children */
    double parse_now;
    int resp_terminate;
    int resp_recoverable;
    char resp_condition[48];

    char *condition;
    char *condition_text;
    int closed_locally; /* we ended it (bad input, limits, retries), not the server */
    /* Input we refused ends the session with a terminate (so the server
     * keeps no ghost), then with this condition. */
    char *refused_condition, *refused_text;
};

void xw_bosh_config_default(xw_bosh_config *c) {
    c->to = NULL;
    c->route = NULL;
    c->wait_s = 60;
    c->hold = 1;
    c->timeout_margin_ms = 10000;
    c->max_retries = 3;
    c->backoff_base_ms = 250;
    c->backoff_max_ms = 8000;
    c->max_queued_bytes = (size_t)1024 * 1024;
    c->max_request_bytes = (size_t)64 * 1024;
    c->request_gap_ms = 50;
}

static void set_condition(xw_bosh *b, const char *cond, const char *text) {
    if (b->state == XW_BOSH_CLOSED) return;
    b->state = XW_BOSH_CLOSED;
    free(b->condition);
    free(b->condition_text);
    b->condition = cond ? xw_strdup(cond) : NULL;
    b->condition_text = xw_strdup(text ? text : "");
    /* Buffers stay allocated until xw_bosh_free: this may run from inside
     * the parse of a slot's response. */
    for (int i = 0; i < MAX_SLOTS; i++) b->slots[i].st = SLOT_FREE;
    xw_buf_clear(&b->queued);
    b->nends = 0;
}

void xw_bosh_close(xw_bosh *b, const char *condition, const char *text) { set_condition(b, condition, text); }

static unsigned parse_uint_attr(const xw_node *n, const char *name, unsigned dflt) {
    const char *v = xw_node_attr(n, name);
    if (!v || !*v) return dflt;
    unsigned long x = 0;
    for (const char *p = v; *p; p++) {
        if (*p < '0' || *p > '9') return dflt;
        x = x * 10 + (unsigned long)(*p - '0');
        if (x > 100000000UL) return dflt;
    }
    return (unsigned)x;
}

static int parse_rid(const char *v, uint64_t *out);
static slot *slot_for_rid(xw_bosh *b, uint64_t rid);

/* XEP-0124 §9.1: ack='N' says the server has every request up to rid N,
 * so their payload is delivered even if their answers are still to come. */
static void take_request_ack(xw_bosh *b, const char *ack) {
    uint64_t rid;
    if (!b->server_acks || parse_rid(ack, &rid)) return;
    if (rid > b->arrived_rid && rid < b->next_rid) b->arrived_rid = rid;
    for (int i = 0; i < MAX_SLOTS; i++) {
        const slot *t = &b->slots[i];
        if (t->st != SLOT_FREE && t->rid <= rid && t->payload_end > b->acked_bytes) b->acked_bytes = t->payload_end;
    }
}

/* XEP-0124 §9.2: report='N' says the answer to rid N was sent but we have
 * not acknowledged it: if we indeed still wait for it, resend that request
 * now rather than at its timeout; the server answers it from its cache. */
static void take_report(xw_bosh *b, const char *report) {
    uint64_t rid;
    if (parse_rid(report, &rid)) return;
    slot *t = slot_for_rid(b, rid);
    if (t && t->st == SLOT_SENT) t->st = SLOT_READY;
}

static int on_body(void *ud, const xw_node *body) {
    xw_bosh *b = ud;
    const char *type = xw_node_attr(body, "type");
    const char *cond = xw_node_attr(body, "condition");
    b->resp_terminate = type && strcmp(type, "terminate") == 0;
    b->resp_recoverable = type && strcmp(type, "error") == 0;
    xw_format(b->resp_condition, sizeof b->resp_condition, "%s", cond ? cond : "");
    if (b->peeking) {
        b->peeked_plain = type == NULL;
        /* On receipt, not in rid order: a report is about an earlier
         * answer, which in-order processing would wait for. */
        if (b->state == XW_BOSH_ACTIVE && b->server_acks) {
            take_request_ack(b, xw_node_attr(body, "ack"));
            take_report(b, xw_node_attr(body, "report"));
        }
        return XW_ERR_STATE; /* seen what we wanted: stop */
    }
    if (b->state == XW_BOSH_CREATING && !b->resp_terminate) {
        /* XEP-0124 §7.1: the creation response carries the session
         * attributes; adopt them, never exceeding what we asked for. */
        const char *sid = xw_node_attr(body, "sid");
        if (!sid || !*sid) return XW_ERR_PROTOCOL;
        b->sid = xw_strdup(sid);
        if (!b->sid) return XW_ERR_NOMEM;
        b->wait_s = parse_uint_attr(body, "wait", b->cfg.wait_s);
        if (b->wait_s > b->cfg.wait_s) b->wait_s = b->cfg.wait_s;
        b->hold = parse_uint_attr(body, "hold", b->cfg.hold);
        b->requests = parse_uint_attr(body, "requests", b->hold + 1);
        if (b->requests < 1) b->requests = 1;
        if (b->requests > MAX_SLOTS - 1) b->requests = MAX_SLOTS - 1;
        b->inactivity_s = parse_uint_attr(body, "inactivity", 0);
        b->polling_s = parse_uint_attr(body, "polling", 0);
        b->maxpause_s = parse_uint_attr(body, "maxpause", 0);
        b->server_acks = xw_node_attr(body, "ack") != NULL;
        b->created_ms = b->parse_now;
        b->state = XW_BOSH_ACTIVE;
    }
    return XW_OK;
}

static int on_child(void *ud, xw_node *stanza) {
    xw_bosh *b = ud;
    if (b->dropping_echo) {
        xw_node_free(stanza);
        return XW_OK;
    }
    return b->on_stanza(b->ud, stanza, b->parse_now);
}

static int on_skipped_child(void *ud, const xw_xml_skipped *skipped) {
    xw_bosh *b = ud;
    return b->on_skip(b->ud, skipped, b->parse_now);
}

xw_bosh *xw_bosh_new(const xw_bosh_config *cfg, const xw_xml_limits *limits, xw_bosh_stanza_fn on_stanza,
                     xw_bosh_skip_fn on_skip, void *ud) {
    if (!cfg || !cfg->to || !on_stanza) return NULL;
    xw_bosh *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    b->cfg = *cfg;
    b->to = xw_strdup(cfg->to);
    b->route = cfg->route ? xw_strdup(cfg->route) : NULL;
    b->on_stanza = on_stanza;
    b->on_skip = on_skip;
    b->ud = ud;
    unsigned long salt;
    xw_random_bytes(&salt, sizeof salt);
    b->parser = xw_xml_parser_new(limits, salt, on_body, on_child, on_skip ? on_skipped_child : NULL, b);
    if (!b->to || !b->parser || (cfg->route && !b->route)) {
        xw_bosh_free(b);
        return NULL;
    }
    b->cfg.to = b->to;
    b->cfg.route = b->route;
    return b;
}

void xw_bosh_free(xw_bosh *b) {
    if (!b) return;
    for (int i = 0; i < MAX_SLOTS; i++) {
        xw_buf_wipe(&b->slots[i].body);
        xw_buf_free(&b->slots[i].response);
    }
    xw_buf_wipe(&b->queued);
    free(b->ends);
    xw_xml_parser_free(b->parser);
    free(b->to);
    free(b->route);
    free(b->sid);
    free(b->condition);
    free(b->condition_text);
    free(b->refused_condition);
    free(b->refused_text);
    free(b);
}

static slot *slot_for_rid(xw_bosh *b, uint64_t rid) {
    for (int i = 0; i < MAX_SLOTS; i++)
        if (b->slots[i].st != SLOT_FREE && b->slots[i].rid == rid) return &b->slots[i];
    return NULL;
}

static unsigned slots_in_use(const xw_bosh *b) {
    unsigned n = 0;
    for (int i = 0; i < MAX_SLOTS; i++) n += b->slots[i].st != SLOT_FREE;
    return n;
}

static slot *new_slot(xw_bosh *b) {
    for (int i = 0; i < MAX_SLOTS; i++) {
        if (b->slots[i].st == SLOT_FREE) {
            slot *s = &b->slots[i];
            s->rid = b->next_rid++;
            s->failures = 0;
            s->http_status = 0;
            s->payload_end = 0;
            s->times_sent = 0;
            xw_buf_clear(&s->body);
            xw_buf_clear(&s->response);
            s->st = SLOT_READY;
            return s;
        }
    }
    return NULL;
}

static void free_slot(slot *s) {
    s->st = SLOT_FREE;
    /* A request may have carried credentials (SASL PLAIN): no copy of it
     * stays in memory once it is answered. */
    xw_buf_scrub(&s->body);
    xw_buf_free(&s->response); /* an answer kept out of turn can be large: not kept for the next */
    s->answer = NULL;
    s->answer_len = 0;
}

int xw_bosh_start(xw_bosh *b, double now_ms) {
    (void)now_ms;
    if (b->state != XW_BOSH_IDLE) return XW_ERR_STATE;
    uint64_t r;
    xw_random_bytes(&r, sizeof r);
    r &= RID_LIMIT - 1;
    if (r == 0) r = 1;
    b->next_rid = r;
    b->processed_rid = r - 1;
    b->arrived_rid = r - 1;
    b->last_empty_ms = -1e15;
    slot *s = new_slot(b);
    /* XEP-0124 §7.1 and XEP-0206 §4: session creation request. */
    int rc = xw_buf_printf(&s->body,
                           "<body ack='1' content='text/xml; charset=utf-8' hold='%u' rid='%llu' to='",
                           b->cfg.hold, (unsigned long long)s->rid);
    if (!rc) rc = xw_buf_append_xml_attr_escaped(&s->body, b->to, strlen(b->to));
    if (!rc && b->route) {
        rc = xw_buf_append_str(&s->body, "' route='");
        if (!rc) rc = xw_buf_append_xml_attr_escaped(&s->body, b->route, strlen(b->route));
    }
    if (!rc)
        rc = xw_buf_printf(&s->body,
                           "' ver='1.11' wait='%u' xml:lang='en' xmpp:version='1.0' "
                           "xmlns='" XW_NS_HTTPBIND "' xmlns:xmpp='" XW_NS_XBOSH "'/>",
                           b->cfg.wait_s);
    if (rc) return rc;
    b->state = XW_BOSH_CREATING;
    return XW_OK;
}

/* Appends one whole element to the queue and notes where it ends. */
static int queue_element(xw_bosh *b, const char *xml, size_t len) {
    if (b->nends == b->ends_cap) {
        size_t *grown = xw_grow(b->ends, &b->ends_cap, sizeof *grown, 64);
        if (!grown) return XW_ERR_NOMEM;
        b->ends = grown;
    }
    int rc = xw_buf_append(&b->queued, xml, len);
    if (!rc) b->ends[b->nends++] = b->queued.len;
    return rc;
}

int xw_bosh_queue(xw_bosh *b, const char *xml, size_t len) {
    if (b->state == XW_BOSH_CLOSED || b->state == XW_BOSH_IDLE || b->terminate_pending) return XW_ERR_STATE;
    if (b->queued.len > b->cfg.max_queued_bytes || len > b->cfg.max_queued_bytes - b->queued.len) return XW_ERR_LIMIT;
    return queue_element(b, xml, len);
}

void xw_bosh_request_restart(xw_bosh *b) { b->restart_pending = 1; }

int xw_bosh_terminate(xw_bosh *b, const char *final_xml, size_t len) {
    if (b->state != XW_BOSH_ACTIVE) return XW_ERR_STATE;
    if (final_xml && len) {
        int rc = queue_element(b, final_xml, len);
        if (rc) return rc;
    }
    b->terminate_pending = 1;
    return XW_OK;
}

/* Builds the body of a new request in slot s from what is pending. */
static int build_body(xw_bosh *b, slot *s) {
    int rc = xw_buf_printf(&s->body, "<body rid='%llu' sid='", (unsigned long long)s->rid);
    if (!rc) rc = xw_buf_append_xml_attr_escaped(&s->body, b->sid, strlen(b->sid));
    if (rc) return rc;
    if (b->restart_pending) {
        /* XEP-0206 §5: the restart request carries no payload. */
        b->restart_pending = 0;
        rc = xw_buf_append_str(&s->body, "' to='");
        if (!rc) rc = xw_buf_append_xml_attr_escaped(&s->body, b->to, strlen(b->to));
        if (!rc)
            rc = xw_buf_append_str(&s->body, "' xml:lang='en' xmpp:restart='true' xmlns='" XW_NS_HTTPBIND
                                             "' xmlns:xmpp='" XW_NS_XBOSH "'/>");
        return rc;
    }
    /* A page going away sends what is left in one request. */
    int last_chance = b->pause_pending || b->terminate_pending;
    if (b->pause_pending) {
        /* XEP-0124 §10: pause='N' asks the server to keep the session
         * for N seconds with no request held. */
        rc = xw_buf_printf(&s->body, "' pause='%u", b->pause_pending);
        b->pause_pending = 0;
        if (rc) return rc;
    }
    /* XEP-0124 §9.2: with a server that acknowledges, tell it which
     * answers we have, when some earlier one is still missing, so it can
     * report an answer lost on the way. */
    if (b->server_acks && b->processed_rid + 1 < s->rid) {
        rc = xw_buf_printf(&s->body, "' ack='%llu", (unsigned long long)b->processed_rid);
        if (rc) return rc;
    }
    /* A large queue goes out in requests of at most max_request_bytes of
     * whole elements: the server routes one while the next is on its way,
     * and the receiver gets the first messages of a burst sooner. */
    size_t take = b->queued.len;
    if (take > b->cfg.max_request_bytes && b->nends && !last_chance) {
        size_t k = 0;
        while (k + 1 < b->nends && b->ends[k + 1] <= b->cfg.max_request_bytes) k++;
        take = b->ends[k];
    }
    const char *type = "";
    if (b->terminate_pending) {
        b->terminate_pending = 0;
        b->state = XW_BOSH_TERMINATING;
        type = " type='terminate'";
    }
    rc = xw_buf_printf(&s->body, "'%s xmlns='" XW_NS_HTTPBIND "'", type);
    if (rc) return rc;
    if (!b->queued.len) return xw_buf_append_str(&s->body, "/>");
    rc = xw_buf_append(&s->body, ">", 1);
    if (!rc) rc = xw_buf_append(&s->body, b->queued.data, take);
    if (!rc) rc = xw_buf_append_str(&s->body, "</body>");
    if (rc) return rc;
    b->consumed_bytes += take;
    if (take == b->queued.len) {
        xw_buf_scrub(&b->queued); /* the bytes live on in the request only */
        b->nends = 0;
        return XW_OK;
    }
    size_t left = b->queued.len - take;
    memmove(b->queued.data, b->queued.data + take, left);
    memset(b->queued.data + left, 0, take);
    b->queued.len = left;
    size_t k = 0;
    while (b->ends[k] <= take) k++;
    for (size_t i = k; i < b->nends; i++) b->ends[i - k] = b->ends[i] - take;
    b->nends -= k;
    return XW_OK;
}

static int hand_out(xw_bosh *b, slot *s, double now_ms, xw_bosh_request *out) {
    s->st = SLOT_SENT;
    s->times_sent++;
    s->sent_ms = now_ms;
    unsigned wait = b->state == XW_BOSH_CREATING ? b->cfg.wait_s : b->wait_s;
    out->timeout_ms = wait * 1000u + b->cfg.timeout_margin_ms;
    s->deadline = now_ms + out->timeout_ms + 1000.0; /* in case the caller never reports */
    out->rid = (double)s->rid;
    out->body = s->body.data;
    out->body_len = s->body.len;
    return 1;
}

static int is_polling(const xw_bosh *b) { return b->polling_s && (b->hold == 0 || b->wait_s == 0); }

/* When a new request can no longer overtake an earlier one (see
 * xw_bosh_next_request): 0 when none is in doubt now; otherwise when the
 * youngest unanswered request not known to have reached the server turns
 * request_gap_ms old, or INFINITY while an earlier request waits to be
 * sent again: a new one sent meanwhile would get there first. */
static double gap_end(const xw_bosh *b, double now_ms) {
    if (!b->cfg.request_gap_ms) return 0;
    double end = 0;
    for (int i = 0; i < MAX_SLOTS; i++) {
        const slot *s = &b->slots[i];
        if (s->st == SLOT_BACKOFF || s->st == SLOT_READY) return INFINITY;
        if (s->st != SLOT_SENT || s->rid <= b->arrived_rid) continue;
        double at = s->sent_ms + b->cfg.request_gap_ms;
        if (at > now_ms && at > end) end = at;
    }
    return end;
}

static int gap_pending(const xw_bosh *b, double now_ms) { return gap_end(b, now_ms) > 0; }

int xw_bosh_next_request(xw_bosh *b, double now_ms, xw_bosh_request *out) {
    if (b->state == XW_BOSH_IDLE || b->state == XW_BOSH_CLOSED) return 0;
    /* Retransmissions and the creation request first, lowest rid first. */
    slot *ready = NULL;
    for (int i = 0; i < MAX_SLOTS; i++)
        if (b->slots[i].st == SLOT_READY && (!ready || b->slots[i].rid < ready->rid)) ready = &b->slots[i];
    if (ready) return hand_out(b, ready, now_ms, out);
    if (b->state != XW_BOSH_ACTIVE) return 0;
    unsigned in_use = slots_in_use(b);
    int has_payload = b->queued.len || b->restart_pending || b->terminate_pending || b->pause_pending;
    /* XEP-0124 §11: at most `requests` outstanding, one more only to
     * terminate or pause. Keep one request held whenever idle (§10) so the
     * server can push at any moment. */
    unsigned window = b->requests + (b->terminate_pending || b->pause_pending ? 1u : 0u);
    if (in_use >= window) return 0;
    if (!has_payload && in_use > 0) return 0;
    /* Two requests sent close together may reach the server out of order
     * (each has its own connection). XEP-0124 §14 has the server wait for
     * the lower rid, but ejabberd (23.01 and later, ejabberd_bosh.erl)
     * stalls when the lower one, once it comes, has nothing to answer at
     * once: active1/3 makes it the held request and only a later push
     * (reply/4) takes the waiting higher rid up; the wait timeout answers
     * the held one without doing so (drop_holding_receiver/1), so the higher
     * rid waits for our own timeout, and its retransmission then crashes
     * the session's process (gb_trees:insert of a rid already waiting).
     * So a new request waits while an earlier one is unanswered, under
     * request_gap_ms old and not known to have arrived (see
     * note_arrival()), and while an earlier one waits to be sent again
     * (without that, a request whose first copy a network reset stopped
     * was overtaken by the next one: the fault test's 30 s stalls). A
     * request sent while no other is unanswered, or after every earlier
     * one is known to be there, overtakes nothing. */
    if (!b->terminate_pending && !b->pause_pending && gap_pending(b, now_ms)) return 0;
    /* XEP-0124 §12: in a polling session (the server holds nothing),
     * empty requests are spaced by at least `polling` seconds. */
    if (!has_payload && is_polling(b) && now_ms < b->last_empty_ms + b->polling_s * 1000.0) return 0;
    if (!has_payload) b->last_empty_ms = now_ms;
    slot *s = new_slot(b);
    if (!s) return 0;
    b->last_new_rid = s->rid;
    if (build_body(b, s)) {
        set_condition(b, "internal-error", "out of memory");
        return 0;
    }
    s->payload_end = b->consumed_bytes;
    return hand_out(b, s, now_ms, out);
}

/* Our terminate is answered (or cannot be): closed, normally or for the
 * input we refused. */
static void terminated(xw_bosh *b) {
    set_condition(b, b->refused_condition, b->refused_condition ? b->refused_text : "");
}

/* The server sent what we refuse (a body over the limit, XML RFC 6120 §11
 * forbids): end the session with a terminate, so the server does not keep
 * it as a ghost, and report `cond` once that is answered. */
static void refuse(xw_bosh *b, const char *cond, const char *text) {
    b->closed_locally = 1;
    if (b->state != XW_BOSH_ACTIVE || b->refused_condition) {
        set_condition(b, cond, text);
        return;
    }
    b->refused_condition = xw_strdup(cond);
    b->refused_text = xw_strdup(text ? text : "");
    if (!b->refused_condition || !b->refused_text) {
        set_condition(b, cond, text);
        return;
    }
    b->terminate_pending = 1;
}

/* Processes one response; returns 0 to go on, non-zero once the session
 * has closed. */
/* What is between a body's start and end tags (empty for <body/>). */
static void body_content(const char *body, size_t body_len, const char **start, size_t *len) {
    *start = NULL;
    *len = 0;
    const char *gt = body ? memchr(body, '>', body_len) : NULL;
    if (!gt || gt == body || gt[-1] == '/') return;
    const char *end = NULL; /* the last "</": the body's end tag */
    for (const char *p = body + body_len - 2; p > gt; p--) {
        if (p[0] == '<' && p[1] == '/') {
            end = p;
            break;
        }
    }
    if (!end) return;
    *start = gt + 1;
    *len = (size_t)(end - *start);
}

/* Whether a response body carries nothing but whitespace. */
static int body_is_empty(const char *body, size_t body_len) {
    const char *content;
    size_t len;
    body_content(body, body_len, &content, &len);
    for (size_t i = 0; i < len; i++)
        if (content[i] != ' ' && content[i] != '\t' && content[i] != '\r' && content[i] != '\n') return 0;
    return 1;
}

/* ejabberd (mod_bosh, 23.01 and since) keeps a retransmitted request it
 * had already taken and was holding as the template of its answer, and
 * answers it, when it lets it go, with the request's own children: our
 * stanzas and XEP-0198 acks come back to us as if the server sent them
 * (an <a h='N'/> of ours read as the server's would end the stream as
 * handled-count-too-high). A retransmission answered with exactly what it
 * carried is such an echo. */
static int is_echo(const slot *s) {
    if (s->times_sent < 2) return 0;
    const char *sent, *got;
    size_t sent_len, got_len;
    body_content(s->body.data, s->body.len, &sent, &sent_len);
    body_content(s->answer, s->answer_len, &got, &got_len);
    return sent_len > 0 && sent_len == got_len && memcmp(sent, got, sent_len) == 0;
}

/* What an answer tells about which requests reached the server, for the
 * request gap. The answered rid did. An empty answer to a request the
 * server was holding, well before `wait` ran out, says more: a server
 * keeps at most `hold` requests waiting and answers the oldest when one
 * more comes (XEP-0124 §4, §8), so rid + hold reached it. That is how a
 * client learns, one round trip after sending, that its payload request
 * is there, and need not wait for the gap to send the next. */
static void note_arrival(xw_bosh *b, const slot *s, double now_ms) {
    if (s->rid > b->arrived_rid) b->arrived_rid = s->rid;
    if (b->state != XW_BOSH_ACTIVE || !b->hold || s->times_sent != 1) return;
    if (now_ms - s->sent_ms >= (double)b->wait_s * 1000.0 - 1000.0) return; /* the wait ran out */
    if (!body_is_empty(s->answer, s->answer_len)) return;
    if (!b->peeked_plain) return; /* a terminate or an error, not a held request let go */
    uint64_t next = s->rid + b->hold;
    /* Never past what was sent: a rid not yet sent has not arrived. */
    if (next > b->last_new_rid) next = b->last_new_rid;
    if (next > b->arrived_rid) b->arrived_rid = next;
}

static int process_response(xw_bosh *b, slot *s, double now_ms) {
    switch (s->http_status) {
    /* XEP-0124 §17.1: HTTP error codes of older servers map to conditions. */
    case 400: set_condition(b, "bad-request", "HTTP 400"); return 1;
    case 403: set_condition(b, "policy-violation", "HTTP 403"); return 1;
    case 404: set_condition(b, "item-not-found", "HTTP 404"); return 1;
    default: break;
    }
    unsigned long salt;
    xw_random_bytes(&salt, sizeof salt);
    if (xw_xml_parser_reset(b->parser, salt)) {
        set_condition(b, "internal-error", "out of memory");
        return 1;
    }
    b->parse_now = now_ms;
    b->resp_terminate = b->resp_recoverable = 0;
    b->resp_condition[0] = '\0';
    int was_creating = b->state == XW_BOSH_CREATING;
    b->dropping_echo = is_echo(s);
    int rc = xw_xml_parser_feed(b->parser, s->answer, s->answer_len, 1);
    b->dropping_echo = 0;
    if (b->state == XW_BOSH_CLOSED) return 1; /* a stanza handler closed it */
    if (rc) {
        const char *why = xw_xml_parser_error(b->parser);
        if (rc == XW_ERR_PROTOCOL && was_creating) refuse(b, "bad-request", "session creation response without sid");
        else refuse(b, rc == XW_ERR_LIMIT ? "policy-violation" : "not-well-formed", why);
        return b->state == XW_BOSH_CLOSED;
    }
    if (b->resp_terminate) {
        /* XEP-0124 §17.2: a terminal condition ends the session; stanzas in
         * the same body were delivered above. Once we asked to terminate,
         * any terminate answer is a normal close (ejabberd answers the
         * request it held with condition='other-request'). */
        const char *c = b->resp_condition[0] ? b->resp_condition : "undefined-condition";
        if (b->state == XW_BOSH_TERMINATING) {
            terminated(b);
            return 1;
        }
        set_condition(b, c, "terminated by the connection manager");
        return 1;
    }
    if (b->state == XW_BOSH_TERMINATING && s->rid + 1 == b->next_rid) {
        terminated(b);
        return 1;
    }
    return 0;
}

/* How long after its creation a session may still be unknown to some
 * node of a cluster. ejabberd (23.01) makes a new BOSH session known to
 * its other nodes asynchronously: behind a round-robin balancer a request
 * right after the creation can reach a node that answers item-not-found
 * for a session that exists (about 1 in 100 logins through two nodes on
 * loopback). Within this window such an answer, empty, is taken as a lost
 * request and the same rid is sent again (XEP-0124 §14 allows resending
 * it); past it, or carrying stanzas, item-not-found ends the session
 * (§17.2). A session really gone costs at most max_retries backoffs more
 * before it is reported. */
#define YOUNG_SESSION_MS 5000.0

static int unknown_to_this_node(const xw_bosh *b, const char *body, size_t len, double now_ms) {
    if (b->state != XW_BOSH_ACTIVE || !b->resp_terminate || strcmp(b->resp_condition, "item-not-found") != 0 ||
        now_ms - b->created_ms >= YOUNG_SESSION_MS)
        return 0;
    /* A node that does not know the session has nothing to deliver in it:
     * a terminate that carries stanzas comes from the session itself. */
    return body_is_empty(body, len);
}

/* XEP-0124 §17.3 (recoverable binding conditions): a body with
 * type='error' asks for this request and every earlier unanswered one to
 * be sent again, unchanged. Looks at the body element only (which also
 * leaves resp_terminate and resp_condition set for it). */
static int is_recoverable_error(xw_bosh *b, const char *body, size_t len) {
    b->peeked_plain = 0;
    unsigned long salt;
    xw_random_bytes(&salt, sizeof salt);
    if (xw_xml_parser_reset(b->parser, salt)) return 0;
    b->peeking = 1;
    b->resp_recoverable = b->resp_terminate = 0;
    b->resp_condition[0] = '\0';
    /* Stops with XW_ERR_STATE right after <body>; malformed bodies are
     * reported later, by the in-order parse. */
    int rc = xw_xml_parser_feed(b->parser, body, len, 1);
    b->peeking = 0;
    return (rc == XW_OK || rc == XW_ERR_STATE) && b->resp_recoverable;
}

static void backoff(xw_bosh *b, slot *s, double now_ms) {
    if (b->refused_condition && b->state == XW_BOSH_TERMINATING) {
        terminated(b); /* the terminate was a courtesy: do not wait for it */
        return;
    }
    s->failures++;
    if (s->failures > b->cfg.max_retries) {
        b->closed_locally = 1;
        set_condition(b, "connection-failed", "no answer from the connection manager");
        return;
    }
    s->st = SLOT_BACKOFF;
    s->deadline = now_ms + xw_backoff_ms(b->cfg.backoff_base_ms, b->cfg.backoff_max_ms, s->failures);
}

/* Copies an answer into its slot in a block of exactly its size: growing
 * by doubling would hold up to twice a large answer (a 1 MB roster). */
static int keep_response(xw_buf *r, const char *body, size_t len) {
    if (len == SIZE_MAX) return XW_ERR_NOMEM;
    if (r->cap < len + 1) {
        char *fresh = malloc(len + 1);
        if (!fresh) return XW_ERR_NOMEM;
        free(r->data);
        r->data = fresh;
        r->cap = len + 1;
    }
    if (len) memcpy(r->data, body, len);
    r->data[len] = '\0'; /* an xw_buf's bytes always end with a NUL */
    r->len = len;
    return XW_OK;
}

void xw_bosh_receive(xw_bosh *b, double rid, int http_status, const char *body, size_t len, double now_ms) {
    if (b->state == XW_BOSH_IDLE || b->state == XW_BOSH_CLOSED) return;
    slot *s = slot_for_rid(b, (uint64_t)rid);
    if (!s || s->st == SLOT_ANSWERED) return; /* duplicate or unknown: ignore */
    if (http_status != 200 && http_status != 400 && http_status != 403 && http_status != 404) {
        /* 5xx and odd codes from proxies: treat like a broken connection. */
        backoff(b, s, now_ms);
        return;
    }
    if (http_status == 200 && b->state != XW_BOSH_CREATING && is_recoverable_error(b, body, len)) {
        for (int i = 0; i < MAX_SLOTS; i++) {
            slot *t = &b->slots[i];
            if (t->st == SLOT_SENT && t->rid < s->rid) t->st = SLOT_READY;
        }
        s->st = SLOT_READY;
        /* A server that answers 'error' forever must not loop us forever. */
        if (++s->failures > b->cfg.max_retries) {
            b->closed_locally = 1;
            set_condition(b, "undefined-condition", "the connection manager kept answering type='error'");
        }
        return;
    }
    if (http_status == 200 && unknown_to_this_node(b, body, len, now_ms)) { /* from the peek above */
        if (s->failures >= b->cfg.max_retries) set_condition(b, "item-not-found", "terminated by the connection manager");
        else backoff(b, s, now_ms);
        return;
    }
    if (s->rid == b->processed_rid + 1) {
        /* Its turn now: processed below, before the caller's bytes go. */
        s->answer = body;
        s->answer_len = len;
    } else {
        if (keep_response(&s->response, body, len)) {
            set_condition(b, "internal-error", "out of memory");
            return;
        }
        s->answer = s->response.data;
        s->answer_len = s->response.len;
    }
    s->http_status = http_status;
    s->st = SLOT_ANSWERED;
    if (http_status == 200) note_arrival(b, s, now_ms);
    /* XEP-0124 §14: process responses in rid order. */
    for (;;) {
        slot *next = slot_for_rid(b, b->processed_rid + 1);
        if (!next || next->st != SLOT_ANSWERED) break;
        b->processed_rid++;
        int closed = process_response(b, next, now_ms);
        if (closed) {
            next->answer = NULL; /* it may be the caller's bytes */
            next->answer_len = 0;
            return;
        }
        /* An answer means the server took this request's payload, and
         * every earlier one's (it processes them in rid order too). */
        if (next->payload_end > b->acked_bytes) b->acked_bytes = next->payload_end;
        free_slot(next);
    }
}

void xw_bosh_failed(xw_bosh *b, double rid, double now_ms) {
    if (b->state == XW_BOSH_IDLE || b->state == XW_BOSH_CLOSED) return;
    slot *s = slot_for_rid(b, (uint64_t)rid);
    if (!s || s->st != SLOT_SENT) return;
    backoff(b, s, now_ms);
}

double xw_bosh_next_deadline(const xw_bosh *b) {
    if (b->state == XW_BOSH_IDLE || b->state == XW_BOSH_CLOSED) return -1;
    double d = -1;
    /* A polling session wakes up to send its next empty request. */
    if (b->state == XW_BOSH_ACTIVE && is_polling(b) && slots_in_use(b) == 0)
        d = b->last_empty_ms + b->polling_s * 1000.0;
    /* Payload held back by the request gap goes out when it ends. */
    int has_payload = b->queued.len || b->restart_pending || b->terminate_pending || b->pause_pending;
    /* (terminate and pause never wait: a page being unloaded cannot; with
     * the window full, an answer comes first; a request waiting to be sent
     * again has its own deadline below) */
    if (b->state == XW_BOSH_ACTIVE && has_payload && !b->terminate_pending && !b->pause_pending &&
        slots_in_use(b) < b->requests) {
        double at = gap_end(b, -INFINITY);
        if (at > 0 && at != INFINITY && (d < 0 || at < d)) d = at;
    }
    for (int i = 0; i < MAX_SLOTS; i++) {
        const slot *s = &b->slots[i];
        if ((s->st == SLOT_SENT || s->st == SLOT_BACKOFF) && (d < 0 || s->deadline < d)) d = s->deadline;
    }
    return d;
}

void xw_bosh_tick(xw_bosh *b, double now_ms) {
    for (int i = 0; i < MAX_SLOTS && b->state != XW_BOSH_CLOSED; i++) {
        slot *s = &b->slots[i];
        if (s->st == SLOT_BACKOFF && now_ms >= s->deadline) s->st = SLOT_READY;
        else if (s->st == SLOT_SENT && now_ms >= s->deadline) backoff(b, s, now_ms);
    }
}

xw_bosh_state xw_bosh_get_state(const xw_bosh *b) { return b->state; }
const char *xw_bosh_condition(const xw_bosh *b) { return b->condition; }
const char *xw_bosh_condition_text(const xw_bosh *b) { return b->condition_text ? b->condition_text : ""; }
const char *xw_bosh_sid(const xw_bosh *b) { return b->sid; }
int xw_bosh_closed_locally(const xw_bosh *b) { return b->closed_locally; }
uint64_t xw_bosh_queue_end(const xw_bosh *b) { return b->consumed_bytes + b->queued.len; }
uint64_t xw_bosh_acked(const xw_bosh *b) { return b->acked_bytes; }
unsigned xw_bosh_requests(const xw_bosh *b) { return b->requests; }
unsigned xw_bosh_wait(const xw_bosh *b) { return b->wait_s; }

int xw_bosh_pause(xw_bosh *b, unsigned seconds) {
    if (b->state != XW_BOSH_ACTIVE || !b->maxpause_s || !seconds) return XW_ERR_STATE;
    /* XEP-0124 §10: never longer than the server's maxpause. */
    b->pause_pending = seconds < b->maxpause_s ? seconds : b->maxpause_s;
    return XW_OK;
}

/* ------------------------------------------------------ save and restore */

int xw_bosh_save_attrs(const xw_bosh *b, xw_buf *out) {
    if (b->state != XW_BOSH_ACTIVE || !b->sid) return XW_ERR_STATE;
    int rc = xw_buf_append_str(out, " sid='");
    if (!rc) rc = xw_buf_append_xml_attr_escaped(out, b->sid, strlen(b->sid));
    if (!rc)
        rc = xw_buf_printf(out,
                           "' next-rid='%llu' processed-rid='%llu' wait='%u' hold='%u' requests='%u'"
                           " inactivity='%u' polling='%u' maxpause='%u' acks='%d'",
                           (unsigned long long)b->next_rid, (unsigned long long)b->processed_rid, b->wait_s,
                           b->hold, b->requests, b->inactivity_s, b->polling_s, b->maxpause_s, b->server_acks);
    return rc;
}

int xw_bosh_save_requests(const xw_bosh *b, const char *ns, xw_buf *out) {
    int rc = XW_OK;
    /* Every rid not yet processed, answered or not: the answer of an
     * aborted request is lost with the page, and the server answers a
     * repeated rid from its cache of recent responses (XEP-0124 §14). */
    for (uint64_t rid = b->processed_rid + 1; !rc && rid < b->next_rid; rid++) {
        const slot *s = NULL;
        for (int i = 0; i < MAX_SLOTS; i++)
            if (b->slots[i].st != SLOT_FREE && b->slots[i].rid == rid) s = &b->slots[i];
        if (!s) return XW_ERR_STATE;
        rc = xw_buf_printf(out, "<request xmlns='%s' rid='%llu'>", ns, (unsigned long long)rid);
        if (!rc) rc = xw_buf_append_xml_escaped(out, s->body.data ? s->body.data : "", s->body.len);
        if (!rc) rc = xw_buf_append_str(out, "</request>");
    }
    if (!rc && b->queued.len) {
        rc = xw_buf_printf(out, "<queued xmlns='%s'>", ns);
        if (!rc) rc = xw_buf_append_xml_escaped(out, b->queued.data, b->queued.len);
        if (!rc) rc = xw_buf_append_str(out, "</queued>");
    }
    return rc;
}

static int parse_rid(const char *v, uint64_t *out) {
    if (!v || !*v) return XW_ERR_PROTOCOL;
    uint64_t x = 0;
    for (const char *p = v; *p; p++) {
        if (*p < '0' || *p > '9') return XW_ERR_PROTOCOL;
        x = x * 10 + (uint64_t)(*p - '0');
        if (x >= ((uint64_t)1 << 53)) return XW_ERR_PROTOCOL;
    }
    *out = x;
    return XW_OK;
}

int xw_bosh_restore_attrs(xw_bosh *b, const xw_node *saved) {
    if (b->state != XW_BOSH_IDLE) return XW_ERR_STATE;
    const char *sid = xw_node_attr(saved, "sid");
    uint64_t next = 0, processed = 0;
    if (!sid || !*sid || parse_rid(xw_node_attr(saved, "next-rid"), &next) ||
        parse_rid(xw_node_attr(saved, "processed-rid"), &processed) || processed >= next ||
        next - processed > MAX_SLOTS)
        return XW_ERR_PROTOCOL;
    b->sid = xw_strdup(sid);
    if (!b->sid) return XW_ERR_NOMEM;
    b->next_rid = next;
    b->processed_rid = processed;
    b->arrived_rid = processed;
    b->wait_s = parse_uint_attr(saved, "wait", b->cfg.wait_s);
    if (b->wait_s > b->cfg.wait_s) b->wait_s = b->cfg.wait_s;
    b->hold = parse_uint_attr(saved, "hold", b->cfg.hold);
    b->requests = parse_uint_attr(saved, "requests", b->hold + 1);
    if (b->requests < 1) b->requests = 1;
    if (b->requests > MAX_SLOTS - 1) b->requests = MAX_SLOTS - 1;
    b->inactivity_s = parse_uint_attr(saved, "inactivity", 0);
    b->polling_s = parse_uint_attr(saved, "polling", 0);
    b->maxpause_s = parse_uint_attr(saved, "maxpause", 0);
    b->server_acks = parse_uint_attr(saved, "acks", 0) == 1;
    b->last_empty_ms = -1e15;
    b->state = XW_BOSH_ACTIVE;
    return XW_OK;
}

int xw_bosh_restore_request(xw_bosh *b, const char *rid_str, const char *body, size_t len) {
    uint64_t rid = 0;
    if (b->state != XW_BOSH_ACTIVE || parse_rid(rid_str, &rid) || rid <= b->processed_rid ||
        rid >= b->next_rid || slot_for_rid(b, rid))
        return XW_ERR_PROTOCOL;
    for (int i = 0; i < MAX_SLOTS; i++) {
        slot *s = &b->slots[i];
        if (s->st != SLOT_FREE) continue;
        xw_buf_clear(&s->body);
        xw_buf_clear(&s->response);
        if (xw_buf_append(&s->body, body, len)) return XW_ERR_NOMEM;
        s->rid = rid;
        s->failures = 0;
        s->http_status = 0;
        s->payload_end = 0; /* queued in an earlier page load: not tracked here */
        s->times_sent = 1;  /* by the earlier page */
        /* Sent again, byte for byte, as a retransmission (XEP-0124 §14). */
        s->st = SLOT_READY;
        return XW_OK;
    }
    return XW_ERR_LIMIT;
}

int xw_bosh_restore_check(xw_bosh *b) {
    for (uint64_t rid = b->processed_rid + 1; rid < b->next_rid; rid++)
        if (!slot_for_rid(b, rid)) return XW_ERR_PROTOCOL;
    return XW_OK;
}
