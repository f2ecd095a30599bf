/* jid.h: parsing, validation, rendering and comparison of XMPP addresses
 * (RFC 7622). Internal: not part of the public API.
 *
 * Scope: the structural rules of RFC 7622 §3 are enforced (separators, part
 * lengths, the characters §3.3.1 excludes from localparts, UTF-8 validity,
 * no control characters). The full PRECIS profiles (RFC 7613) and IDNA2008
 * mapping (RFC 5892) are NOT implemented: non-ASCII text is accepted as the
 * UTF-8 it arrives in, without normalization, case mapping or class checks.
 * Only ASCII is case-folded (domain on parse; localpart when comparing). */
#ifndef XW_JID_H
#define XW_JID_H

#include <stddef.h>
#include "util.h"

/* A parsed JID. All members are owned by the struct (free with
 * xw_jid_free); local and resource are NULL when absent, domain is never
 * NULL after a successful parse. */
typedef struct xw_jid {
    char *local;
    char *domain;
    char *resource;
} xw_jid;

/* Parses and validates s[0..len) per RFC 7622 §3: split at the first '/'
 * (resourcepart), then at the last '@' before it (localpart). Every part
 * that is present must be 1..1023 bytes; the domainpart loses one trailing
 * '.' (§3.2) and is lowercased for ASCII; it may be an IPv6 literal in
 * [brackets]. Returns XW_OK, XW_ERR_JID (not a JID; also for s == NULL),
 * XW_ERR_NOMEM, or XW_ERR_INVALID (out == NULL). On error *out is zeroed. */
XW_MUST_CHECK int xw_jid_parse(const char *s, size_t len, xw_jid *out);

/* Frees the members and zeroes the struct; NULL-safe. */
void xw_jid_free(xw_jid *j);

/* Append "local@domain" (or "domain") / the full form with "/resource" to
 * out. XW_ERR_INVALID when j has no domain, XW_ERR_NOMEM on OOM. */
XW_MUST_CHECK int xw_jid_bare(const xw_jid *j, xw_buf *out);
XW_MUST_CHECK int xw_jid_full(const xw_jid *j, xw_buf *out);

/* Compares two NUL-terminated JID strings after parsing both: 1 if equal,
 * 0 if not, if either is NULL or invalid, or on OOM. bare_only compares
 * only localpart and domainpart. Localpart and domainpart compare with ASCII
 * case folded (other code points exactly); the resourcepart exactly. */
int xw_jid_equal(const char *a, const char *b, int bare_only);

/* Appends j's comparison key to out: two valid JIDs have the same key
 * exactly when xw_jid_equal(a, b, 0) holds. It is the localpart with ASCII
 * folded, '@', the domainpart as parsed, then '/' and the resourcepart as
 * they are (no part may hold the separator before it, so it is
 * unambiguous). XW_ERR_INVALID when j has no domain, XW_ERR_NOMEM on OOM. */
XW_MUST_CHECK int xw_jid_key(const xw_jid *j, xw_buf *out);
/* The same for a JID string; XW_ERR_JID when s is NULL or not a JID. */
XW_MUST_CHECK int xw_jid_key_str(const char *s, xw_buf *out);

/* An index from JID keys (xw_jid_key) to positions in the caller's array,
 * so a lookup costs a hash and about one string compare instead of a scan
 * that parses every JID held. Open addressing with linear probing, at most
 * half full; removal shifts entries back (no tombstones). Keys are
 * borrowed: each must stay alive, unchanged, while it is in the index. */
typedef struct xw_jid_slot {
    const char *key; /* NULL: empty */
    size_t hash;
    size_t at;
} xw_jid_slot;

typedef struct xw_jid_index {
    xw_jid_slot *slots;
    size_t cap; /* 0 or a power of two */
    size_t n;
    /* SipHash key, drawn when the slots are first made: JIDs a peer picks
     * cannot be made to collide. */
    unsigned char hash_key[16];
} xw_jid_index;

/* The position stored for key, or -1. */
long xw_jid_index_find(const xw_jid_index *ix, const char *key);
/* Stores key at position at, replacing the position of an equal key
 * already there (the new key pointer is kept). XW_ERR_NOMEM on OOM, when
 * the index is unchanged. */
XW_MUST_CHECK int xw_jid_index_put(xw_jid_index *ix, const char *key, size_t at);
/* Forgets key; nothing when it is not there. */
void xw_jid_index_remove(xw_jid_index *ix, const char *key);
/* Slots looked at to find key (present or not): what a lookup costs. */
size_t xw_jid_index_probes(const xw_jid_index *ix, const char *key);
void xw_jid_index_free(xw_jid_index *ix);

#endif
