/* script.h: the harness of the client tests: a scripted connection
 * manager on a fake clock. The tests take the requests the client wants
 * to send (drain), answer them with scripted bodies (reply), fail them,
 * and read the events. Header-only, like check.h. */
#ifndef XW_SCRIPT_H
#define XW_SCRIPT_H

#include "check.h"
#include "xw.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Each test file uses the helpers it needs. */
#pragma GCC diagnostic ignored "-Wunused-function"

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

/* Takes the oldest outstanding request off the list; returns its rid. */
static double take_oldest(script *s) {
    double rid = s->rids[0];
    memmove(&s->rids[0], &s->rids[1], sizeof s->rids[0] * 15);
    memmove(&s->bodies[0], &s->bodies[1], sizeof s->bodies[0] * 15);
    s->n--;
    return rid;
}

/* Every outstanding request fails (the network ate it). */
static void fail_all(script *s) {
    while (s->n) xw_client_request_failed(s->c, take_oldest(s), s->now);
}

/* Answers the oldest outstanding request with `payload` inside <body/>. */
static void reply(script *s, const char *payload) {
    CHECK(s->n > 0, "a request is outstanding to answer");
    if (!s->n) return;
    char buf[4096];
    snprintf(buf, sizeof buf, "<body xmlns='http://jabber.org/protocol/httpbind' xmlns:stream='http://etherx.jabber.org/streams'>%s</body>", payload);
    xw_client_receive(s->c, take_oldest(s), 200, buf, strlen(buf), s->now);
    drain(s);
}

static const char *last_body(script *s) { return s->n ? s->bodies[s->n - 1] : ""; }

/* Answers outstanding requests (empty) until the last request sent
 * contains `needle`: the window of 2 must open for queued stanzas. */
static void flush_until(script *s, const char *needle) {
    for (int i = 0; i < 8 && !strstr(last_body(s), needle); i++) reply(s, "");
}

/* The id attribute of the last <iq/> in the last request. */
static void last_iq_id(script *s, char *out, size_t cap) {
    const char *iq = NULL;
    for (const char *p = strstr(last_body(s), "<iq "); p; p = strstr(p + 1, "<iq ")) iq = p;
    const char *id = iq ? strstr(iq, " id='") : NULL;
    out[0] = '\0';
    if (id) snprintf(out, cap, "%.*s", (int)strcspn(id + 5, "'"), id + 5);
}

/* Index of the outstanding request whose body contains needle, or -1. */
static int request_with(script *s, const char *needle) {
    for (int i = 0; i < s->n; i++)
        if (strstr(s->bodies[i], needle)) return i;
    return -1;
}

/* Our initial presence, up to the capabilities' hash (XEP-0115 §4). */
#define INITIAL_PRESENCE "<presence xmlns='jabber:client'><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='https://xmpp-wasm.dev' ver='"
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
/* A saved state the next start() resumes from instead of connecting. */
static const char *next_saved = NULL;

/* Answers the session creation request (the oldest outstanding) with the
 * SASL features in the same body. */
static void answer_creation(script *s) {
    char buf[1024];
    snprintf(buf, sizeof buf, "<body xmlns='http://jabber.org/protocol/httpbind' xmlns:stream='http://etherx.jabber.org/streams' sid='S' requests='2' hold='1' wait='60'%s>%s</body>", next_creation_attrs, FEATURES_PLAIN);
    next_creation_attrs = "";
    CHECK(s->n > 0 && strstr(s->bodies[0], "xmpp:version='1.0'"), "XEP-0206 §4: a session creation request: %s",
          s->n ? s->bodies[0] : "");
    xw_client_receive(s->c, take_oldest(s), 200, buf, strlen(buf), s->now);
    drain(s);
}

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
    if (next_saved) CHECK(xw_client_resume(s->c, next_saved, strlen(next_saved), s->now) == 0, "resume");
    else CHECK(xw_client_connect(s->c, s->now) == 0, "connect");
    next_saved = NULL;
    drain(s);
    answer_creation(s);
}

/* The id of the outstanding <iq/> whose element holds `needle`; "" if none. */
static void iq_id_with(script *s, const char *needle, char *out, size_t cap) {
    out[0] = '\0';
    for (int i = 0; i < s->n; i++) {
        const char *at = strstr(s->bodies[i], needle);
        if (!at) continue;
        const char *iq = NULL;
        for (const char *p = strstr(s->bodies[i], "<iq "); p && p < at; p = strstr(p + 1, "<iq ")) iq = p;
        const char *id = iq ? strstr(iq, " id='") : NULL;
        if (id) snprintf(out, cap, "%.*s", (int)strcspn(id + 5, "'"), id + 5);
        return;
    }
}

/* What a new login asks the server first (RFC 6121 §2.2 roster, XEP-0030
 * disco of the server) is answered: an empty roster, no carbons. */
static void answer_login_iqs(script *s) {
    char roster[48], disco[48], buf[512];
    iq_id_with(s, "jabber:iq:roster", roster, sizeof roster);
    iq_id_with(s, "disco#info", disco, sizeof disco);
    CHECK(roster[0] && disco[0], "RFC 6121 §2.2 and XEP-0030: a new login asks for the roster and the server's features");
    snprintf(buf, sizeof buf, "<iq xmlns='jabber:client' type='result' id='%s'><query xmlns='jabber:iq:roster' ver='v0'/></iq>"
             "<iq xmlns='jabber:client' type='result' id='%s' from='example.com'><query xmlns='http://jabber.org/protocol/disco#info'>"
             "<identity category='server' type='im'/></query></iq>", roster, disco);
    reply(s, buf);
}

/* From the SASL features to the bind result, on a client that already
 * has its creation request answered. */
static void negotiate(script *s, const char *resource) {
    /* "\0alice\0secret" in base64 is AGFsaWNlAHNlY3JldA== */
    CHECK(strstr(last_body(s), "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGFsaWNlAHNlY3JldA==</auth>") != NULL,
          "RFC 6120 §6.4.2 / RFC 4616: PLAIN auth element: %s", last_body(s));
    reply(s, "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
    CHECK(strstr(last_body(s), "xmpp:restart='true'") != NULL, "XEP-0206 §5: restart after SASL success");
    reply(s, "");
    reply(s, bind_features);
    bind_features = FEATURES_BIND;
    char want[160];
    snprintf(want, sizeof want, "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>%s</resource></bind>", resource);
    CHECK(strstr(last_body(s), want) != NULL, "RFC 6120 §7.5: bind request with the resource: %s", last_body(s));
    char bind[512];
    char idv[40];
    last_iq_id(s, idv, sizeof idv);
    snprintf(bind, sizeof bind, "<iq xmlns='jabber:client' type='result' id='%s'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>alice@example.com/%s</jid></bind></iq>", idv, resource);
    while (s->n > 1) reply(s, "");
    reply(s, bind);
    snprintf(want, sizeof want, "{\"type\":\"online\",\"jid\":\"alice@example.com/%s\",\"mechanism\":\"PLAIN\"}", resource);
    CHECK(strstr(s->events.data, want) != NULL, "online event with the bound JID: %s", s->events.data);
}

/* Logs in up to the bind result; go_online() also checks presence. */
static void log_in(script *s) {
    start(s, 1);
    negotiate(s, "web");
}

static void go_online(script *s) {
    log_in(s);
    CHECK(request_with(s, INITIAL_PRESENCE) >= 0, "RFC 6121 §4.2 + XEP-0115: initial presence sent, with our capabilities");
    answer_login_iqs(s);
}


/* The network eats every request, round after round (each past the
 * requests' timeouts), until the events say `needle`. */
static void fail_until(script *s, const char *needle) {
    for (int round = 0; round < 10 && !strstr(s->events.data ? s->events.data : "", needle); round++) {
        fail_all(s);
        s->now += 70000;
        xw_client_tick(s->c, s->now);
        drain(s);
    }
}

/* Fails every request until the session is lost: the client then says it
 * is reconnecting. */
static void lose_session(script *s) {
    fail_until(s, "\"status\":\"reconnecting\"");
    CHECK(strstr(s->events.data ? s->events.data : "", "\"status\":\"reconnecting\"") != NULL,
          "the session was lost and a new login is scheduled: %s", s->events.data ? s->events.data : "");
}

/* Waits for the scheduled login and answers its session creation. */
static void next_login(script *s) {
    double at = xw_client_next_deadline(s->c);
    CHECK(at >= s->now, "a deadline for the next login (%.0f, now %.0f)", at, s->now);
    s->now = at;
    xw_client_tick(s->c, s->now);
    drain(s);
    answer_creation(s);
}

static void done(script *s) {
    xw_client_free(s->c);
    xw_buf_free(&s->events);
}

/* A client made like start()'s, not connected. */
static xw_client *new_alice(const char *jid) {
    xw_client *c = xw_client_new();
    CHECK(xw_client_set_option(c, "jid", jid) == 0, "jid option");
    CHECK(xw_client_set_option(c, "password", "secret") == 0, "password option");
    CHECK(xw_client_set_option(c, "request_gap_ms", "0") == 0, "request_gap_ms option");
    CHECK(xw_client_set_option(c, "allow_plain", "1") == 0, "allow_plain option");
    return c;
}

#endif
