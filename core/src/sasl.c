/* sasl.c: PLAIN (RFC 4616) and SCRAM (RFC 5802, RFC 7677). SCRAM's
 * primitives: SHA-256/512 and their HMACs from libsodium, SHA-1 from
 * sha1.c; Hi() is PBKDF2 over the HMAC, keyed once with the password (its
 * inner and outer pads computed once, not per round) and run in steps.
 * The server signature is compared in constant time and every secret is
 * wiped as soon as it is not needed. */
#include "sasl.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "sha1.h"

#define MAX_HASH 64

typedef enum { ST_NEW, ST_INITIAL_SENT, ST_DERIVING, ST_DERIVED, ST_CHALLENGED, ST_DONE } sasl_state;

/* An HMAC under way, for any of the three hashes. */
typedef union hmac_state {
    xw_hmac_sha1 sha1;
    crypto_auth_hmacsha256_state sha256;
    crypto_auth_hmacsha512_state sha512;
} hmac_state;

struct xw_sasl {
    xw_sasl_mech mech;
    char *authcid;
    char *password; /* NULL once Hi() is done, or when only a key was given */
    char *cnonce;
    sasl_state state;
    xw_buf client_first_bare;
    xw_buf auth_msg, final_bare; /* from the challenge to the final message */
    uint8_t server_signature[MAX_HASH];
    /* Hi() under way: HMAC(password, .) with its pads done, the last U and
     * the running XOR of every U (RFC 5802 §2.2). */
    hmac_state keyed;
    uint8_t u[MAX_HASH], salted[MAX_HASH];
    unsigned rounds_done, rounds_total;
    xw_scram_key key; /* a kept key before the challenge; ours after Hi() */
};

static const struct {
    xw_sasl_mech mech;
    const char *name;
} MECHS[] = {
    {XW_SASL_SCRAM_SHA_512, "SCRAM-SHA-512"},
    {XW_SASL_SCRAM_SHA_256, "SCRAM-SHA-256"},
    {XW_SASL_SCRAM_SHA_1, "SCRAM-SHA-1"},
    {XW_SASL_PLAIN, "PLAIN"},
};

const char *xw_sasl_mech_name(xw_sasl_mech m) {
    for (size_t i = 0; i < sizeof MECHS / sizeof *MECHS; i++)
        if (MECHS[i].mech == m) return MECHS[i].name;
    return "";
}

xw_sasl_mech xw_sasl_mech_from_name(const char *name) {
    for (size_t i = 0; name && i < sizeof MECHS / sizeof *MECHS; i++)
        if (strcmp(MECHS[i].name, name) == 0) return MECHS[i].mech;
    return XW_SASL_NONE;
}

xw_sasl_mech xw_sasl_choose(const char *const *offered, size_t n, int allow_plain) {
    /* MECHS is ordered strongest first. */
    for (size_t i = 0; i < sizeof MECHS / sizeof *MECHS; i++) {
        if (MECHS[i].mech == XW_SASL_PLAIN && !allow_plain) continue;
        for (size_t j = 0; j < n; j++)
            if (offered[j] && strcmp(offered[j], MECHS[i].name) == 0) return MECHS[i].mech;
    }
    return XW_SASL_NONE;
}

unsigned xw_sasl_step_iterations(xw_sasl_mech m) {
    /* Each round is two compression calls of the hash. Measured in
     * Chromium (tests/integration/scram-steps.test.mjs): 8192 SHA-1 rounds,
     * 4096 SHA-256 or 2048 SHA-512 rounds took up to 14-17 ms in one call;
     * half that leaves room for slower devices under the 20 ms a call may
     * take, and a server's usual 4096 SHA-1 rounds still fit in one. */
    switch (m) {
    case XW_SASL_SCRAM_SHA_1: return 4096;
    case XW_SASL_SCRAM_SHA_256: return 2048;
    default: return 1024;
    }
}

/* ------------------------------------------------------------ primitives */

static size_t hash_len(xw_sasl_mech m) {
    switch (m) {
    case XW_SASL_SCRAM_SHA_1: return XW_SHA1_BYTES;
    case XW_SASL_SCRAM_SHA_256: return crypto_auth_hmacsha256_BYTES;
    case XW_SASL_SCRAM_SHA_512: return crypto_auth_hmacsha512_BYTES;
    default: return 0;
    }
}

static void hash(xw_sasl_mech m, const uint8_t *in, size_t len, uint8_t *out) {
    switch (m) {
    case XW_SASL_SCRAM_SHA_1: xw_sha1(in, len, out); break;
    case XW_SASL_SCRAM_SHA_256: crypto_hash_sha256(out, in, len); break;
    default: crypto_hash_sha512(out, in, len); break;
    }
}

static void hmac_init(xw_sasl_mech m, hmac_state *st, const uint8_t *key, size_t key_len) {
    switch (m) {
    case XW_SASL_SCRAM_SHA_1: xw_hmac_sha1_init(&st->sha1, key, key_len); break;
    case XW_SASL_SCRAM_SHA_256: crypto_auth_hmacsha256_init(&st->sha256, key, key_len); break;
    default: crypto_auth_hmacsha512_init(&st->sha512, key, key_len); break;
    }
}

static void hmac_update(xw_sasl_mech m, hmac_state *st, const void *data, size_t len) {
    switch (m) {
    case XW_SASL_SCRAM_SHA_1: xw_hmac_sha1_update(&st->sha1, data, len); break;
    case XW_SASL_SCRAM_SHA_256: crypto_auth_hmacsha256_update(&st->sha256, data, len); break;
    default: crypto_auth_hmacsha512_update(&st->sha512, data, len); break;
    }
}

static void hmac_final(xw_sasl_mech m, hmac_state *st, uint8_t *out) {
    switch (m) {
    case XW_SASL_SCRAM_SHA_1: xw_hmac_sha1_final(&st->sha1, out); break;
    case XW_SASL_SCRAM_SHA_256: crypto_auth_hmacsha256_final(&st->sha256, out); break;
    default: crypto_auth_hmacsha512_final(&st->sha512, out); break;
    }
    sodium_memzero(st, sizeof *st);
}

/* HMAC(keyed's key, data): a copy of the keyed state saves hashing the
 * two pads again, which is half of every Hi() round otherwise. */
static void hmac_with(xw_sasl_mech m, const hmac_state *keyed, const void *data, size_t len, uint8_t *out) {
    hmac_state st = *keyed;
    hmac_update(m, &st, data, len);
    hmac_final(m, &st, out);
}

static void hmac(xw_sasl_mech m, const uint8_t *key, size_t key_len, const void *data, size_t len, uint8_t *out) {
    hmac_state st;
    hmac_init(m, &st, key, key_len);
    hmac_update(m, &st, data, len);
    hmac_final(m, &st, out);
}

/* ---------------------------------------------------------------- public */

static int printable_nonce(const char *n) {
    if (!n || !*n) return 0;
    for (; *n; n++)
        if (*n < 0x21 || *n > 0x7e || *n == ',') return 0;
    return 1;
}

static void wipe_str(char *s) {
    if (s) sodium_memzero(s, strlen(s));
    free(s);
}


int xw_sasl_prep_password(const char *password, xw_buf *out) {
    const unsigned char *p = (const unsigned char *)password;
    size_t left = strlen(password), start = out->len;
    while (left) {
        uint32_t cp;
        size_t n = xw_utf8_decode(p, left, &cp);
        int rc;
        if (!n || cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) {
            rc = XW_ERR_INVALID; /* FreeformClass: no control characters */
        } else if (cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x202F ||
                   cp == 0x205F || cp == 0x3000) {
            rc = xw_buf_append(out, " ", 1); /* RFC 8265 §4.2.1: non-ASCII space to U+0020 */
        } else {
            rc = xw_buf_append(out, p, n);
        }
        if (rc) {
            if (out->data) sodium_memzero(out->data + start, out->len - start);
            out->len = start;
            if (out->data) out->data[start] = '\0';
            return rc;
        }
        p += n;
        left -= n;
    }
    return out->len > start ? XW_OK : XW_ERR_INVALID;
}

xw_sasl *xw_sasl_new(xw_sasl_mech mech, const char *authcid, const char *password, const char *client_nonce) {
    if (mech == XW_SASL_NONE || !authcid || (!password && mech == XW_SASL_PLAIN)) return NULL;
    if (mech != XW_SASL_PLAIN && !printable_nonce(client_nonce)) return NULL;
    xw_sasl *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->mech = mech;
    s->authcid = xw_strdup(authcid);
    s->password = password ? xw_strdup(password) : NULL;
    s->cnonce = xw_strdup(client_nonce ? client_nonce : "");
    if (!s->authcid || (password && !s->password) || !s->cnonce) {
        xw_sasl_free(s);
        return NULL;
    }
    return s;
}

void xw_sasl_set_key(xw_sasl *s, const xw_scram_key *key) {
    if (key && key->salt_len && key->mech == s->mech) s->key = *key;
}

int xw_sasl_get_key(const xw_sasl *s, xw_scram_key *out) {
    if (s->state < ST_DERIVED || s->mech == XW_SASL_PLAIN || !s->key.salt_len) return XW_ERR_STATE;
    *out = s->key;
    return XW_OK;
}

void xw_sasl_free(xw_sasl *s) {
    if (!s) return;
    wipe_str(s->password);
    free(s->authcid);
    free(s->cnonce);
    xw_buf_wipe(&s->client_first_bare);
    xw_buf_wipe(&s->auth_msg);
    xw_buf_free(&s->final_bare);
    sodium_memzero(s, sizeof *s);
    free(s);
}

int xw_sasl_initial(xw_sasl *s, xw_buf *out) {
    if (s->state != ST_NEW) return XW_ERR_STATE;
    int rc;
    if (s->mech == XW_SASL_PLAIN) {
        /* RFC 4616 §2: [authzid] NUL authcid NUL passwd. */
        rc = xw_buf_append(out, "", 1);
        if (!rc) rc = xw_buf_append_str(out, s->authcid);
        if (!rc) rc = xw_buf_append(out, "", 1);
        if (!rc) rc = xw_buf_append_str(out, s->password);
        if (!rc) s->state = ST_CHALLENGED; /* PLAIN has no challenge */
        return rc;
    }
    /* RFC 5802 §5.1: n=saslname with ',' and '=' escaped. */
    xw_buf *b = &s->client_first_bare;
    xw_buf_clear(b);
    rc = xw_buf_append_str(b, "n=");
    for (const char *p = s->authcid; !rc && *p; p++) {
        if (*p == ',') rc = xw_buf_append_str(b, "=2C");
        else if (*p == '=') rc = xw_buf_append_str(b, "=3D");
        else rc = xw_buf_append(b, p, 1);
    }
    if (!rc) rc = xw_buf_printf(b, ",r=%s", s->cnonce);
    /* gs2-header "n,,": no channel binding, no authzid. */
    if (!rc) rc = xw_buf_append_str(out, "n,,");
    if (!rc) rc = xw_buf_append(out, b->data, b->len);
    if (!rc) s->state = ST_INITIAL_SENT;
    return rc;
}

/* Finds "k=" at *p and returns its value span up to ',' or end. */
static int take_attr(const char **p, const char *end, char key, const char **val, size_t *vlen) {
    if (end - *p < 2 || (*p)[0] != key || (*p)[1] != '=') return 0;
    const char *v = *p + 2;
    const char *e = v;
    while (e < end && *e != ',') e++;
    *val = v;
    *vlen = (size_t)(e - v);
    *p = e < end ? e + 1 : e;
    return 1;
}

/* The derivation is over: keep the key for a later login, wipe the rest. */
static void finish_derivation(xw_sasl *s) {
    size_t hl = hash_len(s->mech);
    memcpy(s->key.salted, s->salted, hl);
    sodium_memzero(&s->keyed, sizeof s->keyed);
    sodium_memzero(s->u, sizeof s->u);
    wipe_str(s->password);
    s->password = NULL;
    s->state = ST_DERIVED;
}

int xw_sasl_start_challenge(xw_sasl *s, const uint8_t *msg, size_t len, unsigned max_iterations) {
    if (s->mech == XW_SASL_PLAIN || s->state != ST_INITIAL_SENT) return XW_ERR_STATE;
    s->state = ST_DONE; /* one challenge only; any failure below is final */
    const char *p = (const char *)msg, *end = p + len;
    if (memchr(msg, '\0', len)) return XW_ERR_AUTH;
    const char *nonce, *salt_b64, *iter;
    size_t nonce_len, salt_len, iter_len;
    /* RFC 5802 §7: server-first-message = [reserved-mext ","] nonce "," salt
     * "," iteration-count ["," extensions]; "m=" is a mandatory extension
     * we do not know, so authentication must fail. */
    if (!take_attr(&p, end, 'r', &nonce, &nonce_len)) return XW_ERR_AUTH;
    if (!take_attr(&p, end, 's', &salt_b64, &salt_len)) return XW_ERR_AUTH;
    if (!take_attr(&p, end, 'i', &iter, &iter_len)) return XW_ERR_AUTH;
    size_t cn = strlen(s->cnonce);
    /* RFC 5802 §5.1: the nonce must start with ours and add the server's part. */
    if (nonce_len <= cn || memcmp(nonce, s->cnonce, cn) != 0) return XW_ERR_AUTH;
    for (size_t i = 0; i < nonce_len; i++)
        if (nonce[i] < 0x21 || nonce[i] > 0x7e) return XW_ERR_AUTH;
    if (iter_len == 0 || iter_len > 9) return XW_ERR_AUTH;
    unsigned long iterations = 0;
    for (size_t i = 0; i < iter_len; i++) {
        if (iter[i] < '0' || iter[i] > '9') return XW_ERR_AUTH;
        iterations = iterations * 10 + (unsigned long)(iter[i] - '0');
    }
    if (iterations < XW_SCRAM_MIN_ITERATIONS || iterations > max_iterations) return XW_ERR_AUTH;
    xw_buf salt = {0};
    if (salt_len == 0 || xw_base64_decode(&salt, salt_b64, salt_len) || salt.len == 0) {
        xw_buf_free(&salt);
        return XW_ERR_AUTH;
    }
    int rc = xw_buf_append_str(&s->final_bare, "c=biws,r="); /* biws = base64("n,,") */
    if (!rc) rc = xw_buf_append(&s->final_bare, nonce, nonce_len);
    if (!rc) rc = xw_buf_append(&s->auth_msg, s->client_first_bare.data, s->client_first_bare.len);
    if (!rc) rc = xw_buf_append(&s->auth_msg, ",", 1);
    if (!rc) rc = xw_buf_append(&s->auth_msg, msg, len);
    if (!rc) rc = xw_buf_append(&s->auth_msg, ",", 1);
    if (!rc) rc = xw_buf_append(&s->auth_msg, s->final_bare.data, s->final_bare.len);
    int kept = s->key.salt_len == salt.len && s->key.iterations == iterations &&
               memcmp(s->key.salt, salt.data, salt.len) == 0;
    if (!rc && !kept && !s->password) rc = XW_ERR_AUTH; /* the server changed the salt: the password is gone */
    if (!rc && kept) {
        memcpy(s->salted, s->key.salted, sizeof s->salted);
        finish_derivation(s);
    } else if (!rc) {
        /* RFC 5802 §2.2: U1 = HMAC(password, salt || INT(1)). */
        static const uint8_t one[4] = {0, 0, 0, 1};
        hmac_init(s->mech, &s->keyed, (const uint8_t *)s->password, strlen(s->password));
        hmac_state st = s->keyed;
        hmac_update(s->mech, &st, salt.data, salt.len);
        hmac_update(s->mech, &st, one, sizeof one);
        hmac_final(s->mech, &st, s->u);
        memcpy(s->salted, s->u, hash_len(s->mech));
        s->rounds_done = 1;
        s->rounds_total = (unsigned)iterations;
        s->key.mech = s->mech;
        s->key.iterations = (unsigned)iterations;
        s->key.salt_len = salt.len <= sizeof s->key.salt ? salt.len : 0; /* too long to keep: Hi() again next time */
        if (s->key.salt_len) memcpy(s->key.salt, salt.data, salt.len);
        s->state = ST_DERIVING;
    }
    xw_buf_free(&salt);
    if (rc) s->state = ST_DONE;
    return rc;
}

int xw_sasl_derive(xw_sasl *s, unsigned iterations) {
    if (s->state == ST_DERIVED) return 1;
    if (s->state != ST_DERIVING) return XW_ERR_STATE;
    size_t hl = hash_len(s->mech);
    for (unsigned i = 0; i < iterations && s->rounds_done < s->rounds_total; i++, s->rounds_done++) {
        hmac_with(s->mech, &s->keyed, s->u, hl, s->u);
        for (size_t j = 0; j < hl; j++) s->salted[j] ^= s->u[j];
    }
    if (s->rounds_done < s->rounds_total) return 0;
    finish_derivation(s);
    return 1;
}

int xw_sasl_final_message(xw_sasl *s, xw_buf *out) {
    if (s->state != ST_DERIVED) return XW_ERR_STATE;
    xw_sasl_mech m = s->mech;
    size_t hl = hash_len(m);
    uint8_t client_key[MAX_HASH], stored_key[MAX_HASH], client_sig[MAX_HASH], server_key[MAX_HASH];
    /* RFC 5802 §3. */
    hmac(m, s->salted, hl, "Client Key", 10, client_key);
    hash(m, client_key, hl, stored_key);
    hmac(m, stored_key, hl, s->auth_msg.data, s->auth_msg.len, client_sig);
    for (size_t i = 0; i < hl; i++) client_key[i] ^= client_sig[i]; /* now ClientProof */
    hmac(m, s->salted, hl, "Server Key", 10, server_key);
    hmac(m, server_key, hl, s->auth_msg.data, s->auth_msg.len, s->server_signature);
    int rc = xw_buf_append(out, s->final_bare.data, s->final_bare.len);
    if (!rc) rc = xw_buf_append_str(out, ",p=");
    if (!rc) rc = xw_base64_encode(out, client_key, hl);
    sodium_memzero(client_key, sizeof client_key);
    sodium_memzero(stored_key, sizeof stored_key);
    sodium_memzero(client_sig, sizeof client_sig);
    sodium_memzero(server_key, sizeof server_key);
    sodium_memzero(s->salted, sizeof s->salted);
    xw_buf_wipe(&s->auth_msg);
    s->state = rc ? ST_DONE : ST_CHALLENGED;
    return rc;
}

int xw_sasl_challenge(xw_sasl *s, const uint8_t *msg, size_t len, xw_buf *out) {
    int rc = xw_sasl_start_challenge(s, msg, len, XW_SCRAM_MAX_ITERATIONS);
    if (!rc) rc = xw_sasl_derive(s, XW_SCRAM_MAX_ITERATIONS) == 1 ? XW_OK : XW_ERR_STATE;
    if (!rc) rc = xw_sasl_final_message(s, out);
    return rc;
}

int xw_sasl_verify_success(xw_sasl *s, const uint8_t *msg, size_t len) {
    if (s->state != ST_CHALLENGED) return XW_ERR_STATE;
    s->state = ST_DONE;
    if (s->mech == XW_SASL_PLAIN) return len == 0 ? XW_OK : XW_ERR_AUTH;
    const char *p = (const char *)msg, *end = p + len;
    const char *v;
    size_t vlen;
    /* RFC 5802 §7: server-final-message = (server-error / verifier) ["," extensions]. */
    if (!take_attr(&p, end, 'v', &v, &vlen)) return XW_ERR_AUTH;
    xw_buf sig = {0};
    size_t hl = hash_len(s->mech);
    int ok = xw_base64_decode(&sig, v, vlen) == XW_OK && sig.len == hl &&
             sodium_memcmp(sig.data, s->server_signature, hl) == 0;
    xw_buf_free(&sig);
    sodium_memzero(s->server_signature, sizeof s->server_signature);
    return ok ? XW_OK : XW_ERR_AUTH;
}
