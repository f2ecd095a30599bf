/* muc.h: group chat (XEP-0045): joining a room with a nickname (and a
 * password, and how much history), its occupants with their role and
 * affiliation, its messages and subject, leaving. Only a room we are in
 * speaks for itself: a groupchat message, subject or occupant presence
 * from anyone else is not the room's. Rooms are joined again after a new
 * login. Internal. */
#ifndef XW_MUC_H
#define XW_MUC_H

#include <stddef.h>

#include "util.h"
#include "xml.h"

#define XW_NS_MUC "http://jabber.org/protocol/muc"
#define XW_NS_MUC_USER "http://jabber.org/protocol/muc#user"
#define XW_NS_MUC_OWNER "http://jabber.org/protocol/muc#owner"

typedef struct xw_occupant {
    char *nick;
    char *jid;          /* the occupant's real JID, when the room says */
    char *role, *affiliation;
    char *show, *status;
} xw_occupant;

typedef struct xw_room {
    char *jid;          /* the room's bare JID */
    char *nick;         /* ours */
    char *password;     /* to join again after a new login; wiped on leave */
    long history;       /* messages of history asked for; -1: the room's default */
    int joined;         /* our own presence came back (status 110) */
    char *subject;
    xw_occupant *occupants;
    size_t n, cap;      /* cap doubles: a realloc per occupant grew the wasm heap by the whole array */
} xw_room;

typedef struct xw_muc {
    xw_room *rooms;
    size_t n, cap;
} xw_muc;

typedef struct xw_client xw_client;

/* A presence from a room we are in (or joining): taken, returns 1; any
 * other presence: 0. */
int xw_muc_on_presence(xw_client *c, const xw_node *st);
/* A groupchat message: the room's, or dropped. */
void xw_muc_on_message(xw_client *c, const xw_node *st);
/* A new login is online: join again every room we were in. */
void xw_muc_rejoin(xw_client *c);
/* The room with that bare JID, or NULL. */
xw_room *xw_muc_find(xw_muc *m, const char *room_jid);
/* For the next page: the rooms (without passwords) and their occupants. */
xw_node *xw_muc_save(const xw_muc *m, const char *ns);
XW_MUST_CHECK int xw_muc_restore(xw_muc *m, const xw_node *saved);
/* After a reload that carried on the session: "room-joined" (restored),
 * "occupant" and "room-subject" events for what is held. */
void xw_muc_emit_restored(xw_client *c);
void xw_muc_free(xw_muc *m);

#endif
