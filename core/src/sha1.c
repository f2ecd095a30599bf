/* sha1.c: SHA-1 (FIPS 180-4 §6.1) and HMAC-SHA-1 (RFC 2104). Every
 * intermediate that depends on a key is wiped before returning. */
#include "sha1.h"

#include <sodium.h>
#include <string.h>

static uint32_t rol(uint32_t x, unsigned n) { return (x << n) | (x >> (32 - n)); }

static void compress(uint32_t h[5], const uint8_t block[64]) {
    uint32_t w[80];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)block[4 * (size_t)i] << 24 | (uint32_t)block[4 * (size_t)i + 1] << 16 |
               (uint32_t)block[4 * (size_t)i + 2] << 8 | (uint32_t)block[4 * (size_t)i + 3];
    for (int i = 16; i < 80; i++) w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; i++) {
        uint32_t f, k;
        if (i < 20) { f = (b & c) | (~b & d); k = 0x5A827999u; }
        else if (i < 40) { f = b ^ c ^ d; k = 0x6ED9EBA1u; }
        else if (i < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8F1BBCDCu; }
        else { f = b ^ c ^ d; k = 0xCA62C1D6u; }
        uint32_t t = rol(a, 5) + f + e + k + w[i];
        e = d;
        d = c;
        c = rol(b, 30);
        b = a;
        a = t;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e;
    sodium_memzero(w, sizeof w);
}

void xw_sha1_init(xw_sha1_state *s) {
    static const uint32_t iv[5] = {0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u, 0xC3D2E1F0u};
    memcpy(s->h, iv, sizeof iv);
    s->total = 0;
    s->used = 0;
}

void xw_sha1_update(xw_sha1_state *s, const void *data, size_t len) {
    const uint8_t *p = data;
    s->total += len;
    while (len) {
        size_t take = XW_SHA1_BLOCK - s->used;
        if (take > len) take = len;
        memcpy(s->block + s->used, p, take);
        s->used += take;
        p += take;
        len -= take;
        if (s->used == XW_SHA1_BLOCK) {
            compress(s->h, s->block);
            s->used = 0;
        }
    }
}

void xw_sha1_final(xw_sha1_state *s, uint8_t out[XW_SHA1_BYTES]) {
    uint64_t bits = s->total * 8;
    uint8_t pad = 0x80;
    xw_sha1_update(s, &pad, 1);
    pad = 0;
    while (s->used != 56) xw_sha1_update(s, &pad, 1);
    uint8_t len_be[8];
    for (int i = 0; i < 8; i++) len_be[i] = (uint8_t)(bits >> (56 - 8 * i));
    xw_sha1_update(s, len_be, 8);
    for (size_t i = 0; i < 5; i++) {
        out[i * 4] = (uint8_t)(s->h[i] >> 24);
        out[i * 4 + 1] = (uint8_t)(s->h[i] >> 16);
        out[i * 4 + 2] = (uint8_t)(s->h[i] >> 8);
        out[i * 4 + 3] = (uint8_t)s->h[i];
    }
    sodium_memzero(s, sizeof *s);
}

void xw_sha1(const void *data, size_t len, uint8_t out[XW_SHA1_BYTES]) {
    xw_sha1_state s;
    xw_sha1_init(&s);
    xw_sha1_update(&s, data, len);
    xw_sha1_final(&s, out);
}

void xw_hmac_sha1_init(xw_hmac_sha1 *h, const uint8_t *key, size_t key_len) {
    uint8_t k[XW_SHA1_BLOCK] = {0}, pad[XW_SHA1_BLOCK];
    /* RFC 2104 §2: keys longer than the block are hashed first. */
    if (key_len > XW_SHA1_BLOCK) xw_sha1(key, key_len, k);
    else if (key_len) memcpy(k, key, key_len);
    for (int i = 0; i < XW_SHA1_BLOCK; i++) pad[i] = k[i] ^ 0x36;
    xw_sha1_init(&h->inner);
    xw_sha1_update(&h->inner, pad, sizeof pad);
    for (int i = 0; i < XW_SHA1_BLOCK; i++) pad[i] = k[i] ^ 0x5c;
    xw_sha1_init(&h->outer);
    xw_sha1_update(&h->outer, pad, sizeof pad);
    sodium_memzero(k, sizeof k);
    sodium_memzero(pad, sizeof pad);
}

void xw_hmac_sha1_update(xw_hmac_sha1 *h, const void *data, size_t len) { xw_sha1_update(&h->inner, data, len); }

void xw_hmac_sha1_final(xw_hmac_sha1 *h, uint8_t out[XW_SHA1_BYTES]) {
    uint8_t ih[XW_SHA1_BYTES];
    xw_sha1_final(&h->inner, ih);
    xw_sha1_update(&h->outer, ih, sizeof ih);
    xw_sha1_final(&h->outer, out);
    sodium_memzero(ih, sizeof ih);
}
