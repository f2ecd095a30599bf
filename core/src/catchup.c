/* catchup.c: what a new login after a lost session fetches from our
 * message archive, and which messages were already delivered.
 *
 * Catch-up (XEP-0313 with RSM, XEP-0059): before initial presence, the
 * login pages through the archive from the archive id of the last message
 * the app got (or, having got none, from a minute before the first login),
 * delivering what the app never saw, in archive order. Only then does
 * presence go out: until it does, messages to our bare JID wait in offline
 * storage (RFC 6121 §8.5.2.1.1) instead of racing the archive pages. The
 * catch-up ends when a page is the last, when a page brings nothing new
 * (an archive that answers "not complete" forever), at catch_up_max, or on
 * an error or timeout.
 *
 * Deduplication: a copy of a delivered message can come again, and only
 * where a resend can happen. Two rules:
 *  - archive ids (the stanza-id our own server stamps, by our bare JID;
 *    XEP-0359 §4 has the server strip any other claim to it): a message
 *    whose archive id was delivered is a copy (offline storage after a
 *    catch-up, a resent stanza). Unique by construction, so always on.
 *  - in the resend window (from a catch-up's start or a stream resumption
 *    until resend_window_ms after it), copies our server routes again
 *    under a new archive id (ejabberd 23.01 does for the stanzas a lost
 *    session had pending): a message is a copy when it has the sender
 *    (the 'from' our server stamps) and the origin-id (XEP-0359 §3; or, if
 *    the sender set none, the id and body) of one delivered in the window
 *    by a resend path (an archive result, or a stanza our server marks
 *    with a <delay/> of its own), or, if it came by a resend path itself,
 *    of any one delivered in the window. Two plain live messages are never
 *    copies of each other, so a bot saying "ok" with id 1 twice is heard
 *    twice. Since the sender is part of the key, a sender can at most hide
 *    its own messages.
 *  - origin-ids (XEP-0359 §3: the sender's own, unique): a message with
 *    the sender's bare JID (an occupant's full JID through a room) and
 *    origin-id of one delivered is a copy, at any time. A sender that got
 *    no receipt sends it again with both unchanged (receipts.h); a
 *    different message never shares them. Again a sender can only hide its
 *    own messages. */
#include "client.h"
#include "im.h"
#include "mam.h"

#include <stdlib.h>
#include <string.h>

/* With no archive id seen yet, the catch-up starts this long before the
 * first login went online: the server's clock and ours differ. */
#define CLOCK_MARGIN_MS 60000.0

/* ---------------------------------------------------------- dedup window */

void xw_dedup_open_window(xw_client *c, double until) { c->resend_window_until = until < 0 ? 1e300 : until; }

static int window_open(xw_client *c) {
    if (c->resend_window_until < 0) return 0;
    if (c->now_ms < c->resend_window_until) return 1;
    c->resend_window_until = -1;
    xw_keyset_clear(&c->resent);
    xw_keyset_clear(&c->fresh);
    return 0;
}

/* The key of msg's content in keyset ks: sender and origin-id, else
 * sender, id and body; 0 when it has neither. */
static uint64_t content_key(xw_keyset *ks, const xw_node *msg) {
    const char *from = xw_node_attr(msg, "from");
    const char *origin = xw_mam_origin_id(msg);
    if (origin) {
        const char *parts[] = {"origin", from, origin};
        return xw_keyset_digest(ks, parts, 3);
    }
    const char *id = xw_node_attr(msg, "id");
    const xw_node *body = xw_node_child(msg, "body", XW_NS_CLIENT);
    if (!id || !body) return 0;
    xw_buf text = {0};
    uint64_t d = 0;
    if (!xw_node_text(body, &text)) {
        const char *parts[] = {"id+body", from, id, text.data ? text.data : ""};
        d = xw_keyset_digest(ks, parts, 4);
    }
    xw_buf_free(&text);
    return d;
}

/* Remembers a digest; without memory a copy may be shown again, which
 * the app hears about. */
static void note(xw_client *c, xw_keyset *ks, uint64_t digest) {
    if (xw_keyset_add(ks, digest))
        xw_client_emit_error(c, "resource-constraint", "out of memory: a copy of this message may be shown again");
}

/* Whether msg is a copy of one delivered in the window; remembers it if
 * not. `resend_path`: it came by a way copies come. */
static int copy_in_window(xw_client *c, const xw_node *msg, int resend_path) {
    if (!window_open(c)) return 0;
    uint64_t in_resent = content_key(&c->resent, msg);
    uint64_t in_fresh = content_key(&c->fresh, msg);
    if (!in_resent) return 0;
    if (xw_keyset_has(&c->resent, in_resent) || (resend_path && xw_keyset_has(&c->fresh, in_fresh))) return 1;
    if (resend_path) note(c, &c->resent, in_resent);
    else note(c, &c->fresh, in_fresh);
    return 0;
}

/* Whether msg's sender already had a message with its origin-id
 * delivered; remembers it if not. A message without one is never a copy
 * by this rule. */
static int origin_seen(xw_client *c, const xw_node *msg) {
    const char *origin = xw_mam_origin_id(msg), *from = xw_node_attr(msg, "from");
    if (!origin || !from) return 0;
    /* The bare JID: what comes before the resource's '/' (RFC 7622 §3.1);
     * but through a room we are in, the occupant (room@service/nick):
     * occupants share the room's bare JID and may not hide each other's
     * private messages. */
    const char *slash = strchr(from, '/');
    char *bare = xw_strndup(from, slash ? (size_t)(slash - from) : strlen(from));
    if (bare && slash && xw_muc_find(&c->muc, bare)) {
        free(bare);
        bare = xw_strdup(from);
    }
    const char *parts[] = {bare, origin};
    uint64_t key = bare ? xw_keyset_digest(&c->origins, parts, 2) : 0;
    free(bare);
    if (!key) return 0;
    if (xw_keyset_has(&c->origins, key)) return 1;
    note(c, &c->origins, key);
    return 0;
}

static uint64_t archive_key(xw_client *c, const char *archive_id) {
    const char *parts[] = {archive_id};
    return xw_keyset_digest(&c->archive_ids, parts, 1);
}

static void remember_delivered(xw_client *c, uint64_t archive_key_digest, const char *archive_id) {
    if (!archive_id) return;
    note(c, &c->archive_ids, archive_key_digest);
    /* The next catch-up starts after the last message the app got. */
    char *copy = xw_strdup(archive_id);
    if (copy) {
        free(c->catch_up_after);
        c->catch_up_after = copy;
    }
}


/* ---------------------------------------------------------------- catch-up */

static void query_done(void *owner, const xw_node *answer, int ok, const char *condition, int token) {
    xw_client *c = owner;
    (void)token;
    if (answer) xw_catchup_page_done(c, answer, ok);
    else xw_catchup_finish(c, condition, 0);
}

static void send_query(xw_client *c, const char *after) {
    xw_session *s = &c->s;
    free(s->mam_queryid);
    s->mam_queryid = xw_client_new_id(c);
    if (!s->mam_queryid) {
        xw_catchup_finish(c, "resource-constraint", 0);
        return;
    }
    unsigned long left = c->catch_up_max - s->mam_fetched;
    unsigned page = c->catch_up_page_cap && c->catch_up_page_cap < c->catch_up_page ? c->catch_up_page_cap
                                                                                    : c->catch_up_page;
    s->mam_page_asked = (unsigned)(left < page ? left : page);
    s->mam_page_got = s->mam_page_new = 0;
    char start[32];
    xw_format_utc(c->first_online_ms - CLOCK_MARGIN_MS, 0, start);
    xw_node *query = NULL;
    int rc = xw_mam_build_query(&query, s->mam_queryid, NULL, after, NULL, start, s->mam_page_asked);
    if (!rc) rc = xw_session_iq(c, "set", NULL, query, 0, query_done, 0);
    if (rc < 0) xw_catchup_finish(c, rc == XW_ERR_LIMIT ? "resource-constraint" : "internal-error", 0);
}

void xw_catchup_start(xw_client *c) {
    xw_session *s = &c->s;
    s->catching_up = 1;
    s->mam_fetched = s->mam_delivered = 0;
    /* Copies may come until well after it ends (see the header). */
    xw_dedup_open_window(c, -1);
    send_query(c, c->catch_up_after);
}

void xw_catchup_finish(xw_client *c, const char *condition, int complete) {
    xw_session *s = &c->s;
    if (!s->catching_up) return;
    s->catching_up = 0;
    free(s->mam_queryid);
    s->mam_queryid = NULL;
    xw_event e;
    xw_event_begin(&e, &c->events, "caught-up");
    xw_event_int(&e, "count", (long long)s->mam_delivered);
    xw_event_bool(&e, "complete", complete);
    xw_event_str(&e, "condition", condition);
    xw_event_end(&e);
    if (complete) c->catch_up_page_cap = 0;
    xw_dedup_open_window(c, c->now_ms + c->resend_window_ms);
    xw_session_send_presence(c);
}

void xw_catchup_page_done(xw_client *c, const xw_node *iq, int ok) {
    xw_session *s = &c->s;
    if (!s->catching_up) return;
    int complete = 0;
    const char *last = NULL;
    if (!ok) {
        /* No archive (feature-not-implemented, service-unavailable) or the
         * id is gone (item-not-found): nothing more to fetch. */
        const xw_node *err = xw_node_child(iq, "error", NULL);
        const xw_node *cond = err ? xw_node_child(err, NULL, "urn:ietf:params:xml:ns:xmpp-stanzas") : NULL;
        xw_catchup_finish(c, cond ? cond->name : "undefined-condition", 0);
    } else if (xw_mam_fin(iq, &complete, NULL, &last)) {
        xw_catchup_finish(c, "bad-format", 0);
    } else if (complete || !last) {
        xw_catchup_finish(c, NULL, complete);
    } else if (!s->mam_page_new) {
        /* "Not complete", yet nothing new: asking again would loop. */
        xw_catchup_finish(c, "undefined-condition", 0);
    } else if (s->mam_fetched >= c->catch_up_max) {
        xw_catchup_finish(c, "resource-constraint", 0);
    } else {
        send_query(c, last);
    }
}

/* A result of our archive query (XEP-0313 §5.3). */
static void on_archived(xw_client *c, const xw_node *st) {
    xw_session *s = &c->s;
    const char *queryid = NULL, *archive_id = NULL, *stamp = NULL;
    const xw_node *m = xw_mam_result(st, &queryid, &archive_id, &stamp);
    const char *from = xw_node_attr(st, "from");
    /* XEP-0313 §9.2: only results of our open query, from our own archive. */
    if (!s->catching_up || !c->archive_jid || !queryid || strcmp(queryid, s->mam_queryid) != 0 ||
        (from && !xw_jid_equal(from, c->archive_jid, 0))) {
        xw_client_emit_error(c, "spoofed-archive-result",
                             "dropped an archive result that answers no query of ours (XEP-0313 §9.2)");
        return;
    }
    if (!m) {
        xw_client_emit_error(c, "bad-format", "dropped a malformed archive result (XEP-0313 §5.3)");
        return;
    }
    /* XEP-0059 §2.1: no more than asked for; a server that floods the
     * query does not get to push unbounded work into the page. */
    if (++s->mam_page_got > s->mam_page_asked) {
        xw_client_emit_error(c, "resource-constraint",
                             "dropped an archive result beyond the page size asked for (XEP-0059 §2.1)");
        return;
    }
    s->mam_fetched++;
    uint64_t key = archive_key(c, archive_id);
    if (xw_keyset_has(&c->archive_ids, key)) return; /* delivered before */
    s->mam_page_new++;
    const char *sender = xw_node_attr(m, "from");
    if (sender && xw_jid_equal(sender, c->archive_jid, 1)) {
        /* Our own outgoing messages are archived too. One the lost session
         * could not confirm reached the server after all: its origin-id
         * (ours, unique) says which, so it is not sent twice. */
        note(c, &c->archive_ids, key);
        xw_outbox_mark_archived(&c->outbox, xw_mam_origin_id(m));
        return;
    }
    if (copy_in_window(c, m, 1) || origin_seen(c, m)) {
        note(c, &c->archive_ids, key);
        return;
    }
    s->mam_delivered++;
    remember_delivered(c, key, archive_id);
    xw_msg_meta meta = {0};
    meta.stanza_id = archive_id;
    meta.delay = stamp;
    meta.archived = 1;
    xw_message_deliver(c, m, &meta);
}

void xw_archive_on_result(xw_client *c, const xw_node *st) {
    if (!xw_history_on_result(c, st)) on_archived(c, st);
}

int xw_dedup_take(xw_client *c, const xw_node *msg, const char **stanza_id) {
    *stanza_id = c->archive_jid ? xw_mam_stanza_id(msg, c->archive_jid) : NULL;
    uint64_t key = *stanza_id ? archive_key(c, *stanza_id) : 0;
    if (key && xw_keyset_has(&c->archive_ids, key)) return 1; /* a copy of one delivered */
    int resend_path = xw_mam_server_delayed(msg, c->jid.domain, c->archive_jid);
    if (copy_in_window(c, msg, resend_path) || origin_seen(c, msg)) return 1;
    remember_delivered(c, key, *stanza_id);
    return 0;
}
