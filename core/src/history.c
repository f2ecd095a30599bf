/* history.c: the app's history queries (XEP-0313 with XEP-0059): one
 * conversation's archive, a page at a time, newest first: the first page
 * is the latest (an empty <before/>), the next is asked for before the
 * first id of the last one, until the archive says it is complete. A
 * room's history comes from the room's own archive. Each archived message
 * reaches the app as a "message" event with the query's token; a
 * "history" event ends the page. Only our open queries' results, from the
 * archive asked, are taken (XEP-0313 §9.2). */
#include "history.h"

#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "im.h"
#include "jid.h"
#include "mam.h"

static void query_free(xw_history_query *q) {
    free(q->queryid);
    free(q->archive);
}

void xw_history_clear(xw_history *h) {
    for (size_t i = 0; i < h->n; i++) query_free(&h->v[i]);
    free(h->v);
    h->v = NULL;
    h->n = h->cap = 0;
}

static long by_token(const xw_history *h, int token) {
    for (size_t i = 0; i < h->n; i++)
        if (h->v[i].token == token) return (long)i;
    return -1;
}

static void page_done(void *owner, const xw_node *answer, int ok, const char *condition, int token) {
    xw_client *c = owner;
    long at = by_token(&c->history, token);
    unsigned count = at >= 0 ? c->history.v[at].got : 0;
    int complete = 0;
    const char *first = NULL, *last = NULL;
    if (ok && answer && xw_mam_fin(answer, &complete, &first, &last)) {
        ok = 0;
        condition = "bad-format";
    }
    xw_event e;
    xw_event_begin(&e, &c->events, "history");
    xw_event_int(&e, "token", token);
    xw_event_bool(&e, "ok", ok);
    if (!ok) xw_event_str(&e, "condition", condition);
    if (ok) {
        xw_event_bool(&e, "complete", complete);
        xw_event_str(&e, "first", first);
        xw_event_str(&e, "last", last);
        xw_event_int(&e, "count", count);
    }
    xw_event_end(&e);
    if (at >= 0) {
        query_free(&c->history.v[at]);
        c->history.v[at] = c->history.v[--c->history.n];
    }
}

int xw_history_on_result(xw_client *c, const xw_node *st) {
    const char *queryid = NULL, *archive_id = NULL, *stamp = NULL;
    const xw_node *m = xw_mam_result(st, &queryid, &archive_id, &stamp);
    xw_history_query *q = NULL;
    for (size_t i = 0; queryid && i < c->history.n; i++)
        if (!strcmp(c->history.v[i].queryid, queryid)) q = &c->history.v[i];
    if (!q) return 0; /* not ours: maybe the catch-up's */
    const char *from = xw_node_attr(st, "from");
    const char *archive = q->archive ? q->archive : c->archive_jid;
    /* XEP-0313 §9.2: from the archive asked (ours may say no 'from'). */
    if ((from || q->archive) && (!from || !archive || !xw_jid_equal(from, archive, 0))) {
        xw_client_emit_error(c, "spoofed-archive-result", "dropped an archive result not from the archive asked (XEP-0313 §9.2)");
        return 1;
    }
    if (!m) {
        xw_client_emit_error(c, "bad-format", "dropped a malformed archive result (XEP-0313 §5.3)");
        return 1;
    }
    if (++q->got > q->max) {
        xw_client_emit_error(c, "resource-constraint", "dropped an archive result beyond the page size asked for (XEP-0059 §2.1)");
        return 1;
    }
    xw_msg_meta meta = {0};
    meta.stanza_id = archive_id;
    meta.delay = stamp;
    meta.archived = 1;
    meta.history = q->token;
    /* A room's archived message is from room/nick. */
    const char *sender = xw_node_attr(m, "from");
    char *nick = NULL;
    xw_jid j;
    if (q->archive) meta.room = q->archive;
    if (q->archive && sender && !xw_jid_parse(sender, strlen(sender), &j)) {
        nick = j.resource ? xw_strdup(j.resource) : NULL;
        xw_jid_free(&j);
        meta.nick = nick;
        const xw_room *r = xw_muc_find(&c->muc, q->archive);
        meta.outgoing = nick && r && r->nick && !strcmp(nick, r->nick);
    } else if (!q->archive) {
        /* Our archive holds what we sent too: from our bare JID. */
        meta.outgoing = sender && c->archive_jid && xw_jid_equal(sender, c->archive_jid, 1);
    }
    xw_message_deliver(c, m, &meta);
    free(nick);
    return 1;
}

int xw_client_history(xw_client *c, const char *with, const char *before, unsigned max) {
    if (!xw_session_online(c)) return XW_ERR_STATE;
    if (with && xw_client_validate_to(with)) return XW_ERR_JID;
    if ((before && !xw_im_is_xml_text(before)) || max > 1000) return XW_ERR_INVALID;
    if (!max) max = 50;
    /* A room we are in keeps its own archive (XEP-0313 §6). */
    const xw_room *room = with ? xw_muc_find(&c->muc, with) : NULL;
    xw_history_query q = {0};
    q.queryid = xw_client_new_id(c);
    q.archive = room ? xw_strdup(room->jid) : NULL;
    q.max = max;
    xw_history *h = &c->history;
    if (h->n == h->cap) {
        xw_history_query *grown = xw_grow(h->v, &h->cap, sizeof *grown, 4);
        if (grown) h->v = grown;
    }
    if (!q.queryid || (room && !q.archive) || h->n == h->cap) {
        query_free(&q);
        return XW_ERR_NOMEM;
    }
    xw_node *query = NULL;
    int rc = xw_mam_build_query(&query, q.queryid, room ? NULL : with, NULL, before ? before : "", NULL, max);
    if (!rc) rc = xw_session_iq(c, "set", q.archive, query, 0, page_done, 1);
    if (rc <= 0) {
        query_free(&q);
        return rc ? rc : XW_ERR_STATE;
    }
    q.token = rc;
    c->history.v[c->history.n++] = q;
    return rc;
}
