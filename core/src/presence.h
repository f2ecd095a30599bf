/* presence.h: presence (RFC 6121 §4): our own (show, status, priority),
 * sent as initial presence at every new login and whenever the app
 * changes it; and every contact's, per resource, with one "best" presence
 * per contact (highest priority, then the most available show, then the
 * latest). Subscription requests and answers (§3) reach the app as
 * presence events of that type. Internal. */
#ifndef XW_PRESENCE_H
#define XW_PRESENCE_H

#include <stddef.h>

#include "events.h"
#include "jid.h"
#include "util.h"
#include "xml.h"

typedef struct xw_resource_presence {
    char *resource;  /* "" for presence from a bare JID */
    char *show;      /* NULL: available */
    char *status;
    int priority;
    char *caps_node, *caps_ver; /* XEP-0115, when given */
    unsigned long seq; /* order of arrival, for ties */
} xw_resource_presence;

typedef struct xw_contact_presence {
    char *bare;
    char *key;          /* bare's comparison key (xw_jid_key) when it is not bare itself */
    xw_resource_presence *res;
    size_t nres, res_cap;
} xw_contact_presence;

typedef struct xw_presence {
    xw_contact_presence *v;
    size_t n, cap;      /* cap doubles: a realloc per contact grew the wasm heap by the whole array */
    xw_jid_index index; /* each contact's key (or bare) -> its position in v; a bare that is no JID is not in it */
    unsigned long seq;
    /* Ours. */
    char *show, *status;
    int priority;
} xw_presence;

typedef struct xw_client xw_client;

XW_MUST_CHECK int xw_presence_register(xw_client *c);
/* Our available presence as set by the app, with our capabilities. */
XW_MUST_CHECK int xw_presence_build_own(xw_client *c, xw_node **out);
/* A contact's presence as JSON {best, resources} (best absent when none
 * is available) appended to j. */
void xw_presence_json(const xw_presence *p, const char *bare_jid, xw_json *j);
/* Forgets every contact's presence (a new login gets it all again). */
void xw_presence_clear_contacts(xw_presence *p);
/* For the next page: ours and every contact's, in namespace ns. */
xw_node *xw_presence_save(const xw_presence *p, const char *ns);
XW_MUST_CHECK int xw_presence_restore(xw_presence *p, const xw_node *saved);
/* After a reload that carried on the session: one presence event per
 * contact resource held, with "restored": true. */
void xw_presence_emit_restored(xw_client *c);
void xw_presence_free(xw_presence *p);

#endif
