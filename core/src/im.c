/* im.c: message and presence stanzas (RFC 6121 §4, §5) to and from events. */
#include "im.h"

#include <stdlib.h>
#include <string.h>

static int json_field(xw_buf *out, const char *key, const char *value) {
    if (!value) return XW_OK;
    int rc = xw_buf_printf(out, ",\"%s\":", key);
    if (!rc) rc = xw_buf_append_json_string(out, value, strlen(value));
    return rc;
}

static int json_child_text(xw_buf *out, const char *key, const xw_node *st, const char *name) {
    const xw_node *c = xw_node_child(st, name, st->ns);
    if (!c) return XW_OK;
    xw_buf text = {0};
    int rc = xw_node_text(c, &text);
    if (!rc) rc = json_field(out, key, text.data ? text.data : "");
    xw_buf_free(&text);
    return rc;
}

static int json_xml(xw_buf *out, const xw_node *st) {
    xw_buf xml = {0};
    int rc = xw_node_serialize(st, NULL, &xml);
    if (!rc) rc = json_field(out, "xml", xml.data);
    xw_buf_free(&xml);
    return rc;
}

int xw_im_message_event(const xw_node *st, xw_buf *out) {
    const char *type = xw_node_attr(st, "type");
    int rc = xw_buf_append_str(out, "{\"type\":\"message\"");
    if (!rc) rc = json_field(out, "from", xw_node_attr(st, "from"));
    if (!rc) rc = json_field(out, "to", xw_node_attr(st, "to"));
    if (!rc) rc = json_field(out, "id", xw_node_attr(st, "id"));
    /* RFC 6121 §5.2.2: a missing type means 'normal'. */
    if (!rc) rc = json_field(out, "messageType", type ? type : "normal");
    if (!rc) rc = json_child_text(out, "body", st, "body");
    if (!rc) rc = json_child_text(out, "subject", st, "subject");
    if (!rc) rc = json_child_text(out, "thread", st, "thread");
    if (!rc) rc = json_xml(out, st);
    return rc;
}

int xw_im_presence_event(const xw_node *st, xw_buf *out) {
    const char *type = xw_node_attr(st, "type");
    int rc = xw_buf_append_str(out, "{\"type\":\"presence\"");
    if (!rc) rc = json_field(out, "from", xw_node_attr(st, "from"));
    if (!rc) rc = json_field(out, "to", xw_node_attr(st, "to"));
    /* RFC 6121 §4.7.1: no type means available. */
    if (!rc) rc = json_field(out, "presenceType", type ? type : "available");
    if (!rc) rc = json_child_text(out, "show", st, "show");
    if (!rc) rc = json_child_text(out, "status", st, "status");
    if (!rc) rc = json_child_text(out, "priority", st, "priority");
    if (!rc) rc = json_xml(out, st);
    return rc;
}

int xw_im_is_xml_text(const char *s) {
    const unsigned char *u = (const unsigned char *)s;
    while (*u) {
        unsigned char c = *u;
        if (c < 0x80) {
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return 0;
            u++;
            continue;
        }
        size_t n;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) { n = 2; cp = c & 0x1Fu; }
        else if (c >= 0xE0 && c <= 0xEF) { n = 3; cp = c & 0x0Fu; }
        else if (c >= 0xF0 && c <= 0xF4) { n = 4; cp = c & 0x07u; }
        else return 0;
        for (size_t i = 1; i < n; i++) {
            if ((u[i] & 0xC0) != 0x80) return 0;
            cp = (cp << 6) | (u[i] & 0x3Fu);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF)
            return 0;
        u += n;
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

int xw_im_build_message(xw_node **out, const char *to, const char *type, const char *body, const char *id) {
    static const char *const types[] = {"chat", "normal", "groupchat", "headline", NULL};
    *out = NULL;
    if (!type) type = "chat";
    if (!one_of(type, types)) return XW_ERR_INVALID;
    if ((body && !xw_im_is_xml_text(body)) || (id && !xw_im_is_xml_text(id))) return XW_ERR_INVALID;
    xw_node *m = xw_node_new("message", XW_NS_CLIENT);
    if (!m) return XW_ERR_NOMEM;
    int rc = xw_node_set_attr(m, "to", to);
    if (!rc) rc = xw_node_set_attr(m, "type", type);
    if (!rc && id) rc = xw_node_set_attr(m, "id", id);
    if (!rc) rc = add_text_child(m, "body", body);
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
