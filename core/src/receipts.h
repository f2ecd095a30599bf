/* receipts.h: our one-to-one messages until the peer's client confirms
 * them (XEP-0184 receipts, or a XEP-0333 marker naming them), and which
 * to send once more.
 *
 * Why: the server acknowledging a message (outbox.h) does not mean the
 * peer gets it. When the server node that held the peer's session dies, a
 * message routed to that session before the cluster notices is neither
 * delivered nor archived for the peer nor stored offline (ejabberd
 * archives for the recipient in the recipient's session process); when our
 * own node dies, a message it acknowledged but had not routed on is gone,
 * though our outbox counts it as the server's. Only the sender can recover
 * either.
 *
 * The rule: a peer known to answer receipts (it has sent us one, in this
 * client's life) that comes online (an available presence from any of its
 * resources) gets, after a grace period for receipts still on their way,
 * every message we sent it before that moment which it has not confirmed:
 * at most XW_RECEIPT_MAX_RESENDS times each, and only those sent within
 * XW_RECEIPT_KEEP_MS. XEP-0184 §4 advises against resending unless the
 * peer is known to honour receipts: hence "known to answer". A resend
 * keeps the message's id and origin-id, so the peer's client drops it as
 * a copy if it had it (XEP-0359 §3; see catchup.c) and answers the receipt,
 * and it carries its first sending time (XEP-0203) for the peer to place
 * it by.
 *
 * Not kept: private messages through a room (room@service/nick; a
 * nickname can change hands before a resend), and group chat (no receipts).
 *
 * Memory: at most `max` messages (0 turns this off). When full, the oldest
 * is forgotten if its peer is not known to answer; else the new message is
 * not kept: the oldest unconfirmed are those a lost node took. */
#ifndef XW_RECEIPTS_H
#define XW_RECEIPTS_H

#include <stddef.h>

#include "dedup.h"
#include "outbox.h"
#include "util.h"

/* A message unconfirmed for this long is no longer sent again. */
#define XW_RECEIPT_KEEP_MS 300000.0
/* After the peer comes online, how long the receipts for what we sent
 * before may take to arrive before those messages count as lost. */
#define XW_RECEIPT_GRACE_MS 2000.0
#define XW_RECEIPT_MAX_RESENDS 3

typedef struct xw_awaited {
    xw_out_msg msg; /* as first sent: its id and origin-id go out again unchanged */
    char *peer;     /* the bare JID it went to */
    double sent_ms; /* when it was first sent; < 0 until stamped */
    double due_ms;  /* when to send it again if still unconfirmed; < 0: not due */
    unsigned resends;
} xw_awaited;

/* v[0 .. n) oldest first, inside store (capacity cap), dropped from the
 * front by moving v: receipts mostly confirm the oldest. */
typedef struct xw_receipts {
    xw_awaited *v, *store;
    size_t n, cap;
    size_t ndue;         /* ... of them, how many are due (due_ms >= 0) */
    size_t max;          /* messages kept at most; 0: off */
    xw_keyset answering; /* bare JIDs that have sent us a receipt */
} xw_receipts;

/* Sets up the empty list (with `max` set by the caller). */
void xw_receipts_init(xw_receipts *r);
/* Keeps a copy of m, sent to peer_bare at now_ms; now_ms < 0 when the
 * caller has no current time (the app's call carries none): the next
 * xw_receipts_stamp sets it. Without memory it is not kept (the caller
 * tells the app). */
XW_MUST_CHECK int xw_receipts_track(xw_receipts *r, const xw_out_msg *m, const char *peer_bare, double now_ms);
/* Gives the messages kept without a time (the newest) now_ms. */
void xw_receipts_stamp(xw_receipts *r, double now_ms);
/* peer_bare confirmed our message `id`: forget it, and count the peer as
 * one that answers. */
void xw_receipts_confirmed(xw_receipts *r, const char *peer_bare, const char *id);
/* peer_bare came online at now_ms: if it answers receipts, what it has not
 * confirmed of ours falls due after the grace period. */
void xw_receipts_peer_online(xw_receipts *r, const char *peer_bare, double now_ms);
/* The oldest message due to be sent again at now_ms, or NULL; forgets
 * those too old to resend. Mark it with xw_receipts_resent once sent. */
xw_awaited *xw_receipts_due(xw_receipts *r, double now_ms);
void xw_receipts_resent(xw_receipts *r, xw_awaited *a);
/* When the next message falls due, or -1. */
double xw_receipts_next_deadline(const xw_receipts *r);
void xw_receipts_free(xw_receipts *r);

#endif
