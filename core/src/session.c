/* session.c: the XMPP session over BOSH and the public xw_client API.
 * It owns stream negotiation (features, SASL, restart, bind: RFC 6120 §6,
 * §7, XEP-0206 §5-6), IQ tracking with ids and timeouts (RFC 6120 §8.2.3),
 * dispatch of received stanzas into events, the event queue, and the
 * catch-up from the archive that follows a lost session (XEP-0313). */
#include "bosh.h"
#include "im.h"
#include "jid.h"
#include "mam.h"
#include "sasl.h"
#include "sm.h"
#include "util.h"
#include "xml.h"

#include <stdlib.h>
#include <string.h>

#define NS_SASL "urn:ietf:params:xml:ns:xmpp-sasl"
#define NS_BIND "urn:ietf:params:xml:ns:xmpp-bind"
#define NS_SESSION "urn:ietf:params:xml:ns:xmpp-session"
#define NS_STANZAS "urn:ietf:params:xml:ns:xmpp-stanzas"
#define NS_STREAM_ERRORS "urn:ietf:params:xml:ns:xmpp-streams"
#define NS_PING "urn:xmpp:ping"

typedef enum {
    NEG_IDLE = 0,
    NEG_WAIT_AUTH_FEATURES,
    NEG_AUTHENTICATING,
    NEG_WAIT_BIND_FEATURES,
    NEG_RESUMING, /* XEP-0198 <resume/> sent instead of binding */
    NEG_BINDING,
    NEG_SESSION,
    NEG_ONLINE,
    NEG_DONE
} neg_state;

typedef enum { IQ_APP = 0, IQ_BIND, IQ_SESSION, IQ_MAM } iq_purpose;

/* Messages asked for per archive page by default; XEP-0313 §5.4.1 lets
 * the server send fewer, never more. */
#define MAM_PAGE 100
#define MAM_PAGE_MAX 1000

typedef struct pending_iq {
    char *id;
    char *to;          /* NULL: addressed to our own account/server */
    int token;         /* handed to the app; 0 for internal IQs */
    iq_purpose purpose;
    double deadline;
} pending_iq;

/* A message the app sent that the server has not yet acknowledged: kept
 * so that, if the session is lost, the app can send it again. `mark` is
 * the bosh queue mark just after its bytes. */
typedef struct sent_message {
    uint64_t mark;
    uint32_t seq; /* its XEP-0198 sequence number, or 0 when not counted */
    char *to, *type, *body, *id;
} sent_message;

struct xw_client {
    /* options */
    char *jid_str, *password, *resource;
    xw_jid jid;
    int secure, allow_plain, initial_presence;
    xw_bosh_config bosh_cfg;
    xw_xml_limits limits;
    double iq_timeout_ms;
    size_t max_pending_iqs;

    xw_bosh *bosh;
    neg_state neg;
    xw_sasl *sasl;
    char *bound_jid;
    const char *mech_name; /* the SASL mechanism that authenticated us */
    char *fail_condition, *fail_text; /* why we ended it ourselves */
    int offline_reported;
    int session_required;

    pending_iq *iqs;
    size_t niqs;
    unsigned id_counter;
    char id_prefix[12];
    int next_token;

    /* Catch-up (XEP-0313): where the app last saw the archive, the query
     * under way, and what the app has already been given. */
    char *catch_up_after, *catch_up_start;
    unsigned long catch_up_max;
    int catching_up;
    char *mam_queryid;
    unsigned long mam_fetched, mam_delivered;
    unsigned catch_up_page;      /* results asked for per page */
    unsigned mam_page_asked, mam_page_got; /* of the page under way */
    char *archive_jid; /* our bare JID: the archive's address and stanza-id 'by' */
    xw_seen seen;
    double now_ms;     /* the time of the call being handled */

    sent_message *unacked; /* oldest first */
    size_t nunacked;

    /* Stream management (XEP-0198), and the lost stream to resume. */
    int stream_management; /* option: use it where offered (default 1) */
    int sm_offered, bind_offered;
    xw_sm sm;
    char *sm_resume_id, *sm_resume_jid;
    uint32_t sm_resume_h;

    xw_bosh_request req;
    xw_buf saved;    /* the last xw_client_save() result */
    xw_buf events;   /* "[ev,ev," being built */
    xw_buf out;      /* the last array handed out */
};

/* ---------------------------------------------------------------- events */

/* Events are appended to one JSON array. Each event starts with
 * event_begin() and ends with event_end(), which drops the partial event
 * if any append failed, so the array always stays valid JSON. */
static size_t event_begin(xw_client *c, int *rc) {
    size_t mark = c->events.len;
    *rc = xw_buf_append(&c->events, c->events.len ? "," : "[", 1);
    return mark;
}

static void event_end(xw_client *c, size_t mark, int rc) {
    if (!rc) rc = xw_buf_append(&c->events, "}", 1);
    if (rc && c->events.data) {
        c->events.len = mark;
        c->events.data[mark] = '\0';
    }
}

static int json_kv(xw_buf *e, const char *k, const char *v) {
    if (!k || !v) return XW_OK;
    int rc = xw_buf_printf(e, ",\"%s\":", k);
    return rc ? rc : xw_buf_append_json_string(e, v, strlen(v));
}

static void emit_raw(xw_client *c, const char *json_object_without_brace) {
    int rc;
    size_t mark = event_begin(c, &rc);
    if (!rc) rc = xw_buf_append_str(&c->events, json_object_without_brace);
    event_end(c, mark, rc);
}

static void emit_str2(xw_client *c, const char *type, const char *k1, const char *v1, const char *k2,
                      const char *v2) {
    int rc;
    size_t mark = event_begin(c, &rc);
    if (!rc) rc = xw_buf_printf(&c->events, "{\"type\":\"%s\"", type);
    if (!rc) rc = json_kv(&c->events, k1, v1);
    if (!rc) rc = json_kv(&c->events, k2, v2);
    event_end(c, mark, rc);
}

static void emit_status(xw_client *c, const char *status) { emit_str2(c, "status", "status", status, NULL, NULL); }

static void emit_error(xw_client *c, const char *condition, const char *text) {
    emit_str2(c, "error", "condition", condition, "text", text);
}

const char *xw_client_events(xw_client *c) {
    xw_buf_clear(&c->out);
    if (!c->events.len) {
        if (xw_buf_append_str(&c->out, "[]")) return "[]";
        return c->out.data;
    }
    if (xw_buf_append(&c->events, "]", 1)) return "[]";
    xw_buf tmp = c->out;
    c->out = c->events;
    c->events = tmp;
    xw_buf_clear(&c->events);
    return c->out.data;
}

size_t xw_client_events_len(const xw_client *c) { return c->out.len; }

/* --------------------------------------------------------------- sending */

static int send_node(xw_client *c, const xw_node *n) {
    xw_buf xml = {0};
    /* Stanzas go inside <body xmlns='httpbind'>, so each declares
     * xmlns='jabber:client' (XEP-0206 §8). */
    int rc = xw_node_serialize(n, XW_NS_HTTPBIND, &xml);
    if (!rc) rc = xw_bosh_queue(c->bosh, xml.data, xml.len);
    xw_buf_free(&xml);
    /* XEP-0198 §4: stanzas are counted, nonzas are not. */
    if (!rc && c->sm.counting && xw_sm_is_stanza(n)) c->sm.out++;
    return rc;
}

static char *new_id(xw_client *c) {
    char buf[40];
    xw_format(buf, sizeof buf, "%s%u", c->id_prefix, ++c->id_counter);
    return xw_strdup(buf);
}

/* Ends the session for a reason of our own: the reason is reported in the
 * "offline" event once the terminate request has been answered. */
static void fail_session(xw_client *c, const char *condition, const char *text) {
    if (!c->fail_condition) {
        c->fail_condition = xw_strdup(condition);
        c->fail_text = xw_strdup(text ? text : "");
    }
    c->neg = NEG_DONE;
    if (xw_bosh_terminate(c->bosh, NULL, 0) != XW_OK) xw_bosh_close(c->bosh, condition, text);
}

/* --------------------------------------------------------------- IQ table */

static pending_iq *track_iq(xw_client *c, const char *to, iq_purpose purpose, double timeout, double now_ms,
                            char **id_out) {
    if (c->niqs >= c->max_pending_iqs) return NULL;
    pending_iq *grown = realloc(c->iqs, (c->niqs + 1) * sizeof *grown);
    if (!grown) return NULL;
    c->iqs = grown;
    pending_iq *q = &c->iqs[c->niqs];
    q->id = new_id(c);
    q->to = to ? xw_strdup(to) : NULL;
    if (!q->id || (to && !q->to)) {
        free(q->id);
        free(q->to);
        return NULL;
    }
    q->purpose = purpose;
    q->token = purpose == IQ_APP ? ++c->next_token : 0;
    q->deadline = now_ms + (timeout > 0 ? timeout : c->iq_timeout_ms);
    c->niqs++;
    *id_out = q->id;
    return q;
}

static void untrack_all_iqs(xw_client *c) {
    for (size_t i = 0; i < c->niqs; i++) {
        free(c->iqs[i].id);
        free(c->iqs[i].to);
    }
    c->niqs = 0;
}

static void untrack_iq(xw_client *c, size_t i) {
    pending_iq gone = c->iqs[i];
    c->niqs--;
    /* Order does not matter: the last entry fills the hole. */
    c->iqs[i] = c->iqs[c->niqs];
    c->iqs[c->niqs].id = c->iqs[c->niqs].to = NULL;
    free(gone.id);
    free(gone.to);
}

/* RFC 6120 §8.1.2.1: a response must come from the entity the request was
 * sent to; a request with no 'to' is answered by our account (no 'from',
 * our bare JID or our server). Anything else is a spoofing attempt. */
static int iq_from_matches(const xw_client *c, const pending_iq *q, const char *from) {
    if (q->to) return from && xw_jid_equal(from, q->to, 0);
    if (!from) return 1;
    return xw_jid_equal(from, c->jid.domain, 0) || xw_jid_equal(from, c->jid_str, 1) ||
           (c->bound_jid && xw_jid_equal(from, c->bound_jid, 0));
}

/* -------------------------------------------------------------- options */

static int parse_uint(const char *v, unsigned long max, unsigned long *out) {
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

static int replace_str(char **slot, const char *v) {
    char *d = xw_strdup(v);
    if (!d) return XW_ERR_NOMEM;
    if (*slot) {
        memset(*slot, 0, strlen(*slot)); /* may be the password */
        free(*slot);
    }
    *slot = d;
    return XW_OK;
}

int xw_client_set_option(xw_client *c, const char *name, const char *value) {
    if (!name || !value) return XW_ERR_INVALID;
    if (c->neg != NEG_IDLE) return XW_ERR_STATE;
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
        if (j.resource && (rc = replace_str(&c->resource, j.resource))) return rc;
        return replace_str(&c->jid_str, value);
    }
    if (strcmp(name, "password") == 0) return replace_str(&c->password, value);
    if (strcmp(name, "resource") == 0) return *value ? replace_str(&c->resource, value) : XW_ERR_INVALID;
    if (strcmp(name, "catch_up_after") == 0 || strcmp(name, "catch_up_start") == 0) {
        if (!*value || !xw_im_is_xml_text(value) || strlen(value) > 256) return XW_ERR_INVALID;
        return replace_str(name[9] == 'a' ? &c->catch_up_after : &c->catch_up_start, value);
    }
    if (strcmp(name, "sm_resume_id") == 0) {
        if (!*value || strlen(value) > XW_SM_ID_MAX || !xw_im_is_xml_text(value)) return XW_ERR_INVALID;
        return replace_str(&c->sm_resume_id, value);
    }
    if (strcmp(name, "sm_resume_jid") == 0) return *value ? replace_str(&c->sm_resume_jid, value) : XW_ERR_INVALID;
    if (strcmp(name, "sm_resume_h") == 0) {
        return xw_sm_parse_u32(value, &c->sm_resume_h) ? XW_ERR_INVALID : XW_OK;
    }
    unsigned long v;
    if (parse_uint(value, 1000000000UL, &v)) return XW_ERR_INVALID;
    if (strcmp(name, "secure") == 0) c->secure = v != 0;
    else if (strcmp(name, "allow_plain") == 0) c->allow_plain = v != 0;
    else if (strcmp(name, "initial_presence") == 0) c->initial_presence = v != 0;
    else if (strcmp(name, "wait") == 0 && v >= 1 && v <= 3600) c->bosh_cfg.wait_s = (unsigned)v;
    else if (strcmp(name, "hold") == 0 && v >= 1 && v <= 4) c->bosh_cfg.hold = (unsigned)v;
    else if (strcmp(name, "max_retries") == 0) c->bosh_cfg.max_retries = (unsigned)v;
    else if (strcmp(name, "backoff_base_ms") == 0) c->bosh_cfg.backoff_base_ms = (unsigned)v;
    else if (strcmp(name, "backoff_max_ms") == 0) c->bosh_cfg.backoff_max_ms = (unsigned)v;
    else if (strcmp(name, "timeout_margin_ms") == 0) c->bosh_cfg.timeout_margin_ms = (unsigned)v;
    else if (strcmp(name, "request_gap_ms") == 0 && v <= 10000) c->bosh_cfg.request_gap_ms = (unsigned)v;
    else if (strcmp(name, "iq_timeout_ms") == 0 && v > 0) c->iq_timeout_ms = (double)v;
    else if (strcmp(name, "max_pending_iqs") == 0 && v > 0) c->max_pending_iqs = v;
    else if (strcmp(name, "catch_up_max") == 0 && v > 0) c->catch_up_max = v;
    else if (strcmp(name, "stream_management") == 0) c->stream_management = v != 0;
    else if (strcmp(name, "catch_up_page") == 0 && v > 0 && v <= MAM_PAGE_MAX) c->catch_up_page = (unsigned)v;
    else if (strcmp(name, "max_queued_bytes") == 0 && v > 0) c->bosh_cfg.max_queued_bytes = v;
    else if (strcmp(name, "max_stanza_bytes") == 0 && v > 0) c->limits.max_stanza_bytes = v;
    else if (strcmp(name, "max_body_bytes") == 0 && v > 0) c->limits.max_body_bytes = v;
    else if (strcmp(name, "max_depth") == 0 && v > 0 && v <= 1000) c->limits.max_depth = v;
    else if (strcmp(name, "max_attrs") == 0 && v > 0) c->limits.max_attrs = v;
    else if (strcmp(name, "max_attr_len") == 0 && v > 0) c->limits.max_attr_len = v;
    else return XW_ERR_INVALID;
    return XW_OK;
}

/* ------------------------------------------------------------ negotiation */

static void start_sasl(xw_client *c, const xw_node *features) {
    const xw_node *mechs = xw_node_child(features, "mechanisms", NS_SASL);
    const char *names[16];
    xw_buf texts[16];
    size_t n = 0;
    memset(texts, 0, sizeof texts);
    for (const xw_node *m = xw_node_child(mechs, "mechanism", NS_SASL); m && n < 16;
         m = xw_node_next_named(m, "mechanism", NS_SASL)) {
        if (xw_node_text(m, &texts[n])) break;
        names[n] = texts[n].data ? texts[n].data : "";
        n++;
    }
    xw_sasl_mech mech = xw_sasl_choose(names, n, c->secure || c->allow_plain);
    int plain_offered = xw_sasl_choose(names, n, 1) == XW_SASL_PLAIN;
    for (size_t i = 0; i < n; i++) xw_buf_free(&texts[i]);
    if (mech == XW_SASL_NONE) {
        fail_session(c, "invalid-mechanism",
                     plain_offered ? "the server offers only PLAIN and the service is not https: "
                                     "set allowPlain to send the password in the clear"
                                   : "no SASL mechanism in common with the server");
        return;
    }
    uint8_t raw[24];
    xw_buf nonce = {0}, initial = {0}, b64 = {0};
    xw_random_bytes(raw, sizeof raw);
    int rc = xw_base64_encode(&nonce, raw, sizeof raw);
    if (!rc) {
        c->sasl = xw_sasl_new(mech, c->jid.local, c->password ? c->password : "", nonce.data);
        rc = c->sasl ? xw_sasl_initial(c->sasl, &initial) : XW_ERR_NOMEM;
    }
    if (!rc) rc = xw_base64_encode(&b64, (const uint8_t *)initial.data, initial.len);
    xw_node *auth = rc ? NULL : xw_node_new("auth", NS_SASL);
    if (!rc && !auth) rc = XW_ERR_NOMEM;
    if (!rc) rc = xw_node_set_attr(auth, "mechanism", xw_sasl_mech_name(mech));
    if (!rc) rc = xw_node_add_text(auth, b64.data ? b64.data : "=", b64.len ? b64.len : 1);
    if (!rc) rc = send_node(c, auth);
    xw_node_free(auth);
    xw_buf_wipe(&initial);
    xw_buf_wipe(&b64);
    xw_buf_free(&nonce);
    if (rc) {
        fail_session(c, "internal-error", xw_strerror(rc));
        return;
    }
    c->neg = NEG_AUTHENTICATING;
    c->mech_name = xw_sasl_mech_name(mech);
}

static void sasl_step(xw_client *c, const xw_node *st) {
    xw_buf text = {0}, raw = {0}, reply = {0}, b64 = {0};
    int rc = xw_node_text(st, &text);
    if (!rc && text.len && strcmp(text.data, "=") != 0)
        rc = xw_base64_decode(&raw, text.data, text.len) ? XW_ERR_AUTH : XW_OK;
    if (strcmp(st->name, "challenge") == 0) {
        if (!rc) rc = xw_sasl_challenge(c->sasl, (const uint8_t *)(raw.data ? raw.data : ""), raw.len, &reply);
        if (!rc) rc = xw_base64_encode(&b64, (const uint8_t *)reply.data, reply.len);
        xw_node *resp = rc ? NULL : xw_node_new("response", NS_SASL);
        if (!rc && !resp) rc = XW_ERR_NOMEM;
        if (!rc) rc = xw_node_add_text(resp, b64.data ? b64.data : "", b64.len);
        if (!rc) rc = send_node(c, resp);
        xw_node_free(resp);
        if (rc) fail_session(c, rc == XW_ERR_AUTH ? "server-auth-failed" : "internal-error",
                             "the server's SCRAM challenge was rejected (bad nonce, salt or iteration count)");
    } else { /* success: RFC 6120 §6.4.6, data is the SCRAM server-final */
        if (!rc) rc = xw_sasl_verify_success(c->sasl, (const uint8_t *)(raw.data ? raw.data : ""), raw.len);
        xw_sasl_free(c->sasl); /* wipes the keys */
        c->sasl = NULL;
        if (rc) {
            fail_session(c, "server-auth-failed", "the server's SCRAM signature did not verify");
        } else {
            xw_bosh_request_restart(c->bosh);
            c->neg = NEG_WAIT_BIND_FEATURES;
        }
    }
    xw_buf_wipe(&text);
    xw_buf_wipe(&raw);
    xw_buf_wipe(&reply);
    xw_buf_wipe(&b64);
}

static void sasl_failure(xw_client *c, const xw_node *st) {
    const xw_node *cond = xw_node_first_element(st);
    const char *name = cond && strcmp(cond->name, "text") != 0 ? cond->name : "not-authorized";
    xw_buf text = {0};
    const xw_node *t = xw_node_child(st, "text", NS_SASL);
    if (t && xw_node_text(t, &text)) xw_buf_clear(&text);
    fail_session(c, name, text.data ? text.data : "authentication failed");
    xw_buf_free(&text);
}

static void send_bind(xw_client *c) {
    if (!c->bind_offered) {
        fail_session(c, "unsupported-feature", "the server offers no resource binding");
        return;
    }
    char *id;
    if (!track_iq(c, NULL, IQ_BIND, 0, 0, &id)) {
        fail_session(c, "internal-error", "out of memory");
        return;
    }
    c->iqs[c->niqs - 1].deadline = -1; /* bind is bounded by the BOSH session itself */
    xw_node *iq = xw_node_new("iq", XW_NS_CLIENT);
    int rc = iq ? XW_OK : XW_ERR_NOMEM;
    if (!rc) rc = xw_node_set_attr(iq, "type", "set");
    if (!rc) rc = xw_node_set_attr(iq, "id", id);
    xw_node *bind = rc ? NULL : xw_node_add_child(iq, "bind", NS_BIND);
    if (!rc && !bind) rc = XW_ERR_NOMEM;
    if (!rc && c->resource) {
        xw_node *r = xw_node_add_child(bind, "resource", NULL);
        rc = r ? xw_node_add_text(r, c->resource, strlen(c->resource)) : XW_ERR_NOMEM;
    }
    if (!rc) rc = send_node(c, iq);
    xw_node_free(iq);
    if (rc) fail_session(c, "internal-error", xw_strerror(rc));
    else c->neg = NEG_BINDING;
}

static void send_sm_resume(xw_client *c) {
    xw_node *n = NULL;
    int rc = xw_sm_build_resume(&n, c->sm_resume_id, c->sm_resume_h);
    if (!rc) rc = send_node(c, n);
    xw_node_free(n);
    if (rc) {
        send_bind(c);
        return;
    }
    /* Our stanzas are counted from here; the server's 'h' in <resumed/>
     * sets where. */
    c->sm.counting = 1;
    c->neg = NEG_RESUMING;
}

/* The features after authentication: resume the lost stream if we have
 * one and the server offers stream management, else bind a resource. */
static void on_bind_features(xw_client *c, const xw_node *features) {
    c->bind_offered = xw_node_child(features, "bind", NS_BIND) != NULL;
    const xw_node *sess = xw_node_child(features, "session", NS_SESSION);
    /* RFC 3921 session establishment, only where the server still requires it. */
    c->session_required = sess && !xw_node_child(sess, "optional", NULL);
    c->sm_offered = c->stream_management && xw_node_child(features, "sm", XW_NS_SM) != NULL;
    if (c->sm_offered && c->sm_resume_id && c->sm_resume_jid && xw_jid_equal(c->sm_resume_jid, c->jid_str, 1))
        send_sm_resume(c);
    else
        send_bind(c);
}

static void send_sm_nonza(xw_client *c, xw_node *n, int rc) {
    if (!rc) rc = send_node(c, n);
    xw_node_free(n);
    if (rc) emit_error(c, "internal-error", "could not send a stream management element");
}

static void send_initial_presence(xw_client *c) {
    if (!c->initial_presence) return;
    xw_node *p = NULL;
    int rc = xw_im_build_presence(&p, NULL, NULL, NULL, NULL);
    if (!rc) rc = send_node(c, p);
    if (rc) emit_error(c, "internal-error", "could not send initial presence");
    xw_node_free(p);
}

/* ---------------------------------------------------------------- catch-up
 * After a lost session the app gives the archive id of the last message it
 * saw (or, having seen none, when the lost session began). Before sending
 * initial presence we page through our archive from there (XEP-0313 §4,
 * RSM 'after'), delivering what the app never got, in archive order. Only
 * then is presence sent: until it is, messages to our bare JID wait in
 * offline storage (RFC 6121 §8.5.2.1.1) instead of racing the archive
 * pages, and when they come we drop the ones the archive already gave. */

static void finish_catch_up(xw_client *c, const char *condition, int complete) {
    if (!c->catching_up) return;
    c->catching_up = 0;
    free(c->mam_queryid);
    c->mam_queryid = NULL;
    char buf[112];
    xw_format(buf, sizeof buf, "{\"type\":\"caught-up\",\"count\":%llu,\"complete\":%s", (unsigned long long)c->mam_delivered,
              complete ? "true" : "false");
    int rc;
    size_t mark = event_begin(c, &rc);
    if (!rc) rc = xw_buf_append_str(&c->events, buf);
    if (!rc) rc = json_kv(&c->events, "condition", condition);
    event_end(c, mark, rc);
    send_initial_presence(c);
}

static void send_mam_query(xw_client *c, const char *after) {
    char *id;
    free(c->mam_queryid);
    c->mam_queryid = new_id(c);
    if (!c->mam_queryid || !track_iq(c, NULL, IQ_MAM, 0, c->now_ms, &id)) {
        finish_catch_up(c, "resource-constraint", 0);
        return;
    }
    unsigned long left = c->catch_up_max - c->mam_fetched;
    c->mam_page_asked = (unsigned)(left < c->catch_up_page ? left : c->catch_up_page);
    c->mam_page_got = 0;
    xw_node *iq = NULL;
    int rc = xw_mam_build_query(&iq, id, c->mam_queryid, after, c->catch_up_start, c->mam_page_asked);
    if (!rc) rc = send_node(c, iq);
    xw_node_free(iq);
    if (rc) {
        untrack_iq(c, c->niqs - 1);
        finish_catch_up(c, "internal-error", 0);
    }
}

/* The archive query's IQ answer: page on, or finish. */
static void catch_up_page_done(xw_client *c, const xw_node *st, int ok) {
    if (!c->catching_up) return;
    int complete = 0;
    const char *last = NULL;
    if (!ok) {
        /* No archive (feature-not-implemented, service-unavailable) or the
         * id is gone (item-not-found): nothing more to fetch. */
        const xw_node *err = xw_node_child(st, "error", NULL);
        const xw_node *cond = err ? xw_node_child(err, NULL, NS_STANZAS) : NULL;
        finish_catch_up(c, cond ? cond->name : "undefined-condition", 0);
    } else if (xw_mam_fin(st, &complete, &last)) {
        finish_catch_up(c, "bad-format", 0);
    } else if (complete || !last) {
        finish_catch_up(c, NULL, complete);
    } else if (c->mam_fetched >= c->catch_up_max) {
        finish_catch_up(c, "resource-constraint", 0);
    } else {
        send_mam_query(c, last);
    }
}

static void go_online(xw_client *c) {
    c->neg = NEG_ONLINE;
    emit_str2(c, "online", "jid", c->bound_jid, "mechanism", c->mech_name);
    emit_status(c, "online");
    if (c->sm_offered) {
        /* XEP-0198 §3: enable before anything else is sent, so every
         * stanza of the session is counted. */
        xw_node *n = NULL;
        int rc = xw_sm_build_enable(&n);
        send_sm_nonza(c, n, rc);
        if (!rc) {
            c->sm.counting = 1;
            c->sm.out = 0;
        }
    }
    if (c->catch_up_after || c->catch_up_start) {
        c->catching_up = 1;
        send_mam_query(c, c->catch_up_after);
    } else {
        send_initial_presence(c);
    }
}

static void send_session_iq(xw_client *c) {
    char *id;
    if (!track_iq(c, NULL, IQ_SESSION, 0, 0, &id)) {
        fail_session(c, "internal-error", "out of memory");
        return;
    }
    c->iqs[c->niqs - 1].deadline = -1;
    xw_node *iq = xw_node_new("iq", XW_NS_CLIENT);
    int rc = iq ? XW_OK : XW_ERR_NOMEM;
    if (!rc) rc = xw_node_set_attr(iq, "type", "set");
    if (!rc) rc = xw_node_set_attr(iq, "id", id);
    if (!rc && !xw_node_add_child(iq, "session", NS_SESSION)) rc = XW_ERR_NOMEM;
    if (!rc) rc = send_node(c, iq);
    xw_node_free(iq);
    if (rc) fail_session(c, "internal-error", xw_strerror(rc));
    else c->neg = NEG_SESSION;
}

/* Takes `full` (len bytes) as our bound JID, and its bare form as our
 * archive's address (XEP-0313) and stanza-id 'by' (XEP-0359). XW_ERR_JID
 * when it is not a valid JID; nothing changes then. */
static int adopt_bound_jid(xw_client *c, const char *full, size_t len) {
    xw_jid parsed;
    if (xw_jid_parse(full, len, &parsed)) return XW_ERR_JID;
    xw_buf bare = {0};
    int rc = xw_jid_bare(&parsed, &bare);
    xw_jid_free(&parsed);
    char *copy = rc ? NULL : malloc(len + 1);
    if (!copy) {
        xw_buf_free(&bare);
        return XW_ERR_NOMEM;
    }
    memcpy(copy, full, len);
    copy[len] = '\0';
    free(c->bound_jid); /* after the copy: full may be c->bound_jid itself */
    c->bound_jid = copy;
    free(c->archive_jid);
    c->archive_jid = xw_buf_take(&bare);
    return XW_OK;
}

static void bind_result(xw_client *c, const xw_node *st) {
    const char *type = xw_node_attr(st, "type");
    if (!type || strcmp(type, "result") != 0) {
        const xw_node *err = xw_node_child(st, "error", NULL);
        const xw_node *cond = err ? xw_node_first_element(err) : NULL;
        fail_session(c, cond ? cond->name : "undefined-condition", "resource binding failed");
        return;
    }
    const xw_node *jid = xw_node_child(xw_node_child(st, "bind", NS_BIND), "jid", NS_BIND);
    xw_buf text = {0};
    int rc = !jid || xw_node_text(jid, &text) || !text.data ? XW_ERR_JID : adopt_bound_jid(c, text.data, text.len);
    xw_buf_free(&text);
    if (rc) {
        fail_session(c, rc == XW_ERR_JID ? "bad-format" : "internal-error",
                     rc == XW_ERR_JID ? "the server bound no valid JID" : "out of memory");
        return;
    }
    if (c->session_required) send_session_iq(c);
    else go_online(c);
}

/* --------------------------------------------------------------- dispatch */

static void emit_iq_answer(xw_client *c, const pending_iq *q, const xw_node *st, int ok) {
    xw_buf xml = {0};
    const xw_node *err = ok ? NULL : xw_node_child(st, "error", NULL);
    const xw_node *cond = err ? xw_node_child(err, NULL, NS_STANZAS) : NULL;
    int rc;
    size_t mark = event_begin(c, &rc);
    if (!rc) rc = xw_node_serialize(st, NULL, &xml);
    if (!rc) rc = xw_buf_printf(&c->events, "{\"type\":\"iq\",\"token\":%d,\"ok\":%s", q->token, ok ? "true" : "false");
    if (!rc && !ok) rc = json_kv(&c->events, "condition", cond ? cond->name : "undefined-condition");
    if (!rc) rc = json_kv(&c->events, "xml", xml.data);
    event_end(c, mark, rc);
    xw_buf_free(&xml);
}

static void reply_iq(xw_client *c, const xw_node *st, int ok, const char *condition) {
    const char *from = xw_node_attr(st, "from");
    const char *id = xw_node_attr(st, "id");
    xw_node *iq = xw_node_new("iq", XW_NS_CLIENT);
    int rc = iq ? XW_OK : XW_ERR_NOMEM;
    if (!rc) rc = xw_node_set_attr(iq, "type", ok ? "result" : "error");
    if (!rc && from) rc = xw_node_set_attr(iq, "to", from);
    if (!rc && id) rc = xw_node_set_attr(iq, "id", id);
    if (!rc && !ok) {
        xw_node *err = xw_node_add_child(iq, "error", NULL);
        rc = err ? xw_node_set_attr(err, "type", "cancel") : XW_ERR_NOMEM;
        if (!rc && !xw_node_add_child(err, condition, NS_STANZAS)) rc = XW_ERR_NOMEM;
    }
    if (!rc) rc = send_node(c, iq);
    xw_node_free(iq);
    if (rc) emit_error(c, "resource-constraint", "could not answer an IQ request");
}

static void on_iq(xw_client *c, const xw_node *st) {
    const char *type = xw_node_attr(st, "type");
    const char *id = xw_node_attr(st, "id");
    if (!type || !id) {
        emit_error(c, "bad-request", "dropped an IQ without type or id (RFC 6120 §8.2.3)");
        return;
    }
    if (strcmp(type, "get") == 0 || strcmp(type, "set") == 0) {
        /* RFC 6120 §8.4: answer every request; XEP-0199 §4.1 ping. */
        const xw_node *payload = xw_node_first_element(st);
        if (payload && strcmp(type, "get") == 0 && strcmp(payload->name, "ping") == 0 && payload->ns &&
            strcmp(payload->ns, NS_PING) == 0)
            reply_iq(c, st, 1, NULL);
        else
            reply_iq(c, st, 0, "service-unavailable");
        return;
    }
    if (strcmp(type, "result") != 0 && strcmp(type, "error") != 0) return;
    for (size_t i = 0; i < c->niqs; i++) {
        pending_iq *q = &c->iqs[i];
        if (strcmp(q->id, id) != 0) continue;
        if (!iq_from_matches(c, q, xw_node_attr(st, "from"))) {
            emit_error(c, "spoofed-iq", "dropped an IQ response from an entity the request was not sent to (RFC 6120 §8.1.2.1)");
            return;
        }
        iq_purpose purpose = q->purpose;
        if (purpose == IQ_APP) emit_iq_answer(c, q, st, strcmp(type, "result") == 0);
        untrack_iq(c, i);
        if (purpose == IQ_BIND && c->neg == NEG_BINDING) bind_result(c, st);
        else if (purpose == IQ_SESSION && c->neg == NEG_SESSION) go_online(c);
        else if (purpose == IQ_MAM) catch_up_page_done(c, st, strcmp(type, "result") == 0);
        return;
    }
    /* An answer to nothing we asked: ignore (RFC 6120 §8.2.3). */
}

static void emit_stanza_event(xw_client *c, const char *type, const xw_node *st) {
    int rc;
    size_t mark = event_begin(c, &rc);
    if (rc) {
        event_end(c, mark, rc);
    } else if (!strcmp(type, "presence")) {
        event_end(c, mark, xw_im_presence_event(st, &c->events));
    } else {
        xw_buf xml = {0};
        rc = xw_node_serialize(st, NULL, &xml);
        if (!rc) rc = xw_buf_append_str(&c->events, "{\"type\":\"stanza\"");
        if (!rc) rc = json_kv(&c->events, "xml", xml.data);
        event_end(c, mark, rc);
        xw_buf_free(&xml);
    }
}

/* Emits a message event with the archive fields added. */
static void emit_message(xw_client *c, const xw_node *m, const char *stanza_id, const char *delay, int archived) {
    int rc;
    size_t mark = event_begin(c, &rc);
    if (!rc) rc = xw_im_message_event(m, &c->events);
    if (!rc) rc = json_kv(&c->events, "stanzaId", stanza_id);
    if (!rc) rc = json_kv(&c->events, "delay", delay);
    if (!rc && archived) rc = xw_buf_append_str(&c->events, ",\"archived\":true");
    event_end(c, mark, rc);
}

/* A result of our archive query (XEP-0313 §5.3). */
static void on_archived(xw_client *c, const xw_node *st) {
    const char *queryid = NULL, *archive_id = NULL, *stamp = NULL;
    const xw_node *m = xw_mam_result(st, &queryid, &archive_id, &stamp);
    const char *from = xw_node_attr(st, "from");
    /* XEP-0313 §9.2: only results of our open query, from our own archive. */
    if (!c->catching_up || !c->archive_jid || !queryid || strcmp(queryid, c->mam_queryid) != 0 ||
        (from && !xw_jid_equal(from, c->archive_jid, 0))) {
        emit_error(c, "spoofed-archive-result", "dropped an archive result that answers no query of ours (XEP-0313 §9.2)");
        return;
    }
    if (!m) {
        emit_error(c, "bad-format", "dropped a malformed archive result (XEP-0313 §5.3)");
        return;
    }
    /* XEP-0059 §2.1: no more than asked for; a server that floods the
     * query does not get to push unbounded work into the page. */
    if (++c->mam_page_got > c->mam_page_asked) {
        emit_error(c, "resource-constraint", "dropped an archive result beyond the page size asked for (XEP-0059 §2.1)");
        return;
    }
    c->mam_fetched++;
    const char *sender = xw_node_attr(m, "from");
    const char *id = xw_node_attr(m, "id");
    /* Our own outgoing messages are archived too; the app sent those. The
     * id says the server got it: a message the lost session could not
     * confirm need not be sent again (xw_client_archived_own). */
    if (sender && xw_jid_equal(sender, c->archive_jid, 1)) {
        if (id) xw_seen_add(&c->seen, 'o', NULL, id);
        return;
    }
    if (xw_seen_has(&c->seen, 's', archive_id, NULL)) return;
    xw_seen_add(&c->seen, 's', archive_id, NULL);
    /* Offline storage may hand the same message over again after presence. */
    if (id) xw_seen_add(&c->seen, 'm', sender, id);
    c->mam_delivered++;
    emit_message(c, m, archive_id, stamp, 1);
}

/* A live message: delivered unless the archive already gave it. */
static void on_message(xw_client *c, const xw_node *st) {
    if (xw_node_child(st, "result", XW_NS_MAM)) {
        on_archived(c, st);
        return;
    }
    const char *stanza_id = c->archive_jid ? xw_mam_stanza_id(st, c->archive_jid) : NULL;
    const char *id = xw_node_attr(st, "id");
    if (stanza_id) {
        if (xw_seen_has(&c->seen, 's', stanza_id, NULL)) return;
        xw_seen_add(&c->seen, 's', stanza_id, NULL);
    }
    const char *from = xw_node_attr(st, "from");
    if (id && xw_seen_has(&c->seen, 'm', from, id)) return;
    /* The same message routed twice under new archive ids: ejabberd
     * (23.01) re-routes the stanzas a resumed stream had not acknowledged
     * after resending them on it (XEP-0198 §5). Same sender, id and body
     * is the same message. */
    const xw_node *body = xw_node_child(st, "body", XW_NS_CLIENT);
    if (id && body) {
        xw_buf key = {0};
        int rc = xw_buf_append_str(&key, id);
        if (!rc) rc = xw_buf_append(&key, "\n", 1);
        if (!rc) rc = xw_node_text(body, &key);
        int dup = !rc && key.data && xw_seen_has(&c->seen, 'c', from, key.data);
        if (!rc && key.data && !dup) xw_seen_add(&c->seen, 'c', from, key.data);
        xw_buf_free(&key);
        if (dup) return;
    }
    emit_message(c, st, stanza_id, NULL, 0);
}

static void prune_acknowledged(xw_client *c);

/* The lost stream is back (XEP-0198 §5): same session, same presence, so
 * no catch-up and no initial presence; the server resends what we never
 * acknowledged, the app resends what it never handled (seq > h). */
static void sm_resumed(xw_client *c, uint32_t h) {
    int rc = adopt_bound_jid(c, c->sm_resume_jid, strlen(c->sm_resume_jid));
    if (rc == XW_ERR_JID) {
        fail_session(c, "bad-format", "the stream to resume has no valid JID");
        return;
    }
    if (!rc) rc = replace_str(&c->sm.id, c->sm_resume_id);
    if (rc) {
        fail_session(c, "internal-error", "out of memory");
        return;
    }
    c->sm.enabled = 1;
    c->sm.in = c->sm_resume_h;
    c->sm.out = c->sm.acked = h;
    c->neg = NEG_ONLINE;
    char buf[64];
    int erc;
    size_t mark = event_begin(c, &erc);
    if (!erc) erc = xw_buf_append_str(&c->events, "{\"type\":\"online\"");
    if (!erc) erc = json_kv(&c->events, "jid", c->bound_jid);
    xw_format(buf, sizeof buf, ",\"resumed\":\"stream\",\"acked\":%u", (unsigned)h);
    if (!erc) erc = xw_buf_append_str(&c->events, buf);
    event_end(c, mark, erc);
    emit_status(c, "online");
}

static void on_sm(xw_client *c, const xw_node *st) {
    uint32_t h = 0;
    if (!strcmp(st->name, "enabled")) {
        if (!c->sm.counting || c->sm.enabled || c->neg == NEG_RESUMING) return;
        c->sm.enabled = 1;
        c->sm.in = 0;
        const char *resume = xw_node_attr(st, "resume");
        const char *id = xw_node_attr(st, "id");
        if (resume && (!strcmp(resume, "true") || !strcmp(resume, "1")) && id && *id && strlen(id) <= XW_SM_ID_MAX &&
            replace_str(&c->sm.id, id))
            emit_error(c, "internal-error", "out of memory: the stream cannot be resumed");
    } else if (!strcmp(st->name, "resumed")) {
        if (c->neg != NEG_RESUMING) return;
        if (xw_sm_parse_h(st, &h)) fail_session(c, "bad-format", "<resumed/> without a valid h (XEP-0198 §5)");
        else sm_resumed(c, h);
    } else if (!strcmp(st->name, "failed")) {
        if (c->neg == NEG_RESUMING) {
            /* Too late to resume (XEP-0198 §5): a new session, caught up
             * from the archive as after any lost one. */
            c->sm.counting = 0;
            send_bind(c);
        } else if (c->sm.counting && !c->sm.enabled) {
            c->sm.counting = 0; /* enable refused: go on without */
        }
    } else if (!strcmp(st->name, "r")) {
        if (!c->sm.enabled) return;
        xw_node *n = NULL;
        int rc = xw_sm_build_ack(&n, c->sm.in);
        send_sm_nonza(c, n, rc);
    } else if (!strcmp(st->name, "a")) {
        if (!c->sm.enabled) return;
        if (xw_sm_parse_h(st, &h)) {
            emit_error(c, "bad-format", "dropped an <a/> without a valid h (XEP-0198 §4)");
            return;
        }
        if (h > c->sm.out) {
            fail_session(c, "undefined-condition",
                         "the server acknowledged more stanzas than were sent (XEP-0198 §4, handled-count-too-high)");
            return;
        }
        if (h > c->sm.acked) c->sm.acked = h;
        prune_acknowledged(c);
    }
}

static int on_stanza(void *ud, xw_node *st, double now_ms) {
    xw_client *c = ud;
    c->now_ms = now_ms;
    const char *ns = st->ns ? st->ns : "";
    /* XEP-0198 §4: every stanza received is handled here, whatever becomes of it. */
    if (c->sm.enabled && xw_sm_is_stanza(st)) c->sm.in++;
    if (strcmp(ns, XW_NS_SM) == 0) {
        on_sm(c, st);
        xw_node_free(st);
        return 0;
    }
    if (strcmp(ns, XW_NS_STREAMS) == 0 && strcmp(st->name, "error") == 0) {
        const xw_node *cond = xw_node_child(st, NULL, NS_STREAM_ERRORS);
        fail_session(c, cond ? cond->name : "undefined-condition", "stream error from the server (RFC 6120 §4.9)");
    } else if (strcmp(ns, XW_NS_STREAMS) == 0 && strcmp(st->name, "features") == 0) {
        if (c->neg == NEG_WAIT_AUTH_FEATURES) start_sasl(c, st);
        else if (c->neg == NEG_WAIT_BIND_FEATURES) on_bind_features(c, st);
    } else if (strcmp(ns, NS_SASL) == 0) {
        if (c->neg != NEG_AUTHENTICATING) fail_session(c, "bad-format", "unexpected SASL element");
        else if (!strcmp(st->name, "challenge") || !strcmp(st->name, "success")) sasl_step(c, st);
        else if (!strcmp(st->name, "failure")) sasl_failure(c, st);
    } else if (strcmp(ns, XW_NS_CLIENT) == 0 && strcmp(st->name, "iq") == 0) {
        on_iq(c, st);
    } else if (c->neg != NEG_ONLINE) {
        /* Nothing else belongs before the session is online. */
    } else if (strcmp(ns, XW_NS_CLIENT) == 0 && !strcmp(st->name, "message")) {
        on_message(c, st);
    } else if (strcmp(ns, XW_NS_CLIENT) == 0 && !strcmp(st->name, "presence")) {
        emit_stanza_event(c, st->name, st);
    } else {
        emit_stanza_event(c, "stanza", st);
    }
    xw_node_free(st);
    return 0;
}

/* ------------------------------------------------ outgoing message tracking */

static void sent_message_free(sent_message *m) {
    free(m->to);
    free(m->type);
    free(m->body);
    free(m->id);
}

/* Messages kept for a resumable stream beyond what the BOSH answers
 * confirm, when the server is slow to acknowledge. */
#define MAX_TRACKED 1000

static int sm_resumable(const xw_client *c) { return c->sm.enabled && c->sm.id; }

/* Whether the server may not have a message yet: with a resumable stream
 * only its 'h' says (a lost stream is resumed with it); otherwise the
 * answer to the request that carried it (XEP-0124 §9.1). */
static int unconfirmed(const xw_client *c, const sent_message *m, uint64_t bosh_acked) {
    if (sm_resumable(c) && m->seq && c->nunacked <= MAX_TRACKED) return m->seq > c->sm.acked;
    return m->mark > bosh_acked;
}

/* Forgets the messages the server has acknowledged. */
static void prune_acknowledged(xw_client *c) {
    uint64_t acked = xw_bosh_acked(c->bosh);
    size_t n = 0;
    while (n < c->nunacked && !unconfirmed(c, &c->unacked[n], acked)) sent_message_free(&c->unacked[n++]);
    if (!n) return;
    memmove(c->unacked, c->unacked + n, (c->nunacked - n) * sizeof *c->unacked);
    c->nunacked -= n;
}

/* Remembers a message just queued. Best effort: without memory the
 * message is still sent, only not offered again if the session is lost. */
static void track_sent(xw_client *c, const char *to, const char *type, const char *body, const char *id) {
    prune_acknowledged(c);
    sent_message *grown = realloc(c->unacked, (c->nunacked + 1) * sizeof *grown);
    if (!grown) return;
    c->unacked = grown;
    sent_message m = {xw_bosh_queue_end(c->bosh), c->sm.counting ? c->sm.out : 0, xw_strdup(to),
                      type ? xw_strdup(type) : NULL, body ? xw_strdup(body) : NULL, xw_strdup(id)};
    if (!m.to || !m.id || (type && !m.type) || (body && !m.body)) {
        sent_message_free(&m);
        return;
    }
    c->unacked[c->nunacked++] = m;
}

/* The session is lost: one "unacknowledged" event per message that may
 * never have reached the server, oldest first, for the app to send again
 * in its next session (the archive tells which ones did arrive). */
static void emit_unacknowledged(xw_client *c) {
    prune_acknowledged(c);
    uint64_t bosh_acked = xw_bosh_acked(c->bosh);
    char buf[96];
    int rc;
    size_t mark;
    if (sm_resumable(c)) {
        /* What the next session needs to resume this stream (XEP-0198 §5). */
        mark = event_begin(c, &rc);
        if (!rc) rc = xw_buf_append_str(&c->events, "{\"type\":\"stream-resumable\"");
        if (!rc) rc = json_kv(&c->events, "id", c->sm.id);
        xw_format(buf, sizeof buf, ",\"h\":%u", (unsigned)c->sm.in);
        if (!rc) rc = xw_buf_append_str(&c->events, buf);
        event_end(c, mark, rc);
    }
    for (size_t i = 0; i < c->nunacked; i++) {
        const sent_message *m = &c->unacked[i];
        mark = event_begin(c, &rc);
        if (!rc) rc = xw_buf_append_str(&c->events, "{\"type\":\"unacknowledged\"");
        if (!rc) rc = json_kv(&c->events, "to", m->to);
        if (!rc) rc = json_kv(&c->events, "messageType", m->type);
        if (!rc) rc = json_kv(&c->events, "body", m->body);
        if (!rc) rc = json_kv(&c->events, "id", m->id);
        /* seq: for a resumed stream; delivered: the BOSH answer came, so a
         * new session need not send it again. */
        xw_format(buf, sizeof buf, ",\"seq\":%u,\"delivered\":%s", (unsigned)m->seq,
                  m->mark <= bosh_acked ? "true" : "false");
        if (!rc) rc = xw_buf_append_str(&c->events, buf);
        event_end(c, mark, rc);
    }
}

/* After each entry point: report the end of the session exactly once. */
static void check_closed(xw_client *c) {
    if (c->offline_reported || !c->bosh || xw_bosh_get_state(c->bosh) != XW_BOSH_CLOSED) return;
    c->offline_reported = 1;
    c->neg = NEG_DONE;
    const char *cond = c->fail_condition ? c->fail_condition : xw_bosh_condition(c->bosh);
    const char *text = c->fail_condition ? c->fail_text : xw_bosh_condition_text(c->bosh);
    /* Input the client refused (a limit, restricted XML) is an error the
     * app hears about as such, then the session ends cleanly. */
    if (!c->fail_condition && xw_bosh_closed_locally(c->bosh) && cond) emit_error(c, cond, text);
    if (cond) emit_unacknowledged(c);
    emit_str2(c, "offline", "condition", cond, "text", text);
    emit_status(c, "offline");
    /* Pending IQs can no longer be answered. */
    for (size_t i = 0; i < c->niqs; i++) {
        if (c->iqs[i].token) {
            char buf[96];
            xw_format(buf, sizeof buf, "{\"type\":\"iq\",\"token\":%d,\"ok\":false,\"condition\":\"disconnected\"",
                     c->iqs[i].token);
            emit_raw(c, buf);
        }
    }
    untrack_all_iqs(c);
}

/* ------------------------------------------------------------- public API */

xw_client *xw_client_new(void) {
    xw_client *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    xw_bosh_config_default(&c->bosh_cfg);
    xw_xml_limits_default(&c->limits);
    c->initial_presence = 1;
    c->iq_timeout_ms = 30000;
    c->max_pending_iqs = 256;
    c->catch_up_max = 10000;
    c->catch_up_page = MAM_PAGE;
    c->stream_management = 1;
    uint8_t r[4];
    xw_random_bytes(r, sizeof r);
    /* Random per-client id prefix so ids are not guessable across sessions. */
    xw_format(c->id_prefix, sizeof c->id_prefix, "xw%02x%02x%02x%02x-", r[0], r[1], r[2], r[3]);
    return c;
}

void xw_client_free(xw_client *c) {
    if (!c) return;
    untrack_all_iqs(c);
    free(c->iqs);
    xw_bosh_free(c->bosh);
    xw_sasl_free(c->sasl);
    if (c->password) {
        memset(c->password, 0, strlen(c->password));
        free(c->password);
    }
    free(c->jid_str);
    free(c->resource);
    xw_jid_free(&c->jid);
    free(c->bound_jid);
    free(c->fail_condition);
    free(c->fail_text);
    free(c->catch_up_after);
    free(c->catch_up_start);
    free(c->mam_queryid);
    free(c->archive_jid);
    for (size_t i = 0; i < c->nunacked; i++) sent_message_free(&c->unacked[i]);
    free(c->unacked);
    xw_sm_free(&c->sm);
    free(c->sm_resume_id);
    free(c->sm_resume_jid);
    xw_buf_free(&c->saved);
    xw_buf_free(&c->events);
    xw_buf_free(&c->out);
    free(c);
}

int xw_client_connect(xw_client *c, double now_ms) {
    if (c->neg != NEG_IDLE) return XW_ERR_STATE;
    if (!c->jid.domain) return XW_ERR_JID;
    c->bosh_cfg.to = c->jid.domain;
    c->bosh = xw_bosh_new(&c->bosh_cfg, &c->limits, on_stanza, c);
    if (!c->bosh) return XW_ERR_NOMEM;
    int rc = xw_bosh_start(c->bosh, now_ms);
    if (rc) return rc;
    c->neg = NEG_WAIT_AUTH_FEATURES;
    emit_status(c, "connecting");
    return XW_OK;
}

int xw_client_next_request(xw_client *c, double now_ms) {
    if (!c->bosh) return 0;
    int has = xw_bosh_next_request(c->bosh, now_ms, &c->req);
    check_closed(c);
    return has;
}

double xw_client_request_rid(const xw_client *c) { return c->req.rid; }
const char *xw_client_request_body(const xw_client *c) { return c->req.body; }
size_t xw_client_request_len(const xw_client *c) { return c->req.body_len; }
unsigned xw_client_request_timeout(const xw_client *c) { return c->req.timeout_ms; }

void xw_client_receive(xw_client *c, double rid, int http_status, const char *body, size_t len, double now_ms) {
    if (!c->bosh) return;
    xw_bosh_receive(c->bosh, rid, http_status, body, len, now_ms);
    check_closed(c);
}

void xw_client_request_failed(xw_client *c, double rid, double now_ms) {
    if (!c->bosh) return;
    xw_bosh_failed(c->bosh, rid, now_ms);
    check_closed(c);
}

double xw_client_next_deadline(const xw_client *c) {
    if (!c->bosh) return -1;
    double d = xw_bosh_next_deadline(c->bosh);
    for (size_t i = 0; i < c->niqs; i++)
        if (c->iqs[i].deadline >= 0 && (d < 0 || c->iqs[i].deadline < d)) d = c->iqs[i].deadline;
    return d;
}

void xw_client_tick(xw_client *c, double now_ms) {
    if (!c->bosh) return;
    xw_bosh_tick(c->bosh, now_ms);
    c->now_ms = now_ms;
    int archive_timed_out = 0;
    for (size_t i = 0; i < c->niqs;) {
        pending_iq *q = &c->iqs[i];
        if (q->deadline >= 0 && now_ms >= q->deadline) {
            if (q->purpose == IQ_MAM) archive_timed_out = 1;
            if (q->token) {
                char buf[96];
                xw_format(buf, sizeof buf, "{\"type\":\"iq\",\"token\":%d,\"ok\":false,\"condition\":\"timeout\"",
                         q->token);
                emit_raw(c, buf);
            }
            untrack_iq(c, i);
        } else {
            i++;
        }
    }
    if (archive_timed_out) finish_catch_up(c, "timeout", 0);
    check_closed(c);
}

static int validate_to(const char *to) {
    xw_jid j;
    if (!to || xw_jid_parse(to, strlen(to), &j)) return XW_ERR_JID;
    xw_jid_free(&j);
    return XW_OK;
}

int xw_client_send_message(xw_client *c, const char *to, const char *type, const char *body, const char *id) {
    if (c->neg != NEG_ONLINE) return XW_ERR_STATE;
    int rc = validate_to(to);
    if (rc) return rc;
    char *gen = id ? NULL : new_id(c);
    if (!id && !gen) return XW_ERR_NOMEM;
    xw_node *m = NULL;
    rc = xw_im_build_message(&m, to, type, body, id ? id : gen);
    if (!rc) rc = send_node(c, m);
    /* No <r/> after it (XEP-0198 lets the client ask, need not): each
     * one makes ejabberd answer the held request at once, and the extra
     * requests that follow, racing on a lossy network, stall ejabberd
     * (see bosh.c, request_gap_ms). The <resumed/> h is what counts. */
    if (!rc) track_sent(c, to, type, body, id ? id : gen);
    xw_node_free(m);
    free(gen);
    return rc;
}

int xw_client_archived_own(const xw_client *c, const char *id) {
    return id && xw_seen_has(&c->seen, 'o', NULL, id);
}

int xw_client_send_presence(xw_client *c, const char *type, const char *show, const char *status, const char *to) {
    if (c->neg != NEG_ONLINE) return XW_ERR_STATE;
    if (to) {
        int rc = validate_to(to);
        if (rc) return rc;
    }
    xw_node *p = NULL;
    int rc = xw_im_build_presence(&p, type, show, status, to);
    if (!rc) rc = send_node(c, p);
    xw_node_free(p);
    return rc;
}

int xw_client_ping(xw_client *c, const char *to, double timeout_ms, double now_ms) {
    if (c->neg != NEG_ONLINE) return XW_ERR_STATE;
    if (!to) to = c->jid.domain;
    int rc = validate_to(to);
    if (rc) return rc;
    char *id;
    pending_iq *q = track_iq(c, to, IQ_APP, timeout_ms, now_ms, &id);
    if (!q) return XW_ERR_LIMIT;
    int token = q->token;
    xw_node *iq = xw_node_new("iq", XW_NS_CLIENT);
    rc = iq ? XW_OK : XW_ERR_NOMEM;
    if (!rc) rc = xw_node_set_attr(iq, "type", "get");
    if (!rc) rc = xw_node_set_attr(iq, "to", to);
    if (!rc) rc = xw_node_set_attr(iq, "id", id);
    if (!rc && !xw_node_add_child(iq, "ping", NS_PING)) rc = XW_ERR_NOMEM;
    if (!rc) rc = send_node(c, iq);
    xw_node_free(iq);
    if (rc) {
        untrack_iq(c, c->niqs - 1);
        return rc;
    }
    return token;
}

int xw_client_disconnect(xw_client *c, double now_ms) {
    (void)now_ms;
    if (!c->bosh || c->neg == NEG_IDLE) return XW_ERR_STATE;
    if (xw_bosh_get_state(c->bosh) != XW_BOSH_ACTIVE) {
        xw_bosh_close(c->bosh, NULL, "");
    } else {
        /* XEP-0124 §12: the last request carries unavailable presence. */
        xw_node *p = NULL;
        xw_buf xml = {0};
        int rc = xw_im_build_presence(&p, "unavailable", NULL, NULL, NULL);
        if (!rc && c->neg == NEG_ONLINE) rc = xw_node_serialize(p, XW_NS_HTTPBIND, &xml);
        if (!rc) rc = xw_bosh_terminate(c->bosh, xml.data, xml.len);
        xw_node_free(p);
        xw_buf_free(&xml);
        if (rc) xw_bosh_close(c->bosh, NULL, "");
    }
    c->neg = NEG_DONE;
    check_closed(c);
    return XW_OK;
}

/* ------------------------------------------------------ save and resume */

#define NS_RESUME "urn:xmpp-wasm:resume:1"

int xw_client_pause(xw_client *c, unsigned seconds, double now_ms) {
    (void)now_ms;
    if (!c->bosh || c->neg != NEG_ONLINE) return XW_ERR_STATE;
    return xw_bosh_pause(c->bosh, seconds);
}

const char *xw_client_save(xw_client *c) {
    xw_buf_clear(&c->saved);
    if (!c->bosh || c->neg != NEG_ONLINE || !c->bound_jid) return NULL;
    /* A <body/> document, so the same restricted parser reads it back. */
    int rc = xw_buf_append_str(&c->saved, "<body xmlns='" XW_NS_HTTPBIND "' jid='");
    if (!rc) rc = xw_buf_append_xml_escaped(&c->saved, c->bound_jid, strlen(c->bound_jid));
    if (!rc) rc = xw_buf_append_str(&c->saved, "'");
    if (!rc) rc = xw_bosh_save_attrs(c->bosh, &c->saved);
    if (!rc && c->sm.enabled) {
        /* The stream management counters go on in the next page. */
        rc = xw_buf_printf(&c->saved, " sm-in='%u' sm-out='%u' sm-acked='%u'", (unsigned)c->sm.in,
                           (unsigned)c->sm.out, (unsigned)c->sm.acked);
        if (!rc && c->sm.id) rc = xw_buf_append_str(&c->saved, " sm-id='");
        if (!rc && c->sm.id) rc = xw_buf_append_xml_escaped(&c->saved, c->sm.id, strlen(c->sm.id));
        if (!rc && c->sm.id) rc = xw_buf_append_str(&c->saved, "'");
    }
    if (!rc) rc = xw_buf_append_str(&c->saved, ">");
    if (!rc) rc = xw_bosh_save_requests(c->bosh, NS_RESUME, &c->saved);
    if (!rc) rc = xw_buf_append_str(&c->saved, "</body>");
    if (rc) {
        xw_buf_clear(&c->saved);
        return NULL;
    }
    return c->saved.data;
}

size_t xw_client_save_len(const xw_client *c) { return c->saved.len; }

static int on_saved_body(void *ud, const xw_node *saved) {
    xw_client *c = ud;
    const char *jid = xw_node_attr(saved, "jid");
    /* Only this account's session: the saved full JID must belong to the
     * configured bare JID. */
    if (!jid || !xw_jid_equal(jid, c->jid_str, 1)) return XW_ERR_JID;
    xw_jid full = {0};
    int rc = xw_jid_parse(jid, strlen(jid), &full);
    int has_resource = !rc && full.resource;
    xw_jid_free(&full);
    if (!has_resource) return XW_ERR_JID;
    if (replace_str(&c->bound_jid, jid)) return XW_ERR_NOMEM;
    const char *sm_in = xw_node_attr(saved, "sm-in");
    if (sm_in) {
        const char *sm_id = xw_node_attr(saved, "sm-id");
        if (xw_sm_parse_u32(sm_in, &c->sm.in) || xw_sm_parse_u32(xw_node_attr(saved, "sm-out"), &c->sm.out) ||
            xw_sm_parse_u32(xw_node_attr(saved, "sm-acked"), &c->sm.acked) || c->sm.acked > c->sm.out ||
            (sm_id && (strlen(sm_id) > XW_SM_ID_MAX || replace_str(&c->sm.id, sm_id))))
            return XW_ERR_PROTOCOL;
        c->sm.counting = c->sm.enabled = 1;
    }
    return xw_bosh_restore_attrs(c->bosh, saved);
}

static int on_saved_child(void *ud, xw_node *n) {
    xw_client *c = ud;
    xw_buf text = {0};
    int rc = XW_ERR_PROTOCOL;
    if (n->ns && strcmp(n->ns, NS_RESUME) == 0) {
        rc = xw_node_text(n, &text);
        if (!rc && strcmp(n->name, "request") == 0)
            rc = xw_bosh_restore_request(c->bosh, xw_node_attr(n, "rid"), text.data ? text.data : "", text.len);
        else if (!rc && strcmp(n->name, "queued") == 0)
            rc = text.len ? xw_bosh_queue(c->bosh, text.data, text.len) : XW_OK;
        else if (!rc)
            rc = XW_ERR_PROTOCOL;
    }
    xw_buf_free(&text);
    xw_node_free(n);
    return rc;
}

int xw_client_resume(xw_client *c, const char *saved, size_t len, double now_ms) {
    (void)now_ms;
    if (c->neg != NEG_IDLE) return XW_ERR_STATE;
    if (!c->jid.domain) return XW_ERR_JID;
    if (!saved) return XW_ERR_INVALID;
    c->bosh_cfg.to = c->jid.domain;
    c->bosh = xw_bosh_new(&c->bosh_cfg, &c->limits, on_stanza, c);
    if (!c->bosh) return XW_ERR_NOMEM;
    /* The saved requests may each carry up to max_queued_bytes. */
    xw_xml_limits lim = c->limits;
    size_t per = c->bosh_cfg.max_queued_bytes + 4096;
    if (lim.max_stanza_bytes < 2 * per) lim.max_stanza_bytes = 2 * per;
    if (lim.max_body_bytes < 16 * per) lim.max_body_bytes = 16 * per;
    unsigned long salt;
    xw_random_bytes(&salt, sizeof salt);
    xw_xml_parser *p = xw_xml_parser_new(&lim, salt, on_saved_body, on_saved_child, c);
    if (!p) return XW_ERR_NOMEM;
    int rc = xw_xml_parser_feed(p, saved, len, 1);
    xw_xml_parser_free(p);
    if (!rc) rc = xw_bosh_restore_check(c->bosh);
    if (rc) {
        /* Leave c as new, so the caller can connect() instead. */
        xw_bosh_free(c->bosh);
        c->bosh = NULL;
        free(c->bound_jid);
        c->bound_jid = NULL;
        xw_sm_free(&c->sm);
        memset(&c->sm, 0, sizeof c->sm);
        return rc == XW_ERR_NOMEM || rc == XW_ERR_JID ? rc : XW_ERR_INVALID;
    }
    /* The archive's address: the saved JID is ours (on_saved_body checked). */
    if (c->bound_jid) (void)adopt_bound_jid(c, c->bound_jid, strlen(c->bound_jid));
    c->neg = NEG_ONLINE;
    c->mech_name = NULL;
    emit_str2(c, "online", "jid", c->bound_jid, "resumed", "1");
    emit_status(c, "online");
    return XW_OK;
}
