/* history.h: the app's archive queries (see history.c). Internal. */
#ifndef XW_HISTORY_H
#define XW_HISTORY_H

#include <stddef.h>

#include "util.h"
#include "xml.h"

typedef struct xw_history_query {
    char *queryid;
    char *archive; /* a room's JID; NULL: our own archive */
    int token;
    unsigned got, max;
} xw_history_query;

typedef struct xw_history {
    xw_history_query *v;
    size_t n, cap; /* cap doubles: a realloc per query grew the wasm heap by the whole list */
} xw_history;

typedef struct xw_client xw_client;

/* An archive result: 1 when it answers one of our history queries (taken
 * or dropped), 0 when it is none of theirs. */
int xw_history_on_result(xw_client *c, const xw_node *st);
/* Forgets the open queries (their IQs end with the session). */
void xw_history_clear(xw_history *h);

#endif
