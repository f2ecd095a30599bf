/* util.h: allocation, growable byte buffers, random bytes and base64 shared
 * by every core module. Internal: not part of the public API. */
#ifndef XW_UTIL_H
#define XW_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include "xw.h"

#if defined(__GNUC__) || defined(__clang__)
#define XW_MUST_CHECK __attribute__((warn_unused_result))
#else
#define XW_MUST_CHECK
#endif

/* A growable byte buffer. `data` is always NUL-terminated when non-NULL so
 * it can be used as a C string; `len` excludes that NUL. Zero-initialise
 * (`xw_buf b = {0};`) before use. */
typedef struct xw_buf {
    char *data;
    size_t len;
    size_t cap;
} xw_buf;

XW_MUST_CHECK int xw_buf_reserve(xw_buf *b, size_t extra);
/* The array v (of *cap elements of elem bytes) grown to twice *cap, or to
 * `first` when empty: growing by one element per append copies the whole
 * array each time, and with the wasm heap growing by what is asked, grows
 * the heap by it too. Returns the array (*cap updated), or NULL without
 * memory (v and *cap untouched). */
void *xw_grow(void *v, size_t *cap, size_t elem, size_t first);
/* Room for one more element at the end of a queue, store[head .. head + n)
 * of elem bytes each in *cap elements, whose front is dropped by moving
 * head on: the dropped front is reused (the queue moved down to head 0)
 * when it is at least as long as the queue, else the storage doubles (the
 * queue moved down first), so a queue of thousands costs amortized
 * constant time per element. Returns the storage, moved or not, with
 * *head updated; NULL without memory (store then holds the queue from 0). */
void *xw_queue_reserve(void *store, size_t *cap, size_t *head, size_t n, size_t elem);
XW_MUST_CHECK int xw_buf_append(xw_buf *b, const void *bytes, size_t len);
XW_MUST_CHECK int xw_buf_append_str(xw_buf *b, const char *s);
/* Appends formatted text. Conversions: %s %d %u %llu %02x %% only;
 * anything else is XW_ERR_INVALID. */
XW_MUST_CHECK int xw_buf_printf(xw_buf *b, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Formats into a fixed buffer of `cap` (> 0) bytes, truncating; same
 * conversions as xw_buf_printf. */
void xw_format(char *dst, size_t cap, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* An XEP-0082 UTC timestamp ("2026-12-03T13:21:51Z", with `millis`
 * "...:51.123Z") for ms since the Unix epoch, clamped at 0. */
void xw_format_utc(double ms, int millis, char out[32]);
/* Appends `s` escaped for XML character data: the five markup characters,
 * and CR as &#13; (XML 1.0 §2.11 turns a literal one into LF). */
XW_MUST_CHECK int xw_buf_append_xml_escaped(xw_buf *b, const char *s, size_t len);
/* The same for an attribute value, also LF and tab as references: §3.3.3
 * turns literal ones into spaces. */
XW_MUST_CHECK int xw_buf_append_xml_attr_escaped(xw_buf *b, const char *s, size_t len);
/* Appends `s` as a JSON string literal, quotes included. Invalid UTF-8 is
 * replaced by U+FFFD so the output is always valid JSON. */
XW_MUST_CHECK int xw_buf_append_json_string(xw_buf *b, const char *s, size_t len);
/* Empties the buffer without freeing its storage. */
void xw_buf_clear(xw_buf *b);
/* Overwrites the contents with zeros (for secrets), then frees. */
void xw_buf_wipe(xw_buf *b);
/* Overwrites the contents with zeros and empties the buffer, keeping its
 * storage for reuse (bytes that may have held a secret). */
void xw_buf_scrub(xw_buf *b);
void xw_buf_free(xw_buf *b);
/* Hands the buffer's storage to the caller (free with xw_free) and resets b. */
char *xw_buf_take(xw_buf *b);

/* Zeroes n bytes in a way the compiler does not remove (for secrets). */
void xw_memzero(void *p, size_t n);

/* Duplicates `len` bytes of `s` as a NUL-terminated string; NULL on OOM. */
char *xw_strndup(const char *s, size_t len);
char *xw_strdup(const char *s);

/* Fills `out` with `len` bytes from the core's seeded generator
 * (fast-key-erasure ChaCha20 seeded by xw_init). */
void xw_random_bytes(void *out, size_t len);

/* Decodes one UTF-8 sequence at p[0..n) (n >= 1) into *cp and returns its
 * length, or 0 when it is malformed: overlong, a surrogate (U+D800..DFFF),
 * above U+10FFFF or truncated (RFC 3629 §4). */
size_t xw_utf8_decode(const unsigned char *p, size_t n, uint32_t *cp);

/* The wait before retry number `attempt` (1, 2, ...): base_ms doubled per
 * attempt up to max_ms, then ±50% at random, so many clients do not retry
 * in step after an outage. Whole milliseconds. */
double xw_backoff_ms(double base_ms, double max_ms, unsigned long attempt);

/* Standard base64 (RFC 4648 §4, with padding) via libsodium. */
XW_MUST_CHECK int xw_base64_encode(xw_buf *out, const uint8_t *bin, size_t len);
/* Decodes standard base64; rejects anything else. Appends to `out`. */
XW_MUST_CHECK int xw_base64_decode(xw_buf *out, const char *b64, size_t len);

#endif
