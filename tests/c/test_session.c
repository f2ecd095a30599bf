/* test_session.c: the public xw_client API end to end against a scripted
 * connection manager: negotiation (RFC 6120 §6-7, XEP-0206), events, IQ
 * tracking and its anti-spoofing rule, and how sessions end. */
#include "check.h"
#include "xw.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

typedef struct script {
    xw_client *c;
    double now;
    double rids[16];
    char bodies[16][2048];
    int n;          /* requests taken and not yet answered */
    xw_buf events;  /* all events seen, concatenated arrays */
} script;

static void drain(script *s) {
    double rid;
    while (xw_client_next_request(s->c, s->now)) {
        rid = xw_client_request_rid(s->c);
        if (s->n < 16) {
            s->rids[s->n] = rid;
            snprintf(s->bodies[s->n], sizeof s->bodies[0], "%.*s", (int)xw_client_request_len(s->c),
                     xw_client_request_body(s->c));
            s->n++;
        }
    }
    const char *ev = xw_client_events(s->c);
    if (xw_buf_append(&s->events, ev, xw_client_events_len(s->c))) abort();
}

/* Answers the oldest outstanding request with `payload` inside <body/>. */
static void reply(script *s, const char *payload) {
    CHECK(s->n > 0, "a request is outstanding to answer");
    if (!s->n) return;
    char buf[4096];
    snprintf(buf, sizeof buf, "<body xmlns='http://jabber.org/protocol/httpbind' xmlns:stream='http://etherx.jabber.org/streams'>%s</body>", payload);
    double rid = s->rids[0];
    memmove(&s->rids[0], &s->rids[1], sizeof s->rids[0] * 15);
    memmove(&s->bodies[0], &s->bodies[1], sizeof s->bodies[0] * 15);
    s->n--;
    xw_client_receive(s->c, rid, 200, buf, strlen(buf), s->now);
    drain(s);
}

static const char *last_body(script *s) { return s->n ? s->bodies[s->n - 1] : ""; }

/* Answers outstanding requests (empty) until the last request sent
 * contains `needle`: the window of 2 must open for queued stanzas. */
static void flush_until(script *s, const char *needle) {
    for (int i = 0; i < 8 && !strstr(last_body(s), needle); i++) reply(s, "");
}

/* The id attribute of the first <iq/> in the last request. */
static void last_iq_id(script *s, char *out, size_t cap) {
    const char *iq = strstr(last_body(s), "<iq ");
    const char *id = iq ? strstr(iq, " id='") : NULL;
    out[0] = '\0';
    if (id) snprintf(out, cap, "%.*s", (int)strcspn(id + 5, "'"), id + 5);
}

#define FEATURES_PLAIN "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>"
#define FEATURES_BIND "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>"
#define FEATURES_BIND_SM "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/><sm xmlns='urn:xmpp:sm:3'/></stream:features>"
/* The features after authentication in the next log_in(). */
static const char *bind_features = FEATURES_BIND;

/* Extra options for the next start(): name, value, name, value, ... */
#define MAX_NEXT_OPTIONS 3
static const char *next_options[2 * MAX_NEXT_OPTIONS + 1];
static void set_next_options(const char *const *pairs) {
    int n = 0;
    while (pairs[n] && n < 2 * MAX_NEXT_OPTIONS) {
        next_options[n] = pairs[n];
        n++;
    }
    next_options[n] = NULL;
}
#define NEXT_OPTIONS(...) set_next_options((const char *const[]){__VA_ARGS__, NULL})
/* Extra session attributes in the next session creation response. */
static const char *next_creation_attrs = "";

static void start(script *s, int allow_plain) {
    static const uint8_t seed[32] = {9};
    xw_init(seed);
    memset(s, 0, sizeof *s);
    s->now = 5000;
    s->c = xw_client_new();
    CHECK(xw_client_set_option(s->c, "jid", "alice@example.com") == 0, "jid option");
    CHECK(xw_client_set_option(s->c, "password", "secret") == 0, "password option");
    CHECK(xw_client_set_option(s->c, "resource", "web") == 0, "resource option");
    /* The scripted server answers in order at once: no gap needed. */
    CHECK(xw_client_set_option(s->c, "request_gap_ms", "0") == 0, "request_gap_ms option");
    if (allow_plain) CHECK(xw_client_set_option(s->c, "allow_plain", "1") == 0, "allow_plain");
    for (int i = 0; next_options[i]; i += 2)
        CHECK(xw_client_set_option(s->c, next_options[i], next_options[i + 1]) == 0, "option %s", next_options[i]);
    next_options[0] = NULL;
    CHECK(xw_client_connect(s->c, s->now) == 0, "connect");
    drain(s);
    /* Session creation answered with the features in the same body. */
    char buf[1024];
    snprintf(buf, sizeof buf, "<body xmlns='http://jabber.org/protocol/httpbind' xmlns:stream='http://etherx.jabber.org/streams' sid='S' requests='2' hold='1' wait='60'%s>%s</body>", next_creation_attrs, FEATURES_PLAIN);
    next_creation_attrs = "";
    double rid = s->rids[0];
    s->n = 0;
    xw_client_receive(s->c, rid, 200, buf, strlen(buf), s->now);
    drain(s);
}

/* Logs in up to the bind result; go_online() also checks presence. */
static void log_in(script *s) {
    start(s, 1);
    /* "\0alice\0secret" in base64 is AGFsaWNlAHNlY3JldA== */
    CHECK(strstr(last_body(s), "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGFsaWNlAHNlY3JldA==</auth>") != NULL,
          "RFC 6120 §6.4.2 / RFC 4616: PLAIN auth element: %s", last_body(s));
    reply(s, "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
    CHECK(strstr(last_body(s), "xmpp:restart='true'") != NULL, "XEP-0206 §5: restart after SASL success");
    reply(s, "");
    reply(s, bind_features);
    bind_features = FEATURES_BIND;
    CHECK(strstr(last_body(s), "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>web</resource></bind>") != NULL,
          "RFC 6120 §7.5: bind request with the resource: %s", last_body(s));
    char bind[512];
    char idv[40];
    last_iq_id(s, idv, sizeof idv);
    snprintf(bind, sizeof bind, "<iq xmlns='jabber:client' type='result' id='%s'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>alice@example.com/web</jid></bind></iq>", idv);
    while (s->n > 1) reply(s, "");
    reply(s, bind);
    CHECK(strstr(s->events.data, "{\"type\":\"online\",\"jid\":\"alice@example.com/web\",\"mechanism\":\"PLAIN\"}") != NULL,
          "online event with the bound JID: %s", s->events.data);
}

static void go_online(script *s) {
    log_in(s);
    CHECK(strstr(last_body(s), "<presence xmlns='jabber:client'/>") != NULL, "RFC 6121 §4.2: initial presence sent");
}

static void test_plain_refused_over_http(void) {
    script s;
    start(&s, 0);
    CHECK(strstr(last_body(&s), "<auth") == NULL, "PLAIN not sent over plain http without allow_plain");
    while (s.n) reply(&s, "");
    CHECK(strstr(s.events.data, "\"condition\":\"invalid-mechanism\"") != NULL,
          "PLAIN refused with a clear condition: %s", s.events.data);
    xw_client_free(s.c);
    xw_buf_free(&s.events);
}

static void test_auth_failure(void) {
    script s;
    start(&s, 1);
    reply(&s, "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>");
    CHECK(strstr(last_body(&s), "type='terminate'") != NULL, "XEP-0124 §12: session terminated after SASL failure");
    while (s.n) reply(&s, "");
    CHECK(strstr(s.events.data, "{\"type\":\"offline\",\"condition\":\"not-authorized\"") != NULL,
          "RFC 6120 §6.5.10: not-authorized reported: %s", s.events.data);
    xw_client_free(s.c);
    xw_buf_free(&s.events);
}

static void test_messages_and_iq(void) {
    script s;
    go_online(&s);
    xw_buf_clear(&s.events);
    reply(&s, "<message xmlns='jabber:client' from='bob@example.com/x' to='alice@example.com/web' type='chat' id='m1'><body>hi &amp; &lt;3</body></message>");
    CHECK(strstr(s.events.data, "\"type\":\"message\",\"from\":\"bob@example.com/x\"") &&
              strstr(s.events.data, "\"messageType\":\"chat\",\"body\":\"hi & <3\""),
          "RFC 6121 §5: message event: %s", s.events.data);
    xw_buf_clear(&s.events);
    reply(&s, "<message xmlns='jabber:client' from='bob@example.com/x' type='chat' id='m1'><body>hi &amp; &lt;3</body>"
              "<stanza-id xmlns='urn:xmpp:sid:0' by='alice@example.com' id='Z2'/></message>");
    CHECK(!strstr(s.events.data, "\"type\":\"message\""), "XEP-0198 §5: the same message routed again (same sender, "
          "id and body, new archive id) is dropped: %s", s.events.data);
    reply(&s, "<message xmlns='jabber:client' from='bob@example.com/x' type='chat' id='m1'><body>another text</body></message>");
    CHECK(strstr(s.events.data, "another text") != NULL, "a reused id with another body is another message: %s", s.events.data);
    CHECK(xw_client_send_message(s.c, "bob@example.com", "chat", "1 < 2", "id1") == 0, "send message");
    drain(&s);
    CHECK(strstr(last_body(&s), "<message xmlns='jabber:client' to='bob@example.com' type='chat' id='id1'><body>1 &lt; 2</body></message>") != NULL,
          "RFC 6121 §5.2: message sent escaped: %s", last_body(&s));
    CHECK(xw_client_send_message(s.c, "bad@@jid", "chat", "x", NULL) == XW_ERR_JID, "RFC 7622: bad to rejected");
    CHECK(xw_client_send_message(s.c, "bob@example.com", "chat", "bell\x07", NULL) == XW_ERR_INVALID,
          "XML 1.0 §2.2: control character rejected, not sent");
    CHECK(xw_client_send_message(s.c, "bob@example.com", "bogus", "x", NULL) == XW_ERR_INVALID,
          "RFC 6121 §5.2.2: unknown message type rejected");

    int token = xw_client_ping(s.c, NULL, 1000, s.now);
    CHECK(token > 0, "ping token");
    drain(&s);
    flush_until(&s, "<ping");
    char idv[40], buf[512];
    last_iq_id(&s, idv, sizeof idv);
    CHECK(strstr(last_body(&s), "to='example.com'") && strstr(last_body(&s), "<ping xmlns='urn:xmpp:ping'/>"),
          "XEP-0199 §4.2: ping to the server: %s", last_body(&s));
    xw_buf_clear(&s.events);
    snprintf(buf, sizeof buf, "<iq xmlns='jabber:client' type='result' id='%s' from='mallory@evil.example'/>", idv);
    reply(&s, buf);
    CHECK(strstr(s.events.data, "spoofed-iq") != NULL && strstr(s.events.data, "\"type\":\"iq\"") == NULL,
          "RFC 6120 §8.1.2.1: IQ result from another entity dropped: %s", s.events.data);
    snprintf(buf, sizeof buf, "<iq xmlns='jabber:client' type='result' id='%s' from='example.com'/>", idv);
    reply(&s, buf);
    char want[64];
    snprintf(want, sizeof want, "{\"type\":\"iq\",\"token\":%d,\"ok\":true", token);
    CHECK(strstr(s.events.data, want) != NULL, "XEP-0199 §4.2: pong delivered: %s", s.events.data);

    /* IQ timeout on the fake clock. */
    token = xw_client_ping(s.c, NULL, 1000, s.now);
    drain(&s);
    CHECK(xw_client_next_deadline(s.c) <= s.now + 1000, "RFC 6120 §8.2.3: IQ deadline scheduled");
    s.now += 1001;
    xw_client_tick(s.c, s.now);
    drain(&s);
    snprintf(want, sizeof want, "{\"type\":\"iq\",\"token\":%d,\"ok\":false,\"condition\":\"timeout\"}", token);
    CHECK(strstr(s.events.data, want) != NULL, "IQ timeout reported: %s", s.events.data);

    /* An IQ get we do not handle is answered with an error. */
    reply(&s, "<iq xmlns='jabber:client' type='get' id='q1' from='example.com'><query xmlns='jabber:iq:version'/></iq>");
    CHECK(strstr(last_body(&s), "type='error'") && strstr(last_body(&s), "<service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"),
          "RFC 6120 §8.4: unhandled IQ answered with service-unavailable: %s", last_body(&s));
    reply(&s, "<iq xmlns='jabber:client' type='get' id='p1' from='example.com'><ping xmlns='urn:xmpp:ping'/></iq>");
    CHECK(strstr(last_body(&s), "<iq xmlns='jabber:client' type='result' to='example.com' id='p1'/>") != NULL,
          "XEP-0199 §4.1: server ping answered: %s", last_body(&s));

    /* Disconnect: unavailable presence in a terminate body. */
    xw_buf_clear(&s.events);
    CHECK(xw_client_disconnect(s.c, s.now) == 0, "disconnect");
    drain(&s);
    CHECK(strstr(last_body(&s), "type='terminate'") && strstr(last_body(&s), "type='unavailable'"),
          "XEP-0124 §12 / XEP-0206 §7: terminate with unavailable presence: %s", last_body(&s));
    while (s.n) reply(&s, "");
    CHECK(strstr(s.events.data, "\"type\":\"offline\"") != NULL, "offline after disconnect: %s", s.events.data);
    xw_client_free(s.c);
    xw_buf_free(&s.events);
}

static void test_stream_error(void) {
    script s;
    go_online(&s);
    xw_buf_clear(&s.events);
    reply(&s, "<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>");
    while (s.n) reply(&s, "");
    CHECK(strstr(s.events.data, "\"condition\":\"conflict\"") != NULL, "RFC 6120 §4.9.3.3: stream error reported: %s",
          s.events.data);
    xw_client_free(s.c);
    xw_buf_free(&s.events);
}

static void test_options(void) {
    static const uint8_t seed[32] = {9};
    xw_init(seed);
    xw_client *c = xw_client_new();
    CHECK(xw_client_set_option(c, "jid", "not a jid@") == XW_ERR_JID, "RFC 7622: bad jid option rejected");
    CHECK(xw_client_set_option(c, "jid", "example.com") == XW_ERR_JID, "a jid without localpart cannot log in");
    CHECK(xw_client_set_option(c, "wait", "abc") == XW_ERR_INVALID, "non-numeric option rejected");
    CHECK(xw_client_set_option(c, "nonsense", "1") == XW_ERR_INVALID, "unknown option rejected");
    CHECK(xw_client_connect(c, 0) == XW_ERR_JID, "connect without a jid fails clearly");
    CHECK(xw_client_send_message(c, "a@b", "chat", "x", NULL) == XW_ERR_STATE, "send before online is a state error");
    xw_client_free(c);
}

/* Limits on what the app can pile up, and a 50 MB response body. */
static void test_limits(void) {
    script s;
    go_online(&s);
    /* Fill the window so further stanzas queue. */
    int rc = 0, sent = 0;
    for (int i = 0; i < 10000 && rc == 0; i++) {
        rc = xw_client_send_message(s.c, "bob@example.com", "chat", "0123456789012345678901234567890123456789", NULL);
        sent += rc == 0;
    }
    CHECK(rc == XW_ERR_LIMIT, "queued outgoing stanzas are bounded (1 MiB default): got %d after %d", rc, sent);
    CHECK(sent > 1000 && sent < 20000, "the bound is about 1 MiB of stanzas (%d sent)", sent);
    xw_client_free(s.c);
    xw_buf_free(&s.events);

    NEXT_OPTIONS("max_pending_iqs", "3");
    go_online(&s);
    int pings = 0, last = 0;
    while ((last = xw_client_ping(s.c, NULL, 1000, s.now)) > 0 && pings < 1000) pings++;
    CHECK(pings == 3 && last == XW_ERR_LIMIT, "pending IQs are bounded by max_pending_iqs: %d then %d", pings, last);
    xw_client_free(s.c);
    xw_buf_free(&s.events);

    /* A 50 MB response body ends the session cleanly with policy-violation
     * at the 8 MiB default limit, before parsing it all. */
    go_online(&s);
    size_t big = 50u * 1024 * 1024;
    char *body = malloc(big);
    if (!body) return;
    const char *head = "<body xmlns='http://jabber.org/protocol/httpbind'><message xmlns='jabber:client'><body>";
    memset(body, 'x', big);
    memcpy(body, head, strlen(head));
    xw_buf_clear(&s.events);
    xw_client_receive(s.c, s.rids[0], 200, body, big, s.now);
    free(body);
    drain(&s);
    while (s.n) reply(&s, "");
    CHECK(strstr(s.events.data, "{\"type\":\"error\",\"condition\":\"policy-violation\"") != NULL &&
              strstr(s.events.data, "{\"type\":\"offline\",\"condition\":\"policy-violation\"") != NULL,
          "50 MB body: an error event, then the session ends with policy-violation: %.300s", s.events.data);
    xw_client_free(s.c);
    xw_buf_free(&s.events);
}

/* A client made like start()'s, not connected. */
static xw_client *new_alice(const char *jid) {
    xw_client *c = xw_client_new();
    CHECK(xw_client_set_option(c, "jid", jid) == 0, "jid option");
    CHECK(xw_client_set_option(c, "password", "secret") == 0, "password option");
    CHECK(xw_client_set_option(c, "request_gap_ms", "0") == 0, "request_gap_ms option");
    return c;
}

static void test_resume(void) {
    script s;
    next_creation_attrs = " maxpause='120'";
    go_online(&s);
    CHECK(xw_client_send_message(s.c, "bob@example.com", NULL, "before the reload", "m1") == 0, "send");
    drain(&s);
    CHECK(s.n >= 1, "requests outstanding when the page goes");
    /* XEP-0124 §10: pause is capped at maxpause and rides the one extra
     * request the window allows. */
    int outstanding = s.n;
    CHECK(xw_client_pause(s.c, 600, s.now) == 0, "pause offered by the server");
    drain(&s);
    CHECK(s.n == outstanding + 1 && strstr(last_body(&s), " pause='120'") != NULL,
          "XEP-0124 §10: one more request, with pause capped at maxpause=120: %s", last_body(&s));
    const char *saved = xw_client_save(s.c);
    CHECK(saved != NULL, "online: save gives the session");
    char *copy = saved ? xw_strndup(saved, xw_client_save_len(s.c)) : NULL;
    CHECK(copy && !strstr(copy, "secret"), "the saved session holds no password");

    /* The new page: same options, resume instead of connect. */
    xw_client *c2 = new_alice("alice@example.com");
    script t = {0};
    t.c = c2;
    t.now = 100; /* a new page's clock starts again */
    CHECK(xw_client_resume(c2, copy, copy ? strlen(copy) : 0, t.now) == 0, "resume");
    drain(&t);
    CHECK(strstr(t.events.data, "{\"type\":\"online\",\"jid\":\"alice@example.com/web\",\"resumed\":\"1\"}") != NULL,
          "online event says resumed: %s", t.events.data);
    CHECK(t.n == s.n, "XEP-0124 §14: every unprocessed request is sent again (%d, was %d)", t.n, s.n);
    for (int i = 0; i < t.n && i < s.n; i++) {
        CHECK(t.rids[i] == s.rids[i], "XEP-0124 §14: same rid %.0f, was %.0f", t.rids[i], s.rids[i]);
        CHECK(strcmp(t.bodies[i], s.bodies[i]) == 0, "XEP-0124 §14: byte-identical retransmission: %s vs %s",
              t.bodies[i], s.bodies[i]);
    }
    /* Answers to the resent requests reach the new page, in order. */
    reply(&t, "<message xmlns='jabber:client' from='bob@example.com/x' to='alice@example.com/web' type='chat'><body>one</body></message>");
    reply(&t, "<message xmlns='jabber:client' from='bob@example.com/x' to='alice@example.com/web' type='chat'><body>two</body></message>");
    const char *one = strstr(t.events.data, "\"body\":\"one\"");
    const char *two = strstr(t.events.data, "\"body\":\"two\"");
    CHECK(one && two && one < two, "messages after the resume arrive in order: %s", t.events.data);
    CHECK(xw_client_send_message(c2, "bob@example.com", NULL, "after", "m2") == 0, "sending works after resume");
    drain(&t);
    CHECK(strstr(t.bodies[t.n - 1], "after") != NULL && strstr(t.bodies[t.n - 1], "sid='S'") != NULL,
          "the new page sends on the same sid: %s", t.bodies[t.n - 1]);
    xw_client_free(c2);
    xw_buf_free(&t.events);

    /* Another account's saved session is refused; the client can still connect. */
    xw_client *c3 = new_alice("mallory@example.com");
    CHECK(xw_client_resume(c3, copy, copy ? strlen(copy) : 0, 0) == XW_ERR_JID, "another account's session is refused");
    CHECK(xw_client_connect(c3, 0) == 0, "connect after a refused resume");
    xw_client_free(c3);

    /* Damaged text: every truncation is refused without a crash. */
    size_t len = copy ? strlen(copy) : 0;
    int refused = 0;
    for (size_t cut = 0; cut < len; cut += 7) {
        xw_client *c4 = new_alice("alice@example.com");
        refused += xw_client_resume(c4, copy, cut, 0) != 0;
        xw_client_free(c4);
    }
    CHECK(refused == (int)((len + 6) / 7), "every truncated saved session is refused (%d)", refused);
    xw_client *c5 = new_alice("alice@example.com");
    const char *gap = "<body xmlns='http://jabber.org/protocol/httpbind' jid='alice@example.com/web' sid='S' next-rid='10' processed-rid='5'/>";
    CHECK(xw_client_resume(c5, gap, strlen(gap), 0) != 0,
          "a saved session missing requests of its window is refused");
    xw_client_free(c5);
    free(copy);
    xw_client_free(s.c);
    xw_buf_free(&s.events);

    /* No maxpause offered: no pause (XEP-0124 §10). */
    go_online(&s);
    CHECK(xw_client_pause(s.c, 30, s.now) == XW_ERR_STATE, "no pause without maxpause");
    xw_client_free(s.c);
    xw_buf_free(&s.events);
}

/* The queryid of the archive query in the last request. */
static void last_queryid(script *s, char *out, size_t cap) {
    const char *q = strstr(last_body(s), "queryid='");
    out[0] = '\0';
    if (q) snprintf(out, cap, "%.*s", (int)strcspn(q + 9, "'"), q + 9);
}

/* An archive result message for query `qid` (XEP-0313 §5.3). */
static void archived(char *out, size_t cap, const char *outer_from, const char *qid, const char *archive_id,
                     const char *from, const char *id, const char *body) {
    snprintf(out, cap,
             "<message xmlns='jabber:client' to='alice@example.com/web'%s%s%s>"
             "<result xmlns='urn:xmpp:mam:2' queryid='%s' id='%s'><forwarded xmlns='urn:xmpp:forward:0'>"
             "<delay xmlns='urn:xmpp:delay' stamp='2026-11-24T10:00:00Z'/>"
             "<message xmlns='jabber:client' from='%s' to='alice@example.com/old' type='chat' id='%s'><body>%s</body></message>"
             "</forwarded></result></message>",
             outer_from ? " from='" : "", outer_from ? outer_from : "", outer_from ? "'" : "", qid, archive_id, from, id,
             body);
}

static void test_catch_up(void) {
    script s;
    char qid[48], iqid[48], buf[2048];
    NEXT_OPTIONS("catch_up_after", "A0");
    log_in(&s);
    flush_until(&s, "urn:xmpp:mam:2");
    CHECK(strstr(last_body(&s), "<query xmlns='urn:xmpp:mam:2' queryid='") &&
              strstr(last_body(&s), "<set xmlns='http://jabber.org/protocol/rsm'><max>100</max><after>A0</after></set>"),
          "XEP-0313 §4 + XEP-0059 §2.2: archive query after the last id the app saw: %s", last_body(&s));
    for (int i = 0; i < s.n; i++)
        CHECK(!strstr(s.bodies[i], "<presence"), "RFC 6121 §8.5.2.1.1: no presence before the catch-up ends, so "
              "messages wait in offline storage instead of racing it: %s", s.bodies[i]);
    last_queryid(&s, qid, sizeof qid);
    last_iq_id(&s, iqid, sizeof iqid);
    xw_buf_clear(&s.events);

    archived(buf, sizeof buf, "mallory@evil.example", qid, "F1", "bob@example.com/x", "f1", "forged");
    reply(&s, buf);
    CHECK(strstr(s.events.data, "spoofed-archive-result") && !strstr(s.events.data, "forged"),
          "XEP-0313 §9.2: a result not from our own archive is dropped: %s", s.events.data);
    archived(buf, sizeof buf, NULL, "other-query", "F2", "bob@example.com/x", "f2", "forged2");
    reply(&s, buf);
    CHECK(!strstr(s.events.data, "forged2"), "XEP-0313 §9.2: a result for another query is dropped: %s", s.events.data);
    xw_buf_clear(&s.events);
    archived(buf, sizeof buf, "alice@example.com", qid, "A1", "bob@example.com/x", "m1", "one");
    reply(&s, buf);
    archived(buf, sizeof buf, NULL, qid, "A2", "alice@example.com/phone", "mine", "sent by me");
    reply(&s, buf);
    CHECK(strstr(s.events.data, "\"body\":\"one\"") && strstr(s.events.data, "\"stanzaId\":\"A1\"") &&
              strstr(s.events.data, "\"delay\":\"2026-11-24T10:00:00Z\",\"archived\":true") &&
              strstr(s.events.data, "\"from\":\"bob@example.com/x\""),
          "XEP-0313 §5.3: the archived message is delivered with its archive id and time: %s", s.events.data);
    CHECK(!strstr(s.events.data, "sent by me"), "our own archived outgoing messages are not delivered: %s", s.events.data);
    CHECK(xw_client_archived_own(s.c, "mine") == 1 && xw_client_archived_own(s.c, "m1") == 0,
          "XEP-0313: our own message in the archive reached the server; bob's is not ours");

    /* Not the last page: ask for the next one after its last id. */
    snprintf(buf, sizeof buf, "<iq xmlns='jabber:client' type='result' id='%s'><fin xmlns='urn:xmpp:mam:2'>"
             "<set xmlns='http://jabber.org/protocol/rsm'><first>A1</first><last>A2</last></set></fin></iq>", iqid);
    reply(&s, buf);
    flush_until(&s, "<after>A2</after>");
    CHECK(strstr(last_body(&s), "<after>A2</after>") != NULL, "XEP-0313 §5.4.2: next page after the last id: %s",
          last_body(&s));
    CHECK(!strstr(s.events.data, "caught-up"), "not caught up after an incomplete page: %s", s.events.data);
    last_queryid(&s, qid, sizeof qid);
    last_iq_id(&s, iqid, sizeof iqid);
    archived(buf, sizeof buf, NULL, qid, "A3", "bob@example.com/x", "m3", "three");
    reply(&s, buf);
    archived(buf, sizeof buf, NULL, qid, "A1", "bob@example.com/x", "m1", "one again");
    reply(&s, buf);
    CHECK(!strstr(s.events.data, "one again"), "an archive id already delivered is not delivered twice: %s", s.events.data);
    snprintf(buf, sizeof buf, "<iq xmlns='jabber:client' type='result' id='%s'><fin xmlns='urn:xmpp:mam:2' complete='true'>"
             "<set xmlns='http://jabber.org/protocol/rsm'><last>A3</last></set></fin></iq>", iqid);
    reply(&s, buf);
    CHECK(strstr(s.events.data, "{\"type\":\"caught-up\",\"count\":2,\"complete\":true}") != NULL,
          "XEP-0313 §5.4.3: complete='true' ends the catch-up: %s", s.events.data);
    flush_until(&s, "<presence");
    CHECK(strstr(last_body(&s), "<presence xmlns='jabber:client'/>") != NULL, "RFC 6121 §4.2: presence once caught up");

    /* Offline storage now hands over what the archive already gave. */
    xw_buf_clear(&s.events);
    reply(&s, "<message xmlns='jabber:client' from='bob@example.com/x' to='alice@example.com' type='chat' id='m3'>"
              "<body>three offline</body><delay xmlns='urn:xmpp:delay' stamp='2026-11-24T10:00:00Z'/></message>");
    CHECK(!strstr(s.events.data, "three offline"), "a message the archive delivered is not delivered again from "
          "offline storage: %s", s.events.data);
    reply(&s, "<message xmlns='jabber:client' from='bob@example.com/x' to='alice@example.com/web' type='chat' id='m4'>"
              "<body>four</body><stanza-id xmlns='urn:xmpp:sid:0' by='mallory@evil.example' id='X'/>"
              "<stanza-id xmlns='urn:xmpp:sid:0' by='alice@example.com' id='A4'/></message>");
    CHECK(strstr(s.events.data, "\"body\":\"four\"") && strstr(s.events.data, "\"stanzaId\":\"A4\"") &&
              !strstr(s.events.data, "\"stanzaId\":\"X\""),
          "XEP-0359 §4: only the stanza-id by our own archive counts: %s", s.events.data);
    xw_buf_clear(&s.events);
    reply(&s, "<message xmlns='jabber:client' from='bob@example.com/x' to='alice@example.com/web' type='chat' id='m4b'>"
              "<body>four again</body><stanza-id xmlns='urn:xmpp:sid:0' by='alice@example.com' id='A4'/></message>");
    CHECK(!strstr(s.events.data, "four again"), "XEP-0359: an archive id already delivered is dropped: %s", s.events.data);
    archived(buf, sizeof buf, NULL, qid, "A9", "bob@example.com/x", "late", "late result");
    reply(&s, buf);
    CHECK(strstr(s.events.data, "spoofed-archive-result") && !strstr(s.events.data, "late result"),
          "XEP-0313 §9.2: a result after the query ended is dropped: %s", s.events.data);
    xw_client_free(s.c);
    xw_buf_free(&s.events);

    /* No archive on the server: the error ends the catch-up, presence goes. */
    NEXT_OPTIONS("catch_up_start", "2026-11-24T09:59:00Z");
    log_in(&s);
    flush_until(&s, "urn:xmpp:mam:2");
    CHECK(strstr(last_body(&s), "<field var='start'><value>2026-11-24T09:59:00Z</value></field>") != NULL,
          "XEP-0313 §4.1.2: with no id seen, the query starts at a time: %s", last_body(&s));
    last_iq_id(&s, iqid, sizeof iqid);
    xw_buf_clear(&s.events);
    snprintf(buf, sizeof buf, "<iq xmlns='jabber:client' type='error' id='%s'><error type='cancel'>"
             "<feature-not-implemented xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>", iqid);
    reply(&s, buf);
    CHECK(strstr(s.events.data, "{\"type\":\"caught-up\",\"count\":0,\"complete\":false,\"condition\":\"feature-not-implemented\"}") != NULL,
          "an archive error ends the catch-up with its condition: %s", s.events.data);
    flush_until(&s, "<presence");
    CHECK(strstr(last_body(&s), "<presence xmlns='jabber:client'/>") != NULL, "presence after a failed catch-up");
    xw_client_free(s.c);
    xw_buf_free(&s.events);

    /* No answer: the IQ timeout ends it too. */
    NEXT_OPTIONS("catch_up_after", "A0");
    log_in(&s);
    flush_until(&s, "urn:xmpp:mam:2");
    xw_buf_clear(&s.events);
    s.now += 30001;
    xw_client_tick(s.c, s.now);
    drain(&s);
    CHECK(strstr(s.events.data, "\"complete\":false,\"condition\":\"timeout\"") != NULL,
          "RFC 6120 §8.2.3: an unanswered archive query times out: %s", s.events.data);
    xw_client_free(s.c);
    xw_buf_free(&s.events);
    /* A page never holds more than asked for. */
    NEXT_OPTIONS("catch_up_page", "2", "catch_up_after", "A0");
    log_in(&s);
    flush_until(&s, "urn:xmpp:mam:2");
    CHECK(strstr(last_body(&s), "<max>2</max>") != NULL, "XEP-0059 §2.1: the page size asked for: %s", last_body(&s));
    last_queryid(&s, qid, sizeof qid);
    xw_buf_clear(&s.events);
    archived(buf, sizeof buf, NULL, qid, "P1", "bob@example.com/x", "p1", "page one");
    reply(&s, buf);
    archived(buf, sizeof buf, NULL, qid, "P2", "bob@example.com/x", "p2", "page two");
    reply(&s, buf);
    archived(buf, sizeof buf, NULL, qid, "P3", "bob@example.com/x", "p3", "page three");
    reply(&s, buf);
    CHECK(strstr(s.events.data, "page two") && !strstr(s.events.data, "page three") &&
              strstr(s.events.data, "beyond the page size"),
          "XEP-0059 §2.1: a result beyond the page size is dropped with an error: %s", s.events.data);
    xw_client_free(s.c);
    xw_buf_free(&s.events);
}

/* Index of the outstanding request whose body contains needle, or -1. */
static int request_with(script *s, const char *needle) {
    for (int i = 0; i < s->n; i++)
        if (strstr(s->bodies[i], needle)) return i;
    return -1;
}

/* A lost session reports the messages the server never acknowledged, so
 * the app can send them again; answered ones are not reported. */
static void test_unacknowledged(void) {
    script s;
    NEXT_OPTIONS("max_retries", "2");
    go_online(&s);
    CHECK(xw_client_send_message(s.c, "bob@example.com", "chat", "one", "u1") == 0, "send u1");
    drain(&s);
    flush_until(&s, "id='u1'");
    while (request_with(&s, "id='u1'") >= 0) reply(&s, "");
    CHECK(xw_client_send_message(s.c, "bob@example.com", "chat", "two", "u2") == 0, "send u2");
    drain(&s);
    CHECK(request_with(&s, "id='u2'") >= 0, "u2 is in a request");
    xw_buf_clear(&s.events);
    int queued_u3 = 0;
    for (int round = 0; round < 10 && !strstr(s.events.data ? s.events.data : "", "\"type\":\"offline\""); round++) {
        /* The network eats every request from now on. */
        while (s.n) {
            double rid = s.rids[0];
            memmove(&s.rids[0], &s.rids[1], sizeof s.rids[0] * 15);
            memmove(&s.bodies[0], &s.bodies[1], sizeof s.bodies[0] * 15);
            s.n--;
            xw_client_request_failed(s.c, rid, s.now);
        }
        if (!queued_u3) queued_u3 = xw_client_send_message(s.c, "bob@example.com", "chat", "three", "u3") == 0;
        s.now += 70000;
        xw_client_tick(s.c, s.now);
        drain(&s);
    }
    const char *ev = s.events.data ? s.events.data : "";
    const char *u2 = strstr(ev, "{\"type\":\"unacknowledged\",\"to\":\"bob@example.com\",\"messageType\":\"chat\",\"body\":\"two\",\"id\":\"u2\",\"seq\":0,\"delivered\":false}");
    const char *u3 = strstr(ev, "\"type\":\"unacknowledged\",\"to\":\"bob@example.com\",\"messageType\":\"chat\",\"body\":\"three\",\"id\":\"u3\"");
    const char *off = strstr(ev, "{\"type\":\"offline\",\"condition\":\"connection-failed\"");
    CHECK(queued_u3, "u3 queued while the network was down");
    CHECK(u2 && u3 && off && u2 < u3 && u3 < off,
          "XEP-0124 §9.1: only an answer acknowledges a request; messages in unanswered ones are reported, oldest first, before offline: %s", ev);
    CHECK(!strstr(ev, "\"id\":\"u1\""), "an answered request's message was acknowledged, not reported: %s", ev);
    xw_client_free(s.c);
    xw_buf_free(&s.events);

    /* A clean disconnect reports nothing: the terminate answer acknowledges all. */
    go_online(&s);
    CHECK(xw_client_send_message(s.c, "bob@example.com", "chat", "bye", "u4") == 0, "send u4");
    CHECK(xw_client_disconnect(s.c, s.now) == 0, "disconnect");
    drain(&s);
    while (s.n) reply(&s, "");
    CHECK(!strstr(s.events.data, "unacknowledged"), "nothing unacknowledged after a clean disconnect: %s", s.events.data);
    xw_client_free(s.c);
    xw_buf_free(&s.events);
}

/* XEP-0198 stream management where the server offers it. */
static void test_stream_management(void) {
    script s;
    bind_features = FEATURES_BIND_SM;
    log_in(&s);
    flush_until(&s, "<presence");
    const char *body = last_body(&s);
    const char *enable = strstr(body, "<enable xmlns='urn:xmpp:sm:3' resume='true'/>");
    const char *presence = strstr(body, "<presence");
    CHECK(enable && presence && enable < presence, "XEP-0198 §3: enable right after binding, before any stanza: %s", body);
    reply(&s, "<enabled xmlns='urn:xmpp:sm:3' id='SM1' resume='true' max='300'/>");
    /* Two stanzas in: an <r/> is answered with h='2'. */
    reply(&s, "<message xmlns='jabber:client' from='bob@example.com/x' type='chat' id='i1'><body>in one</body></message>"
              "<presence xmlns='jabber:client' from='bob@example.com/x'/><r xmlns='urn:xmpp:sm:3'/>");
    flush_until(&s, "<a ");
    CHECK(strstr(last_body(&s), "<a xmlns='urn:xmpp:sm:3' h='2'/>") != NULL, "XEP-0198 §4: <r/> answered with our h: %s",
          last_body(&s));
    /* Our messages go without <r/>: the <resumed/> h is what counts. */
    CHECK(xw_client_send_message(s.c, "bob@example.com", "chat", "one", "o1") == 0, "send o1");
    CHECK(xw_client_send_message(s.c, "bob@example.com", "chat", "two", "o2") == 0, "send o2");
    drain(&s);
    flush_until(&s, "id='o2'");
    CHECK(!strstr(last_body(&s), "<r "), "no <r/> after our messages: %s", last_body(&s));
    /* presence (1), o1 (2), o2 (3): an <a h='2'/> from the server confirms o1, not o2. */
    reply(&s, "<a xmlns='urn:xmpp:sm:3' h='2'/>");
    /* The session is lost: what the next one needs to resume is reported. */
    xw_buf_clear(&s.events);
    for (int round = 0; round < 10 && !strstr(s.events.data ? s.events.data : "", "\"type\":\"offline\""); round++) {
        while (s.n) {
            double rid = s.rids[0];
            memmove(&s.rids[0], &s.rids[1], sizeof s.rids[0] * 15);
            memmove(&s.bodies[0], &s.bodies[1], sizeof s.bodies[0] * 15);
            s.n--;
            xw_client_request_failed(s.c, rid, s.now);
        }
        s.now += 70000;
        xw_client_tick(s.c, s.now);
        drain(&s);
    }
    const char *ev = s.events.data ? s.events.data : "";
    CHECK(strstr(ev, "{\"type\":\"stream-resumable\",\"id\":\"SM1\",\"h\":2}") != NULL,
          "XEP-0198 §5: the SM-ID and our h for the next session: %s", ev);
    CHECK(strstr(ev, "\"id\":\"o2\",\"seq\":3") && !strstr(ev, "\"id\":\"o1\""),
          "XEP-0198 §4: only messages beyond the server's h are unacknowledged, with their sequence numbers: %s", ev);
    xw_client_free(s.c);
    xw_buf_free(&s.events);

    /* The next session resumes the stream instead of binding. */
    NEXT_OPTIONS("sm_resume_id", "SM1", "sm_resume_h", "2");
    start(&s, 1);
    CHECK(xw_client_set_option(s.c, "sm_resume_jid", "alice@example.com/web") == XW_ERR_STATE, "options before connect only");
    xw_client_free(s.c);
    xw_buf_free(&s.events);
    NEXT_OPTIONS("sm_resume_id", "SM1", "sm_resume_h", "2", "sm_resume_jid", "alice@example.com/web");
    start(&s, 1);
    reply(&s, "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
    reply(&s, "");
    reply(&s, FEATURES_BIND_SM);
    flush_until(&s, "<resume");
    CHECK(strstr(last_body(&s), "<resume xmlns='urn:xmpp:sm:3' previd='SM1' h='2'/>") && !strstr(last_body(&s), "<bind"),
          "XEP-0198 §5: resume the lost stream with our h, no bind: %s", last_body(&s));
    xw_buf_clear(&s.events);
    reply(&s, "<resumed xmlns='urn:xmpp:sm:3' previd='SM1' h='2'/>"
              "<message xmlns='jabber:client' from='bob@example.com/x' type='chat' id='i3'><body>resent by the server</body></message>");
    CHECK(strstr(s.events.data, "{\"type\":\"online\",\"jid\":\"alice@example.com/web\",\"resumed\":\"stream\",\"acked\":2}") &&
              strstr(s.events.data, "resent by the server"),
          "XEP-0198 §5: online again on the same stream; the server's h says which of ours it handled: %s", s.events.data);
    for (int i = 0; i < s.n; i++)
        CHECK(!strstr(s.bodies[i], "<presence") && !strstr(s.bodies[i], "urn:xmpp:mam"),
              "XEP-0198 §5: a resumed stream keeps its presence and misses nothing: %s", s.bodies[i]);
    reply(&s, "<r xmlns='urn:xmpp:sm:3'/>");
    flush_until(&s, "<a ");
    CHECK(strstr(last_body(&s), "<a xmlns='urn:xmpp:sm:3' h='3'/>") != NULL, "XEP-0198 §5: counting goes on from our h: %s",
          last_body(&s));
    reply(&s, "<a xmlns='urn:xmpp:sm:3' h='9'/>");
    while (s.n) reply(&s, "");
    CHECK(strstr(s.events.data, "handled-count-too-high") != NULL,
          "XEP-0198 §4: an h beyond what we sent ends the session: %s", s.events.data);
    xw_client_free(s.c);
    xw_buf_free(&s.events);

    /* Too late to resume: bind a new session. */
    NEXT_OPTIONS("sm_resume_id", "SM1", "sm_resume_jid", "alice@example.com/web");
    start(&s, 1);
    reply(&s, "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
    reply(&s, "");
    reply(&s, FEATURES_BIND_SM);
    flush_until(&s, "<resume");
    reply(&s, "<failed xmlns='urn:xmpp:sm:3'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>");
    flush_until(&s, "<bind");
    CHECK(strstr(last_body(&s), "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>") != NULL,
          "XEP-0198 §5: a failed resumption falls back to binding: %s", last_body(&s));
    xw_client_free(s.c);
    xw_buf_free(&s.events);
}

int main(void) {
    test_plain_refused_over_http();
    test_auth_failure();
    test_messages_and_iq();
    test_stream_error();
    test_options();
    test_limits();
    test_resume();
    test_catch_up();
    test_unacknowledged();
    test_stream_management();
    return check_report("test_session");
}
