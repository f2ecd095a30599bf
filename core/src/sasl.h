/* sasl.h: SASL mechanisms for XMPP authentication (RFC 6120 §6): PLAIN
 * (RFC 4616) and SCRAM-SHA-1/-256/-512 (RFC 5802, RFC 7677) without
 * channel binding. Sans-I/O: the client nonce is an argument. */
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

/* Fewest and most PBKDF2 iterations accepted from a server: RFC 5802 §5.1
 * asks for at least 4096; the cap stops a server from freezing the tab. */
#define XW_SCRAM_MIN_ITERATIONS 4096u
#define XW_SCRAM_MAX_ITERATIONS 600000u

/* "SCRAM-SHA-256" etc; "" for NONE. */
const char *xw_sasl_mech_name(xw_sasl_mech m);
/* The mechanism with that exact name, or NONE. */
xw_sasl_mech xw_sasl_mech_from_name(const char *name);
/* The strongest of the n offered names: SCRAM-SHA-512 > -256 > -1 > PLAIN;
 * PLAIN only when allow_plain. NONE when nothing usable is offered. */
xw_sasl_mech xw_sasl_choose(const char *const *offered, size_t n, int allow_plain);

typedef struct xw_sasl xw_sasl;

/* Copies every input. client_nonce: printable ASCII without ','. NULL on OOM
 * or invalid input. */
xw_sasl *xw_sasl_new(xw_sasl_mech mech, const char *authcid, const char *password, const char *client_nonce);
/* Appends the initial response (raw bytes, not base64). */
XW_MUST_CHECK int xw_sasl_initial(xw_sasl *s, xw_buf *out);
/* SCRAM: consumes the server-first-message and appends the
 * client-final-message. XW_ERR_AUTH when the nonce does not extend ours,
 * the salt or iteration count is bad, a mandatory extension is present, or
 * the message is malformed. */
XW_MUST_CHECK int xw_sasl_challenge(xw_sasl *s, const uint8_t *msg, size_t len, xw_buf *out);
/* Checks the server-final-message (SCRAM "v=", compared in constant time).
 * XW_OK only on a match; PLAIN accepts an empty message. */
XW_MUST_CHECK int xw_sasl_verify_success(xw_sasl *s, const uint8_t *msg, size_t len);
/* Wipes the password and every derived key, then frees. NULL-safe. */
void xw_sasl_free(xw_sasl *s);

#endif
