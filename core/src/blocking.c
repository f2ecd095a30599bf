/* blocking.c: blocking contacts (XEP-0191): block and unblock JIDs, fetch
 * the list, and follow the server's pushes (from our own account only) as
 * "blocklist" events. */
#include "client.h"
#include "im.h"
#include "jid.h"

#include <stdlib.h>
#include <string.h>

#define NS_BLOCKING "urn:xmpp:blocking"

/* The <item jid/> children of el as a JSON array. */
static void items_json(const xw_node *el, xw_json *j) {
    xw_json_open(j, NULL, '[');
    for (const xw_node *it = xw_node_child(el, "item", NS_BLOCKING); it; it = xw_node_next_named(it, "item", NS_BLOCKING))
        xw_json_str(j, NULL, xw_node_attr(it, "jid"));
    xw_json_close(j, ']');
}

static void emit_list(xw_client *c, int token, const char *key, const xw_node *el) {
    xw_json items = {0};
    items_json(el, &items);
    xw_event e;
    xw_event_begin(&e, &c->events, "blocklist");
    if (token) xw_event_int(&e, "token", token);
    if (items.rc) e.rc = items.rc;
    else xw_event_json(&e, key, items.b.data, items.b.len);
    xw_event_end(&e);
    xw_json_free(&items);
}

static void list_done(void *owner, const xw_node *answer, int ok, const char *condition, int token) {
    xw_client *c = owner;
    if (!ok || !answer) {
        xw_session_iq_app_done(owner, answer, ok, condition, token);
        return;
    }
    emit_list(c, token, "items", xw_node_child(answer, "blocklist", NS_BLOCKING));
}

/* XEP-0191 §3.3, §3.5: the server tells every resource what was blocked or
 * unblocked; only our own account may (anyone else's is refused). */
static void on_push(xw_client *c, const xw_node *st) {
    const char *from = xw_node_attr(st, "from"), *id = xw_node_attr(st, "id");
    if (from && !xw_jid_equal(from, c->archive_jid, 0)) {
        xw_client_emit_error(c, "spoofed-blocklist-push", "dropped a blocking push not from our own account (XEP-0191 §3.3)");
        xw_session_reply_iq(c, from, id, "cancel", "service-unavailable");
        return;
    }
    const xw_node *block = xw_node_child(st, "block", NS_BLOCKING);
    const xw_node *unblock = xw_node_child(st, "unblock", NS_BLOCKING);
    xw_session_reply_iq(c, from, id, NULL, NULL);
    if (block) emit_list(c, 0, "blocked", block);
    else emit_list(c, 0, "unblocked", unblock); /* an empty unblock is all of them */
}

int xw_blocking_register(xw_client *c) {
    int rc = xw_dispatch_add(&c->handlers, "iq", XW_NS_CLIENT, "set", "block", NS_BLOCKING, 1, on_push);
    if (!rc) rc = xw_dispatch_add(&c->handlers, "iq", XW_NS_CLIENT, "set", "unblock", NS_BLOCKING, 1, on_push);
    return rc;
}

/* block / unblock with the JIDs one per line (none: unblock all). */
static int change(xw_client *c, const char *what, const char *jids) {
    if (!xw_session_online(c)) return XW_ERR_STATE;
    xw_node *el = xw_node_new(what, NS_BLOCKING);
    int rc = el ? XW_OK : XW_ERR_NOMEM, count = 0;
    for (const char *p = jids; !rc && p && *p;) {
        size_t len = strcspn(p, "\n");
        char *jid = len ? xw_strndup(p, len) : NULL;
        if (len && !jid) rc = XW_ERR_NOMEM;
        else if (jid && xw_client_validate_to(jid)) rc = XW_ERR_JID;
        else if (jid) {
            xw_node *it = xw_node_add_child(el, "item", NULL);
            rc = it ? xw_node_set_attr(it, "jid", jid) : XW_ERR_NOMEM;
            count++;
        }
        free(jid);
        p += len + (p[len] == '\n');
    }
    /* XEP-0191 §3.2: blocking nobody is a bad request. */
    if (!rc && !count && !strcmp(what, "block")) rc = XW_ERR_INVALID;
    if (rc) {
        xw_node_free(el);
        return rc;
    }
    return xw_session_iq(c, "set", NULL, el, 0, xw_session_iq_app_done, 1);
}

int xw_client_block(xw_client *c, const char *jids) { return change(c, "block", jids); }
int xw_client_unblock(xw_client *c, const char *jids) { return change(c, "unblock", jids); }

int xw_client_blocklist(xw_client *c) {
    if (!xw_session_online(c)) return XW_ERR_STATE;
    xw_node *q = xw_node_new("blocklist", NS_BLOCKING);
    return q ? xw_session_iq(c, "get", NULL, q, 0, list_done, 1) : XW_ERR_NOMEM;
}
