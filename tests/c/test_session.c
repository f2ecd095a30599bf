/* test_session.c: the public xw_client API end to end against a scripted
 * connection manager on a fake clock: negotiation (RFC 6120 §6-7,
 * XEP-0206), events, IQ tracking and its anti-spoofing rule, stanzas
 * skipped over limits, the reconnection policy and outbox, the archive
 * catch-up and deduplication, stream management, saved sessions. */
#include "check.h"
#include "xw.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#include "script.h"

static void test_plain_refused_over_http(void) {
    script s;
    start(&s, 0);
    CHECK(strstr(last_body(&s), "<auth") == NULL, "PLAIN not sent over plain http without allow_plain");
    while (s.n) reply(&s, "");
    CHECK(strstr(s.events.data, "\"condition\":\"invalid-mechanism\"") != NULL,
          "PLAIN refused with a clear condition: %s", s.events.data);
    done(&s);
}

static void test_auth_failure(void) {
    script s;
    start(&s, 1);
    reply(&s, "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>");
    CHECK(strstr(last_body(&s), "type='terminate'") != NULL, "XEP-0124 §12: session terminated after SASL failure");
    while (s.n) reply(&s, "");
    CHECK(strstr(s.events.data, "{\"type\":\"offline\",\"condition\":\"not-authorized\"") != NULL,
          "RFC 6120 §6.5.10: not-authorized reported: %s", s.events.data);
    CHECK(!strstr(s.events.data, "reconnecting"), "a login that never worked is not tried again: %s", s.events.data);
    done(&s);
}

static void test_messages_and_iq(void) {
    script s;
    go_online(&s);
    xw_buf_clear(&s.events);
    reply(&s, "<message xmlns='jabber:client' from='bob@example.com/x' to='alice@example.com/web' type='chat' id='m1'><body>hi &amp; &lt;3</body></message>");
    CHECK(strstr(s.events.data, "\"type\":\"message\",\"message\":{\"type\":\"chat\",\"from\":\"bob@example.com/x\"") &&
              strstr(s.events.data, "\"id\":\"m1\",\"body\":\"hi & <3\""),
          "RFC 6121 §5: message event: %s", s.events.data);
    CHECK(xw_client_send_message(s.c, "bob@example.com", "chat", "1 < 2", NULL, NULL, "id1") == 0, "send message");
    drain(&s);
    CHECK(strstr(last_body(&s), "<message xmlns='jabber:client' to='bob@example.com' type='chat' id='id1'><body>1 &lt; 2</body>"
                 "<origin-id xmlns='urn:xmpp:sid:0' id='xw") != NULL,
          "RFC 6121 §5.2 + XEP-0359 §3: message sent escaped, with an origin-id of ours: %s", last_body(&s));
    CHECK_STR(xw_client_message_id(s.c), "id1", "the app's id is kept");
    CHECK(xw_client_send_message(s.c, "bob@example.com", NULL, "no id", NULL, NULL, NULL) == 0, "send without an id");
    CHECK(strncmp(xw_client_message_id(s.c), "xw", 2) == 0, "an id is made: %s", xw_client_message_id(s.c));
    {
        /* One id for receipts, markers (which name the id) and copies from
         * the archive or carbons (which keep the origin-id) to agree on. */
        char want[160];
        flush_until(&s, "no id");
        snprintf(want, sizeof want, "id='%s'><body>no id</body><origin-id xmlns='urn:xmpp:sid:0' id='%s'/>",
                 xw_client_message_id(s.c), xw_client_message_id(s.c));
        CHECK(strstr(last_body(&s), want) != NULL, "XEP-0359 §3: without an id of the app's, the id is the origin-id: %s",
              last_body(&s));
    }
    CHECK(xw_client_send_message(s.c, "bad@@jid", "chat", "x", NULL, NULL, NULL) == XW_ERR_JID, "RFC 7622: bad to rejected");
    CHECK(xw_client_send_message(s.c, "bob@example.com", "chat", "bell\x07", NULL, NULL, NULL) == XW_ERR_INVALID,
          "XML 1.0 §2.2: control character rejected, not sent");
    CHECK(xw_client_send_message(s.c, "bob@example.com", "bogus", "x", NULL, NULL, NULL) == XW_ERR_INVALID,
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

    /* Anything else reaches the app as XML; a child in no namespace keeps
     * its xmlns='' so the XML says what arrived. */
    xw_buf_clear(&s.events);
    reply(&s, "<message xmlns='jabber:client' from='bob@example.com/x' id='e1'><x xmlns=''>raw</x></message>");
    CHECK(strstr(s.events.data, "<x xmlns=''>raw</x>") != NULL,
          "Namespaces in XML §6.2: the event's xml keeps xmlns='': %s", s.events.data);

    /* Disconnect: unavailable presence in a terminate body. */
    xw_buf_clear(&s.events);
    CHECK(xw_client_disconnect(s.c, s.now) == 0, "disconnect");
    drain(&s);
    CHECK(strstr(last_body(&s), "type='terminate'") && strstr(last_body(&s), "type='unavailable'"),
          "XEP-0124 §12 / XEP-0206 §7: terminate with unavailable presence: %s", last_body(&s));
    while (s.n) reply(&s, "");
    CHECK(strstr(s.events.data, "{\"type\":\"offline\",\"condition\":\"disconnected\"") != NULL,
          "offline after disconnect: %s", s.events.data);
    CHECK(xw_client_send_message(s.c, "bob@example.com", "chat", "late", NULL, NULL, NULL) == XW_ERR_STATE,
          "nothing is sent after the end");
    done(&s);
}

/* Extensions: the app's handlers see what they match, an IQ request they
 * match is left to the app to answer, and raw XML goes out re-serialized,
 * refused unless it is exactly one well-formed element. */
static void test_app_handlers_and_raw(void) {
    script s;
    go_online(&s);
    int h = xw_client_add_handler(s.c, "iq", "jabber:client", "query", "urn:example:custom");
    int m = xw_client_add_handler(s.c, "message", NULL, NULL, "urn:example:ext");
    CHECK(h > 0 && m > h, "handler ids: %d, %d", h, m);
    xw_buf_clear(&s.events);
    reply(&s, "<iq xmlns='jabber:client' type='get' id='c1' from='bob@example.com/x'><query xmlns='urn:example:custom'/></iq>");
    char want[64];
    snprintf(want, sizeof want, "{\"type\":\"stanza\",\"handler\":%d,\"xml\":\"<iq ", h);
    CHECK(strstr(s.events.data, want) != NULL, "the app's handler hears of the IQ: %s", s.events.data);
    for (int i = 0; i < s.n; i++)
        CHECK(!strstr(s.bodies[i], "id='c1'"), "RFC 6120 §8.4: the app answers an IQ its handler took, not the core");
    reply(&s, "<message xmlns='jabber:client' from='bob@example.com/x' id='e1'><body>with ext</body><x xmlns='urn:example:ext'/></message>");
    snprintf(want, sizeof want, "{\"type\":\"stanza\",\"handler\":%d,", m);
    CHECK(strstr(s.events.data, want) && strstr(s.events.data, "\"body\":\"with ext\""),
          "a message an app handler matches is also a message event: %s", s.events.data);
    CHECK(xw_client_remove_handler(s.c, h) == 0 && xw_client_remove_handler(s.c, h) == XW_ERR_INVALID, "removal");
    reply(&s, "<iq xmlns='jabber:client' type='get' id='c2' from='bob@example.com/x'><query xmlns='urn:example:custom'/></iq>");
    flush_until(&s, "id='c2'");
    CHECK(strstr(last_body(&s), "id='c2'") && strstr(last_body(&s), "service-unavailable"),
          "RFC 6120 §8.4: with the handler gone, the core answers service-unavailable: %s", last_body(&s));

    const char *raw = "<iq type='result' to='bob@example.com/x' id='c1'><query xmlns='urn:example:custom'>a &amp; b</query></iq>";
    CHECK(xw_client_send_raw(s.c, raw, strlen(raw)) == 0, "send raw");
    drain(&s);
    flush_until(&s, "id='c1'");
    CHECK(strstr(last_body(&s), "<iq xmlns='jabber:client' type='result' to='bob@example.com/x' id='c1'><query xmlns='urn:example:custom'>a &amp; b</query></iq>") != NULL,
          "raw XML goes out re-serialized, in jabber:client: %s", last_body(&s));
    static const char *bad[] = {"<a/><b/>", "text<a/>", "<a>", "<!-- c --><a/>", "</raw></body><body><a/>", "", "<a/>&x;"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK(xw_client_send_raw(s.c, bad[i], strlen(bad[i])) == XW_ERR_XML, "RFC 6120 §11: '%s' is refused", bad[i]);
    done(&s);
    xw_client *idle = new_alice("alice@example.com");
    CHECK(xw_client_send_raw(idle, "<a/>", 4) == XW_ERR_STATE, "raw XML needs an online session");
    xw_client_free(idle);
}

/* RFC 6120 §8.1.2.1: an answer to a request sent without 'to' (bind here)
 * comes with no 'from', our bare JID or our full JID: not another
 * resource of our account, nor our server's domain, nor anyone else. */
static void test_iq_answer_from(void) {
    script s;
    start(&s, 1);
    reply(&s, "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
    reply(&s, "");
    reply(&s, FEATURES_BIND);
    char idv[40], buf[512];
    last_iq_id(&s, idv, sizeof idv);
    while (s.n > 1) reply(&s, "");
    static const char *forged[] = {"alice@example.com/other", "example.com", "mallory@evil.example"};
    for (int i = 0; i < 3; i++) {
        xw_buf_clear(&s.events);
        snprintf(buf, sizeof buf, "<iq xmlns='jabber:client' type='result' id='%s' from='%s'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>alice@example.com/evil</jid></bind></iq>",
                 idv, forged[i]);
        reply(&s, buf);
        CHECK(strstr(s.events.data, "spoofed-iq") && !strstr(s.events.data, "\"online\""),
              "RFC 6120 §8.1.2.1: a bind result from %s is dropped: %s", forged[i], s.events.data);
    }
    snprintf(buf, sizeof buf, "<iq xmlns='jabber:client' type='result' id='%s' from='alice@example.com'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>alice@example.com/web</jid></bind></iq>", idv);
    reply(&s, buf);
    CHECK(strstr(s.events.data, "{\"type\":\"online\",\"jid\":\"alice@example.com/web\"") != NULL,
          "RFC 6120 §8.1.2.1: from our bare JID it is ours: %s", s.events.data);
    done(&s);
}

static void test_stream_error(void) {
    script s;
    go_online(&s);
    xw_buf_clear(&s.events);
    reply(&s, "<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>");
    while (s.n) reply(&s, "");
    CHECK(strstr(s.events.data, "{\"type\":\"offline\",\"condition\":\"conflict\"") != NULL,
          "RFC 6120 §4.9.3.3: stream error reported, and a conflict is not a reason to log in again: %s",
          s.events.data);
    done(&s);
}

static void test_options(void) {
    static const uint8_t seed[32] = {9};
    xw_init(seed);
    xw_client *c = xw_client_new();
    CHECK(xw_client_set_option(c, "jid", "not a jid@") == XW_ERR_JID, "RFC 7622: bad jid option rejected");
    CHECK(xw_client_set_option(c, "jid", "example.com") == XW_ERR_JID, "a jid without localpart cannot log in");
    CHECK(xw_client_set_option(c, "wait", "abc") == XW_ERR_INVALID, "non-numeric option rejected");
    CHECK(xw_client_set_option(c, "wait", "0") == XW_ERR_INVALID, "an option below its range is rejected");
    CHECK(xw_client_set_option(c, "max_scram_iterations", "1000") == XW_ERR_INVALID,
          "RFC 5802 §5.1: the iteration cap cannot go under 4096");
    CHECK(xw_client_set_option(c, "max_scram_iterations", "100000") == 0, "the iteration cap is settable");
    CHECK(xw_client_set_option(c, "nonsense", "1") == XW_ERR_INVALID, "unknown option rejected");
    CHECK(xw_client_set_option(c, "password", "") == XW_ERR_INVALID, "RFC 8265 §4.2: an empty password is refused");
    CHECK(xw_client_set_option(c, "password", "tab\there") == XW_ERR_INVALID,
          "RFC 8265 §4.2 (FreeformClass): a control character in a password is refused");
    CHECK(xw_client_connect(c, 0) == XW_ERR_JID, "connect without a jid fails clearly");
    CHECK(xw_client_send_message(c, "a@b", "chat", "x", NULL, NULL, NULL) == XW_ERR_STATE, "send before online is a state error");
    xw_client_free(c);
}

/* Limits on what the app can pile up, and on what the server sends. */
static void test_limits(void) {
    script s;
    go_online(&s);
    /* Fill the window so further stanzas queue. */
    int rc = 0, sent = 0;
    for (int i = 0; i < 10000 && rc == 0; i++) {
        rc = xw_client_send_message(s.c, "bob@example.com", "chat", "0123456789012345678901234567890123456789", NULL, NULL, NULL);
        sent += rc == 0;
    }
    CHECK(rc == XW_ERR_LIMIT, "queued outgoing messages are bounded (1 MiB of stanzas, then 1000 in the outbox): got %d after %d", rc, sent);
    CHECK(sent > 1000 && sent < 20000, "the bound is about 1 MiB of stanzas and 1000 more (%d sent)", sent);
    done(&s);

    NEXT_OPTIONS("max_pending_iqs", "3");
    go_online(&s);
    int pings = 0, last = 0;
    while ((last = xw_client_ping(s.c, NULL, 1000, s.now)) > 0 && pings < 1000) pings++;
    CHECK(pings == 3 && last == XW_ERR_LIMIT, "pending IQs are bounded by max_pending_iqs: %d then %d", pings, last);
    done(&s);

    /* A 50 MB response body is refused at the 8 MiB default before it is
     * parsed: the session ends with a terminate (no ghost on the server)
     * and policy-violation, and a new login follows as after any loss. */
    go_online(&s);
    size_t big = 50u * 1024 * 1024;
    char *body = malloc(big);
    if (!body) return;
    const char *head = "<body xmlns='http://jabber.org/protocol/httpbind'><message xmlns='jabber:client'><body>";
    memset(body, 'x', big);
    memcpy(body, head, strlen(head));
    xw_buf_clear(&s.events);
    xw_client_receive(s.c, take_oldest(&s), 200, body, big, s.now);
    free(body);
    drain(&s);
    CHECK(request_with(&s, "type='terminate'") >= 0, "XEP-0124 §12: a terminate request goes out");
    while (s.n) reply(&s, "");
    CHECK(strstr(s.events.data, "{\"type\":\"error\",\"condition\":\"policy-violation\"") != NULL &&
              strstr(s.events.data, "\"status\":\"reconnecting\",\"attempt\":1") &&
              strstr(s.events.data, "\"reason\":\"policy-violation\"") && !strstr(s.events.data, "\"offline\""),
          "50 MB body: an error event, then the usual reconnect: %.400s", s.events.data);
    next_login(&s);
    negotiate(&s, "web");
    done(&s);
}

/* Answers the oldest request with a body holding payload (any size). */
static void reply_big(script *s, const char *payload) {
    xw_buf doc = {0};
    if (xw_buf_append_str(&doc, "<body xmlns='http://jabber.org/protocol/httpbind'>") || xw_buf_append_str(&doc, payload) ||
        xw_buf_append_str(&doc, "</body>"))
        abort();
    xw_client_receive(s->c, take_oldest(s), 200, doc.data, doc.len, s->now);
    drain(s);
    xw_buf_free(&doc);
}

/* A message of about `bytes` from `from` (NULL: none), with id `id`. */
static void big_message(xw_buf *out, const char *from, const char *id, size_t bytes) {
    int rc = xw_buf_printf(out, "<message xmlns='jabber:client' to='alice@example.com/web' id='%s' type='chat'", id);
    if (!rc && from) rc = xw_buf_printf(out, " from='%s'", from);
    if (!rc) rc = xw_buf_append_str(out, "><body>");
    for (size_t i = 0; !rc && i < bytes / 16; i++) rc = xw_buf_append(out, "0123456789abcdef", 16);
    if (!rc) rc = xw_buf_append_str(out, "</body></message>");
    if (rc) abort();
}

/* max_stanza_bytes protects us from peers. What our own server or account
 * sends (no 'from', our server's domain or our bare JID: RFC 6120
 * §8.1.2.1, RFC 6121 §2.1.6; the server stamps 'from' on what peers send)
 * is bounded only by max_body_bytes: a 1.5 MB roster result is taken,
 * while a 1.5 MB message from another user of our own server is still
 * skipped as a policy violation. */
static void test_own_server_past_stanza_limit(void) {
    script s;
    log_in(&s);
    char roster[48], disco[48];
    iq_id_with(&s, "jabber:iq:roster", roster, sizeof roster);
    iq_id_with(&s, "disco#info", disco, sizeof disco);
    CHECK(roster[0] && disco[0], "RFC 6121 §2.2: the login asks for the roster");
    xw_buf result = {0};
    enum { ITEMS = 15000 };
    if (xw_buf_printf(&result, "<iq xmlns='jabber:client' type='result' id='%s'><query xmlns='jabber:iq:roster' ver='big'>", roster))
        abort();
    for (int i = 0; i < ITEMS; i++)
        if (xw_buf_printf(&result, "<item jid='contact%d@example.org' name='Contact %d' subscription='both'><group>Group %d</group></item>",
                          i, i, i % 20))
            abort();
    if (xw_buf_printf(&result, "</query></iq><iq xmlns='jabber:client' type='result' id='%s' from='example.com'>"
                               "<query xmlns='http://jabber.org/protocol/disco#info'><identity category='server' type='im'/></query></iq>", disco))
        abort();
    CHECK(result.len > 1500000, "the roster result is %zu bytes, past max_stanza_bytes (1 MiB)", result.len);
    xw_buf_clear(&s.events);
    reply_big(&s, result.data);
    xw_buf_free(&result);
    const char *ev = s.events.data ? s.events.data : "";
    CHECK(strstr(ev, "{\"type\":\"roster\",\"full\":true,\"version\":\"big\",\"items\":[{\"jid\":\"contact0@example.org\"") &&
              strstr(ev, "{\"jid\":\"contact14999@example.org\",\"name\":\"Contact 14999\"") && !strstr(ev, "policy-violation"),
          "RFC 6121 §2.1.6: a roster result with no 'from' (our server) passes max_stanza_bytes: %.300s", ev);

    /* A message from another user (even of our own server) is a peer's. */
    xw_buf body = {0};
    big_message(&body, "mallory@example.com/x", "p1", 1500000);
    if (xw_buf_append_str(&body, "<message xmlns='jabber:client' from='bob@example.com/x' id='n1' type='chat'><body>next</body></message>"))
        abort();
    xw_buf_clear(&s.events);
    reply_big(&s, body.data);
    ev = s.events.data ? s.events.data : "";
    CHECK(strstr(ev, "{\"type\":\"error\",\"condition\":\"policy-violation\"") &&
              strstr(ev, "\"from\":\"mallory@example.com/x\",\"limit\":\"max_stanza_bytes\"") && strstr(ev, "\"body\":\"next\"") &&
              !strstr(ev, "reconnecting"),
          "RFC 6120 §8.1.2.1: a 1.5 MB message from mallory@example.com/x is still skipped, and the session goes on: %.300s", ev);

    /* A message from our bare JID (a carbon, an archive result) wraps
     * what a peer wrote: the limit stays, as for any message. */
    xw_buf_clear(&body);
    big_message(&body, "alice@example.com", "s2", 1500000);
    if (xw_buf_append_str(&body, "<message xmlns='jabber:client' from='bob@example.com/x' id='n2' type='chat'><body>next</body></message>"))
        abort();
    xw_buf_clear(&s.events);
    reply_big(&s, body.data);
    ev = s.events.data ? s.events.data : "";
    CHECK(strstr(ev, "{\"type\":\"error\",\"condition\":\"policy-violation\"") && !strstr(ev, "\"id\":\"s2\"") &&
              strstr(ev, "\"id\":\"n2\""),
          "XEP-0280 §11: 1.5 MB in a message from our bare JID is skipped like a peer's; the next arrives: %.300s", ev);
    xw_buf_free(&body);
    done(&s);
}

/* A stranger's stanza past a per-stanza limit is skipped with an error
 * naming the sender and the limit; the stanza after it in the same body
 * arrives and the session goes on (no reconnect, no offline). */
static void test_poison_stanza_skipped(void) {
    script s;
    bind_features = FEATURES_BIND_SM;
    log_in(&s);
    flush_until(&s, "<presence");
    reply(&s, "<enabled xmlns='urn:xmpp:sm:3' id='SM1' resume='true'/>");
    xw_buf poison = {0};
    if (xw_buf_append_str(&poison, "<message xmlns='jabber:client' from='mallory@evil.example/x' to='alice@example.com/web' id='p1'><x xmlns='urn:example'"))
        abort();
    for (int i = 0; i < 257; i++)
        if (xw_buf_printf(&poison, " a%d='v'", i)) abort();
    if (xw_buf_append_str(&poison, "/></message><message xmlns='jabber:client' from='bob@example.com/x' id='n1'><body>next</body></message>"
                                    "<r xmlns='urn:xmpp:sm:3'/>"))
        abort();
    xw_buf_clear(&s.events);
    /* The body is larger than reply()'s buffer: answer it directly. */
    xw_buf doc = {0};
    if (xw_buf_printf(&doc, "<body xmlns='http://jabber.org/protocol/httpbind'>%s</body>", poison.data)) abort();
    xw_client_receive(s.c, take_oldest(&s), 200, doc.data, doc.len, s.now);
    drain(&s);
    xw_buf_free(&doc);
    xw_buf_free(&poison);
    const char *err = strstr(s.events.data, "{\"type\":\"error\",\"condition\":\"policy-violation\"");
    const char *next = strstr(s.events.data, "\"body\":\"next\"");
    CHECK(err && next && err < next, "the poison is reported, then the next message arrives: %s", s.events.data);
    CHECK(strstr(s.events.data, "\"from\":\"mallory@evil.example/x\",\"limit\":\"max_attrs\"") &&
              strstr(s.events.data, "skipped a <message/> from mallory@evil.example/x: 257 attributes"),
          "the error names the sender and the limit: %s", s.events.data);
    CHECK(!strstr(s.events.data, "reconnecting") && !strstr(s.events.data, "offline"), "the session goes on: %s",
          s.events.data);
    flush_until(&s, "<a ");
    CHECK(strstr(last_body(&s), "<a xmlns='urn:xmpp:sm:3' h='2'/>") != NULL,
          "XEP-0198 §4: the skipped stanza counts as handled, so a resumption never sends it again: %s", last_body(&s));

    /* An IQ request past a limit is answered with an error (RFC 6120 §8.4);
     * a too-large answer to our own IQ fails that IQ at once. */
    xw_buf big = {0};
    if (xw_buf_append_str(&big, "<iq xmlns='jabber:client' type='get' id='g1' from='mallory@evil.example/x'>")) abort();
    for (int i = 0; i < 258; i++)
        if (xw_buf_append_str(&big, "<d>")) abort();
    for (int i = 0; i < 258; i++)
        if (xw_buf_append_str(&big, "</d>")) abort();
    if (xw_buf_append_str(&big, "</iq>")) abort();
    reply(&s, big.data);
    flush_until(&s, "id='g1'");
    CHECK(strstr(last_body(&s), "to='mallory@evil.example/x' id='g1'") && strstr(last_body(&s), "<policy-violation "),
          "RFC 6120 §8.3.3.12: a skipped IQ request gets a policy-violation error: %s", last_body(&s));
    int token = xw_client_ping(s.c, NULL, 10000, s.now);
    drain(&s);
    flush_until(&s, "<ping");
    char idv[40];
    last_iq_id(&s, idv, sizeof idv);
    xw_buf_clear(&big);
    if (xw_buf_printf(&big, "<iq xmlns='jabber:client' type='result' id='%s' from='example.com'>", idv)) abort();
    for (int i = 0; i < 258; i++)
        if (xw_buf_append_str(&big, "<d>")) abort();
    for (int i = 0; i < 258; i++)
        if (xw_buf_append_str(&big, "</d>")) abort();
    if (xw_buf_append_str(&big, "</iq>")) abort();
    xw_buf_clear(&s.events);
    reply(&s, big.data);
    char want[80];
    snprintf(want, sizeof want, "{\"type\":\"iq\",\"token\":%d,\"ok\":false,\"condition\":\"policy-violation\"}", token);
    CHECK(strstr(s.events.data, want) != NULL, "a skipped answer fails its IQ at once: %s", s.events.data);
    xw_buf_free(&big);
    done(&s);
}


static void test_resume(void) {
    script s;
    next_creation_attrs = " maxpause='120'";
    go_online(&s);
    CHECK(xw_client_send_message(s.c, "bob@example.com", NULL, "before the reload", NULL, NULL, "m1") == 0, "send");
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
    CHECK(copy && !strstr(copy, "secret") && !strstr(copy, "c2VjcmV0"), "the saved session holds no password");

    /* The new page: same options, resume instead of connect. */
    xw_client *c2 = new_alice("alice@example.com");
    script t = {0};
    t.c = c2;
    t.now = s.now + 300;
    CHECK(xw_client_resume(c2, copy, copy ? strlen(copy) : 0, t.now) == 0, "resume");
    drain(&t);
    CHECK(strstr(t.events.data, "{\"type\":\"online\",\"jid\":\"alice@example.com/web\",\"resumed\":true}") != NULL,
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
    CHECK(xw_client_send_message(c2, "bob@example.com", NULL, "after", NULL, NULL, "m2") == 0, "sending works after resume");
    drain(&t);
    CHECK(strstr(t.bodies[t.n - 1], "after") != NULL && strstr(t.bodies[t.n - 1], "sid='S'") != NULL,
          "the new page sends on the same sid: %s", t.bodies[t.n - 1]);
    done(&t);

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
    const char *gap = "<body xmlns='http://jabber.org/protocol/httpbind' account='alice@example.com' since='1' jid='alice@example.com/web' sid='S' next-rid='10' processed-rid='5'/>";
    CHECK(xw_client_resume(c5, gap, strlen(gap), 0) != 0, "a saved session missing requests of its window is refused");
    xw_client_free(c5);
    free(copy);
    done(&s);

    /* No maxpause offered: no pause (XEP-0124 §10). */
    go_online(&s);
    CHECK(xw_client_pause(s.c, 30, s.now) == XW_ERR_STATE, "no pause without maxpause");
    done(&s);
}

/* A page that goes while its client reconnects takes the queued messages
 * along: the next page logs in, and sends them, in order, once online. */
static void test_reload_while_reconnecting(void) {
    script s;
    NEXT_OPTIONS("max_retries", "0");
    go_online(&s);
    lose_session(&s);
    CHECK(xw_client_send_message(s.c, "bob@example.com", "chat", "queued one", NULL, NULL, "q1") == 0 &&
              xw_client_send_message(s.c, "bob@example.com", "chat", "queued two", NULL, NULL, "q2") == 0 &&
              xw_client_send_message(s.c, "room@conf.example.com", "groupchat", NULL, "A\ntopic", "t\t1", "q3") == 0,
          "messages sent while reconnecting are queued");
    const char *saved = xw_client_save(s.c);
    CHECK(saved && !strstr(saved, " sid=") && strstr(saved, "queued one") && strstr(saved, "queued two"),
          "the saved state holds the queue and no dead session: %s", saved ? saved : "(null)");
    char *copy = saved ? xw_strndup(saved, xw_client_save_len(s.c)) : NULL;
    done(&s);
    next_saved = copy;
    start(&s, 1);
    negotiate(&s, "web");
    /* A login after a lost one catches up first: this server has no archive. */
    flush_until(&s, "urn:xmpp:mam:2");
    char iqid[48], buf[512];
    last_iq_id(&s, iqid, sizeof iqid);
    snprintf(buf, sizeof buf, "<iq xmlns='jabber:client' type='error' id='%s'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>", iqid);
    reply(&s, buf);
    flush_until(&s, "id='q3'");
    int i1 = request_with(&s, "id='q1'"), i2 = request_with(&s, "id='q2'"), i3 = request_with(&s, "id='q3'");
    CHECK(i1 >= 0 && i2 >= 0 && (i1 < i2 || strstr(s.bodies[i1], "id='q1'") < strstr(s.bodies[i1], "id='q2'")),
          "after presence, the queued messages go out in order on the next page");
    const char *q3 = i3 >= 0 ? strstr(s.bodies[i3], "id='q3'") : NULL;
    const char *want = "id='q3'><subject>A\ntopic</subject><thread>t\t1</thread><origin-id";
    CHECK(q3 && !strncmp(q3, want, strlen(want)),
          "a queued subject and thread come through the reload as they were, and no body is made up: %s", i3 >= 0 ? s.bodies[i3] : "");
    free(copy);
    done(&s);
}

/* The queryid of the archive query in the last request. */
static void last_queryid(script *s, char *out, size_t cap) {
    const char *q = strstr(last_body(s), "queryid='");
    out[0] = '\0';
    if (q) snprintf(out, cap, "%.*s", (int)strcspn(q + 9, "'"), q + 9);
}

/* An archive result message for query `qid` (XEP-0313 §5.3); `extra` goes
 * inside the archived message. */
static void archived_x(char *out, size_t cap, const char *outer_from, const char *qid, const char *archive_id,
                       const char *from, const char *id, const char *body, const char *extra) {
    snprintf(out, cap,
             "<message xmlns='jabber:client' to='alice@example.com/web'%s%s%s>"
             "<result xmlns='urn:xmpp:mam:2' queryid='%s' id='%s'><forwarded xmlns='urn:xmpp:forward:0'>"
             "<delay xmlns='urn:xmpp:delay' stamp='2026-11-24T10:00:00Z'/>"
             "<message xmlns='jabber:client' from='%s' to='alice@example.com/old' type='chat' id='%s'><body>%s</body>%s</message>"
             "</forwarded></result></message>",
             outer_from ? " from='" : "", outer_from ? outer_from : "", outer_from ? "'" : "", qid, archive_id, from, id,
             body, extra);
}

static void archived(char *out, size_t cap, const char *outer_from, const char *qid, const char *archive_id,
                     const char *from, const char *id, const char *body) {
    archived_x(out, cap, outer_from, qid, archive_id, from, id, body, "");
}

/* The saved state of a page whose session was lost: the next login
 * catches up from archive id `after` (NULL: from `since`). */
static char saved_state[4096];
static const char *lost_state(const char *after, const char *extra_children) {
    snprintf(saved_state, sizeof saved_state,
             "<body xmlns='http://jabber.org/protocol/httpbind' account='alice@example.com' since='1764064800000'%s%s%s>%s</body>",
             after ? " after='" : "", after ? after : "", after ? "'" : "", extra_children ? extra_children : "");
    return saved_state;
}

/* Finishes the page of the query in the last request: fin with `last`. */
static void fin(script *s, const char *iqid, const char *last, int complete) {
    char buf[512];
    snprintf(buf, sizeof buf, "<iq xmlns='jabber:client' type='result' id='%s'><fin xmlns='urn:xmpp:mam:2'%s>"
             "<set xmlns='http://jabber.org/protocol/rsm'><last>%s</last></set></fin></iq>",
             iqid, complete ? " complete='true'" : "", last);
    reply(s, buf);
}

static void test_catch_up(void) {
    script s;
    char qid[48], iqid[48], buf[2048];
    next_saved = lost_state("A0", NULL);
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

    /* Not the last page: ask for the next one after its last id. */
    fin(&s, iqid, "A2", 0);
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
    fin(&s, iqid, "A3", 1);
    CHECK(strstr(s.events.data, "{\"type\":\"caught-up\",\"count\":2,\"complete\":true}") != NULL,
          "XEP-0313 §5.4.3: complete='true' ends the catch-up: %s", s.events.data);
    flush_until(&s, "<presence");
    CHECK(request_with(&s, INITIAL_PRESENCE) >= 0, "RFC 6121 §4.2: presence once caught up");

    /* Offline storage hands over what the archive already gave, with the
     * same archive id (the server stamped it when it stored it). */
    xw_buf_clear(&s.events);
    reply(&s, "<message xmlns='jabber:client' from='bob@example.com/x' to='alice@example.com' type='chat' id='m3'>"
              "<stanza-id xmlns='urn:xmpp:sid:0' by='alice@example.com' id='A3'/><body>three offline</body>"
              "<delay xmlns='urn:xmpp:delay' from='example.com' stamp='2026-11-24T10:00:00Z'>Offline Storage</delay></message>");
    CHECK(!strstr(s.events.data, "three offline"), "XEP-0359: a copy with an archive id already delivered is dropped: %s",
          s.events.data);
    /* The server routes one again under a new archive id (ejabberd 23.01
     * does with what a lost session had pending): same sender, id, body. */
    reply(&s, "<message xmlns='jabber:client' from='bob@example.com/x' to='alice@example.com' type='chat' id='m3'>"
              "<stanza-id xmlns='urn:xmpp:sid:0' by='alice@example.com' id='B3'/><body>three</body></message>");
    CHECK(!strstr(s.events.data, "\"body\":\"three\""), "a copy routed again after a catch-up is dropped: %s",
          s.events.data);
    /* A new message that reuses an archived one's id is a new message. */
    reply(&s, "<message xmlns='jabber:client' from='bob@example.com/x' to='alice@example.com/web' type='chat' id='m3'>"
              "<body>another three</body></message>");
    CHECK(strstr(s.events.data, "another three") != NULL,
          "a reused id with another body is a new message, even after a catch-up: %s", s.events.data);
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
    /* Out of the window, a copy by content is a new message again. */
    s.now += 120001;
    reply(&s, "<message xmlns='jabber:client' from='bob@example.com/x' to='alice@example.com' type='chat' id='m3'>"
              "<body>three</body></message>");
    CHECK(strstr(s.events.data, "\"body\":\"three\"") != NULL,
          "only in the resend window is a same sender, id and body a copy: %s", s.events.data);
    done(&s);

    /* No archive on the server: the error ends the catch-up, presence goes. */
    next_saved = lost_state(NULL, NULL);
    log_in(&s);
    flush_until(&s, "urn:xmpp:mam:2");
    CHECK(strstr(last_body(&s), "<field var='start'><value>2025-11-25T09:59:00Z</value></field>") != NULL,
          "XEP-0313 §4.1.2 + XEP-0082: with no id seen, the query starts a minute before the first login: %s",
          last_body(&s));
    last_iq_id(&s, iqid, sizeof iqid);
    xw_buf_clear(&s.events);
    snprintf(buf, sizeof buf, "<iq xmlns='jabber:client' type='error' id='%s'><error type='cancel'>"
             "<feature-not-implemented xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>", iqid);
    reply(&s, buf);
    CHECK(strstr(s.events.data, "{\"type\":\"caught-up\",\"count\":0,\"complete\":false,\"condition\":\"feature-not-implemented\"}") != NULL,
          "an archive error ends the catch-up with its condition: %s", s.events.data);
    flush_until(&s, "<presence");
    CHECK(request_with(&s, INITIAL_PRESENCE) >= 0, "presence after a failed catch-up");
    done(&s);

    /* No answer: the IQ timeout ends it too. */
    next_saved = lost_state("A0", NULL);
    log_in(&s);
    flush_until(&s, "urn:xmpp:mam:2");
    xw_buf_clear(&s.events);
    s.now += 30001;
    xw_client_tick(s.c, s.now);
    drain(&s);
    CHECK(strstr(s.events.data, "\"complete\":false,\"condition\":\"timeout\"") != NULL,
          "RFC 6120 §8.2.3: an unanswered archive query times out: %s", s.events.data);
    done(&s);

    /* An archive that says "not complete" forever with the same last id:
     * a page that brings nothing new ends the catch-up, presence goes. */
    next_saved = lost_state("A0", NULL);
    log_in(&s);
    flush_until(&s, "urn:xmpp:mam:2");
    last_queryid(&s, qid, sizeof qid);
    last_iq_id(&s, iqid, sizeof iqid);
    archived(buf, sizeof buf, NULL, qid, "L1", "bob@example.com/x", "l1", "loop one");
    reply(&s, buf);
    fin(&s, iqid, "L1", 0);
    int queries = 1;
    for (int round = 0; round < 5; round++) {
        flush_until(&s, "<after>L1</after>");
        if (!strstr(last_body(&s), "<after>L1</after>")) break;
        queries++;
        last_queryid(&s, qid, sizeof qid);
        last_iq_id(&s, iqid, sizeof iqid);
        archived(buf, sizeof buf, NULL, qid, "L1", "bob@example.com/x", "l1", "loop one");
        reply(&s, buf);
        fin(&s, iqid, "L1", 0);
        if (strstr(s.events.data, "caught-up")) break;
    }
    CHECK(queries == 2 && strstr(s.events.data, "\"complete\":false,\"condition\":\"undefined-condition\""),
          "a page with nothing new ends the catch-up instead of asking forever (%d queries): %s", queries,
          s.events.data);
    flush_until(&s, "<presence");
    CHECK(strstr(last_body(&s), "<presence") != NULL, "presence goes out after all");
    done(&s);

    /* A page never holds more than asked for. */
    NEXT_OPTIONS("catch_up_page", "2");
    next_saved = lost_state("A0", NULL);
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
    done(&s);
}

/* An archive page too big for max_body_bytes ends the session (with a
 * terminate) like any refused body; the next login asks for pages a tenth
 * as long, so a page of large messages cannot come back forever. */
static void test_catch_up_page_too_big(void) {
    script s;
    NEXT_OPTIONS("max_body_bytes", "20000");
    next_saved = lost_state("A0", NULL);
    log_in(&s);
    flush_until(&s, "urn:xmpp:mam:2");
    CHECK(strstr(last_body(&s), "<max>100</max>") != NULL, "the first page asks for 100: %s", last_body(&s));
    xw_buf big = {0};
    if (xw_buf_append_str(&big, "<body xmlns='http://jabber.org/protocol/httpbind'>")) abort();
    for (int i = 0; i < 30; i++)
        if (xw_buf_append_str(&big, "<message xmlns='jabber:client'><body>x</body></message>")) abort();
    for (int i = 0; i < 30000; i++)
        if (xw_buf_append(&big, " ", 1)) abort();
    if (xw_buf_append_str(&big, "</body>")) abort();
    xw_buf_clear(&s.events);
    xw_client_receive(s.c, take_oldest(&s), 200, big.data, big.len, s.now);
    drain(&s);
    xw_buf_free(&big);
    CHECK(request_with(&s, "type='terminate'") >= 0, "XEP-0124 §12: the refused body ends the session with a terminate");
    while (s.n) reply(&s, "");
    CHECK(strstr(s.events.data, "\"reason\":\"policy-violation\"") != NULL, "and a new login follows: %s", s.events.data);
    next_login(&s);
    negotiate(&s, "web");
    flush_until(&s, "urn:xmpp:mam:2");
    CHECK(strstr(last_body(&s), "<max>10</max><after>A0</after>") != NULL,
          "the next catch-up asks for a tenth of the page: %s", last_body(&s));
    done(&s);
}

/* A catch-up of 2,000 messages in 20 pages: every one delivered once; our
 * own messages found early in the archive are still known at the end (so
 * the lost session's messages the server had are not sent twice, and the
 * one it never got is); offline storage's copies of all 2,000 after
 * presence are dropped. */
static void test_catch_up_2000(void) {
    script s;
    char qid[48], iqid[48], buf[2048];
    /* Two of the lost session's messages: the archive has the first. */
    next_saved = lost_state("A0",
        "<message xmlns='urn:xmpp-wasm:resume:2' to='bob@example.com' type='chat' id='u1' origin='o-u1' resend='1' seq='0' delivered='0' archived='0'>reached the server</message>"
        "<message xmlns='urn:xmpp-wasm:resume:2' to='bob@example.com' type='chat' id='u2' origin='o-u2' resend='1' seq='0' delivered='0' archived='0'>never got there</message>");
    log_in(&s);
    xw_buf_clear(&s.events);
    int n = 0;
    for (int page = 0; page < 20; page++) {
        flush_until(&s, "urn:xmpp:mam:2");
        last_queryid(&s, qid, sizeof qid);
        last_iq_id(&s, iqid, sizeof iqid);
        char last[16] = "";
        for (int i = 0; i < 100; i++) {
            n++;
            snprintf(last, sizeof last, "A%d", n);
            char id[16], body[32];
            snprintf(id, sizeof id, "b%d", n);
            snprintf(body, sizeof body, "bulk %d", n);
            if (n == 3)
                archived_x(buf, sizeof buf, NULL, qid, last, "alice@example.com/web", "u1", "reached the server",
                           "<origin-id xmlns='urn:xmpp:sid:0' id='o-u1'/>");
            else
                archived(buf, sizeof buf, NULL, qid, last, "bob@example.com/x", id, body);
            reply(&s, buf);
        }
        fin(&s, iqid, last, page == 19);
    }
    int delivered = 0;
    for (const char *p = s.events.data; (p = strstr(p, "\"archived\":true")); p++) delivered++;
    CHECK(delivered == 1999, "XEP-0313: 1,999 archived messages delivered (2,000 less our own): %d", delivered);
    CHECK(strstr(s.events.data, "{\"type\":\"caught-up\",\"count\":1999,\"complete\":true}") != NULL,
          "caught up after 20 pages: %.200s", s.events.data);
    flush_until(&s, "id='u2'");
    CHECK(request_with(&s, "id='u2'") >= 0 && request_with(&s, "id='u1'") < 0,
          "XEP-0359 origin-id: the message the archive shows the server had is not sent again; the other is");
    xw_buf_clear(&s.events);
    for (int k = 1; k <= 2000; k++) {
        snprintf(buf, sizeof buf, "<message xmlns='jabber:client' from='bob@example.com/x' to='alice@example.com' type='chat' id='b%d'>"
                 "<stanza-id xmlns='urn:xmpp:sid:0' by='alice@example.com' id='A%d'/><body>bulk %d</body>"
                 "<delay xmlns='urn:xmpp:delay' from='example.com' stamp='2026-11-24T10:00:00Z'>Offline Storage</delay></message>",
                 k, k, k);
        reply(&s, buf);
    }
    CHECK(!strstr(s.events.data ? s.events.data : "", "\"type\":\"message\""),
          "none of the 2,000 offline copies is delivered again: %.300s", s.events.data ? s.events.data : "");
    done(&s);
}

/* Deduplication never swallows a real message: a bot answering "ok" with
 * the same id twice is heard twice; and a stranger cannot make another
 * sender's message look like a copy of his (the old unkeyed FNV-1a key
 * of ('c', from, id "\n" body) collides for these two, found by search). */
static void test_dedup_keeps_real_messages(void) {
    script s;
    go_online(&s);
    xw_buf_clear(&s.events);
    const char *ok = "<message xmlns='jabber:client' from='bot@example.com/b' to='alice@example.com/web' type='chat' id='1'><body>ok</body></message>";
    reply(&s, ok);
    s.now += 3600000;
    reply(&s, ok);
    const char *first = strstr(s.events.data, "\"body\":\"ok\"");
    CHECK(first && strstr(first + 1, "\"body\":\"ok\""), "a bot's 'ok' with id 1 an hour later is a new message: %s",
          s.events.data);
    done(&s);

    /* In a resend window (after a catch-up), where content keys are used. */
    char qid[48], iqid[48], buf[2048];
    next_saved = lost_state("A0", NULL);
    log_in(&s);
    flush_until(&s, "urn:xmpp:mam:2");
    last_queryid(&s, qid, sizeof qid);
    last_iq_id(&s, iqid, sizeof iqid);
    archived(buf, sizeof buf, NULL, qid, "C1", "mallory@localhost/x", "c4c67492ac92ce1a", "ok");
    reply(&s, buf);
    fin(&s, iqid, "C1", 1);
    xw_buf_clear(&s.events);
    reply(&s, "<message xmlns='jabber:client' from='bob@localhost/bot' to='alice@example.com/web' type='chat' id='4f6b41cb03bae4c3'><body>ok</body></message>");
    CHECK(strstr(s.events.data, "\"from\":\"bob@localhost/bot\"") != NULL,
          "keyed digests (SipHash-2-4): a message whose old unkeyed key collides with a stranger's is delivered: %s",
          s.events.data);
    done(&s);
}

/* A lost session's messages the server never confirmed are sent again by
 * the next session, with their ids, once it is online and caught up; a
 * message whose request was answered is not; messages sent meanwhile
 * queue behind them. */
static void test_outbox_across_sessions(void) {
    script s;
    NEXT_OPTIONS("max_retries", "2");
    go_online(&s);
    CHECK(xw_client_send_message(s.c, "bob@example.com", "chat", "one", NULL, NULL, "u1") == 0, "send u1");
    drain(&s);
    flush_until(&s, "id='u1'");
    while (request_with(&s, "id='u1'") >= 0) reply(&s, "");
    CHECK(xw_client_send_message(s.c, "bob@example.com", "chat", "two", NULL, NULL, "u2") == 0, "send u2");
    drain(&s);
    CHECK(request_with(&s, "id='u2'") >= 0, "u2 is in a request");
    xw_buf_clear(&s.events);
    lose_session(&s);
    CHECK(!strstr(s.events.data, "unacknowledged") && !strstr(s.events.data, "offline"),
          "the outbox is the core's: no internal event reaches the app: %s", s.events.data);
    CHECK(xw_client_send_message(s.c, "bob@example.com", "chat", "three", NULL, NULL, "u3") == 0, "u3 queued while reconnecting");
    next_login(&s);
    negotiate(&s, "web");
    /* No archive id seen: the catch-up goes by time; this server has no archive. */
    flush_until(&s, "urn:xmpp:mam:2");
    char iqid[48], buf[512];
    last_iq_id(&s, iqid, sizeof iqid);
    snprintf(buf, sizeof buf, "<iq xmlns='jabber:client' type='error' id='%s'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>", iqid);
    reply(&s, buf);
    flush_until(&s, "id='u3'");
    const char *body = last_body(&s);
    const char *u2 = strstr(body, "id='u2'"), *u3 = strstr(body, "id='u3'");
    CHECK(u2 && u3 && u2 < u3, "XEP-0124 §9.1: the unconfirmed u2 goes again with its id, before u3: %s", body);
    for (int i = 0; i < s.n; i++) CHECK(!strstr(s.bodies[i], "id='u1'"), "u1's request was answered: not sent twice");
    done(&s);

    /* A clean disconnect leaves nothing behind. */
    go_online(&s);
    CHECK(xw_client_send_message(s.c, "bob@example.com", "chat", "bye", NULL, NULL, "u4") == 0, "send u4");
    CHECK(xw_client_disconnect(s.c, s.now) == 0, "disconnect");
    drain(&s);
    while (s.n) reply(&s, "");
    CHECK(!strstr(s.events.data, "recipient-unavailable"), "nothing unsent after a clean disconnect: %s", s.events.data);
    done(&s);

    /* Giving up for good reports each message that waited, by id. */
    NEXT_OPTIONS("max_retries", "0", "max_reconnect_attempts", "0");
    go_online(&s);
    CHECK(xw_client_send_message(s.c, "bob@example.com", "chat", "lost", NULL, NULL, "u5") == 0, "send u5");
    drain(&s);
    xw_buf_clear(&s.events);
    fail_until(&s, "\"offline\"");
    const char *ev = s.events.data ? s.events.data : "";
    const char *unsent = strstr(ev, "{\"type\":\"error\",\"condition\":\"recipient-unavailable\"");
    const char *off = strstr(ev, "{\"type\":\"offline\",\"condition\":\"connection-failed\"");
    CHECK(unsent && off && unsent < off && strstr(unsent, "\"id\":\"u5\""),
          "each message never sent is reported by id before offline: %s", ev);
    done(&s);
}

/* An app's burst bigger than the request queue (max_queued_bytes): the
 * messages past it wait in the outbox instead of failing, and go out on
 * the next requests, each once and in the order sent (RFC 6120 §10.1:
 * stanzas from one client are delivered in order). Past the outbox too,
 * sendMessage fails with XW_ERR_LIMIT and sends nothing. */
static void test_burst_past_request_queue(void) {
    static const char empty[] = "<body xmlns='http://jabber.org/protocol/httpbind'/>";
    enum { BURST = 3000 };
    script s;
    NEXT_OPTIONS("max_queued_bytes", "4096", "max_outbox", "3000");
    go_online(&s);
    int accepted = 0;
    char id[16];
    for (int i = 0; i < BURST; i++) {
        snprintf(id, sizeof id, "m%d", i);
        accepted += xw_client_send_message(s.c, "bob@example.com", "chat", "burst", NULL, NULL, id) == 0;
    }
    CHECK(accepted == BURST, "a burst past the request queue is accepted (%d of %d)", accepted, BURST);
    /* The 4 KiB request queue holds a dozen more; then max_outbox is full. */
    int rc = 0, more = 0;
    while (more < 100 && (rc = xw_client_send_message(s.c, "bob@example.com", "chat", "burst", NULL, NULL,
                                                      (snprintf(id, sizeof id, "m%d", BURST + more), id))) == 0)
        more++;
    CHECK(rc == XW_ERR_LIMIT && more < 100, "past the request queue and max_outbox, sendMessage fails (%d more fit)", more);
    int total = BURST + more, next = 0, in_order = 1, requests = 0;
    for (int round = 0; round < 20000 && next < total; round++) {
        if (s.n) xw_client_receive(s.c, take_oldest(&s), 200, empty, sizeof empty - 1, s.now);
        while (xw_client_next_request(s.c, s.now)) {
            requests++;
            size_t len = xw_client_request_len(s.c);
            char *body = malloc(len + 1);
            if (!body) abort();
            memcpy(body, xw_client_request_body(s.c), len);
            body[len] = '\0';
            for (const char *p = body; (p = strstr(p, "id='m")) != NULL; p += 5) {
                in_order &= atoi(p + 5) == next;
                next++;
            }
            free(body);
            if (s.n < 16) s.rids[s.n++] = xw_client_request_rid(s.c);
        }
        (void)xw_client_events(s.c);
    }
    CHECK(next == total && in_order, "all %d went out, each once, in order (%d seen, in order %d)", total, next, in_order);
    CHECK(requests > 10, "spread over many requests of at most max_queued_bytes (%d requests)", requests);
    CHECK(xw_client_send_message(s.c, "bob@example.com", "chat", "after", NULL, NULL, "after") == 0,
          "once it drained, sending works again");
    done(&s);
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
    CHECK(xw_client_send_message(s.c, "bob@example.com", "chat", "one", NULL, NULL, "o1") == 0, "send o1");
    CHECK(xw_client_send_message(s.c, "bob@example.com", "chat", "two", NULL, NULL, "o2") == 0, "send o2");
    drain(&s);
    flush_until(&s, "id='o2'");
    CHECK(!strstr(last_body(&s), "<r "), "no <r/> after our messages: %s", last_body(&s));
    /* The roster get (1) and the server's disco (2) of the login, presence
     * (3), o1 (4), o2 (5): an <a h='4'/> from the server confirms o1, not o2. */
    reply(&s, "<a xmlns='urn:xmpp:sm:3' h='4'/>");
    xw_buf_clear(&s.events);
    lose_session(&s);
    CHECK(!strstr(s.events.data, "stream-resumable"), "the stream to resume stays in the core: %s", s.events.data);

    /* The next login resumes the stream instead of binding. */
    next_login(&s);
    reply(&s, "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
    reply(&s, "");
    reply(&s, FEATURES_BIND_SM);
    flush_until(&s, "<resume");
    CHECK(strstr(last_body(&s), "<resume xmlns='urn:xmpp:sm:3' previd='SM1' h='2'/>") && !strstr(last_body(&s), "<bind"),
          "XEP-0198 §5: resume the lost stream with our h, no bind: %s", last_body(&s));
    xw_buf_clear(&s.events);
    reply(&s, "<resumed xmlns='urn:xmpp:sm:3' previd='SM1' h='4'/>"
              "<message xmlns='jabber:client' from='bob@example.com/x' type='chat' id='i3'><body>resent by the server</body>"
              "<delay xmlns='urn:xmpp:delay' from='example.com' stamp='2026-11-24T10:00:00Z'>Resent</delay></message>");
    CHECK(strstr(s.events.data, "{\"type\":\"online\",\"jid\":\"alice@example.com/web\",\"resumed\":true}") &&
              strstr(s.events.data, "resent by the server"),
          "XEP-0198 §5: online again on the same stream; what we never acknowledged comes again: %s", s.events.data);
    flush_until(&s, "id='o2'");
    CHECK(request_with(&s, "id='o2'") >= 0 && request_with(&s, "id='o1'") < 0,
          "XEP-0198 §5: the server's h says o1 arrived; o2 goes again");
    for (int i = 0; i < s.n; i++)
        CHECK(!strstr(s.bodies[i], "<presence") && !strstr(s.bodies[i], "urn:xmpp:mam"),
              "XEP-0198 §5: a resumed stream keeps its presence and misses nothing: %s", s.bodies[i]);
    /* ejabberd 23.01 also routes that message a second time, under a new
     * archive id and without the delay: a copy, in the window. */
    xw_buf_clear(&s.events);
    reply(&s, "<message xmlns='jabber:client' from='bob@example.com/x' type='chat' id='i3'><body>resent by the server</body>"
              "<stanza-id xmlns='urn:xmpp:sid:0' by='alice@example.com' id='NEW'/></message>");
    CHECK(!strstr(s.events.data, "resent by the server"), "the second routing of a resent message is dropped: %s",
          s.events.data);
    reply(&s, "<r xmlns='urn:xmpp:sm:3'/>");
    flush_until(&s, "<a ");
    CHECK(strstr(last_body(&s), "<a xmlns='urn:xmpp:sm:3' h='4'/>") != NULL, "XEP-0198 §5: counting goes on from our h: %s",
          last_body(&s));
    xw_buf_clear(&s.events);
    reply(&s, "<a xmlns='urn:xmpp:sm:3' h='9'/>");
    while (s.n) reply(&s, "");
    CHECK(strstr(s.events.data, "handled-count-too-high") && strstr(s.events.data, "\"status\":\"reconnecting\""),
          "XEP-0198 §4: an h beyond what we sent ends the session, and another login follows: %s", s.events.data);
    done(&s);

    /* Too late to resume: bind a new session. */
    bind_features = FEATURES_BIND_SM;
    log_in(&s);
    flush_until(&s, "<presence");
    reply(&s, "<enabled xmlns='urn:xmpp:sm:3' id='SM2' resume='true'/>");
    lose_session(&s);
    next_login(&s);
    reply(&s, "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
    reply(&s, "");
    reply(&s, FEATURES_BIND_SM);
    flush_until(&s, "<resume");
    reply(&s, "<failed xmlns='urn:xmpp:sm:3'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>");
    flush_until(&s, "<bind");
    CHECK(strstr(last_body(&s), "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>web</resource>") != NULL,
          "XEP-0198 §5: a failed resumption falls back to binding, the lost resource asked for again: %s",
          last_body(&s));
    done(&s);
}

/* A server that asks SCRAM for many PBKDF2 iterations cannot freeze the
 * page: the key is derived a bounded number of rounds per call, the
 * client asking to be called again at once until it is done. */
static void test_scram_in_steps(void) {
    static const struct { const char *mech; unsigned iterations; } rows[] = {
        {"SCRAM-SHA-1", 4096}, {"SCRAM-SHA-1", 100000}, {"SCRAM-SHA-256", 100000}, {"SCRAM-SHA-512", 100000}};
    for (size_t r = 0; r < sizeof rows / sizeof *rows; r++) {
        script s;
        static const uint8_t seed[32] = {9};
        xw_init(seed);
        memset(&s, 0, sizeof s);
        s.now = 5000;
        s.c = new_alice("alice@example.com");
        CHECK(xw_client_connect(s.c, s.now) == 0, "connect");
        drain(&s);
        char buf[1024];
        snprintf(buf, sizeof buf, "<body xmlns='http://jabber.org/protocol/httpbind' xmlns:stream='http://etherx.jabber.org/streams' sid='S' requests='2' hold='1' wait='60'>"
                 "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>%s</mechanism></mechanisms></stream:features></body>",
                 rows[r].mech);
        double rid = s.rids[0];
        s.n = 0;
        xw_client_receive(s.c, rid, 200, buf, strlen(buf), s.now);
        drain(&s);
        /* The client's nonce, from its client-first-message. */
        const char *auth = strstr(last_body(&s), "<auth ");
        const char *b64 = auth ? strchr(auth, '>') : NULL;
        xw_buf first = {0};
        CHECK(b64 && xw_base64_decode(&first, b64 + 1, strcspn(b64 + 1, "<")) == 0, "%s: the client-first-message", rows[r].mech);
        const char *nonce = first.data ? strstr(first.data, ",r=") : NULL;
        char server_first[256], payload[512];
        snprintf(server_first, sizeof server_first, "r=%sSERVER,s=c2FsdHNhbHQ=,i=%u", nonce ? nonce + 3 : "x",
                 rows[r].iterations);
        xw_buf enc = {0};
        CHECK(xw_base64_encode(&enc, (const uint8_t *)server_first, strlen(server_first)) == 0, "base64");
        snprintf(payload, sizeof payload, "<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>%s</challenge>", enc.data);
        reply(&s, payload);
        int calls = 1;
        while (request_with(&s, "<response ") < 0 && calls < 1000) {
            CHECK(xw_client_next_deadline(s.c) <= s.now, "%s: while deriving, the next step is due at once",
                  rows[r].mech);
            xw_client_tick(s.c, s.now);
            drain(&s);
            calls++;
        }
        unsigned per_call = rows[r].iterations / (unsigned)calls;
        CHECK(request_with(&s, "<response ") >= 0, "%s: the response goes out once derived", rows[r].mech);
        CHECK(rows[r].iterations > 4096 ? calls >= (int)(rows[r].iterations / 4096) : calls == 1,
              "%s at %u iterations: %d calls (%u rounds per call, at most 4096)", rows[r].mech, rows[r].iterations,
              calls, per_call);
        xw_buf_free(&first);
        xw_buf_free(&enc);
        done(&s);
    }
}

int main(void) {
    test_plain_refused_over_http();
    test_auth_failure();
    test_messages_and_iq();
    test_iq_answer_from();
    test_app_handlers_and_raw();
    test_stream_error();
    test_options();
    test_limits();
    test_poison_stanza_skipped();
    test_own_server_past_stanza_limit();
    test_resume();
    test_reload_while_reconnecting();
    test_catch_up();
    test_catch_up_page_too_big();
    test_catch_up_2000();
    test_dedup_keeps_real_messages();
    test_outbox_across_sessions();
    test_burst_past_request_queue();
    test_stream_management();
    test_scram_in_steps();
    return check_report("test_session");
}
