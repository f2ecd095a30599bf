/* test_xml.c: the restricted BOSH body parser, the stanza tree and the
 * serializer. Each check names the rule it checks. */
#include "check.h"
#include "xml.h"

#include <stdlib.h>
#include <string.h>

typedef struct collected {
    xw_buf out;       /* serialized stanzas, one per line */
    int bodies;
    char body_sid[32];
} collected;

static int on_body(void *ud, const xw_node *body) {
    collected *c = ud;
    const char *sid = xw_node_attr(body, "sid");
    c->bodies++;
    snprintf(c->body_sid, sizeof c->body_sid, "%s", sid ? sid : "");
    return 0;
}

static int on_stanza(void *ud, xw_node *st) {
    collected *c = ud;
    int rc = xw_node_serialize(st, NULL, &c->out);
    if (!rc) rc = xw_buf_append(&c->out, "\n", 1);
    xw_node_free(st);
    return rc;
}

/* Records a skipped stanza as "SKIP <name> from=<from> id=<id> <limit>". */
static int on_skip(void *ud, const xw_xml_skipped *sk) {
    collected *c = ud;
    return xw_buf_printf(&c->out, "SKIP %s from=%s id=%s %s\n", sk->name ? sk->name : "?",
                         sk->from ? sk->from : "-", sk->id ? sk->id : "-", sk->limit);
}

/* Whether parse_chunked passes on_skip (per-stanza limits skip a stanza). */
static int skipping;

/* Parses doc fed in chunks of `chunk` bytes; returns the parser's code. */
static int parse_chunked(const char *doc, size_t chunk, collected *c, const xw_xml_limits *lim, char *err,
                         size_t errlen) {
    memset(c, 0, sizeof *c);
    xw_xml_parser *p = xw_xml_parser_new(lim, 12345, on_body, on_stanza, skipping ? on_skip : NULL, c);
    size_t len = strlen(doc);
    int rc = 0;
    if (chunk == 0) chunk = len ? len : 1;
    for (size_t off = 0; off < len && !rc; off += chunk) {
        size_t n = len - off < chunk ? len - off : chunk;
        rc = xw_xml_parser_feed(p, doc + off, n, off + n >= len);
    }
    if (!rc && len == 0) rc = xw_xml_parser_feed(p, "", 0, 1);
    if (err) snprintf(err, errlen, "%s", xw_xml_parser_error(p));
    xw_xml_parser_free(p);
    return rc;
}

static const char *SAMPLE =
    "<body xmlns='http://jabber.org/protocol/httpbind' sid='s1' rid='5'>"
    "<message xmlns='jabber:client' from='a@b/c' to='d@e' type='chat' id='m1' xml:lang='en'>"
    "<body>caf\xc3\xa9 &amp; &lt;tea&gt; &#x263A; &quot;q&quot;</body>"
    "<x xmlns='urn:example:ext' a=\"it's\"><y/>text</x></message>\n"
    "<presence xmlns='jabber:client' from='a@b/c'/>"
    "</body>";

static const char *SAMPLE_OUT =
    "<message xmlns='jabber:client' from='a@b/c' to='d@e' type='chat' id='m1' xml:lang='en'>"
    "<body>caf\xc3\xa9 &amp; &lt;tea&gt; \xe2\x98\xba &quot;q&quot;</body>"
    "<x xmlns='urn:example:ext' a='it&apos;s'><y/>text</x></message>\n"
    "<presence xmlns='jabber:client' from='a@b/c'/>\n";

static void test_every_chunk_size(void) {
    size_t len = strlen(SAMPLE);
    for (size_t chunk = 1; chunk <= len; chunk++) {
        collected c;
        char err[160];
        int rc = parse_chunked(SAMPLE, chunk, &c, NULL, err, sizeof err);
        CHECK(rc == 0, "chunk %zu: parse failed: %s", chunk, err);
        CHECK_STR(c.out.data, SAMPLE_OUT, "chunk size %zu gives the same stanzas", chunk);
        CHECK(c.bodies == 1 && strcmp(c.body_sid, "s1") == 0, "XEP-0124 §7: body attributes seen once");
        xw_buf_free(&c.out);
        if (check_failures) break; /* one report is enough */
    }
}

static void expect_error(const char *doc, int want, const char *rule) {
    collected c;
    char err[160];
    int rc = parse_chunked(doc, 0, &c, NULL, err, sizeof err);
    CHECK(rc == want, "%s: got %d (%s) want %d", rule, rc, err, want);
    CHECK(err[0] != '\0', "%s: an error message is given", rule);
    xw_buf_free(&c.out);
    /* And at every chunk size: the verdict must not depend on chunking. */
    for (size_t chunk = 1; chunk < strlen(doc); chunk += 7) {
        rc = parse_chunked(doc, chunk, &c, NULL, NULL, 0);
        CHECK(rc == want, "%s at chunk %zu: got %d", rule, chunk, rc);
        xw_buf_free(&c.out);
    }
}

static void test_restricted_xml(void) {
    expect_error("<!DOCTYPE body><body xmlns='http://jabber.org/protocol/httpbind'/>", XW_ERR_XML,
                 "RFC 6120 §11.1 DOCTYPE");
    expect_error("<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'><!ENTITY lol2 '&lol;&lol;&lol;&lol;'>]>"
                 "<body xmlns='http://jabber.org/protocol/httpbind'><message xmlns='jabber:client'><body>&lol2;</body></message></body>",
                 XW_ERR_XML, "RFC 6120 §11.1 billion laughs entity declarations");
    {
        /* Quadratic blowup: one large entity referenced many times. */
        xw_buf q = {0};
        if (xw_buf_append_str(&q, "<!DOCTYPE b [<!ENTITY a '")) abort();
        for (int i = 0; i < 50000; i++)
            if (xw_buf_append(&q, "a", 1)) abort();
        if (xw_buf_append_str(&q, "'>]><body xmlns='http://jabber.org/protocol/httpbind'><m xmlns='jabber:client'>")) abort();
        for (int i = 0; i < 50000; i++)
            if (xw_buf_append_str(&q, "&a;")) abort();
        if (xw_buf_append_str(&q, "</m></body>")) abort();
        collected qc;
        int qrc = parse_chunked(q.data, 0, &qc, NULL, NULL, 0);
        CHECK(qrc == XW_ERR_XML, "quadratic blowup (RFC 6120 §11.1 DOCTYPE) rejected before any expansion (got %d)", qrc);
        CHECK(qc.out.len == 0, "quadratic blowup: nothing delivered");
        xw_buf_free(&qc.out);
        xw_buf_free(&q);
    }
    expect_error("<body xmlns='http://jabber.org/protocol/httpbind'><!-- hi --></body>", XW_ERR_XML,
                 "RFC 6120 §11.1 comment");
    expect_error("<body xmlns='http://jabber.org/protocol/httpbind'><?php x ?></body>", XW_ERR_XML,
                 "RFC 6120 §11.1 processing instruction");
    expect_error("<body xmlns='http://jabber.org/protocol/httpbind'><message xmlns='jabber:client'>&ext;</message></body>",
                 XW_ERR_XML, "RFC 6120 §11.1 undeclared entity reference");
    expect_error("<stream xmlns='http://jabber.org/protocol/httpbind'/>", XW_ERR_XML,
                 "XEP-0124 §4 root must be body");
    expect_error("<body xmlns='jabber:client'/>", XW_ERR_XML, "XEP-0124 §4 body namespace");
    expect_error("<body xmlns='http://jabber.org/protocol/httpbind'>hello</body>", XW_ERR_XML,
                 "XEP-0124 §4 character data directly inside body");
    expect_error("<body xmlns='http://jabber.org/protocol/httpbind'><a></b></body>", XW_ERR_XML,
                 "XML 1.0 well-formedness: mismatched tag");
    expect_error("<body xmlns='http://jabber.org/protocol/httpbind'><a>\xff\xfe</a></body>", XW_ERR_XML,
                 "RFC 6120 §11.6 invalid UTF-8");
    expect_error("", XW_ERR_XML, "empty response body is not a document");
    const char nul_doc[] = "<body xmlns='http://jabber.org/protocol/httpbind'><a>x\0y</a></body>";
    collected c;
    memset(&c, 0, sizeof c);
    xw_xml_parser *p = xw_xml_parser_new(NULL, 1, on_body, on_stanza, NULL, &c);
    int rc = xw_xml_parser_feed(p, nul_doc, sizeof nul_doc - 1, 1);
    CHECK(rc == XW_ERR_XML, "XML 1.0 §2.2: NUL is not a character (got %d)", rc);
    xw_xml_parser_free(p);
    xw_buf_free(&c.out);
}

static void test_whitespace_between_stanzas(void) {
    collected c;
    int rc = parse_chunked("<body xmlns='http://jabber.org/protocol/httpbind'>\n  <iq xmlns='jabber:client' type='result' id='1'/>\r\n</body>",
                           0, &c, NULL, NULL, 0);
    CHECK(rc == 0, "XEP-0124 §4: whitespace between stanzas is allowed");
    CHECK_STR(c.out.data, "<iq xmlns='jabber:client' type='result' id='1'/>\n", "stanza after whitespace");
    xw_buf_free(&c.out);
}

static char *repeat(const char *unit, size_t n, const char *prefix, const char *suffix) {
    size_t ul = strlen(unit);
    xw_buf b = {0};
    if (xw_buf_append_str(&b, prefix)) abort();
    for (size_t i = 0; i < n; i++)
        if (xw_buf_append(&b, unit, ul)) abort();
    if (xw_buf_append_str(&b, suffix)) abort();
    return xw_buf_take(&b);
}

static void test_limits(void) {
    xw_xml_limits lim;
    xw_xml_limits_default(&lim);
    collected c;
    char err[160];

    /* 100,000-deep nesting stops at the depth limit, fast and bounded. */
    char *deep = repeat("<a>", 100000, "<body xmlns='http://jabber.org/protocol/httpbind'>", "");
    int rc = parse_chunked(deep, 0, &c, &lim, err, sizeof err);
    CHECK(rc == XW_ERR_LIMIT, "depth limit: 100,000 nested elements rejected (got %d %s)", rc, err);
    free(deep);
    xw_buf_free(&c.out);

    /* Exactly at the limit is fine. */
    lim.max_depth = 3;
    rc = parse_chunked("<body xmlns='http://jabber.org/protocol/httpbind'><a><b><c/></b></a></body>", 0, &c, &lim, err,
                       sizeof err);
    CHECK(rc == 0, "depth limit: depth 3 allowed with max_depth 3 (%s)", err);
    xw_buf_free(&c.out);
    rc = parse_chunked("<body xmlns='http://jabber.org/protocol/httpbind'><a><b><c><d/></c></b></a></body>", 0, &c,
                       &lim, err, sizeof err);
    CHECK(rc == XW_ERR_LIMIT, "depth limit: depth 4 rejected with max_depth 3");
    xw_buf_free(&c.out);
    xw_xml_limits_default(&lim);

    /* 10,000 attributes. */
    xw_buf many = {0};
    if (xw_buf_append_str(&many, "<body xmlns='http://jabber.org/protocol/httpbind'><m xmlns='jabber:client'")) abort();
    for (int i = 0; i < 10000; i++)
        if (xw_buf_printf(&many, " a%d='x'", i)) abort();
    if (xw_buf_append_str(&many, "/></body>")) abort();
    rc = parse_chunked(many.data, 0, &c, &lim, err, sizeof err);
    CHECK(rc == XW_ERR_LIMIT, "attribute count limit: 10,000 attributes rejected (got %d)", rc);
    xw_buf_free(&many);
    xw_buf_free(&c.out);

    /* Long attribute value. */
    char *longattr = repeat("x", 70000, "<body xmlns='http://jabber.org/protocol/httpbind'><m xmlns='jabber:client' a='", "'/></body>");
    rc = parse_chunked(longattr, 0, &c, &lim, err, sizeof err);
    CHECK(rc == XW_ERR_LIMIT, "attribute length limit (got %d)", rc);
    free(longattr);
    xw_buf_free(&c.out);

    /* Stanza size: a 2 MiB body text in one stanza. */
    char *big = repeat("0123456789abcdef", 131072, "<body xmlns='http://jabber.org/protocol/httpbind'><m xmlns='jabber:client'><b>",
                       "</b></m></body>");
    rc = parse_chunked(big, 4096, &c, &lim, err, sizeof err);
    CHECK(rc == XW_ERR_LIMIT, "stanza size limit: 2 MiB stanza rejected (got %d %s)", rc, err);
    xw_buf_free(&c.out);
    /* Body size: same document with a bigger stanza limit but small body limit. */
    lim.max_stanza_bytes = 4u << 20;
    lim.max_body_bytes = 1u << 20;
    rc = parse_chunked(big, 4096, &c, &lim, err, sizeof err);
    CHECK(rc == XW_ERR_LIMIT, "body size limit: 2 MiB response rejected with a 1 MiB limit (got %d)", rc);
    free(big);
    xw_buf_free(&c.out);
}

#define BODY_OPEN "<body xmlns='http://jabber.org/protocol/httpbind'>"
#define AFTER "<message xmlns='jabber:client' from='bob@example.com/y' id='ok'><body>after</body></message>"
#define AFTER_OUT "<message xmlns='jabber:client' from='bob@example.com/y' id='ok'><body>after</body></message>\n"

/* A stanza from mallory built as head + inner + tail, then bob's message,
 * in one body: with on_skip, mallory's stanza is reported skipped for
 * `limit` and bob's is delivered, at every chunking tried. */
static void expect_skip(const char *head, const char *inner_unit, size_t inner_n, const char *tail, const char *limit,
                        const char *rule) {
    char *stanza = repeat(inner_unit, inner_n, head, tail);
    xw_buf doc = {0};
    if (xw_buf_append_str(&doc, BODY_OPEN) || xw_buf_append_str(&doc, stanza) || xw_buf_append_str(&doc, AFTER) ||
        xw_buf_append_str(&doc, "</body>"))
        abort();
    free(stanza);
    char want[256];
    snprintf(want, sizeof want, "SKIP message from=mallory@evil.example/x id=p1 %s\n" AFTER_OUT, limit);
    static const size_t chunks[] = {0, 4096, 7, 1};
    skipping = 1;
    for (size_t k = 0; k < sizeof chunks / sizeof *chunks; k++) {
        if (chunks[k] && chunks[k] < 4096 && doc.len > 100000) continue; /* small chunks: small documents */
        collected c;
        char err[200];
        int rc = parse_chunked(doc.data, chunks[k], &c, NULL, err, sizeof err);
        CHECK(rc == 0, "%s (chunk %zu): the body is not refused (%d %s)", rule, chunks[k], rc, err);
        CHECK_STR(c.out.data, want, "%s (chunk %zu): skipped with sender and limit, the next stanza delivered", rule,
                  chunks[k]);
        xw_buf_free(&c.out);
    }
    skipping = 0;
    xw_buf_free(&doc);
}

static void test_skip_over_stanza_limits(void) {
    const char *m = "<message xmlns='jabber:client' from='mallory@evil.example/x' id='p1'>";
    xw_buf head = {0};
    /* 257 attributes on one element (default max_attrs 256). */
    if (xw_buf_append_str(&head, m) || xw_buf_append_str(&head, "<x xmlns='urn:example'")) abort();
    for (int i = 0; i < 257; i++)
        if (xw_buf_printf(&head, " a%d='v'", i)) abort();
    if (xw_buf_append_str(&head, "/>")) abort();
    expect_skip(head.data, "", 0, "</message>", "max_attrs", "max_attrs on a child element");
    xw_buf_free(&head);
    /* ... and on the stanza's own element: its sender is still known. */
    if (xw_buf_append_str(&head, "<message xmlns='jabber:client' from='mallory@evil.example/x' id='p1'")) abort();
    for (int i = 0; i < 257; i++)
        if (xw_buf_printf(&head, " a%d='v'", i)) abort();
    if (xw_buf_append_str(&head, ">")) abort();
    expect_skip(head.data, "", 0, "</message>", "max_attrs", "max_attrs on the stanza element itself");
    xw_buf_free(&head);
    /* A 64 KiB + 1 attribute value. */
    if (xw_buf_append_str(&head, m) || xw_buf_append_str(&head, "<x xmlns='urn:example' a='")) abort();
    expect_skip(head.data, "z", 65537, "'/></message>", "max_attr_len", "max_attr_len");
    xw_buf_free(&head);
    /* 257 levels below the stanza (default max_depth 256). */
    char *deep_close = repeat("</d>", 256, "", "</message>");
    expect_skip(m, "<d>", 256, deep_close, "max_depth", "max_depth");
    free(deep_close);
    /* A stanza of more than 1 MiB as received (default max_stanza_bytes),
     * under the 8 MiB body limit. */
    if (xw_buf_append_str(&head, m) || xw_buf_append_str(&head, "<body>")) abort();
    expect_skip(head.data, "0123456789abcdef", 65537, "</body></message>", "max_stanza_bytes",
                "max_stanza_bytes in text");
    xw_buf_free(&head);
    /* ... or made of many small elements. */
    expect_skip(m, "<e/>", 262145, "</message>", "max_stanza_bytes", "max_stanza_bytes in small elements");

    /* Nesting so deep that even skipping it would cost too much memory:
     * the body is refused. */
    char *abyss = repeat("<d>", XW_XML_SKIP_DEPTH_MAX + 1, BODY_OPEN "<message xmlns='jabber:client'>", "");
    collected c;
    char err[200];
    skipping = 1;
    int rc = parse_chunked(abyss, 0, &c, NULL, err, sizeof err);
    skipping = 0;
    CHECK(rc == XW_ERR_LIMIT && strstr(err, "deeper"), "nesting past XW_XML_SKIP_DEPTH_MAX refuses the body (%d %s)",
          rc, err);
    free(abyss);
    xw_buf_free(&c.out);

    /* A 'from' too long to be a JID is not reported as the sender. */
    char *longfrom = repeat("a", 4000, BODY_OPEN "<message xmlns='jabber:client' id='p1' from='", "@x'>");
    xw_buf doc = {0};
    if (xw_buf_append_str(&doc, longfrom) || xw_buf_append_str(&doc, "<x xmlns='urn:example' a='")) abort();
    for (int i = 0; i < 65537; i++)
        if (xw_buf_append(&doc, "z", 1)) abort();
    if (xw_buf_append_str(&doc, "'/></message></body>")) abort();
    skipping = 1;
    rc = parse_chunked(doc.data, 0, &c, NULL, err, sizeof err);
    skipping = 0;
    CHECK(rc == 0 && c.out.data && strcmp(c.out.data, "SKIP message from=- id=p1 max_attr_len\n") == 0,
          "RFC 7622 §3.1: a 'from' over 3071 bytes is no sender: %s", c.out.data ? c.out.data : "");
    free(longfrom);
    xw_buf_free(&doc);
    xw_buf_free(&c.out);
}

/* The trusted sender of test_trusted_sender: our own server (no 'from', or
 * its domain). Counts how often it is asked. */
static int trusted_asked;
static int own_server(void *ud, const char *name, const char *from) {
    (void)ud;
    (void)name;
    trusted_asked++;
    return !from || strcmp(from, "example.com") == 0;
}

/* RFC 6120 §8.1.2.1, RFC 6121 §2.1.6: what our own server sends (here no
 * 'from', or its domain) is bounded by max_body_bytes alone, since
 * max_stanza_bytes protects us from peers: a 1.5 MiB stanza from it is
 * delivered while a peer's is still skipped. The sender is asked about
 * only past the limit, once per stanza; a 'from' too long to keep is
 * nobody's; without trusted_from nobody is trusted. */
static void test_trusted_sender(void) {
    xw_xml_limits lim;
    xw_xml_limits_default(&lim);
    CHECK(lim.trusted_from == NULL, "by default no sender is trusted");
    lim.trusted_from = own_server;
    char *server = repeat("0123456789abcdef", 98304, "<message xmlns='jabber:client' id='s1'><body>", "</body></message>");
    char *domain = repeat("0123456789abcdef", 98304, "<message xmlns='jabber:client' from='example.com' id='s2'><body>",
                          "</body></message>");
    char *peer = repeat("0123456789abcdef", 98304, "<message xmlns='jabber:client' from='mallory@evil.example/x' id='p1'><body>",
                        "</body></message>");
    xw_buf doc = {0};
    if (xw_buf_append_str(&doc, BODY_OPEN) || xw_buf_append_str(&doc, server) || xw_buf_append_str(&doc, domain) ||
        xw_buf_append_str(&doc, peer) || xw_buf_append_str(&doc, AFTER) || xw_buf_append_str(&doc, "</body>"))
        abort();
    xw_buf want = {0};
    if (xw_buf_append_str(&want, server) || xw_buf_append_str(&want, "\n") || xw_buf_append_str(&want, domain) ||
        xw_buf_append_str(&want, "\nSKIP message from=mallory@evil.example/x id=p1 max_stanza_bytes\n" AFTER_OUT))
        abort();
    static const size_t chunks[] = {0, 4096};
    collected c;
    char err[200];
    skipping = 1;
    for (size_t k = 0; k < sizeof chunks / sizeof *chunks; k++) {
        trusted_asked = 0;
        int rc = parse_chunked(doc.data, chunks[k], &c, &lim, err, sizeof err);
        CHECK(rc == 0, "chunk %zu: the body is taken (%d %s)", chunks[k], rc, err);
        CHECK(c.out.data && strcmp(c.out.data, want.data) == 0,
              "chunk %zu: 1.5 MiB from our server (no 'from', its domain) delivered, a peer's skipped: %.200s", chunks[k],
              c.out.data ? c.out.data : "");
        CHECK(trusted_asked == 3, "chunk %zu: asked once per stanza past the limit, not for one under it (%d)", chunks[k],
              trusted_asked);
        xw_buf_free(&c.out);
    }
    /* Without trusted_from, all three are over the limit. */
    int rc = parse_chunked(doc.data, 0, &c, NULL, err, sizeof err);
    CHECK(rc == 0 && c.out.data && strstr(c.out.data, "SKIP message from=- id=s1 max_stanza_bytes\n") &&
              strstr(c.out.data, "SKIP message from=example.com id=s2 max_stanza_bytes\n"),
          "no trusted_from: every stanza past max_stanza_bytes is skipped: %.200s", c.out.data ? c.out.data : "");
    xw_buf_free(&c.out);
    /* max_body_bytes still bounds our server's stanzas. */
    lim.max_body_bytes = 1u << 20;
    rc = parse_chunked(doc.data, 4096, &c, &lim, err, sizeof err);
    CHECK(rc == XW_ERR_LIMIT, "a trusted stanza is still bounded by max_body_bytes (got %d)", rc);
    xw_buf_free(&c.out);
    lim.max_body_bytes = 8u << 20;
    /* A 'from' too long to be a JID is not asked about: nobody's. */
    char *longfrom = repeat("a", 4000, BODY_OPEN "<message xmlns='jabber:client' id='p1' from='", "@x'><body>");
    xw_buf_clear(&doc);
    if (xw_buf_append_str(&doc, longfrom)) abort();
    for (int i = 0; i < 98304; i++)
        if (xw_buf_append(&doc, "0123456789abcdef", 16)) abort();
    if (xw_buf_append_str(&doc, "</body></message></body>")) abort();
    trusted_asked = 0;
    rc = parse_chunked(doc.data, 0, &c, &lim, err, sizeof err);
    CHECK(rc == 0 && trusted_asked == 0 && c.out.data && strcmp(c.out.data, "SKIP message from=- id=p1 max_stanza_bytes\n") == 0,
          "RFC 7622 §3.1: a 'from' over 3071 bytes is never trusted (%d asked): %s", trusted_asked, c.out.data ? c.out.data : "");
    xw_buf_free(&c.out);
    skipping = 0;
    free(longfrom);
    free(server);
    free(domain);
    free(peer);
    xw_buf_free(&doc);
    xw_buf_free(&want);
}

static void test_serializer(void) {
    xw_node *m = xw_node_new("message", "jabber:client");
    CHECK(m != NULL, "node allocation");
    CHECK(xw_node_set_attr(m, "to", "a'b\"c<d>&e") == 0, "set attribute");
    CHECK(xw_node_set_attr_ns(m, XW_NS_XML, "lang", "en") == 0, "set xml:lang");
    xw_node *b = xw_node_add_child(m, "body", NULL);
    CHECK(b && xw_node_add_text(b, "1 < 2 && 3 > 2 ]]>", 18) == 0, "add text");
    xw_buf out = {0};
    CHECK(xw_node_serialize(m, "http://jabber.org/protocol/httpbind", &out) == 0, "serialize");
    CHECK_STR(out.data,
              "<message xmlns='jabber:client' to='a&apos;b&quot;c&lt;d&gt;&amp;e' xml:lang='en'>"
              "<body>1 &lt; 2 &amp;&amp; 3 &gt; 2 ]]&gt;</body></message>",
              "XML 1.0 §2.4: markup characters escaped in text and attributes");
    xw_buf_free(&out);
    CHECK(xw_node_set_attr(m, "to", "x@y") == 0, "replace attribute");
    CHECK_STR(xw_node_attr(m, "to"), "x@y", "attribute replaced, not duplicated");
    CHECK(m->nattrs == 2, "still two attributes");
    xw_node_free(m);

    /* Round trip: what we serialize parses back to the same tree. */
    collected c;
    const char *doc = "<body xmlns='http://jabber.org/protocol/httpbind'><message xmlns='jabber:client' "
                      "to='a&apos;b&quot;c&lt;d&gt;&amp;e'><body>1 &lt; 2 &amp;&amp; 3 &gt; 2 ]]&gt;</body></message></body>";
    int rc = parse_chunked(doc, 0, &c, NULL, NULL, 0);
    CHECK(rc == 0, "round trip parses");
    CHECK_STR(c.out.data,
              "<message xmlns='jabber:client' to='a&apos;b&quot;c&lt;d&gt;&amp;e'><body>1 &lt; 2 &amp;&amp; 3 &gt; 2 ]]&gt;</body></message>\n",
              "serializer output round-trips through the parser");
    xw_buf_free(&c.out);
}

/* The serializer keeps xmlns='' on a child in no namespace, so what it
 * writes means what arrived (XML Namespaces §6.2). */
static void test_empty_namespace(void) {
    collected c;
    int rc = parse_chunked(BODY_OPEN "<message xmlns='jabber:client'><x xmlns=''><y/></x><z/></message></body>", 0, &c,
                           NULL, NULL, 0);
    CHECK(rc == 0, "parses");
    CHECK_STR(c.out.data, "<message xmlns='jabber:client'><x xmlns=''><y/></x><z/></message>\n",
              "Namespaces in XML §6.2: xmlns='' kept on a no-namespace child, not on its children or siblings");
    xw_buf_free(&c.out);
}

static void test_json_escape(void) {
    xw_buf out = {0};
    const char in[] = "a\"b\\c\n\x01\xc3\xa9\xff";
    CHECK(xw_buf_append_json_string(&out, in, sizeof in - 1) == 0, "json escape");
    CHECK_STR(out.data, "\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\\ufffd\"", "RFC 8259 §7: escapes and U+FFFD for invalid UTF-8");
    xw_buf_free(&out);
}

int main(void) {
    test_every_chunk_size();
    test_restricted_xml();
    test_whitespace_between_stanzas();
    test_limits();
    test_skip_over_stanza_limits();
    test_trusted_sender();
    test_serializer();
    test_empty_namespace();
    test_json_escape();
    return check_report("test_xml");
}
