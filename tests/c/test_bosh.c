/* test_bosh.c: the BOSH state machine (XEP-0124, XEP-0206) driven by a fake
 * clock and scripted responses. Each check names the section it checks. */
#include "bosh.h"
#include "check.h"

#include <stdlib.h>
#include <string.h>

typedef struct harness {
    xw_bosh *b;
    double now;
    xw_buf stanzas; /* serialized delivered stanzas, one per line */
} harness;

static int on_stanza(void *ud, xw_node *st, double now) {
    harness *h = ud;
    (void)now;
    int rc = xw_node_serialize(st, NULL, &h->stanzas);
    if (!rc) rc = xw_buf_append(&h->stanzas, "\n", 1);
    xw_node_free(st);
    return rc;
}

static unsigned next_request_gap_ms = 0;

static void setup(harness *h, unsigned max_retries) {
    static const uint8_t seed[32] = {1, 2, 3};
    xw_init(seed);
    memset(h, 0, sizeof *h);
    xw_bosh_config cfg;
    xw_bosh_config_default(&cfg);
    cfg.to = "example.com";
    cfg.max_retries = max_retries;
    cfg.request_gap_ms = next_request_gap_ms; /* 0 unless a test checks the gap */
    next_request_gap_ms = 0;
    h->b = xw_bosh_new(&cfg, NULL, on_stanza, NULL, h);
    h->now = 1000;
}

static void teardown(harness *h) {
    xw_bosh_free(h->b);
    xw_buf_free(&h->stanzas);
}

/* Takes the next request; copies its body into `body` (cap bytes). */
static int take(harness *h, double *rid, char *body, size_t cap) {
    xw_bosh_request r;
    if (!xw_bosh_next_request(h->b, h->now, &r)) return 0;
    *rid = r.rid;
    snprintf(body, cap, "%.*s", (int)r.body_len, r.body);
    return 1;
}

/* The answer's bytes are a heap copy, scribbled over and freed once the
 * call returns, as the caller's buffer is: an answer processed at once is
 * parsed from the caller's bytes, one kept for later must be copied (under
 * ASan and valgrind, a kept pointer to them fails the test). */
static void answer(harness *h, double rid, const char *body) {
    size_t len = strlen(body);
    char *copy = malloc(len + 1);
    CHECK(copy != NULL, "malloc");
    if (!copy) return;
    memcpy(copy, body, len + 1);
    xw_bosh_receive(h->b, rid, 200, copy, len, h->now);
    memset(copy, 'x', len);
    free(copy);
}

#define CREATED "<body xmlns='http://jabber.org/protocol/httpbind' sid='SID1' wait='60' requests='2' hold='1' inactivity='30' polling='2' maxpause='120' ver='1.11'/>"

/* Starts a session and answers the creation request; returns its rid. */
static double create(harness *h) {
    char body[1024];
    double rid = 0;
    CHECK(xw_bosh_start(h->b, h->now) == 0, "start");
    CHECK(take(h, &rid, body, sizeof body), "XEP-0124 §7.1: a creation request is sent");
    answer(h, rid, CREATED);
    return rid;
}

static void test_session_creation(void) {
    harness h;
    setup(&h, 3);
    char body[1024];
    double rid = 0;
    CHECK(xw_bosh_start(h.b, h.now) == 0, "start");
    CHECK(take(&h, &rid, body, sizeof body), "creation request available");
    CHECK(rid >= 1 && rid < 4503599627370496.0, "XEP-0124 §14: initial rid random and below 2^52 (%.0f)", rid);
    CHECK(strstr(body, "to='example.com'") && strstr(body, "wait='60'") && strstr(body, "hold='1'") &&
              strstr(body, "xmpp:version='1.0'") && strstr(body, "xmlns:xmpp='urn:xmpp:xbosh'") &&
              strstr(body, "content='text/xml; charset=utf-8'") && !strstr(body, "sid="),
          "XEP-0124 §7.1 / XEP-0206 §4: creation request attributes: %s", body);
    double rid2;
    CHECK(!take(&h, &rid2, body, sizeof body), "XEP-0124 §7.1: nothing else is sent before the creation response");
    answer(&h, rid, CREATED);
    CHECK(xw_bosh_get_state(h.b) == XW_BOSH_ACTIVE, "XEP-0124 §7.2: active after the creation response");
    CHECK_STR(xw_bosh_sid(h.b), "SID1", "XEP-0124 §7.2: sid adopted");
    CHECK(xw_bosh_requests(h.b) == 2 && xw_bosh_wait(h.b) == 60, "XEP-0124 §7.2: requests and wait adopted");
    CHECK(take(&h, &rid2, body, sizeof body), "XEP-0124 §10: a request is held when idle");
    CHECK(rid2 == rid + 1, "XEP-0124 §14: rid increases by one (%.0f after %.0f)", rid2, rid);
    CHECK(strstr(body, "sid='SID1'") != NULL, "XEP-0124 §8: sid on every later request");
    double rid3;
    CHECK(!take(&h, &rid3, body, sizeof body), "XEP-0124 §10: only one empty request is held");
    teardown(&h);
}

static void test_wait_never_exceeds_request(void) {
    harness h;
    setup(&h, 3);
    char body[1024];
    double rid;
    CHECK(xw_bosh_start(h.b, h.now) == 0, "start");
    CHECK(take(&h, &rid, body, sizeof body), "creation");
    answer(&h, rid, "<body xmlns='http://jabber.org/protocol/httpbind' sid='S' wait='300' requests='2' hold='1'/>");
    CHECK(xw_bosh_wait(h.b) == 60, "XEP-0124 §7.2: the server's wait is never longer than the one asked for");
    teardown(&h);
}

static void test_window_and_payload(void) {
    harness h;
    setup(&h, 3);
    double r0 = create(&h);
    char body[1024];
    double held, sent, extra;
    CHECK(take(&h, &held, body, sizeof body), "held request");
    CHECK(xw_bosh_queue(h.b, "<message xmlns='jabber:client' to='x@y'/>", 41) == 0, "queue");
    CHECK(take(&h, &sent, body, sizeof body), "XEP-0124 §11: a second request carries the payload at once");
    CHECK(sent == r0 + 2 && strstr(body, "<message xmlns='jabber:client' to='x@y'/></body>"),
          "payload inside the body: %s", body);
    CHECK(xw_bosh_queue(h.b, "<presence xmlns='jabber:client'/>", 33) == 0, "queue more");
    CHECK(!take(&h, &extra, body, sizeof body), "XEP-0124 §11: never more than 'requests' (2) outstanding");
    /* The server answers the held one; the queued payload goes out now. */
    answer(&h, held, "<body xmlns='http://jabber.org/protocol/httpbind'/>");
    CHECK(take(&h, &extra, body, sizeof body) && extra == r0 + 3 && strstr(body, "<presence"),
          "XEP-0124 §11: queued payload sent when the window opens");
    teardown(&h);
}

static void test_in_order_processing(void) {
    harness h;
    setup(&h, 3);
    create(&h);
    char body[1024];
    double a, b;
    CHECK(take(&h, &a, body, sizeof body), "first");
    CHECK(xw_bosh_queue(h.b, "<presence xmlns='jabber:client'/>", 33) == 0, "queue");
    CHECK(take(&h, &b, body, sizeof body), "second");
    answer(&h, b, "<body xmlns='http://jabber.org/protocol/httpbind'><message xmlns='jabber:client' id='2'/></body>");
    CHECK(h.stanzas.len == 0, "XEP-0124 §14: a later rid's response waits for the earlier one");
    answer(&h, a, "<body xmlns='http://jabber.org/protocol/httpbind'><message xmlns='jabber:client' id='1'/></body>");
    CHECK_STR(h.stanzas.data,
              "<message xmlns='jabber:client' id='1'/>\n<message xmlns='jabber:client' id='2'/>\n",
              "XEP-0124 §14: responses processed in rid order");
    /* A duplicate answer for an already processed rid is ignored. */
    answer(&h, a, "<body xmlns='http://jabber.org/protocol/httpbind'><message xmlns='jabber:client' id='1'/></body>");
    CHECK(strstr(h.stanzas.data + 40, "id='1'") == NULL, "duplicate response not delivered twice");
    teardown(&h);
}

static void test_retransmit_identical(void) {
    harness h;
    setup(&h, 3);
    create(&h);
    char body[1024], again[1024];
    double a, a2;
    CHECK(xw_bosh_queue(h.b, "<message xmlns='jabber:client' to='x@y'><body>hi</body></message>", 65) == 0, "queue");
    CHECK(take(&h, &a, body, sizeof body), "request");
    xw_bosh_failed(h.b, a, h.now);
    CHECK(!take(&h, &a2, again, sizeof again), "XEP-0124 §14.2: retransmission waits for the backoff");
    double d = xw_bosh_next_deadline(h.b);
    CHECK(d > h.now && d <= h.now + 250 * 1.5 + 1, "backoff deadline within base*(1±0.5): %.1f", d - h.now);
    h.now = d;
    xw_bosh_tick(h.b, h.now);
    CHECK(take(&h, &a2, again, sizeof again), "retransmitted after backoff");
    CHECK(a2 == a && strcmp(body, again) == 0, "XEP-0124 §14.2: same rid, byte-identical body");
    /* A request that times out is retransmitted too. */
    h.now += 70000 + 1001;
    xw_bosh_tick(h.b, h.now);
    d = xw_bosh_next_deadline(h.b);
    h.now = d;
    xw_bosh_tick(h.b, h.now);
    CHECK(take(&h, &a2, again, sizeof again) && a2 == a && strcmp(body, again) == 0,
          "XEP-0124 §14.2: no answer within wait+margin: retransmitted unchanged");
    teardown(&h);
}

/* ejabberd answers a retransmission of a request it was holding with the
 * request's own children; those are not the server's (an <a h/> of ours
 * read as the server's ends the stream). An answer to a first sending is
 * delivered whatever it holds. */
/* Queues xml, takes its request, fails its connection and takes the
 * retransmission; returns the rid. */
static double send_then_retransmit(harness *h, const char *xml) {
    char body[1024], again[1024];
    double rid, rid2;
    CHECK(xw_bosh_queue(h->b, xml, strlen(xml)) == 0, "queue");
    CHECK(take(h, &rid, body, sizeof body), "request");
    xw_bosh_failed(h->b, rid, h->now);
    h->now = xw_bosh_next_deadline(h->b);
    xw_bosh_tick(h->b, h->now);
    CHECK(take(h, &rid2, again, sizeof again) && rid2 == rid, "retransmitted");
    return rid;
}

static void test_echoed_retransmission_dropped(void) {
    harness h;
    setup(&h, 3);
    create(&h);
    char body[1024];
    double a;
    const char *ack = "<a xmlns='urn:xmpp:sm:3' h='107'/>";
    a = send_then_retransmit(&h, ack);
    answer(&h, a, "<body xmlns='http://jabber.org/protocol/httpbind' sid='SID1' rid='2'><a xmlns='urn:xmpp:sm:3' h='107'/></body>");
    CHECK(h.stanzas.len == 0, "an echo of the retransmitted request delivers nothing: got %.*s", (int)h.stanzas.len,
          h.stanzas.data ? h.stanzas.data : "");
    /* The same bytes in answer to a request sent once are the server's. */
    CHECK(xw_bosh_queue(h.b, ack, strlen(ack)) == 0, "queue");
    CHECK(take(&h, &a, body, sizeof body), "request");
    answer(&h, a, "<body xmlns='http://jabber.org/protocol/httpbind'><a xmlns='urn:xmpp:sm:3' h='107'/></body>");
    CHECK(h.stanzas.len > 0 && strstr(h.stanzas.data, "h='107'"), "a first answer is delivered");
    /* A retransmission answered with something else is delivered too. */
    xw_buf_clear(&h.stanzas);
    a = send_then_retransmit(&h, ack);
    answer(&h, a, "<body xmlns='http://jabber.org/protocol/httpbind'><a xmlns='urn:xmpp:sm:3' h='3'/></body>");
    CHECK(h.stanzas.len > 0 && strstr(h.stanzas.data, "h='3'"), "a real answer to a retransmission is delivered");
    teardown(&h);
}

static void test_retries_exhausted(void) {
    harness h;
    setup(&h, 2);
    CHECK(xw_bosh_start(h.b, h.now) == 0, "start");
    char body[1024];
    double rid;
    for (int i = 0; i < 3; i++) {
        CHECK(take(&h, &rid, body, sizeof body), "attempt %d", i);
        xw_bosh_failed(h.b, rid, h.now);
        double d = xw_bosh_next_deadline(h.b);
        if (d > 0) {
            h.now = d;
            xw_bosh_tick(h.b, h.now);
        }
    }
    CHECK(xw_bosh_get_state(h.b) == XW_BOSH_CLOSED, "bounded retries: closed after max_retries");
    CHECK_STR(xw_bosh_condition(h.b), "connection-failed", "unreachable service reports connection-failed");
    teardown(&h);
}

static void test_terminal_conditions(void) {
    static const char *conds[] = {"bad-request", "host-gone", "host-unknown", "improper-addressing",
                                  "internal-server-error", "item-not-found", "other-request", "policy-violation",
                                  "remote-connection-failed", "remote-stream-error", "see-other-uri",
                                  "system-shutdown", "undefined-condition"};
    for (size_t i = 0; i < sizeof conds / sizeof *conds; i++) {
        harness h;
        setup(&h, 3);
        create(&h);
        char body[1024], resp[512];
        double a;
        CHECK(take(&h, &a, body, sizeof body), "held");
        snprintf(resp, sizeof resp,
                 "<body xmlns='http://jabber.org/protocol/httpbind' type='terminate' condition='%s'>"
                 "<message xmlns='jabber:client' id='last'/></body>", conds[i]);
        answer(&h, a, resp);
        CHECK(xw_bosh_get_state(h.b) == XW_BOSH_CLOSED, "XEP-0124 §17.2 %s ends the session", conds[i]);
        CHECK_STR(xw_bosh_condition(h.b), conds[i], "XEP-0124 §17.2 condition reported");
        CHECK(h.stanzas.data && strstr(h.stanzas.data, "id='last'"), "XEP-0124 §17.2 %s: stanzas before it delivered",
              conds[i]);
        double more;
        CHECK(!take(&h, &more, body, sizeof body), "XEP-0124 §17.2: no request after a terminal condition");
        teardown(&h);
    }
    static const struct { int status; const char *cond; } http[] = {
        {400, "bad-request"}, {403, "policy-violation"}, {404, "item-not-found"}};
    for (size_t i = 0; i < 3; i++) {
        harness h;
        setup(&h, 3);
        create(&h);
        char body[1024];
        double a;
        CHECK(take(&h, &a, body, sizeof body), "held");
        xw_bosh_receive(h.b, a, http[i].status, "", 0, h.now);
        CHECK_STR(xw_bosh_condition(h.b), http[i].cond, "XEP-0124 §17.1: HTTP %d", http[i].status);
        teardown(&h);
    }
}

/* A cluster node that does not know a session yet (ejabberd spreads a new
 * session to its other nodes asynchronously): item-not-found in the first
 * seconds is a lost request, sent again with the same rid (XEP-0124 §14);
 * later, or after max_retries of them, it ends the session (§17.2). */
static void test_young_session_unknown_to_node(void) {
    static const char *unknown = "<body xmlns='http://jabber.org/protocol/httpbind' type='terminate' condition='item-not-found'/>";
    harness h;
    setup(&h, 2);
    create(&h);
    char body[1024], again[1024];
    double a, a2, c;
    CHECK(take(&h, &a, body, sizeof body), "held");
    h.now += 10;
    answer(&h, a, unknown);
    CHECK(xw_bosh_get_state(h.b) == XW_BOSH_ACTIVE, "item-not-found right after creation does not end the session");
    h.now = xw_bosh_next_deadline(h.b);
    xw_bosh_tick(h.b, h.now);
    CHECK(take(&h, &a2, again, sizeof again), "the request is sent again");
    CHECK(a2 == a && strcmp(body, again) == 0, "XEP-0124 §14: with the same rid and body");
    answer(&h, a, "<body xmlns='http://jabber.org/protocol/httpbind'><message xmlns='jabber:client' id='m1'/></body>");
    CHECK(xw_bosh_get_state(h.b) == XW_BOSH_ACTIVE && h.stanzas.data && strstr(h.stanzas.data, "id='m1'"),
          "its answer from a node that knows the session is taken");
    /* Past the window: item-not-found is the end (XEP-0124 §17.2). */
    CHECK(take(&h, &c, body, sizeof body), "next held");
    h.now += 6000;
    answer(&h, c, unknown);
    CHECK(xw_bosh_get_state(h.b) == XW_BOSH_CLOSED, "item-not-found later ends the session");
    CHECK_STR(xw_bosh_condition(h.b), "item-not-found", "and is reported");
    teardown(&h);

    /* One that carries stanzas comes from the session itself: terminal at once (§17.2). */
    setup(&h, 2);
    create(&h);
    CHECK(take(&h, &a, body, sizeof body), "held");
    answer(&h, a, "<body xmlns='http://jabber.org/protocol/httpbind' type='terminate' condition='item-not-found'>"
                  "<message xmlns='jabber:client' id='last'/></body>");
    CHECK(xw_bosh_get_state(h.b) == XW_BOSH_CLOSED, "item-not-found with stanzas ends even a young session");
    CHECK(h.stanzas.data && strstr(h.stanzas.data, "id='last'"), "after delivering them");
    teardown(&h);

    /* A session really gone: bounded by max_retries, reported as item-not-found. */
    setup(&h, 2);
    create(&h);
    CHECK(take(&h, &a, body, sizeof body), "held");
    for (int i = 0; i < 3 && xw_bosh_get_state(h.b) == XW_BOSH_ACTIVE; i++) {
        answer(&h, a, unknown);
        double d = xw_bosh_next_deadline(h.b);
        if (d > 0) {
            h.now = d;
            xw_bosh_tick(h.b, h.now);
        }
        take(&h, &a, body, sizeof body);
    }
    CHECK(xw_bosh_get_state(h.b) == XW_BOSH_CLOSED, "item-not-found every time: closed after max_retries");
    CHECK_STR(xw_bosh_condition(h.b), "item-not-found", "reported as item-not-found");
    teardown(&h);
}

static void test_malformed_response(void) {
    harness h;
    setup(&h, 3);
    create(&h);
    char body[1024];
    double a;
    CHECK(take(&h, &a, body, sizeof body), "held");
    answer(&h, a, "<body xmlns='http://jabber.org/protocol/httpbind'><!-- x --></body>");
    /* XEP-0124 §12: the session ends with a terminate, so the server keeps
     * no ghost of it; then it is closed with what was refused. */
    double t;
    CHECK(take(&h, &t, body, sizeof body) && strstr(body, "type='terminate'") &&
              xw_bosh_get_state(h.b) == XW_BOSH_TERMINATING,
          "XEP-0124 §12: refused input ends the session with a terminate request: %s", body);
    answer(&h, t, "<body xmlns='http://jabber.org/protocol/httpbind' type='terminate'/>");
    CHECK(xw_bosh_get_state(h.b) == XW_BOSH_CLOSED, "RFC 6120 §11.1: restricted XML ends the session cleanly");
    CHECK_STR(xw_bosh_condition(h.b), "not-well-formed", "condition names the XML error");
    CHECK(xw_bosh_closed_locally(h.b), "the client ended it");
    teardown(&h);

    /* A body over max_body_bytes: the same, with policy-violation, and the
     * terminate need not be answered (a failed one closes at once). */
    setup(&h, 3);
    create(&h);
    CHECK(take(&h, &a, body, sizeof body), "held");
    size_t big = 9u << 20;
    char *huge = malloc(big);
    if (!huge) return;
    memset(huge, ' ', big);
    memcpy(huge, "<body xmlns='http://jabber.org/protocol/httpbind'>", 50);
    memcpy(huge + big - 7, "</body>", 7);
    xw_bosh_receive(h.b, a, 200, huge, big, h.now);
    free(huge);
    CHECK(take(&h, &t, body, sizeof body) && strstr(body, "type='terminate'"),
          "XEP-0124 §12: a body over the limit ends the session with a terminate: %s", body);
    xw_bosh_failed(h.b, t, h.now);
    CHECK(xw_bosh_get_state(h.b) == XW_BOSH_CLOSED, "closed once the terminate failed, without retrying it");
    CHECK_STR(xw_bosh_condition(h.b), "policy-violation", "the body limit is a policy violation");
    CHECK(strstr(xw_bosh_condition_text(h.b), "max_body_bytes") != NULL, "the text names the limit: %s",
          xw_bosh_condition_text(h.b));
    teardown(&h);
}

static void test_restart_and_terminate(void) {
    harness h;
    setup(&h, 3);
    create(&h);
    char body[1024];
    double a, b;
    CHECK(take(&h, &a, body, sizeof body), "held");
    xw_bosh_request_restart(h.b);
    CHECK(take(&h, &b, body, sizeof body), "restart request");
    CHECK(strstr(body, "xmpp:restart='true'") && strstr(body, "to='example.com'") && strstr(body, "/>") &&
              !strstr(body, "</body>"),
          "XEP-0206 §5: restart request, empty: %s", body);
    answer(&h, a, "<body xmlns='http://jabber.org/protocol/httpbind'/>");
    answer(&h, b, "<body xmlns='http://jabber.org/protocol/httpbind'/>");
    double c, d;
    CHECK(take(&h, &c, body, sizeof body), "held again");
    CHECK(xw_bosh_terminate(h.b, "<presence xmlns='jabber:client' type='unavailable'/>", 52) == 0, "terminate");
    CHECK(take(&h, &d, body, sizeof body), "terminate request");
    CHECK(strstr(body, "type='terminate'") && strstr(body, "type='unavailable'"),
          "XEP-0124 §12: terminate carries unavailable presence: %s", body);
    /* ejabberd answers the held request with other-request once it sees
     * the terminate. */
    answer(&h, c, "<body xmlns='http://jabber.org/protocol/httpbind' type='terminate' condition='other-request'/>");
    CHECK(xw_bosh_get_state(h.b) == XW_BOSH_CLOSED && xw_bosh_condition(h.b) == NULL,
          "XEP-0124 §12: a terminate we asked for is a normal close");
    teardown(&h);
}

static void test_recoverable_error(void) {
    harness h;
    setup(&h, 3);
    create(&h);
    char held[1024], sent[1024], again1[1024], again2[1024];
    double a, b, r1, r2;
    CHECK(take(&h, &a, held, sizeof held), "held");
    CHECK(xw_bosh_queue(h.b, "<message xmlns='jabber:client' to='x@y'/>", 41) == 0, "queue");
    CHECK(take(&h, &b, sent, sizeof sent), "payload request");
    /* The later request gets a recoverable error while the earlier is still out. */
    answer(&h, b, "<body xmlns='http://jabber.org/protocol/httpbind' type='error'/>");
    CHECK(xw_bosh_get_state(h.b) == XW_BOSH_ACTIVE, "XEP-0124 §17.3: type='error' does not end the session");
    CHECK(take(&h, &r1, again1, sizeof again1) && take(&h, &r2, again2, sizeof again2),
          "XEP-0124 §17.3: both requests are sent again");
    CHECK(r1 == a && strcmp(again1, held) == 0, "XEP-0124 §17.3: the earlier unanswered request, unchanged");
    CHECK(r2 == b && strcmp(again2, sent) == 0, "XEP-0124 §17.3: the failed request, unchanged");
    answer(&h, a, "<body xmlns='http://jabber.org/protocol/httpbind'><message xmlns='jabber:client' id='1'/></body>");
    answer(&h, b, "<body xmlns='http://jabber.org/protocol/httpbind'/>");
    CHECK(h.stanzas.data && strstr(h.stanzas.data, "id='1'"), "responses after the resend are processed");
    /* Endless errors end the session after max_retries. */
    double c;
    char body[1024];
    for (int i = 0; i < 10 && xw_bosh_get_state(h.b) == XW_BOSH_ACTIVE; i++) {
        if (!take(&h, &c, body, sizeof body)) break;
        answer(&h, c, "<body xmlns='http://jabber.org/protocol/httpbind' type='error'/>");
    }
    CHECK(xw_bosh_get_state(h.b) == XW_BOSH_CLOSED, "a server answering type='error' forever ends the session");
    teardown(&h);
}

static void test_polling_session(void) {
    harness h;
    setup(&h, 3);
    char body[1024];
    double rid, r1, r2;
    CHECK(xw_bosh_start(h.b, h.now) == 0, "start");
    CHECK(take(&h, &rid, body, sizeof body), "creation");
    /* hold='0': the server answers at once, so the client polls. */
    answer(&h, rid, "<body xmlns='http://jabber.org/protocol/httpbind' sid='P' wait='60' requests='1' hold='0' polling='5' inactivity='30'/>");
    CHECK(take(&h, &r1, body, sizeof body), "first empty poll");
    answer(&h, r1, "<body xmlns='http://jabber.org/protocol/httpbind'/>");
    CHECK(!take(&h, &r2, body, sizeof body),
          "XEP-0124 §12: no second empty request sooner than 'polling' seconds");
    CHECK(xw_bosh_next_deadline(h.b) == h.now + 5000, "XEP-0124 §12: woken when the polling interval ends (%.0f)",
          xw_bosh_next_deadline(h.b) - h.now);
    h.now += 4999;
    CHECK(!take(&h, &r2, body, sizeof body), "XEP-0124 §12: still too early at 4.999 s");
    CHECK(xw_bosh_queue(h.b, "<presence xmlns='jabber:client'/>", 33) == 0, "queue");
    CHECK(take(&h, &r2, body, sizeof body) && strstr(body, "<presence"),
          "XEP-0124 §12: a request with payload is not held back by polling");
    answer(&h, r2, "<body xmlns='http://jabber.org/protocol/httpbind'/>");
    h.now += 1;
    CHECK(take(&h, &r2, body, sizeof body) && strstr(body, "/>") && !strstr(body, "<presence"),
          "XEP-0124 §12: the next empty poll once 'polling' seconds passed since the last empty one");
    teardown(&h);
}

static void test_pause(void) {
    harness h;
    setup(&h, 3);
    create(&h);
    char body[1024];
    double held, p;
    CHECK(take(&h, &held, body, sizeof body), "held request");
    CHECK(xw_bosh_pause(h.b, 3600) == 0, "pause");
    CHECK(take(&h, &p, body, sizeof body) && strstr(body, "pause='120'") && p == held + 1,
          "XEP-0124 §10: pause request with pause no longer than maxpause (120): %s", body);
    teardown(&h);
}

static void test_request_gap(void) {
    harness h;
    next_request_gap_ms = 50;
    setup(&h, 3);
    create(&h);
    char body[1024];
    double held, sent;
    CHECK(take(&h, &held, body, sizeof body), "held request");
    CHECK(xw_bosh_queue(h.b, "<presence xmlns='jabber:client'/>", 33) == 0, "queue");
    CHECK(!take(&h, &sent, body, sizeof body),
          "XEP-0124 §14 (ejabberd): no request while the previous one, unanswered, is under 50 ms old");
    CHECK(xw_bosh_next_deadline(h.b) == h.now + 50, "woken when the gap ends (+%.0f)", xw_bosh_next_deadline(h.b) - h.now);
    h.now += 50;
    CHECK(take(&h, &sent, body, sizeof body) && strstr(body, "<presence"), "sent once the gap ended");
    /* Terminate never waits: a page being unloaded has no later. */
    CHECK(xw_bosh_terminate(h.b, NULL, 0) == 0, "terminate");
    double term;
    CHECK(take(&h, &term, body, sizeof body) && strstr(body, "type='terminate'"), "terminate goes out at once");
    teardown(&h);
    /* An answered previous request does not hold the next one back. */
    next_request_gap_ms = 50;
    setup(&h, 3);
    create(&h);
    CHECK(take(&h, &held, body, sizeof body), "held request");
    answer(&h, held, "<body xmlns='http://jabber.org/protocol/httpbind'/>");
    CHECK(take(&h, &sent, body, sizeof body), "the next held request at once, the previous one being answered");
    teardown(&h);
}

/* A session with the request gap on: its held request `held_age_ms` old,
 * then a first message sent (at once: the held request is old). */
static void gap_session(harness *h, double held_age_ms, double *held, double *first) {
    char body[1024];
    next_request_gap_ms = 50;
    setup(h, 3);
    create(h);
    CHECK(take(h, held, body, sizeof body), "held request");
    h->now += held_age_ms;
    CHECK(xw_bosh_queue(h->b, "<message xmlns='jabber:client' id='1'/>", 39) == 0, "queue");
    CHECK(take(h, first, body, sizeof body) && strstr(body, "id='1'"), "the first message at once: the held request is old");
}

/* The gap is for a request that may not have reached the server yet. An
 * empty answer to the held request, long before `wait`, says the next rid
 * did (XEP-0124 §4, §8: the server holds at most `hold` requests and
 * answers the oldest when one more comes), so the one after it need not
 * wait; an answer at the end of `wait`, a terminate or an error says
 * nothing of the sort. */
static void test_request_gap_known_arrival(void) {
    static const char *const empty = "<body xmlns='http://jabber.org/protocol/httpbind'/>";
    harness h;
    char body[1024];
    double held, first, second;
    gap_session(&h, 5000, &held, &first);
    h.now += 1;
    answer(&h, held, empty);
    CHECK(xw_bosh_queue(h.b, "<message xmlns='jabber:client' id='2'/>", 39) == 0, "queue");
    CHECK(take(&h, &second, body, sizeof body) && strstr(body, "id='2'") && second == first + 1,
          "XEP-0124 §8: the held request let go empty means the first message's request arrived: the second goes at once");
    teardown(&h);

    /* The same answer when `wait` ran out tells nothing: the gap holds. */
    gap_session(&h, 60000, &held, &first);
    h.now += 1;
    answer(&h, held, empty);
    CHECK(xw_bosh_queue(h.b, "<message xmlns='jabber:client' id='2'/>", 39) == 0, "queue");
    CHECK(!take(&h, &second, body, sizeof body), "an empty answer at the end of wait (60 s) says nothing of the newer request: the gap holds");
    h.now += 49;
    CHECK(take(&h, &second, body, sizeof body) && strstr(body, "id='2'"), "sent when the gap ends");
    teardown(&h);

    /* An answer with stanzas is a push, not a request let go. */
    gap_session(&h, 5000, &held, &first);
    h.now += 1;
    answer(&h, held, "<body xmlns='http://jabber.org/protocol/httpbind'><message xmlns='jabber:client' from='a@b'/></body>");
    CHECK(xw_bosh_queue(h.b, "<message xmlns='jabber:client' id='2'/>", 39) == 0, "queue");
    CHECK(!take(&h, &second, body, sizeof body), "a push on the held request says nothing of the newer one: the gap holds");
    teardown(&h);

    /* A renewal sent after the held request was answered is alone: the
     * message after it waits for the gap, then goes. */
    next_request_gap_ms = 50;
    setup(&h, 3);
    create(&h);
    CHECK(take(&h, &held, body, sizeof body), "held request");
    h.now += 5000;
    answer(&h, held, "<body xmlns='http://jabber.org/protocol/httpbind'><message xmlns='jabber:client' from='a@b'/></body>");
    CHECK(take(&h, &first, body, sizeof body) && !strstr(body, "<message"), "the renewal at once");
    h.now += 1;
    CHECK(xw_bosh_queue(h.b, "<message xmlns='jabber:client' id='2'/>", 39) == 0, "queue");
    CHECK(!take(&h, &second, body, sizeof body), "a message 1 ms after the renewal waits: the renewal may not be there yet");
    teardown(&h);
}

/* A request whose first copy never reached the server (a reset on the way
 * in) is sent again with its rid; nothing newer may go before it, however
 * old it is: the newer rid would reach ejabberd first and wait there, and
 * the stall the gap exists for follows (seen in the fault test: a 30 s
 * stall, then the session's process crashed on the retransmission). */
static void test_request_gap_retransmission(void) {
    harness h;
    char body[1024];
    double held, first, again, second;
    gap_session(&h, 5000, &held, &first);
    h.now += 1;
    xw_bosh_failed(h.b, first, h.now);
    answer(&h, held, "<body xmlns='http://jabber.org/protocol/httpbind'><message xmlns='jabber:client' from='a@b'/></body>");
    CHECK(xw_bosh_queue(h.b, "<message xmlns='jabber:client' id='2'/>", 39) == 0, "queue");
    h.now += 100;
    CHECK(!take(&h, &second, body, sizeof body),
          "XEP-0124 §14 (ejabberd): nothing newer while the first message's request waits to be sent again");
    double at = xw_bosh_next_deadline(h.b);
    CHECK(at > h.now - 100, "woken for the retransmission (+%.0f)", at - h.now);
    h.now = at;
    xw_bosh_tick(h.b, h.now);
    CHECK(take(&h, &again, body, sizeof body) && again == first && strstr(body, "id='1'"),
          "XEP-0124 §14: the same rid and payload sent again first");
    CHECK(!take(&h, &second, body, sizeof body), "the next one waits: the copy sent again may not be there yet");
    h.now += 50;
    CHECK(take(&h, &second, body, sizeof body) && second == first + 1 && strstr(body, "id='2'"), "then the next rid");
    teardown(&h);
}

/* A queue bigger than max_request_bytes (64 KiB) goes out over several
 * requests of whole elements, in order, so the server routes one while
 * the next travels; an element bigger than that goes alone; a terminate
 * takes everything left (the page may be going). XEP-0124 §8: each body
 * carries complete stanzas. */
static void test_large_queue_split(void) {
    harness h;
    setup(&h, 3);
    create(&h);
    double held, rid;
    static char body[300 * 1024], el[100 * 1024];
    CHECK(take(&h, &held, body, sizeof body), "held request");
    for (int i = 0; i < 10; i++) {
        int n = snprintf(el, sizeof el, "<message xmlns='jabber:client' id='e%d'><body>", i);
        size_t size = i == 5 ? 90 * 1024 : 20 * 1024; /* e5 alone is over the cap */
        memset(el + n, 'x', size - (size_t)n - 18);
        memcpy(el + size - 18, "</body></message>", 18);
        CHECK(xw_bosh_queue(h.b, el, size - 1) == 0, "queue e%d", i);
    }
    int next = 0, requests = 0, whole = 1, small = 1;
    for (int round = 0; round < 40 && next < 10; round++) {
        while (take(&h, &rid, body, sizeof body)) {
            requests++;
            char *p = body;
            int ids = 0;
            while ((p = strstr(p, " id='e")) != NULL) {
                whole &= atoi(p + 6) == next;
                next++;
                ids++;
                p += 6;
            }
            whole &= ids == 0 || (strstr(body, "</message></body>") != NULL);
            small &= strlen(body) <= 64 * 1024 + 200 || ids == 1;
            answer(&h, held, "<body xmlns='http://jabber.org/protocol/httpbind'/>");
            held = rid;
        }
    }
    CHECK(next == 10 && whole, "every element went out once, whole and in order (%d)", next);
    CHECK(small && requests >= 5, "in requests of at most 64 KiB, but for the one bigger element (%d requests)", requests);
    teardown(&h);

    /* A terminate takes all that is left at once. */
    setup(&h, 3);
    create(&h);
    CHECK(take(&h, &held, body, sizeof body), "held request");
    for (int i = 0; i < 5; i++) {
        int n = snprintf(el, sizeof el, "<message xmlns='jabber:client' id='t%d'><body>", i);
        memset(el + n, 'x', 20 * 1024 - (size_t)n - 18);
        memcpy(el + 20 * 1024 - 18, "</body></message>", 18);
        CHECK(xw_bosh_queue(h.b, el, 20 * 1024 - 1) == 0, "queue t%d", i);
    }
    CHECK(xw_bosh_terminate(h.b, NULL, 0) == 0, "terminate");
    CHECK(take(&h, &rid, body, sizeof body) && strstr(body, "type='terminate'") && strstr(body, "id='t0'") &&
              strstr(body, "id='t4'"),
          "XEP-0124 §13: the terminate request carries everything left");
    teardown(&h);
}

/* XEP-0124 §9: request acknowledgements from a server that offers them,
 * response acknowledgements to it, and its reports of lost answers. */
static void test_acks(void) {
    harness h;
    char body[1024];
    double creation, a, b, c;

    /* A server that does not offer acks gets none after the creation request. */
    setup(&h, 3);
    CHECK(xw_bosh_start(h.b, h.now) == 0, "start");
    CHECK(take(&h, &creation, body, sizeof body), "creation");
    CHECK(strstr(body, "<body ack='1' ") != NULL, "XEP-0124 §9.2: ack='1' in the creation request: %s", body);
    answer(&h, creation, CREATED);
    CHECK(take(&h, &a, body, sizeof body), "held");
    CHECK(xw_bosh_queue(h.b, "<presence/>", 11) == 0, "queue");
    CHECK(take(&h, &b, body, sizeof body), "second");
    CHECK(!strstr(body, " ack="), "XEP-0124 §9.2: no acks to a server that did not offer them: %s", body);
    teardown(&h);

    setup(&h, 3);
    CHECK(xw_bosh_start(h.b, h.now) == 0, "start");
    CHECK(take(&h, &creation, body, sizeof body), "creation");
    char created[512];
    snprintf(created, sizeof created,
             "<body xmlns='http://jabber.org/protocol/httpbind' sid='S' wait='60' requests='2' hold='1' ack='%.0f'/>",
             creation);
    answer(&h, creation, created);
    CHECK(take(&h, &a, body, sizeof body), "held");
    CHECK(!strstr(body, " ack="), "XEP-0124 §9.2: no ack when every earlier answer has come: %s", body);
    CHECK(xw_bosh_queue(h.b, "<message/>", 10) == 0, "queue");
    CHECK(take(&h, &b, body, sizeof body), "second");
    char want[64];
    snprintf(want, sizeof want, " ack='%.0f'", creation);
    CHECK(strstr(body, want) != NULL, "XEP-0124 §9.2: ack names the last answer received in order: %s", body);
    char second[1024];
    snprintf(second, sizeof second, "%s", body);
    CHECK(xw_bosh_acked(h.b) == 0 && xw_bosh_queue_end(h.b) == 10, "nothing acknowledged yet");

    /* The held request is answered with ack=b: the server has b's payload. */
    char resp[256];
    snprintf(resp, sizeof resp, "<body xmlns='http://jabber.org/protocol/httpbind' ack='%.0f'/>", b);
    answer(&h, a, resp);
    CHECK(xw_bosh_acked(h.b) == 10, "XEP-0124 §9.1: ack='%.0f' acknowledges the payload of that request (%llu)", b,
          (unsigned long long)xw_bosh_acked(h.b));

    /* b's answer is lost; the answer to c reports it. */
    CHECK(xw_bosh_queue(h.b, "<presence/>", 11) == 0, "queue");
    CHECK(take(&h, &c, body, sizeof body), "third");
    snprintf(resp, sizeof resp, "<body xmlns='http://jabber.org/protocol/httpbind' report='%.0f' time='500'/>", b);
    answer(&h, c, resp);
    double again;
    CHECK(take(&h, &again, body, sizeof body) && again == b, "XEP-0124 §9.2: the reported request is resent at once");
    CHECK(strcmp(body, second) == 0, "XEP-0124 §14: byte for byte: %s", body);
    answer(&h, b, "<body xmlns='http://jabber.org/protocol/httpbind'><message xmlns='jabber:client'/></body>");
    CHECK(xw_bosh_get_state(h.b) == XW_BOSH_ACTIVE && strstr(h.stanzas.data ? h.stanzas.data : "", "message"),
          "both answers processed, in order");
    teardown(&h);
}

int main(void) {
    test_request_gap();
    test_request_gap_known_arrival();
    test_request_gap_retransmission();
    test_large_queue_split();
    test_polling_session();
    test_pause();
    test_session_creation();
    test_wait_never_exceeds_request();
    test_window_and_payload();
    test_in_order_processing();
    test_retransmit_identical();
    test_echoed_retransmission_dropped();
    test_retries_exhausted();
    test_terminal_conditions();
    test_malformed_response();
    test_restart_and_terminate();
    test_recoverable_error();
    test_young_session_unknown_to_node();
    test_acks();
    return check_report("test_bosh");
}
