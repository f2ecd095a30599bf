/* fuzz_jid.c: the JID parser and comparison (jid.c) on any bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    xw_jid j;
    if (xw_jid_parse((const char *)data, size, &j) == XW_OK) {
        xw_buf b = {0};
        if (xw_jid_full(&j, &b) == XW_OK) {
            /* What we render must parse again to the same JID. */
            xw_jid again;
            if (xw_jid_parse(b.data, b.len, &again) != XW_OK) abort();
            if (!xw_jid_equal(b.data, b.data, 0)) abort();
            xw_jid_free(&again);
        }
        xw_buf_free(&b);
        xw_jid_free(&j);
    }
    /* Compare the two halves of the input as JIDs. */
    char *a = malloc(size + 2);
    if (!a) return 0;
    size_t half = size / 2;
    memcpy(a, data, half);
    a[half] = '\0';
    char *b = a + half + 1;
    memcpy(b, data + half, size - half);
    b[size - half] = '\0';
    (void)xw_jid_equal(a, b, 0);
    (void)xw_jid_equal(a, b, 1);
    free(a);
    return 0;
}
