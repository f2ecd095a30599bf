/* fuzz_scram.c: SCRAM's parsing of server messages (sasl.c). The input is
 * server-first-message NUL server-final-message; the client nonce is fixed
 * so some inputs extend it. Iterations are capped by the parser, which the
 * fuzzer also exercises. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sasl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const uint8_t *nul = memchr(data, 0, size);
    size_t first_len = nul ? (size_t)(nul - data) : size;
    const uint8_t *final = nul ? nul + 1 : data + size;
    size_t final_len = nul ? size - first_len - 1 : 0;
    for (xw_sasl_mech m = XW_SASL_SCRAM_SHA_1; m <= XW_SASL_SCRAM_SHA_512; m++) {
        xw_sasl *s = xw_sasl_new(m, "user", "pencil", "fyko");
        if (!s) return 0;
        xw_buf out = {0};
        if (xw_sasl_initial(s, &out) == XW_OK) {
            xw_buf_clear(&out);
            if (xw_sasl_challenge(s, data, first_len, &out) == XW_OK)
                (void)xw_sasl_verify_success(s, final, final_len);
        }
        xw_buf_free(&out);
        xw_sasl_free(s);
        if (first_len > 64) break; /* bounds time: the KDF runs once per mechanism */
    }
    return 0;
}
