/* xml.h: the stanza tree, its serializer, and the restricted BOSH body
 * parser (expat in namespace mode, RFC 6120 §11 restrictions, limits). */
#ifndef XW_XML_H
#define XW_XML_H

#include <stddef.h>
#include "util.h"

#define XW_NS_XML "http://www.w3.org/XML/1998/namespace"
#define XW_NS_HTTPBIND "http://jabber.org/protocol/httpbind"
#define XW_NS_XBOSH "urn:xmpp:xbosh"
#define XW_NS_CLIENT "jabber:client"
#define XW_NS_STREAMS "http://etherx.jabber.org/streams"
#define XW_NS_SID "urn:xmpp:sid:0"
#define XW_NS_DELAY "urn:xmpp:delay"

typedef struct xw_attr {
    char *ns;    /* namespace URI, NULL for an unprefixed attribute */
    char *name;  /* local name */
    char *value;
} xw_attr;

/* An element, or a text node when `name` is NULL (then `text` holds it).
 * `ns` of a parsed element is its namespace, "" for none; of a built
 * element, NULL means "the namespace in scope where it is placed". */
typedef struct xw_node {
    char *name;
    char *ns;
    xw_attr *attrs;
    size_t nattrs, attrs_cap; /* the caps double: growing by one copied the whole array each time */
    char *text;
    size_t text_len, text_cap; /* text_cap counts the NUL */
    struct xw_node *parent, *first_child, *last_child, *next;
} xw_node;

/* --- tree ------------------------------------------------------------ */
/* Builds a new element; NULL on OOM. `ns` may be NULL (inherit on output). */
xw_node *xw_node_new(const char *name, const char *ns);
/* Frees the node and all its children. NULL-safe. */
void xw_node_free(xw_node *n);
/* Sets (replacing) an attribute with no namespace. Returns 0 or XW_ERR_NOMEM. */
XW_MUST_CHECK int xw_node_set_attr(xw_node *n, const char *name, const char *value);
XW_MUST_CHECK int xw_node_set_attr_ns(xw_node *n, const char *ns, const char *name, const char *value);
/* Appends `child` (taking ownership). Returns child for chaining. */
xw_node *xw_node_append(xw_node *parent, xw_node *child);
/* Adds a child element; returns it, or NULL on OOM. */
xw_node *xw_node_add_child(xw_node *parent, const char *name, const char *ns);
/* Adds a text child (copying len bytes). */
XW_MUST_CHECK int xw_node_add_text(xw_node *parent, const char *text, size_t len);
/* Borrowed attribute value (no namespace) or NULL. */
const char *xw_node_attr(const xw_node *n, const char *name);
const char *xw_node_attr_ns(const xw_node *n, const char *ns, const char *name);
/* First child element with that local name and namespace (ns NULL = any). */
xw_node *xw_node_child(const xw_node *n, const char *name, const char *ns);
/* Next sibling element of `after` with that name/namespace. */
xw_node *xw_node_next_named(const xw_node *after, const char *name, const char *ns);
/* First child element of any name, or NULL. */
xw_node *xw_node_first_element(const xw_node *n);
/* Concatenated text of the node's direct text children, appended to out. */
XW_MUST_CHECK int xw_node_text(const xw_node *n, xw_buf *out);
/* The same as a new string ("" for none); NULL when n is NULL or on OOM. */
char *xw_node_text_dup(const xw_node *n);
/* A copy of an attribute's value; NULL when absent or on OOM. */
char *xw_node_attr_dup(const xw_node *n, const char *name);

/* Serializes n as XML. `parent_ns` is the default namespace in scope where
 * the output will be placed (NULL: none, so n declares its own). Text and
 * attribute values are escaped. */
XW_MUST_CHECK int xw_node_serialize(const xw_node *n, const char *parent_ns, xw_buf *out);

/* --- restricted parser ----------------------------------------------- */
typedef struct xw_xml_limits {
    size_t max_depth;        /* element nesting below <body>, the stanza itself being 1 */
    size_t max_attrs;        /* attributes per element */
    size_t max_attr_len;     /* bytes per attribute value */
    size_t max_stanza_bytes; /* bytes of one stanza as it arrives, unless its sender is trusted */
    size_t max_body_bytes;   /* bytes of one HTTP response body */
    /* Whether a stanza (its element name, and 'from', NULL when it has
     * none) comes from a sender only max_body_bytes bounds: our own server
     * or account, whose answers (a whole roster) may be larger than any
     * one peer's stanza should be. Asked at most once per stanza, and only
     * once it passes max_stanza_bytes. NULL: nobody is. */
    int (*trusted_from)(void *ud, const char *name, const char *from);
    void *trusted_ud;
} xw_xml_limits;

/* Defaults generous for real traffic (servers route stanzas of 256 KiB by
 * default): depth 256, 256 attributes, 64 KiB per attribute, 1 MiB per
 * stanza, 8 MiB per body; no trusted sender. */
void xw_xml_limits_default(xw_xml_limits *l);

/* A stanza skipped for passing a per-stanza limit (borrowed for the call):
 * its element, its 'from', 'id' and 'type' when readable (NULL otherwise),
 * the limit's option name ("max_depth", "max_attrs", "max_attr_len",
 * "max_stanza_bytes") and a sentence saying what was too much. */
typedef struct xw_xml_skipped {
    const char *name, *ns;
    const char *from, *id, *type;
    const char *limit;
    const char *detail;
} xw_xml_skipped;

/* Nesting past which even skipping stops: expat keeps memory for every
 * open element, and no server routes a stanza this deep by default. */
#define XW_XML_SKIP_DEPTH_MAX 100000

typedef struct xw_xml_parser xw_xml_parser;

/* Called once per document with the <body/> element (attributes only,
 * children not yet present); borrowed for the call. Non-zero stops. */
typedef int (*xw_on_body_fn)(void *ud, const xw_node *body);
/* Called for each complete child of <body/>; the callee owns `stanza`.
 * Non-zero stops parsing with that code. */
typedef int (*xw_on_stanza_fn)(void *ud, xw_node *stanza);
/* Called instead of on_stanza for a child skipped over a per-stanza
 * limit. Non-zero stops parsing with that code. */
typedef int (*xw_on_skip_fn)(void *ud, const xw_xml_skipped *skipped);

/* `hash_salt` seeds expat's hash table (it must not read /dev/urandom).
 * With on_skip NULL a per-stanza limit fails the whole document. */
xw_xml_parser *xw_xml_parser_new(const xw_xml_limits *limits, unsigned long hash_salt,
                                 xw_on_body_fn on_body, xw_on_stanza_fn on_stanza, xw_on_skip_fn on_skip,
                                 void *ud);
void xw_xml_parser_free(xw_xml_parser *p);
/* Starts a new document (one BOSH response). */
XW_MUST_CHECK int xw_xml_parser_reset(xw_xml_parser *p, unsigned long hash_salt);
/* Feeds the next chunk; `final` when it is the last. Returns 0, a callback's
 * code, or XW_ERR_XML / XW_ERR_LIMIT with xw_xml_parser_error() saying why
 * (XW_ERR_LIMIT: the body limit, or a per-stanza one without on_skip).
 * After an error, only reset or free are allowed. */
XW_MUST_CHECK int xw_xml_parser_feed(xw_xml_parser *p, const char *bytes, size_t len, int final);
/* Human-readable reason for the last error; borrowed. */
const char *xw_xml_parser_error(const xw_xml_parser *p);

#endif
