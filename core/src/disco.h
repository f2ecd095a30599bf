/* disco.h: service discovery (XEP-0030) and entity capabilities
 * (XEP-0115); message carbons (XEP-0280) turned on where the server
 * offers them. Internal. */
#ifndef XW_DISCO_H
#define XW_DISCO_H

#include "util.h"
#include "xml.h"

#define XW_NS_DISCO_INFO "http://jabber.org/protocol/disco#info"
#define XW_NS_DISCO_ITEMS "http://jabber.org/protocol/disco#items"
#define XW_NS_CARBONS "urn:xmpp:carbons:2"

typedef struct xw_client xw_client;

XW_MUST_CHECK int xw_disco_register(xw_client *c);
/* Adds our capabilities <c/> (XEP-0115 §4) to a presence. */
XW_MUST_CHECK int xw_disco_add_caps(xw_node *presence);
/* A new login is online: what does our server offer? Carbons follow. */
void xw_disco_server(xw_client *c);

#endif
