/* xml.c: the stanza tree and serializer, and the restricted parser for
 * BOSH <body/> documents. expat runs in namespace mode; everything RFC 6120
 * §11 forbids (DTDs, entity declarations, comments, processing
 * instructions) stops the parse with an error instead of being processed,
 * and each limit in xw_xml_limits bounds memory and time. */
#include "xml.h"

#include <expat.h>
#include <stdlib.h>
#include <string.h>

/* expat reports a namespaced name as "uri<SEP>local". A character that can
 * not appear in a URI or an NCName keeps the split unambiguous. */
#define NS_SEP '\x01'

/* Bytes handed to expat per XML_Parse call (see xw_xml_parser_feed). */
#define XML_SLICE 16384

/* ---------------------------------------------------------------- tree */

/* Element and attribute names, and namespaces, that most stanzas carry:
 * every node points at one shared copy here instead of a copy of its own
 * (a 10,000-item roster has 20,000 elements named item or group in
 * jabber:iq:roster and 30,000 attribute names: 1.5 MB of small blocks).
 * Never freed; names of nodes are never written through. */
static const char SHORT_NAMES[][14] = {
    "", "iq", "message", "presence", "body", "item", "group", "query", "result", "forwarded", "delay",
    "stanza-id", "origin-id", "x", "request", "received", "markable", "displayed", "active", "composing",
    "paused", "thread", "subject", "show", "status", "priority", "c", "a", "r", "sent", "to", "from", "id",
    "type", "jid", "name", "subscription", "ask", "stamp", "by", "queryid", "ver", "node", "hash", "lang",
    "role", "affiliation",
};
static const char LONG_NAMES[][40] = {
    "jabber:client", "jabber:iq:roster", "urn:xmpp:mam:2", "urn:xmpp:forward:0", "urn:xmpp:delay",
    "urn:xmpp:sid:0", "urn:xmpp:receipts", "urn:xmpp:chat-markers:0", "http://jabber.org/protocol/chatstates",
    "urn:xmpp:sm:3", "urn:xmpp:carbons:2", "http://jabber.org/protocol/muc#user", "http://jabber.org/protocol/caps",
    "http://www.w3.org/XML/1998/namespace",
};

static int is_shared_name(const char *p) {
    const char *s0 = SHORT_NAMES[0], *l0 = LONG_NAMES[0];
    return (p >= s0 && p < s0 + sizeof SHORT_NAMES) || (p >= l0 && p < l0 + sizeof LONG_NAMES);
}

#define SHORT_COUNT (sizeof SHORT_NAMES / sizeof SHORT_NAMES[0])
#define LONG_COUNT (sizeof LONG_NAMES / sizeof LONG_NAMES[0])
#define NAME_SLOTS 128 /* a power of two, over twice the names */

/* An open-addressing index of both tables, built on first use: a linear
 * scan of every name for each element and attribute was a tenth of the
 * time an archive page takes. A slot holds 1 + the name's number (short
 * names first), 0 when empty. */
static unsigned char name_slots[NAME_SLOTS];

static const char *shared_name(size_t i) { return i < SHORT_COUNT ? SHORT_NAMES[i] : LONG_NAMES[i - SHORT_COUNT]; }

static size_t name_hash(const char *s, size_t len) {
    if (!len) return 0;
    const unsigned char *u = (const unsigned char *)s;
    return (len * 131u + (size_t)u[0] * 31u + (size_t)u[len / 2] * 7u + u[len - 1]) & (NAME_SLOTS - 1);
}

/* A name or namespace: the shared copy when there is one, else a new one. */
static char *name_copy(const char *s, size_t len) {
    if (!name_slots[0]) { /* "" hashes to slot 0: filled once built */
        for (size_t i = 0; i < SHORT_COUNT + LONG_COUNT; i++) {
            const char *n = shared_name(i);
            size_t h = name_hash(n, strlen(n));
            while (name_slots[h]) h = (h + 1) & (NAME_SLOTS - 1);
            name_slots[h] = (unsigned char)(i + 1);
        }
    }
    for (size_t h = name_hash(s, len); name_slots[h]; h = (h + 1) & (NAME_SLOTS - 1)) {
        const char *n = shared_name(name_slots[h] - 1u);
        size_t k = 0; /* compared up to n's end at most, whatever s holds */
        while (k < len && n[k] && n[k] == s[k]) k++;
        if (k == len && n[len] == '\0') return (char *)n;
    }
    return xw_strndup(s, len);
}

static void name_free(char *p) {
    /* The analyzer cannot follow a table entry found through name_slots
     * back into the tables' bounds that is_shared_name tests. */
    if (!is_shared_name(p)) free(p); // NOLINT(clang-analyzer-unix.Malloc)
}

xw_node *xw_node_new(const char *name, const char *ns) {
    xw_node *n = calloc(1, sizeof *n);
    if (!n) return NULL;
    n->name = name_copy(name, strlen(name));
    n->ns = ns ? name_copy(ns, strlen(ns)) : NULL;
    if (!n->name || (ns && !n->ns)) {
        xw_node_free(n);
        return NULL;
    }
    return n;
}

void xw_node_free(xw_node *n) {
    while (n) {
        xw_node *next_sibling = NULL;
        /* Free children iteratively via the sibling chain so deep trees do
         * not recurse on the C stack more than their depth limit allows. */
        xw_node *c = n->first_child;
        while (c) {
            xw_node *next = c->next;
            c->next = NULL;
            xw_node_free(c);
            c = next;
        }
        for (size_t i = 0; i < n->nattrs; i++) {
            name_free(n->attrs[i].ns);
            name_free(n->attrs[i].name);
            free(n->attrs[i].value);
        }
        free(n->attrs);
        name_free(n->name);
        name_free(n->ns);
        free(n->text);
        free(n);
        n = next_sibling;
    }
}

static xw_attr *find_attr(const xw_node *n, const char *ns, const char *name) {
    for (size_t i = 0; i < n->nattrs; i++) {
        const xw_attr *a = &n->attrs[i];
        int same_ns = (!ns && !a->ns) || (ns && a->ns && strcmp(ns, a->ns) == 0);
        if (same_ns && strcmp(a->name, name) == 0) return &n->attrs[i];
    }
    return NULL;
}

int xw_node_set_attr_ns(xw_node *n, const char *ns, const char *name, const char *value) {
    char *v = xw_strdup(value);
    if (!v) return XW_ERR_NOMEM;
    xw_attr *a = find_attr(n, ns, name);
    if (a) {
        free(a->value);
        a->value = v;
        return XW_OK;
    }
    if (n->nattrs == n->attrs_cap) {
        xw_attr *grown = xw_grow(n->attrs, &n->attrs_cap, sizeof *grown, 4);
        if (!grown) {
            free(v);
            return XW_ERR_NOMEM;
        }
        n->attrs = grown;
    }
    a = &n->attrs[n->nattrs];
    a->ns = ns ? name_copy(ns, strlen(ns)) : NULL;
    a->name = name_copy(name, strlen(name));
    a->value = v;
    if (!a->name || (ns && !a->ns)) {
        name_free(a->ns);
        name_free(a->name);
        free(v);
        return XW_ERR_NOMEM;
    }
    n->nattrs++;
    return XW_OK;
}

int xw_node_set_attr(xw_node *n, const char *name, const char *value) {
    return xw_node_set_attr_ns(n, NULL, name, value);
}

xw_node *xw_node_append(xw_node *parent, xw_node *child) {
    if (!child) return NULL;
    child->parent = parent;
    if (parent->last_child) parent->last_child->next = child;
    else parent->first_child = child;
    parent->last_child = child;
    return child;
}

xw_node *xw_node_add_child(xw_node *parent, const char *name, const char *ns) {
    return xw_node_append(parent, xw_node_new(name, ns));
}

int xw_node_add_text(xw_node *parent, const char *text, size_t len) {
    xw_node *last = parent->last_child;
    if (last && !last->name) { /* extend an adjacent text node */
        if (len > SIZE_MAX / 2 - last->text_len - 1) return XW_ERR_NOMEM;
        size_t need = last->text_len + len + 1;
        if (need > last->text_cap) {
            /* expat hands text over in pieces (at each line end and
             * reference): doubling keeps a long text linear to build. */
            size_t cap = last->text_cap * 2 > need ? last->text_cap * 2 : need;
            char *grown = realloc(last->text, cap);
            if (!grown) return XW_ERR_NOMEM;
            last->text = grown;
            last->text_cap = cap;
        }
        memcpy(last->text + last->text_len, text, len);
        last->text_len += len;
        last->text[last->text_len] = '\0';
        return XW_OK;
    }
    xw_node *t = calloc(1, sizeof *t);
    if (!t) return XW_ERR_NOMEM;
    t->text = xw_strndup(text, len);
    if (!t->text) {
        free(t);
        return XW_ERR_NOMEM;
    }
    t->text_len = len;
    t->text_cap = len + 1;
    xw_node_append(parent, t);
    return XW_OK;
}

const char *xw_node_attr_ns(const xw_node *n, const char *ns, const char *name) {
    const xw_attr *a = n ? find_attr(n, ns, name) : NULL;
    return a ? a->value : NULL;
}

const char *xw_node_attr(const xw_node *n, const char *name) { return xw_node_attr_ns(n, NULL, name); }

static int node_matches(const xw_node *c, const char *name, const char *ns) {
    return c->name && (!name || strcmp(c->name, name) == 0) &&
           (!ns || (c->ns && strcmp(c->ns, ns) == 0));
}

xw_node *xw_node_child(const xw_node *n, const char *name, const char *ns) {
    for (xw_node *c = n ? n->first_child : NULL; c; c = c->next)
        if (node_matches(c, name, ns)) return c;
    return NULL;
}

xw_node *xw_node_next_named(const xw_node *after, const char *name, const char *ns) {
    for (xw_node *c = after ? after->next : NULL; c; c = c->next)
        if (node_matches(c, name, ns)) return c;
    return NULL;
}

xw_node *xw_node_first_element(const xw_node *n) { return xw_node_child(n, NULL, NULL); }

int xw_node_text(const xw_node *n, xw_buf *out) {
    for (xw_node *c = n->first_child; c; c = c->next) {
        if (!c->name) {
            int rc = xw_buf_append(out, c->text, c->text_len);
            if (rc) return rc;
        }
    }
    return XW_OK;
}

char *xw_node_text_dup(const xw_node *n) {
    if (!n) return NULL;
    xw_buf t = {0};
    if (xw_node_text(n, &t)) {
        xw_buf_free(&t);
        return NULL;
    }
    return xw_buf_take(&t);
}

char *xw_node_attr_dup(const xw_node *n, const char *name) {
    const char *v = xw_node_attr(n, name);
    return v ? xw_strdup(v) : NULL;
}

/* ----------------------------------------------------------- serializer */

static int same_str(const char *a, const char *b) {
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Appends a, then b (either may be NULL). */
static int append2(xw_buf *out, const char *a, const char *b) {
    int rc = a ? xw_buf_append_str(out, a) : XW_OK;
    return rc || !b ? rc : xw_buf_append_str(out, b);
}

static int serialize_attr(xw_buf *out, const xw_attr *a, int *prefix_counter) {
    int rc;
    if (!a->ns) {
        rc = append2(out, " ", a->name);
    } else if (strcmp(a->ns, XW_NS_XML) == 0) {
        rc = append2(out, " xml:", a->name);
    } else {
        /* A namespaced attribute gets a prefix declared right here. */
        int k = (*prefix_counter)++;
        rc = xw_buf_printf(out, " xmlns:ns%d='", k);
        if (!rc) rc = xw_buf_append_xml_attr_escaped(out, a->ns, strlen(a->ns));
        if (!rc) rc = xw_buf_printf(out, "' ns%d:%s", k, a->name);
    }
    if (!rc) rc = xw_buf_append(out, "='", 2);
    if (!rc) rc = xw_buf_append_xml_attr_escaped(out, a->value, strlen(a->value));
    if (!rc) rc = xw_buf_append(out, "'", 1);
    return rc;
}

int xw_node_serialize(const xw_node *n, const char *parent_ns, xw_buf *out) {
    if (!n->name) return xw_buf_append_xml_escaped(out, n->text, n->text_len);
    int rc = append2(out, "<", n->name);
    const char *scope_ns = parent_ns;
    /* A parsed child in no namespace (ns "") under a namespaced parent
     * says xmlns='', so the output means what arrived. */
    int same_scope = same_str(n->ns, parent_ns) || (n->ns && !*n->ns && !parent_ns);
    if (n->ns && !same_scope) {
        rc = rc ? rc : xw_buf_append_str(out, " xmlns='");
        rc = rc ? rc : xw_buf_append_xml_attr_escaped(out, n->ns, strlen(n->ns));
        rc = rc ? rc : xw_buf_append(out, "'", 1);
        scope_ns = n->ns;
    }
    int prefix_counter = 0;
    for (size_t i = 0; !rc && i < n->nattrs; i++) rc = serialize_attr(out, &n->attrs[i], &prefix_counter);
    if (rc) return rc;
    if (!n->first_child) return xw_buf_append_str(out, "/>");
    rc = xw_buf_append(out, ">", 1);
    for (const xw_node *c = n->first_child; !rc && c; c = c->next) rc = xw_node_serialize(c, scope_ns, out);
    if (!rc) rc = append2(out, "</", n->name);
    if (!rc) rc = xw_buf_append(out, ">", 1);
    return rc;
}

/* --------------------------------------------------------------- parser
 * Two kinds of limit. The body limit (max_body_bytes) and what expat
 * itself refuses are about the whole response: the document fails. The
 * per-stanza limits (depth, attributes, attribute length, stanza bytes)
 * are about one sender's stanza: with an on_skip callback the stanza is
 * dropped, its partial tree freed, the parse runs on to its end tag and
 * on_skip reports it; the stanzas after it are delivered as usual. */

struct xw_xml_parser {
    XML_Parser expat;
    xw_xml_limits limits;
    xw_on_body_fn on_body;
    xw_on_stanza_fn on_stanza;
    xw_on_skip_fn on_skip;
    void *ud;
    size_t depth;          /* 0 outside <body/>, 1 inside it, 2 inside a stanza */
    size_t deepest;        /* the deepest nesting of this document */
    size_t doc_bytes;      /* bytes fed for this document */
    long long stanza_start; /* byte index where the current stanza began */
    xw_node *stanza;       /* the stanza being built */
    xw_node *cur;          /* innermost open element of it */
    /* The current stanza's element and addressing, kept so a skipped
     * stanza can still be reported by sender (and an IQ answered). */
    char *top_name, *top_ns, *top_from, *top_id, *top_type;
    int top_has_from;      /* a 'from' was given (top_from is NULL when too long to keep) */
    int top_trusted;       /* limits.trusted_from's answer; -1 before it is asked */
    const char *skip_limit; /* set while skipping the current stanza */
    char skip_detail[200];
    int saw_root;
    int failed;            /* an error code; only reset/free are allowed */
    char error[200];
};

static void fail(xw_xml_parser *p, int code, const char *fmt, const char *detail) {
    if (!p->failed) {
        p->failed = code;
        xw_format(p->error, sizeof p->error, fmt, detail ? detail : "");
    }
    XML_StopParser(p->expat, XML_FALSE);
}

/* Splits expat's "uri<SEP>local" into its parts (in place copies). An
 * element in no namespace gets ns "" (so the serializer can say xmlns='');
 * an attribute in no namespace gets NULL. */
static int split_name(const char *full, char **ns, char **local, int element) {
    const char *sep = strchr(full, NS_SEP);
    if (sep) {
        *ns = name_copy(full, (size_t)(sep - full));
        *local = name_copy(sep + 1, strlen(sep + 1));
    } else {
        *ns = element ? name_copy("", 0) : NULL;
        *local = name_copy(full, strlen(full));
    }
    return (*local && (*ns || (!sep && !element))) ? XW_OK : XW_ERR_NOMEM;
}

/* A per-stanza limit the element `name` (expat's form) passes, or NULL:
 * the limit's name, with the detail written to p->skip_detail. */
static const char *element_over_limit(xw_xml_parser *p, const XML_Char *name, const XML_Char **atts) {
    const char *sep = strchr(name, NS_SEP);
    const char *local = sep ? sep + 1 : name;
    size_t count = 0;
    while (atts[count * 2]) count++;
    if (count > p->limits.max_attrs) {
        xw_format(p->skip_detail, sizeof p->skip_detail, "%llu attributes on <%s/>, more than max_attrs (%llu)",
                  (unsigned long long)count, local, (unsigned long long)p->limits.max_attrs);
        return "max_attrs";
    }
    for (size_t i = 0; i < count; i++) {
        size_t vlen = strlen(atts[i * 2 + 1]);
        if (vlen > p->limits.max_attr_len) {
            xw_format(p->skip_detail, sizeof p->skip_detail,
                      "a %llu-byte attribute on <%s/>, longer than max_attr_len (%llu)", (unsigned long long)vlen,
                      local, (unsigned long long)p->limits.max_attr_len);
            return "max_attr_len";
        }
    }
    return NULL;
}

static xw_node *node_from_expat(xw_xml_parser *p, const XML_Char *name, const XML_Char **atts) {
    xw_node *n = calloc(1, sizeof *n);
    if (!n || split_name(name, &n->ns, &n->name, 1)) {
        xw_node_free(n);
        fail(p, XW_ERR_NOMEM, "out of memory%s", NULL);
        return NULL;
    }
    size_t count = 0;
    while (atts[count * 2]) count++;
    if (count) {
        n->attrs = calloc(count, sizeof *n->attrs);
        n->attrs_cap = count;
        if (!n->attrs) {
            xw_node_free(n);
            fail(p, XW_ERR_NOMEM, "out of memory%s", NULL);
            return NULL;
        }
    }
    for (size_t i = 0; i < count; i++) {
        xw_attr *a = &n->attrs[n->nattrs];
        if (split_name(atts[i * 2], &a->ns, &a->name, 0) || !(a->value = xw_strdup(atts[i * 2 + 1]))) {
            name_free(a->ns);
            name_free(a->name);
            xw_node_free(n);
            fail(p, XW_ERR_NOMEM, "out of memory%s", NULL);
            return NULL;
        }
        n->nattrs++;
    }
    return n;
}

static void forget_top(xw_xml_parser *p) {
    name_free(p->top_name);
    name_free(p->top_ns);
    free(p->top_from);
    free(p->top_id);
    free(p->top_type);
    p->top_name = p->top_ns = p->top_from = p->top_id = p->top_type = NULL;
    p->top_has_from = 0;
    p->top_trusted = -1;
}

/* An unprefixed attribute's value, copied when it is at most max bytes. */
static char *copy_attr(const XML_Char **atts, const char *name, size_t max) {
    for (size_t i = 0; atts[i]; i += 2)
        if (strcmp(atts[i], name) == 0) return strlen(atts[i + 1]) <= max ? xw_strdup(atts[i + 1]) : NULL;
    return NULL;
}

/* Keeps the stanza's element name and addressing for a skip report. The
 * bounds are RFC 7622's longest JID and a generous id/type. */
static void remember_top(xw_xml_parser *p, const XML_Char *name, const XML_Char **atts) {
    forget_top(p);
    if (split_name(name, &p->top_ns, &p->top_name, 1)) {
        forget_top(p);
        return;
    }
    p->top_from = copy_attr(atts, "from", 3071);
    p->top_id = copy_attr(atts, "id", 1024);
    p->top_type = copy_attr(atts, "type", 64);
    for (size_t i = 0; atts[i]; i += 2) p->top_has_from |= strcmp(atts[i], "from") == 0;
}

/* Whether the current stanza's sender is one max_stanza_bytes does not
 * bound (see xw_xml_limits). A 'from' too long to keep is nobody's. */
static int top_trusted(xw_xml_parser *p) {
    if (p->top_trusted < 0) {
        const xw_xml_limits *l = &p->limits;
        p->top_trusted = l->trusted_from && p->top_name && (!p->top_has_from || p->top_from) &&
                         l->trusted_from(l->trusted_ud, p->top_name, p->top_has_from ? p->top_from : NULL);
    }
    return p->top_trusted;
}

/* Drops the stanza under construction for passing `limit` (detail already
 * in skip_detail); the parse goes on to its end tag. Without on_skip the
 * whole document fails instead. */
static void start_skip(xw_xml_parser *p, const char *limit) {
    if (!p->on_skip) {
        fail(p, XW_ERR_LIMIT, "%s", p->skip_detail);
        return;
    }
    xw_node_free(p->stanza);
    p->stanza = p->cur = NULL;
    p->skip_limit = limit;
}

/* Bytes of the current stanza up to the end of the current event. */
static int stanza_too_big(xw_xml_parser *p, size_t extra) {
    long long end = (long long)XML_GetCurrentByteIndex(p->expat) + XML_GetCurrentByteCount(p->expat) + (long long)extra;
    unsigned long long bytes = end > p->stanza_start ? (unsigned long long)(end - p->stanza_start) : 0;
    if (bytes <= p->limits.max_stanza_bytes || top_trusted(p)) return 0;
    xw_format(p->skip_detail, sizeof p->skip_detail, "more than max_stanza_bytes (%llu) in one stanza",
              (unsigned long long)p->limits.max_stanza_bytes);
    return 1;
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **atts) {
    xw_xml_parser *p = ud;
    if (p->failed) return;
    if (p->depth == 0) {
        if (p->saw_root) return; /* expat already rejects a second root */
        p->saw_root = 1;
        const char *over = element_over_limit(p, name, atts);
        if (over) {
            fail(p, XW_ERR_LIMIT, "<body/>: %s", p->skip_detail);
            return;
        }
        xw_node *body = node_from_expat(p, name, atts);
        if (!body) return;
        if (strcmp(body->name, "body") != 0 || strcmp(body->ns, XW_NS_HTTPBIND) != 0) {
            fail(p, XW_ERR_XML, "root element is not <body xmlns='" XW_NS_HTTPBIND "'/>%s", NULL);
            xw_node_free(body);
            return;
        }
        int rc = p->on_body ? p->on_body(p->ud, body) : 0;
        xw_node_free(body);
        if (rc) {
            fail(p, rc, "rejected by the body handler%s", NULL);
            return;
        }
        p->depth = 1;
        return;
    }
    if (p->depth == 1) {
        p->stanza_start = (long long)XML_GetCurrentByteIndex(p->expat);
        p->skip_limit = NULL;
        remember_top(p, name, atts);
    }
    p->depth++;
    if (p->depth > p->deepest) p->deepest = p->depth;
    if (p->skip_limit) {
        /* Skipping costs expat memory per open element: past this the
         * input is an attack on memory, not a stanza any server routes. */
        if (p->depth > XW_XML_SKIP_DEPTH_MAX) {
            xw_format(p->skip_detail, sizeof p->skip_detail, "elements nested deeper than %llu levels",
                      (unsigned long long)XW_XML_SKIP_DEPTH_MAX);
            fail(p, XW_ERR_LIMIT, "%s", p->skip_detail);
        }
        return;
    }
    if (p->depth - 1 > p->limits.max_depth) {
        xw_format(p->skip_detail, sizeof p->skip_detail, "elements nested deeper than max_depth (%llu)",
                  (unsigned long long)p->limits.max_depth);
        start_skip(p, "max_depth");
        return;
    }
    const char *over = element_over_limit(p, name, atts);
    if (!over && stanza_too_big(p, 0)) over = "max_stanza_bytes";
    if (over) {
        start_skip(p, over);
        return;
    }
    xw_node *n = node_from_expat(p, name, atts);
    if (!n) return;
    if (p->depth == 2) p->stanza = n;
    else xw_node_append(p->cur, n);
    p->cur = n;
}

static void XMLCALL on_end(void *ud, const XML_Char *name) {
    xw_xml_parser *p = ud;
    (void)name;
    if (p->failed) return;
    if (p->depth == 1) { /* </body> */
        p->depth = 0;
        return;
    }
    p->depth--;
    if (!p->skip_limit && p->depth > 1) {
        p->cur = p->cur->parent;
        return;
    }
    if (p->depth > 1) return; /* still inside a skipped stanza */
    int rc;
    if (p->skip_limit) {
        xw_xml_skipped info = {p->top_name, p->top_ns, p->top_from, p->top_id, p->top_type, p->skip_limit,
                               p->skip_detail};
        p->skip_limit = NULL;
        rc = p->on_skip(p->ud, &info);
    } else {
        xw_node *done = p->stanza;
        p->stanza = p->cur = NULL;
        rc = p->on_stanza ? p->on_stanza(p->ud, done) : (xw_node_free(done), 0);
    }
    if (rc) fail(p, rc, "rejected by the stanza handler%s", NULL);
}

static int is_xml_space(const char *s, int len) {
    for (int i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n') return 0;
    return 1;
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len) {
    xw_xml_parser *p = ud;
    if (p->failed) return;
    if (p->depth <= 1) {
        /* XEP-0124 §4: <body/> holds elements only; whitespace is tolerated. */
        if (!is_xml_space(s, len)) fail(p, XW_ERR_XML, "character data directly inside <body/>%s", NULL);
        return;
    }
    if (p->skip_limit) return;
    if (stanza_too_big(p, 0)) {
        start_skip(p, "max_stanza_bytes");
        return;
    }
    if (xw_node_add_text(p->cur, s, (size_t)len)) fail(p, XW_ERR_NOMEM, "out of memory%s", NULL);
}

/* RFC 6120 §11.1: no DTD, comments, processing instructions, entity
 * declarations. Each handler turns the construct into an error. */
static void XMLCALL on_doctype(void *ud, const XML_Char *n, const XML_Char *s, const XML_Char *pub, int internal) {
    (void)n; (void)s; (void)pub; (void)internal;
    fail(ud, XW_ERR_XML, "document type declaration (RFC 6120 §11.1)%s", NULL);
}
static void XMLCALL on_comment(void *ud, const XML_Char *data) {
    (void)data;
    fail(ud, XW_ERR_XML, "comment (RFC 6120 §11.1)%s", NULL);
}
static void XMLCALL on_pi(void *ud, const XML_Char *target, const XML_Char *data) {
    (void)data;
    fail(ud, XW_ERR_XML, "processing instruction '%s' (RFC 6120 §11.1)", target);
}
static void XMLCALL on_entity_decl(void *ud, const XML_Char *name, int is_param, const XML_Char *value,
                                   int value_len, const XML_Char *base, const XML_Char *sys,
                                   const XML_Char *pub, const XML_Char *notation) {
    (void)is_param; (void)value; (void)value_len; (void)base; (void)sys; (void)pub; (void)notation;
    fail(ud, XW_ERR_XML, "entity declaration '%s' (RFC 6120 §11.1)", name);
}
static void XMLCALL on_skipped_entity(void *ud, const XML_Char *name, int is_param) {
    (void)is_param;
    fail(ud, XW_ERR_XML, "reference to undeclared entity '%s'", name);
}

void xw_xml_limits_default(xw_xml_limits *l) {
    l->max_depth = 256;
    l->max_attrs = 256;
    l->max_attr_len = (size_t)64 * 1024;
    l->max_stanza_bytes = (size_t)1024 * 1024;
    l->max_body_bytes = (size_t)8 * 1024 * 1024;
    l->trusted_from = NULL;
    l->trusted_ud = NULL;
}

static void install_handlers(xw_xml_parser *p, unsigned long hash_salt) {
    XML_Parser x = p->expat;
    XML_SetUserData(x, p);
    /* 0 would make expat generate its own salt from the clock. */
    XML_SetHashSalt(x, hash_salt ? hash_salt : 1);
    XML_SetElementHandler(x, on_start, on_end);
    XML_SetCharacterDataHandler(x, on_text);
    XML_SetStartDoctypeDeclHandler(x, on_doctype);
    XML_SetCommentHandler(x, on_comment);
    XML_SetProcessingInstructionHandler(x, on_pi);
    XML_SetEntityDeclHandler(x, on_entity_decl);
    XML_SetSkippedEntityHandler(x, on_skipped_entity);
    XML_SetParamEntityParsing(x, XML_PARAM_ENTITY_PARSING_NEVER);
}

static void reset_state(xw_xml_parser *p) {
    xw_node_free(p->stanza);
    p->stanza = p->cur = NULL;
    forget_top(p);
    p->skip_limit = NULL;
    p->depth = 0;
    p->doc_bytes = 0;
    p->stanza_start = 0;
    p->saw_root = 0;
    p->failed = 0;
    p->error[0] = '\0';
}

xw_xml_parser *xw_xml_parser_new(const xw_xml_limits *limits, unsigned long hash_salt, xw_on_body_fn on_body,
                                 xw_on_stanza_fn on_stanza, xw_on_skip_fn on_skip, void *ud) {
    xw_xml_parser *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    if (limits) p->limits = *limits;
    else xw_xml_limits_default(&p->limits);
    p->on_body = on_body;
    p->on_stanza = on_stanza;
    p->on_skip = on_skip;
    p->ud = ud;
    p->expat = XML_ParserCreateNS("UTF-8", NS_SEP);
    if (!p->expat) {
        free(p);
        return NULL;
    }
    install_handlers(p, hash_salt);
    return p;
}

void xw_xml_parser_free(xw_xml_parser *p) {
    if (!p) return;
    reset_state(p);
    XML_ParserFree(p->expat);
    free(p);
}

int xw_xml_parser_reset(xw_xml_parser *p, unsigned long hash_salt) {
    reset_state(p);
    if (p->deepest > 4096) {
        /* expat keeps the tags of a deep document on a free list until the
         * parser is freed: after a deep skip, start from a new one. */
        XML_ParserFree(p->expat);
        p->expat = XML_ParserCreateNS("UTF-8", NS_SEP);
        if (!p->expat) return XW_ERR_NOMEM;
    } else if (!XML_ParserReset(p->expat, "UTF-8")) {
        return XW_ERR_NOMEM;
    }
    p->deepest = 0;
    install_handlers(p, hash_salt);
    return XW_OK;
}

int xw_xml_parser_feed(xw_xml_parser *p, const char *bytes, size_t len, int final) {
    if (!p->expat) return XW_ERR_NOMEM;
    if (p->failed) return p->failed;
    if (len > p->limits.max_body_bytes - p->doc_bytes) {
        xw_format(p->skip_detail, sizeof p->skip_detail, "response body larger than max_body_bytes (%llu)",
                  (unsigned long long)p->limits.max_body_bytes);
        fail(p, XW_ERR_LIMIT, "%s", p->skip_detail);
        return p->failed;
    }
    p->doc_bytes += len;
    /* In slices: expat copies what XML_Parse gets into a buffer of its own
     * (doubled to fit), so one call with a 1 MB body cost 2 MB more. */
    do {
        int slice = len > XML_SLICE ? XML_SLICE : (int)len;
        int last = final && (size_t)slice == len;
        if (XML_Parse(p->expat, bytes, slice, last) == XML_STATUS_ERROR) {
            if (!p->failed) {
                enum XML_Error e = XML_GetErrorCode(p->expat);
                fail(p, XW_ERR_XML, "%s", XML_ErrorString(e));
            }
            return p->failed;
        }
        bytes += slice;
        len -= (size_t)slice;
    } while (len);
    if (p->failed) return p->failed;
    if (final && !p->saw_root) {
        fail(p, XW_ERR_XML, "empty document%s", NULL);
        return p->failed;
    }
    return XW_OK;
}

const char *xw_xml_parser_error(const xw_xml_parser *p) { return p->error; }
