/* events.c: the event queue (see events.h). */
#include "events.h"

#include <string.h>

/* [,]"key": — keys are the core's own identifiers, never escaped; key NULL
 * writes only the comma. Plain appends, not xw_buf_printf: an archive page
 * writes ~20 keys per message, a roster ~4 per item. */
static int append_key(xw_buf *b, int comma, const char *key) {
    size_t n = key ? strlen(key) : 0;
    int rc = xw_buf_reserve(b, n + 4);
    if (rc) return rc;
    if (comma) b->data[b->len++] = ',';
    if (key) {
        b->data[b->len++] = '"';
        memcpy(b->data + b->len, key, n);
        b->len += n;
        b->data[b->len++] = '"';
        b->data[b->len++] = ':';
    }
    b->data[b->len] = '\0';
    return XW_OK;
}

static void event_key(xw_event *e, const char *key) {
    if (!e->rc) e->rc = append_key(&e->q->pending, !e->opened, key);
    e->opened = 0;
}

void xw_event_begin(xw_event *e, xw_events *q, const char *type) {
    e->q = q;
    e->mark = q->pending.len;
    e->opened = 0;
    e->rc = xw_buf_append(&q->pending, q->pending.len ? ",{" : "[{", 2);
    if (!e->rc) e->rc = xw_buf_append_str(&q->pending, "\"type\":\"");
    if (!e->rc) e->rc = xw_buf_append_str(&q->pending, type);
    if (!e->rc) e->rc = xw_buf_append(&q->pending, "\"", 1);
}

void xw_event_str(xw_event *e, const char *key, const char *value) {
    if (e->rc || !value) return;
    event_key(e, key);
    if (!e->rc) e->rc = xw_buf_append_json_string(&e->q->pending, value, strlen(value));
}

void xw_event_int(xw_event *e, const char *key, long long value) {
    event_key(e, key);
    if (e->rc) return;
    if (value < 0) e->rc = xw_buf_printf(&e->q->pending, "-%llu", (unsigned long long)-value);
    else e->rc = xw_buf_printf(&e->q->pending, "%llu", (unsigned long long)value);
}

void xw_event_bool(xw_event *e, const char *key, int value) {
    event_key(e, key);
    if (!e->rc) e->rc = xw_buf_append_str(&e->q->pending, value ? "true" : "false");
}

void xw_event_xml(xw_event *e, const char *key, const xw_node *n) {
    if (e->rc) return;
    xw_buf xml = {0};
    e->rc = xw_node_serialize(n, NULL, &xml);
    if (!e->rc) xw_event_str(e, key, xml.data ? xml.data : "");
    xw_buf_free(&xml);
}

void xw_event_json(xw_event *e, const char *key, const char *json, size_t len) {
    event_key(e, key);
    if (!e->rc) e->rc = xw_buf_append(&e->q->pending, json, len);
}

void xw_event_json_begin(xw_event *e, const char *key, xw_json *j) {
    event_key(e, key);
    /* The writer holds the queue's buffer until xw_event_json_end. */
    j->b = e->q->pending;
    j->rc = e->rc;
    j->comma = 0;
    e->q->pending = (xw_buf){0};
}

void xw_event_json_end(xw_event *e, xw_json *j) {
    e->q->pending = j->b;
    if (!e->rc) e->rc = j->rc;
}

void xw_event_object_begin(xw_event *e, const char *key) {
    event_key(e, key);
    if (!e->rc) e->rc = xw_buf_append(&e->q->pending, "{", 1);
    e->opened = 1;
}

void xw_event_object_end(xw_event *e) {
    if (!e->rc) e->rc = xw_buf_append(&e->q->pending, "}", 1);
    e->opened = 0;
}

void xw_event_end(xw_event *e) {
    if (!e->rc) e->rc = xw_buf_append(&e->q->pending, "}", 1);
    if (e->rc && e->q->pending.data) {
        e->q->pending.len = e->mark;
        e->q->pending.data[e->mark] = '\0';
    }
}

const char *xw_events_take(xw_events *q, size_t *len) {
    /* The last batch was read. A large one (a roster) is not kept as room
     * for the next: most batches are a few hundred bytes. */
    if (q->out.cap > 65536) xw_buf_free(&q->out);
    xw_buf_clear(&q->out);
    if (!q->pending.len || xw_buf_append(&q->pending, "]", 1)) {
        /* Nothing to hand out (or no memory to close the array): "[]". */
        if (xw_buf_append_str(&q->out, "[]")) {
            *len = 2;
            return "[]";
        }
    } else {
        xw_buf tmp = q->out;
        q->out = q->pending;
        q->pending = tmp;
        xw_buf_clear(&q->pending);
    }
    *len = q->out.len;
    return q->out.data;
}

void xw_events_free(xw_events *q) {
    xw_buf_free(&q->pending);
    xw_buf_free(&q->out);
}

/* ----------------------------------------------------------------- JSON */

static void json_member(xw_json *j, const char *key) {
    if (!j->rc) j->rc = append_key(&j->b, j->comma, key);
}

void xw_json_open(xw_json *j, const char *key, char bracket) {
    json_member(j, key);
    if (!j->rc) j->rc = xw_buf_append(&j->b, &bracket, 1);
    j->comma = 0;
}

void xw_json_close(xw_json *j, char bracket) {
    if (!j->rc) j->rc = xw_buf_append(&j->b, &bracket, 1);
    j->comma = 1;
}

void xw_json_str(xw_json *j, const char *key, const char *value) {
    if (!value) return;
    json_member(j, key);
    if (!j->rc) j->rc = xw_buf_append_json_string(&j->b, value, strlen(value));
    j->comma = 1;
}

void xw_json_int(xw_json *j, const char *key, long long value) {
    json_member(j, key);
    if (!j->rc) j->rc = value < 0 ? xw_buf_printf(&j->b, "-%llu", (unsigned long long)-value)
                                  : xw_buf_printf(&j->b, "%llu", (unsigned long long)value);
    j->comma = 1;
}

void xw_json_bool(xw_json *j, const char *key, int value) {
    json_member(j, key);
    if (!j->rc) j->rc = xw_buf_append_str(&j->b, value ? "true" : "false");
    j->comma = 1;
}

void xw_json_free(xw_json *j) {
    xw_buf_free(&j->b);
    j->rc = j->comma = 0;
}
