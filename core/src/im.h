/* im.h: instant-messaging stanzas (RFC 6121): turning received message and
 * presence stanzas into event objects, and building outgoing ones. */
#ifndef XW_IM_H
#define XW_IM_H

#include "util.h"
#include "xml.h"

/* Appends a "message" event object for `st` to out: JSON object text
 * without its closing brace, so the caller may add fields. */
XW_MUST_CHECK int xw_im_message_event(const xw_node *st, xw_buf *out);
/* Appends a "presence" event object for `st` to out. */
XW_MUST_CHECK int xw_im_presence_event(const xw_node *st, xw_buf *out);

/* 1 when s is UTF-8 that XML 1.0 can carry (no NUL or C0 controls other
 * than tab, LF, CR; no U+FFFE/U+FFFF; no surrogates). */
int xw_im_is_xml_text(const char *s);

/* Builds <message/>. Returns XW_ERR_INVALID for a bad type or text. */
XW_MUST_CHECK int xw_im_build_message(xw_node **out, const char *to, const char *type, const char *body,
                                      const char *id);
/* Builds <presence/>; type NULL for available. */
XW_MUST_CHECK int xw_im_build_presence(xw_node **out, const char *type, const char *show, const char *status,
                                       const char *to);

#endif
