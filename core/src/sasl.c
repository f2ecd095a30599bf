/* sasl.c: PLAIN (RFC 4616) and SCRAM (RFC 5802, RFC 7677). SCRAM's
 * primitives: SHA-256/512 and their HMACs from libsodium, SHA-1 from
 * sha1.c; Hi() is PBKDF2 over the HMAC. The server signature is compared
 * in constant time and every secret is wiped as soon as it is not needed. */
#include "sasl.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "sha1.h"

#define MAX_HASH 64

typedef enum { ST_NEW, ST_INITIAL_SENT, ST_CHALLENGED, ST_DONE } sasl_state;

struct xw_sasl {
    xw_sasl_mech mech;
    char *authcid;
    char *password;
    char *cnonce;
    sasl_state state;
    xw_buf client_first_bare;
    uint8_t server_signature[MAX_HASH];
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

/* HMAC(key, a || b): two parts so Hi()'s first round needs no copy. */
static void hmac2(xw_sasl_mech m, const uint8_t *key, size_t key_len, const void *a, size_t alen, const void *b,
                  size_t blen, uint8_t *out) {
    switch (m) {
    case XW_SASL_SCRAM_SHA_1: {
        xw_hmac_sha1 st;
        xw_hmac_sha1_init(&st, key, key_len);
        xw_hmac_sha1_update(&st, a, alen);
        xw_hmac_sha1_update(&st, b, blen);
        xw_hmac_sha1_final(&st, out);
        sodium_memzero(&st, sizeof st);
        break;
    }
    case XW_SASL_SCRAM_SHA_256: {
        crypto_auth_hmacsha256_state st;
        crypto_auth_hmacsha256_init(&st, key, key_len);
        crypto_auth_hmacsha256_update(&st, a, alen);
        crypto_auth_hmacsha256_update(&st, b, blen);
        crypto_auth_hmacsha256_final(&st, out);
        sodium_memzero(&st, sizeof st);
        break;
    }
    default: {
        crypto_auth_hmacsha512_state st;
        crypto_auth_hmacsha512_init(&st, key, key_len);
        crypto_auth_hmacsha512_update(&st, a, alen);
        crypto_auth_hmacsha512_update(&st, b, blen);
        crypto_auth_hmacsha512_final(&st, out);
        sodium_memzero(&st, sizeof st);
        break;
    }
    }
}

static void hmac(xw_sasl_mech m, const uint8_t *key, size_t key_len, const void *data, size_t len, uint8_t *out) {
    hmac2(m, key, key_len, data, len, "", 0, out);
}

/* RFC 5802 §2.2 Hi(): PBKDF2 with one output block. */
static void hi(xw_sasl_mech m, const char *password, const uint8_t *salt, size_t salt_len, unsigned iterations,
               uint8_t *out) {
    size_t hl = hash_len(m);
    uint8_t u[MAX_HASH];
    static const uint8_t one[4] = {0, 0, 0, 1};
    const uint8_t *key = (const uint8_t *)password;
    size_t key_len = strlen(password);
    hmac2(m, key, key_len, salt, salt_len, one, sizeof one, u);
    memcpy(out, u, hl);
    for (unsigned i = 1; i < iterations; i++) {
        hmac(m, key, key_len, u, hl, u);
        for (size_t j = 0; j < hl; j++) out[j] ^= u[j];
    }
    sodium_memzero(u, sizeof u);
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

xw_sasl *xw_sasl_new(xw_sasl_mech mech, const char *authcid, const char *password, const char *client_nonce) {
    if (mech == XW_SASL_NONE || !authcid || !password) return NULL;
    if (mech != XW_SASL_PLAIN && !printable_nonce(client_nonce)) return NULL;
    xw_sasl *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->mech = mech;
    s->authcid = xw_strdup(authcid);
    s->password = xw_strdup(password);
    s->cnonce = xw_strdup(client_nonce ? client_nonce : "");
    if (!s->authcid || !s->password || !s->cnonce) {
        xw_sasl_free(s);
        return NULL;
    }
    return s;
}

void xw_sasl_free(xw_sasl *s) {
    if (!s) return;
    wipe_str(s->password);
    free(s->authcid);
    free(s->cnonce);
    xw_buf_wipe(&s->client_first_bare);
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

int xw_sasl_challenge(xw_sasl *s, const uint8_t *msg, size_t len, xw_buf *out) {
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
    if (iterations < XW_SCRAM_MIN_ITERATIONS || iterations > XW_SCRAM_MAX_ITERATIONS) return XW_ERR_AUTH;
    xw_buf salt = {0};
    if (salt_len == 0 || xw_base64_decode(&salt, salt_b64, salt_len) || salt.len == 0) {
        xw_buf_free(&salt);
        return XW_ERR_AUTH;
    }

    xw_sasl_mech m = s->mech;
    size_t hl = hash_len(m);
    uint8_t salted[MAX_HASH], client_key[MAX_HASH], stored_key[MAX_HASH], client_sig[MAX_HASH],
        server_key[MAX_HASH];
    xw_buf auth_msg = {0}, final_bare = {0};
    int rc = xw_buf_append_str(&final_bare, "c=biws,r="); /* biws = base64("n,,") */
    if (!rc) rc = xw_buf_append(&final_bare, nonce, nonce_len);
    if (!rc) rc = xw_buf_append(&auth_msg, s->client_first_bare.data, s->client_first_bare.len);
    if (!rc) rc = xw_buf_append(&auth_msg, ",", 1);
    if (!rc) rc = xw_buf_append(&auth_msg, msg, len);
    if (!rc) rc = xw_buf_append(&auth_msg, ",", 1);
    if (!rc) rc = xw_buf_append(&auth_msg, final_bare.data, final_bare.len);
    if (!rc) {
        /* RFC 5802 §3. */
        hi(m, s->password, (const uint8_t *)salt.data, salt.len, (unsigned)iterations, salted);
        hmac(m, salted, hl, "Client Key", 10, client_key);
        hash(m, client_key, hl, stored_key);
        hmac(m, stored_key, hl, auth_msg.data, auth_msg.len, client_sig);
        for (size_t i = 0; i < hl; i++) client_key[i] ^= client_sig[i]; /* now ClientProof */
        hmac(m, salted, hl, "Server Key", 10, server_key);
        hmac(m, server_key, hl, auth_msg.data, auth_msg.len, s->server_signature);
        rc = xw_buf_append(out, final_bare.data, final_bare.len);
        if (!rc) rc = xw_buf_append_str(out, ",p=");
        if (!rc) rc = xw_base64_encode(out, client_key, hl);
    }
    sodium_memzero(salted, sizeof salted);
    sodium_memzero(client_key, sizeof client_key);
    sodium_memzero(stored_key, sizeof stored_key);
    sodium_memzero(client_sig, sizeof client_sig);
    sodium_memzero(server_key, sizeof server_key);
    xw_buf_wipe(&auth_msg);
    xw_buf_free(&final_bare);
    xw_buf_free(&salt);
    /* The password is no longer needed. */
    wipe_str(s->password);
    s->password = xw_strdup("");
    if (!rc) s->state = ST_CHALLENGED;
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
