/* roster.h: the contact list (RFC 6121 §2): fetched at each new login
 * (with roster versioning, §2.6, when the server offers it: only the
 * changes since the version held come), changed with roster sets, kept up
 * to date by the server's pushes (§2.1.6: only from our own account), and
 * handed to the app as "roster" events. Kept across page loads with the
 * saved state. Internal. */
#ifndef XW_ROSTER_H
#define XW_ROSTER_H

#include <stddef.h>

#include "events.h"
#include "jid.h"
#include "util.h"
#include "xml.h"

#define XW_NS_ROSTER "jabber:iq:roster"

typedef struct xw_roster_item {
    char *jid;          /* the contact's bare JID */
    char *name;         /* NULL: none */
    const char *subscription; /* "none", "to", "from", "both" (RFC 6121 §2.1.2.5); static */
    int ask;            /* our subscription request is pending (ask='subscribe') */
    char **groups;
    size_t ngroups, groups_cap;
    char *key;          /* jid's comparison key (xw_jid_key); NULL when it is jid itself, as mostly */
} xw_roster_item;

typedef struct xw_roster {
    xw_roster_item *items;
    size_t n, cap;      /* cap doubles: a realloc per item grew the wasm heap by the whole array */
    xw_jid_index index; /* each item's key (or jid) -> its position in items */
    char *ver;          /* the version of what is held, when the server versions */
    int have;           /* a whole roster is held */
} xw_roster;

typedef struct xw_client xw_client;

XW_MUST_CHECK int xw_roster_register(xw_client *c);
/* A new login is online: ask for the roster (or its changes). */
void xw_roster_fetch(xw_client *c);
/* The subscription of a contact ("none" when not in the roster). */
const char *xw_roster_subscription(const xw_roster *r, const char *bare_jid);
/* Appends the roster's items as a JSON array to j (for events and saving). */
void xw_roster_items_json(const xw_roster *r, xw_json *j);
/* Adds or replaces an item read from an <item/> element, or removes it
 * for subscription='remove'. XW_ERR_JID for an item without a valid jid. */
XW_MUST_CHECK int xw_roster_apply(xw_roster *r, const xw_node *item);
/* The item for a bare JID, or NULL. */
const xw_roster_item *xw_roster_find(const xw_roster *r, const char *bare_jid);
/* Appends one item as a JSON object: the held one, or, when none is held
 * (it was removed), {"jid":…,"subscription":"remove"}. */
void xw_roster_item_json(const xw_roster *r, const char *bare_jid, xw_json *j);
/* For the next page: <roster ver><item jid name subscription ask><group/>
 * </item></roster> in namespace ns; NULL on OOM. */
xw_node *xw_roster_save(const xw_roster *r, const char *ns);
/* Takes back what xw_roster_save wrote. */
XW_MUST_CHECK int xw_roster_restore(xw_roster *r, const xw_node *saved);
/* A "roster" event with the whole roster. */
void xw_roster_emit_full(xw_client *c);
void xw_roster_free(xw_roster *r);

#endif
