/* fuzz_client.c: the whole client (bosh.c, session.c, im.c) against a
 * fuzzed connection manager. The input is a sequence of responses
 * separated by 0xFF; each answers the oldest request the client has out,
 * with the HTTP status its first byte selects. "@ID@" in a response is
 * replaced by the id of the last IQ the client sent, so inputs can answer
 * the client's IQs (bind, ping) and get past negotiation. Every stanza
 * handler the core has is reachable this way. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util.h"
#include "xw.h"

/* Copies the id of the last <iq in the request body into id (cap bytes). */
static void remember_iq_id(const char *body, size_t len, char *id, size_t cap) {
    const char *last = NULL;
    for (const char *p = body; p && (size_t)(p - body) < len; p = strstr(p + 1, "<iq ")) last = p;
    if (!last || strncmp(last, "<iq ", 4) != 0) return;
    const char *a = strstr(last, " id='");
    if (!a) return;
    a += 5;
    size_t n = strcspn(a, "'");
    if (n >= cap) return;
    memcpy(id, a, n);
    id[n] = '\0';
}

/* The response with every "@ID@" replaced by id. */
static void substitute(const uint8_t *in, size_t len, const char *id, xw_buf *out) {
    size_t idlen = strlen(id);
    for (size_t i = 0; i < len; i++) {
        if (i + 4 <= len && memcmp(in + i, "@ID@", 4) == 0) {
            if (xw_buf_append(out, id, idlen)) return;
            i += 3;
        } else if (xw_buf_append(out, in + i, 1)) {
            return;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const uint8_t seed[32] = {1};
    static const int statuses[] = {200, 200, 200, 200, 200, 200, 404, 500};
    xw_init(seed);
    xw_client *c = xw_client_new();
    if (!c) return 0;
    (void)xw_client_set_option(c, "jid", "alice@localhost");
    (void)xw_client_set_option(c, "password", "pw");
    (void)xw_client_set_option(c, "allow_plain", "1");
    (void)xw_client_set_option(c, "max_retries", "1");
    double now = 1000;
    if (xw_client_connect(c, now) != XW_OK) {
        xw_client_free(c);
        return 0;
    }
    double rids[16];
    size_t nrids = 0;
    char iq_id[64] = "none";
    xw_buf resp = {0};
    size_t off = 0;
    while (off < size) {
        while (nrids < 16 && xw_client_next_request(c, now)) {
            rids[nrids++] = xw_client_request_rid(c);
            remember_iq_id(xw_client_request_body(c), xw_client_request_len(c), iq_id, sizeof iq_id);
        }
        (void)xw_client_events(c);
        if (nrids == 0) break;
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
            substitute(data + off, len, iq_id, &resp);
            xw_client_receive(c, rid, status, resp.data ? resp.data : "", resp.len, now);
        }
        off += len + 1;
        now += 500;
        xw_client_tick(c, now);
        if (off % 3 == 0) (void)xw_client_send_message(c, "bob@localhost", "chat", "hi", NULL);
        if (off % 5 == 0) (void)xw_client_ping(c, NULL, 100, now);
    }
    (void)xw_client_disconnect(c, now);
    (void)xw_client_events(c);
    xw_client_free(c);
    xw_buf_free(&resp);
    return 0;
}
