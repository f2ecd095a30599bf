/* im.c: message and presence stanzas (RFC 6121 §4, §5) to and from events. */
#include "im.h"

#include <stdlib.h>
#include <string.h>

static void child_text(xw_event *e, const char *key, const xw_node *st, const char *name) {
    const xw_node *c = xw_node_child(st, name, st->ns);
    if (!c || e->rc) return;
    xw_buf text = {0};
    e->rc = xw_node_text(c, &text);
    xw_event_str(e, key, text.data ? text.data : "");
    xw_buf_free(&text);
}

void xw_im_message_fields(xw_event *e, const xw_node *st) {
    const char *type = xw_node_attr(st, "type");
    /* RFC 6121 §5.2.2: a missing type means 'normal'. */
    xw_event_str(e, "type", type ? type : "normal");
    xw_event_str(e, "from", xw_node_attr(st, "from"));
    xw_event_str(e, "to", xw_node_attr(st, "to"));
    xw_event_str(e, "id", xw_node_attr(st, "id"));
    child_text(e, "body", st, "body");
    child_text(e, "subject", st, "subject");
    child_text(e, "thread", st, "thread");
    xw_event_xml(e, "xml", st);
}

int xw_im_priority(const xw_node *st) {
    const xw_node *c = xw_node_child(st, "priority", st->ns);
    xw_buf t = {0};
    if (!c || xw_node_text(c, &t) || !t.data) {
        xw_buf_free(&t);
        return 0;
    }
    /* RFC 6121 §4.7.2.3: an integer from -128 to 127; anything else is 0. */
    const char *p = t.data + (t.data[0] == '-' || t.data[0] == '+');
    long v = 0;
    int ok = *p != '\0';
    for (; ok && *p; p++) {
        ok = *p >= '0' && *p <= '9';
        v = v * 10 + (*p - '0');
        if (v > 128) ok = 0;
    }
    if (t.data[0] == '-') v = -v;
    xw_buf_free(&t);
    return ok && v >= -128 && v <= 127 ? (int)v : 0;
}

void xw_im_presence_fields(xw_event *e, const xw_node *st) {
    const char *type = xw_node_attr(st, "type");
    xw_event_str(e, "from", xw_node_attr(st, "from"));
    xw_event_str(e, "to", xw_node_attr(st, "to"));
    /* RFC 6121 §4.7.1: no type means available. */
    xw_event_str(e, "presenceType", type ? type : "available");
    child_text(e, "show", st, "show");
    child_text(e, "status", st, "status");
    if (xw_node_child(st, "priority", st->ns)) xw_event_int(e, "priority", xw_im_priority(st));
    xw_event_xml(e, "xml", st);
}

int xw_im_is_xml_text(const char *s) {
    const unsigned char *u = (const unsigned char *)s;
    size_t left = strlen(s);
    while (left) {
        uint32_t cp;
        size_t n = xw_utf8_decode(u, left, &cp);
        /* XML 1.0 §2.2 Char: no NUL or C0 controls but tab, LF, CR; no U+FFFE/U+FFFF. */
        if (!n || (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0xFFFE || cp == 0xFFFF) return 0;
        u += n;
        left -= n;
    }
    return 1;
}

static int one_of(const char *v, const char *const *allowed) {
    for (; *allowed; allowed++)
        if (strcmp(v, *allowed) == 0) return 1;
    return 0;
}

static int add_text_child(xw_node *parent, const char *name, const char *text) {
    if (!text) return XW_OK;
    xw_node *c = xw_node_add_child(parent, name, NULL);
    if (!c) return XW_ERR_NOMEM;
    return *text ? xw_node_add_text(c, text, strlen(text)) : XW_OK;
}

int xw_im_build_message(xw_node **out, const xw_out_msg *msg) {
    static const char *const types[] = {"chat", "normal", "groupchat", "headline", NULL};
    *out = NULL;
    const char *type = msg->type ? msg->type : "chat";
    if (!one_of(type, types) || (!msg->body && !msg->subject)) return XW_ERR_INVALID;
    const char *texts[] = {msg->body, msg->subject, msg->thread, msg->id, msg->origin_id};
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
        if (texts[i] && !xw_im_is_xml_text(texts[i])) return XW_ERR_INVALID;
    /* RFC 6121 §5.2.5: a thread id is an opaque token; blank is none. */
    if (msg->thread && !*msg->thread) return XW_ERR_INVALID;
    xw_node *m = xw_node_new("message", XW_NS_CLIENT);
    if (!m) return XW_ERR_NOMEM;
    int rc = xw_node_set_attr(m, "to", msg->to);
    if (!rc) rc = xw_node_set_attr(m, "type", type);
    if (!rc && msg->id) rc = xw_node_set_attr(m, "id", msg->id);
    if (!rc) rc = add_text_child(m, "subject", msg->subject);
    if (!rc) rc = add_text_child(m, "body", msg->body);
    if (!rc) rc = add_text_child(m, "thread", msg->thread);
    if (!rc && msg->origin_id) {
        /* XEP-0359 §3.1: an id of our own choosing that every copy keeps,
         * so a copy routed again can be told from a new message. */
        xw_node *o = xw_node_add_child(m, "origin-id", XW_NS_SID);
        rc = o ? xw_node_set_attr(o, "id", msg->origin_id) : XW_ERR_NOMEM;
    }
    if (rc) {
        xw_node_free(m);
        return rc;
    }
    *out = m;
    return XW_OK;
}

int xw_im_build_presence(xw_node **out, const char *type, const char *show, const char *status, const char *to) {
    static const char *const types[] = {"unavailable", "subscribe", "subscribed", "unsubscribe",
                                        "unsubscribed", "probe", NULL};
    static const char *const shows[] = {"away", "chat", "dnd", "xa", NULL};
    *out = NULL;
    if (type && !one_of(type, types)) return XW_ERR_INVALID;
    if (show && !one_of(show, shows)) return XW_ERR_INVALID;
    if (status && !xw_im_is_xml_text(status)) return XW_ERR_INVALID;
    xw_node *p = xw_node_new("presence", XW_NS_CLIENT);
    if (!p) return XW_ERR_NOMEM;
    int rc = XW_OK;
    if (to) rc = xw_node_set_attr(p, "to", to);
    if (!rc && type) rc = xw_node_set_attr(p, "type", type);
    if (!rc) rc = add_text_child(p, "show", show);
    if (!rc) rc = add_text_child(p, "status", status);
    if (rc) {
        xw_node_free(p);
        return rc;
    }
    *out = p;
    return XW_OK;
}
