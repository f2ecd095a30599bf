/* sm.h: XEP-0198 stream management, client side: the two counters
 * (stanzas we sent, stanzas we handled) and the nonzas that enable,
 * acknowledge and resume a stream. Where the server offers it, a lost
 * BOSH session is resumed with everything in flight accounted for: the
 * server resends what we never acknowledged, we resend what it never
 * handled. */
#ifndef XW_SM_H
#define XW_SM_H

#include <stdint.h>

#include "util.h"
#include "xml.h"

#define XW_NS_SM "urn:xmpp:sm:3"
/* Longest SM-ID kept for resumption (XEP-0198 §5 says SHOULD NOT pass 4000). */
#define XW_SM_ID_MAX 1024

typedef struct xw_sm {
    int counting;   /* <enable/> or <resume/> sent: our stanzas are counted */
    int enabled;    /* <enabled/> or <resumed/> received: acks flow */
    char *id;       /* the SM-ID, when the server allows resumption */
    uint32_t out;   /* stanzas we sent since <enable/> */
    uint32_t in;    /* stanzas we handled since <enabled/>: our 'h' */
    uint32_t acked; /* the server's last 'h': how many of ours it handled */
} xw_sm;

/* Is this a stanza (counted), as opposed to a nonza (XEP-0198 §4)? */
int xw_sm_is_stanza(const xw_node *n);

/* The 'h' attribute of <a/>, <resumed/> or <failed/>: 0 and *h set, or
 * XW_ERR_PROTOCOL when absent or not an unsignedInt. */
int xw_sm_parse_h(const xw_node *n, uint32_t *h);
/* The same for a decimal string (an unsignedInt, XEP-0198 §4). */
int xw_sm_parse_u32(const char *v, uint32_t *h);

/* Builds <enable resume='true'/>, <resume previd h/> or <a h/>. */
XW_MUST_CHECK int xw_sm_build_enable(xw_node **out);
XW_MUST_CHECK int xw_sm_build_resume(xw_node **out, const char *previd, uint32_t h);
XW_MUST_CHECK int xw_sm_build_ack(xw_node **out, uint32_t h);

void xw_sm_free(xw_sm *sm);

#endif
