/* dispatch.h: who handles what arrives. A table of handlers, each matching
 * an element by name, namespace and 'type' attribute, and optionally by a
 * child element (the payload of an IQ, an extension of a message). Each of
 * the core's modules registers the handlers for what it owns when the
 * client is made; the app registers its own for stanzas the core does not
 * know. For each stanza the first matching core handler takes it; every
 * matching app handler is told too (as a "stanza" event with its id). */
#ifndef XW_DISPATCH_H
#define XW_DISPATCH_H

#include <stddef.h>

#include "util.h"
#include "xml.h"

typedef struct xw_client xw_client;

/* A core handler: takes the stanza (borrowed for the call). */
typedef void (*xw_handler_fn)(xw_client *c, const xw_node *st);

typedef struct xw_handler {
    char *name;      /* element name; NULL: any */
    char *ns;        /* its namespace; NULL: any */
    char *type;      /* its 'type' attribute; NULL: any */
    char *child;     /* a child element's name; NULL: any child (with child_ns) */
    char *child_ns;  /* that child's namespace; NULL: no child needed */
    int online_only; /* only once the session is online */
    xw_handler_fn fn; /* NULL for an app's handler */
    int app_id;      /* > 0 for an app's handler */
} xw_handler;

typedef struct xw_dispatch {
    xw_handler *v;
    size_t n, cap; /* cap doubles, as every module adds handlers one by one */
    int next_app_id;
} xw_dispatch;

/* Adds a core handler (the strings are copied). XW_ERR_NOMEM on failure. */
XW_MUST_CHECK int xw_dispatch_add(xw_dispatch *d, const char *name, const char *ns, const char *type,
                                  const char *child, const char *child_ns, int online_only, xw_handler_fn fn);
/* Adds an app handler; returns its id (> 0) or XW_ERR_NOMEM. */
int xw_dispatch_add_app(xw_dispatch *d, const char *name, const char *ns, const char *child, const char *child_ns);
/* Removes the app handler with that id; XW_ERR_INVALID when there is none. */
int xw_dispatch_remove_app(xw_dispatch *d, int app_id);
/* Whether h matches st. */
int xw_handler_matches(const xw_handler *h, const xw_node *st);
void xw_dispatch_free(xw_dispatch *d);

#endif
