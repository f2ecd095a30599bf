/* events.h: the queue of events the core hands to its caller, as one JSON
 * array per batch (one decode per batch on the JS side). Every event is
 * built field by field between xw_event_begin() and xw_event_end(); a
 * field that fails to append (out of memory) drops that whole event, so
 * the array is always valid JSON. */
#ifndef XW_EVENTS_H
#define XW_EVENTS_H

#include "util.h"
#include "xml.h"

typedef struct xw_events {
    xw_buf pending; /* "[ev,ev" being built */
    xw_buf out;     /* the last array handed out */
} xw_events;

/* One event under construction; lives on the caller's stack. */
typedef struct xw_event {
    xw_events *q;
    size_t mark; /* where the event began, to drop it on failure */
    int rc;      /* the first failure, if any */
    int opened;  /* an object was just opened: no comma before its first field */
} xw_event;

/* Opens {"type":"<type>" at the end of the queue. */
void xw_event_begin(xw_event *e, xw_events *q, const char *type);
/* ,"key":"value" (escaped); nothing when value is NULL. */
void xw_event_str(xw_event *e, const char *key, const char *value);
/* ,"key":<integer> */
void xw_event_int(xw_event *e, const char *key, long long value);
/* ,"key":true|false */
void xw_event_bool(xw_event *e, const char *key, int value);
/* ,"key":"<the node serialized>" */
void xw_event_xml(xw_event *e, const char *key, const xw_node *n);
/* ,"key":<json> where json is valid JSON text (built with xw_json). */
void xw_event_json(xw_event *e, const char *key, const char *json, size_t len);
/* ,"key":{ … } around the fields added in between: an object the app
 * gets as it is, without copying it field by field in JS. */
void xw_event_object_begin(xw_event *e, const char *key);
void xw_event_object_end(xw_event *e);
/* Closes the event, or removes it if any field failed. */
void xw_event_end(xw_event *e);

/* JSON arrays and objects for event fields, built in a buffer. The first
 * failure sticks in rc; later calls then do nothing. `key` is NULL for the
 * elements of an array. */
typedef struct xw_json {
    xw_buf b;
    int rc;
    int comma; /* a value came last: the next one needs a comma */
} xw_json;

void xw_json_open(xw_json *j, const char *key, char bracket);
void xw_json_close(xw_json *j, char bracket);
/* A string member; nothing when value is NULL. */
void xw_json_str(xw_json *j, const char *key, const char *value);
void xw_json_int(xw_json *j, const char *key, long long value);
void xw_json_bool(xw_json *j, const char *key, int value);
void xw_json_free(xw_json *j);

/* A JSON value under `key` written straight into the queue by the xw_json
 * calls between these two, for a value too big to build apart first (a
 * whole roster). Nothing else may be added to the event in between. */
void xw_event_json_begin(xw_event *e, const char *key, xw_json *j);
void xw_event_json_end(xw_event *e, xw_json *j);

/* The events since the last call, as a JSON array; borrowed until the next
 * call. *len gets its length in bytes. */
const char *xw_events_take(xw_events *q, size_t *len);
void xw_events_free(xw_events *q);

#endif
