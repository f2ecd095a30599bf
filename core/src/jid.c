/* jid.c: the XMPP address format (RFC 7622 §3): splitting a JID into its
 * parts, the structural checks on each part, rendering and comparison.
 *
 * Not implemented (see jid.h): PRECIS (RFC 7613) and IDNA2008 (RFC 5892).
 * Consequences, chosen and tested on purpose:
 *  - non-ASCII letters are accepted unmapped, so "henry\u2163" (example 20
 *    of §3.5, invalid under the IdentifierClass) and a localpart of U+265A
 *    (example 21) are accepted; a server that enforces PRECIS rejects them;
 *  - "Σ" and "σ" (examples 9 and 10) compare different, since only ASCII
 *    case is folded;
 *  - a leading space in a resourcepart (example 18) is accepted: the
 *    OpaqueString profile (RFC 7613 §4.2) allows U+0020 anywhere, and a
 *    client must not refuse a MUC nick that its server produced.
 * What is rejected beyond the brief's ASCII rules, because every PRECIS
 * class and IDNA disallow it: C1 control code points (U+0080..U+009F)
 * anywhere, and Unicode space separators in localparts and domainparts. */
#include "jid.h"

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define JID_PART_MAX 1023 /* RFC 7622 §3.2, §3.3, §3.4: octets per part */


/* Unicode general category Zs other than U+0020, which PRECIS
 * IdentifierClass (RFC 7613 §3.1, via RFC 7564 §9.14) and IDNA disallow. */
static int is_unicode_space(uint32_t c) {
    return c == 0x00A0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x202F ||
           c == 0x205F || c == 0x3000;
}

/* RFC 7622 §3.3.1: the characters excluded from localparts. */
static int is_local_forbidden(uint32_t c) {
    return c == '"' || c == '&' || c == '\'' || c == '/' || c == ':' || c == '<' || c == '>' ||
           c == '@';
}

static int is_ascii_alnum(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static unsigned char ascii_lower(unsigned char c) {
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

static int is_hex(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* The whole input: valid UTF-8 with no NUL, no C0 control, no DEL and no C1
 * control (RFC 7622 §3.1 requires UTF-8; every PRECIS class and IDNA
 * disallow controls). Returns 1 when acceptable. */
static int check_text(const unsigned char *p, size_t n) {
    size_t i = 0;
    while (i < n) {
        uint32_t c;
        size_t k = xw_utf8_decode(p + i, n - i, &c);
        if (k == 0) return 0;
        if (c < 0x20 || (c >= 0x7F && c <= 0x9F)) return 0;
        i += k;
    }
    return 1;
}

/* A localpart: 1..1023 octets (§3.3), none of the §3.3.1 characters, no
 * space of any kind (IdentifierClass has no spaces; XEP-0106 escapes them). */
static int check_local(const unsigned char *p, size_t n) {
    if (n == 0 || n > JID_PART_MAX) return 0;
    size_t i = 0;
    while (i < n) {
        uint32_t c;
        size_t k = xw_utf8_decode(p + i, n - i, &c); /* valid: check_text ran */
        if (k == 0 || c == ' ' || is_local_forbidden(c) || is_unicode_space(c)) return 0;
        i += k;
    }
    return 1;
}

/* The text between brackets of an IPv6 literal (RFC 3986 §3.2.2 IPv6address):
 * up to 8 groups of 1..4 hex digits, one "::" at most standing for one or
 * more zero groups, optionally ending in a dotted IPv4 address worth 2. */
static int check_ipv6(const unsigned char *p, size_t n) {
    size_t i = 0, groups = 0;
    int elided = 0;
    if (n >= 2 && p[0] == ':' && p[1] == ':') {
        elided = 1;
        i = 2;
        if (i == n) return 1; /* "::" */
    } else if (n >= 1 && p[0] == ':') {
        return 0;
    }
    for (;;) {
        size_t start = i;
        while (i < n && i - start < 5 && is_hex(p[i])) i++;
        if (i < n && p[i] == '.') {
            /* Dotted IPv4 tail: 4 decimal octets, then the end. */
            size_t j = start;
            for (int octet = 0; octet < 4; octet++) {
                unsigned v = 0;
                size_t digits = 0;
                if (octet > 0) {
                    if (j >= n || p[j] != '.') return 0;
                    j++;
                }
                while (j < n && p[j] >= '0' && p[j] <= '9' && digits < 4) {
                    v = v * 10u + (unsigned)(p[j] - '0');
                    digits++;
                    j++;
                }
                if (digits == 0 || digits > 3 || v > 255 || (digits > 1 && p[j - digits] == '0'))
                    return 0;
            }
            if (j != n) return 0;
            groups += 2;
            break;
        }
        if (i == start || i - start > 4) return 0;
        groups++;
        if (i == n) break;
        if (p[i] != ':') return 0;
        i++;
        if (i < n && p[i] == ':') {
            if (elided) return 0; /* a second "::" */
            elided = 1;
            i++;
            if (i == n) break; /* trailing "::" */
        } else if (i == n) {
            return 0; /* trailing single ':' */
        }
    }
    return elided ? groups <= 7 : groups == 8;
}

/* A domainpart after the trailing dot was stripped: 1..1023 octets (§3.2),
 * either "[IPv6]" or dot-separated non-empty labels whose ASCII is letters,
 * digits, '-' or '_' ('_' is not LDH, but local hostnames use it and it is
 * harmless here). Non-ASCII is accepted as given (no IDNA), except spaces. */
static int check_domain(const unsigned char *p, size_t n) {
    if (n == 0 || n > JID_PART_MAX) return 0;
    if (p[0] == '[') return n >= 3 && p[n - 1] == ']' && check_ipv6(p + 1, n - 2);
    size_t i = 0, label = 0;
    while (i < n) {
        uint32_t c;
        size_t k = xw_utf8_decode(p + i, n - i, &c);
        if (k == 0) return 0;
        if (c == '.') {
            if (label == 0) return 0; /* empty label: "a..b" or ".a" */
            label = 0;
        } else {
            if (c < 0x80 && !is_ascii_alnum((unsigned char)c) && c != '-' && c != '_') return 0;
            if (is_unicode_space(c)) return 0;
            label += k;
        }
        i += k;
    }
    return label > 0; /* a second trailing dot leaves an empty last label */
}

void xw_jid_free(xw_jid *j) {
    if (!j) return;
    free(j->local);
    free(j->domain);
    free(j->resource);
    j->local = j->domain = j->resource = NULL;
}

int xw_jid_parse(const char *s, size_t len, xw_jid *out) {
    if (!out) return XW_ERR_INVALID;
    memset(out, 0, sizeof *out);
    if (!s || len == 0) return XW_ERR_JID;
    const unsigned char *p = (const unsigned char *)s;
    if (!check_text(p, len)) return XW_ERR_JID;

    /* §3.2 parsing order: the first '/' ends the bare JID, so the
     * resourcepart may hold '/' and '@' (example 15). */
    const unsigned char *slash = memchr(p, '/', len);
    size_t bare_len = slash ? (size_t)(slash - p) : len;
    const unsigned char *res = NULL;
    size_t res_len = 0;
    if (slash) {
        res = slash + 1;
        res_len = len - bare_len - 1;
        if (res_len == 0 || res_len > JID_PART_MAX) return XW_ERR_JID; /* §3.4 */
    }

    /* The last '@' of the bare JID: an earlier one is then inside the
     * localpart, where §3.3.1 forbids it, so "a@b@c" is rejected. */
    const unsigned char *at = NULL;
    for (size_t i = bare_len; i > 0; i--) {
        if (p[i - 1] == '@') {
            at = p + i - 1;
            break;
        }
    }
    const unsigned char *dom = at ? at + 1 : p;
    size_t dom_len = bare_len - (size_t)(dom - p);
    if (at && !check_local(p, (size_t)(at - p))) return XW_ERR_JID;

    /* §3.2: one final dot is stripped before any other step. */
    if (dom_len > 0 && dom[dom_len - 1] == '.') dom_len--;
    if (!check_domain(dom, dom_len)) return XW_ERR_JID;

    if (at && !(out->local = xw_strndup(s, (size_t)(at - p)))) goto nomem;
    if (!(out->domain = xw_strndup((const char *)dom, dom_len))) goto nomem;
    for (size_t i = 0; i < dom_len; i++)
        out->domain[i] = (char)ascii_lower((unsigned char)out->domain[i]);
    if (res && !(out->resource = xw_strndup((const char *)res, res_len))) goto nomem;
    return XW_OK;
nomem:
    xw_jid_free(out);
    return XW_ERR_NOMEM;
}

int xw_jid_bare(const xw_jid *j, xw_buf *out) {
    if (!j || !j->domain || !out) return XW_ERR_INVALID;
    int rc = XW_OK;
    if (j->local) {
        rc = xw_buf_append_str(out, j->local);
        if (!rc) rc = xw_buf_append(out, "@", 1);
    }
    if (!rc) rc = xw_buf_append_str(out, j->domain);
    return rc;
}

int xw_jid_full(const xw_jid *j, xw_buf *out) {
    int rc = xw_jid_bare(j, out);
    if (!rc && j->resource) {
        rc = xw_buf_append(out, "/", 1);
        if (!rc) rc = xw_buf_append_str(out, j->resource);
    }
    return rc;
}

/* Both NULL, or equal with ASCII case folded (the only case mapping done
 * without PRECIS). */
static int part_equal_fold(const char *a, const char *b) {
    if (!a || !b) return a == b;
    for (;; a++, b++) {
        if (ascii_lower((unsigned char)*a) != ascii_lower((unsigned char)*b)) return 0;
        if (!*a) return 1;
    }
}

/* The last second operand of xw_jid_equal, parsed: callers compare many
 * JIDs with the same one (our own, an archive's; 10,000 times for a page
 * of history), and parsing is most of a comparison's cost. Pure: the
 * result depends on the text alone. */
static struct {
    char *text;
    xw_jid jid;
} equal_memo;

static const xw_jid *parse_memoized(const char *b) {
    if (equal_memo.text && strcmp(equal_memo.text, b) == 0) return &equal_memo.jid;
    xw_jid j;
    if (xw_jid_parse(b, strlen(b), &j)) return NULL;
    char *copy = xw_strdup(b);
    if (!copy) {
        xw_jid_free(&j);
        return NULL;
    }
    free(equal_memo.text);
    xw_jid_free(&equal_memo.jid);
    equal_memo.text = copy;
    equal_memo.jid = j;
    return &equal_memo.jid;
}

int xw_jid_equal(const char *a, const char *b, int bare_only) {
    if (!a || !b) return 0;
    xw_jid ja;
    if (xw_jid_parse(a, strlen(a), &ja)) return 0;
    const xw_jid *jb = strcmp(a, b) == 0 ? &ja : parse_memoized(b);
    int eq = jb && part_equal_fold(ja.local, jb->local) && strcmp(ja.domain, jb->domain) == 0;
    if (eq && !bare_only) {
        /* OpaqueString compares exactly (RFC 7613 §4.2.4, no case map). */
        eq = (!ja.resource && !jb->resource) ||
             (ja.resource && jb->resource && strcmp(ja.resource, jb->resource) == 0);
    }
    xw_jid_free(&ja);
    return eq;
}

int xw_jid_key(const xw_jid *j, xw_buf *out) {
    if (!j || !j->domain || !out) return XW_ERR_INVALID;
    int rc = XW_OK;
    if (j->local) {
        size_t from = out->len;
        rc = xw_buf_append_str(out, j->local);
        for (size_t i = from; !rc && i < out->len; i++) out->data[i] = (char)ascii_lower((unsigned char)out->data[i]);
        if (!rc) rc = xw_buf_append(out, "@", 1);
    }
    if (!rc) rc = xw_buf_append_str(out, j->domain);
    if (!rc && j->resource) {
        rc = xw_buf_append(out, "/", 1);
        if (!rc) rc = xw_buf_append_str(out, j->resource);
    }
    return rc;
}

int xw_jid_key_str(const char *s, xw_buf *out) {
    xw_jid j;
    int rc = s ? xw_jid_parse(s, strlen(s), &j) : XW_ERR_JID;
    if (rc) return rc;
    rc = xw_jid_key(&j, out);
    xw_jid_free(&j);
    return rc;
}

/* ------------------------------------------------------------ index */

static size_t key_hash(const xw_jid_index *ix, const char *key) {
    unsigned char h[crypto_shorthash_BYTES];
    crypto_shorthash(h, (const unsigned char *)key, strlen(key), ix->hash_key);
    size_t v = 0;
    for (size_t b = 0; b < sizeof v && b < sizeof h; b++) v |= (size_t)h[b] << (8 * b);
    return v;
}

/* The slot holding key, or the empty slot where it would go. */
static size_t slot_of(const xw_jid_index *ix, const char *key, size_t hash, size_t *probes) {
    size_t mask = ix->cap - 1, i = hash & mask, looked = 1;
    while (ix->slots[i].key && (ix->slots[i].hash != hash || strcmp(ix->slots[i].key, key) != 0)) {
        i = (i + 1) & mask;
        looked++;
    }
    if (probes) *probes = looked;
    return i;
}

long xw_jid_index_find(const xw_jid_index *ix, const char *key) {
    if (!ix->n || !key) return -1;
    size_t i = slot_of(ix, key, key_hash(ix, key), NULL);
    return ix->slots[i].key ? (long)ix->slots[i].at : -1;
}

size_t xw_jid_index_probes(const xw_jid_index *ix, const char *key) {
    size_t probes = 0;
    if (ix->cap && key) slot_of(ix, key, key_hash(ix, key), &probes);
    return probes;
}

/* Moves every entry into a table of cap slots (a power of two). */
static int rehash(xw_jid_index *ix, size_t cap) {
    if (!cap) return XW_ERR_NOMEM; /* (callers ask for 16 or double) */
    xw_jid_slot *slots = calloc(cap, sizeof *slots);
    if (!slots) return XW_ERR_NOMEM;
    if (!ix->slots) xw_random_bytes(ix->hash_key, sizeof ix->hash_key);
    xw_jid_index grown = *ix;
    grown.slots = slots;
    grown.cap = cap;
    for (size_t i = 0; i < ix->cap; i++)
        if (ix->slots[i].key) slots[slot_of(&grown, ix->slots[i].key, ix->slots[i].hash, NULL)] = ix->slots[i];
    free(ix->slots);
    *ix = grown;
    return XW_OK;
}

int xw_jid_index_put(xw_jid_index *ix, const char *key, size_t at) {
    if (!ix->cap && rehash(ix, 16)) return XW_ERR_NOMEM;
    size_t hash = key_hash(ix, key);
    size_t i = slot_of(ix, key, hash, NULL);
    if (!ix->slots[i].key) {
        /* A new key: at most half full, so a probe sequence stays short. */
        if ((ix->n + 1) * 2 > ix->cap) {
            if (ix->cap > SIZE_MAX / 4 / sizeof *ix->slots || rehash(ix, ix->cap * 2)) return XW_ERR_NOMEM;
            i = slot_of(ix, key, hash, NULL);
        }
        ix->n++;
    }
    ix->slots[i].key = key;
    ix->slots[i].hash = hash;
    ix->slots[i].at = at;
    return XW_OK;
}

void xw_jid_index_remove(xw_jid_index *ix, const char *key) {
    if (!ix->n || !key) return;
    size_t mask = ix->cap - 1, hole = slot_of(ix, key, key_hash(ix, key), NULL);
    if (!ix->slots[hole].key) return;
    /* Backward shift: each later entry of the run whose home is not
     * between the hole and itself moves into the hole. */
    for (size_t i = (hole + 1) & mask; ix->slots[i].key; i = (i + 1) & mask) {
        size_t home = ix->slots[i].hash & mask;
        if (((i - home) & mask) >= ((i - hole) & mask)) {
            ix->slots[hole] = ix->slots[i];
            hole = i;
        }
    }
    memset(&ix->slots[hole], 0, sizeof ix->slots[hole]);
    ix->n--;
}

void xw_jid_index_free(xw_jid_index *ix) {
    free(ix->slots);
    memset(ix, 0, sizeof *ix);
}
