/* outbox.h: the app's messages until the server is known to have them.
 *
 * `sent` holds this session's messages the server has not acknowledged
 * yet, oldest first: a message counts as received once the BOSH request
 * carrying it is answered (XEP-0124 §9.1), or, in a resumable XEP-0198
 * stream, once the server's 'h' covers it. When a session is lost, what is
 * left of `sent` moves to the front of `queued`, marked `resend`, and the
 * app's messages sent while reconnecting queue behind them. The next
 * session sends the queue in order once it is online (and caught up),
 * skipping each resend the server turns out to have had: the resumed
 * stream's 'h' says so, or the answer to its request had come, or the
 * catch-up found it in our own archive. */
#ifndef XW_OUTBOX_H
#define XW_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

typedef struct xw_out_msg {
    char *to, *type, *body, *subject, *thread, *id, *origin_id; /* body, subject, thread: NULL when absent */
    uint64_t mark;  /* the BOSH queue mark just after its bytes (xw_bosh_queue_end) */
    uint32_t seq;   /* its XEP-0198 sequence number; 0 when not counted */
    int resend;     /* from a lost session */
    int delivered;  /* (resend) the request carrying it was answered */
    int archived;   /* (resend) the catch-up found it in our own archive */
} xw_out_msg;

/* Each list is sent[0 .. nsent) and queued[0 .. nqueued), oldest first,
 * inside storage that grows by doubling and is dropped from the front by
 * moving the pointer: a burst of thousands of messages costs amortized
 * constant time each (a realloc per message had emmalloc grow the wasm
 * heap once per message). */
typedef struct xw_outbox {
    xw_out_msg *sent;
    size_t nsent;
    xw_out_msg *queued;
    size_t nqueued;
    size_t max_queued; /* the app's messages waiting at once, at most */
    size_t nown;       /* ... of queued, the app's (not resends) */
    xw_out_msg *sent_store, *queued_store;
    size_t sent_cap, queued_cap;
} xw_outbox;

/* Past this many messages awaiting a resumable stream's 'h', the BOSH
 * answers decide instead: a server slow to acknowledge cannot make the
 * list grow without bound. */
#define XW_OUTBOX_MAX_TRACKED 1000

/* Copies the strings of m into a new entry appended to `sent`. */
XW_MUST_CHECK int xw_outbox_track(xw_outbox *ob, const xw_out_msg *m);
/* Forgets the sent messages the server has acknowledged. */
void xw_outbox_prune(xw_outbox *ob, uint64_t bosh_acked, int sm_resumable, uint32_t sm_acked);
/* The session is lost: what the server may not have moves to the front of
 * the queue, marked resend, in the order sent. */
void xw_outbox_session_lost(xw_outbox *ob, uint64_t bosh_acked, int sm_resumable, uint32_t sm_acked);
/* Queues one of the app's messages (copied) behind the others; XW_ERR_LIMIT
 * past max_queued. */
XW_MUST_CHECK int xw_outbox_queue(xw_outbox *ob, const xw_out_msg *m);
/* Our own message with this origin-id (XEP-0359, ours, unique) is in our
 * archive: the server had it. */
void xw_outbox_mark_archived(xw_outbox *ob, const char *origin_id);
/* Drops from the front of the queue every resend the server had: with a
 * resumed stream (resumed_h >= 0) those its 'h' covers; otherwise those
 * delivered or archived. Returns the first message still to send, or NULL. */
xw_out_msg *xw_outbox_next(xw_outbox *ob, long long resumed_h);
/* Removes the first queued message (after it was sent). */
void xw_outbox_pop(xw_outbox *ob);
/* dst becomes a copy of src with strings of its own; XW_ERR_NOMEM leaves
 * dst empty. */
XW_MUST_CHECK int xw_out_msg_copy(xw_out_msg *dst, const xw_out_msg *src);
void xw_out_msg_free(xw_out_msg *m);
void xw_outbox_free(xw_outbox *ob);

#endif
