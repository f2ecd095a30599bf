/* presence.c: ours and our contacts' (see presence.h). */
#include "presence.h"

#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "im.h"
#include "jid.h"

#define NS_CAPS "http://jabber.org/protocol/caps"

static void res_free(xw_resource_presence *r) {
    free(r->resource);
    free(r->show);
    free(r->status);
    free(r->caps_node);
    free(r->caps_ver);
    memset(r, 0, sizeof *r);
}

static void contact_free(xw_contact_presence *cp) {
    for (size_t i = 0; i < cp->nres; i++) res_free(&cp->res[i]);
    free(cp->res);
    free(cp->bare);
    free(cp->key);
    memset(cp, 0, sizeof *cp);
}

void xw_presence_clear_contacts(xw_presence *p) {
    for (size_t i = 0; i < p->n; i++) contact_free(&p->v[i]);
    free(p->v);
    p->v = NULL;
    p->n = p->cap = 0;
    xw_jid_index_free(&p->index);
}

void xw_presence_free(xw_presence *p) {
    xw_presence_clear_contacts(p);
    free(p->show);
    free(p->status);
    memset(p, 0, sizeof *p);
}

/* What the index holds for a contact. */
static const char *contact_key(const xw_contact_presence *cp) { return cp->key ? cp->key : cp->bare; }

static xw_contact_presence *by_key(const xw_presence *p, const char *key) {
    long at = xw_jid_index_find(&p->index, key);
    return at < 0 ? NULL : &p->v[at];
}

/* The contact whose bare JID equals bare (xw_jid_equal), or NULL. */
static xw_contact_presence *find(const xw_presence *p, const char *bare) {
    xw_buf key = {0};
    xw_contact_presence *cp = p->n && !xw_jid_key_str(bare, &key) ? by_key(p, key.data) : NULL;
    xw_buf_free(&key);
    return cp;
}

/* Room for one more contact at the end of p->v. */
static int reserve_contact(xw_presence *p) {
    if (p->n < p->cap) return XW_OK;
    xw_contact_presence *grown = xw_grow(p->v, &p->cap, sizeof *grown, 16);
    if (!grown) return XW_ERR_NOMEM;
    p->v = grown;
    return XW_OK;
}

/* Room for one more resource of cp: most contacts have one or two. */
static int reserve_resource(xw_contact_presence *cp) {
    if (cp->nres < cp->res_cap) return XW_OK;
    xw_resource_presence *grown = xw_grow(cp->res, &cp->res_cap, sizeof *grown, 1);
    if (!grown) return XW_ERR_NOMEM;
    cp->res = grown;
    return XW_OK;
}

/* RFC 6121 §4.7.2.1: the more available show first. */
static int show_rank(const char *show) {
    if (!show) return 4;
    if (!strcmp(show, "chat")) return 5;
    if (!strcmp(show, "away")) return 3;
    if (!strcmp(show, "xa")) return 2;
    if (!strcmp(show, "dnd")) return 1;
    return 4;
}

static const xw_resource_presence *best(const xw_contact_presence *cp) {
    const xw_resource_presence *b = NULL;
    for (size_t i = 0; cp && i < cp->nres; i++) {
        const xw_resource_presence *r = &cp->res[i];
        if (!b || r->priority > b->priority ||
            (r->priority == b->priority && (show_rank(r->show) > show_rank(b->show) ||
                                            (show_rank(r->show) == show_rank(b->show) && r->seq > b->seq))))
            b = r;
    }
    return b;
}

static void res_json(const xw_resource_presence *r, xw_json *j, const char *key) {
    if (!r) return;
    xw_json_open(j, key, '{');
    xw_json_str(j, "resource", r->resource);
    xw_json_str(j, "show", r->show);
    xw_json_str(j, "status", r->status);
    xw_json_int(j, "priority", r->priority);
    xw_json_str(j, "capsNode", r->caps_node);
    xw_json_str(j, "capsVer", r->caps_ver);
    xw_json_close(j, '}');
}

void xw_presence_json(const xw_presence *p, const char *bare_jid, xw_json *j) {
    const xw_contact_presence *cp = find(p, bare_jid);
    const xw_resource_presence *b = best(cp);
    xw_json_open(j, NULL, '{');
    if (b) res_json(b, j, "best");
    xw_json_open(j, "resources", '[');
    for (size_t i = 0; cp && i < cp->nres; i++) res_json(&cp->res[i], j, NULL);
    xw_json_close(j, ']');
    xw_json_close(j, '}');
}

static char *child_text(const xw_node *st, const char *name) { return xw_node_text_dup(xw_node_child(st, name, st->ns)); }

/* Takes an available or unavailable presence into the table. */
static int update(xw_presence *p, const xw_jid *from, int available, const xw_node *st) {
    xw_buf bare = {0}, key = {0};
    xw_jid bare_jid = *from;
    bare_jid.resource = NULL;
    int rc = xw_jid_bare(from, &bare);
    if (!rc) rc = xw_jid_key(&bare_jid, &key);
    if (rc) {
        xw_buf_free(&bare);
        xw_buf_free(&key);
        return rc;
    }
    xw_contact_presence *cp = p->n ? by_key(p, key.data) : NULL;
    const char *resource = from->resource ? from->resource : "";
    size_t at = 0;
    while (cp && at < cp->nres && strcmp(cp->res[at].resource, resource) != 0) at++;
    if (!available) {
        if (cp && at < cp->nres) {
            res_free(&cp->res[at]);
            cp->res[at] = cp->res[--cp->nres];
        }
        xw_buf_free(&bare);
        xw_buf_free(&key);
        return XW_OK;
    }
    if (!cp) {
        rc = reserve_contact(p);
        if (!rc) {
            cp = &p->v[p->n];
            memset(cp, 0, sizeof *cp);
            cp->bare = xw_buf_take(&bare);
            /* Most bare JIDs are their own key: only the others keep one. */
            if (strcmp(key.data, cp->bare) != 0) cp->key = xw_buf_take(&key);
            rc = xw_jid_index_put(&p->index, contact_key(cp), p->n);
            if (rc) contact_free(cp);
            else p->n++;
        }
        if (rc) {
            xw_buf_free(&bare);
            xw_buf_free(&key);
            return rc;
        }
    }
    xw_buf_free(&bare);
    xw_buf_free(&key);
    if (at == cp->nres) {
        if (reserve_resource(cp)) return XW_ERR_NOMEM;
        memset(&cp->res[cp->nres++], 0, sizeof *cp->res);
    }
    xw_resource_presence r = {0};
    r.resource = xw_strdup(resource);
    r.show = child_text(st, "show");
    r.status = child_text(st, "status");
    r.priority = xw_im_priority(st);
    const xw_node *caps = xw_node_child(st, "c", NS_CAPS);
    const char *node = caps ? xw_node_attr(caps, "node") : NULL, *ver = caps ? xw_node_attr(caps, "ver") : NULL;
    r.caps_node = node ? xw_strdup(node) : NULL;
    r.caps_ver = ver ? xw_strdup(ver) : NULL;
    r.seq = ++p->seq;
    if (r.show && !strcmp(r.show, "")) {
        free(r.show);
        r.show = NULL;
    }
    res_free(&cp->res[at]);
    cp->res[at] = r;
    return r.resource ? XW_OK : XW_ERR_NOMEM;
}

static void on_presence(xw_client *c, const xw_node *st) {
    if (xw_muc_on_presence(c, st)) return; /* a room's occupant */
    const char *from = xw_node_attr(st, "from");
    const char *type = xw_node_attr(st, "type");
    int available = !type, unavailable = type && !strcmp(type, "unavailable");
    xw_jid j = {0};
    int tracked = (available || unavailable) && from && !xw_jid_parse(from, strlen(from), &j);
    if (tracked && update(&c->presence, &j, available, st))
        xw_client_emit_error(c, "resource-constraint", "out of memory: a presence was not kept");
    if (tracked && available) xw_client_peer_online(c, from);
    xw_event e;
    xw_event_begin(&e, &c->events, "presence");
    xw_im_presence_fields(&e, st);
    if (tracked) {
        /* The contact's presence as a whole, after this one. */
        xw_buf bare = {0};
        xw_json pj = {0};
        if (!xw_jid_bare(&j, &bare)) xw_presence_json(&c->presence, bare.data, &pj);
        if (pj.b.data && !pj.rc) xw_event_json(&e, "contact", pj.b.data, pj.b.len);
        xw_json_free(&pj);
        xw_buf_free(&bare);
    }
    xw_event_end(&e);
    xw_jid_free(&j);
}

int xw_presence_register(xw_client *c) {
    return xw_dispatch_add(&c->handlers, "presence", XW_NS_CLIENT, NULL, NULL, NULL, 1, on_presence);
}

int xw_presence_build_own(xw_client *c, xw_node **out) {
    char prio[8];
    xw_format(prio, sizeof prio, "%d", c->presence.priority);
    int rc = xw_im_build_presence(out, NULL, c->presence.show, c->presence.status, NULL);
    if (!rc && c->presence.priority) {
        xw_node *p = xw_node_add_child(*out, "priority", NULL);
        rc = p ? xw_node_add_text(p, prio, strlen(prio)) : XW_ERR_NOMEM;
    }
    if (!rc) rc = xw_disco_add_caps(*out);
    if (rc) {
        xw_node_free(*out);
        *out = NULL;
    }
    return rc;
}

int xw_client_set_presence(xw_client *c, const char *show, const char *status, int priority) {
    static const char *const shows[] = {"away", "chat", "dnd", "xa"};
    int known = !show;
    for (size_t i = 0; show && i < sizeof shows / sizeof *shows; i++) known |= !strcmp(show, shows[i]);
    if (!known || (status && !xw_im_is_xml_text(status)) || priority < -128 || priority > 127) return XW_ERR_INVALID;
    char *s = show ? xw_strdup(show) : NULL, *t = status ? xw_strdup(status) : NULL;
    if ((show && !s) || (status && !t)) {
        free(s);
        free(t);
        return XW_ERR_NOMEM;
    }
    free(c->presence.show);
    free(c->presence.status);
    c->presence.show = s;
    c->presence.status = t;
    c->presence.priority = priority;
    /* Once initial presence is out, the change goes out now (RFC 6121 §4.4);
     * before, it becomes the initial presence. */
    if (!xw_session_online(c) || !c->s.presence_sent || !c->initial_presence) return XW_OK;
    xw_node *p = NULL;
    int rc = xw_presence_build_own(c, &p);
    if (!rc) rc = xw_session_send(c, p, 0);
    xw_node_free(p);
    return rc;
}

const char *xw_client_presence_of(xw_client *c, const char *jid) {
    xw_buf_clear(&c->scratch);
    xw_jid j;
    if (!jid || xw_jid_parse(jid, strlen(jid), &j)) return NULL;
    xw_buf bare = {0};
    xw_json pj = {0};
    int rc = xw_jid_bare(&j, &bare);
    xw_jid_free(&j);
    if (!rc) xw_presence_json(&c->presence, bare.data, &pj);
    xw_buf_free(&bare);
    if (rc || pj.rc) {
        xw_json_free(&pj);
        return NULL;
    }
    xw_buf_free(&c->scratch);
    c->scratch = pj.b;
    return c->scratch.data;
}

/* ------------------------------------------------ across page loads */

static int set_int_attr(xw_node *n, const char *name, int v) {
    char buf[16];
    xw_format(buf, sizeof buf, "%d", v);
    return xw_node_set_attr(n, name, buf);
}

xw_node *xw_presence_save(const xw_presence *p, const char *ns) {
    xw_node *el = xw_node_new("presence-state", ns);
    int rc = el ? XW_OK : XW_ERR_NOMEM;
    if (!rc && p->show) rc = xw_node_set_attr(el, "show", p->show);
    if (!rc && p->status) rc = xw_node_set_attr(el, "status", p->status);
    if (!rc) rc = set_int_attr(el, "priority", p->priority);
    for (size_t i = 0; !rc && i < p->n; i++) {
        xw_node *cn = xw_node_add_child(el, "contact", NULL);
        rc = cn ? xw_node_set_attr(cn, "jid", p->v[i].bare) : XW_ERR_NOMEM;
        for (size_t k = 0; !rc && k < p->v[i].nres; k++) {
            const xw_resource_presence *r = &p->v[i].res[k];
            xw_node *rn = xw_node_add_child(cn, "res", NULL);
            rc = rn ? xw_node_set_attr(rn, "resource", r->resource) : XW_ERR_NOMEM;
            if (!rc && r->show) rc = xw_node_set_attr(rn, "show", r->show);
            if (!rc && r->status) rc = xw_node_set_attr(rn, "status", r->status);
            if (!rc) rc = set_int_attr(rn, "priority", r->priority);
            if (!rc && r->caps_node) rc = xw_node_set_attr(rn, "caps-node", r->caps_node);
            if (!rc && r->caps_ver) rc = xw_node_set_attr(rn, "caps-ver", r->caps_ver);
        }
    }
    if (rc) {
        xw_node_free(el);
        return NULL;
    }
    return el;
}

static int attr_int(const xw_node *n, const char *name) {
    const char *v = xw_node_attr(n, name);
    long x = v ? strtol(v, NULL, 10) : 0;
    return x < -128 || x > 127 ? 0 : (int)x;
}

int xw_presence_restore(xw_presence *p, const xw_node *saved) {
    xw_presence fresh = {0};
    fresh.show = xw_node_attr_dup(saved, "show");
    fresh.status = xw_node_attr_dup(saved, "status");
    fresh.priority = attr_int(saved, "priority");
    int rc = XW_OK;
    for (const xw_node *cn = xw_node_child(saved, "contact", saved->ns); !rc && cn;
         cn = xw_node_next_named(cn, "contact", saved->ns)) {
        const char *bare = xw_node_attr(cn, "jid");
        if (!bare) continue;
        if ((rc = reserve_contact(&fresh))) break;
        xw_contact_presence *cp = &fresh.v[fresh.n++];
        memset(cp, 0, sizeof *cp);
        if (!(cp->bare = xw_strdup(bare))) rc = XW_ERR_NOMEM;
        /* Indexed unless not a JID (then nothing finds it, as before); of
         * two equal ones the first stays found, as with a scan. */
        xw_buf key = {0};
        int bad = rc ? rc : xw_jid_key_str(bare, &key);
        if (bad == XW_ERR_NOMEM) rc = bad;
        if (!bad && !by_key(&fresh, key.data)) {
            if (strcmp(key.data, cp->bare) != 0) cp->key = xw_buf_take(&key);
            rc = xw_jid_index_put(&fresh.index, contact_key(cp), fresh.n - 1);
        }
        xw_buf_free(&key);
        for (const xw_node *rn = xw_node_child(cn, "res", saved->ns); !rc && rn; rn = xw_node_next_named(rn, "res", saved->ns)) {
            if ((rc = reserve_resource(cp))) break;
            xw_resource_presence *r = &cp->res[cp->nres++];
            memset(r, 0, sizeof *r);
            r->resource = xw_node_attr_dup(rn, "resource");
            r->show = xw_node_attr_dup(rn, "show");
            r->status = xw_node_attr_dup(rn, "status");
            r->priority = attr_int(rn, "priority");
            r->caps_node = xw_node_attr_dup(rn, "caps-node");
            r->caps_ver = xw_node_attr_dup(rn, "caps-ver");
            r->seq = ++fresh.seq;
            if (!r->resource) rc = XW_ERR_NOMEM;
        }
    }
    if (rc) {
        xw_presence_free(&fresh);
        return rc;
    }
    xw_presence_free(p);
    *p = fresh;
    return XW_OK;
}

void xw_presence_emit_restored(xw_client *c) {
    for (size_t i = 0; i < c->presence.n; i++) {
        const xw_contact_presence *cp = &c->presence.v[i];
        xw_json pj = {0};
        xw_presence_json(&c->presence, cp->bare, &pj);
        for (size_t k = 0; k < cp->nres; k++) {
            const xw_resource_presence *r = &cp->res[k];
            xw_buf from = {0};
            xw_event e;
            xw_event_begin(&e, &c->events, "presence");
            if (xw_buf_printf(&from, *r->resource ? "%s/%s" : "%s", cp->bare, r->resource)) e.rc = XW_ERR_NOMEM;
            xw_event_str(&e, "from", from.data);
            xw_event_str(&e, "presenceType", "available");
            xw_event_str(&e, "show", r->show);
            xw_event_str(&e, "status", r->status);
            xw_event_int(&e, "priority", r->priority);
            if (pj.rc) e.rc = pj.rc;
            else xw_event_json(&e, "contact", pj.b.data, pj.b.len);
            xw_event_bool(&e, "restored", 1);
            xw_event_end(&e);
            xw_buf_free(&from);
        }
        xw_json_free(&pj);
    }
}
