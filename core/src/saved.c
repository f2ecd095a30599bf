/* saved.c: what a page saves for the next one (xw_client_save) and how a
 * new client carries on from it (xw_client_resume); see xw.h.
 *
 * The saved text is a <body/> document, so the same restricted parser
 * reads it back. Its attributes: the account (its bare JID), the
 * account's continuity (catch-up anchor, first online time, the resource
 * and XEP-0198 stream of the session lost last) and, when a session is
 * online, that session (the BOSH attributes and stream management
 * counters); its children: every request not yet processed, byte for
 * byte, the payload not yet sent, and the outbox. */
#include "client.h"
#include "im.h"

#include <stdlib.h>
#include <string.h>

#define NS_RESUME "urn:xmpp-wasm:resume:2"

static int save_attr(xw_buf *b, const char *name, const char *value) {
    if (!value) return XW_OK;
    int rc = xw_buf_printf(b, " %s='", name);
    if (!rc) rc = xw_buf_append_xml_attr_escaped(b, value, strlen(value));
    if (!rc) rc = xw_buf_append(b, "'", 1);
    return rc;
}

static int save_outbox(const xw_client *c, xw_buf *b) {
    int rc = XW_OK;
    for (size_t i = 0; !rc && i < c->outbox.nqueued; i++) {
        const xw_out_msg *m = &c->outbox.queued[i];
        rc = xw_buf_printf(b, "<message xmlns='%s'", NS_RESUME);
        if (!rc) rc = save_attr(b, "to", m->to);
        if (!rc) rc = save_attr(b, "type", m->type);
        if (!rc) rc = save_attr(b, "id", m->id);
        if (!rc) rc = save_attr(b, "origin", m->origin_id);
        if (!rc) rc = save_attr(b, "subject", m->subject);
        if (!rc) rc = save_attr(b, "thread", m->thread);
        if (!rc && !m->body) rc = xw_buf_append_str(b, " has-body='0'"); /* a subject alone */
        if (!rc)
            rc = xw_buf_printf(b, " resend='%d' seq='%u' delivered='%d' archived='%d'>", m->resend, (unsigned)m->seq,
                               m->delivered, m->archived);
        if (!rc && m->body) rc = xw_buf_append_xml_escaped(b, m->body, strlen(m->body));
        if (!rc) rc = xw_buf_append_str(b, "</message>");
    }
    return rc;
}

const char *xw_client_save(xw_client *c) {
    xw_buf *b = &c->saved;
    xw_buf_clear(b);
    if (c->life != LIFE_RUNNING || !c->ever_online) return NULL;
    xw_session *s = &c->s;
    /* A session still catching up is not carried on (the next page could
     * not take the archive's answers): the next page logs in anew, with
     * this session's resource, which closes it. */
    int online = s->bosh && s->neg == NEG_ONLINE && s->bound_jid && !s->catching_up &&
                 xw_bosh_get_state(s->bosh) == XW_BOSH_ACTIVE;
    char *live_resource = !online && s->bound_jid ? xw_client_resource_of(s->bound_jid) : NULL;
    char num[32];
    int rc = xw_buf_append_str(b, "<body xmlns='" XW_NS_HTTPBIND "'");
    if (!rc) rc = save_attr(b, "account", c->archive_jid);
    if (!rc) rc = save_attr(b, "after", c->catch_up_after);
    xw_format(num, sizeof num, "%llu", (unsigned long long)(c->first_online_ms > 0 ? c->first_online_ms : 0));
    if (!rc) rc = save_attr(b, "since", num);
    if (!rc) rc = save_attr(b, "lost-resource", live_resource ? live_resource : c->lost_resource);
    free(live_resource);
    if (!rc && c->sm_resume_id) {
        xw_format(num, sizeof num, "%u", (unsigned)c->sm_resume_h);
        rc = save_attr(b, "resume-id", c->sm_resume_id);
        if (!rc) rc = save_attr(b, "resume-h", num);
        if (!rc) rc = save_attr(b, "resume-jid", c->sm_resume_jid);
    }
    if (!rc && online) {
        rc = save_attr(b, "jid", s->bound_jid);
        if (!rc) rc = xw_bosh_save_attrs(s->bosh, b);
        if (!rc && s->sm.enabled) {
            /* The stream management counters go on in the next page. */
            rc = xw_buf_printf(b, " sm-in='%u' sm-out='%u' sm-acked='%u'", (unsigned)s->sm.in, (unsigned)s->sm.out,
                               (unsigned)s->sm.acked);
            if (!rc) rc = save_attr(b, "sm-id", s->sm.id);
        }
    }
    if (!rc) rc = xw_buf_append_str(b, ">");
    if (!rc && online) rc = xw_bosh_save_requests(s->bosh, NS_RESUME, b);
    if (!rc) rc = save_outbox(c, b);
    /* The instant-messaging state: the roster (with its version, so the
     * next login asks only for changes), presence, rooms. */
    enum { NPARTS = 3 };
    xw_node *parts[NPARTS] = {c->roster.have ? xw_roster_save(&c->roster, NS_RESUME) : NULL,
                        xw_presence_save(&c->presence, NS_RESUME), xw_muc_save(&c->muc, NS_RESUME)};
    for (size_t i = 0; i < NPARTS; i++) {
        if (!rc && parts[i]) rc = xw_node_serialize(parts[i], XW_NS_HTTPBIND, b);
        else if (!rc && (i > 0 || c->roster.have)) rc = XW_ERR_NOMEM;
        xw_node_free(parts[i]);
    }
    if (!rc) rc = xw_buf_append_str(b, "</body>");
    if (rc) {
        xw_buf_clear(b);
        return NULL;
    }
    return b->data;
}

size_t xw_client_save_len(const xw_client *c) { return c->saved.len; }

static int copy_attr(char **slot, const xw_node *n, const char *name, size_t max) {
    const char *v = xw_node_attr(n, name);
    if (!v) return XW_OK;
    if (!*v || strlen(v) > max || !xw_im_is_xml_text(v)) return XW_ERR_PROTOCOL;
    return xw_client_replace_str(slot, v);
}

static int on_saved_body(void *ud, const xw_node *saved) {
    xw_client *c = ud;
    /* Only this account's state. */
    const char *account = xw_node_attr(saved, "account");
    if (!account || !xw_jid_equal(account, c->archive_jid, 0)) return XW_ERR_JID;
    /* ms since the epoch: past 32 bits, so not parse_uint (wasm32's long is 32 bits). */
    const char *since = xw_node_attr(saved, "since");
    double ms = 0;
    for (const char *p = since; p && *p && ms < 1e15; p++) {
        if (*p < '0' || *p > '9') return XW_ERR_PROTOCOL;
        ms = ms * 10 + (*p - '0');
    }
    if (!since || !*since || ms >= 1e15) return XW_ERR_PROTOCOL;
    c->first_online_ms = ms > 0 ? ms : -1;
    int rc = copy_attr(&c->catch_up_after, saved, "after", 256);
    if (!rc) rc = copy_attr(&c->lost_resource, saved, "lost-resource", 1023);
    if (!rc && xw_node_attr(saved, "resume-id")) {
        rc = copy_attr(&c->sm_resume_id, saved, "resume-id", XW_SM_ID_MAX);
        if (!rc) rc = copy_attr(&c->sm_resume_jid, saved, "resume-jid", 3071);
        if (!rc && (xw_sm_parse_u32(xw_node_attr(saved, "resume-h"), &c->sm_resume_h) || !c->sm_resume_jid ||
                    !xw_jid_equal(c->sm_resume_jid, c->archive_jid, 1)))
            rc = XW_ERR_PROTOCOL;
    }
    if (rc || !xw_node_attr(saved, "sid")) return rc;
    /* A live session to carry on: its full JID must be this account's. */
    const char *jid = xw_node_attr(saved, "jid");
    char *resource = xw_client_resource_of(jid);
    int ours = resource && xw_jid_equal(jid, c->archive_jid, 1);
    free(resource);
    if (!ours) return XW_ERR_JID;
    rc = xw_session_begin(c, c->now_ms, 0);
    if (!rc) rc = xw_client_adopt_jid(c, jid, strlen(jid));
    xw_session *s = &c->s;
    const char *sm_in = xw_node_attr(saved, "sm-in");
    if (!rc && sm_in) {
        const char *sm_id = xw_node_attr(saved, "sm-id");
        if (xw_sm_parse_u32(sm_in, &s->sm.in) || xw_sm_parse_u32(xw_node_attr(saved, "sm-out"), &s->sm.out) ||
            xw_sm_parse_u32(xw_node_attr(saved, "sm-acked"), &s->sm.acked) || s->sm.acked > s->sm.out ||
            copy_attr(&s->sm.id, saved, "sm-id", XW_SM_ID_MAX) || (sm_id && !s->sm.id))
            rc = XW_ERR_PROTOCOL;
        s->sm.counting = s->sm.enabled = 1;
    }
    if (!rc) rc = xw_bosh_restore_attrs(s->bosh, saved);
    return rc;
}

static int on_saved_child(void *ud, xw_node *n) {
    xw_client *c = ud;
    xw_buf text = {0};
    int rc = XW_ERR_PROTOCOL;
    if (!strcmp(n->ns, NS_RESUME)) {
        rc = xw_node_text(n, &text);
        if (!rc && !strcmp(n->name, "request"))
            rc = c->s.bosh ? xw_bosh_restore_request(c->s.bosh, xw_node_attr(n, "rid"), text.data ? text.data : "",
                                                     text.len)
                           : XW_ERR_PROTOCOL;
        else if (!rc && !strcmp(n->name, "queued"))
            rc = !c->s.bosh ? XW_ERR_PROTOCOL : text.len ? xw_bosh_queue(c->s.bosh, text.data, text.len) : XW_OK;
        else if (!rc && !strcmp(n->name, "roster"))
            rc = xw_roster_restore(&c->roster, n);
        else if (!rc && !strcmp(n->name, "presence-state"))
            rc = xw_presence_restore(&c->presence, n);
        else if (!rc && !strcmp(n->name, "rooms"))
            rc = xw_muc_restore(&c->muc, n);
        else if (!rc && !strcmp(n->name, "message")) {
            unsigned long seq = 0;
            xw_out_msg m = {0};
            m.to = (char *)xw_node_attr(n, "to");
            m.type = (char *)xw_node_attr(n, "type");
            m.id = (char *)xw_node_attr(n, "id");
            m.origin_id = (char *)xw_node_attr(n, "origin");
            m.subject = (char *)xw_node_attr(n, "subject");
            m.thread = (char *)xw_node_attr(n, "thread");
            const char *has_body = xw_node_attr(n, "has-body");
            m.body = has_body && !strcmp(has_body, "0") ? NULL : text.data ? text.data : "";
            m.resend = xw_node_attr(n, "resend") && !strcmp(xw_node_attr(n, "resend"), "1");
            m.delivered = xw_node_attr(n, "delivered") && !strcmp(xw_node_attr(n, "delivered"), "1");
            m.archived = xw_node_attr(n, "archived") && !strcmp(xw_node_attr(n, "archived"), "1");
            xw_node *check = NULL;
            rc = xw_client_parse_uint(xw_node_attr(n, "seq"), UINT32_MAX, &seq) || xw_client_validate_to(m.to) || !m.id || !m.origin_id
                     ? XW_ERR_PROTOCOL
                     : xw_im_build_message(&check, &m);
            xw_node_free(check);
            m.seq = (uint32_t)seq;
            if (!rc) rc = xw_outbox_queue(&c->outbox, &m);
        } else if (!rc) {
            rc = XW_ERR_PROTOCOL;
        }
    }
    xw_buf_free(&text);
    xw_node_free(n);
    return rc;
}

/* Back to a new client after a saved text was refused. */
static void forget_saved(xw_client *c) {
    xw_session_end(c);
    xw_outbox_free(&c->outbox);
    xw_roster_free(&c->roster);
    xw_presence_free(&c->presence);
    xw_muc_free(&c->muc);
    free(c->catch_up_after);
    free(c->lost_resource);
    free(c->sm_resume_id);
    free(c->sm_resume_jid);
    c->catch_up_after = c->lost_resource = c->sm_resume_id = c->sm_resume_jid = NULL;
    c->first_online_ms = -1;
    xw_keyset_free(&c->archive_ids);
    xw_keyset_free(&c->resent);
    xw_keyset_free(&c->fresh);
    c->life = LIFE_NEW;
}

int xw_client_resume(xw_client *c, const char *saved, size_t len, double now_ms) {
    if (!saved) return XW_ERR_INVALID;
    int rc = xw_client_start_life(c, now_ms);
    if (rc) return rc;
    /* The saved requests and outbox may each carry up to max_queued_bytes. */
    xw_xml_limits lim = c->limits;
    size_t per = c->bosh_cfg.max_queued_bytes + 4096;
    if (lim.max_stanza_bytes < 2 * per) lim.max_stanza_bytes = 2 * per;
    if (lim.max_body_bytes < 16 * per) lim.max_body_bytes = 16 * per;
    unsigned long salt;
    xw_random_bytes(&salt, sizeof salt);
    xw_xml_parser *p = xw_xml_parser_new(&lim, salt, on_saved_body, on_saved_child, NULL, c);
    rc = p ? xw_xml_parser_feed(p, saved, len, 1) : XW_ERR_NOMEM;
    xw_xml_parser_free(p);
    if (!rc && c->s.bosh) rc = xw_bosh_restore_check(c->s.bosh);
    if (rc) {
        forget_saved(c); /* c is new again: connect() can follow */
        return rc == XW_ERR_NOMEM || rc == XW_ERR_JID ? rc : XW_ERR_INVALID;
    }
    c->ever_online = 1;
    if (c->s.bosh) {
        /* The same BOSH session, carried on: online at once. */
        c->s.neg = NEG_ONLINE;
        c->s.presence_sent = 1;
        c->resuming_saved = 1;
        xw_client_went_online(c, 1);
        /* The new page's app learns what the old one knew. */
        if (c->roster.have) xw_roster_emit_full(c);
        xw_presence_emit_restored(c);
        xw_muc_emit_restored(c);
        return XW_OK;
    }
    /* Only the account's continuity was saved (the page went while
     * reconnecting): a new login, caught up like any after a lost one. */
    xw_client_emit_status(c, "connecting");
    xw_client_log_in_again(c);
    return c->life == LIFE_RUNNING ? XW_OK : XW_ERR_NOMEM;
}
