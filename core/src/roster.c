/* roster.c: the contact list (see roster.h). */
#include "roster.h"

#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "im.h"
#include "jid.h"

static void item_free(xw_roster_item *it) {
    free(it->jid);
    free(it->name);
    for (size_t i = 0; i < it->ngroups; i++) free(it->groups[i]);
    free(it->groups);
    free(it->key);
    memset(it, 0, sizeof *it);
}

void xw_roster_free(xw_roster *r) {
    for (size_t i = 0; i < r->n; i++) item_free(&r->items[i]);
    free(r->items);
    free(r->ver);
    xw_jid_index_free(&r->index);
    memset(r, 0, sizeof *r);
}

/* What the index holds for an item. */
static const char *item_key(const xw_roster_item *it) { return it->key ? it->key : it->jid; }

/* The position of the item whose JID equals bare (xw_jid_equal), or -1. */
static long find(const xw_roster *r, const char *bare) {
    xw_buf key = {0};
    long at = r->n && !xw_jid_key_str(bare, &key) ? xw_jid_index_find(&r->index, key.data) : -1;
    xw_buf_free(&key);
    return at;
}

const xw_roster_item *xw_roster_find(const xw_roster *r, const char *bare_jid) {
    long i = find(r, bare_jid);
    return i < 0 ? NULL : &r->items[i];
}

const char *xw_roster_subscription(const xw_roster *r, const char *bare_jid) {
    const xw_roster_item *it = xw_roster_find(r, bare_jid);
    return it ? it->subscription : "none";
}

static const char *known_subscription(const char *s) {
    static const char *const known[] = {"none", "to", "from", "both", "remove"};
    for (size_t i = 0; s && i < sizeof known / sizeof *known; i++)
        if (!strcmp(s, known[i])) return known[i];
    return "none"; /* RFC 6121 §2.1.2.5: absent means none */
}

int xw_roster_apply(xw_roster *r, const xw_node *node) {
    const char *jid = xw_node_attr(node, "jid");
    xw_jid parsed;
    if (!jid || xw_jid_parse(jid, strlen(jid), &parsed)) return XW_ERR_JID;
    xw_buf key = {0};
    int rc = xw_jid_key(&parsed, &key);
    xw_jid_free(&parsed);
    if (rc) {
        xw_buf_free(&key);
        return rc;
    }
    const char *sub = known_subscription(xw_node_attr(node, "subscription"));
    long at = r->n ? xw_jid_index_find(&r->index, key.data) : -1;
    if (!strcmp(sub, "remove")) {
        if (at >= 0) {
            /* The last item fills the hole: its index entry follows it. */
            xw_jid_index_remove(&r->index, item_key(&r->items[at]));
            item_free(&r->items[at]);
            if ((size_t)at != --r->n) {
                r->items[at] = r->items[r->n];
                rc = xw_jid_index_put(&r->index, item_key(&r->items[at]), (size_t)at); /* held: cannot fail */
            }
        }
        xw_buf_free(&key);
        return rc;
    }
    xw_roster_item it = {0};
    const char *name = xw_node_attr(node, "name");
    const char *ask = xw_node_attr(node, "ask");
    it.jid = xw_strdup(jid);
    it.name = name ? xw_strdup(name) : NULL;
    it.subscription = sub;
    it.ask = ask && !strcmp(ask, "subscribe");
    /* Most JIDs are their own key: only the others keep one. */
    if (strcmp(key.data, jid) != 0) it.key = xw_buf_take(&key);
    rc = it.jid && (!name || it.name) ? XW_OK : XW_ERR_NOMEM;
    xw_buf_free(&key);
    for (const xw_node *g = xw_node_child(node, "group", node->ns); !rc && g; g = xw_node_next_named(g, "group", node->ns)) {
        if (it.ngroups == it.groups_cap) {
            char **grown = xw_grow(it.groups, &it.groups_cap, sizeof *grown, 1);
            if (!grown) {
                rc = XW_ERR_NOMEM;
                break;
            }
            it.groups = grown;
        }
        xw_buf text = {0};
        rc = xw_node_text(g, &text);
        if (!rc) it.groups[it.ngroups++] = xw_buf_take(&text);
        xw_buf_free(&text);
    }
    if (!rc && at < 0 && r->n == r->cap) {
        xw_roster_item *grown = xw_grow(r->items, &r->cap, sizeof *grown, 16);
        if (!grown) rc = XW_ERR_NOMEM;
        else r->items = grown;
    }
    /* A new item is added to the index; a replaced one's entry (an equal
     * key) takes the new item's string, before the old one is freed. */
    if (!rc) rc = xw_jid_index_put(&r->index, item_key(&it), at < 0 ? r->n : (size_t)at);
    if (rc) {
        item_free(&it);
        return rc;
    }
    if (at < 0) {
        at = (long)r->n++;
        memset(&r->items[at], 0, sizeof r->items[at]);
    }
    item_free(&r->items[at]);
    r->items[at] = it;
    return XW_OK;
}

static void item_json(const xw_roster_item *it, xw_json *j) {
    xw_json_open(j, NULL, '{');
    xw_json_str(j, "jid", it->jid);
    xw_json_str(j, "name", it->name);
    xw_json_str(j, "subscription", it->subscription);
    if (it->ask) xw_json_bool(j, "ask", 1);
    xw_json_open(j, "groups", '[');
    for (size_t g = 0; g < it->ngroups; g++) xw_json_str(j, NULL, it->groups[g]);
    xw_json_close(j, ']');
    xw_json_close(j, '}');
}

void xw_roster_items_json(const xw_roster *r, xw_json *j) {
    /* Room for all of it at once (exact unless a string needs escapes):
     * grown by doubling, the array of a 10,000-item roster (1 MB) left as
     * much again behind in the wasm heap. */
    size_t total = 2;
    for (size_t i = 0; i < r->n; i++) {
        const xw_roster_item *it = &r->items[i];
        total += 41 + strlen(it->jid) + (it->name ? 10 + strlen(it->name) : 0) + strlen(it->subscription) +
                 (it->ask ? 11 : 0);
        for (size_t g = 0; g < it->ngroups; g++) total += 3 + strlen(it->groups[g]);
    }
    if (!j->rc && xw_buf_reserve(&j->b, total)) j->rc = XW_ERR_NOMEM;
    xw_json_open(j, NULL, '[');
    for (size_t i = 0; i < r->n; i++) item_json(&r->items[i], j);
    xw_json_close(j, ']');
}

void xw_roster_item_json(const xw_roster *r, const char *bare_jid, xw_json *j) {
    const xw_roster_item *it = xw_roster_find(r, bare_jid);
    if (it) {
        item_json(it, j);
        return;
    }
    xw_json_open(j, NULL, '{');
    xw_json_str(j, "jid", bare_jid);
    xw_json_str(j, "subscription", "remove");
    xw_json_close(j, '}');
}

/* A "roster" event: the whole roster (full) or the items of one push. The
 * items are written straight into the event queue: built apart first, a
 * 10,000-item roster (1 MB of JSON) was in the wasm heap twice. */
static void emit_roster(xw_client *c, const xw_node *changed) {
    xw_event e;
    xw_event_begin(&e, &c->events, "roster");
    xw_event_bool(&e, "full", changed == NULL);
    xw_event_str(&e, "version", c->roster.ver);
    xw_json items;
    xw_event_json_begin(&e, "items", &items);
    if (changed) {
        xw_json_open(&items, NULL, '[');
        for (const xw_node *it = xw_node_child(changed, "item", XW_NS_ROSTER); it;
             it = xw_node_next_named(it, "item", XW_NS_ROSTER))
            xw_roster_item_json(&c->roster, xw_node_attr(it, "jid"), &items);
        xw_json_close(&items, ']');
    } else {
        xw_roster_items_json(&c->roster, &items);
    }
    xw_event_json_end(&e, &items);
    xw_event_end(&e);
}

void xw_roster_emit_full(xw_client *c) { emit_roster(c, NULL); }

xw_node *xw_roster_save(const xw_roster *r, const char *ns) {
    xw_node *el = xw_node_new("roster", ns);
    int rc = el ? XW_OK : XW_ERR_NOMEM;
    if (!rc && r->ver) rc = xw_node_set_attr(el, "ver", r->ver);
    for (size_t i = 0; !rc && i < r->n; i++) {
        const xw_roster_item *it = &r->items[i];
        xw_node *n = xw_node_add_child(el, "item", NULL);
        rc = n ? xw_node_set_attr(n, "jid", it->jid) : XW_ERR_NOMEM;
        if (!rc && it->name) rc = xw_node_set_attr(n, "name", it->name);
        if (!rc) rc = xw_node_set_attr(n, "subscription", it->subscription);
        if (!rc && it->ask) rc = xw_node_set_attr(n, "ask", "subscribe");
        for (size_t g = 0; !rc && g < it->ngroups; g++) {
            xw_node *group = xw_node_add_child(n, "group", NULL);
            rc = group ? xw_node_add_text(group, it->groups[g], strlen(it->groups[g])) : XW_ERR_NOMEM;
        }
    }
    if (rc) {
        xw_node_free(el);
        return NULL;
    }
    return el;
}

int xw_roster_restore(xw_roster *r, const xw_node *saved) {
    xw_roster fresh = {0};
    int rc = XW_OK;
    for (const xw_node *it = xw_node_child(saved, "item", saved->ns); !rc && it; it = xw_node_next_named(it, "item", saved->ns))
        rc = xw_roster_apply(&fresh, it);
    const char *ver = xw_node_attr(saved, "ver");
    if (!rc && ver && !(fresh.ver = xw_strdup(ver))) rc = XW_ERR_NOMEM;
    if (rc) {
        xw_roster_free(&fresh);
        return rc;
    }
    fresh.have = 1;
    xw_roster_free(r);
    *r = fresh;
    return XW_OK;
}

static void set_ver(xw_roster *r, const xw_node *query) {
    const char *ver = xw_node_attr(query, "ver");
    if (!ver) return;
    char *copy = xw_strdup(ver);
    if (!copy) return;
    free(r->ver);
    r->ver = copy;
}

static void fetch_done(void *owner, const xw_node *answer, int ok, const char *condition, int token) {
    xw_client *c = owner;
    (void)token;
    if (!ok) {
        xw_client_emit_error(c, condition, "the roster could not be fetched (RFC 6121 §2.2)");
        return;
    }
    const xw_node *query = answer ? xw_node_child(answer, "query", XW_NS_ROSTER) : NULL;
    if (query) {
        /* A whole roster: it replaces what was held. */
        xw_roster fresh = {0};
        int rc = XW_OK;
        for (const xw_node *it = xw_node_child(query, "item", XW_NS_ROSTER); it && rc != XW_ERR_NOMEM;
             it = xw_node_next_named(it, "item", XW_NS_ROSTER))
            rc = xw_roster_apply(&fresh, it);
        if (rc == XW_ERR_NOMEM) {
            xw_roster_free(&fresh);
            xw_client_emit_error(c, "resource-constraint", "out of memory: the roster was not taken");
            return;
        }
        set_ver(&fresh, query);
        xw_roster_free(&c->roster);
        c->roster = fresh;
    }
    /* Without a query: nothing changed since the version held (RFC 6121
     * §2.6.3); the changes, if any, come as pushes. */
    c->roster.have = 1;
    emit_roster(c, NULL);
}

void xw_roster_fetch(xw_client *c) {
    xw_node *query = xw_node_new("query", XW_NS_ROSTER);
    /* RFC 6121 §2.6.2: ask for the changes since the version held ("" for
     * none held) where the server versions rosters. */
    int rc = query ? XW_OK : XW_ERR_NOMEM;
    if (!rc && c->s.roster_versioning) rc = xw_node_set_attr(query, "ver", c->roster.have && c->roster.ver ? c->roster.ver : "");
    if (!rc) rc = xw_session_iq(c, "get", NULL, query, 0, fetch_done, 0);
    else xw_node_free(query);
    if (rc < 0) xw_client_emit_error(c, "internal-error", "the roster could not be asked for");
}

/* RFC 6121 §2.1.6: a push comes from our own account (no 'from', or our
 * bare JID) and holds one item; anyone else's is refused. */
static void on_push(xw_client *c, const xw_node *st) {
    const char *from = xw_node_attr(st, "from");
    const char *id = xw_node_attr(st, "id");
    const xw_node *query = xw_node_child(st, "query", XW_NS_ROSTER);
    const xw_node *item = xw_node_child(query, "item", XW_NS_ROSTER);
    if (from && !xw_jid_equal(from, c->archive_jid, 0)) {
        xw_client_emit_error(c, "spoofed-roster-push", "dropped a roster push not from our own account (RFC 6121 §2.1.6)");
        xw_session_reply_iq(c, from, id, "cancel", "service-unavailable");
        return;
    }
    if (!item || xw_node_next_named(item, "item", XW_NS_ROSTER) || xw_roster_apply(&c->roster, item)) {
        xw_session_reply_iq(c, from, id, "modify", "bad-request");
        return;
    }
    set_ver(&c->roster, query);
    xw_session_reply_iq(c, from, id, NULL, NULL);
    emit_roster(c, query);
}

int xw_roster_register(xw_client *c) {
    return xw_dispatch_add(&c->handlers, "iq", XW_NS_CLIENT, "set", "query", XW_NS_ROSTER, 1, on_push);
}

/* ------------------------------------------------------------ the app's */

int xw_client_roster_set(xw_client *c, const char *jid, const char *name, const char *groups) {
    if (!xw_session_online(c)) return XW_ERR_STATE;
    int rc = xw_client_validate_to(jid);
    if (rc) return rc;
    if ((name && !xw_im_is_xml_text(name)) || (groups && !xw_im_is_xml_text(groups))) return XW_ERR_INVALID;
    xw_node *query = xw_node_new("query", XW_NS_ROSTER);
    xw_node *item = query ? xw_node_add_child(query, "item", NULL) : NULL;
    rc = item ? xw_node_set_attr(item, "jid", jid) : XW_ERR_NOMEM;
    if (!rc && name) rc = xw_node_set_attr(item, "name", name);
    /* Groups come one per line. */
    for (const char *g = groups; !rc && g && *g;) {
        size_t len = strcspn(g, "\n");
        xw_node *group = len ? xw_node_add_child(item, "group", NULL) : NULL;
        if (len) rc = group ? xw_node_add_text(group, g, len) : XW_ERR_NOMEM;
        g += len + (g[len] == '\n');
    }
    if (rc) {
        xw_node_free(query);
        return rc;
    }
    return xw_session_iq(c, "set", NULL, query, 0, xw_session_iq_app_done, 1);
}

int xw_client_roster_remove(xw_client *c, const char *jid) {
    if (!xw_session_online(c)) return XW_ERR_STATE;
    int rc = xw_client_validate_to(jid);
    if (rc) return rc;
    xw_node *query = xw_node_new("query", XW_NS_ROSTER);
    xw_node *item = query ? xw_node_add_child(query, "item", NULL) : NULL;
    rc = item ? xw_node_set_attr(item, "jid", jid) : XW_ERR_NOMEM;
    if (!rc) rc = xw_node_set_attr(item, "subscription", "remove"); /* RFC 6121 §2.5 */
    if (rc) {
        xw_node_free(query);
        return rc;
    }
    return xw_session_iq(c, "set", NULL, query, 0, xw_session_iq_app_done, 1);
}
