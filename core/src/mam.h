/* mam.h: catching up from the server's message archive after a lost
 * session (XEP-0313 with RSM paging, XEP-0059), the archive ids stamped on
 * live messages (XEP-0359), and the memory of recently delivered messages
 * that keeps the app from seeing one twice. */
#ifndef XW_MAM_H
#define XW_MAM_H

#include <stdint.h>

#include "util.h"
#include "xml.h"

#define XW_NS_MAM "urn:xmpp:mam:2"

/* Builds the archive query <iq type='set'/> for our own archive: messages
 * after archive id `after` (RSM), or, without one, received since `start`
 * (an XEP-0082 timestamp), at most `max` per page. */
XW_MUST_CHECK int xw_mam_build_query(xw_node **out, const char *iq_id, const char *queryid, const char *after,
                                     const char *start, unsigned max);

/* A result message (XEP-0313 §5.3)? Returns the archived <message/>
 * inside it and sets the result's queryid, archive id and delay stamp
 * (borrowed from msg; stamp may be NULL); NULL when msg is not a well-formed
 * result. Whether it answers our query is the caller's check. */
const xw_node *xw_mam_result(const xw_node *msg, const char **queryid, const char **archive_id,
                             const char **stamp);

/* Reads <fin/> from the query's IQ result: *complete is 1 when the server
 * says the page is the last; *last (borrowed) the archive id to page after,
 * or NULL. Returns 0, or XW_ERR_PROTOCOL when there is no <fin/>. */
int xw_mam_fin(const xw_node *iq, int *complete, const char **last);

/* The XEP-0359 stanza-id our archive (`archive_jid`, our bare JID) put on
 * a live message, or NULL. Only by='archive_jid' counts: the server strips
 * any other claim to that 'by' (XEP-0359 §4), so this one is unforgeable. */
const char *xw_mam_stanza_id(const xw_node *msg, const char *archive_jid);

/* The last XW_SEEN_SLOTS message keys delivered: archive ids, and for
 * messages delivered from the archive also their sender and id, because
 * the same message may come again from offline storage. Keys are 64-bit
 * hashes; a false match needs a 2^-64 coincidence per pair. */
#define XW_SEEN_SLOTS 1024
typedef struct xw_seen {
    uint64_t keys[XW_SEEN_SLOTS];
    size_t next, count;
} xw_seen;

/* Is (kind, a, b) among the remembered keys? */
int xw_seen_has(const xw_seen *s, char kind, const char *a, const char *b);
/* Remembers (kind, a, b), forgetting the oldest key when full. */
void xw_seen_add(xw_seen *s, char kind, const char *a, const char *b);

#endif
