/* sasl.h: SASL mechanisms for XMPP authentication (RFC 6120 §6): PLAIN
 * (RFC 4616) and SCRAM-SHA-1/-256/-512 (RFC 5802, RFC 7677) without
 * channel binding. Sans-I/O: the client nonce is an argument, and SCRAM's
 * key derivation (Hi(), PBKDF2) runs in steps the caller spreads over
 * several calls, so no single call blocks the page for long. */
#ifndef XW_SASL_H
#define XW_SASL_H

#include <stddef.h>
#include <stdint.h>
#include "util.h"

typedef enum xw_sasl_mech {
    XW_SASL_NONE = 0,
    XW_SASL_PLAIN = 1,
    XW_SASL_SCRAM_SHA_1 = 2,
    XW_SASL_SCRAM_SHA_256 = 3,
    XW_SASL_SCRAM_SHA_512 = 4
} xw_sasl_mech;

/* Fewest PBKDF2 iterations accepted from a server (RFC 5802 §5.1), and the
 * default most (a setting: the client's max_scram_iterations option). */
#define XW_SCRAM_MIN_ITERATIONS 4096u
#define XW_SCRAM_MAX_ITERATIONS 600000u

/* "SCRAM-SHA-256" etc; "" for NONE. */
const char *xw_sasl_mech_name(xw_sasl_mech m);
/* The mechanism with that exact name, or NONE. */
xw_sasl_mech xw_sasl_mech_from_name(const char *name);
/* The strongest of the n offered names: SCRAM-SHA-512 > -256 > -1 > PLAIN;
 * PLAIN only when allow_plain. NONE when nothing usable is offered. */
xw_sasl_mech xw_sasl_choose(const char *const *offered, size_t n, int allow_plain);

/* Hi() rounds per call to xw_sasl_derive() that keep one call around a few
 * milliseconds in a browser (measured: see the README). */
unsigned xw_sasl_step_iterations(xw_sasl_mech m);

/* RFC 8265 §4.2 OpaqueString, the parts that need no Unicode tables:
 * non-ASCII spaces (Zs) become U+0020; control characters (Cc) and an
 * empty result are refused with XW_ERR_INVALID. NFC normalization, the
 * profile's other step, is the caller's (the JS layer has the tables).
 * Appends the prepared form to out. */
XW_MUST_CHECK int xw_sasl_prep_password(const char *password, xw_buf *out);

/* SCRAM's SaltedPassword and what it was derived from: a client may keep
 * it instead of the password and skip Hi() when the server offers the
 * same salt and iteration count again (RFC 5802 §5.1). Wipe when done. */
typedef struct xw_scram_key {
    xw_sasl_mech mech;
    unsigned iterations;
    size_t salt_len; /* 0: no key */
    uint8_t salt[128];
    uint8_t salted[64];
} xw_scram_key;

typedef struct xw_sasl xw_sasl;

/* Copies every input. client_nonce: printable ASCII without ','. password
 * may be NULL for SCRAM when a key is set before the challenge. NULL on OOM
 * or invalid input. */
xw_sasl *xw_sasl_new(xw_sasl_mech mech, const char *authcid, const char *password, const char *client_nonce);
/* A SaltedPassword kept from an earlier login, used if the challenge's
 * salt and iteration count match it. */
void xw_sasl_set_key(xw_sasl *s, const xw_scram_key *key);
/* After the derivation: the key for the next login. XW_ERR_STATE before. */
XW_MUST_CHECK int xw_sasl_get_key(const xw_sasl *s, xw_scram_key *out);
/* Appends the initial response (raw bytes, not base64). */
XW_MUST_CHECK int xw_sasl_initial(xw_sasl *s, xw_buf *out);
/* SCRAM: checks the server-first-message and prepares the derivation.
 * XW_ERR_AUTH when the nonce does not extend ours, the salt is bad, the
 * iteration count is under 4096 or over max_iterations, a mandatory
 * extension is present, the message is malformed, or no password (and no
 * matching key) is there to derive from. */
XW_MUST_CHECK int xw_sasl_start_challenge(xw_sasl *s, const uint8_t *msg, size_t len, unsigned max_iterations);
/* Runs up to `iterations` more rounds of Hi(); 1 when the key is ready
 * (the password is wiped then), 0 when more are needed, XW_ERR_STATE when
 * no derivation is under way. */
int xw_sasl_derive(xw_sasl *s, unsigned iterations);
/* Appends the client-final-message, once derived. */
XW_MUST_CHECK int xw_sasl_final_message(xw_sasl *s, xw_buf *out);
/* start_challenge, derive to the end and final_message in one call, with
 * the default iteration cap (tests and fuzzing). */
XW_MUST_CHECK int xw_sasl_challenge(xw_sasl *s, const uint8_t *msg, size_t len, xw_buf *out);
/* Checks the server-final-message (SCRAM "v=", compared in constant time).
 * XW_OK only on a match; PLAIN accepts an empty message. */
XW_MUST_CHECK int xw_sasl_verify_success(xw_sasl *s, const uint8_t *msg, size_t len);
/* Wipes the password and every derived key, then frees. NULL-safe. */
void xw_sasl_free(xw_sasl *s);

#endif
