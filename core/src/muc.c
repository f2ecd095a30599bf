/* muc.c: group chat (see muc.h). */
#include "muc.h"

#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "im.h"
#include "jid.h"
#include "mam.h"

static void occupant_free(xw_occupant *o) {
    free(o->nick);
    free(o->jid);
    free(o->role);
    free(o->affiliation);
    free(o->show);
    free(o->status);
    memset(o, 0, sizeof *o);
}

static void room_free(xw_room *r) {
    for (size_t i = 0; i < r->n; i++) occupant_free(&r->occupants[i]);
    free(r->occupants);
    free(r->jid);
    free(r->nick);
    if (r->password) xw_memzero(r->password, strlen(r->password));
    free(r->password);
    free(r->subject);
    memset(r, 0, sizeof *r);
}

void xw_muc_free(xw_muc *m) {
    for (size_t i = 0; i < m->n; i++) room_free(&m->rooms[i]);
    free(m->rooms);
    memset(m, 0, sizeof *m);
}

xw_room *xw_muc_find(xw_muc *m, const char *room_jid) {
    for (size_t i = 0; room_jid && i < m->n; i++)
        if (xw_jid_equal(m->rooms[i].jid, room_jid, 1)) return &m->rooms[i];
    return NULL;
}

/* Room for one more occupant of r. */
static int reserve_occupant(xw_room *r) {
    if (r->n < r->cap) return XW_OK;
    xw_occupant *grown = xw_grow(r->occupants, &r->cap, sizeof *grown, 8);
    if (!grown) return XW_ERR_NOMEM;
    r->occupants = grown;
    return XW_OK;
}

/* Room for one more room in m (pointers into m->rooms move). */
static int reserve_room(xw_muc *m) {
    if (m->n < m->cap) return XW_OK;
    xw_room *grown = xw_grow(m->rooms, &m->cap, sizeof *grown, 4);
    if (!grown) return XW_ERR_NOMEM;
    m->rooms = grown;
    return XW_OK;
}

static void drop_room(xw_muc *m, xw_room *r) {
    room_free(r);
    *r = m->rooms[--m->n];
}

/* XEP-0045 §7.2: presence to room/nick, with the history asked for and
 * the password, and our own show and status. */
static int send_join(xw_client *c, const xw_room *r) {
    xw_node *p = NULL;
    xw_buf to = {0};
    int rc = xw_presence_build_own(c, &p);
    if (!rc) rc = xw_buf_printf(&to, "%s/%s", r->jid, r->nick);
    if (!rc) rc = xw_node_set_attr(p, "to", to.data);
    xw_node *x = rc ? NULL : xw_node_add_child(p, "x", XW_NS_MUC);
    if (!rc && !x) rc = XW_ERR_NOMEM;
    if (!rc && r->history >= 0) {
        char n[24];
        xw_format(n, sizeof n, "%llu", (unsigned long long)r->history);
        xw_node *h = xw_node_add_child(x, "history", NULL);
        rc = h ? xw_node_set_attr(h, "maxstanzas", n) : XW_ERR_NOMEM;
    }
    if (!rc && r->password) {
        xw_node *pw = xw_node_add_child(x, "password", NULL);
        rc = pw ? xw_node_add_text(pw, r->password, strlen(r->password)) : XW_ERR_NOMEM;
    }
    if (!rc) rc = xw_session_send(c, p, 1);
    xw_node_free(p);
    xw_buf_free(&to);
    return rc;
}

void xw_muc_rejoin(xw_client *c) {
    for (size_t i = 0; i < c->muc.n; i++) {
        xw_room *r = &c->muc.rooms[i];
        for (size_t k = 0; k < r->n; k++) occupant_free(&r->occupants[k]);
        r->n = 0;
        r->joined = 0;
        if (send_join(c, r)) xw_client_emit_error(c, "internal-error", "a room could not be joined again");
    }
}

static const xw_occupant *set_occupant(xw_room *r, const char *nick, const xw_node *item, const xw_node *st) {
    size_t at = 0;
    while (at < r->n && strcmp(r->occupants[at].nick, nick) != 0) at++;
    if (at == r->n) {
        if (reserve_occupant(r)) return NULL;
        memset(&r->occupants[r->n++], 0, sizeof *r->occupants);
    }
    xw_occupant o = {0};
    const char *jid = item ? xw_node_attr(item, "jid") : NULL;
    const char *role = item ? xw_node_attr(item, "role") : NULL, *aff = item ? xw_node_attr(item, "affiliation") : NULL;
    const xw_node *show = xw_node_child(st, "show", XW_NS_CLIENT), *status = xw_node_child(st, "status", XW_NS_CLIENT);
    o.nick = xw_strdup(nick);
    o.jid = jid ? xw_strdup(jid) : NULL;
    o.role = xw_strdup(role ? role : "none");
    o.affiliation = xw_strdup(aff ? aff : "none");
    o.show = xw_node_text_dup(show);
    o.status = xw_node_text_dup(status);
    occupant_free(&r->occupants[at]);
    r->occupants[at] = o;
    return o.nick && o.role && o.affiliation ? &r->occupants[at] : NULL;
}

static int has_status(const xw_node *x, const char *code) {
    for (const xw_node *s = xw_node_child(x, "status", XW_NS_MUC_USER); s; s = xw_node_next_named(s, "status", XW_NS_MUC_USER)) {
        const char *v = xw_node_attr(s, "code");
        if (v && !strcmp(v, code)) return 1;
    }
    return 0;
}

static void occupant_event(xw_client *c, const xw_room *r, const char *nick, const xw_occupant *o, int available,
                           int self) {
    xw_event e;
    xw_event_begin(&e, &c->events, "occupant");
    xw_event_str(&e, "room", r->jid);
    xw_event_str(&e, "nick", nick);
    if (o) {
        xw_event_str(&e, "jid", o->jid);
        xw_event_str(&e, "role", o->role);
        xw_event_str(&e, "affiliation", o->affiliation);
        xw_event_str(&e, "show", o->show);
        xw_event_str(&e, "status", o->status);
    }
    xw_event_bool(&e, "available", available);
    if (self) xw_event_bool(&e, "self", 1);
    xw_event_end(&e);
}

static void room_event(xw_client *c, const char *type, const xw_room *r, const char *k, const char *v, const char *k2,
                       const char *v2) {
    xw_event e;
    xw_event_begin(&e, &c->events, type);
    xw_event_str(&e, "room", r->jid);
    xw_event_str(&e, "nick", r->nick);
    xw_event_str(&e, k, v);
    xw_event_str(&e, k2, v2);
    xw_event_end(&e);
}

/* XEP-0045 §10.1.2: a room made by our join waits for its configuration;
 * we take the defaults (an instant room). */
static void instant_room(xw_client *c, const xw_room *r) {
    xw_node *q = xw_node_new("query", XW_NS_MUC_OWNER);
    xw_node *x = q ? xw_node_add_child(q, "x", "jabber:x:data") : NULL;
    if (!x || xw_node_set_attr(x, "type", "submit")) {
        xw_node_free(q);
        q = NULL;
    }
    if (!q || xw_session_iq(c, "set", r->jid, q, 0, NULL, 0) < 0)
        xw_client_emit_error(c, "internal-error", "a new room could not be configured");
}

int xw_muc_on_presence(xw_client *c, const xw_node *st) {
    const char *from = xw_node_attr(st, "from");
    xw_room *r = from ? xw_muc_find(&c->muc, from) : NULL;
    if (!r) return 0;
    xw_jid j;
    if (xw_jid_parse(from, strlen(from), &j)) return 1;
    char *nick = j.resource ? xw_strdup(j.resource) : NULL;
    xw_jid_free(&j);
    const char *type = xw_node_attr(st, "type");
    const xw_node *x = xw_node_child(st, "x", XW_NS_MUC_USER);
    const xw_node *item = xw_node_child(x, "item", XW_NS_MUC_USER);
    int self = has_status(x, "110") || (nick && !strcmp(nick, r->nick));
    if (!nick) {
        free(nick);
        return 1; /* from the room itself: nothing for us */
    }
    if (type && !strcmp(type, "error")) {
        /* XEP-0045 §7.2.6-7.2.10: the join failed: conflict (nickname
         * taken), registration-required (members only), not-authorized
         * (password), forbidden (banned), service-unavailable (full). */
        const xw_node *err = xw_node_child(st, "error", XW_NS_CLIENT);
        const xw_node *cond = err ? xw_node_child(err, NULL, "urn:ietf:params:xml:ns:xmpp-stanzas") : NULL;
        const xw_node *text = err ? xw_node_child(err, "text", "urn:ietf:params:xml:ns:xmpp-stanzas") : NULL;
        xw_buf t = {0};
        if (text && xw_node_text(text, &t)) xw_buf_clear(&t);
        room_event(c, "room-error", r, "condition", cond ? cond->name : "undefined-condition", "text", t.data);
        xw_buf_free(&t);
        if (!r->joined) drop_room(&c->muc, r);
    } else if (type && !strcmp(type, "unavailable")) {
        size_t at = 0;
        while (at < r->n && strcmp(r->occupants[at].nick, nick) != 0) at++;
        occupant_event(c, r, nick, at < r->n ? &r->occupants[at] : NULL, 0, self);
        if (at < r->n) {
            occupant_free(&r->occupants[at]);
            r->occupants[at] = r->occupants[--r->n];
        }
        if (self && has_status(x, "303")) {
            /* §7.6: our nickname changed; the new one's presence follows. */
            const char *renamed = item ? xw_node_attr(item, "nick") : NULL;
            char *copy = renamed ? xw_strdup(renamed) : NULL;
            if (copy) {
                free(r->nick);
                r->nick = copy;
            }
        } else if (self) {
            /* §7.14, §9.1.3, §9.2: left, kicked or banned. */
            const char *why = has_status(x, "301") ? "banned" : has_status(x, "307") ? "kicked" : NULL;
            room_event(c, "room-left", r, "condition", why, NULL, NULL);
            drop_room(&c->muc, r);
        }
    } else if (!type) {
        const xw_occupant *o = set_occupant(r, nick, item, st);
        if (!o) xw_client_emit_error(c, "resource-constraint", "out of memory: an occupant was not kept");
        if (self && !r->joined) {
            r->joined = 1;
            room_event(c, "room-joined", r, "role", o ? o->role : NULL, "affiliation", o ? o->affiliation : NULL);
            if (has_status(x, "201")) instant_room(c, r);
        }
        occupant_event(c, r, nick, o, 1, self);
    }
    free(nick);
    return 1;
}

void xw_muc_on_message(xw_client *c, const xw_node *st) {
    const char *from = xw_node_attr(st, "from");
    xw_room *r = from ? xw_muc_find(&c->muc, from) : NULL;
    if (!r) {
        /* XEP-0045 §7.4: only a room we are in sends groupchat messages. */
        xw_client_emit_error(c, "spoofed-groupchat", "dropped a groupchat message not from a room we are in (XEP-0045 §7.4)");
        return;
    }
    xw_jid j;
    if (xw_jid_parse(from, strlen(from), &j)) return;
    const xw_node *subject = xw_node_child(st, "subject", XW_NS_CLIENT);
    if (subject && !xw_node_child(st, "body", XW_NS_CLIENT)) {
        /* §8.1: the subject, from the occupant who set it. */
        xw_buf t = {0};
        if (!xw_node_text(subject, &t)) {
            free(r->subject);
            r->subject = xw_buf_take(&t);
            room_event(c, "room-subject", r, "subject", r->subject ? r->subject : "", "by", j.resource);
        }
        xw_buf_free(&t);
        xw_jid_free(&j);
        return;
    }
    xw_msg_meta meta = {0};
    meta.room = r->jid;
    meta.nick = j.resource;
    meta.outgoing = j.resource && r->nick && !strcmp(j.resource, r->nick);
    /* XEP-0359 §4 for rooms: the room's own archive id. */
    meta.stanza_id = xw_mam_stanza_id(st, r->jid);
    xw_message_deliver(c, st, &meta);
    xw_jid_free(&j);
}

/* ------------------------------------------------------------ the app's */

int xw_client_join(xw_client *c, const char *room, const char *nick, const char *password, long history) {
    xw_jid j;
    if (!room || xw_jid_parse(room, strlen(room), &j)) return XW_ERR_JID;
    int bare = !j.resource && j.local;
    xw_jid_free(&j);
    if (!bare || !nick || !*nick || !xw_im_is_xml_text(nick) || (password && !xw_im_is_xml_text(password)))
        return bare ? XW_ERR_INVALID : XW_ERR_JID;
    if (c->life != LIFE_RUNNING) return XW_ERR_STATE;
    xw_room *r = xw_muc_find(&c->muc, room);
    if (r && r->joined) {
        /* Sending the join again would be a nickname change (§7.6), and
         * its failure must not make us forget a room we are still in. */
        if (strcmp(r->nick, nick) != 0) return XW_ERR_STATE;
        const xw_occupant *self = NULL;
        for (size_t i = 0; i < r->n && !self; i++)
            if (!strcmp(r->occupants[i].nick, r->nick)) self = &r->occupants[i];
        room_event(c, "room-joined", r, "role", self ? self->role : NULL, "affiliation", self ? self->affiliation : NULL);
        return XW_OK;
    }
    if (!r) {
        if (reserve_room(&c->muc)) return XW_ERR_NOMEM;
        r = &c->muc.rooms[c->muc.n++];
        memset(r, 0, sizeof *r);
        r->jid = xw_strdup(room);
        if (!r->jid) {
            c->muc.n--;
            return XW_ERR_NOMEM;
        }
    }
    char *n = xw_strdup(nick), *pw = password ? xw_strdup(password) : NULL;
    if (!n || (password && !pw)) {
        free(n);
        free(pw);
        return XW_ERR_NOMEM;
    }
    free(r->nick);
    if (r->password) xw_memzero(r->password, strlen(r->password));
    free(r->password);
    r->nick = n;
    r->password = pw;
    r->history = history;
    r->joined = 0;
    /* Not online yet: the join goes out with the rooms after the next login. */
    if (!xw_session_online(c) || !c->s.presence_sent) return XW_OK;
    return send_join(c, r);
}

/* §7.14: unavailable presence to room/nick. */
static int send_unavailable(xw_client *c, const xw_room *r) {
    xw_node *p = NULL;
    xw_buf to = {0};
    int rc = xw_im_build_presence(&p, "unavailable", NULL, NULL, NULL);
    if (!rc) rc = xw_buf_printf(&to, "%s/%s", r->jid, r->nick);
    if (!rc) rc = xw_node_set_attr(p, "to", to.data);
    if (!rc) rc = xw_session_send(c, p, 0);
    xw_node_free(p);
    xw_buf_free(&to);
    return rc;
}

int xw_client_leave(xw_client *c, const char *room) {
    xw_room *r = room ? xw_muc_find(&c->muc, room) : NULL;
    if (!r) return XW_ERR_INVALID;
    if (!xw_session_online(c) || !r->joined) {
        /* Not in it yet: forgotten here. If the join presence went out,
         * an unavailable one follows it, so a room that answers the join
         * late (or whose answer was lost) does not keep us in. */
        int rc = xw_session_online(c) && c->s.presence_sent ? send_unavailable(c, r) : XW_OK;
        room_event(c, "room-left", r, NULL, NULL, NULL, NULL);
        drop_room(&c->muc, r);
        return rc;
    }
    /* The room's answer to it ends the stay. */
    return send_unavailable(c, r);
}

/* ------------------------------------------------ across page loads */

static int set_opt(xw_node *n, const char *name, const char *v) { return v ? xw_node_set_attr(n, name, v) : XW_OK; }

xw_node *xw_muc_save(const xw_muc *m, const char *ns) {
    xw_node *el = xw_node_new("rooms", ns);
    int rc = el ? XW_OK : XW_ERR_NOMEM;
    for (size_t i = 0; !rc && i < m->n; i++) {
        const xw_room *r = &m->rooms[i];
        char hist[24];
        xw_format(hist, sizeof hist, "%llu", (unsigned long long)(r->history < 0 ? 0 : r->history));
        xw_node *rn = xw_node_add_child(el, "room", NULL);
        rc = rn ? xw_node_set_attr(rn, "jid", r->jid) : XW_ERR_NOMEM;
        if (!rc) rc = xw_node_set_attr(rn, "nick", r->nick);
        if (!rc && r->history >= 0) rc = xw_node_set_attr(rn, "history", hist);
        if (!rc && r->joined) rc = xw_node_set_attr(rn, "joined", "1");
        if (!rc) rc = set_opt(rn, "subject", r->subject);
        for (size_t k = 0; !rc && k < r->n; k++) {
            const xw_occupant *o = &r->occupants[k];
            xw_node *on = xw_node_add_child(rn, "occupant", NULL);
            rc = on ? xw_node_set_attr(on, "nick", o->nick) : XW_ERR_NOMEM;
            if (!rc) rc = set_opt(on, "jid", o->jid);
            if (!rc) rc = set_opt(on, "role", o->role);
            if (!rc) rc = set_opt(on, "affiliation", o->affiliation);
            if (!rc) rc = set_opt(on, "show", o->show);
            if (!rc) rc = set_opt(on, "status", o->status);
        }
    }
    if (rc) {
        xw_node_free(el);
        return NULL;
    }
    return el;
}

int xw_muc_restore(xw_muc *m, const xw_node *saved) {
    xw_muc fresh = {0};
    int rc = XW_OK;
    for (const xw_node *rn = xw_node_child(saved, "room", saved->ns); !rc && rn; rn = xw_node_next_named(rn, "room", saved->ns)) {
        if (!xw_node_attr(rn, "jid") || !xw_node_attr(rn, "nick")) continue;
        if ((rc = reserve_room(&fresh))) break;
        xw_room *r = &fresh.rooms[fresh.n++];
        memset(r, 0, sizeof *r);
        const char *hist = xw_node_attr(rn, "history");
        r->jid = xw_node_attr_dup(rn, "jid");
        r->nick = xw_node_attr_dup(rn, "nick");
        r->subject = xw_node_attr_dup(rn, "subject");
        r->history = hist ? strtol(hist, NULL, 10) : -1;
        r->joined = xw_node_attr(rn, "joined") != NULL;
        if (!r->jid || !r->nick) rc = XW_ERR_NOMEM;
        for (const xw_node *on = xw_node_child(rn, "occupant", saved->ns); !rc && on;
             on = xw_node_next_named(on, "occupant", saved->ns)) {
            if ((rc = reserve_occupant(r))) break;
            xw_occupant *o = &r->occupants[r->n++];
            memset(o, 0, sizeof *o);
            o->nick = xw_node_attr_dup(on, "nick");
            o->jid = xw_node_attr_dup(on, "jid");
            o->role = xw_node_attr_dup(on, "role");
            o->affiliation = xw_node_attr_dup(on, "affiliation");
            o->show = xw_node_attr_dup(on, "show");
            o->status = xw_node_attr_dup(on, "status");
            if (!o->nick || !o->role || !o->affiliation) rc = XW_ERR_NOMEM;
        }
    }
    if (rc) {
        xw_muc_free(&fresh);
        return rc;
    }
    xw_muc_free(m);
    *m = fresh;
    return XW_OK;
}

void xw_muc_emit_restored(xw_client *c) {
    for (size_t i = 0; i < c->muc.n; i++) {
        const xw_room *r = &c->muc.rooms[i];
        if (!r->joined) continue;
        const xw_occupant *me = NULL;
        for (size_t k = 0; k < r->n; k++)
            if (!strcmp(r->occupants[k].nick, r->nick)) me = &r->occupants[k];
        xw_event e;
        xw_event_begin(&e, &c->events, "room-joined");
        xw_event_str(&e, "room", r->jid);
        xw_event_str(&e, "nick", r->nick);
        xw_event_str(&e, "role", me ? me->role : NULL);
        xw_event_str(&e, "affiliation", me ? me->affiliation : NULL);
        xw_event_bool(&e, "restored", 1);
        xw_event_end(&e);
        for (size_t k = 0; k < r->n; k++)
            occupant_event(c, r, r->occupants[k].nick, &r->occupants[k], 1, &r->occupants[k] == me);
        if (r->subject) room_event(c, "room-subject", r, "subject", r->subject, NULL, NULL);
    }
}
