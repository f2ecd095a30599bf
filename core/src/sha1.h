/* sha1.h: SHA-1 (FIPS 180-4) and HMAC-SHA-1 (RFC 2104), written here
 * because libsodium has no SHA-1 and SCRAM-SHA-1 (RFC 5802) needs it. Used
 * only inside SCRAM's HMAC construction, never as a collision-resistant
 * hash on its own. */
#ifndef XW_SHA1_H
#define XW_SHA1_H

#include <stddef.h>
#include <stdint.h>

#define XW_SHA1_BYTES 20
#define XW_SHA1_BLOCK 64

typedef struct xw_sha1 {
    uint32_t h[5];
    uint64_t total;
    uint8_t block[XW_SHA1_BLOCK];
    size_t used;
} xw_sha1_state;

void xw_sha1_init(xw_sha1_state *s);
void xw_sha1_update(xw_sha1_state *s, const void *data, size_t len);
void xw_sha1_final(xw_sha1_state *s, uint8_t out[XW_SHA1_BYTES]);
void xw_sha1(const void *data, size_t len, uint8_t out[XW_SHA1_BYTES]);

typedef struct xw_hmac_sha1 {
    xw_sha1_state inner, outer;
} xw_hmac_sha1;

void xw_hmac_sha1_init(xw_hmac_sha1 *h, const uint8_t *key, size_t key_len);
void xw_hmac_sha1_update(xw_hmac_sha1 *h, const void *data, size_t len);
void xw_hmac_sha1_final(xw_hmac_sha1 *h, uint8_t out[XW_SHA1_BYTES]);

#endif
