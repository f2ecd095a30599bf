/* session.c: one login over one BOSH session (see client.h): stream
 * negotiation (RFC 6120 §6-7, XEP-0206 §5-6: SASL, restart, bind, the old
 * session IQ), XEP-0198 stream management, the IQs the session asks and
 * answers (RFC 6120 §8), and the dispatch of every element that arrives,
 * by name and namespace, to the part of the core that owns it. */
#include "client.h"
#include "im.h"
#include "mam.h"

#include <stdlib.h>
#include <string.h>

#define NS_SASL "urn:ietf:params:xml:ns:xmpp-sasl"
#define NS_BIND "urn:ietf:params:xml:ns:xmpp-bind"
#define NS_SESSION "urn:ietf:params:xml:ns:xmpp-session"
#define NS_STANZAS "urn:ietf:params:xml:ns:xmpp-stanzas"
#define NS_STREAM_ERRORS "urn:ietf:params:xml:ns:xmpp-streams"
#define NS_PING "urn:xmpp:ping"

/* ------------------------------------------------------------- sending */

int xw_session_send(xw_client *c, const xw_node *n, int secret) {
    xw_buf xml = {0};
    /* Room up front, so growing the buffer leaves no copy of a secret in
     * memory that was freed. */
    int rc = secret ? xw_buf_reserve(&xml, 1024) : XW_OK;
    /* Stanzas go inside <body xmlns='httpbind'>, so each declares
     * xmlns='jabber:client' (XEP-0206 §8). */
    if (!rc) rc = xw_node_serialize(n, XW_NS_HTTPBIND, &xml);
    if (!rc) rc = xw_bosh_queue(c->s.bosh, xml.data, xml.len);
    if (secret) xw_buf_wipe(&xml);
    else xw_buf_free(&xml);
    /* XEP-0198 §4: stanzas are counted, nonzas are not. */
    if (!rc && c->s.sm.counting && xw_sm_is_stanza(n)) c->s.sm.out++;
    return rc;
}

void xw_session_fail(xw_client *c, const char *condition, const char *text) {
    xw_session *s = &c->s;
    if (!s->fail_condition) {
        s->fail_condition = xw_strdup(condition);
        s->fail_text = xw_strdup(text ? text : "");
    }
    s->neg = NEG_DONE;
    if (xw_bosh_terminate(s->bosh, NULL, 0) != XW_OK) xw_bosh_close(s->bosh, condition, text);
}

/* <iq type to id/> (to and id optional), or NULL on OOM. */
static xw_node *new_iq(const char *type, const char *id, const char *to) {
    xw_node *iq = xw_node_new("iq", XW_NS_CLIENT);
    if (!iq) return NULL;
    int rc = xw_node_set_attr(iq, "type", type);
    if (!rc && to) rc = xw_node_set_attr(iq, "to", to);
    if (!rc && id) rc = xw_node_set_attr(iq, "id", id);
    if (rc) {
        xw_node_free(iq);
        return NULL;
    }
    return iq;
}

int xw_session_iq(xw_client *c, const char *type, const char *to, xw_node *payload, double timeout_ms, xw_iq_fn done,
                  int app) {
    char *id = xw_client_new_id(c);
    xw_node *iq = id ? new_iq(type, id, to) : NULL;
    int rc = iq ? XW_OK : XW_ERR_NOMEM;
    if (!rc && payload) {
        xw_node_append(iq, payload);
        payload = NULL;
    }
    double deadline = timeout_ms < 0 ? -1 : c->now_ms + (timeout_ms > 0 ? timeout_ms : c->iq_timeout_ms);
    xw_iq *q = rc ? NULL : xw_iq_track(&c->s.iqs, id, to, done, app ? ++c->next_token : 0, deadline);
    if (!rc && !q) rc = XW_ERR_LIMIT;
    int token = q ? q->token : 0;
    if (!rc) rc = xw_session_send(c, iq, 0);
    if (rc && q) xw_iq_remove(&c->s.iqs, c->s.iqs.n - 1);
    xw_node_free(iq);
    xw_node_free(payload);
    free(id);
    return rc ? rc : token;
}

/* The answer to one of the app's IQs (a ping): an "iq" event by token. */
void xw_session_iq_app_done(void *owner, const xw_node *answer, int ok, const char *condition, int token) {
    xw_client *c = owner;
    xw_event e;
    xw_event_begin(&e, &c->events, "iq");
    xw_event_int(&e, "token", token);
    xw_event_bool(&e, "ok", ok);
    if (!ok) xw_event_str(&e, "condition", condition);
    if (answer) xw_event_xml(&e, "xml", answer);
    xw_event_end(&e);
}

/* ---------------------------------------------------------- negotiation */

/* Frees an element whose text held a secret, zeroing the text first. */
static void free_secret_node(xw_node *n) {
    for (xw_node *t = n ? n->first_child : NULL; t; t = t->next)
        if (!t->name && t->text) xw_memzero(t->text, t->text_len);
    xw_node_free(n);
}

static void start_sasl(xw_client *c, const xw_node *features) {
    xw_session *s = &c->s;
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
        xw_session_fail(c, "invalid-mechanism",
                        plain_offered ? "the server offers only PLAIN and the service is not https: "
                                        "set allowPlain to send the password in the clear"
                                      : "no SASL mechanism in common with the server");
        return;
    }
    if (!c->password && (mech == XW_SASL_PLAIN || c->scram_key.mech != mech)) {
        /* The password was not kept (see xw.h, "password"). */
        xw_session_fail(c, "not-authorized", "the password is no longer known for this mechanism: connect again");
        return;
    }
    uint8_t raw[24];
    xw_buf nonce = {0}, initial = {0}, b64 = {0};
    xw_random_bytes(raw, sizeof raw);
    int rc = xw_base64_encode(&nonce, raw, sizeof raw);
    if (!rc) {
        s->sasl = xw_sasl_new(mech, c->jid.local, c->password, nonce.data);
        if (s->sasl) xw_sasl_set_key(s->sasl, &c->scram_key);
        rc = s->sasl ? xw_sasl_initial(s->sasl, &initial) : XW_ERR_NOMEM;
    }
    if (!rc) rc = xw_base64_encode(&b64, (const uint8_t *)initial.data, initial.len);
    xw_node *auth = rc ? NULL : xw_node_new("auth", NS_SASL);
    if (!rc && !auth) rc = XW_ERR_NOMEM;
    if (!rc) rc = xw_node_set_attr(auth, "mechanism", xw_sasl_mech_name(mech));
    if (!rc) rc = xw_node_add_text(auth, b64.data ? b64.data : "=", b64.len ? b64.len : 1);
    if (!rc) rc = xw_session_send(c, auth, 1); /* PLAIN carries the password */
    free_secret_node(auth);
    xw_buf_wipe(&initial);
    xw_buf_wipe(&b64);
    xw_buf_free(&nonce);
    if (rc) {
        xw_session_fail(c, "internal-error", xw_strerror(rc));
        return;
    }
    s->neg = NEG_AUTHENTICATING;
    s->mech_name = xw_sasl_mech_name(mech);
}

/* The SASL element's base64 text, decoded into raw. XW_ERR_AUTH when it
 * is not base64. */
static int sasl_payload(const xw_node *st, xw_buf *raw) {
    xw_buf text = {0};
    int rc = xw_node_text(st, &text);
    if (!rc && text.len && strcmp(text.data, "=") != 0)
        rc = xw_base64_decode(raw, text.data, text.len) ? XW_ERR_AUTH : XW_OK;
    xw_buf_wipe(&text);
    return rc;
}

void xw_session_derive_step(xw_client *c) {
    xw_session *s = &c->s;
    if (s->neg != NEG_DERIVING) return;
    /* A bounded number of Hi() rounds per call: the page stays responsive
     * while the key is derived (next_deadline asks for the next step). */
    int done = xw_sasl_derive(s->sasl, xw_sasl_step_iterations(xw_sasl_mech_from_name(s->mech_name)));
    if (done == 0) return;
    xw_buf reply = {0}, b64 = {0};
    int rc = done < 0 ? done : xw_sasl_final_message(s->sasl, &reply);
    if (!rc) rc = xw_base64_encode(&b64, (const uint8_t *)reply.data, reply.len);
    xw_node *resp = rc ? NULL : xw_node_new("response", NS_SASL);
    if (!rc && !resp) rc = XW_ERR_NOMEM;
    if (!rc) rc = xw_node_add_text(resp, b64.data ? b64.data : "", b64.len);
    if (!rc) rc = xw_session_send(c, resp, 1);
    free_secret_node(resp);
    xw_buf_wipe(&reply);
    xw_buf_wipe(&b64);
    if (rc) xw_session_fail(c, "internal-error", xw_strerror(rc));
    else s->neg = NEG_AUTHENTICATING;
}

static void sasl_challenge(xw_client *c, const xw_node *st) {
    xw_buf raw = {0};
    int rc = sasl_payload(st, &raw);
    if (!rc)
        rc = xw_sasl_start_challenge(c->s.sasl, (const uint8_t *)(raw.data ? raw.data : ""), raw.len,
                                     (unsigned)c->max_scram_iterations);
    xw_buf_wipe(&raw);
    if (rc) {
        xw_session_fail(c, rc == XW_ERR_AUTH ? "server-auth-failed" : "internal-error",
                        "the server's SCRAM challenge was rejected (bad nonce or salt, or an iteration count "
                        "under 4096 or over max_scram_iterations)");
        return;
    }
    c->s.neg = NEG_DERIVING;
    xw_session_derive_step(c); /* the first step at once: 4096 rounds take one */
}

static void sasl_success(xw_client *c, const xw_node *st) {
    xw_session *s = &c->s;
    xw_buf raw = {0};
    int rc = sasl_payload(st, &raw);
    /* RFC 6120 §6.4.6: the data is SCRAM's server-final-message. */
    if (!rc) rc = xw_sasl_verify_success(s->sasl, (const uint8_t *)(raw.data ? raw.data : ""), raw.len);
    xw_buf_wipe(&raw);
    /* SCRAM's key logs us in again from now on, so the password goes;
     * PLAIN needs it for that, and keeps it only if reconnecting is on. */
    int keyed = !rc && xw_sasl_get_key(s->sasl, &c->scram_key) == XW_OK;
    if (!rc && c->password && (keyed || !c->reconnect)) {
        xw_memzero(c->password, strlen(c->password));
        free(c->password);
        c->password = NULL;
    }
    xw_sasl_free(s->sasl); /* wipes the keys */
    s->sasl = NULL;
    if (rc) {
        xw_session_fail(c, "server-auth-failed", "the server's SCRAM signature did not verify");
        return;
    }
    xw_bosh_request_restart(s->bosh);
    s->neg = NEG_WAIT_BIND_FEATURES;
}

static void sasl_failure(xw_client *c, const xw_node *st) {
    const xw_node *cond = xw_node_first_element(st);
    const char *name = cond && strcmp(cond->name, "text") != 0 ? cond->name : "not-authorized";
    xw_buf text = {0};
    const xw_node *t = xw_node_child(st, "text", NS_SASL);
    if (t && xw_node_text(t, &text)) xw_buf_clear(&text);
    xw_session_fail(c, name, text.data ? text.data : "authentication failed");
    xw_buf_free(&text);
}

static void bind_done(void *owner, const xw_node *answer, int ok, const char *condition, int token);

static void send_bind(xw_client *c) {
    xw_session *s = &c->s;
    if (!s->bind_offered) {
        xw_session_fail(c, "unsupported-feature", "the server offers no resource binding");
        return;
    }
    /* The resource the app chose, else the lost session's: asking for it
     * makes the server close that ghost at once (RFC 6120 §7.7.2.2)
     * instead of routing messages to it until it times out. */
    const char *resource = c->resource ? c->resource : c->lost_resource;
    xw_node *bind = xw_node_new("bind", NS_BIND);
    int rc = bind ? XW_OK : XW_ERR_NOMEM;
    if (!rc && resource) {
        xw_node *r = xw_node_add_child(bind, "resource", NULL);
        rc = r ? xw_node_add_text(r, resource, strlen(resource)) : XW_ERR_NOMEM;
    }
    /* No timeout of its own: the BOSH session bounds it. */
    if (!rc) rc = xw_session_iq(c, "set", NULL, bind, -1, bind_done, 0);
    else xw_node_free(bind);
    if (rc < 0) xw_session_fail(c, "internal-error", xw_strerror(rc));
    else s->neg = NEG_BINDING;
}

static void send_sm_resume(xw_client *c) {
    xw_node *n = NULL;
    int rc = xw_sm_build_resume(&n, c->sm_resume_id, c->sm_resume_h);
    if (!rc) rc = xw_session_send(c, n, 0);
    xw_node_free(n);
    if (rc) {
        send_bind(c);
        return;
    }
    /* Our stanzas are counted from here; the server's 'h' in <resumed/>
     * sets where. */
    c->s.sm.counting = 1;
    c->s.neg = NEG_RESUMING;
}

/* The features after authentication: resume the lost stream if there is
 * one and the server offers stream management, else bind a resource. */
static void on_bind_features(xw_client *c, const xw_node *features) {
    xw_session *s = &c->s;
    s->bind_offered = xw_node_child(features, "bind", NS_BIND) != NULL;
    const xw_node *sess = xw_node_child(features, "session", NS_SESSION);
    /* RFC 3921 session establishment, only where the server still requires it. */
    s->session_required = sess && !xw_node_child(sess, "optional", NULL);
    s->sm_offered = c->stream_management && xw_node_child(features, "sm", XW_NS_SM) != NULL;
    s->roster_versioning = xw_node_child(features, "ver", "urn:xmpp:features:rosterver") != NULL;
    if (s->sm_offered && c->sm_resume_id && c->sm_resume_jid) send_sm_resume(c);
    else send_bind(c);
}

static void send_sm_nonza(xw_client *c, xw_node *n, int rc) {
    if (!rc) rc = xw_session_send(c, n, 0);
    xw_node_free(n);
    if (rc) xw_client_emit_error(c, "internal-error", "could not send a stream management element");
}

void xw_session_send_presence(xw_client *c) {
    xw_session *s = &c->s;
    if (c->initial_presence) {
        /* RFC 6121 §4.2: ours, as the app last set it, with capabilities. */
        xw_node *p = NULL;
        int rc = xw_presence_build_own(c, &p);
        if (!rc) rc = xw_session_send(c, p, 0);
        if (rc) xw_client_emit_error(c, "internal-error", "could not send initial presence");
        xw_node_free(p);
    }
    s->presence_sent = 1;
    xw_muc_rejoin(c);
    xw_client_flush_outbox(c);
}

static void go_online(xw_client *c) {
    xw_session *s = &c->s;
    s->neg = NEG_ONLINE;
    xw_client_went_online(c, 0);
    if (s->sm_offered) {
        /* XEP-0198 §3: enable before anything else is sent, so every
         * stanza of the session is counted. */
        xw_node *n = NULL;
        int rc = xw_sm_build_enable(&n);
        send_sm_nonza(c, n, rc);
        if (!rc) {
            s->sm.counting = 1;
            s->sm.out = 0;
        }
    }
    /* A new login: everyone's presence comes again after ours. */
    xw_presence_clear_contacts(&c->presence);
    if (c->roster_enabled) xw_roster_fetch(c); /* RFC 6121 §2.2: before presence */
    xw_disco_server(c);
    if (s->catch_up) xw_catchup_start(c);
    else xw_session_send_presence(c);
}

static void session_done(void *owner, const xw_node *answer, int ok, const char *condition, int token) {
    xw_client *c = owner;
    (void)answer;
    (void)token;
    if (c->s.neg != NEG_SESSION) return;
    if (ok) go_online(c);
    else xw_session_fail(c, condition, "session establishment failed");
}

static void send_session_iq(xw_client *c) {
    xw_node *session = xw_node_new("session", NS_SESSION);
    int rc = session ? xw_session_iq(c, "set", NULL, session, -1, session_done, 0) : XW_ERR_NOMEM;
    if (rc < 0) xw_session_fail(c, "internal-error", xw_strerror(rc));
    else c->s.neg = NEG_SESSION;
}

static const char *error_condition(const xw_node *st) {
    const xw_node *err = xw_node_child(st, "error", NULL);
    const xw_node *cond = err ? xw_node_child(err, NULL, NS_STANZAS) : NULL;
    return cond ? cond->name : "undefined-condition";
}

static void bind_done(void *owner, const xw_node *st, int ok, const char *condition, int token) {
    xw_client *c = owner;
    (void)token;
    if (c->s.neg != NEG_BINDING) return;
    if (!ok) {
        xw_session_fail(c, condition, st ? "resource binding failed" : "the bind result was refused");
        return;
    }
    const xw_node *jid = xw_node_child(xw_node_child(st, "bind", NS_BIND), "jid", NS_BIND);
    xw_buf text = {0};
    int rc = !jid || xw_node_text(jid, &text) || !text.data ? XW_ERR_JID : xw_client_adopt_jid(c, text.data, text.len);
    xw_buf_free(&text);
    if (rc) {
        xw_session_fail(c, rc == XW_ERR_JID ? "bad-format" : "internal-error",
                        rc == XW_ERR_JID ? "the server bound no valid JID" : "out of memory");
        return;
    }
    if (c->s.session_required) send_session_iq(c);
    else go_online(c);
}

/* ------------------------------------------------------------- IQs */

void xw_session_reply_result(xw_client *c, const char *to, const char *id, xw_node *payload) {
    xw_node *iq = new_iq("result", id, to);
    int rc = iq ? XW_OK : XW_ERR_NOMEM;
    if (!rc && payload) {
        xw_node_append(iq, payload);
        payload = NULL;
    }
    if (!rc) rc = xw_session_send(c, iq, 0);
    xw_node_free(iq);
    xw_node_free(payload);
    if (rc) xw_client_emit_error(c, "resource-constraint", "could not answer an IQ request");
}

void xw_session_reply_iq(xw_client *c, const char *to, const char *id, const char *error_type, const char *condition) {
    if (!condition) {
        xw_session_reply_result(c, to, id, NULL);
        return;
    }
    xw_node *iq = new_iq("error", id, to);
    xw_node *err = iq ? xw_node_add_child(iq, "error", NULL) : NULL;
    int rc = err ? xw_node_set_attr(err, "type", error_type) : XW_ERR_NOMEM;
    if (!rc && !xw_node_add_child(err, condition, NS_STANZAS)) rc = XW_ERR_NOMEM;
    if (!rc) rc = xw_session_send(c, iq, 0);
    xw_node_free(iq);
    if (rc) xw_client_emit_error(c, "resource-constraint", "could not answer an IQ request");
}

/* An answer (st, or NULL when it was skipped over a limit) to the tracked
 * request with this id from `from`: handed to whoever asked. */
static void iq_answered(xw_client *c, const char *id, const char *from, const xw_node *st, int ok,
                        const char *condition) {
    long i = xw_iq_find(&c->s.iqs, id);
    if (i < 0) return; /* an answer to nothing we asked: ignored (RFC 6120 §8.2.3) */
    xw_iq q = c->s.iqs.v[i];
    if (!xw_iq_answer_from_ok(&q, from, c->archive_jid, c->s.bound_jid)) {
        xw_client_emit_error(c, "spoofed-iq", "dropped an IQ response from an entity the request was not sent to "
                                              "(RFC 6120 §8.1.2.1)");
        return;
    }
    xw_iq_fn done = q.done;
    int token = q.token;
    xw_iq_remove(&c->s.iqs, (size_t)i);
    if (done) done(c, st, ok, condition, token);
}

/* RFC 6120 §8.2.3: an IQ result or error answers the request with its id. */
static void on_iq_answer(xw_client *c, const xw_node *st) {
    int ok = !strcmp(xw_node_attr(st, "type"), "result");
    const char *id = xw_node_attr(st, "id");
    if (id) iq_answered(c, id, xw_node_attr(st, "from"), st, ok, ok ? NULL : error_condition(st));
}

/* XEP-0199 §4.1: a ping is answered with an empty result. */
static void on_ping(xw_client *c, const xw_node *st) {
    xw_session_reply_iq(c, xw_node_attr(st, "from"), xw_node_attr(st, "id"), NULL, NULL);
}

/* An IQ no handler took (RFC 6120 §8.2.3, §8.4). */
static void iq_unhandled(xw_client *c, const xw_node *st, int app_took_it) {
    const char *type = xw_node_attr(st, "type");
    const char *id = xw_node_attr(st, "id");
    if (!type || !id) {
        xw_client_emit_error(c, "bad-request", "dropped an IQ without type or id (RFC 6120 §8.2.3)");
        return;
    }
    /* Every request is answered; the app answers those its handlers took. */
    if ((!strcmp(type, "get") || !strcmp(type, "set")) && !app_took_it && c->s.neg == NEG_ONLINE)
        xw_session_reply_iq(c, xw_node_attr(st, "from"), id, "cancel", "service-unavailable");
}

/* ------------------------------------------------- stream management */

static void sm_resumed(xw_client *c, uint32_t h) {
    xw_session *s = &c->s;
    int rc = xw_client_adopt_jid(c, c->sm_resume_jid, strlen(c->sm_resume_jid));
    if (rc == XW_ERR_JID) {
        xw_session_fail(c, "bad-format", "the stream to resume has no valid JID");
        return;
    }
    char *id = rc ? NULL : xw_strdup(c->sm_resume_id);
    if (!id) {
        xw_session_fail(c, "internal-error", "out of memory");
        return;
    }
    free(s->sm.id);
    s->sm.id = id;
    s->sm.enabled = 1;
    s->sm.in = c->sm_resume_h;
    s->sm.out = s->sm.acked = h;
    s->neg = NEG_ONLINE;
    s->stream_resumed = 1;
    s->presence_sent = 1; /* the stream kept its presence */
    c->resumed_h = h;
    xw_client_went_online(c, 1);
    /* The server resends what we never acknowledged; our own that it never
     * handled (seq > h) go out again from the outbox. */
    xw_client_flush_outbox(c);
}

static void on_sm(xw_client *c, const xw_node *st) {
    xw_session *s = &c->s;
    uint32_t h = 0;
    if (!strcmp(st->name, "enabled")) {
        if (!s->sm.counting || s->sm.enabled || s->neg == NEG_RESUMING) return;
        s->sm.enabled = 1;
        s->sm.in = 0;
        const char *resume = xw_node_attr(st, "resume");
        const char *id = xw_node_attr(st, "id");
        if (resume && (!strcmp(resume, "true") || !strcmp(resume, "1")) && id && *id && strlen(id) <= XW_SM_ID_MAX) {
            free(s->sm.id);
            s->sm.id = xw_strdup(id);
            if (!s->sm.id) xw_client_emit_error(c, "internal-error", "out of memory: the stream cannot be resumed");
        }
    } else if (!strcmp(st->name, "resumed")) {
        if (s->neg != NEG_RESUMING) return;
        if (xw_sm_parse_h(st, &h)) xw_session_fail(c, "bad-format", "<resumed/> without a valid h (XEP-0198 §5)");
        else sm_resumed(c, h);
    } else if (!strcmp(st->name, "failed")) {
        if (s->neg == NEG_RESUMING) {
            /* Too late to resume (XEP-0198 §5): a new session, caught up
             * from the archive as after any lost one. */
            s->sm.counting = 0;
            send_bind(c);
        } else if (s->sm.counting && !s->sm.enabled) {
            s->sm.counting = 0; /* enable refused: go on without */
        }
    } else if (!strcmp(st->name, "r")) {
        if (!s->sm.enabled) return;
        xw_node *n = NULL;
        int rc = xw_sm_build_ack(&n, s->sm.in);
        send_sm_nonza(c, n, rc);
    } else if (!strcmp(st->name, "a")) {
        if (!s->sm.enabled) return;
        if (xw_sm_parse_h(st, &h)) {
            xw_client_emit_error(c, "bad-format", "dropped an <a/> without a valid h (XEP-0198 §4)");
            return;
        }
        if (h > s->sm.out) {
            xw_session_fail(c, "undefined-condition",
                            "the server acknowledged more stanzas than were sent (XEP-0198 §4, handled-count-too-high)");
            return;
        }
        if (h > s->sm.acked) s->sm.acked = h;
        xw_outbox_prune(&c->outbox, xw_bosh_acked(s->bosh), s->sm.id != NULL, s->sm.acked);
    }
}

/* ------------------------------------------------------------ dispatch */

static void on_stream_error(xw_client *c, const xw_node *st) {
    const xw_node *cond = xw_node_child(st, NULL, NS_STREAM_ERRORS);
    xw_session_fail(c, cond ? cond->name : "undefined-condition", "stream error from the server (RFC 6120 §4.9)");
}

static void on_features(xw_client *c, const xw_node *st) {
    if (c->s.neg == NEG_WAIT_AUTH_FEATURES) start_sasl(c, st);
    else if (c->s.neg == NEG_WAIT_BIND_FEATURES) on_bind_features(c, st);
}

static void on_sasl(xw_client *c, const xw_node *st) {
    if (c->s.neg != NEG_AUTHENTICATING) xw_session_fail(c, "bad-format", "unexpected SASL element");
    else if (!strcmp(st->name, "challenge")) sasl_challenge(c, st);
    else if (!strcmp(st->name, "success")) sasl_success(c, st);
    else if (!strcmp(st->name, "failure")) sasl_failure(c, st);
}


/* The session's own handlers; each feature module registers its own. */
int xw_session_register(xw_client *c) {
    xw_dispatch *d = &c->handlers;
    int rc = xw_dispatch_add(d, NULL, XW_NS_SM, NULL, NULL, NULL, 0, on_sm);
    if (!rc) rc = xw_dispatch_add(d, "error", XW_NS_STREAMS, NULL, NULL, NULL, 0, on_stream_error);
    if (!rc) rc = xw_dispatch_add(d, "features", XW_NS_STREAMS, NULL, NULL, NULL, 0, on_features);
    if (!rc) rc = xw_dispatch_add(d, NULL, NS_SASL, NULL, NULL, NULL, 0, on_sasl);
    if (!rc) rc = xw_dispatch_add(d, "iq", XW_NS_CLIENT, "result", NULL, NULL, 0, on_iq_answer);
    if (!rc) rc = xw_dispatch_add(d, "iq", XW_NS_CLIENT, "error", NULL, NULL, 0, on_iq_answer);
    if (!rc) rc = xw_dispatch_add(d, "iq", XW_NS_CLIENT, "get", "ping", NS_PING, 1, on_ping);
    return rc;
}

int xw_session_on_stanza(void *ud, xw_node *st, double now_ms) {
    xw_client *c = ud;
    xw_session *s = &c->s;
    c->now_ms = now_ms;
    /* XEP-0198 §4: every stanza received is handled here, whatever becomes of it. */
    if (s->sm.enabled && xw_sm_is_stanza(st)) s->sm.in++;
    int core_took_it = 0, app_took_it = 0;
    for (size_t i = 0; i < c->handlers.n; i++) {
        const xw_handler *h = &c->handlers.v[i];
        if ((h->online_only && s->neg != NEG_ONLINE) || !xw_handler_matches(h, st)) continue;
        if (h->app_id) {
            /* Every app handler that matches hears of it. */
            xw_event e;
            xw_event_begin(&e, &c->events, "stanza");
            xw_event_int(&e, "handler", h->app_id);
            xw_event_xml(&e, "xml", st);
            xw_event_end(&e);
            app_took_it = 1;
        } else if (!core_took_it) {
            h->fn(c, st);
            core_took_it = 1;
        }
    }
    if (core_took_it) {
        /* taken */
    } else if (!strcmp(st->name, "iq") && !strcmp(st->ns, XW_NS_CLIENT)) {
        iq_unhandled(c, st, app_took_it);
    } else if (!app_took_it && s->neg == NEG_ONLINE) {
        /* Nobody's: the app still hears of it, as XML. */
        xw_event e;
        xw_event_begin(&e, &c->events, "stanza");
        xw_event_xml(&e, "xml", st);
        xw_event_end(&e);
    }
    xw_node_free(st);
    return 0;
}

/* A stanza skipped over a per-stanza limit: counted as handled (so a
 * resumed stream does not send it again), reported with its sender, and
 * answered when it was an IQ. The session goes on. */
int xw_session_on_skip(void *ud, const xw_xml_skipped *sk, double now_ms) {
    xw_client *c = ud;
    xw_session *s = &c->s;
    c->now_ms = now_ms;
    int jabber = sk->ns && sk->name && !strcmp(sk->ns, XW_NS_CLIENT);
    int is_iq = jabber && !strcmp(sk->name, "iq");
    if (s->sm.enabled && jabber && (is_iq || !strcmp(sk->name, "message") || !strcmp(sk->name, "presence")))
        s->sm.in++;
    xw_buf text = {0};
    int rc = xw_buf_printf(&text, "skipped a <%s/> from %s: %s", sk->name ? sk->name : "?",
                           sk->from ? sk->from : "the server", sk->detail);
    xw_event e;
    xw_event_begin(&e, &c->events, "error");
    xw_event_str(&e, "condition", "policy-violation");
    xw_event_str(&e, "text", rc ? sk->detail : text.data);
    xw_event_str(&e, "from", sk->from);
    xw_event_str(&e, "limit", sk->limit);
    xw_event_end(&e);
    xw_buf_free(&text);
    if (is_iq && sk->id && sk->type) {
        if (!strcmp(sk->type, "get") || !strcmp(sk->type, "set"))
            xw_session_reply_iq(c, sk->from, sk->id, "modify", "policy-violation"); /* RFC 6120 §8.3.3.12 */
        else if (!strcmp(sk->type, "result") || !strcmp(sk->type, "error"))
            iq_answered(c, sk->id, sk->from, NULL, 0, "policy-violation");
    }
    return 0;
}

/* ----------------------------------------------------------- lifetime */

/* RFC 6120 §8.1.2.1, RFC 6121 §2.1.6: an IQ with no 'from', or from our
 * bare JID or our server's domain, is our own server's or account's
 * answer (the server stamps 'from' on what peers send, so they cannot
 * forge these): max_stanza_bytes, which protects us from peers, does not
 * bound it (a 10,000-item roster is 1.05 MB); max_body_bytes still does.
 * Messages from our bare JID (carbons, archive results) wrap what a peer
 * wrote: the limit stays. */
static int from_own_server(void *ud, const char *name, const char *from) {
    xw_client *c = ud;
    if (!name || strcmp(name, "iq") != 0) return 0;
    return !from || (c->archive_jid && xw_jid_equal(from, c->archive_jid, 0)) ||
           (c->jid.domain && xw_jid_equal(from, c->jid.domain, 0));
}

int xw_session_begin(xw_client *c, double now_ms, int create) {
    xw_session *s = &c->s;
    memset(s, 0, sizeof *s);
    s->iqs.max = c->max_pending_iqs;
    c->bosh_cfg.to = c->jid.domain;
    xw_xml_limits limits = c->limits; /* copied by the parser */
    limits.trusted_from = from_own_server;
    limits.trusted_ud = c;
    s->bosh = xw_bosh_new(&c->bosh_cfg, &limits, xw_session_on_stanza, xw_session_on_skip, c);
    if (!s->bosh) return XW_ERR_NOMEM;
    int rc = create ? xw_bosh_start(s->bosh, now_ms) : XW_OK;
    if (rc) {
        xw_session_end(c);
        return rc;
    }
    s->neg = create ? NEG_WAIT_AUTH_FEATURES : NEG_IDLE;
    return XW_OK;
}

void xw_session_end(xw_client *c) {
    xw_session *s = &c->s;
    xw_bosh_free(s->bosh);
    xw_sasl_free(s->sasl);
    free(s->bound_jid);
    free(s->fail_condition);
    free(s->fail_text);
    xw_sm_free(&s->sm);
    xw_iq_free(&s->iqs);
    xw_history_clear(&c->history);
    free(s->mam_queryid);
    memset(s, 0, sizeof *s);
}
