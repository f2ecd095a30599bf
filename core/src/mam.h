/* mam.h: the server's message archive (XEP-0313 with RSM paging,
 * XEP-0059): queries and results; the ids XEP-0359 puts on messages; the
 * marks by which our server says a message is a copy sent again. */
#ifndef XW_MAM_H
#define XW_MAM_H

#include "util.h"
#include "xml.h"

#define XW_NS_MAM "urn:xmpp:mam:2"

/* Builds the archive query <query/> (the payload of an IQ set): messages
 * with `with` (NULL: any), after archive id `after` (RSM, forward), or
 * before `before` (backward; "" for the last page), or, with neither,
 * received since `start` (an XEP-0082 timestamp; NULL: from the first), at
 * most `max` per page. */
XW_MUST_CHECK int xw_mam_build_query(xw_node **out, const char *queryid, const char *with, const char *after,
                                     const char *before, const char *start, unsigned max);

/* A result message (XEP-0313 §5.3)? Returns the archived <message/>
 * inside it and sets the result's queryid, archive id and delay stamp
 * (borrowed from msg; stamp may be NULL); NULL when msg is not a well-formed
 * result. Whether it answers our query is the caller's check. */
const xw_node *xw_mam_result(const xw_node *msg, const char **queryid, const char **archive_id,
                             const char **stamp);

/* Reads <fin/> from the query's IQ result: *complete is 1 when the server
 * says the page is the last (or, paging back, the first); *first and
 * *last (borrowed; first may be NULL to skip) the archive ids of the
 * page's ends, or NULL. Returns 0, or XW_ERR_PROTOCOL when there is no
 * <fin/>. */
int xw_mam_fin(const xw_node *iq, int *complete, const char **first, const char **last);

/* The XEP-0359 stanza-id our archive (`archive_jid`, our bare JID) put on
 * a live message, or NULL. Only by='archive_jid' counts: the server strips
 * any other claim to that 'by' (XEP-0359 §4), so this one is unforgeable. */
const char *xw_mam_stanza_id(const xw_node *msg, const char *archive_jid);

/* The XEP-0359 origin-id the sender put on a message, or NULL. */
const char *xw_mam_origin_id(const xw_node *msg);

/* Whether our own server marks msg as a copy it sends again: a XEP-0203
 * <delay/> from our domain or our bare JID (a stream resumption's resend,
 * offline storage). */
int xw_mam_server_delayed(const xw_node *msg, const char *domain, const char *bare_jid);

#endif
