/* test_jid.c: the JID parser, renderer and comparison (RFC 7622 §3). A
 * table of rows (input, valid?, expected parts) plus generated inputs for
 * the length limits, the forbidden characters and malformed UTF-8. Each
 * check names the rule it checks. Non-ASCII is written as \x escapes, split
 * into separate literals where a hex digit follows. */
#include "check.h"
#include "jid.h"

#include <stdlib.h>
#include <string.h>

typedef struct jid_row {
    const char *in;
    size_t len; /* 0: strlen(in) */
    int ok;
    const char *local, *domain, *resource; /* expected parts when ok */
    const char *rule;
} jid_row;

static const jid_row rows[] = {
    /* RFC 7622 §3.5 Table 1: legal JIDs. */
    {"juliet@example.com", 0, 1, "juliet", "example.com", NULL, "RFC 7622 §3.5 ex.1 bare JID"},
    {"juliet@example.com/foo", 0, 1, "juliet", "example.com", "foo", "RFC 7622 §3.5 ex.2 full JID"},
    {"juliet@example.com/foo bar", 0, 1, "juliet", "example.com", "foo bar",
     "RFC 7622 §3.5 ex.3 space in resourcepart"},
    {"juliet@example.com/foo@bar", 0, 1, "juliet", "example.com", "foo@bar",
     "RFC 7622 §3.5 ex.4 '@' in resourcepart"},
    {"foo\\20bar@example.com", 0, 1, "foo\\20bar", "example.com", NULL,
     "RFC 7622 §3.5 ex.5 XEP-0106 escaped space in localpart"},
    {"fussball@example.com", 0, 1, "fussball", "example.com", NULL, "RFC 7622 §3.5 ex.6"},
    {"fu\xC3\x9F" "ball@example.com", 0, 1, "fu\xC3\x9F" "ball", "example.com", NULL,
     "RFC 7622 §3.5 ex.7 U+00DF in localpart"},
    {"\xCF\x80@example.com", 0, 1, "\xCF\x80", "example.com", NULL,
     "RFC 7622 §3.5 ex.8 U+03C0 localpart"},
    {"\xCE\xA3@example.com/foo", 0, 1, "\xCE\xA3", "example.com", "foo",
     "RFC 7622 §3.5 ex.9 U+03A3 localpart (kept unmapped: no PRECIS)"},
    {"\xCF\x83@example.com/foo", 0, 1, "\xCF\x83", "example.com", "foo",
     "RFC 7622 §3.5 ex.10 U+03C3 localpart"},
    {"\xCF\x82@example.com/foo", 0, 1, "\xCF\x82", "example.com", "foo",
     "RFC 7622 §3.5 ex.11 U+03C2 localpart"},
    {"king@example.com/\xE2\x99\x9A", 0, 1, "king", "example.com", "\xE2\x99\x9A",
     "RFC 7622 §3.5 ex.12 U+265A resourcepart"},
    {"example.com", 0, 1, NULL, "example.com", NULL, "RFC 7622 §3.5 ex.13 domainpart only"},
    {"example.com/foobar", 0, 1, NULL, "example.com", "foobar",
     "RFC 7622 §3.5 ex.14 domainpart and resourcepart"},
    {"a.example.com/b@example.net", 0, 1, NULL, "a.example.com", "b@example.net",
     "RFC 7622 §3.5 ex.15 / §3.2 split at '/' before '@'"},

    /* RFC 7622 §3.5 Table 2: non-JIDs. */
    {"\"juliet\"@example.com", 0, 0, 0, 0, 0, "RFC 7622 §3.5 ex.16 / §3.3.1 '\"' in localpart"},
    {"foo bar@example.com", 0, 0, 0, 0, 0, "RFC 7622 §3.5 ex.17 space in localpart"},
    {"@example.com/", 0, 0, 0, 0, 0, "RFC 7622 §3.5 ex.19 empty localpart and resourcepart"},
    /* Accepted on purpose, documented in jid.c: without PRECIS these are
     * not recognised (ex.20, ex.21), and OpaqueString allows the space of
     * ex.18 (RFC 7613 §4.2). */
    {"juliet@example.com/ foo", 0, 1, "juliet", "example.com", " foo",
     "RFC 7622 §3.5 ex.18 accepted: OpaqueString allows U+0020 (RFC 7613 §4.2)"},
    {"henry\xE2\x85\xA3@example.com", 0, 1, "henry\xE2\x85\xA3", "example.com", NULL,
     "RFC 7622 §3.5 ex.20 accepted: no PRECIS IdentifierClass check"},
    {"\xE2\x99\x9A@example.com", 0, 1, "\xE2\x99\x9A", "example.com", NULL,
     "RFC 7622 §3.5 ex.21 accepted: no PRECIS IdentifierClass check"},

    /* Empty parts: §3.2, §3.3, §3.4 "MUST NOT be zero octets". */
    {"", 0, 0, 0, 0, 0, "RFC 7622 §3.2 empty string has no domainpart"},
    {"henryiv@example.com/", 0, 0, 0, 0, 0, "RFC 7622 §3.4 empty resourcepart"},
    {"juliet@example.com/", 0, 0, 0, 0, 0, "RFC 7622 §3.4 empty resourcepart"},
    {"juliet@", 0, 0, 0, 0, 0, "RFC 7622 §3.2 empty domainpart"},
    {"/foo", 0, 0, 0, 0, 0, "RFC 7622 §3.2 empty domainpart before resourcepart"},
    {"@example.com", 0, 0, 0, 0, 0, "RFC 7622 §3.3 empty localpart"},
    {"juliet@/foo", 0, 0, 0, 0, 0, "RFC 7622 §3.2 empty domainpart"},
    {"@", 0, 0, 0, 0, 0, "RFC 7622 §3.2/§3.3 empty localpart and domainpart"},
    {"/", 0, 0, 0, 0, 0, "RFC 7622 §3.2/§3.4 empty domainpart and resourcepart"},
    {"a@b@example.com", 0, 0, 0, 0, 0, "RFC 7622 §3.3.1 second '@' lands in the localpart"},

    /* Resourcepart is opaque (§3.4): '/' and '@' allowed after the first '/'. */
    {"room@chat.example.com/user@host", 0, 1, "room", "chat.example.com", "user@host",
     "RFC 7622 §3.4 '@' in resourcepart"},
    {"juliet@example.com/foo/bar", 0, 1, "juliet", "example.com", "foo/bar",
     "RFC 7622 §3.4 '/' in resourcepart is not hierarchy"},
    {"juliet@example.com//", 0, 1, "juliet", "example.com", "/",
     "RFC 7622 §3.4 resourcepart of one '/'"},
    {"juliet@example.com/\xC2\xA0", 0, 1, "juliet", "example.com", "\xC2\xA0",
     "RFC 7622 §3.4 U+00A0 allowed in resourcepart (FreeformClass)"},

    /* Domainpart (§3.2). */
    {"Juliet@Example.COM/Foo", 0, 1, "Juliet", "example.com", "Foo",
     "RFC 7622 §3.2.2 ASCII case of domainpart mapped; localpart, resourcepart kept"},
    {"example.com.", 0, 1, NULL, "example.com", NULL, "RFC 7622 §3.2 trailing dot stripped"},
    {"juliet@example.com./foo", 0, 1, "juliet", "example.com", "foo",
     "RFC 7622 §3.2 trailing dot stripped before resourcepart"},
    {"example.com..", 0, 0, 0, 0, 0, "RFC 7622 §3.2 only one trailing dot is stripped"},
    {".", 0, 0, 0, 0, 0, "RFC 7622 §3.2 domainpart empty after stripping the dot"},
    {"juliet@.", 0, 0, 0, 0, 0, "RFC 7622 §3.2 domainpart empty after stripping the dot"},
    {".example.com", 0, 0, 0, 0, 0, "RFC 7622 §3.2 (RFC 1034) empty leading label"},
    {"a..example.com", 0, 0, 0, 0, 0, "RFC 7622 §3.2 (RFC 1034) empty inner label"},
    {"exa mple.com", 0, 0, 0, 0, 0, "RFC 7622 §3.2.1 space is not LDH"},
    {"example.com:5222", 0, 0, 0, 0, 0, "RFC 7622 §3.2.1 ':' is not LDH (no port in a JID)"},
    {"exa<mple.com", 0, 0, 0, 0, 0, "RFC 7622 §3.2.1 '<' is not LDH"},
    {"ex\xC2\xA0" "ample.com", 0, 0, 0, 0, 0, "RFC 7622 §3.2.1 U+00A0 is not in a U-label"},
    {"localhost", 0, 1, NULL, "localhost", NULL, "RFC 7622 §3.2 unqualified hostname"},
    {"my-host_1.example", 0, 1, NULL, "my-host_1.example", NULL,
     "RFC 7622 §3.2 hyphen (LDH) and underscore (tolerated) in domainpart"},
    {"192.0.2.1", 0, 1, NULL, "192.0.2.1", NULL, "RFC 7622 §3.2 IPv4 domainpart"},
    {"juliet@M\xC3\xBCnchen.example", 0, 1, "juliet", "m\xC3\xBCnchen.example", NULL,
     "RFC 7622 §3.2 U-label accepted as UTF-8 (no IDNA), ASCII lowercased"},

    /* IPv6 literals (§3.2, RFC 3986 §3.2.2). */
    {"[::1]", 0, 1, NULL, "[::1]", NULL, "RFC 7622 §3.2 IPv6 domainpart"},
    {"juliet@[2001:DB8::1]/r", 0, 1, "juliet", "[2001:db8::1]", "r",
     "RFC 7622 §3.2 IPv6 domainpart, hex lowercased"},
    {"[::]", 0, 1, NULL, "[::]", NULL, "RFC 3986 §3.2.2 unspecified address"},
    {"[1:2:3:4:5:6:7:8]", 0, 1, NULL, "[1:2:3:4:5:6:7:8]", NULL, "RFC 3986 §3.2.2 eight groups"},
    {"[1:2:3:4:5:6:7::]", 0, 1, NULL, "[1:2:3:4:5:6:7::]", NULL, "RFC 3986 §3.2.2 trailing ::"},
    {"[::ffff:192.0.2.1]", 0, 1, NULL, "[::ffff:192.0.2.1]", NULL,
     "RFC 3986 §3.2.2 IPv4 tail"},
    {"[1:2:3:4:5:6:192.0.2.1]", 0, 1, NULL, "[1:2:3:4:5:6:192.0.2.1]", NULL,
     "RFC 3986 §3.2.2 six groups and IPv4 tail"},
    {"[::1", 0, 0, 0, 0, 0, "RFC 3986 §3.2.2 missing ']'"},
    {"::1", 0, 0, 0, 0, 0, "RFC 7622 §3.2 IPv6 needs brackets"},
    {"[]", 0, 0, 0, 0, 0, "RFC 3986 §3.2.2 empty literal"},
    {"[1:2:3:4:5:6:7:8:9]", 0, 0, 0, 0, 0, "RFC 3986 §3.2.2 nine groups"},
    {"[1:2:3:4:5:6:7]", 0, 0, 0, 0, 0, "RFC 3986 §3.2.2 seven groups without ::"},
    {"[1:2:3:4:5:6:7:8::]", 0, 0, 0, 0, 0, "RFC 3986 §3.2.2 :: with eight groups"},
    {"[1::2::3]", 0, 0, 0, 0, 0, "RFC 3986 §3.2.2 two ::"},
    {"[:::]", 0, 0, 0, 0, 0, "RFC 3986 §3.2.2 ':::'"},
    {"[:1::]", 0, 0, 0, 0, 0, "RFC 3986 §3.2.2 leading single ':'"},
    {"[1::2:]", 0, 0, 0, 0, 0, "RFC 3986 §3.2.2 trailing single ':'"},
    {"[12345::]", 0, 0, 0, 0, 0, "RFC 3986 §3.2.2 five hex digits"},
    {"[g::]", 0, 0, 0, 0, 0, "RFC 3986 §3.2.2 non-hex digit"},
    {"[::256.0.0.1]", 0, 0, 0, 0, 0, "RFC 3986 §3.2.2 IPv4 octet > 255"},
    {"[::01.0.0.1]", 0, 0, 0, 0, 0, "RFC 3986 §3.2.2 IPv4 octet with leading zero"},
    {"[::1.2.3]", 0, 0, 0, 0, 0, "RFC 3986 §3.2.2 IPv4 tail of three octets"},
    {"[::1.2.3.4:5]", 0, 0, 0, 0, 0, "RFC 3986 §3.2.2 IPv4 tail not last"},
    {"[1:2:3:4:5:6:7:1.2.3.4]", 0, 0, 0, 0, 0, "RFC 3986 §3.2.2 seven groups and IPv4 tail"},
    {"x[::1]", 0, 0, 0, 0, 0, "RFC 7622 §3.2 '[' inside a hostname"},

    /* Controls and NUL anywhere (RFC 7622 §3.1; PRECIS and IDNA disallow
     * Cc). Explicit lengths so the NUL is inside the input. */
    {"juliet\0x@example.com", 20, 0, 0, 0, 0, "RFC 7622 §3.1 NUL in localpart"},
    {"juliet@exa\0mple.com", 19, 0, 0, 0, 0, "RFC 7622 §3.1 NUL in domainpart"},
    {"juliet@example.com/f\0o", 22, 0, 0, 0, 0, "RFC 7622 §3.1 NUL in resourcepart"},
    {"juliet@example.com\0", 19, 0, 0, 0, 0, "RFC 7622 §3.1 trailing NUL inside len"},
    {"jul\tiet@example.com", 0, 0, 0, 0, 0, "RFC 7622 §3.3 control char (TAB) in localpart"},
    {"juliet@example.com/a\nb", 0, 0, 0, 0, 0, "RFC 7622 §3.4 control char (LF) in resourcepart"},
    {"juliet@example.com/a\x7F", 0, 0, 0, 0, 0, "RFC 7622 §3.4 DEL in resourcepart"},
    {"juliet@example.com/a\x1F", 0, 0, 0, 0, 0, "RFC 7622 §3.4 0x1F in resourcepart"},
    {"juliet@example.com/a\xC2\x85", 0, 0, 0, 0, 0, "RFC 7622 §3.4 C1 control U+0085"},
    {"jul\x7Fiet@example.com", 0, 0, 0, 0, 0, "RFC 7622 §3.3 DEL in localpart"},
    {"foo\xC2\xA0" "bar@example.com", 0, 0, 0, 0, 0,
     "RFC 7622 §3.3 U+00A0 space in localpart (IdentifierClass)"},
    {"foo\xE3\x80\x80" "bar@example.com", 0, 0, 0, 0, 0,
     "RFC 7622 §3.3 U+3000 space in localpart (IdentifierClass)"},

    /* Malformed UTF-8 (RFC 7622 §3.1, RFC 3629 §3-4), in each part. */
    {"\xC0\x80@example.com", 0, 0, 0, 0, 0, "RFC 3629 overlong 0xC0 0x80"},
    {"juliet@example.com/\xC1\xBF", 0, 0, 0, 0, 0, "RFC 3629 overlong 0xC1 0xBF"},
    {"\xE0\x80\xAF@example.com", 0, 0, 0, 0, 0, "RFC 3629 overlong 3-byte '/'"},
    {"\xF0\x80\x80\xAF@example.com", 0, 0, 0, 0, 0, "RFC 3629 overlong 4-byte '/'"},
    {"juliet@example.com/\xE0\x80\xAF", 0, 0, 0, 0, 0,
     "RFC 3629 overlong 3-byte '/' in resourcepart (where '/' is allowed)"},
    {"juliet@example.com/\xE0\x81\x81", 0, 0, 0, 0, 0, "RFC 3629 overlong 3-byte 'A'"},
    {"juliet@example.com/\xF0\x80\x81\x81", 0, 0, 0, 0, 0, "RFC 3629 overlong 4-byte 'A'"},
    {"juliet@example.com/\xE0\xA0\x80", 0, 1, "juliet", "example.com", "\xE0\xA0\x80",
     "RFC 3629 U+0800 (shortest 3-byte) is valid"},
    {"juliet@example.com/\xF0\x90\x80\x80", 0, 1, "juliet", "example.com",
     "\xF0\x90\x80\x80", "RFC 3629 U+10000 (shortest 4-byte) is valid"},
    {"a\x80@example.com", 0, 0, 0, 0, 0, "RFC 3629 lone continuation byte 0x80"},
    {"juliet@exa\x80mple.com", 0, 0, 0, 0, 0, "RFC 3629 lone continuation byte in domainpart"},
    {"juliet@example.com/\xED\xA0\x80", 0, 0, 0, 0, 0, "RFC 3629 surrogate U+D800"},
    {"\xED\xBF\xBF@example.com", 0, 0, 0, 0, 0, "RFC 3629 surrogate U+DFFF"},
    {"juliet@example.com/\xF4\x90\x80\x80", 0, 0, 0, 0, 0, "RFC 3629 above U+10FFFF"},
    {"juliet@example.com/\xF5\x80\x80\x80", 0, 0, 0, 0, 0, "RFC 3629 lead byte 0xF5"},
    {"juliet@example.com/\xFF", 0, 0, 0, 0, 0, "RFC 3629 byte 0xFF"},
    {"juliet@example.com/\xE2\x99", 0, 0, 0, 0, 0, "RFC 3629 truncated 3-byte sequence at end"},
    {"\xE2\x99@example.com", 0, 0, 0, 0, 0, "RFC 3629 truncated sequence before '@'"},
    {"juliet@example.com/\xF0\x9F\x98", 0, 0, 0, 0, 0, "RFC 3629 truncated 4-byte sequence"},
    {"juliet@example.com/\xC3", 0, 0, 0, 0, 0, "RFC 3629 truncated 2-byte sequence"},
    {"juliet@example.com/\xED\x9F\xBF", 0, 1, "juliet", "example.com", "\xED\x9F\xBF",
     "RFC 3629 U+D7FF (just below surrogates) is valid"},
    {"juliet@example.com/\xF4\x8F\xBF\xBF", 0, 1, "juliet", "example.com",
     "\xF4\x8F\xBF\xBF", "RFC 3629 U+10FFFF is valid"},
    {"juliet@example.com/\xF0\x9F\x98\x80", 0, 1, "juliet", "example.com",
     "\xF0\x9F\x98\x80", "RFC 3629 4-byte sequence U+1F600 is valid"},
};

static void check_row(const jid_row *r) {
    xw_jid j;
    size_t len = r->len ? r->len : strlen(r->in);
    /* An exact-size heap copy with no NUL after it, so ASan flags any read
     * past len (a truncated UTF-8 sequence at the end, say). */
    char *copy = malloc(len ? len : 1);
    CHECK(copy != NULL, "test setup: malloc");
    if (!copy) return;
    memcpy(copy, r->in, len);
    int rc = xw_jid_parse(copy, len, &j);
    free(copy);
    if (!r->ok) {
        CHECK(rc == XW_ERR_JID, "%s: \"%s\" must be rejected (rc %d)", r->rule, r->in, rc);
        CHECK(!j.local && !j.domain && !j.resource, "%s: *out zeroed on error", r->rule);
        return;
    }
    CHECK(rc == XW_OK, "%s: \"%s\" must parse (rc %d)", r->rule, r->in, rc);
    if (rc != XW_OK) return;
    if (r->local) CHECK_STR(j.local, r->local, "%s: localpart", r->rule);
    else CHECK(j.local == NULL, "%s: no localpart", r->rule);
    CHECK_STR(j.domain, r->domain, "%s: domainpart", r->rule);
    if (r->resource) CHECK_STR(j.resource, r->resource, "%s: resourcepart", r->rule);
    else CHECK(j.resource == NULL, "%s: no resourcepart", r->rule);
    xw_jid_free(&j);
    CHECK(!j.local && !j.domain && !j.resource, "xw_jid_free zeroes the struct");
}

/* Builds `prefix` + n bytes of filler + `suffix` into a malloc'd string;
 * with `dots`, every 64th filler byte is a '.' (never the last), so a long
 * domainpart is made of labels rather than one huge one. */
static char *gen(const char *prefix, size_t n, int dots, const char *suffix, size_t *out_len) {
    size_t pl = strlen(prefix), sl = strlen(suffix);
    char *s = malloc(pl + n + sl + 1);
    if (!s) return NULL;
    memcpy(s, prefix, pl);
    for (size_t i = 0; i < n; i++) s[pl + i] = (dots && i % 64 == 63 && i != n - 1) ? '.' : 'a';
    memcpy(s + pl + n, suffix, sl + 1);
    *out_len = pl + n + sl;
    return s;
}

static void check_len(const char *prefix, size_t n, int dots, const char *suffix, int want_ok,
                      size_t part_len, int which, const char *rule) {
    size_t len;
    char *s = gen(prefix, n, dots, suffix, &len);
    CHECK(s != NULL, "test setup: malloc");
    if (!s) return;
    xw_jid j;
    int rc = xw_jid_parse(s, len, &j);
    if (want_ok) {
        CHECK(rc == XW_OK, "%s: %zu-byte part accepted (rc %d)", rule, n, rc);
        const char *part = which == 0 ? j.local : which == 1 ? j.domain : j.resource;
        CHECK(rc == XW_OK && part && strlen(part) == part_len, "%s: part kept whole", rule);
    } else {
        CHECK(rc == XW_ERR_JID, "%s: %zu-byte part rejected (rc %d)", rule, n, rc);
    }
    xw_jid_free(&j);
    free(s);
}

static void test_lengths(void) {
    check_len("", 1023, 0, "@example.com", 1, 1023, 0, "RFC 7622 §3.3 localpart of 1023 octets");
    check_len("", 1024, 0, "@example.com", 0, 0, 0, "RFC 7622 §3.3 localpart of 1024 octets");
    check_len("juliet@", 1023, 1, "", 1, 1023, 1, "RFC 7622 §3.2 domainpart of 1023 octets");
    check_len("juliet@", 1024, 1, "", 0, 0, 1, "RFC 7622 §3.2 domainpart of 1024 octets");
    check_len("juliet@", 1023, 1, "/r", 1, 1023, 1,
              "RFC 7622 §3.2 domainpart of 1023 octets before a resourcepart");
    check_len("juliet@", 1024, 1, "/r", 0, 0, 1,
              "RFC 7622 §3.2 domainpart of 1024 octets before a resourcepart");
    check_len("", 1023, 1, ".", 1, 1023, 1,
              "RFC 7622 §3.2 1023 octets plus trailing dot: the dot is stripped first");
    check_len("", 1024, 1, ".", 0, 0, 1,
              "RFC 7622 §3.2 1024 octets plus trailing dot: too long after stripping");
    check_len("juliet@example.com/", 1023, 0, "", 1, 1023, 2,
              "RFC 7622 §3.4 resourcepart of 1023 octets");
    check_len("juliet@example.com/", 1024, 0, "", 0, 0, 2,
              "RFC 7622 §3.4 resourcepart of 1024 octets");
    check_len("", 1, 0, "@example.com", 1, 1, 0, "RFC 7622 §3.3 localpart of 1 octet");
    check_len("juliet@", 1, 0, "", 1, 1, 1, "RFC 7622 §3.2 domainpart of 1 octet");
    check_len("juliet@example.com/", 1, 0, "", 1, 1, 2, "RFC 7622 §3.4 resourcepart of 1 octet");
}

static void test_forbidden_local(void) {
    /* '/' cannot reach the localpart: §3.2 splits at it first. */
    static const char forbidden[] = "\"&':<>@";
    for (const char *f = forbidden; *f; f++) {
        char in[64], rule[64];
        snprintf(in, sizeof in, "ju%cliet@example.com", *f);
        snprintf(rule, sizeof rule, "RFC 7622 §3.3.1 forbidden char '%c'", *f);
        xw_jid j;
        int rc = xw_jid_parse(in, strlen(in), &j);
        CHECK(rc == XW_ERR_JID, "%s in \"%s\" (rc %d)", rule, in, rc);
        /* The same character is fine in a resourcepart (§3.4, opaque). */
        snprintf(in, sizeof in, "juliet@example.com/a%cb", *f);
        rc = xw_jid_parse(in, strlen(in), &j);
        CHECK(rc == XW_OK, "RFC 7622 §3.4 char '%c' allowed in resourcepart (rc %d)", *f, rc);
        xw_jid_free(&j);
    }
    xw_jid j;
    int rc = xw_jid_parse("ju/liet@example.com", 19, &j);
    CHECK(rc == XW_OK, "RFC 7622 §3.3.1 forbidden char '/': §3.2 makes it the resource separator");
    if (rc == XW_OK) {
        CHECK(j.local == NULL, "RFC 7622 §3.2 '/' before '@': no localpart");
        CHECK_STR(j.domain, "ju", "RFC 7622 §3.2 '/' before '@': domainpart");
        CHECK_STR(j.resource, "liet@example.com", "RFC 7622 §3.2 '/' before '@': resourcepart");
    }
    xw_jid_free(&j);
    /* Every ASCII control is rejected in each part (RFC 7622 §3.1). */
    for (int c = 1; c < 0x20; c++) {
        char in[64];
        snprintf(in, sizeof in, "a%cb@example.com", c);
        CHECK(xw_jid_parse(in, strlen(in), &j) == XW_ERR_JID,
              "RFC 7622 §3.3 control 0x%02X in localpart", c);
        snprintf(in, sizeof in, "juliet@exa%cmple.com", c);
        CHECK(xw_jid_parse(in, strlen(in), &j) == XW_ERR_JID,
              "RFC 7622 §3.2 control 0x%02X in domainpart", c);
        snprintf(in, sizeof in, "juliet@example.com/a%cb", c);
        CHECK(xw_jid_parse(in, strlen(in), &j) == XW_ERR_JID,
              "RFC 7622 §3.4 control 0x%02X in resourcepart", c);
    }
}

static void test_api_edges(void) {
    xw_jid j;
    static char sentinel;
    j.local = j.domain = j.resource = &sentinel;
    CHECK(xw_jid_parse(NULL, 5, &j) == XW_ERR_JID, "NULL input is not a JID");
    CHECK(!j.local && !j.domain && !j.resource, "*out zeroed on error (NULL input)");
    j.local = j.domain = j.resource = &sentinel;
    CHECK(xw_jid_parse("juliet@", 7, &j) == XW_ERR_JID, "RFC 7622 §3.2 empty domainpart");
    CHECK(!j.local && !j.domain && !j.resource, "*out zeroed on error (bad JID)");
    CHECK(xw_jid_parse("example.com", 11, NULL) == XW_ERR_INVALID, "NULL out is XW_ERR_INVALID");
    /* len bounds the input: bytes past it are not read. */
    CHECK(xw_jid_parse("juliet@example.com/foo", 18, &j) == XW_OK, "len excludes the resource");
    CHECK(j.resource == NULL, "len excludes the resource");
    xw_jid_free(&j);
    xw_jid_free(NULL); /* NULL-safe */
    xw_jid_free(&j);   /* twice is fine after zeroing */
}

static void check_render(const char *in, const char *bare, const char *full, const char *rule) {
    xw_jid j;
    xw_buf b = {0};
    CHECK(xw_jid_parse(in, strlen(in), &j) == XW_OK, "%s: parse \"%s\"", rule, in);
    CHECK(xw_jid_bare(&j, &b) == XW_OK, "%s: bare", rule);
    CHECK_STR(b.data, bare, "%s: bare form of \"%s\"", rule, in);
    xw_buf_clear(&b);
    CHECK(xw_jid_full(&j, &b) == XW_OK, "%s: full", rule);
    CHECK_STR(b.data, full, "%s: full form of \"%s\"", rule, in);
    xw_buf_free(&b);
    xw_jid_free(&j);
}

static void test_render(void) {
    check_render("juliet@example.com/foo", "juliet@example.com", "juliet@example.com/foo",
                 "RFC 7622 §3.1 local@domain/resource");
    check_render("juliet@example.com", "juliet@example.com", "juliet@example.com",
                 "RFC 7622 §3.1 bare JID renders the same both ways");
    check_render("example.com/foobar", "example.com", "example.com/foobar",
                 "RFC 7622 §3.5 ex.14 domain/resource");
    check_render("example.com", "example.com", "example.com", "RFC 7622 §3.5 ex.13 domain only");
    check_render("Juliet@EXAMPLE.com./Balcony", "Juliet@example.com",
                 "Juliet@example.com/Balcony",
                 "RFC 7622 §3.2 canonical domainpart: lowercased, trailing dot stripped");
    check_render("a.example.com/b@example.net", "a.example.com", "a.example.com/b@example.net",
                 "RFC 7622 §3.5 ex.15");
    check_render("[::1]/r", "[::1]", "[::1]/r", "RFC 7622 §3.2 IPv6 domainpart");

    /* Rendering appends to what the buffer holds. */
    xw_jid j;
    xw_buf b = {0};
    CHECK(xw_jid_parse("a@b/c", 5, &j) == XW_OK, "parse a@b/c");
    CHECK(xw_buf_append_str(&b, "to=") == XW_OK, "test setup");
    CHECK(xw_jid_full(&j, &b) == XW_OK && xw_jid_bare(&j, &b) == XW_OK, "append twice");
    CHECK_STR(b.data, "to=a@b/ca@b", "xw_jid_bare/full append to out");
    xw_jid_free(&j);
    CHECK(xw_jid_bare(&j, &b) == XW_ERR_INVALID, "a freed JID has no domain to render");
    CHECK(xw_jid_full(NULL, &b) == XW_ERR_INVALID, "NULL JID");
    xw_buf_free(&b);
}

typedef struct eq_row {
    const char *a, *b;
    int bare_only, want;
    const char *rule;
} eq_row;

static const eq_row eq_rows[] = {
    {"juliet@example.com", "juliet@example.com", 0, 1, "RFC 7622 §3.3.4 identical"},
    {"juliet@example.com", "JULIET@EXAMPLE.COM", 0, 1,
     "RFC 7622 §3.3.4/§3.2.3 ASCII case folded in localpart and domainpart"},
    {"juliet@example.com/foo", "juliet@example.com/FOO", 0, 0,
     "RFC 7622 §3.4.4 resourcepart compared exactly (OpaqueString)"},
    {"juliet@example.com/foo", "juliet@example.com/FOO", 1, 1,
     "RFC 7622 bare_only ignores resourcepart"},
    {"juliet@example.com/foo", "Juliet@Example.com/foo", 0, 1,
     "RFC 7622 §3.3.4 full JIDs differing in ASCII case of bare part"},
    {"juliet@example.com", "juliet@example.com/foo", 0, 0,
     "RFC 7622 §3.4 bare and full JID differ"},
    {"juliet@example.com", "juliet@example.com/foo", 1, 1,
     "RFC 7622 bare_only: bare equals full's bare"},
    {"example.com.", "example.com", 0, 1, "RFC 7622 §3.2 trailing dot stripped before compare"},
    {"juliet@example.com./r", "juliet@example.com/r", 0, 1,
     "RFC 7622 §3.2 trailing dot stripped before compare, with resourcepart"},
    {"example.com", "juliet@example.com", 1, 0, "RFC 7622 §3.3 localpart absent vs present"},
    {"juliet@example.com", "romeo@example.com", 0, 0, "different localparts"},
    {"juliet@example.com", "juliet@example.org", 1, 0, "different domainparts"},
    {"fussball@example.com", "fu\xC3\x9F" "ball@example.com", 0, 0,
     "RFC 7622 §3.5 ex.6 and ex.7 differ"},
    {"\xCF\x83@example.com/foo", "\xCF\x82@example.com/foo", 0, 0,
     "RFC 7622 §3.5 ex.10 and ex.11 differ (final sigma)"},
    {"\xCE\xA3@example.com/foo", "\xCF\x83@example.com/foo", 0, 0,
     "RFC 7622 §3.5 ex.9 and ex.10 would match under PRECIS; no PRECIS here (documented)"},
    {"[::1]", "[::1]", 0, 1, "RFC 7622 §3.2 IPv6 domainparts"},
    {"a/b", "a/b ", 0, 0, "RFC 7622 §3.4 resourcepart exact, trailing space counts"},
    {"", "", 0, 0, "invalid JIDs are never equal"},
    {"juliet@", "juliet@", 1, 0, "invalid JIDs are never equal"},
    {"juliet@example.com", "@example.com", 1, 0, "one side invalid"},
    {"foo bar@example.com", "foo bar@example.com", 1, 0, "RFC 7622 §3.5 ex.17 invalid both sides"},
};

static void test_equal(void) {
    for (size_t i = 0; i < sizeof eq_rows / sizeof eq_rows[0]; i++) {
        const eq_row *r = &eq_rows[i];
        CHECK(xw_jid_equal(r->a, r->b, r->bare_only) == r->want, "%s: \"%s\" vs \"%s\"", r->rule,
              r->a, r->b);
        CHECK(xw_jid_equal(r->b, r->a, r->bare_only) == r->want, "%s (symmetric)", r->rule);
    }
    CHECK(xw_jid_equal(NULL, "example.com", 0) == 0, "NULL is never equal");
    CHECK(xw_jid_equal("example.com", NULL, 1) == 0, "NULL is never equal");
    CHECK(xw_jid_equal(NULL, NULL, 0) == 0, "NULL is never equal");
}

int main(void) {
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) check_row(&rows[i]);
    test_lengths();
    test_forbidden_local();
    test_api_edges();
    test_render();
    test_equal();
    return check_report("test_jid");
}
