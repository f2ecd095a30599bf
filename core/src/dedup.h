/* dedup.h: remembering which messages were already handed to the app, so
 * a copy that comes again (a stream resumption's resend, an archive
 * catch-up, offline storage) is not shown twice.
 *
 * A keyset holds 64-bit SipHash-2-4 digests (libsodium's crypto_shorthash)
 * under a random key of its own: a sender who cannot see the key cannot
 * make two different messages share a digest. Parts are length-prefixed
 * before hashing, so ("ab","c") and ("a","bc") differ.
 *
 * Eviction: keys live in two generations of `per_generation` keys each.
 * When the newer one is full, the older one is dropped and a new one
 * begins, so a keyset always remembers at least the last `per_generation`
 * keys added and never more than twice that. Memory grows with use, up to
 * about 32 bytes per remembered key. */
#ifndef XW_DEDUP_H
#define XW_DEDUP_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

typedef struct xw_keyset_gen {
    uint64_t *slots; /* open addressing; 0 marks an empty slot */
    size_t cap;      /* a power of two, or 0 before the first key */
    size_t count;
} xw_keyset_gen;

typedef struct xw_keyset {
    xw_keyset_gen newer, older;
    size_t per_generation;
    unsigned char key[16];
    xw_buf scratch; /* the length-prefixed parts being hashed */
} xw_keyset;

/* Sets up an empty keyset with a fresh random key. */
void xw_keyset_init(xw_keyset *ks, size_t per_generation);
/* The keyed digest of n parts (NULL parts count as empty); 0 on OOM. */
uint64_t xw_keyset_digest(xw_keyset *ks, const char *const *parts, size_t n);
int xw_keyset_has(const xw_keyset *ks, uint64_t digest);
/* Remembers a digest (0 is ignored). XW_ERR_NOMEM when it cannot. */
XW_MUST_CHECK int xw_keyset_add(xw_keyset *ks, uint64_t digest);
/* Forgets every key (memory is released). */
void xw_keyset_clear(xw_keyset *ks);
void xw_keyset_free(xw_keyset *ks);

#endif
