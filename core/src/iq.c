/* iq.c: the table of IQ requests awaiting an answer (see iq.h). */
#include "iq.h"

#include <stdlib.h>
#include <string.h>

#include "jid.h"

xw_iq *xw_iq_track(xw_iq_table *t, const char *id, const char *to, xw_iq_fn done, int token, double deadline) {
    if (t->n >= t->max) return NULL;
    if (t->n == t->cap) {
        xw_iq *grown = xw_grow(t->v, &t->cap, sizeof *grown, 8);
        if (!grown) return NULL;
        t->v = grown;
    }
    xw_iq *q = &t->v[t->n];
    q->id = xw_strdup(id);
    q->to = to ? xw_strdup(to) : NULL;
    if (!q->id || (to && !q->to)) {
        free(q->id);
        free(q->to);
        return NULL;
    }
    q->done = done;
    q->token = token;
    q->deadline = deadline;
    t->n++;
    return q;
}

long xw_iq_find(const xw_iq_table *t, const char *id) {
    for (size_t i = 0; id && i < t->n; i++)
        if (strcmp(t->v[i].id, id) == 0) return (long)i;
    return -1;
}

int xw_iq_answer_from_ok(const xw_iq *q, const char *from, const char *own_bare, const char *own_full) {
    if (q->to) return from && xw_jid_equal(from, q->to, 0);
    if (!from) return 1;
    return (own_bare && xw_jid_equal(from, own_bare, 0)) || (own_full && xw_jid_equal(from, own_full, 0));
}

void xw_iq_remove(xw_iq_table *t, size_t i) {
    xw_iq gone = t->v[i];
    t->n--;
    t->v[i] = t->v[t->n]; /* order does not matter: the last entry fills the hole */
    free(gone.id);
    free(gone.to);
}

long xw_iq_expired(const xw_iq_table *t, double now_ms) {
    for (size_t i = 0; i < t->n; i++)
        if (t->v[i].deadline >= 0 && now_ms >= t->v[i].deadline) return (long)i;
    return -1;
}

double xw_iq_next_deadline(const xw_iq_table *t) {
    double d = -1;
    for (size_t i = 0; i < t->n; i++)
        if (t->v[i].deadline >= 0 && (d < 0 || t->v[i].deadline < d)) d = t->v[i].deadline;
    return d;
}

void xw_iq_clear(xw_iq_table *t) {
    for (size_t i = 0; i < t->n; i++) {
        free(t->v[i].id);
        free(t->v[i].to);
    }
    t->n = 0;
}

void xw_iq_free(xw_iq_table *t) {
    xw_iq_clear(t);
    free(t->v);
    t->v = NULL;
    t->cap = 0;
}
