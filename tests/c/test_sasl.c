/* test_sasl.c: SHA-1/HMAC-SHA-1 vectors and SCRAM against the RFC 5802 and
 * RFC 7677 examples, plus every way a server can fail SCRAM's checks. */
#include "check.h"
#include "sasl.h"
#include "sha1.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static void hex(const uint8_t *b, size_t n, char *out) {
    for (size_t i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", b[i]);
}

static void test_sha1(void) {
    static const struct { const char *in; const char *want; const char *rule; } rows[] = {
        {"abc", "a9993e364706816aba3e25717850c26c9cd0d89d", "FIPS 180-2 appendix A.1"},
        {"", "da39a3ee5e6b4b0d3255bfef95601890afd80709", "RFC 3174 empty string"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "84983e441c3bd26ebaae4aa1f95129e5e54670f1",
         "FIPS 180-2 appendix A.2 (448 bits)"},
    };
    char h[41];
    uint8_t d[20];
    for (size_t i = 0; i < 3; i++) {
        xw_sha1(rows[i].in, strlen(rows[i].in), d);
        hex(d, 20, h);
        CHECK_STR(h, rows[i].want, "%s", rows[i].rule);
    }
    xw_sha1_state s;
    xw_sha1_init(&s);
    char a[1000];
    memset(a, 'a', sizeof a);
    for (int i = 0; i < 1000; i++) xw_sha1_update(&s, a, sizeof a);
    xw_sha1_final(&s, d);
    hex(d, 20, h);
    CHECK_STR(h, "34aa973cd4c4daa4f61eeb2bdbad27316534016f", "FIPS 180-2 appendix A.3 (one million 'a')");

    /* RFC 2202 §3 test cases 1, 2, 6 (key longer than a block). */
    uint8_t key1[20];
    memset(key1, 0x0b, sizeof key1);
    uint8_t key6[80];
    memset(key6, 0xaa, sizeof key6);
    static const char *wants[] = {"b617318655057264e28bc0b6fb378c8ef146be00", "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
                                  "aa4ae5e15272d00e95705637ce8a3b55ed402112"};
    const uint8_t *keys[] = {key1, (const uint8_t *)"Jefe", key6};
    size_t klen[] = {20, 4, 80};
    const char *data[] = {"Hi There", "what do ya want for nothing?", "Test Using Larger Than Block-Size Key - Hash Key First"};
    for (int i = 0; i < 3; i++) {
        xw_hmac_sha1 hm;
        xw_hmac_sha1_init(&hm, keys[i], klen[i]);
        xw_hmac_sha1_update(&hm, data[i], strlen(data[i]));
        xw_hmac_sha1_final(&hm, d);
        hex(d, 20, h);
        CHECK_STR(h, wants[i], "RFC 2202 §3 HMAC-SHA-1 case %d", i);
    }
}

/* Runs a full SCRAM exchange; returns the final verify result. */
static int scram(xw_sasl_mech m, const char *user, const char *nonce, const char *server_first,
                 const char *want_client_final, const char *server_final, const char *rule) {
    xw_sasl *s = xw_sasl_new(m, user, "pencil", nonce);
    CHECK(s != NULL, "%s: new", rule);
    if (!s) return -100;
    xw_buf out = {0};
    CHECK(xw_sasl_initial(s, &out) == 0, "%s: initial", rule);
    char want_first[128];
    snprintf(want_first, sizeof want_first, "n,,n=%s,r=%s", user, nonce);
    CHECK_STR(out.data, want_first, "%s: client-first-message", rule);
    xw_buf_clear(&out);
    int rc = xw_sasl_challenge(s, (const uint8_t *)server_first, strlen(server_first), &out);
    if (rc == 0 && want_client_final) CHECK_STR(out.data, want_client_final, "%s: client-final-message", rule);
    if (rc == 0) rc = xw_sasl_verify_success(s, (const uint8_t *)server_final, strlen(server_final));
    xw_buf_free(&out);
    xw_sasl_free(s);
    return rc;
}

#define SF1 "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096"
#define CF1 "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="
#define SF256 "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
#define CF256 "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="

static void test_scram_vectors(void) {
    CHECK(scram(XW_SASL_SCRAM_SHA_1, "user", "fyko+d2lbbFgONRv9qkxdawL", SF1, CF1, "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
                "RFC 5802 §5 example") == 0,
          "RFC 5802 §5: server signature verifies");
    CHECK(scram(XW_SASL_SCRAM_SHA_256, "user", "rOprNGfwEbeRWgbNEkqO", SF256, CF256,
                "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=", "RFC 7677 §3 example") == 0,
          "RFC 7677 §3: server signature verifies");
}

/* SCRAM-SHA-512 has no RFC example: compute the server side here from
 * libsodium's PBKDF2-free primitives, independently of sasl.c. */
static void test_scram_sha512_roundtrip(void) {
    const char *nonce = "clientNONCE123";
    const char *server_first = "r=clientNONCE123serverPART,s=c2FsdHNhbHQ=,i=4096";
    uint8_t salted[64], u[64], block[64];
    crypto_auth_hmacsha512_state st;
    crypto_auth_hmacsha512_init(&st, (const uint8_t *)"pencil", 6);
    crypto_auth_hmacsha512_update(&st, (const uint8_t *)"saltsalt\0\0\0\1", 12);
    crypto_auth_hmacsha512_final(&st, u);
    memcpy(salted, u, 64);
    for (int i = 1; i < 4096; i++) {
        crypto_auth_hmacsha512_init(&st, (const uint8_t *)"pencil", 6);
        crypto_auth_hmacsha512_update(&st, u, 64);
        crypto_auth_hmacsha512_final(&st, u);
        for (int j = 0; j < 64; j++) salted[j] ^= u[j];
    }
    char auth[256];
    snprintf(auth, sizeof auth, "n=user,r=%s,%s,c=biws,r=clientNONCE123serverPART", nonce, server_first);
    crypto_auth_hmacsha512_init(&st, salted, 64);
    crypto_auth_hmacsha512_update(&st, (const uint8_t *)"Server Key", 10);
    crypto_auth_hmacsha512_final(&st, block);
    crypto_auth_hmacsha512_init(&st, block, 64);
    crypto_auth_hmacsha512_update(&st, (const uint8_t *)auth, strlen(auth));
    crypto_auth_hmacsha512_final(&st, u);
    char b64[100] = "v=";
    sodium_bin2base64(b64 + 2, sizeof b64 - 2, u, 64, sodium_base64_VARIANT_ORIGINAL);
    CHECK(scram(XW_SASL_SCRAM_SHA_512, "user", nonce, server_first, NULL, b64, "SCRAM-SHA-512") == 0,
          "RFC 5802 §3 with SHA-512: independent server computation verifies");
}

static void test_scram_failures(void) {
    const char *n1 = "fyko+d2lbbFgONRv9qkxdawL";
    CHECK(scram(XW_SASL_SCRAM_SHA_1, "user", n1, SF1, NULL, "v=rmF9pqV8S7suAoZWja4dJRkFsKR=", "bad sig") == XW_ERR_AUTH,
          "RFC 5802 §5.1: a wrong server signature fails authentication");
    CHECK(scram(XW_SASL_SCRAM_SHA_1, "user", n1, SF1, NULL, "v=", "empty sig") == XW_ERR_AUTH, "empty signature");
    CHECK(scram(XW_SASL_SCRAM_SHA_1, "user", n1, SF1, NULL, "e=other-error", "e=") == XW_ERR_AUTH,
          "RFC 5802 §7: server-error fails authentication");
    CHECK(scram(XW_SASL_SCRAM_SHA_1, "user", n1, "r=XXXX+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=4096", NULL, "v=", "nonce") ==
              XW_ERR_AUTH,
          "RFC 5802 §5.1: a server nonce that does not start with ours fails");
    CHECK(scram(XW_SASL_SCRAM_SHA_1, "user", n1, "r=fyko+d2lbbFgONRv9qkxdawL,s=QSXCR+Q6sek8bf92,i=4096", NULL, "v=", "nonce") ==
              XW_ERR_AUTH,
          "RFC 5802 §5.1: a server nonce that adds nothing fails");
    CHECK(scram(XW_SASL_SCRAM_SHA_1, "user", n1, "r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=4095", NULL, "v=", "iter") ==
              XW_ERR_AUTH,
          "RFC 5802 §5.1: fewer than 4096 iterations fails");
    CHECK(scram(XW_SASL_SCRAM_SHA_1, "user", n1, "r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=999999999", NULL, "v=", "iter") ==
              XW_ERR_AUTH,
          "iteration cap: a server cannot freeze the page");
    static const char *bad[] = {"", "garbage", "m=ext,r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=4096",
                                "r=fyko+d2lbbFgONRv9qkxdawL3rfc,i=4096", "r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=!!!,i=4096",
                                "r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=,i=4096", "r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=",
                                "r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=40x6"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK(scram(XW_SASL_SCRAM_SHA_1, "user", n1, bad[i], NULL, "v=", "malformed") == XW_ERR_AUTH,
              "RFC 5802 §7: malformed server-first rejected: '%s'", bad[i]);

    xw_sasl *s = xw_sasl_new(XW_SASL_SCRAM_SHA_1, "a,b=c", "pw", "nonce");
    xw_buf out = {0};
    CHECK(xw_sasl_verify_success(s, (const uint8_t *)"v=", 2) == XW_ERR_STATE, "verify before challenge is a state error");
    xw_sasl_free(s);
    s = xw_sasl_new(XW_SASL_SCRAM_SHA_1, "a,b=c", "pw", "nonce");
    CHECK(xw_sasl_initial(s, &out) == 0 && strcmp(out.data, "n,,n=a=2Cb=3Dc,r=nonce") == 0,
          "RFC 5802 §5.1: ',' and '=' escaped in the username: %s", out.data);
    xw_sasl_free(s);
    xw_buf_free(&out);
    CHECK(xw_sasl_new(XW_SASL_SCRAM_SHA_1, "u", "p", "has,comma") == NULL, "nonce with ',' refused");

    s = xw_sasl_new(XW_SASL_PLAIN, "alice", "secret", NULL);
    CHECK(xw_sasl_initial(s, &out) == 0 && out.len == 13 && memcmp(out.data, "\0alice\0secret", 13) == 0,
          "RFC 4616 §2: PLAIN message");
    CHECK(xw_sasl_verify_success(s, (const uint8_t *)"", 0) == 0, "PLAIN success without data");
    xw_sasl_free(s);
    xw_buf_free(&out);
}

static void test_choose(void) {
    const char *all[] = {"PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-512", "X-OAUTH2"};
    CHECK(xw_sasl_choose(all, 5, 1) == XW_SASL_SCRAM_SHA_512, "strongest first: SCRAM-SHA-512");
    CHECK(xw_sasl_choose(all, 3, 1) == XW_SASL_SCRAM_SHA_256, "SCRAM-SHA-256 over -1 and PLAIN");
    CHECK(xw_sasl_choose(all, 2, 1) == XW_SASL_SCRAM_SHA_1, "SCRAM-SHA-1 over PLAIN");
    CHECK(xw_sasl_choose(all, 1, 1) == XW_SASL_PLAIN, "PLAIN when allowed");
    CHECK(xw_sasl_choose(all, 1, 0) == XW_SASL_NONE, "PLAIN refused unless allowed");
    const char *odd[] = {"DIGEST-MD5", "scram-sha-1"};
    CHECK(xw_sasl_choose(odd, 2, 1) == XW_SASL_NONE, "RFC 4422 §3.1: names are case-sensitive; unknown ignored");
}

int main(void) {
    if (sodium_init() < 0) return 1;
    test_sha1();
    test_scram_vectors();
    test_scram_sha512_roundtrip();
    test_scram_failures();
    test_choose();
    return check_report("test_sasl");
}
