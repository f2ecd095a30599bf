/* dispatch.c: the handler table (see dispatch.h). */
#include "dispatch.h"

#include <stdlib.h>
#include <string.h>

static void handler_free(xw_handler *h) {
    free(h->name);
    free(h->ns);
    free(h->type);
    free(h->child);
    free(h->child_ns);
}

static int copy_or_null(char **dst, const char *src) {
    *dst = src ? xw_strdup(src) : NULL;
    return src && !*dst ? XW_ERR_NOMEM : XW_OK;
}

static int add(xw_dispatch *d, const xw_handler *proto, const char *name, const char *ns, const char *type,
               const char *child, const char *child_ns) {
    if (d->n == d->cap) {
        xw_handler *grown = xw_grow(d->v, &d->cap, sizeof *grown, 32);
        if (!grown) return XW_ERR_NOMEM;
        d->v = grown;
    }
    xw_handler h = *proto;
    int rc = copy_or_null(&h.name, name);
    if (!rc) rc = copy_or_null(&h.ns, ns);
    if (!rc) rc = copy_or_null(&h.type, type);
    if (!rc) rc = copy_or_null(&h.child, child);
    if (!rc) rc = copy_or_null(&h.child_ns, child_ns);
    if (rc) {
        handler_free(&h);
        return rc;
    }
    d->v[d->n++] = h;
    return XW_OK;
}

int xw_dispatch_add(xw_dispatch *d, const char *name, const char *ns, const char *type, const char *child,
                    const char *child_ns, int online_only, xw_handler_fn fn) {
    xw_handler proto = {0};
    proto.online_only = online_only;
    proto.fn = fn;
    return add(d, &proto, name, ns, type, child, child_ns);
}

int xw_dispatch_add_app(xw_dispatch *d, const char *name, const char *ns, const char *child, const char *child_ns) {
    xw_handler proto = {0};
    proto.online_only = 1;
    proto.app_id = ++d->next_app_id;
    int rc = add(d, &proto, name, ns, NULL, child, child_ns);
    return rc ? rc : proto.app_id;
}

int xw_dispatch_remove_app(xw_dispatch *d, int app_id) {
    for (size_t i = 0; i < d->n; i++) {
        if (d->v[i].app_id != app_id || app_id <= 0) continue;
        handler_free(&d->v[i]);
        memmove(&d->v[i], &d->v[i + 1], (d->n - i - 1) * sizeof *d->v);
        d->n--;
        return XW_OK;
    }
    return XW_ERR_INVALID;
}

static int same(const char *want, const char *got) { return !want || (got && strcmp(want, got) == 0); }

int xw_handler_matches(const xw_handler *h, const xw_node *st) {
    if (!same(h->name, st->name) || !same(h->ns, st->ns) || !same(h->type, xw_node_attr(st, "type"))) return 0;
    if (!h->child && !h->child_ns) return 1;
    return xw_node_child(st, h->child, h->child_ns) != NULL;
}

void xw_dispatch_free(xw_dispatch *d) {
    for (size_t i = 0; i < d->n; i++) handler_free(&d->v[i]);
    free(d->v);
    memset(d, 0, sizeof *d);
}
