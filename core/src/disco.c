/* disco.c: service discovery (XEP-0030) and entity capabilities
 * (XEP-0115): what this client is and supports, answered to anyone who
 * asks and announced in our presence; what others support, asked for the
 * app; and, at each new login, what our server supports, which turns on
 * message carbons (XEP-0280) where offered. */
#include "disco.h"

#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "im.h"
#include "sha1.h"

#define NS_CAPS "http://jabber.org/protocol/caps"
#define CAPS_NODE "https://xmpp-wasm.dev"

/* What we are and what we do, sorted (XEP-0115 §5.1 hashes them so). */
static const char *const IDENTITY[] = {"client", "web", "xmpp-wasm"};
static const char *const FEATURES[] = {
    "http://jabber.org/protocol/caps",     "http://jabber.org/protocol/chatstates", XW_NS_DISCO_INFO,
    "http://jabber.org/protocol/muc",      "urn:xmpp:carbons:2",                    "urn:xmpp:chat-markers:0",
    "urn:xmpp:ping",                       "urn:xmpp:receipts",                     "urn:xmpp:sid:0",
};

/* XEP-0115 §5.1: the verification string, computed once. */
static const char *caps_ver(void) {
    static char ver[32];
    if (ver[0]) return ver;
    xw_buf s = {0}, b64 = {0};
    int rc = xw_buf_printf(&s, "%s/%s//%s<", IDENTITY[0], IDENTITY[1], IDENTITY[2]);
    for (size_t i = 0; !rc && i < sizeof FEATURES / sizeof *FEATURES; i++) rc = xw_buf_printf(&s, "%s<", FEATURES[i]);
    uint8_t digest[XW_SHA1_BYTES];
    if (!rc) {
        xw_sha1(s.data, s.len, digest);
        rc = xw_base64_encode(&b64, digest, sizeof digest);
    }
    if (!rc && b64.len < sizeof ver) memcpy(ver, b64.data, b64.len + 1);
    xw_buf_free(&s);
    xw_buf_free(&b64);
    return ver[0] ? ver : NULL;
}

int xw_disco_add_caps(xw_node *presence) {
    const char *ver = caps_ver();
    if (!ver) return XW_OK; /* no memory for it: presence without caps */
    xw_node *c = xw_node_add_child(presence, "c", NS_CAPS);
    int rc = c ? xw_node_set_attr(c, "hash", "sha-1") : XW_ERR_NOMEM;
    if (!rc) rc = xw_node_set_attr(c, "node", CAPS_NODE);
    if (!rc) rc = xw_node_set_attr(c, "ver", ver);
    return rc;
}

/* XEP-0030 §3.1: our identity and features, for our own node or the caps
 * node#ver (XEP-0115 §6.2); item-not-found for any other node. */
static void on_info_get(xw_client *c, const xw_node *st) {
    const char *from = xw_node_attr(st, "from"), *id = xw_node_attr(st, "id");
    const char *node = xw_node_attr(xw_node_child(st, "query", XW_NS_DISCO_INFO), "node");
    const char *ver = caps_ver();
    if (node && (!ver || strncmp(node, CAPS_NODE "#", sizeof CAPS_NODE) != 0 || strcmp(node + sizeof CAPS_NODE, ver) != 0)) {
        xw_session_reply_iq(c, from, id, "cancel", "item-not-found");
        return;
    }
    xw_node *q = xw_node_new("query", XW_NS_DISCO_INFO);
    int rc = q ? XW_OK : XW_ERR_NOMEM;
    if (!rc && node) rc = xw_node_set_attr(q, "node", node);
    xw_node *ident = rc ? NULL : xw_node_add_child(q, "identity", NULL);
    if (!rc && !ident) rc = XW_ERR_NOMEM;
    if (!rc) rc = xw_node_set_attr(ident, "category", IDENTITY[0]);
    if (!rc) rc = xw_node_set_attr(ident, "type", IDENTITY[1]);
    if (!rc) rc = xw_node_set_attr(ident, "name", IDENTITY[2]);
    for (size_t i = 0; !rc && i < sizeof FEATURES / sizeof *FEATURES; i++) {
        xw_node *f = xw_node_add_child(q, "feature", NULL);
        rc = f ? xw_node_set_attr(f, "var", FEATURES[i]) : XW_ERR_NOMEM;
    }
    if (rc) {
        xw_node_free(q);
        xw_session_reply_iq(c, from, id, "wait", "resource-constraint");
        return;
    }
    xw_session_reply_result(c, from, id, q);
}

/* XEP-0030 §4: we have no items. */
static void on_items_get(xw_client *c, const xw_node *st) {
    xw_node *q = xw_node_new("query", XW_NS_DISCO_ITEMS);
    const char *node = xw_node_attr(xw_node_child(st, "query", XW_NS_DISCO_ITEMS), "node");
    if (q && node && xw_node_set_attr(q, "node", node)) {
        xw_node_free(q);
        q = NULL;
    }
    xw_session_reply_result(c, xw_node_attr(st, "from"), xw_node_attr(st, "id"), q);
}

int xw_disco_register(xw_client *c) {
    int rc = xw_dispatch_add(&c->handlers, "iq", XW_NS_CLIENT, "get", "query", XW_NS_DISCO_INFO, 1, on_info_get);
    if (!rc) rc = xw_dispatch_add(&c->handlers, "iq", XW_NS_CLIENT, "get", "query", XW_NS_DISCO_ITEMS, 1, on_items_get);
    return rc;
}

/* Appends the identities and features of a disco#info result to an event. */
static void info_fields(xw_event *e, const xw_node *query) {
    xw_json ids = {0}, feats = {0};
    xw_json_open(&ids, NULL, '[');
    xw_json_open(&feats, NULL, '[');
    for (const xw_node *n = query ? query->first_child : NULL; n; n = n->next) {
        if (!n->name || strcmp(n->ns, XW_NS_DISCO_INFO) != 0) continue;
        if (!strcmp(n->name, "identity")) {
            xw_json_open(&ids, NULL, '{');
            xw_json_str(&ids, "category", xw_node_attr(n, "category"));
            xw_json_str(&ids, "type", xw_node_attr(n, "type"));
            xw_json_str(&ids, "name", xw_node_attr(n, "name"));
            xw_json_close(&ids, '}');
        } else if (!strcmp(n->name, "feature")) {
            xw_json_str(&feats, NULL, xw_node_attr(n, "var"));
        }
    }
    xw_json_close(&ids, ']');
    xw_json_close(&feats, ']');
    if (ids.rc || feats.rc) e->rc = XW_ERR_NOMEM;
    else {
        xw_event_json(e, "identities", ids.b.data, ids.b.len);
        xw_event_json(e, "features", feats.b.data, feats.b.len);
    }
    xw_json_free(&ids);
    xw_json_free(&feats);
}

static void info_done(void *owner, const xw_node *answer, int ok, const char *condition, int token) {
    xw_client *c = owner;
    xw_event e;
    xw_event_begin(&e, &c->events, "disco-info");
    xw_event_int(&e, "token", token);
    xw_event_bool(&e, "ok", ok);
    if (!ok) xw_event_str(&e, "condition", condition);
    if (ok) {
        xw_event_str(&e, "from", xw_node_attr(answer, "from"));
        info_fields(&e, xw_node_child(answer, "query", XW_NS_DISCO_INFO));
    }
    xw_event_end(&e);
}

int xw_client_disco_info(xw_client *c, const char *jid, const char *node) {
    if (!xw_session_online(c)) return XW_ERR_STATE;
    if (!jid) jid = c->jid.domain;
    int rc = xw_client_validate_to(jid);
    if (rc) return rc;
    if (node && !xw_im_is_xml_text(node)) return XW_ERR_INVALID;
    xw_node *q = xw_node_new("query", XW_NS_DISCO_INFO);
    rc = q ? XW_OK : XW_ERR_NOMEM;
    if (!rc && node) rc = xw_node_set_attr(q, "node", node);
    if (rc) {
        xw_node_free(q);
        return rc;
    }
    return xw_session_iq(c, "get", jid, q, 0, info_done, 1);
}

/* ------------------------------------------- our server, at each login */

static void carbons_done(void *owner, const xw_node *answer, int ok, const char *condition, int token) {
    xw_client *c = owner;
    (void)answer;
    (void)token;
    c->s.carbons = ok;
    if (!ok) xw_client_emit_error(c, condition, "message carbons could not be enabled (XEP-0280 §4)");
}

static void server_info_done(void *owner, const xw_node *answer, int ok, const char *condition, int token) {
    xw_client *c = owner;
    (void)condition;
    (void)token;
    const xw_node *q = ok && answer ? xw_node_child(answer, "query", XW_NS_DISCO_INFO) : NULL;
    int carbons = 0;
    for (const xw_node *f = xw_node_child(q, "feature", XW_NS_DISCO_INFO); f;
         f = xw_node_next_named(f, "feature", XW_NS_DISCO_INFO)) {
        const char *var = xw_node_attr(f, "var");
        if (var && !strcmp(var, XW_NS_CARBONS)) carbons = 1;
    }
    if (!carbons || !c->carbons_enabled) return;
    /* XEP-0280 §4: copies of what our other resources send and receive. */
    xw_node *enable = xw_node_new("enable", XW_NS_CARBONS);
    if (!enable || xw_session_iq(c, "set", NULL, enable, 0, carbons_done, 0) < 0)
        xw_client_emit_error(c, "internal-error", "message carbons could not be asked for");
}

void xw_disco_server(xw_client *c) {
    xw_node *q = xw_node_new("query", XW_NS_DISCO_INFO);
    if (!q || xw_session_iq(c, "get", c->jid.domain, q, 0, server_info_done, 0) < 0)
        xw_client_emit_error(c, "internal-error", "the server's features could not be asked for");
}
