/* client.c: the public xw_client API (xw.h) and the account's life across
 * BOSH sessions: options, the event queue, the reconnection policy (which
 * ends are worth another login, backoff with jitter and a cap), the
 * outbox of messages the server has not confirmed, where the next catch-up
 * starts, the XEP-0198 stream to resume. One login's negotiation and
 * dispatch are in session.c; saving for the next page in saved.c. */
#include "client.h"
#include "im.h"
#include "mam.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define MAM_PAGE 100
#define MAM_PAGE_MAX 1000

/* Ends after which a new login is tried: XEP-0124 §17.2 terminal
 * conditions a later attempt can cure, and our own connection-failed.
 * Others (not-authorized, conflict, see-other-uri, host-unknown, ...)
 * would fail the same way again. */
static const char *const RECONNECTABLE[] = {
    "connection-failed", "item-not-found", "system-shutdown", "remote-connection-failed", "internal-server-error",
    "undefined-condition", "host-gone", "other-request", "remote-stream-error", NULL,
};

/* ---------------------------------------------------------------- events */

void xw_client_emit_error(xw_client *c, const char *condition, const char *text) {
    xw_event e;
    xw_event_begin(&e, &c->events, "error");
    xw_event_str(&e, "condition", condition);
    xw_event_str(&e, "text", text);
    xw_event_end(&e);
}

void xw_client_emit_status(xw_client *c, const char *status) {
    xw_event e;
    xw_event_begin(&e, &c->events, "status");
    xw_event_str(&e, "status", status);
    xw_event_end(&e);
}

const char *xw_client_events(xw_client *c) {
    size_t len;
    return xw_events_take(&c->events, &len);
}

size_t xw_client_events_len(const xw_client *c) { return c->events.out.len; }

char *xw_client_new_id(xw_client *c) {
    char buf[40];
    xw_format(buf, sizeof buf, "%s%u", c->id_prefix, ++c->id_counter);
    return xw_strdup(buf);
}

/* ----------------------------------------------------------------- options */

int xw_client_parse_uint(const char *v, unsigned long max, unsigned long *out) {
    if (!v || !*v) return XW_ERR_INVALID;
    unsigned long x = 0;
    for (const char *p = v; *p; p++) {
        if (*p < '0' || *p > '9') return XW_ERR_INVALID;
        x = x * 10 + (unsigned long)(*p - '0');
        if (x > max) return XW_ERR_INVALID;
    }
    *out = x;
    return XW_OK;
}

/* Frees a string that may hold a secret, zeroing it first. */
static void free_secret(char *s) {
    if (s) xw_memzero(s, strlen(s));
    free(s);
}

int xw_client_replace_str(char **slot, const char *v) {
    char *d = xw_strdup(v);
    if (!d) return XW_ERR_NOMEM;
    free_secret(*slot);
    *slot = d;
    return XW_OK;
}

/* Numeric options: name, the field it sets, least and most allowed. */
typedef enum { F_INT, F_UINT, F_ULONG, F_SIZE, F_DOUBLE } field_kind;
typedef struct {
    const char *name;
    size_t offset;
    field_kind kind;
    unsigned long min, max;
} num_option;

#define OPT(name, field, kind, min, max) {name, offsetof(xw_client, field), kind, min, max}
static const num_option NUM_OPTIONS[] = {
    OPT("secure", secure, F_INT, 0, 1),
    OPT("allow_plain", allow_plain, F_INT, 0, 1),
    OPT("initial_presence", initial_presence, F_INT, 0, 1),
    OPT("stream_management", stream_management, F_INT, 0, 1),
    OPT("catch_up", catch_up_enabled, F_INT, 0, 1),
    OPT("reconnect", reconnect, F_INT, 0, 1),
    OPT("receipts", receipts, F_INT, 0, 1),
    OPT("markers", markers, F_INT, 0, 1),
    OPT("carbons", carbons_enabled, F_INT, 0, 1),
    OPT("roster", roster_enabled, F_INT, 0, 1),
    OPT("wait", bosh_cfg.wait_s, F_UINT, 1, 3600),
    OPT("hold", bosh_cfg.hold, F_UINT, 1, 4),
    OPT("max_retries", bosh_cfg.max_retries, F_UINT, 0, 1000),
    OPT("backoff_base_ms", bosh_cfg.backoff_base_ms, F_UINT, 0, 3600000),
    OPT("backoff_max_ms", bosh_cfg.backoff_max_ms, F_UINT, 0, 3600000),
    OPT("timeout_margin_ms", bosh_cfg.timeout_margin_ms, F_UINT, 0, 3600000),
    OPT("request_gap_ms", bosh_cfg.request_gap_ms, F_UINT, 0, 10000),
    OPT("max_queued_bytes", bosh_cfg.max_queued_bytes, F_SIZE, 1, 1000000000),
    OPT("iq_timeout_ms", iq_timeout_ms, F_DOUBLE, 1, 1000000000),
    OPT("max_pending_iqs", max_pending_iqs, F_SIZE, 1, 1000000),
    OPT("max_outbox", outbox.max_queued, F_SIZE, 1, 1000000),
    OPT("resend_unconfirmed", unconfirmed.max, F_SIZE, 0, 100000),
    OPT("max_stanza_bytes", limits.max_stanza_bytes, F_SIZE, 1, 1000000000),
    OPT("max_body_bytes", limits.max_body_bytes, F_SIZE, 1, 1000000000),
    OPT("max_depth", limits.max_depth, F_SIZE, 1, 10000),
    OPT("max_attrs", limits.max_attrs, F_SIZE, 1, 1000000),
    OPT("max_attr_len", limits.max_attr_len, F_SIZE, 1, 1000000000),
    OPT("catch_up_max", catch_up_max, F_ULONG, 1, 1000000),
    OPT("catch_up_page", catch_up_page, F_UINT, 1, MAM_PAGE_MAX),
    OPT("reconnect_delay_ms", reconnect_delay_ms, F_ULONG, 0, 3600000),
    OPT("reconnect_max_delay_ms", reconnect_max_delay_ms, F_ULONG, 0, 3600000),
    OPT("max_reconnect_attempts", max_reconnect_attempts, F_ULONG, 0, 1000000),
    OPT("max_scram_iterations", max_scram_iterations, F_ULONG, XW_SCRAM_MIN_ITERATIONS, 100000000),
    OPT("resend_window_ms", resend_window_ms, F_DOUBLE, 0, 86400000),
};

static int set_num_option(xw_client *c, const num_option *o, const char *value) {
    unsigned long v;
    if (xw_client_parse_uint(value, o->max, &v) || v < o->min) return XW_ERR_INVALID;
    char *field = (char *)c + o->offset;
    switch (o->kind) {
    case F_INT: *(int *)(void *)field = (int)v; break;
    case F_UINT: *(unsigned *)(void *)field = (unsigned)v; break;
    case F_ULONG: *(unsigned long *)(void *)field = v; break;
    case F_SIZE: *(size_t *)(void *)field = (size_t)v; break;
    case F_DOUBLE: *(double *)(void *)field = (double)v; break;
    }
    return XW_OK;
}

int xw_client_set_option(xw_client *c, const char *name, const char *value) {
    if (!name || !value) return XW_ERR_INVALID;
    if (c->life != LIFE_NEW) return XW_ERR_STATE;
    if (strcmp(name, "jid") == 0) {
        xw_jid j;
        int rc = xw_jid_parse(value, strlen(value), &j);
        if (rc) return rc;
        if (!j.local) {
            xw_jid_free(&j);
            return XW_ERR_JID; /* SASL needs an account name */
        }
        xw_jid_free(&c->jid);
        c->jid = j;
        if (j.resource && (rc = xw_client_replace_str(&c->resource, j.resource))) return rc;
        return xw_client_replace_str(&c->jid_str, value);
    }
    if (strcmp(name, "password") == 0) {
        xw_buf prepared = {0};
        int rc = xw_sasl_prep_password(value, &prepared);
        if (!rc) {
            free_secret(c->password);
            c->password = xw_buf_take(&prepared);
        }
        xw_buf_wipe(&prepared);
        return rc;
    }
    if (strcmp(name, "resource") == 0) return *value ? xw_client_replace_str(&c->resource, value) : XW_ERR_INVALID;
    for (size_t i = 0; i < sizeof NUM_OPTIONS / sizeof *NUM_OPTIONS; i++)
        if (strcmp(name, NUM_OPTIONS[i].name) == 0) return set_num_option(c, &NUM_OPTIONS[i], value);
    return XW_ERR_INVALID;
}

/* -------------------------------------------------------------- the JIDs */

int xw_client_adopt_jid(xw_client *c, const char *full, size_t len) {
    xw_jid parsed;
    if (xw_jid_parse(full, len, &parsed)) return XW_ERR_JID;
    xw_buf bare = {0};
    int rc = xw_jid_bare(&parsed, &bare);
    xw_jid_free(&parsed);
    char *copy = rc ? NULL : xw_strndup(full, len);
    if (!copy) {
        xw_buf_free(&bare);
        return XW_ERR_NOMEM;
    }
    free(c->s.bound_jid); /* after the copy: full may be the bound JID itself */
    c->s.bound_jid = copy;
    free(c->archive_jid);
    c->archive_jid = xw_buf_take(&bare);
    return XW_OK;
}

/* The resourcepart of a full JID, copied, or NULL. */
char *xw_client_resource_of(const char *full) {
    xw_jid j;
    if (!full || xw_jid_parse(full, strlen(full), &j)) return NULL;
    char *r = j.resource ? xw_strdup(j.resource) : NULL;
    xw_jid_free(&j);
    return r;
}

/* ---------------------------------------------------------------- outbox */

static int outbox_may_go(const xw_client *c) { return xw_session_online(c) && c->s.presence_sent; }

/* The bare JID of a full or bare one, copied; NULL when it is not a JID. */
static char *bare_of(const char *jid) {
    xw_jid j;
    if (!jid || xw_jid_parse(jid, strlen(jid), &j)) return NULL;
    xw_buf bare = {0};
    int rc = xw_jid_bare(&j, &bare);
    xw_jid_free(&j);
    if (rc) xw_buf_free(&bare);
    return rc ? NULL : xw_buf_take(&bare);
}

/* Queues the app's message on the live session and tracks it: for the
 * server (outbox.h) and, asking the peer for a receipt, for the peer
 * (receipts.h). `again`: the peer did not confirm it; it goes out with its
 * first sending time (XEP-0203 §3, from us). `now_known`: c->now_ms is the
 * time of this call (the app's sendMessage carries none: the next request
 * stamps it). */
static int send_tracked(xw_client *c, const xw_out_msg *m, const xw_awaited *again, int now_known) {
    xw_node *n = NULL;
    int rc = xw_im_build_message(&n, m);
    /* One-to-one messages ask for a receipt (XEP-0184 §5.1) and may be
     * marked displayed (XEP-0333 §4). */
    int one_to_one = m->body && m->type && (!strcmp(m->type, "chat") || !strcmp(m->type, "normal"));
    if (!rc && one_to_one && c->receipts && !xw_node_add_child(n, "request", XW_NS_RECEIPTS)) rc = XW_ERR_NOMEM;
    if (!rc && one_to_one && c->markers && !xw_node_add_child(n, "markable", XW_NS_MARKERS)) rc = XW_ERR_NOMEM;
    if (!rc && again) {
        char stamp[32];
        xw_format_utc(again->sent_ms, 1, stamp);
        xw_node *d = xw_node_add_child(n, "delay", XW_NS_DELAY);
        rc = d ? xw_node_set_attr(d, "stamp", stamp) : XW_ERR_NOMEM;
        if (!rc && c->archive_jid) rc = xw_node_set_attr(d, "from", c->archive_jid);
    }
    if (!rc) rc = xw_session_send(c, n, 0);
    xw_node_free(n);
    /* No <r/> after it (XEP-0198 lets the client ask, need not): each one
     * makes ejabberd answer the held request at once, and the extra
     * requests that follow, racing on a lossy network, stall ejabberd (see
     * bosh.c, request_gap_ms). The <resumed/> h is what counts. */
    if (rc) return rc;
    xw_out_msg t = *m;
    t.mark = xw_bosh_queue_end(c->s.bosh);
    t.seq = c->s.sm.counting ? c->s.sm.out : 0;
    t.resend = t.delivered = t.archived = 0;
    xw_outbox_prune(&c->outbox, xw_bosh_acked(c->s.bosh), c->s.sm.enabled && c->s.sm.id, c->s.sm.acked);
    /* Without memory the message is still sent, only not sent again if
     * the session is lost. */
    if (xw_outbox_track(&c->outbox, &t))
        xw_client_emit_error(c, "resource-constraint", "out of memory: a message sent now is not kept for a resend");
    /* Once per message: not again when the outbox resends it after a lost
     * session, nor when it is itself a resend to the peer. */
    if (one_to_one && c->receipts && c->unconfirmed.max && !m->resend && !again) {
        char *peer = bare_of(m->to);
        /* Not a private message through a room (room@service/nick): by the
         * time it went out again the nickname could be someone else's. */
        int via_room = peer && xw_muc_find(&c->muc, peer);
        if (!via_room && (!peer || xw_receipts_track(&c->unconfirmed, m, peer, now_known ? c->now_ms : -1)))
            xw_client_emit_error(c, "resource-constraint", "out of memory: a message sent now is not kept until its receipt");
        free(peer);
    }
    return XW_OK;
}

/* Sends again what a peer that came back online did not confirm
 * (receipts.h), behind the app's queue so the order holds. */
static void resend_unconfirmed(xw_client *c) {
    xw_awaited *a;
    while (outbox_may_go(c) && !c->outbox.nqueued && (a = xw_receipts_due(&c->unconfirmed, c->now_ms))) {
        int rc = send_tracked(c, &a->msg, a, 1);
        if (rc == XW_ERR_LIMIT) {
            /* The request queue is full: a little later, not a deadline
             * in the past that would wake the page in a loop. */
            a->due_ms = c->now_ms + 100;
            break;
        }
        if (rc) xw_client_emit_error(c, "internal-error", "an unconfirmed message could not be sent again");
        xw_receipts_resent(&c->unconfirmed, a);
    }
}

void xw_client_peer_online(xw_client *c, const char *from) {
    char *peer = bare_of(from);
    if (peer && (!c->archive_jid || strcmp(peer, c->archive_jid) != 0))
        xw_receipts_peer_online(&c->unconfirmed, peer, c->now_ms);
    free(peer);
}

void xw_client_peer_confirmed(xw_client *c, const char *from, const char *id) {
    char *peer = bare_of(from);
    if (peer) xw_receipts_confirmed(&c->unconfirmed, peer, id);
    free(peer);
}

void xw_client_flush_outbox(xw_client *c) {
    while (outbox_may_go(c)) {
        xw_out_msg *m = xw_outbox_next(&c->outbox, c->resumed_h);
        if (!m) break;
        int rc = send_tracked(c, m, NULL, 1);
        if (rc == XW_ERR_LIMIT) break; /* the request queue is full: more after the next request */
        if (rc) xw_client_emit_error(c, "internal-error", "a queued message could not be sent");
        xw_outbox_pop(&c->outbox);
    }
}

/* ---------------------------------------------------------- life cycle */

void xw_client_went_online(xw_client *c, int resumed) {
    c->ever_online = 1;
    /* A body too big for us that the server hands over again at every
     * login (from the archive, offline storage, a resumed stream) must not
     * loop forever: those logins count as attempts until one survives. */
    if (!c->refused_bodies) c->attempt = 0;
    if (c->first_online_ms < 0) c->first_online_ms = c->now_ms;
    /* The lost stream is resumed or replaced: its token is spent. */
    free(c->sm_resume_id);
    free(c->sm_resume_jid);
    c->sm_resume_id = c->sm_resume_jid = NULL;
    if (resumed) {
        /* Resent stanzas come now, and a second routing of them later. */
        xw_dedup_open_window(c, c->now_ms + c->resend_window_ms);
    } else {
        c->resumed_h = -1;
    }
    xw_event e;
    xw_event_begin(&e, &c->events, "online");
    xw_event_str(&e, "jid", c->s.bound_jid);
    if (resumed) xw_event_bool(&e, "resumed", 1);
    else xw_event_str(&e, "mechanism", c->s.mech_name);
    xw_event_end(&e);
    xw_client_emit_status(c, "online");
}

static int reconnectable(const char *cond, int refused) {
    if (!cond) return 0;
    /* A body over our own limit may not come again: the usual reconnect. */
    if (refused && strcmp(cond, "policy-violation") == 0) return 1;
    for (const char *const *r = RECONNECTABLE; *r; r++)
        if (strcmp(*r, cond) == 0) return 1;
    return 0;
}

/* The end, for good: what waited is reported unsent, then offline. */
static void finish(xw_client *c, const char *cond, const char *text) {
    c->life = LIFE_ENDED;
    c->reconnect_at = -1;
    while (c->outbox.nqueued) {
        xw_event e;
        xw_event_begin(&e, &c->events, "error");
        xw_event_str(&e, "condition", "recipient-unavailable");
        xw_event_str(&e, "text", "the message was not sent: the session ended");
        xw_event_str(&e, "id", c->outbox.queued[0].id);
        xw_event_end(&e);
        xw_outbox_pop(&c->outbox);
    }
    xw_event e;
    xw_event_begin(&e, &c->events, "offline");
    xw_event_str(&e, "condition", cond ? cond : "disconnected");
    xw_event_str(&e, "text", text ? text : "");
    xw_event_end(&e);
    xw_client_emit_status(c, "offline");
}

/* Schedules the next login after `delay` ms and tells the app why. */
static void schedule_login(xw_client *c, double delay, const char *reason, const char *text) {
    c->reconnect_at = c->now_ms + delay;
    xw_event e;
    xw_event_begin(&e, &c->events, "status");
    xw_event_str(&e, "status", "reconnecting");
    xw_event_int(&e, "attempt", (long long)c->attempt);
    xw_event_int(&e, "delay", (long long)delay);
    xw_event_str(&e, "reason", reason);
    xw_event_str(&e, "text", text);
    xw_event_end(&e);
}

/* The BOSH session has closed: keep what the next login needs, then log in
 * again or end for good. */
static void session_lost(xw_client *c) {
    xw_session *s = &c->s;
    int refused = !s->fail_condition && xw_bosh_closed_locally(s->bosh);
    char *cond = NULL, *text = NULL;
    const char *cond_src = s->fail_condition ? s->fail_condition : xw_bosh_condition(s->bosh);
    const char *text_src = s->fail_condition ? s->fail_text : xw_bosh_condition_text(s->bosh);
    if (cond_src) cond = xw_strdup(cond_src);
    text = xw_strdup(text_src ? text_src : "");
    /* Input the client refused (a limit, restricted XML), or a server that
     * stopped answering, is an error the app hears about as such. */
    if (refused && cond) xw_client_emit_error(c, cond, text);
    int body_refused = refused && cond && !strcmp(cond, "policy-violation");
    c->refused_bodies = body_refused ? c->refused_bodies + 1 : 0;
    if (body_refused && s->catching_up) {
        /* An archive page too big for max_body_bytes would come again, and
         * again: the next catch-up asks for pages a tenth as long. */
        c->catch_up_page_cap = s->mam_page_asked > 10 ? s->mam_page_asked / 10 : 1;
    }
    int resumable = s->sm.enabled && s->sm.id;
    /* A clean close: the answer to our terminate acknowledges all. */
    if (!cond) xw_outbox_prune(&c->outbox, UINT64_MAX, 0, 0);
    xw_outbox_session_lost(&c->outbox, xw_bosh_acked(s->bosh), resumable, s->sm.acked);
    if (resumable && cond && s->bound_jid) {
        /* What the next login needs to resume this stream (XEP-0198 §5). */
        free(c->sm_resume_id);
        free(c->sm_resume_jid);
        c->sm_resume_id = xw_strdup(s->sm.id);
        c->sm_resume_jid = xw_strdup(s->bound_jid);
        c->sm_resume_h = s->sm.in;
    }
    if (s->bound_jid) {
        free(c->lost_resource);
        c->lost_resource = xw_client_resource_of(s->bound_jid);
    }
    /* Pending IQs can no longer be answered. */
    for (size_t i = 0; i < s->iqs.n; i++) {
        if (!s->iqs.v[i].token) continue;
        xw_event e;
        xw_event_begin(&e, &c->events, "iq");
        xw_event_int(&e, "token", s->iqs.v[i].token);
        xw_event_bool(&e, "ok", 0);
        xw_event_str(&e, "condition", "disconnected");
        xw_event_end(&e);
    }
    xw_session_end(c);
    if (!c->user_closing && c->resuming_saved) {
        /* The saved session is gone (the server timed it out or
         * restarted): log in again at once, as the page would have. */
        c->resuming_saved = 0;
        schedule_login(c, 0, cond, text);
    } else if (!c->user_closing && c->ever_online && c->reconnect && reconnectable(cond, refused) &&
               c->attempt < c->max_reconnect_attempts) {
        /* Backoff with jitter and a cap: a server that is down is not
         * hammered, and its clients do not return in step. */
        c->attempt++;
        schedule_login(c, xw_backoff_ms((double)c->reconnect_delay_ms, (double)c->reconnect_max_delay_ms, c->attempt),
                       cond, text);
    } else {
        free(c->sm_resume_id);
        free(c->sm_resume_jid);
        c->sm_resume_id = c->sm_resume_jid = NULL;
        finish(c, cond, text);
    }
    free(cond);
    free(text);
}

/* After each entry point: has the session ended? */
static void check_closed(xw_client *c) {
    if (c->s.bosh && xw_bosh_get_state(c->s.bosh) == XW_BOSH_CLOSED) session_lost(c);
}

/* A new login after a lost session (or a saved one that is gone). */
void xw_client_log_in_again(xw_client *c) {
    int rc = xw_session_begin(c, c->now_ms, 1);
    if (rc) {
        finish(c, "internal-error", xw_strerror(rc));
        return;
    }
    c->s.catch_up = c->catch_up_enabled && (c->catch_up_after || c->first_online_ms >= 0);
}

/* ------------------------------------------------------------- public API */

xw_client *xw_client_new(void) {
    xw_client *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    xw_bosh_config_default(&c->bosh_cfg);
    xw_xml_limits_default(&c->limits);
    c->initial_presence = 1;
    c->stream_management = 1;
    c->catch_up_enabled = 1;
    c->reconnect = 1;
    c->receipts = c->markers = c->carbons_enabled = c->roster_enabled = 1;
    c->iq_timeout_ms = 30000;
    c->max_pending_iqs = 256;
    c->outbox.max_queued = 1000;
    c->unconfirmed.max = 1000;
    c->catch_up_max = 10000;
    c->catch_up_page = MAM_PAGE;
    c->reconnect_delay_ms = 1000;
    c->reconnect_max_delay_ms = 30000;
    c->max_reconnect_attempts = 10;
    c->max_scram_iterations = XW_SCRAM_MAX_ITERATIONS;
    c->resend_window_ms = 120000;
    c->reconnect_at = -1;
    c->first_online_ms = -1;
    c->resumed_h = -1;
    c->resend_window_until = -1;
    uint8_t r[4];
    xw_random_bytes(r, sizeof r);
    /* Random per-client id prefix so ids are not guessable across sessions. */
    xw_format(c->id_prefix, sizeof c->id_prefix, "xw%02x%02x%02x%02x-", r[0], r[1], r[2], r[3]);
    if (xw_session_register(c) || xw_message_register(c) || xw_presence_register(c) || xw_roster_register(c) ||
        xw_disco_register(c) || xw_blocking_register(c)) {
        xw_client_free(c);
        return NULL;
    }
    return c;
}

void xw_client_free(xw_client *c) {
    if (!c) return;
    xw_session_end(c);
    free_secret(c->password);
    free(c->jid_str);
    free(c->resource);
    xw_jid_free(&c->jid);
    free(c->archive_jid);
    free(c->catch_up_after);
    free(c->lost_resource);
    free(c->sm_resume_id);
    free(c->sm_resume_jid);
    free(c->last_id);
    xw_memzero(&c->scram_key, sizeof c->scram_key);
    xw_outbox_free(&c->outbox);
    xw_receipts_free(&c->unconfirmed);
    xw_keyset_free(&c->archive_ids);
    xw_keyset_free(&c->resent);
    xw_keyset_free(&c->fresh);
    xw_keyset_free(&c->origins);
    xw_events_free(&c->events);
    xw_dispatch_free(&c->handlers);
    xw_roster_free(&c->roster);
    xw_presence_free(&c->presence);
    xw_muc_free(&c->muc);
    xw_history_clear(&c->history);
    xw_buf_free(&c->scratch);
    xw_buf_free(&c->saved);
    free(c);
}

/* Shared by connect and resume: the account is set, the tables made. */
int xw_client_start_life(xw_client *c, double now_ms) {
    if (c->life != LIFE_NEW) return XW_ERR_STATE;
    if (!c->jid.domain || !c->jid.local) return XW_ERR_JID;
    xw_buf bare = {0};
    int rc = xw_jid_bare(&c->jid, &bare);
    if (rc) return rc;
    free(c->archive_jid);
    c->archive_jid = xw_buf_take(&bare);
    /* Sized to hold a whole catch-up, and then some live traffic. */
    xw_keyset_init(&c->archive_ids, c->catch_up_max + 1024);
    xw_keyset_init(&c->resent, c->catch_up_max + 1024);
    xw_keyset_init(&c->fresh, 1024);
    /* Long enough for a peer's resend (receipts.h) to find its first copy. */
    xw_keyset_init(&c->origins, 2048);
    xw_receipts_init(&c->unconfirmed);
    c->now_ms = now_ms;
    c->life = LIFE_RUNNING;
    return XW_OK;
}

int xw_client_connect(xw_client *c, double now_ms) {
    int rc = xw_client_start_life(c, now_ms);
    if (rc) return rc;
    rc = xw_session_begin(c, now_ms, 1);
    if (rc) {
        c->life = LIFE_NEW;
        return rc;
    }
    xw_client_emit_status(c, "connecting");
    return XW_OK;
}

int xw_client_next_request(xw_client *c, double now_ms) {
    c->now_ms = now_ms;
    xw_receipts_stamp(&c->unconfirmed, now_ms); /* what the app sent since the last call */
    if (!c->s.bosh) return 0;
    if (c->outbox.nqueued) xw_client_flush_outbox(c);
    int has = xw_bosh_next_request(c->s.bosh, now_ms, &c->s.req);
    if (xw_bosh_get_state(c->s.bosh) == XW_BOSH_CLOSED) {
        has = 0; /* the request's bytes go with the session */
        check_closed(c);
    }
    return has;
}

double xw_client_request_rid(const xw_client *c) { return c->s.req.rid; }
const char *xw_client_request_body(const xw_client *c) { return c->s.req.body; }
size_t xw_client_request_len(const xw_client *c) { return c->s.req.body_len; }
unsigned xw_client_request_timeout(const xw_client *c) { return c->s.req.timeout_ms; }

void xw_client_receive(xw_client *c, double rid, int http_status, const char *body, size_t len, double now_ms) {
    c->now_ms = now_ms;
    if (!c->s.bosh) return;
    xw_bosh_receive(c->s.bosh, rid, http_status, body, len, now_ms);
    /* A saved session that answers is alive: its loss is an ordinary one. */
    if (c->resuming_saved && http_status == 200 && xw_bosh_get_state(c->s.bosh) == XW_BOSH_ACTIVE)
        c->resuming_saved = 0;
    check_closed(c);
}

void xw_client_request_failed(xw_client *c, double rid, double now_ms) {
    c->now_ms = now_ms;
    if (!c->s.bosh) return;
    xw_bosh_failed(c->s.bosh, rid, now_ms);
    check_closed(c);
}

static double earliest(double a, double b) {
    if (a < 0) return b;
    if (b < 0) return a;
    return a < b ? a : b;
}

double xw_client_next_deadline(const xw_client *c) {
    double d = c->reconnect_at;
    if (!c->s.bosh) return d;
    if (c->s.neg == NEG_DERIVING) return c->now_ms; /* the next step of the key derivation, at once */
    d = earliest(d, xw_bosh_next_deadline(c->s.bosh));
    /* (Due messages wait while the app's queue drains: not a deadline.) */
    if (outbox_may_go(c) && !c->outbox.nqueued) d = earliest(d, xw_receipts_next_deadline(&c->unconfirmed));
    return earliest(d, xw_iq_next_deadline(&c->s.iqs));
}

void xw_client_tick(xw_client *c, double now_ms) {
    c->now_ms = now_ms;
    if (c->reconnect_at >= 0 && now_ms >= c->reconnect_at && !c->s.bosh) {
        c->reconnect_at = -1;
        xw_client_log_in_again(c);
        return;
    }
    if (!c->s.bosh) return;
    xw_bosh_tick(c->s.bosh, now_ms);
    xw_session_derive_step(c);
    resend_unconfirmed(c);
    long i;
    while (c->s.bosh && (i = xw_iq_expired(&c->s.iqs, now_ms)) >= 0) {
        xw_iq_fn done = c->s.iqs.v[i].done;
        int token = c->s.iqs.v[i].token;
        xw_iq_remove(&c->s.iqs, (size_t)i);
        if (done) done(c, NULL, 0, "timeout", token); /* RFC 6120 §8.2.3 */
    }
    check_closed(c);
}

int xw_client_validate_to(const char *to) {
    xw_jid j;
    if (!to || xw_jid_parse(to, strlen(to), &j)) return XW_ERR_JID;
    xw_jid_free(&j);
    return XW_OK;
}

int xw_client_send_message(xw_client *c, const char *to, const char *type, const char *body, const char *subject,
                           const char *thread, const char *id) {
    int rc = xw_client_validate_to(to);
    if (rc) return rc;
    xw_out_msg m = {0};
    m.to = (char *)to;
    m.type = (char *)(type ? type : "chat");
    m.body = (char *)body;
    m.subject = (char *)subject;
    m.thread = (char *)thread;
    /* XEP-0359: the origin-id is ours and unique; the id is the app's if
     * it chose one (apps and bots reuse theirs), else the same. */
    char *origin = xw_client_new_id(c);
    m.id = (char *)(id ? id : origin);
    m.origin_id = origin;
    xw_node *check = NULL;
    rc = !origin ? XW_ERR_NOMEM : xw_im_build_message(&check, &m);
    xw_node_free(check); /* built to validate type and text before queueing */
    if (!rc && (c->life != LIFE_RUNNING || !c->ever_online)) rc = XW_ERR_STATE;
    if (!rc) {
        /* Behind what waits, so the order holds; with the request queue
         * full (max_queued_bytes), it waits in the outbox for the next
         * request rather than failing the app's burst. */
        rc = outbox_may_go(c) && !c->outbox.nqueued ? send_tracked(c, &m, NULL, 0) : XW_ERR_LIMIT;
        if (rc == XW_ERR_LIMIT) rc = xw_outbox_queue(&c->outbox, &m);
    }
    if (!rc) {
        free(c->last_id);
        c->last_id = xw_strdup(m.id);
    }
    free(origin);
    return rc;
}

const char *xw_client_message_id(const xw_client *c) { return c->last_id ? c->last_id : ""; }

int xw_client_send_presence(xw_client *c, const char *type, const char *show, const char *status, const char *to) {
    if (!xw_session_online(c)) return XW_ERR_STATE;
    if (to) {
        int rc = xw_client_validate_to(to);
        if (rc) return rc;
    }
    xw_node *p = NULL;
    int rc = xw_im_build_presence(&p, type, show, status, to);
    if (!rc) rc = xw_session_send(c, p, 0);
    xw_node_free(p);
    return rc;
}

int xw_client_ping(xw_client *c, const char *to, double timeout_ms, double now_ms) {
    if (!xw_session_online(c)) return XW_ERR_STATE;
    c->now_ms = now_ms;
    if (!to) to = c->jid.domain;
    int rc = xw_client_validate_to(to);
    if (rc) return rc;
    xw_node *ping = xw_node_new("ping", "urn:xmpp:ping");
    if (!ping) return XW_ERR_NOMEM;
    return xw_session_iq(c, "get", to, ping, timeout_ms > 0 ? timeout_ms : 0, xw_session_iq_app_done, 1);
}

int xw_client_add_handler(xw_client *c, const char *name, const char *ns, const char *child, const char *child_ns) {
    return xw_dispatch_add_app(&c->handlers, name, ns, child, child_ns);
}

int xw_client_remove_handler(xw_client *c, int id) { return xw_dispatch_remove_app(&c->handlers, id); }

/* The one element inside the wrapper send_raw parses the app's XML in. */
static int take_raw_element(void *ud, xw_node *wrapper) {
    xw_node **out = ud;
    xw_node *el = NULL;
    int rc = *out ? XW_ERR_XML : XW_OK; /* one wrapper, one element */
    for (xw_node *n = wrapper->first_child; !rc && n; n = n->next) {
        if (n->name) {
            if (el) rc = XW_ERR_XML;
            el = n;
            continue;
        }
        for (size_t i = 0; i < n->text_len; i++)
            if (!strchr(" \t\r\n", n->text[i])) rc = XW_ERR_XML; /* text beside the element */
    }
    if (!rc && !el) rc = XW_ERR_XML;
    if (!rc) {
        /* Detach it: the wrapper is freed, the element kept. */
        xw_node **link = &wrapper->first_child;
        while (*link != el) link = &(*link)->next;
        *link = el->next;
        if (wrapper->last_child == el) wrapper->last_child = NULL;
        el->next = el->parent = NULL;
        *out = el;
    }
    xw_node_free(wrapper);
    return rc;
}

int xw_client_send_raw(xw_client *c, const char *xml, size_t len) {
    if (!xml) return XW_ERR_INVALID;
    if (!xw_session_online(c)) return XW_ERR_STATE;
    static const char head[] = "<body xmlns='" XW_NS_HTTPBIND "'><raw xmlns='" XW_NS_CLIENT "'>";
    static const char tail[] = "</raw></body>";
    xw_buf doc = {0};
    int rc = xw_buf_append(&doc, head, sizeof head - 1);
    if (!rc) rc = xw_buf_append(&doc, xml, len);
    if (!rc) rc = xw_buf_append(&doc, tail, sizeof tail - 1);
    xw_node *el = NULL;
    unsigned long salt;
    xw_random_bytes(&salt, sizeof salt);
    xw_xml_limits lim = c->limits;
    lim.max_stanza_bytes = lim.max_body_bytes = c->bosh_cfg.max_queued_bytes + sizeof head + sizeof tail;
    xw_xml_parser *p = rc ? NULL : xw_xml_parser_new(&lim, salt, NULL, take_raw_element, NULL, &el);
    if (!rc && !p) rc = XW_ERR_NOMEM;
    if (!rc) rc = xw_xml_parser_feed(p, doc.data, doc.len, 1);
    xw_xml_parser_free(p);
    xw_buf_free(&doc);
    if (!rc && !el) rc = XW_ERR_XML;
    if (!rc) rc = xw_session_send(c, el, 0);
    xw_node_free(el);
    return rc == XW_ERR_LIMIT || rc == XW_ERR_NOMEM || rc == XW_ERR_STATE ? rc : rc ? XW_ERR_XML : XW_OK;
}

int xw_client_disconnect(xw_client *c, double now_ms) {
    c->now_ms = now_ms;
    if (c->life != LIFE_RUNNING) return XW_ERR_STATE;
    c->user_closing = 1;
    if (!c->s.bosh) {
        finish(c, "disconnected", ""); /* between two logins */
        return XW_OK;
    }
    if (xw_bosh_get_state(c->s.bosh) != XW_BOSH_ACTIVE) {
        xw_bosh_close(c->s.bosh, NULL, "");
    } else {
        /* XEP-0124 §12: the last request carries unavailable presence. */
        xw_node *p = NULL;
        xw_buf xml = {0};
        int rc = xw_im_build_presence(&p, "unavailable", NULL, NULL, NULL);
        if (!rc && c->s.neg == NEG_ONLINE) rc = xw_node_serialize(p, XW_NS_HTTPBIND, &xml);
        if (!rc) rc = xw_bosh_terminate(c->s.bosh, xml.data, xml.len);
        xw_node_free(p);
        xw_buf_free(&xml);
        if (rc) xw_bosh_close(c->s.bosh, NULL, "");
    }
    c->s.neg = NEG_DONE;
    check_closed(c);
    return XW_OK;
}

int xw_client_pause(xw_client *c, unsigned seconds, double now_ms) {
    c->now_ms = now_ms;
    if (!xw_session_online(c)) return XW_ERR_STATE;
    return xw_bosh_pause(c->s.bosh, seconds);
}

