/* message.c: what becomes of a message that arrives (see message.h). */
#include "message.h"

#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "disco.h"
#include "im.h"
#include "jid.h"
#include "mam.h"

/* Children that say something about a message rather than carry it: a
 * message with nothing else is not a "message" event of its own. */
static int is_content(const xw_node *n) {
    static const char *const meta_ns[] = {XW_NS_CHATSTATES, XW_NS_RECEIPTS, XW_NS_MARKERS, XW_NS_HINTS,
                                          XW_NS_SID, XW_NS_DELAY};
    if (!n->name) return 0;
    if (!strcmp(n->ns, XW_NS_CLIENT)) return strcmp(n->name, "thread") != 0;
    for (size_t i = 0; i < sizeof meta_ns / sizeof *meta_ns; i++)
        if (!strcmp(n->ns, meta_ns[i])) return 0;
    return 1; /* an extension the app may know */
}

static const char *first_delay(const xw_node *m) {
    const xw_node *d = xw_node_child(m, "delay", XW_NS_DELAY);
    return d ? xw_node_attr(d, "stamp") : NULL;
}

/* XEP-0184 §5.4, §8: a receipt when asked, to a contact who may see our
 * presence anyway (subscription from or both), so receipts leak nothing. */
static void send_receipt(xw_client *c, const xw_node *m) {
    const char *from = xw_node_attr(m, "from"), *id = xw_node_attr(m, "id");
    xw_jid j;
    if (!from || !id || xw_jid_parse(from, strlen(from), &j)) return;
    xw_buf bare = {0};
    int rc = xw_jid_bare(&j, &bare);
    xw_jid_free(&j);
    const char *sub = rc ? "none" : xw_roster_subscription(&c->roster, bare.data);
    xw_buf_free(&bare);
    if (strcmp(sub, "from") != 0 && strcmp(sub, "both") != 0) return;
    char *rid = xw_client_new_id(c);
    xw_node *r = xw_node_new("message", XW_NS_CLIENT);
    rc = rid && r ? XW_OK : XW_ERR_NOMEM;
    if (!rc) rc = xw_node_set_attr(r, "to", from);
    if (!rc) rc = xw_node_set_attr(r, "id", rid);
    xw_node *rec = rc ? NULL : xw_node_add_child(r, "received", XW_NS_RECEIPTS);
    if (!rc) rc = rec ? xw_node_set_attr(rec, "id", id) : XW_ERR_NOMEM;
    if (!rc) rc = xw_session_send(c, r, 0);
    if (rc) xw_client_emit_error(c, "resource-constraint", "a delivery receipt could not be sent");
    xw_node_free(r);
    free(rid);
}

static void side_event(xw_client *c, const char *type, const xw_node *m, const xw_msg_meta *meta, const char *k,
                       const char *v, const char *k2, const char *v2) {
    xw_event e;
    xw_event_begin(&e, &c->events, type);
    xw_event_str(&e, "from", xw_node_attr(m, "from"));
    xw_event_str(&e, k, v);
    xw_event_str(&e, k2, v2);
    xw_event_str(&e, "room", meta->room);
    xw_event_str(&e, "nick", meta->nick);
    xw_event_str(&e, "carbon", meta->carbon);
    xw_event_end(&e);
}

/* XEP-0184 §5.4: a receipt is asked of us for a live one-to-one message
 * (not a carbon: the peer asked the device it sent to). */
static int receipt_asked(const xw_client *c, const xw_node *m, const xw_msg_meta *meta) {
    const char *type = xw_node_attr(m, "type");
    return c->receipts && !meta->carbon && !meta->archived && !meta->history &&
           xw_node_child(m, "request", XW_NS_RECEIPTS) && (!type || (strcmp(type, "groupchat") != 0 && strcmp(type, "error") != 0));
}

void xw_message_deliver(xw_client *c, const xw_node *m, const xw_msg_meta *meta) {
    int live = !meta->archived && !meta->history;
    const char *type = xw_node_attr(m, "type");
    const xw_node *request = xw_node_child(m, "request", XW_NS_RECEIPTS);
    const xw_node *received = xw_node_child(m, "received", XW_NS_RECEIPTS);
    const xw_node *state = xw_node_child(m, NULL, XW_NS_CHATSTATES);
    const xw_node *markable = xw_node_child(m, "markable", XW_NS_MARKERS);
    if (live) {
        /* XEP-0184 §5.4, XEP-0333 §4: a receipt, or how far the other side
         * got, for one of ours: the 'id' it names is required (without
         * one it refers to nothing). */
        const char *rid = received ? xw_node_attr(received, "id") : NULL;
        /* (Not ours when our other device sent it: a carbon of what it sent.) */
        const char *peer = meta->outgoing ? NULL : xw_node_attr(m, "from");
        if (rid && *rid) {
            side_event(c, "receipt", m, meta, "id", rid, NULL, NULL);
            xw_client_peer_confirmed(c, peer, rid);
        }
        for (const xw_node *k = xw_node_child(m, NULL, XW_NS_MARKERS); k; k = xw_node_next_named(k, NULL, XW_NS_MARKERS)) {
            const char *kid = xw_node_attr(k, "id");
            if (strcmp(k->name, "markable") != 0 && kid && *kid) {
                side_event(c, "marker", m, meta, "marker", k->name, "id", kid);
                /* XEP-0333 §3: a marker implies the message was received. */
                xw_client_peer_confirmed(c, peer, kid);
            }
        }
        /* XEP-0085 §5: typing and such. */
        if (state) {
            const xw_node *thread = xw_node_child(m, "thread", XW_NS_CLIENT);
            xw_buf t = {0};
            if (thread && xw_node_text(thread, &t)) xw_buf_clear(&t);
            side_event(c, "chat-state", m, meta, "state", state->name, "thread", thread ? (t.data ? t.data : "") : NULL);
            xw_buf_free(&t);
        }
        if (receipt_asked(c, m, meta)) send_receipt(c, m);
    }
    int content = type && !strcmp(type, "error");
    for (const xw_node *n = m->first_child; n && !content; n = n->next) content = is_content(n);
    if (!content) return;
    xw_event e;
    xw_event_begin(&e, &c->events, "message");
    if (meta->history) xw_event_int(&e, "history", meta->history);
    xw_event_object_begin(&e, "message");
    xw_im_message_fields(&e, m);
    xw_event_str(&e, "stanzaId", meta->stanza_id);
    xw_event_str(&e, "originId", xw_mam_origin_id(m));
    xw_event_str(&e, "delay", meta->delay ? meta->delay : first_delay(m));
    if (meta->archived) xw_event_bool(&e, "archived", 1);
    if (meta->outgoing) xw_event_bool(&e, "outgoing", 1);
    xw_event_str(&e, "carbon", meta->carbon);
    xw_event_str(&e, "room", meta->room);
    xw_event_str(&e, "nick", meta->nick);
    if (request) xw_event_bool(&e, "receiptRequested", 1);
    if (markable) xw_event_bool(&e, "markable", 1);
    if (state) xw_event_str(&e, "chatState", state->name);
    if (type && !strcmp(type, "error")) {
        const xw_node *err = xw_node_child(m, "error", XW_NS_CLIENT);
        const xw_node *cond = err ? xw_node_child(err, NULL, "urn:ietf:params:xml:ns:xmpp-stanzas") : NULL;
        xw_event_str(&e, "errorCondition", cond ? cond->name : "undefined-condition");
    }
    xw_event_object_end(&e);
    xw_event_end(&e);
}

/* XEP-0280 §11: a carbon copy comes from our own bare JID, in a <received/>
 * or <sent/> wrapper holding the forwarded message; anything else claiming
 * to be one is dropped. Returns 1 when st was a carbon (taken or dropped). */
static int on_carbon(xw_client *c, const xw_node *st) {
    const xw_node *w = xw_node_child(st, "received", XW_NS_CARBONS);
    const char *direction = "received";
    if (!w) {
        w = xw_node_child(st, "sent", XW_NS_CARBONS);
        direction = "sent";
    }
    if (!w) return 0;
    const char *from = xw_node_attr(st, "from");
    if (!from || !c->archive_jid || !xw_jid_equal(from, c->archive_jid, 0)) {
        xw_client_emit_error(c, "spoofed-carbon", "dropped a carbon copy not from our own account (XEP-0280 §11)");
        return 1;
    }
    const xw_node *inner = xw_node_child(xw_node_child(w, "forwarded", XW_NS_FORWARD), "message", XW_NS_CLIENT);
    if (!inner) {
        xw_client_emit_error(c, "bad-format", "dropped a carbon copy without a forwarded message (XEP-0280 §6)");
        return 1;
    }
    xw_msg_meta meta = {0};
    meta.carbon = direction;
    meta.outgoing = !strcmp(direction, "sent");
    if (xw_dedup_take(c, inner, &meta.stanza_id)) return 1;
    xw_message_deliver(c, inner, &meta);
    return 1;
}

static void on_message(xw_client *c, const xw_node *st) {
    if (xw_node_child(st, "result", XW_NS_MAM)) {
        xw_archive_on_result(c, st);
        return;
    }
    if (on_carbon(c, st)) return;
    const char *type = xw_node_attr(st, "type");
    if (type && !strcmp(type, "groupchat")) {
        xw_muc_on_message(c, st);
        return;
    }
    xw_msg_meta meta = {0};
    if (xw_dedup_take(c, st, &meta.stanza_id)) {
        /* A copy of one delivered: not shown again, but answered, for a
         * sender who sends again what got no receipt (receipts.h). */
        if (receipt_asked(c, st, &meta)) send_receipt(c, st);
        return;
    }
    xw_message_deliver(c, st, &meta);
}

int xw_message_register(xw_client *c) {
    return xw_dispatch_add(&c->handlers, "message", XW_NS_CLIENT, NULL, NULL, NULL, 1, on_message);
}

/* ------------------------------------------------------------ the app's */

/* A message that only notifies (a chat state or a marker): one child, and
 * a XEP-0334 hint on whether it is worth archiving. */
static int send_notice(xw_client *c, const char *to, const char *type, const char *name, const char *ns,
                       const char *id, const char *hint) {
    int rc = xw_client_validate_to(to);
    if (rc) return rc;
    xw_node *m = xw_node_new("message", XW_NS_CLIENT);
    rc = m ? xw_node_set_attr(m, "to", to) : XW_ERR_NOMEM;
    if (!rc) rc = xw_node_set_attr(m, "type", type ? type : "chat");
    xw_node *k = rc ? NULL : xw_node_add_child(m, name, ns);
    if (!rc && !k) rc = XW_ERR_NOMEM;
    if (!rc && id) rc = xw_node_set_attr(k, "id", id);
    if (!rc && !xw_node_add_child(m, hint, XW_NS_HINTS)) rc = XW_ERR_NOMEM;
    if (!rc) rc = xw_session_send(c, m, 0);
    xw_node_free(m);
    return rc;
}

int xw_client_send_chat_state(xw_client *c, const char *to, const char *state, const char *type) {
    static const char *const states[] = {"active", "composing", "paused", "inactive", "gone"};
    if (!xw_session_online(c)) return XW_ERR_STATE;
    int known = 0;
    for (size_t i = 0; state && i < sizeof states / sizeof *states; i++) known |= !strcmp(state, states[i]);
    if (!known || (type && strcmp(type, "chat") != 0 && strcmp(type, "groupchat") != 0)) return XW_ERR_INVALID;
    /* XEP-0334: a standalone notification is not worth archiving. */
    return send_notice(c, to, type, state, XW_NS_CHATSTATES, NULL, "no-store");
}

int xw_client_send_marker(xw_client *c, const char *to, const char *id, const char *marker, const char *type) {
    static const char *const markers[] = {"received", "displayed", "acknowledged"};
    if (!xw_session_online(c)) return XW_ERR_STATE;
    int known = 0;
    for (size_t i = 0; marker && i < sizeof markers / sizeof *markers; i++) known |= !strcmp(marker, markers[i]);
    if (!known || !id || !xw_im_is_xml_text(id) || (type && strcmp(type, "chat") != 0 && strcmp(type, "groupchat") != 0))
        return XW_ERR_INVALID;
    /* XEP-0333 §5: markers are worth archiving, for the other devices. */
    return send_notice(c, to, type, marker, XW_NS_MARKERS, id, "store");
}
