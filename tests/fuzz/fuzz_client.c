/* fuzz_client.c: the whole client (client.c, session.c, catchup.c,
 * bosh.c and the modules under them) against a fuzzed connection manager.
 * The input is a sequence of responses separated by 0xFF; each answers
 * the oldest request the client has out, with the HTTP status its first
 * byte selects (0xFE: the request fails). "@ID@" in a response is
 * replaced by the id of the last IQ the client sent, so inputs can answer
 * the client's IQs (bind, ping) and get past negotiation, "@Q@" by the
 * queryid of the last archive query, "@R@" and "@D@" by the ids of the
 * login's roster get and server disco (the "im" seed answers them and
 * then feeds every IM module: roster pushes, presence with caps, carbons,
 * rooms, history pages, disco, blocking, and forgeries of each). An input of odd length starts
 * from a saved state of a lost session, so the login catches up from the
 * archive (XEP-0313) and the result and fin handlers are fuzzed too; the
 * "stream-management" seed offers XEP-0198 and drives enable, r/a and a
 * duplicate. The clock runs 500 ms per response, so lost sessions are
 * followed by new logins (the reconnection policy, the outbox, stream
 * resumption); along the way the client sends messages and pings, calls
 * the IM API (join, history, roster, presence, disco, blocking), and
 * every so often its state is saved and carried on by a new client, as a
 * reloaded page would. Every stanza handler the core has is reachable. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util.h"
#include "xw.h"

/* Copies the value of the attribute `attr` (e.g. " id='") in the last
 * occurrence of `element` in the request body into out (cap bytes). */
static void remember_attr(const char *body, size_t len, const char *element, const char *attr, char *out,
                          size_t cap) {
    const char *last = NULL;
    for (const char *p = strstr(body, element); p && (size_t)(p - body) < len; p = strstr(p + 1, element)) last = p;
    if (!last) return;
    const char *a = strstr(last, attr);
    if (!a) return;
    a += strlen(attr);
    size_t n = strcspn(a, "'");
    if (n >= cap) return;
    memcpy(out, a, n);
    out[n] = '\0';
}

/* Copies the id of the last <iq/> before the last `needle` in the body. */
static void remember_iq_with(const char *body, size_t len, const char *needle, char *out, size_t cap) {
    const char *at = NULL;
    for (const char *p = strstr(body, needle); p && (size_t)(p - body) < len; p = strstr(p + 1, needle)) at = p;
    const char *iq = NULL;
    for (const char *p = strstr(body, "<iq "); p && at && p < at; p = strstr(p + 1, "<iq ")) iq = p;
    if (iq) remember_attr(iq, (size_t)(at - iq), "<iq ", " id='", out, cap);
}

/* What "@ID@", "@Q@", "@R@" and "@D@" in a response stand for. */
typedef struct tokens {
    char iq_id[64], queryid[64], roster_id[64], disco_id[64];
} tokens;

/* The response with every token replaced. */
static void substitute(const uint8_t *in, size_t len, const tokens *t, xw_buf *out) {
    const struct {
        const char *key;
        const char *value;
    } subs[] = {{"@ID@", t->iq_id}, {"@Q@", t->queryid}, {"@R@", t->roster_id}, {"@D@", t->disco_id}};
    for (size_t i = 0; i < len; i++) {
        size_t k = 0;
        while (k < sizeof subs / sizeof *subs &&
               !(i + strlen(subs[k].key) <= len && memcmp(in + i, subs[k].key, strlen(subs[k].key)) == 0))
            k++;
        if (k < sizeof subs / sizeof *subs) {
            if (xw_buf_append(out, subs[k].value, strlen(subs[k].value))) return;
            i += strlen(subs[k].key) - 1;
        } else if (xw_buf_append(out, in + i, 1)) {
            return;
        }
    }
}

/* Calls on the app's IM API, one per step in turn, whatever the state. */
static void app_calls(xw_client *c, size_t step, double now) {
    switch (step % 11) {
    case 0: (void)xw_client_join(c, "room@conference.localhost", "alice", step % 2 ? "pw" : NULL, 5); break;
    case 1: (void)xw_client_join(c, "other@conference.localhost", "alice", NULL, -1); break;
    case 2: (void)xw_client_roster_set(c, "carol@localhost", "Carol", "Friends\nWork"); break;
    case 3: (void)xw_client_set_presence(c, "away", "out", 3); break;
    case 4: (void)xw_client_disco_info(c, "bob@localhost/x", NULL); break;
    case 5: (void)xw_client_block(c, "mallory@localhost"); break;
    case 6: (void)xw_client_presence_of(c, "bob@localhost"); break;
    case 7: (void)xw_client_send_chat_state(c, "bob@localhost", "composing", NULL); break;
    case 8: (void)xw_client_send_marker(c, "bob@localhost", "m1", "displayed", NULL); break;
    case 9: (void)xw_client_blocklist(c); break;
    default: (void)xw_client_leave(c, "room@conference.localhost"); break;
    }
    (void)now;
}

static xw_client *new_client(void) {
    xw_client *c = xw_client_new();
    if (!c) return NULL;
    (void)xw_client_set_option(c, "jid", "alice@localhost");
    (void)xw_client_set_option(c, "password", "pw");
    (void)xw_client_set_option(c, "allow_plain", "1");
    (void)xw_client_set_option(c, "max_retries", "1");
    (void)xw_client_set_option(c, "reconnect_delay_ms", "100");
    (void)xw_client_set_option(c, "catch_up_page", "5");
    return c;
}

/* A page's saved state after a lost session: the login catches up. */
static const char LOST[] = "<body xmlns='http://jabber.org/protocol/httpbind' account='alice@localhost' since='1000' after='A0'/>";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const uint8_t seed[32] = {1};
    static const int statuses[] = {200, 200, 200, 200, 200, 200, 404, 500};
    xw_init(seed);
    xw_client *c = new_client();
    if (!c) return 0;
    double now = 1000;
    int rc = size % 2 ? xw_client_resume(c, LOST, sizeof LOST - 1, now) : xw_client_connect(c, now);
    if (rc != XW_OK) {
        xw_client_free(c);
        return 0;
    }
    double rids[16];
    size_t nrids = 0;
    tokens t = {"none", "none", "none", "none"};
    int online = 0; /* once online, the app calls its IM API at every step */
    xw_buf resp = {0};
    size_t off = 0, step = 0;
    while (off < size && step < 100000) {
        while (nrids < 16 && xw_client_next_request(c, now)) {
            rids[nrids++] = xw_client_request_rid(c);
            const char *body = xw_client_request_body(c);
            size_t body_len = xw_client_request_len(c);
            remember_attr(body, body_len, "<iq ", " id='", t.iq_id, sizeof t.iq_id);
            remember_attr(body, body_len, "<query ", " queryid='", t.queryid, sizeof t.queryid);
            remember_iq_with(body, body_len, "jabber:iq:roster", t.roster_id, sizeof t.roster_id);
            remember_iq_with(body, body_len, "disco#info", t.disco_id, sizeof t.disco_id);
        }
        const char *ev = xw_client_events(c);
        if (ev && strstr(ev, "\"type\":\"online\"")) online = 1;
        step++;
        now += 500;
        if (nrids == 0) {
            /* Nothing out: between two logins, or ended. */
            double at = xw_client_next_deadline(c);
            if (at < 0) break;
            if (at > now) now = at;
            xw_client_tick(c, now);
            continue;
        }
        const uint8_t *end = memchr(data + off, 0xFF, size - off);
        size_t len = end ? (size_t)(end - (data + off)) : size - off;
        int status = statuses[len ? data[off] % 8 : 0];
        double rid = rids[0];
        memmove(rids, rids + 1, (nrids - 1) * sizeof rids[0]);
        nrids--;
        if (len && data[off] == 0xFE) {
            xw_client_request_failed(c, rid, now);
        } else {
            xw_buf_clear(&resp);
            substitute(data + off, len, &t, &resp);
            xw_client_receive(c, rid, status, resp.data ? resp.data : "", resp.len, now);
        }
        off += len + 1;
        xw_client_tick(c, now);
        if (off % 3 == 0) (void)xw_client_send_message(c, "bob@localhost", "chat", "hi", NULL, NULL, NULL);
        if (off % 5 == 0) (void)xw_client_ping(c, NULL, 100, now);
        if (online) {
            /* A history page asked for at every step, so results meet an open query. */
            (void)xw_client_history(c, step % 3 ? "bob@localhost" : "room@conference.localhost", NULL, 5);
            app_calls(c, step, now);
        }
        if (step % 7 == 0) {
            /* The page reloads: a new client carries on from the saved state. */
            const char *saved = xw_client_save(c);
            xw_client *next = saved ? new_client() : NULL;
            if (next && xw_client_resume(next, saved, xw_client_save_len(c), now) == XW_OK) {
                xw_client_free(c);
                c = next;
                nrids = 0;
            } else {
                xw_client_free(next);
            }
        }
    }
    (void)xw_client_disconnect(c, now);
    (void)xw_client_events(c);
    xw_client_free(c);
    xw_buf_free(&resp);
    return 0;
}
