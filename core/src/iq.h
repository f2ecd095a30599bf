/* iq.h: the IQ requests awaiting an answer (RFC 6120 §8.2.3): by id, with
 * the entity that must answer, what to do with the answer, a token for
 * the app's, and a deadline. One table per login. */
#ifndef XW_IQ_H
#define XW_IQ_H

#include <stddef.h>

#include "util.h"
#include "xml.h"

/* What becomes of a request: `answer` is the result or error that came
 * (NULL when none did: it timed out, or was skipped over a limit), `ok`
 * whether it was a result, `condition` why not, `token` the app's (0 for
 * the core's own requests). */
typedef void (*xw_iq_fn)(void *owner, const xw_node *answer, int ok, const char *condition, int token);

typedef struct xw_iq {
    char *id;
    char *to;        /* NULL: addressed to our own account (no 'to') */
    xw_iq_fn done;
    int token;       /* handed to the app; 0 for the core's own requests */
    double deadline; /* absolute ms; -1 for none */
} xw_iq;

typedef struct xw_iq_table {
    xw_iq *v;
    size_t n, cap; /* cap doubles: a realloc per request grew the wasm heap by the whole table */
    size_t max; /* at most this many awaited at once */
} xw_iq_table;

/* Adds a request (copying id and to). NULL at `max` or on OOM. The
 * returned entry is valid until the table next changes. */
xw_iq *xw_iq_track(xw_iq_table *t, const char *id, const char *to, xw_iq_fn done, int token, double deadline);
/* Index of the request with that id, or -1. */
long xw_iq_find(const xw_iq_table *t, const char *id);
/* RFC 6120 §8.1.2.1: may `from` answer `q`? A request with a 'to' is
 * answered by that entity; one without (to our own account: bind,
 * session, archive, roster) only with no 'from', our bare JID or our full
 * JID, never by another resource of our account or anyone else. */
int xw_iq_answer_from_ok(const xw_iq *q, const char *from, const char *own_bare, const char *own_full);
/* Removes entry i (order is not kept). */
void xw_iq_remove(xw_iq_table *t, size_t i);
/* Index of a request whose deadline is at or before now, or -1. */
long xw_iq_expired(const xw_iq_table *t, double now_ms);
/* The earliest deadline, or -1. */
double xw_iq_next_deadline(const xw_iq_table *t);
/* Forgets every request (the entries' memory is kept for reuse). */
void xw_iq_clear(xw_iq_table *t);
void xw_iq_free(xw_iq_table *t);

#endif
