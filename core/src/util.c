/* util.c: growable buffers, escaping, the seeded random generator and
 * base64 shared by every core module. */
#include "util.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const char *xw_strerror(int code) {
    switch (code) {
    case XW_OK: return "ok";
    case XW_ERR_NOMEM: return "out of memory";
    case XW_ERR_INVALID: return "invalid argument";
    case XW_ERR_STATE: return "not allowed in the current state";
    case XW_ERR_XML: return "malformed or restricted XML";
    case XW_ERR_LIMIT: return "limit exceeded";
    case XW_ERR_AUTH: return "authentication failed";
    case XW_ERR_PROTOCOL: return "protocol violation by the peer";
    case XW_ERR_JID: return "invalid JID";
    case XW_ERR_CRYPTO: return "crypto failure";
    default: return "unknown error";
    }
}

void xw_free(void *p) { free(p); }

int xw_buf_reserve(xw_buf *b, size_t extra) {
    if (extra > SIZE_MAX - b->len - 1) return XW_ERR_NOMEM;
    size_t need = b->len + extra + 1;
    if (need <= b->cap) return XW_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = realloc(b->data, cap);
    if (!p) return XW_ERR_NOMEM;
    b->data = p;
    b->cap = cap;
    return XW_OK;
}

void *xw_grow(void *v, size_t *cap, size_t elem, size_t first) {
    size_t n = *cap ? *cap * 2 : first;
    if (!elem || n < *cap || n > SIZE_MAX / elem) return NULL;
    void *grown = realloc(v, n * elem);
    if (grown) *cap = n;
    return grown;
}

void *xw_queue_reserve(void *store, size_t *cap, size_t *head, size_t n, size_t elem) {
    if (*head + n < *cap) return store;
    size_t dropped = *head;
    if (dropped) memmove(store, (char *)store + dropped * elem, n * elem);
    *head = 0;
    if (dropped && dropped >= n) return store;
    return xw_grow(store, cap, elem, 16);
}

int xw_buf_append(xw_buf *b, const void *bytes, size_t len) {
    int rc = xw_buf_reserve(b, len);
    if (rc) return rc;
    if (len) memcpy(b->data + b->len, bytes, len);
    b->len += len;
    b->data[b->len] = '\0';
    return XW_OK;
}

int xw_buf_append_str(xw_buf *b, const char *s) { return xw_buf_append(b, s, strlen(s)); }

/* A small formatter for the few conversions the core uses (%s %d %u %llu
 * %02x %%). libc's printf family would pull its floating-point formatting
 * into the wasm module for nothing. */
static int format_unsigned(xw_buf *b, unsigned long long v, unsigned base, unsigned min_width) {
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    while (n < min_width && n < sizeof tmp) tmp[n++] = '0';
    char out[24];
    for (size_t i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
    return xw_buf_append(b, out, n);
}

static int vformat(xw_buf *b, const char *fmt, va_list ap) {
    int rc = XW_OK;
    const char *run = fmt;
    for (const char *p = fmt; *p && !rc; p++) {
        if (*p != '%') continue;
        rc = xw_buf_append(b, run, (size_t)(p - run));
        if (rc) break;
        p++;
        if (*p == 's') {
            const char *s = va_arg(ap, const char *);
            rc = xw_buf_append_str(b, s ? s : "(null)");
        } else if (*p == 'd') {
            int v = va_arg(ap, int);
            if (v < 0) rc = xw_buf_append(b, "-", 1);
            if (!rc) rc = format_unsigned(b, v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v, 10, 0);
        } else if (*p == 'u') {
            rc = format_unsigned(b, va_arg(ap, unsigned), 10, 0);
        } else if (p[0] == 'l' && p[1] == 'l' && p[2] == 'u') {
            rc = format_unsigned(b, va_arg(ap, unsigned long long), 10, 0);
            p += 2;
        } else if (p[0] == '0' && p[1] == '2' && p[2] == 'x') {
            rc = format_unsigned(b, va_arg(ap, unsigned), 16, 2);
            p += 2;
        } else if (*p == '%') {
            rc = xw_buf_append(b, "%", 1);
        } else {
            return XW_ERR_INVALID; /* a conversion this formatter does not know */
        }
        run = p + 1;
    }
    if (!rc) rc = xw_buf_append_str(b, run);
    return rc;
}

int xw_buf_printf(xw_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int rc = vformat(b, fmt, ap);
    va_end(ap);
    return rc;
}

void xw_format(char *dst, size_t cap, const char *fmt, ...) {
    xw_buf b = {0};
    va_list ap;
    va_start(ap, fmt);
    int rc = vformat(&b, fmt, ap);
    va_end(ap);
    size_t n = rc || !b.data ? 0 : b.len;
    if (n >= cap) n = cap - 1;
    if (n && b.data) memcpy(dst, b.data, n);
    dst[n] = '\0';
    xw_buf_free(&b);
}

static int append_escaped(xw_buf *b, const char *s, size_t len, int attr) {
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        const char *rep;
        switch (s[i]) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&apos;"; break;
        case '\r': rep = "&#13;"; break;
        case '\n': if (!attr) continue; rep = "&#10;"; break;
        case '\t': if (!attr) continue; rep = "&#9;"; break;
        default: continue;
        }
        int rc = xw_buf_append(b, s + start, i - start);
        if (!rc) rc = xw_buf_append_str(b, rep);
        if (rc) return rc;
        start = i + 1;
    }
    return xw_buf_append(b, s + start, len - start);
}

int xw_buf_append_xml_escaped(xw_buf *b, const char *s, size_t len) { return append_escaped(b, s, len, 0); }

int xw_buf_append_xml_attr_escaped(xw_buf *b, const char *s, size_t len) { return append_escaped(b, s, len, 1); }

int xw_buf_append_json_string(xw_buf *b, const char *s, size_t len) {
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    int rc = xw_buf_reserve(b, len + 2);
    if (rc) return rc;
    b->data[b->len++] = '"';
    size_t i = 0;
    while (i < len) {
        unsigned char c = u[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            size_t run = i;
            while (run < len && u[run] >= 0x20 && u[run] < 0x80 && u[run] != '"' && u[run] != '\\') run++;
            rc = xw_buf_append(b, s + i, run - i);
            if (rc) return rc;
            i = run;
            continue;
        }
        if (c >= 0x80) {
            uint32_t cp;
            size_t n = xw_utf8_decode(u + i, len - i, &cp);
            if (n == 0) {
                rc = xw_buf_append_str(b, "\\ufffd");
                i++;
            } else {
                rc = xw_buf_append(b, s + i, n);
                i += n;
            }
            if (rc) return rc;
            continue;
        }
        char esc[7];
        switch (c) {
        case '"': rc = xw_buf_append_str(b, "\\\""); break;
        case '\\': rc = xw_buf_append_str(b, "\\\\"); break;
        case '\n': rc = xw_buf_append_str(b, "\\n"); break;
        case '\r': rc = xw_buf_append_str(b, "\\r"); break;
        case '\t': rc = xw_buf_append_str(b, "\\t"); break;
        default:
            esc[0] = '\\'; esc[1] = 'u'; esc[2] = '0'; esc[3] = '0';
            esc[4] = hex[c >> 4]; esc[5] = hex[c & 15]; esc[6] = 0;
            rc = xw_buf_append_str(b, esc);
        }
        if (rc) return rc;
        i++;
    }
    return xw_buf_append(b, "\"", 1);
}

void xw_buf_clear(xw_buf *b) {
    b->len = 0;
    if (b->data) b->data[0] = '\0';
}

void xw_buf_wipe(xw_buf *b) {
    if (b->data) sodium_memzero(b->data, b->cap);
    xw_buf_free(b);
}

void xw_memzero(void *p, size_t n) {
    if (p && n) sodium_memzero(p, n);
}

void xw_buf_scrub(xw_buf *b) {
    if (b->data) sodium_memzero(b->data, b->cap);
    b->len = 0;
}

void xw_buf_free(xw_buf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

char *xw_buf_take(xw_buf *b) {
    char *p = b->data;
    if (!p) p = xw_strndup("", 0);
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

char *xw_strndup(const char *s, size_t len) {
    char *p = malloc(len + 1);
    if (!p) return NULL;
    if (len) memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *xw_strdup(const char *s) { return s ? xw_strndup(s, strlen(s)) : NULL; }

/* --- random generator -------------------------------------------------
 * Fast key erasure over ChaCha20: each draw expands the key into 32 fresh
 * key bytes plus the output, then forgets the old key. Seeded only by the
 * caller (xw_init / xw_entropy_add), so the core never reads the system
 * and tests are reproducible with a fixed seed. */
static uint8_t drbg_key[randombytes_SEEDBYTES];
static int drbg_seeded;

void xw_random_bytes(void *out, size_t len) {
    /* Unseeded output would be predictable: refuse rather than continue. */
    if (!drbg_seeded) abort();
    uint8_t stack[256];
    uint8_t *tmp = stack;
    size_t total = len + sizeof drbg_key;
    if (total > sizeof stack) {
        tmp = malloc(total);
        if (!tmp) abort(); /* no safe way to continue without randomness */
    }
    randombytes_buf_deterministic(tmp, total, drbg_key);
    memcpy(drbg_key, tmp, sizeof drbg_key);
    memcpy(out, tmp + sizeof drbg_key, len);
    sodium_memzero(tmp, total);
    if (tmp != stack) free(tmp);
}

/* Decodes one UTF-8 sequence at p[0..n) (n >= 1) into *cp and returns its
 * length, or 0 when it is malformed: overlong, a surrogate (U+D800..DFFF),
 * above U+10FFFF or truncated (RFC 3629 §4). */
size_t xw_utf8_decode(const unsigned char *p, size_t n, uint32_t *cp) {
    unsigned char b = p[0];
    size_t need;
    unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the 2nd byte */
    uint32_t c;
    if (b < 0x80) {
        *cp = b;
        return 1;
    } else if (b >= 0xC2 && b <= 0xDF) {
        need = 1;
        c = b & 0x1Fu;
    } else if (b >= 0xE0 && b <= 0xEF) {
        need = 2;
        c = b & 0x0Fu;
        if (b == 0xE0) lo = 0xA0;      /* overlong */
        else if (b == 0xED) hi = 0x9F; /* surrogates */
    } else if (b >= 0xF0 && b <= 0xF4) {
        need = 3;
        c = b & 0x07u;
        if (b == 0xF0) lo = 0x90;      /* overlong */
        else if (b == 0xF4) hi = 0x8F; /* above U+10FFFF */
    } else {
        return 0; /* continuation byte, 0xC0/0xC1 (overlong) or 0xF5..0xFF */
    }
    if (n < need + 1) return 0;
    for (size_t i = 1; i <= need; i++) {
        unsigned char t = p[i];
        if (i == 1 ? (t < lo || t > hi) : (t < 0x80 || t > 0xBF)) return 0;
        c = (c << 6) | (uint32_t)(t & 0x3Fu);
    }
    *cp = c;
    return need + 1;
}

double xw_backoff_ms(double base_ms, double max_ms, unsigned long attempt) {
    double delay = base_ms;
    for (unsigned long i = 1; i < attempt && delay < max_ms; i++) delay *= 2;
    if (delay > max_ms) delay = max_ms;
    uint32_t r;
    xw_random_bytes(&r, sizeof r);
    return (double)(long long)(delay * (0.5 + (double)r / 4294967296.0));
}

void xw_entropy_add(const uint8_t *bytes, size_t len) {
    /* key' = SHA-256(key || bytes): old entropy is never replaced. */
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, drbg_key, sizeof drbg_key);
    crypto_hash_sha256_update(&st, bytes, len);
    crypto_hash_sha256_final(&st, drbg_key);
    sodium_memzero(&st, sizeof st);
}

int xw_init(const uint8_t seed[32]) {
    /* No sodium_init(): it draws from the platform's randomness (in wasm,
     * a JS call), and nothing used here needs it: the hashes, HMACs and
     * ChaCha20 have static default implementations, and the core never
     * calls libsodium's randombytes. */
    if (!seed) return XW_ERR_INVALID;
    xw_entropy_add(seed, 32);
    drbg_seeded = 1;
    return XW_OK;
}

int xw_base64_encode(xw_buf *out, const uint8_t *bin, size_t len) {
    size_t n = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
    int rc = xw_buf_reserve(out, n);
    if (rc) return rc;
    sodium_bin2base64(out->data + out->len, n, bin, len, sodium_base64_VARIANT_ORIGINAL);
    out->len += n - 1; /* n counts the NUL */
    return XW_OK;
}

int xw_base64_decode(xw_buf *out, const char *b64, size_t len) {
    size_t max = len / 4 * 3 + 3;
    int rc = xw_buf_reserve(out, max);
    if (rc) return rc;
    size_t bin_len = 0;
    const char *end = NULL;
    if (sodium_base642bin((unsigned char *)out->data + out->len, max, b64, len, NULL, &bin_len,
                          &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
        end != b64 + len)
        return XW_ERR_INVALID;
    out->len += bin_len;
    out->data[out->len] = '\0';
    return XW_OK;
}

static void put2(char *p, unsigned v) {
    p[0] = (char)('0' + v / 10 % 10);
    p[1] = (char)('0' + v % 10);
}

void xw_format_utc(double ms, int millis, char out[32]) {
    long long total = ms > 0 ? (long long)ms : 0;
    long long secs = total / 1000, days = secs / 86400, rem = secs % 86400;
    /* The Gregorian date of a day count (H. Hinnant's civil_from_days). */
    long long z = days + 719468, era = z / 146097, doe = z - era * 146097;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    unsigned d = (unsigned)(doy - (153 * mp + 2) / 5 + 1), m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    unsigned y = (unsigned)(yoe + era * 400 + (m <= 2));
    xw_format(out, 32, "%u-MM-DDTHH:MM:SS", y);
    char *p = out + strlen(out) - 15; /* at "-MM-..." */
    put2(p + 1, m);
    put2(p + 4, d);
    put2(p + 7, (unsigned)(rem / 3600));
    put2(p + 10, (unsigned)(rem % 3600 / 60));
    put2(p + 13, (unsigned)(rem % 60));
    p += 15;
    if (millis) {
        unsigned frac = (unsigned)(total % 1000);
        *p++ = '.';
        *p++ = (char)('0' + frac / 100);
        put2(p, frac % 100);
        p += 2;
    }
    *p++ = 'Z';
    *p = 0;
}
