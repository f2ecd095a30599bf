/* mam.c: archive queries and results (XEP-0313, XEP-0059), the ids of
 * XEP-0359 and our server's delay marks (XEP-0203). */
#include "mam.h"

#include <string.h>

#include "jid.h"

#define NS_RSM "http://jabber.org/protocol/rsm"
#define NS_DATA "jabber:x:data"
#define NS_FORWARD "urn:xmpp:forward:0"

static int add_text_child(xw_node *parent, const char *name, const char *text) {
    xw_node *c = xw_node_add_child(parent, name, NULL);
    if (!c) return XW_ERR_NOMEM;
    return *text ? xw_node_add_text(c, text, strlen(text)) : XW_OK;
}

static int add_field(xw_node *form, const char *var, const char *type, const char *value) {
    xw_node *f = xw_node_add_child(form, "field", NULL);
    if (!f) return XW_ERR_NOMEM;
    int rc = xw_node_set_attr(f, "var", var);
    if (!rc && type) rc = xw_node_set_attr(f, "type", type);
    if (!rc) rc = add_text_child(f, "value", value);
    return rc;
}

int xw_mam_build_query(xw_node **out, const char *queryid, const char *with, const char *after, const char *before,
                       const char *start, unsigned max) {
    *out = NULL;
    xw_node *query = xw_node_new("query", XW_NS_MAM);
    if (!query) return XW_ERR_NOMEM;
    int rc = xw_node_set_attr(query, "queryid", queryid);
    if (!rc && (with || (start && !after))) {
        /* XEP-0313 §4.1: filters, as a data form. */
        xw_node *form = xw_node_add_child(query, "x", NS_DATA);
        rc = form ? xw_node_set_attr(form, "type", "submit") : XW_ERR_NOMEM;
        if (!rc) rc = add_field(form, "FORM_TYPE", "hidden", XW_NS_MAM);
        if (!rc && with) rc = add_field(form, "with", NULL, with);
        if (!rc && start && !after) rc = add_field(form, "start", NULL, start);
    }
    xw_node *set = rc ? NULL : xw_node_add_child(query, "set", NS_RSM);
    if (!rc && !set) rc = XW_ERR_NOMEM;
    if (!rc) {
        /* XEP-0313 §5.4 / XEP-0059 §2.2: page forward after an id, or back
         * before one (an empty <before/> is the last page). */
        char n[16];
        xw_format(n, sizeof n, "%u", max);
        rc = add_text_child(set, "max", n);
        if (!rc && after) rc = add_text_child(set, "after", after);
        if (!rc && before && !after) rc = add_text_child(set, "before", before);
    }
    if (rc) {
        xw_node_free(query);
        return rc;
    }
    *out = query;
    return XW_OK;
}

const xw_node *xw_mam_result(const xw_node *msg, const char **queryid, const char **archive_id,
                             const char **stamp) {
    const xw_node *result = xw_node_child(msg, "result", XW_NS_MAM);
    const xw_node *fwd = result ? xw_node_child(result, "forwarded", NS_FORWARD) : NULL;
    const xw_node *inner = fwd ? xw_node_child(fwd, "message", XW_NS_CLIENT) : NULL;
    if (!inner) return NULL;
    *queryid = xw_node_attr(result, "queryid");
    *archive_id = xw_node_attr(result, "id");
    if (!*archive_id || !**archive_id) return NULL; /* §5.3: the id is required */
    const xw_node *delay = xw_node_child(fwd, "delay", XW_NS_DELAY);
    *stamp = delay ? xw_node_attr(delay, "stamp") : NULL;
    return inner;
}

/* The archive ids we page with are plain tokens: one text node. */
static const char *rsm_id(const xw_node *set, const char *name) {
    const xw_node *n = xw_node_child(set, name, NS_RSM);
    const xw_node *text = n ? n->first_child : NULL;
    return text && !text->name && !text->next && text->text_len ? text->text : NULL;
}

int xw_mam_fin(const xw_node *iq, int *complete, const char **first, const char **last) {
    const xw_node *fin = xw_node_child(iq, "fin", XW_NS_MAM);
    if (!fin) return XW_ERR_PROTOCOL;
    const char *c = xw_node_attr(fin, "complete");
    *complete = c && (!strcmp(c, "true") || !strcmp(c, "1"));
    const xw_node *set = xw_node_child(fin, "set", NS_RSM);
    if (first) *first = rsm_id(set, "first");
    *last = rsm_id(set, "last");
    return XW_OK;
}

const char *xw_mam_stanza_id(const xw_node *msg, const char *archive_jid) {
    for (const xw_node *s = xw_node_child(msg, "stanza-id", XW_NS_SID); s;
         s = xw_node_next_named(s, "stanza-id", XW_NS_SID)) {
        const char *by = xw_node_attr(s, "by");
        const char *id = xw_node_attr(s, "id");
        if (by && id && *id && strcmp(by, archive_jid) == 0) return id;
    }
    return NULL;
}

const char *xw_mam_origin_id(const xw_node *msg) {
    const xw_node *o = xw_node_child(msg, "origin-id", XW_NS_SID);
    const char *id = o ? xw_node_attr(o, "id") : NULL;
    return id && *id ? id : NULL;
}

int xw_mam_server_delayed(const xw_node *msg, const char *domain, const char *bare_jid) {
    for (const xw_node *d = xw_node_child(msg, "delay", XW_NS_DELAY); d;
         d = xw_node_next_named(d, "delay", XW_NS_DELAY)) {
        const char *from = xw_node_attr(d, "from");
        if (from && ((domain && xw_jid_equal(from, domain, 0)) || (bare_jid && xw_jid_equal(from, bare_jid, 0))))
            return 1;
    }
    return 0;
}
