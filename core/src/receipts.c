/* receipts.c: our messages until the peer confirms them (see receipts.h). */
#include "receipts.h"

#include <stdlib.h>
#include <string.h>

/* Remembered at least this many answering peers (dedup.h's generations). */
#define ANSWERING_PEERS 256

static void forget_at(xw_receipts *r, size_t i) {
    if (r->v[i].due_ms >= 0) r->ndue--;
    xw_out_msg_free(&r->v[i].msg);
    free(r->v[i].peer);
    if (i == 0) {
        r->v++;
    } else {
        memmove(&r->v[i], &r->v[i + 1], (r->n - i - 1) * sizeof *r->v);
    }
    if (!--r->n) r->v = r->store;
}

/* Room for one more at the end (xw_queue_reserve, as the outbox's lists). */
static int reserve_one(xw_receipts *r) {
    size_t head = r->store ? (size_t)(r->v - r->store) : 0;
    xw_awaited *moved = xw_queue_reserve(r->store, &r->cap, &head, r->n, sizeof *moved);
    if (moved) r->store = moved;
    if (r->store) r->v = r->store + head;
    return moved ? XW_OK : XW_ERR_NOMEM;
}

void xw_receipts_init(xw_receipts *r) { xw_keyset_init(&r->answering, ANSWERING_PEERS); }

static uint64_t peer_key(xw_receipts *r, const char *peer_bare) {
    const char *parts[] = {peer_bare};
    return xw_keyset_digest(&r->answering, parts, 1);
}

/* Full: room is made by forgetting the oldest if it went to a peer not
 * known to answer receipts (it would never be sent again; such messages
 * drift to the front as the others are confirmed). Else the new one is not
 * kept: the oldest unconfirmed are the ones a lost server node took (those
 * sent after come from offline storage or the archive), so they stay.
 * (One look, not a scan: this runs for every message while full.) */
static int make_room(xw_receipts *r) {
    if (r->n < r->max) return 1;
    if (xw_keyset_has(&r->answering, peer_key(r, r->v[0].peer))) return 0;
    forget_at(r, 0);
    return 1;
}

int xw_receipts_track(xw_receipts *r, const xw_out_msg *m, const char *peer_bare, double now_ms) {
    if (!r->max || !m->id || !peer_bare || !make_room(r)) return XW_OK;
    int rc = reserve_one(r);
    if (rc) return rc;
    xw_awaited *a = &r->v[r->n];
    memset(a, 0, sizeof *a);
    a->peer = xw_strdup(peer_bare);
    if (!a->peer) return XW_ERR_NOMEM;
    rc = xw_out_msg_copy(&a->msg, m);
    if (rc) {
        free(a->peer);
        return rc;
    }
    a->msg.resend = a->msg.delivered = a->msg.archived = 0;
    a->sent_ms = now_ms;
    a->due_ms = -1;
    r->n++;
    return XW_OK;
}

void xw_receipts_stamp(xw_receipts *r, double now_ms) {
    for (size_t i = r->n; i > 0 && r->v[i - 1].sent_ms < 0; i--) r->v[i - 1].sent_ms = now_ms;
}

void xw_receipts_confirmed(xw_receipts *r, const char *peer_bare, const char *id) {
    if (!r->max || !peer_bare || !id) return;
    /* Without memory the peer is not remembered as answering: at worst no
     * resend, as before this module. */
    if (xw_keyset_add(&r->answering, peer_key(r, peer_bare))) return;
    for (size_t i = 0; i < r->n; i++)
        if (!strcmp(r->v[i].msg.id, id) && !strcmp(r->v[i].peer, peer_bare)) {
            forget_at(r, i);
            return;
        }
}

void xw_receipts_peer_online(xw_receipts *r, const char *peer_bare, double now_ms) {
    if (!r->n || !peer_bare || !xw_keyset_has(&r->answering, peer_key(r, peer_bare))) return;
    for (size_t i = 0; i < r->n; i++) {
        xw_awaited *a = &r->v[i];
        if (a->due_ms < 0 && a->sent_ms >= 0 && a->sent_ms <= now_ms && !strcmp(a->peer, peer_bare)) {
            a->due_ms = now_ms + XW_RECEIPT_GRACE_MS;
            r->ndue++;
        }
    }
}

xw_awaited *xw_receipts_due(xw_receipts *r, double now_ms) {
    while (r->n && r->v[0].sent_ms >= 0 && r->v[0].sent_ms + XW_RECEIPT_KEEP_MS <= now_ms) forget_at(r, 0);
    for (size_t i = 0; r->ndue && i < r->n; i++)
        if (r->v[i].due_ms >= 0 && r->v[i].due_ms <= now_ms) return &r->v[i];
    return NULL;
}

void xw_receipts_resent(xw_receipts *r, xw_awaited *a) {
    a->due_ms = -1;
    r->ndue--;
    if (++a->resends >= XW_RECEIPT_MAX_RESENDS) forget_at(r, (size_t)(a - r->v));
}

double xw_receipts_next_deadline(const xw_receipts *r) {
    double d = -1;
    for (size_t i = 0; r->ndue && i < r->n; i++)
        if (r->v[i].due_ms >= 0 && (d < 0 || r->v[i].due_ms < d)) d = r->v[i].due_ms;
    return d;
}

void xw_receipts_free(xw_receipts *r) {
    while (r->n) forget_at(r, 0);
    free(r->store);
    xw_keyset_free(&r->answering);
    r->v = r->store = NULL;
    r->cap = 0;
}
