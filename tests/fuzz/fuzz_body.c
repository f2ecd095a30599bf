/* fuzz_body.c: the restricted BOSH body parser (xml.c) on any bytes, fed
 * in the chunking the first input byte selects, then again after a reset
 * (a stream restart reuses the parser). Limits are small so inputs reach
 * the skipping of stanzas over them. Whatever comes in, it must return a
 * code and leak nothing. */
#include <stddef.h>
#include <stdint.h>

#include "xml.h"

static int on_body(void *ud, const xw_node *body) {
    (void)ud;
    (void)xw_node_attr(body, "sid");
    return 0;
}

static int on_skip(void *ud, const xw_xml_skipped *sk) {
    (void)ud;
    return sk->limit ? 0 : 1;
}

static int on_stanza(void *ud, xw_node *st) {
    xw_buf *out = ud;
    int rc = xw_node_serialize(st, NULL, out); /* the serializer sees every tree */
    xw_buf_clear(out);
    xw_node_free(st);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    size_t chunk = (size_t)data[0] + 1;
    data++;
    size--;
    xw_xml_limits lim;
    xw_xml_limits_default(&lim);
    lim.max_body_bytes = 1 << 20;
    lim.max_depth = 8;
    lim.max_attrs = 8;
    lim.max_attr_len = 64;
    lim.max_stanza_bytes = 512;
    xw_buf out = {0};
    xw_xml_parser *p = xw_xml_parser_new(&lim, 7, on_body, on_stanza, on_skip, &out);
    if (!p) return 0;
    for (int round = 0; round < 2; round++) {
        int rc = 0;
        for (size_t off = 0; off < size && !rc; off += chunk) {
            size_t n = size - off < chunk ? size - off : chunk;
            rc = xw_xml_parser_feed(p, (const char *)data + off, n, off + n >= size);
        }
        if (xw_xml_parser_reset(p, 9)) break;
        chunk = size + 1; /* second round: the whole input at once */
    }
    xw_xml_parser_free(p);
    xw_buf_free(&out);
    return 0;
}
