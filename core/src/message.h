/* message.h: what becomes of a message that arrives (RFC 6121 §5): an
 * archive result goes to the catch-up or the history query it answers; a
 * carbon copy (XEP-0280) is unwrapped, only from our own account; a room's
 * message goes to the room (XEP-0045), only from a room we are in; a live
 * one is delivered unless it is a copy of one delivered. Delivering it
 * means the app hears of its receipt (XEP-0184), marker (XEP-0333) and
 * chat state (XEP-0085) as events of their own, and of its content as a
 * "message" event; and a receipt is sent back when asked for, to a
 * contact who sees our presence. Internal. */
#ifndef XW_MESSAGE_H
#define XW_MESSAGE_H

#include "util.h"
#include "xml.h"

#define XW_NS_RECEIPTS "urn:xmpp:receipts"
#define XW_NS_MARKERS "urn:xmpp:chat-markers:0"
#define XW_NS_CHATSTATES "http://jabber.org/protocol/chatstates"
#define XW_NS_HINTS "urn:xmpp:hints"
#define XW_NS_FORWARD "urn:xmpp:forward:0"

typedef struct xw_client xw_client;

/* How a message came, for its event. */
typedef struct xw_msg_meta {
    const char *stanza_id;  /* our archive's id (XEP-0359) */
    const char *delay;      /* XEP-0203 stamp, for a message from the archive */
    int archived;           /* from an archive query */
    int history;            /* the app's history query token, or 0 */
    const char *carbon;     /* "received" or "sent" for a carbon copy */
    const char *room, *nick; /* a room's message: the room and the sender's nickname */
    /* Sent by us: a sent carbon, our own message in our archive, or ours
     * in a room (our nickname there). Never taken from the stanza's 'from'
     * alone: anyone can send a message whose inner 'from' is ours. */
    int outgoing;
} xw_msg_meta;

XW_MUST_CHECK int xw_message_register(xw_client *c);
/* Hands a message to the app: its receipt, marker and chat state events,
 * then a "message" event for its content. */
void xw_message_deliver(xw_client *c, const xw_node *m, const xw_msg_meta *meta);

#endif
