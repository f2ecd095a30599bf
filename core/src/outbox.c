/* outbox.c: the app's messages until the server has them (see outbox.h). */
#include "outbox.h"

#include <stdlib.h>
#include <string.h>

void xw_out_msg_free(xw_out_msg *m) {
    free(m->to);
    free(m->type);
    free(m->body);
    free(m->subject);
    free(m->thread);
    free(m->id);
    free(m->origin_id);
    memset(m, 0, sizeof *m);
}

int xw_out_msg_copy(xw_out_msg *dst, const xw_out_msg *src) {
    *dst = *src;
    dst->to = src->to ? xw_strdup(src->to) : NULL;
    dst->type = src->type ? xw_strdup(src->type) : NULL;
    dst->body = src->body ? xw_strdup(src->body) : NULL;
    dst->subject = src->subject ? xw_strdup(src->subject) : NULL;
    dst->thread = src->thread ? xw_strdup(src->thread) : NULL;
    dst->id = src->id ? xw_strdup(src->id) : NULL;
    dst->origin_id = src->origin_id ? xw_strdup(src->origin_id) : NULL;
    if ((src->to && !dst->to) || (src->type && !dst->type) || (src->body && !dst->body) ||
        (src->subject && !dst->subject) || (src->thread && !dst->thread) ||
        (src->id && !dst->id) || (src->origin_id && !dst->origin_id)) {
        xw_out_msg_free(dst);
        return XW_ERR_NOMEM;
    }
    return XW_OK;
}

/* Makes room for one more entry at the end of list [*v, *v + n) in
 * *store (capacity *cap): see xw_queue_reserve. */
static int reserve_one(xw_out_msg **store, size_t *cap, xw_out_msg **v, size_t n) {
    size_t head = *store ? (size_t)(*v - *store) : 0;
    xw_out_msg *moved = xw_queue_reserve(*store, cap, &head, n, sizeof *moved);
    if (moved) *store = moved;
    if (*store) *v = *store + head;
    return moved ? XW_OK : XW_ERR_NOMEM;
}

static int append(xw_out_msg **store, size_t *cap, xw_out_msg **v, size_t *n, const xw_out_msg *m) {
    int rc = reserve_one(store, cap, v, *n);
    if (rc) return rc;
    rc = xw_out_msg_copy(&(*v)[*n], m);
    if (!rc) (*n)++;
    return rc;
}

int xw_outbox_track(xw_outbox *ob, const xw_out_msg *m) {
    return append(&ob->sent_store, &ob->sent_cap, &ob->sent, &ob->nsent, m);
}

/* Whether the server may not have m yet: with a resumable stream only its
 * 'h' says (a lost stream is resumed with it); otherwise the answer to the
 * request that carried it. */
static int unconfirmed(const xw_outbox *ob, const xw_out_msg *m, uint64_t bosh_acked, int sm_resumable,
                       uint32_t sm_acked) {
    if (sm_resumable && m->seq && ob->nsent <= XW_OUTBOX_MAX_TRACKED) return m->seq > sm_acked;
    return m->mark > bosh_acked;
}

void xw_outbox_prune(xw_outbox *ob, uint64_t bosh_acked, int sm_resumable, uint32_t sm_acked) {
    size_t n = 0;
    while (n < ob->nsent && !unconfirmed(ob, &ob->sent[n], bosh_acked, sm_resumable, sm_acked))
        xw_out_msg_free(&ob->sent[n++]);
    if (!n) return; /* (sent may be NULL: no pointer arithmetic on it) */
    ob->sent += n;
    ob->nsent -= n;
    if (!ob->nsent) ob->sent = ob->sent_store;
}

void xw_outbox_session_lost(xw_outbox *ob, uint64_t bosh_acked, int sm_resumable, uint32_t sm_acked) {
    xw_outbox_prune(ob, bosh_acked, sm_resumable, sm_acked);
    if (!ob->nsent) return;
    size_t total = ob->nsent + ob->nqueued;
    size_t cap = ob->queued_cap ? ob->queued_cap : 16;
    while (cap <= total) cap *= 2;
    xw_out_msg *joined = malloc(cap * sizeof *joined);
    if (!joined) {
        /* Without memory the lost ones cannot be kept: better to drop them
         * than the app's own queue. */
        for (size_t i = 0; i < ob->nsent; i++) xw_out_msg_free(&ob->sent[i]);
        ob->nsent = 0;
        ob->sent = ob->sent_store;
        return;
    }
    for (size_t i = 0; i < ob->nsent; i++) {
        xw_out_msg *m = &ob->sent[i];
        m->resend = 1;
        m->delivered = m->mark <= bosh_acked;
        m->archived = 0;
        joined[i] = *m;
    }
    if (ob->nqueued) memcpy(joined + ob->nsent, ob->queued, ob->nqueued * sizeof *joined);
    free(ob->queued_store);
    ob->queued_store = ob->queued = joined;
    ob->queued_cap = cap;
    ob->nqueued = total;
    ob->nsent = 0;
    ob->sent = ob->sent_store;
}

int xw_outbox_queue(xw_outbox *ob, const xw_out_msg *m) {
    if (!m->resend && ob->nown >= ob->max_queued) return XW_ERR_LIMIT;
    int rc = append(&ob->queued_store, &ob->queued_cap, &ob->queued, &ob->nqueued, m);
    if (!rc && !m->resend) ob->nown++;
    return rc;
}

void xw_outbox_mark_archived(xw_outbox *ob, const char *origin_id) {
    for (size_t i = 0; origin_id && i < ob->nqueued; i++)
        if (ob->queued[i].resend && ob->queued[i].origin_id && strcmp(ob->queued[i].origin_id, origin_id) == 0)
            ob->queued[i].archived = 1;
}

static int server_had(const xw_out_msg *m, long long resumed_h) {
    if (!m->resend) return 0;
    if (resumed_h >= 0) return m->seq && (long long)m->seq <= resumed_h;
    return m->delivered || m->archived;
}

xw_out_msg *xw_outbox_next(xw_outbox *ob, long long resumed_h) {
    while (ob->nqueued && server_had(&ob->queued[0], resumed_h)) xw_outbox_pop(ob);
    return ob->nqueued ? &ob->queued[0] : NULL;
}

void xw_outbox_pop(xw_outbox *ob) {
    if (!ob->nqueued) return;
    if (!ob->queued[0].resend) ob->nown--;
    xw_out_msg_free(&ob->queued[0]);
    ob->queued++;
    if (!--ob->nqueued) ob->queued = ob->queued_store;
}

void xw_outbox_free(xw_outbox *ob) {
    for (size_t i = 0; i < ob->nsent; i++) xw_out_msg_free(&ob->sent[i]);
    for (size_t i = 0; i < ob->nqueued; i++) xw_out_msg_free(&ob->queued[i]);
    free(ob->sent_store);
    free(ob->queued_store);
    ob->sent = ob->queued = ob->sent_store = ob->queued_store = NULL;
    ob->nsent = ob->nqueued = ob->nown = ob->sent_cap = ob->queued_cap = 0;
}
