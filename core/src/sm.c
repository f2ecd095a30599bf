/* sm.c: XEP-0198 nonzas and counters (see sm.h). */
#include "sm.h"

#include <stdlib.h>
#include <string.h>

int xw_sm_is_stanza(const xw_node *n) {
    if (!n || !n->ns || strcmp(n->ns, XW_NS_CLIENT) != 0) return 0;
    return !strcmp(n->name, "message") || !strcmp(n->name, "presence") || !strcmp(n->name, "iq");
}

int xw_sm_parse_h(const xw_node *n, uint32_t *h) { return xw_sm_parse_u32(xw_node_attr(n, "h"), h); }

int xw_sm_parse_u32(const char *v, uint32_t *h) {
    if (!v || !*v || strlen(v) > 10) return XW_ERR_PROTOCOL;
    uint64_t x = 0;
    for (const char *p = v; *p; p++) {
        if (*p < '0' || *p > '9') return XW_ERR_PROTOCOL;
        x = x * 10 + (uint64_t)(*p - '0');
    }
    if (x > UINT32_MAX) return XW_ERR_PROTOCOL;
    *h = (uint32_t)x;
    return XW_OK;
}

static int build(xw_node **out, const char *name, const char *k1, const char *v1, const char *k2, const char *v2) {
    xw_node *n = xw_node_new(name, XW_NS_SM);
    int rc = n ? XW_OK : XW_ERR_NOMEM;
    if (!rc && k1) rc = xw_node_set_attr(n, k1, v1);
    if (!rc && k2) rc = xw_node_set_attr(n, k2, v2);
    if (rc) {
        xw_node_free(n);
        n = NULL;
    }
    *out = n;
    return rc;
}

int xw_sm_build_enable(xw_node **out) { return build(out, "enable", "resume", "true", NULL, NULL); }

int xw_sm_build_resume(xw_node **out, const char *previd, uint32_t h) {
    char hv[16];
    xw_format(hv, sizeof hv, "%u", (unsigned)h);
    return build(out, "resume", "previd", previd, "h", hv);
}

int xw_sm_build_ack(xw_node **out, uint32_t h) {
    char hv[16];
    xw_format(hv, sizeof hv, "%u", (unsigned)h);
    return build(out, "a", "h", hv, NULL, NULL);
}

void xw_sm_free(xw_sm *sm) {
    free(sm->id);
    sm->id = NULL;
}
