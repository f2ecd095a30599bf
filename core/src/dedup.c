/* dedup.c: keyed digest sets with generational eviction (see dedup.h). */
#include "dedup.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

void xw_keyset_init(xw_keyset *ks, size_t per_generation) {
    memset(ks, 0, sizeof *ks);
    ks->per_generation = per_generation ? per_generation : 1;
    xw_random_bytes(ks->key, sizeof ks->key);
}

uint64_t xw_keyset_digest(xw_keyset *ks, const char *const *parts, size_t n) {
    xw_buf_clear(&ks->scratch);
    for (size_t i = 0; i < n; i++) {
        size_t len = parts[i] ? strlen(parts[i]) : 0;
        unsigned char prefix[8];
        for (int b = 0; b < 8; b++) prefix[b] = (unsigned char)((uint64_t)len >> (8 * b));
        if (xw_buf_append(&ks->scratch, prefix, sizeof prefix) ||
            (len && xw_buf_append(&ks->scratch, parts[i], len)))
            return 0;
    }
    unsigned char out[crypto_shorthash_BYTES];
    crypto_shorthash(out, (const unsigned char *)(ks->scratch.data ? ks->scratch.data : ""), ks->scratch.len,
                     ks->key);
    uint64_t d = 0;
    for (int b = 0; b < 8; b++) d |= (uint64_t)out[b] << (8 * b);
    return d ? d : 1; /* 0 marks an empty slot */
}

static int gen_has(const xw_keyset_gen *g, uint64_t d) {
    if (!g->cap) return 0;
    for (size_t i = (size_t)d & (g->cap - 1);; i = (i + 1) & (g->cap - 1)) {
        if (g->slots[i] == d) return 1;
        if (!g->slots[i]) return 0;
    }
}

static void gen_put(xw_keyset_gen *g, uint64_t d) {
    size_t i = (size_t)d & (g->cap - 1);
    while (g->slots[i] && g->slots[i] != d) i = (i + 1) & (g->cap - 1);
    if (!g->slots[i]) g->count++;
    g->slots[i] = d;
}

/* Keeps the load at or under one half, so probes stay short. */
static int gen_grow(xw_keyset_gen *g) {
    if (g->cap && (g->count + 1) * 2 <= g->cap) return XW_OK;
    size_t cap = g->cap ? g->cap * 2 : 16;
    uint64_t *slots = calloc(cap, sizeof *slots);
    if (!slots) return XW_ERR_NOMEM;
    xw_keyset_gen bigger = {slots, cap, 0};
    for (size_t i = 0; i < g->cap; i++)
        if (g->slots[i]) gen_put(&bigger, g->slots[i]);
    free(g->slots);
    *g = bigger;
    return XW_OK;
}

int xw_keyset_has(const xw_keyset *ks, uint64_t digest) {
    return digest && (gen_has(&ks->newer, digest) || gen_has(&ks->older, digest));
}

int xw_keyset_add(xw_keyset *ks, uint64_t digest) {
    if (!digest || gen_has(&ks->newer, digest)) return XW_OK;
    if (ks->newer.count >= ks->per_generation) {
        free(ks->older.slots);
        ks->older = ks->newer;
        memset(&ks->newer, 0, sizeof ks->newer);
    }
    int rc = gen_grow(&ks->newer);
    if (!rc) gen_put(&ks->newer, digest);
    return rc;
}

void xw_keyset_clear(xw_keyset *ks) {
    free(ks->newer.slots);
    free(ks->older.slots);
    memset(&ks->newer, 0, sizeof ks->newer);
    memset(&ks->older, 0, sizeof ks->older);
}

void xw_keyset_free(xw_keyset *ks) {
    xw_keyset_clear(ks);
    xw_buf_free(&ks->scratch);
    sodium_memzero(ks->key, sizeof ks->key);
}
