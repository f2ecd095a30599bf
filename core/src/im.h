/* im.h: instant-messaging stanzas (RFC 6121): turning received message and
 * presence stanzas into event objects, and building outgoing ones. */
#ifndef XW_IM_H
#define XW_IM_H

#include "events.h"
#include "outbox.h"
#include "util.h"
#include "xml.h"

/* Adds the fields of a message for `st` to e: type (first: it may open
 * an object), from, to, id, body, subject, thread, xml. */
void xw_im_message_fields(xw_event *e, const xw_node *st);
/* Adds the fields of a "presence" event: from, to, presenceType, show,
 * status, priority (a number), xml. */
void xw_im_presence_fields(xw_event *e, const xw_node *st);
/* The <priority/> of a presence: -128..127, 0 when absent or not one. */
int xw_im_priority(const xw_node *st);

/* 1 when s is UTF-8 that XML 1.0 can carry (no NUL or C0 controls other
 * than tab, LF, CR; no U+FFFE/U+FFFF; no surrogates). */
int xw_im_is_xml_text(const char *s);

/* Builds the <message/> of m (to, type, id, body, subject, thread), with
 * an XEP-0359 <origin-id/> when m has one. Returns XW_ERR_INVALID for a
 * bad type or text, or nothing to say (no body and no subject). */
XW_MUST_CHECK int xw_im_build_message(xw_node **out, const xw_out_msg *m);
/* Builds <presence/>; type NULL for available. */
XW_MUST_CHECK int xw_im_build_presence(xw_node **out, const char *type, const char *show, const char *status,
                                       const char *to);

#endif
