/* test_im.c: the instant-messaging layer against a scripted connection
 * manager: roster (RFC 6121 §2), presence (§4), receipts (XEP-0184),
 * markers (XEP-0333), chat states (XEP-0085), carbons (XEP-0280), history
 * (XEP-0313), group chat (XEP-0045), discovery and capabilities (XEP-0030,
 * XEP-0115), blocking (XEP-0191), and what a page keeps across reloads.
 * Every rule against forgery is checked with mallory's forged stanza. */
#include "script.h"
#include "client.h" /* the room list, to check what is kept */
#include "sha1.h"

#define FEATURES_BIND_VER "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/><ver xmlns='urn:xmpp:features:rosterver'/></stream:features>"

/* Online with these answers to the login's roster get and server disco. */
/* The last request of the login, before online_with() answers it. */
static char online_body[2048];

static void online_with(script *s, const char *roster_items, const char *server_features) {
    bind_features = FEATURES_BIND_VER;
    log_in(s);
    CHECK(request_with(s, "<query xmlns='jabber:iq:roster' ver=''/>") >= 0,
          "RFC 6121 §2.6.2: with versioning offered and nothing held, the roster get says ver=''");
    char roster[48], disco[48], buf[4096];
    snprintf(online_body, sizeof online_body, "%s", last_body(s));
    iq_id_with(s, "jabber:iq:roster", roster, sizeof roster);
    iq_id_with(s, "disco#info", disco, sizeof disco);
    snprintf(buf, sizeof buf, "<iq xmlns='jabber:client' type='result' id='%s'><query xmlns='jabber:iq:roster' ver='v1'>%s</query></iq>"
             "<iq xmlns='jabber:client' type='result' id='%s' from='example.com'><query xmlns='http://jabber.org/protocol/disco#info'>"
             "<identity category='server' type='im'/>%s</query></iq>", roster, roster_items, disco, server_features);
    reply(s, buf);
}

/* How many times needle occurs in s. */
static int count_of(const char *s, const char *needle) {
    int n = 0;
    for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle)) n++;
    return n;
}

/* Answers the oldest request with a stanza, and returns the events it gave. */
static const char *events_of(script *s, const char *payload) {
    xw_buf_clear(&s->events);
    reply(s, payload);
    return s->events.data ? s->events.data : "";
}

static void test_roster(void) {
    script s;
    online_with(&s, "<item jid='bob@example.com' name='Bob' subscription='both'><group>Friends</group><group>Work</group></item>"
                    "<item jid='carol@example.com' subscription='none' ask='subscribe'/>", "");
    CHECK(strstr(s.events.data, "{\"type\":\"roster\",\"full\":true,\"version\":\"v1\",\"items\":[{\"jid\":\"bob@example.com\",\"name\":\"Bob\","
                 "\"subscription\":\"both\",\"groups\":[\"Friends\",\"Work\"]},{\"jid\":\"carol@example.com\",\"subscription\":\"none\",\"ask\":true,\"groups\":[]}]}") != NULL,
          "RFC 6121 §2.1.2: the roster as an event, with its version: %s", s.events.data);
    /* A push from our account (no 'from'): answered, applied, an event. */
    const char *ev = events_of(&s, "<iq xmlns='jabber:client' type='set' id='push1'><query xmlns='jabber:iq:roster' ver='v2'>"
                                   "<item jid='dave@example.com' name='Dave' subscription='to'/></query></iq>");
    CHECK(strstr(ev, "{\"type\":\"roster\",\"full\":false,\"version\":\"v2\",\"items\":[{\"jid\":\"dave@example.com\",\"name\":\"Dave\",\"subscription\":\"to\"") != NULL,
          "RFC 6121 §2.1.6: a push changes one item: %s", ev);
    flush_until(&s, "id='push1'");
    CHECK(strstr(last_body(&s), "<iq xmlns='jabber:client' type='result' id='push1'/>") != NULL,
          "RFC 6121 §2.1.6: the push is acknowledged: %s", last_body(&s));
    /* mallory's forged push: refused, nothing changes. */
    ev = events_of(&s, "<iq xmlns='jabber:client' type='set' id='evil' from='mallory@evil.example/x'><query xmlns='jabber:iq:roster'>"
                       "<item jid='mallory@evil.example' subscription='both'/></query></iq>");
    CHECK(strstr(ev, "spoofed-roster-push") && !strstr(ev, "\"type\":\"roster\""),
          "RFC 6121 §2.1.6 (CVE-2015-8688 class): a roster push not from our account is ignored: %s", ev);
    flush_until(&s, "id='evil'");
    CHECK(strstr(last_body(&s), "id='evil'") && strstr(last_body(&s), "<service-unavailable "),
          "RFC 6121 §2.1.6: and answered with an error: %s", last_body(&s));
    /* A removal. */
    ev = events_of(&s, "<iq xmlns='jabber:client' type='set' id='push2'><query xmlns='jabber:iq:roster' ver='v3'>"
                       "<item jid='carol@example.com' subscription='remove'/></query></iq>");
    CHECK(strstr(ev, "{\"jid\":\"carol@example.com\",\"subscription\":\"remove\"}") != NULL, "RFC 6121 §2.5: removal: %s", ev);
    /* The app's changes. */
    int t = xw_client_roster_set(s.c, "erin@example.com", "Erin", "A\nB");
    drain(&s);
    flush_until(&s, "erin@example.com");
    CHECK(t > 0 && strstr(last_body(&s), "<query xmlns='jabber:iq:roster'><item jid='erin@example.com' name='Erin'><group>A</group><group>B</group></item></query>"),
          "RFC 6121 §2.3: a roster set: %s", last_body(&s));
    t = xw_client_roster_remove(s.c, "dave@example.com");
    drain(&s);
    flush_until(&s, "dave@example.com");
    CHECK(t > 0 && strstr(last_body(&s), "<item jid='dave@example.com' subscription='remove'/>"), "RFC 6121 §2.5.2: a removal: %s", last_body(&s));
    CHECK(xw_client_roster_set(s.c, "not a jid@", NULL, NULL) == XW_ERR_JID, "RFC 7622: a bad JID is refused");
    /* The next login asks for the changes since the version held; an empty
     * result means none, and the roster held is handed over whole. */
    lose_session(&s);
    bind_features = FEATURES_BIND_VER;
    next_login(&s);
    negotiate(&s, "web");
    CHECK(request_with(&s, "<query xmlns='jabber:iq:roster' ver='v3'/>") >= 0, "RFC 6121 §2.6.2: the version held is sent");
    char roster[48], buf[256];
    iq_id_with(&s, "jabber:iq:roster", roster, sizeof roster);
    snprintf(buf, sizeof buf, "<iq xmlns='jabber:client' type='result' id='%s'/>", roster);
    ev = events_of(&s, buf);
    CHECK(strstr(ev, "{\"type\":\"roster\",\"full\":true,\"version\":\"v3\",\"items\":[{\"jid\":\"bob@example.com\"") != NULL,
          "RFC 6121 §2.6.3: nothing changed: the roster held, whole: %s", ev);
    done(&s);
}

/* Whether every roster item is in the index at its position, and how many
 * index slots finding them all takes. */
static size_t roster_index_probes(const xw_roster *r, int *consistent) {
    size_t probes = 0;
    *consistent = r->index.n == r->n && r->n <= r->cap && r->cap <= 2 * r->n + 16;
    for (size_t i = 0; i < r->n; i++) {
        xw_buf key = {0};
        *consistent &= !xw_jid_key_str(r->items[i].jid, &key) && xw_jid_index_find(&r->index, key.data) == (long)i;
        probes += xw_jid_index_probes(&r->index, key.data);
        xw_buf_free(&key);
    }
    return probes;
}

/* RFC 6121 §2.1.4: a 10,000-item roster in one result (1.05 MB, from our
 * server: past max_stanza_bytes, which bounds only peers) is taken whole;
 * pushes (§2.1.6) then remove, change and add items. Lookups by JID go
 * through an index (about one slot per lookup, not a scan of the roster
 * per item), and the item array grows by doubling: both were quadratic. */
static void test_roster_10000(void) {
    enum { ITEMS = 10000 };
    script s;
    log_in(&s);
    char roster[48], disco[48];
    iq_id_with(&s, "jabber:iq:roster", roster, sizeof roster);
    iq_id_with(&s, "disco#info", disco, sizeof disco);
    xw_buf doc = {0};
    int rc = xw_buf_printf(&doc, "<body xmlns='http://jabber.org/protocol/httpbind'><iq xmlns='jabber:client' type='result' id='%s' "
                                 "to='alice@example.com/web'><query xmlns='jabber:iq:roster' ver='v10000'>", roster);
    for (int i = 0; !rc && i < ITEMS; i++)
        rc = xw_buf_printf(&doc, "<item jid='contact%d@example.org' name='Contact %d' subscription='both'><group>Group %d</group></item>",
                           i, i, i % 20);
    if (!rc) rc = xw_buf_printf(&doc, "</query></iq><iq xmlns='jabber:client' type='result' id='%s' from='example.com'>"
                                      "<query xmlns='http://jabber.org/protocol/disco#info'/></iq></body>", disco);
    if (rc) abort();
    xw_buf_clear(&s.events);
    xw_client_receive(s.c, take_oldest(&s), 200, doc.data, doc.len, s.now);
    drain(&s);
    xw_buf_free(&doc);
    const char *ev = s.events.data ? s.events.data : "";
    CHECK(strstr(ev, "{\"type\":\"roster\",\"full\":true,\"version\":\"v10000\",\"items\":[{\"jid\":\"contact0@example.org\",\"name\":\"Contact 0\","
                     "\"subscription\":\"both\",\"groups\":[\"Group 0\"]}") && count_of(ev, "\"subscription\":\"both\"") == ITEMS &&
              !strstr(ev, "policy-violation"),
          "RFC 6121 §2.1.4: all 10,000 items in one roster event (%d): %.200s", count_of(ev, "\"subscription\":\"both\""), ev);
    const xw_roster *r = &s.c->roster;
    int consistent = 0;
    size_t probes = roster_index_probes(r, &consistent);
    CHECK(r->n == ITEMS && consistent, "every item is in the index at its position (%zu items, %zu indexed, cap %zu)", r->n,
          r->index.n, r->cap);
    CHECK(probes <= 2 * (size_t)ITEMS, "finding each of the 10,000 items takes about one slot: %zu in all", probes);
    const xw_roster_item *it = xw_roster_find(r, "Contact5000@EXAMPLE.org.");
    CHECK(it && !strcmp(it->jid, "contact5000@example.org"),
          "RFC 7622 §3.2, §3.3: found as xw_jid_equal compares (ASCII case folded, final dot dropped)");
    CHECK(!xw_roster_find(r, "contact5000@example.org/phone") && !xw_roster_find(r, "contact5000@example.com") &&
              !xw_roster_find(r, "not a jid@"),
          "a full JID, another domain or no JID at all is not the item");

    /* Pushes: remove the first (the last fills its place), change the one
     * that moved, add a new one, remove one that is not there. */
    static const char *const pushes[] = {
        "<iq xmlns='jabber:client' type='set' id='r1'><query xmlns='jabber:iq:roster' ver='v10001'><item jid='contact0@example.org' subscription='remove'/></query></iq>",
        "<iq xmlns='jabber:client' type='set' id='r2'><query xmlns='jabber:iq:roster' ver='v10002'><item jid='CONTACT9999@example.org' name='Renamed' subscription='to'/></query></iq>",
        "<iq xmlns='jabber:client' type='set' id='r3'><query xmlns='jabber:iq:roster' ver='v10003'><item jid='newcomer@example.org' subscription='none'/></query></iq>",
        "<iq xmlns='jabber:client' type='set' id='r4'><query xmlns='jabber:iq:roster' ver='v10004'><item jid='nobody@example.org' subscription='remove'/></query></iq>",
    };
    for (size_t i = 0; i < sizeof pushes / sizeof *pushes; i++) {
        while (!s.n) {
            s.now += 1;
            xw_client_tick(s.c, s.now);
            drain(&s);
        }
        reply(&s, pushes[i]);
    }
    CHECK(r->n == ITEMS && !xw_roster_find(r, "contact0@example.org") && !xw_roster_find(r, "nobody@example.org"),
          "RFC 6121 §2.5: removed items are gone (%zu items)", r->n);
    it = xw_roster_find(r, "contact9999@example.org");
    CHECK(it && it == &r->items[0] && !strcmp(it->name, "Renamed") && !strcmp(it->subscription, "to") && !strcmp(it->jid, "CONTACT9999@example.org"),
          "RFC 6121 §2.1.6: the moved item changed in place");
    it = xw_roster_find(r, "newcomer@example.org");
    CHECK(it && !strcmp(it->subscription, "none"), "RFC 6121 §2.1.6: a new item is added");
    CHECK(xw_roster_find(r, "contact1234@example.org") != NULL, "the others stay");
    probes = roster_index_probes(r, &consistent);
    CHECK(consistent && probes <= 2 * (size_t)ITEMS, "the index follows removals and moves (%zu slots for all)", probes);
    CHECK(!strcmp(r->ver, "v10004"), "RFC 6121 §2.6: the version of the last push is held");
    done(&s);
}

/* RFC 6121 §4.7.2: each contact's presence is found by bare JID (as
 * xw_jid_equal compares) through an index, not a scan per presence. */
static void test_presence_many(void) {
    enum { CONTACTS = 3000 };
    script s;
    go_online(&s);
    xw_buf doc = {0};
    int rc = xw_buf_append_str(&doc, "<body xmlns='http://jabber.org/protocol/httpbind'>");
    for (int i = 0; !rc && i < CONTACTS; i++)
        rc = xw_buf_printf(&doc, "<presence xmlns='jabber:client' from='contact%d@example.org/r%d'><priority>%d</priority></presence>", i, i % 3, i % 100);
    /* Another resource of one contact, given with another case. */
    if (!rc) rc = xw_buf_append_str(&doc, "<presence xmlns='jabber:client' from='CONTACT42@Example.ORG/desk'><show>away</show></presence></body>");
    if (rc) abort();
    xw_client_receive(s.c, take_oldest(&s), 200, doc.data, doc.len, s.now);
    drain(&s);
    xw_buf_free(&doc);
    const xw_presence *p = &s.c->presence;
    int consistent = p->n == CONTACTS && p->index.n == CONTACTS && p->cap <= 2 * p->n;
    size_t probes = 0;
    for (size_t i = 0; i < p->n; i++) {
        xw_buf key = {0};
        consistent &= !xw_jid_key_str(p->v[i].bare, &key) && xw_jid_index_find(&p->index, key.data) == (long)i;
        probes += xw_jid_index_probes(&p->index, key.data);
        xw_buf_free(&key);
    }
    CHECK(consistent && probes <= 2 * (size_t)CONTACTS, "%zu contacts, each in the index at its place, %zu slots for all", p->n, probes);
    const char *pj = xw_client_presence_of(s.c, "contact42@example.org");
    CHECK(pj && strstr(pj, "\"resource\":\"r0\"") && strstr(pj, "\"resource\":\"desk\",\"show\":\"away\""),
          "RFC 7622 §3.3: CONTACT42@Example.ORG is contact42@example.org: one contact, two resources: %s", pj ? pj : "");
    done(&s);
}

static void test_presence(void) {
    script s;
    online_with(&s, "<item jid='bob@example.com' subscription='both'/>", "");
    const char *ev = events_of(&s, "<presence xmlns='jabber:client' from='bob@example.com/phone'><show>away</show><priority>5</priority>"
                                   "<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='n' ver='v'/></presence>"
                                   "<presence xmlns='jabber:client' from='bob@example.com/desk'><status>at work</status><priority>5</priority></presence>");
    CHECK(strstr(ev, "\"contact\":{\"best\":{\"resource\":\"desk\",\"status\":\"at work\",\"priority\":5}") != NULL,
          "RFC 6121 §4.7.2: with equal priorities, the more available show is best: %s", ev);
    const char *pj = xw_client_presence_of(s.c, "bob@example.com");
    CHECK(pj && strstr(pj, "\"resource\":\"phone\",\"show\":\"away\",\"priority\":5,\"capsNode\":\"n\",\"capsVer\":\"v\""),
          "XEP-0115: every resource, with its capabilities: %s", pj ? pj : "");
    ev = events_of(&s, "<presence xmlns='jabber:client' from='bob@example.com/desk' type='unavailable'/>");
    CHECK(strstr(ev, "\"contact\":{\"best\":{\"resource\":\"phone\"") != NULL, "RFC 6121 §4.5: unavailable: the other is best: %s", ev);
    ev = events_of(&s, "<presence xmlns='jabber:client' from='bob@example.com/phone' type='unavailable'/>");
    CHECK(strstr(ev, "\"contact\":{\"resources\":[]}") != NULL, "none left: no best: %s", ev);
    ev = events_of(&s, "<presence xmlns='jabber:client' from='bob@example.com/a'><priority>-7</priority></presence>"
                       "<presence xmlns='jabber:client' from='bob@example.com/b'><priority>500</priority></presence>"
                       "<presence xmlns='jabber:client' from='bob@example.com/c'><priority>5x</priority></presence>");
    CHECK(strstr(ev, "\"from\":\"bob@example.com/a\",\"presenceType\":\"available\",\"priority\":-7") &&
              strstr(ev, "\"from\":\"bob@example.com/b\",\"presenceType\":\"available\",\"priority\":0") &&
              strstr(ev, "\"from\":\"bob@example.com/c\",\"presenceType\":\"available\",\"priority\":0"),
          "RFC 6121 §4.7.2.3: priority a number, -128..127; out of range or not a number: 0: %s", ev);
    ev = events_of(&s, "<presence xmlns='jabber:client' from='carol@example.com' type='subscribe'/>");
    CHECK(strstr(ev, "\"presenceType\":\"subscribe\"") != NULL, "RFC 6121 §3.1.3: a subscription request reaches the app: %s", ev);
    CHECK(xw_client_set_presence(s.c, "dnd", "busy", 3) == 0, "set presence");
    drain(&s);
    flush_until(&s, "<show>dnd</show>");
    CHECK(strstr(last_body(&s), "<presence xmlns='jabber:client'><show>dnd</show><status>busy</status><priority>3</priority><c xmlns='http://jabber.org/protocol/caps'") != NULL,
          "RFC 6121 §4.4: our presence changes at once, with caps: %s", last_body(&s));
    CHECK(xw_client_set_presence(s.c, "sleeping", NULL, 0) == XW_ERR_INVALID && xw_client_set_presence(s.c, NULL, NULL, 200) == XW_ERR_INVALID,
          "RFC 6121 §4.7.2: show values and priority range are checked");
    done(&s);
}

/* Receipts, markers, chat states; our messages ask for a receipt. */
static void test_receipts_markers_states(void) {
    script s;
    online_with(&s, "<item jid='bob@example.com' subscription='both'/>", "");
    CHECK(xw_client_send_message(s.c, "bob@example.com", "chat", "hi", NULL, NULL, "m1") == 0, "send");
    drain(&s);
    flush_until(&s, "id='m1'");
    CHECK(strstr(last_body(&s), "<request xmlns='urn:xmpp:receipts'/><markable xmlns='urn:xmpp:chat-markers:0'/>") != NULL,
          "XEP-0184 §5.1, XEP-0333 §4: our chat messages ask for a receipt and are markable: %s", last_body(&s));
    const char *ev = events_of(&s, "<message xmlns='jabber:client' from='bob@example.com/x' id='r1'><received xmlns='urn:xmpp:receipts' id='m1'/></message>"
                                   "<message xmlns='jabber:client' from='bob@example.com/x' type='chat' id='k1'><displayed xmlns='urn:xmpp:chat-markers:0' id='m1'/></message>"
                                   "<message xmlns='jabber:client' from='bob@example.com/x' type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/><no-store xmlns='urn:xmpp:hints'/></message>");
    CHECK(strstr(ev, "{\"type\":\"receipt\",\"from\":\"bob@example.com/x\",\"id\":\"m1\"}") &&
              strstr(ev, "{\"type\":\"marker\",\"from\":\"bob@example.com/x\",\"marker\":\"displayed\",\"id\":\"m1\"}") &&
              strstr(ev, "{\"type\":\"chat-state\",\"from\":\"bob@example.com/x\",\"state\":\"composing\"}") &&
              !strstr(ev, "\"type\":\"message\""),
          "XEP-0184 §4, XEP-0333, XEP-0085 §5: events of their own, and no empty message events: %s", ev);
    ev = events_of(&s, "<message xmlns='jabber:client' from='bob@example.com/x'><received xmlns='urn:xmpp:receipts'/><displayed xmlns='urn:xmpp:chat-markers:0'/>"
                       "<acknowledged xmlns='urn:xmpp:chat-markers:0' id=''/></message>");
    CHECK(!strstr(ev, "\"receipt\"") && !strstr(ev, "\"marker\""), "XEP-0184 §5.4, XEP-0333 §4: without the required id, no event: %s", ev);
    /* A receipt goes back to a contact who sees our presence anyway. */
    ev = events_of(&s, "<message xmlns='jabber:client' from='bob@example.com/x' type='chat' id='b1'><body>ping me</body><request xmlns='urn:xmpp:receipts'/><active xmlns='http://jabber.org/protocol/chatstates'/></message>");
    CHECK(strstr(ev, "\"receiptRequested\":true") && strstr(ev, "\"chatState\":\"active\"") && strstr(ev, "\"type\":\"chat-state\""),
          "the message event says what it carries: %s", ev);
    flush_until(&s, "<received ");
    CHECK(strstr(last_body(&s), "to='bob@example.com/x'") && strstr(last_body(&s), "<received xmlns='urn:xmpp:receipts' id='b1'/>"),
          "XEP-0184 §5.4: a receipt when asked: %s", last_body(&s));
    /* Not to a stranger: it would tell him we are online (XEP-0184 §8). */
    reply(&s, "<message xmlns='jabber:client' from='mallory@evil.example/x' type='chat' id='s1'><body>are you there?</body><request xmlns='urn:xmpp:receipts'/></message>");
    for (int i = 0; i < 3; i++) reply(&s, "");
    for (int i = 0; i < s.n; i++)
        CHECK(!strstr(s.bodies[i], "id='s1'"), "XEP-0184 §8: no receipt to someone without a subscription to our presence");
    CHECK(xw_client_send_chat_state(s.c, "bob@example.com", "paused", NULL) == 0, "chat state");
    CHECK(xw_client_send_marker(s.c, "bob@example.com", "b1", "displayed", NULL) == 0, "marker");
    drain(&s);
    flush_until(&s, "<displayed ");
    CHECK(strstr(last_body(&s), "<paused xmlns='http://jabber.org/protocol/chatstates'/><no-store xmlns='urn:xmpp:hints'/>") &&
              strstr(last_body(&s), "<displayed xmlns='urn:xmpp:chat-markers:0' id='b1'/>"),
          "XEP-0085 §5.5, XEP-0333 §4: what we send: %s", last_body(&s));
    CHECK(xw_client_send_chat_state(s.c, "bob@example.com", "typing", NULL) == XW_ERR_INVALID, "XEP-0085 §4: unknown state refused");
    done(&s);
}

/* The origin-id our message `id` went out with, from the request bodies
 * outstanding or the last one; "" if none. */
static void origin_of(script *s, const char *id, char *out, size_t cap) {
    char needle[64];
    snprintf(needle, sizeof needle, "id='%s'>", id);
    out[0] = '\0';
    for (int i = 0; i < s->n; i++) {
        const char *m = strstr(s->bodies[i], needle);
        const char *o = m ? strstr(m, "<origin-id xmlns='urn:xmpp:sid:0' id='") : NULL;
        if (o) snprintf(out, cap, "%.*s", (int)strcspn(o + 38, "'"), o + 38);
    }
}

/* Answers the requests outstanding and those that follow until none is
 * left to answer; returns whether one of them held needle. */
static int sent_now(script *s, const char *needle) {
    int seen = 0;
    for (int i = 0; i < 8 && s->n; i++) {
        seen |= request_with(s, needle) >= 0;
        reply(s, "");
    }
    return seen;
}

/* Who answers receipts and comes back online gets again what it did not
 * confirm (receipts.h: XEP-0184 §4 and "known to answer"), with its id and
 * origin-id (XEP-0359 §3) and its first sending time (XEP-0203); at most
 * XW_RECEIPT_MAX_RESENDS times. A copy that reaches us is answered and not
 * shown twice. */
static void test_unconfirmed_resent(void) {
    script s;
    online_with(&s, "<item jid='bob@example.com' subscription='both'/><item jid='carol@example.com' subscription='both'/>", "");
    s.now += 700; /* the app sends with no call of ours since: its time is the next request's */
    CHECK(xw_client_send_message(s.c, "bob@example.com", "chat", "one", NULL, NULL, "m1") == 0 &&
              xw_client_send_message(s.c, "bob@example.com", "chat", "two", NULL, NULL, "m2") == 0 &&
              xw_client_send_message(s.c, "bob@example.com/x", "chat", "three", NULL, NULL, "m3") == 0 &&
              xw_client_send_message(s.c, "carol@example.com", "chat", "to carol", NULL, NULL, "c1") == 0,
          "send");
    drain(&s);
    char origin2[64] = "";
    for (int i = 0; i < 8 && !origin2[0]; i++) {
        origin_of(&s, "m2", origin2, sizeof origin2);
        if (!origin2[0]) reply(&s, "");
    }
    CHECK(origin2[0], "XEP-0359 §3: m2 went out with an origin-id");
    sent_now(&s, "id='c1'");
    /* Receipts from bob (m1) only; carol never answers any. mallory's
     * forged receipt for m2 confirms nothing: a receipt counts from the
     * peer the message went to. */
    events_of(&s, "<message xmlns='jabber:client' from='bob@example.com/x' id='r1'><received xmlns='urn:xmpp:receipts' id='m1'/></message>"
                  "<message xmlns='jabber:client' from='mallory@evil.example/x' id='r2'><received xmlns='urn:xmpp:receipts' id='m2'/></message>");
    s.now += 60000;
    events_of(&s, "<presence xmlns='jabber:client' from='bob@example.com/y'/><presence xmlns='jabber:client' from='carol@example.com/z'/>");
    s.now += XW_RECEIPT_GRACE_MS - 1;
    xw_client_tick(s.c, s.now);
    drain(&s);
    CHECK(!sent_now(&s, "id='m2'"), "within the grace period for receipts on their way, nothing is sent again");
    s.now += 2;
    xw_client_tick(s.c, s.now);
    drain(&s);
    char again2[64] = "";
    origin_of(&s, "m2", again2, sizeof again2);
    CHECK(request_with(&s, "id='m2'") >= 0 && request_with(&s, "id='m3'") >= 0 && !strcmp(again2, origin2),
          "receipts.h: what bob did not confirm goes out again with its origin-id (XEP-0359 §3): %s", last_body(&s));
    int m2 = request_with(&s, "id='m2'");
    CHECK(m2 >= 0 && strstr(s.bodies[m2], "<delay xmlns='urn:xmpp:delay' stamp='1970-01-01T00:00:05.700Z' from='alice@example.com'/>"),
          "XEP-0203: the resend carries its first sending time, from us: %s", m2 >= 0 ? s.bodies[m2] : "");
    CHECK(request_with(&s, "id='m1'") < 0, "what bob confirmed is not sent again");
    CHECK(request_with(&s, "id='c1'") < 0, "XEP-0184 §4: nothing sent again to carol, who never answered a receipt");
    CHECK(count_of(last_body(&s), "to='bob@example.com") == count_of(last_body(&s), "<message "),
          "a resend goes to the peer it was first sent to, no one else: %s", last_body(&s));
    sent_now(&s, "id='m3'");
    /* m2 confirmed now by a marker (XEP-0333 §3); m3 never: twice more at
     * most, then forgotten. */
    events_of(&s, "<message xmlns='jabber:client' from='bob@example.com/y' type='chat'><displayed xmlns='urn:xmpp:chat-markers:0' id='m2'/></message>");
    int resent3 = 1, resent2 = 0;
    for (int round = 0; round < 4; round++) {
        s.now += 10000;
        events_of(&s, "<presence xmlns='jabber:client' from='bob@example.com/y'><show>away</show></presence>");
        s.now += XW_RECEIPT_GRACE_MS;
        xw_client_tick(s.c, s.now);
        drain(&s);
        resent2 += request_with(&s, "id='m2'") >= 0;
        resent3 += sent_now(&s, "id='m3'");
    }
    CHECK(resent2 == 0, "a marker confirms the message it names");
    CHECK(resent3 == XW_RECEIPT_MAX_RESENDS, "sent again %d times at most: %d", XW_RECEIPT_MAX_RESENDS, resent3);
    /* After XW_RECEIPT_KEEP_MS nothing is sent again. */
    CHECK(xw_client_send_message(s.c, "bob@example.com", "chat", "four", NULL, NULL, "m4") == 0, "send");
    drain(&s);
    sent_now(&s, "id='m4'");
    s.now += XW_RECEIPT_KEEP_MS;
    events_of(&s, "<presence xmlns='jabber:client' from='bob@example.com/y'/>");
    s.now += XW_RECEIPT_GRACE_MS;
    xw_client_tick(s.c, s.now);
    drain(&s);
    CHECK(!sent_now(&s, "id='m4'"), "a message unconfirmed for XW_RECEIPT_KEEP_MS is no longer sent again");

    /* The receiving side: bob's message, then the same again from his
     * other resource (a resend), then carol's with the same origin-id. */
    const char *first = "<message xmlns='jabber:client' from='bob@example.com/x' type='chat' id='b1'><body>hello</body>"
                        "<origin-id xmlns='urn:xmpp:sid:0' id='o-1'/><request xmlns='urn:xmpp:receipts'/></message>";
    const char *ev = events_of(&s, first);
    CHECK(count_of(ev, "\"body\":\"hello\"") == 1, "delivered once: %s", ev);
    sent_now(&s, "id='b1'");
    ev = events_of(&s, "<message xmlns='jabber:client' from='bob@example.com/y' type='chat' id='b1'><body>hello</body>"
                       "<origin-id xmlns='urn:xmpp:sid:0' id='o-1'/><request xmlns='urn:xmpp:receipts'/>"
                       "<delay xmlns='urn:xmpp:delay' stamp='2026-12-03T13:00:00.000Z' from='bob@example.com'/></message>");
    CHECK(!strstr(ev, "\"body\":\"hello\""), "XEP-0359 §3: the same sender's same origin-id is a copy, not shown again: %s", ev);
    CHECK(request_with(&s, "to='bob@example.com/y' id=") >= 0 && request_with(&s, "<received xmlns='urn:xmpp:receipts' id='b1'/>") >= 0,
          "XEP-0184 §5.4: the copy is answered, so its sender stops sending it: %s", last_body(&s));
    ev = events_of(&s, "<message xmlns='jabber:client' from='carol@example.com/z' type='chat' id='c9'><body>hello</body>"
                       "<origin-id xmlns='urn:xmpp:sid:0' id='o-1'/></message>");
    CHECK(count_of(ev, "\"body\":\"hello\"") == 1, "another sender's message with that origin-id is its own: %s", ev);
    done(&s);
}

/* receipts.h, when full: a message to a peer not known to answer makes
 * room; else the new one is not kept, and the oldest (those a lost server
 * node took) are sent again. */
static void test_unconfirmed_full(void) {
    script s;
    NEXT_OPTIONS("resend_unconfirmed", "3");
    online_with(&s, "<item jid='bob@example.com' subscription='both'/><item jid='carol@example.com' subscription='both'/>", "");
    CHECK(xw_client_send_message(s.c, "bob@example.com", "chat", "zero", NULL, NULL, "m0") == 0, "send");
    drain(&s);
    sent_now(&s, "id='m0'");
    events_of(&s, "<message xmlns='jabber:client' from='bob@example.com/x' id='r0'><received xmlns='urn:xmpp:receipts' id='m0'/></message>");
    const char *ids[] = {"c1", "m1", "m2", "m3", "m4"};
    for (int i = 0; i < 5; i++) {
        CHECK(xw_client_send_message(s.c, i ? "bob@example.com" : "carol@example.com", "chat", "x", NULL, NULL, ids[i]) == 0, "send");
        drain(&s);
        sent_now(&s, ids[i]);
    }
    s.now += 1000;
    events_of(&s, "<presence xmlns='jabber:client' from='bob@example.com/y'/>");
    s.now += XW_RECEIPT_GRACE_MS;
    xw_client_tick(s.c, s.now);
    drain(&s);
    CHECK(request_with(&s, "id='m1'") >= 0 && request_with(&s, "id='m2'") >= 0 && request_with(&s, "id='m3'") >= 0,
          "the three kept (carol's made room for m3) are sent again: %s", last_body(&s));
    CHECK(request_with(&s, "id='m4'") < 0, "past the limit the newest is not kept: %s", last_body(&s));
    done(&s);
}

/* Through a room, occupants share the room's bare JID: one may not hide
 * another's private message by reusing its origin-id, and a private
 * message is never sent again (the nickname may be someone else's by
 * then). */
static void test_unconfirmed_rooms(void) {
    script s;
    online_with(&s, "", "");
    CHECK(xw_client_join(s.c, "room@conf.example.com", "alice", NULL, 0) == 0, "join");
    drain(&s);
    flush_until(&s, "room@conf.example.com/alice");
    events_of(&s, "<presence xmlns='jabber:client' from='room@conf.example.com/alice'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='member' role='participant'/><status code='110'/></x></presence>");
    const char *ev = events_of(&s, "<message xmlns='jabber:client' from='room@conf.example.com/mallory' type='chat' id='p1'><body>first</body><origin-id xmlns='urn:xmpp:sid:0' id='o-7'/></message>"
                                   "<message xmlns='jabber:client' from='room@conf.example.com/bob' type='chat' id='p2'><body>second</body><origin-id xmlns='urn:xmpp:sid:0' id='o-7'/></message>");
    CHECK(strstr(ev, "\"body\":\"first\"") && strstr(ev, "\"body\":\"second\""),
          "XEP-0359 §3 through a room: mallory's origin-id does not hide bob's private message: %s", ev);
    CHECK(xw_client_send_message(s.c, "room@conf.example.com/bob", "chat", "psst", NULL, NULL, "pm1") == 0, "send");
    drain(&s);
    sent_now(&s, "id='pm1'");
    events_of(&s, "<message xmlns='jabber:client' from='room@conf.example.com/bob' id='r9'><received xmlns='urn:xmpp:receipts' id='other'/></message>");
    s.now += 1000;
    events_of(&s, "<presence xmlns='jabber:client' from='room@conf.example.com/bob'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='participant'/></x></presence>");
    s.now += XW_RECEIPT_GRACE_MS + 1;
    xw_client_tick(s.c, s.now);
    drain(&s);
    CHECK(!sent_now(&s, "id='pm1'"), "a private message through a room is not sent again (receipts.h)");
    done(&s);
}

/* Subject and thread go out; what XML would change on the way is escaped. */
static void test_message_fields_sent(void) {
    script s;
    online_with(&s, "", "");
    CHECK(xw_client_send_message(s.c, "bob@example.com", "normal", "line one\r\nline two", "Re: plans", "th-1", "f1") == 0,
          "send with subject and thread");
    drain(&s);
    flush_until(&s, "id='f1'");
    CHECK(strstr(last_body(&s), "<subject>Re: plans</subject><body>line one&#13;\nline two</body><thread>th-1</thread>") != NULL,
          "RFC 6121 §5.2.4, §5.2.5; XML 1.0 §2.11: subject and thread; a CR survives as a reference: %s", last_body(&s));
    CHECK(xw_client_send_message(s.c, "room@conf.example.com", "groupchat", NULL, "New topic", NULL, "f2") == 0,
          "XEP-0045 §8.1: a subject alone (a room's new subject)");
    CHECK(xw_client_send_message(s.c, "bob@example.com", "chat", NULL, NULL, "th-1", NULL) == XW_ERR_INVALID,
          "a message with neither body nor subject is refused");
    CHECK(xw_client_send_message(s.c, "bob@example.com", "chat", "x", NULL, "", NULL) == XW_ERR_INVALID,
          "RFC 6121 §5.2.5: a blank thread is refused");
    CHECK(xw_client_roster_set(s.c, "bob@example.com", "Bob\tthe\nbuilder", NULL) > 0, "a name with a tab and a line break");
    drain(&s);
    flush_until(&s, "jabber:iq:roster");
    CHECK(strstr(last_body(&s), "name='Bob&#9;the&#10;builder'") != NULL,
          "XML 1.0 §3.3.3: tab and line break in an attribute survive as references: %s", last_body(&s));
    done(&s);
}

static void test_carbons(void) {
    script s;
    online_with(&s, "", "<feature var='urn:xmpp:carbons:2'/>");
    flush_until(&s, "urn:xmpp:carbons:2");
    CHECK(strstr(last_body(&s), "<enable xmlns='urn:xmpp:carbons:2'/>") != NULL, "XEP-0280 §4: enabled where offered: %s", last_body(&s));
    const char *ev = events_of(&s, "<message xmlns='jabber:client' from='alice@example.com' to='alice@example.com/web'><received xmlns='urn:xmpp:carbons:2'>"
                                   "<forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client' from='bob@example.com/x' to='alice@example.com/phone' type='chat' id='c1'><body>to my phone</body></message></forwarded></received></message>"
                                   "<message xmlns='jabber:client' from='alice@example.com' to='alice@example.com/web'><sent xmlns='urn:xmpp:carbons:2'>"
                                   "<forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client' from='alice@example.com/phone' to='bob@example.com' type='chat' id='c2'><body>from my phone</body></message></forwarded></sent></message>");
    CHECK(strstr(ev, "\"body\":\"to my phone\"") && strstr(ev, "\"carbon\":\"received\"") && strstr(ev, "\"body\":\"from my phone\"") &&
              strstr(ev, "\"outgoing\":true,\"carbon\":\"sent\"") && count_of(ev, "\"outgoing\"") == 1,
          "XEP-0280 §6: copies from our own account, marked; the sent one is ours (outgoing): %s", ev);
    ev = events_of(&s, "<message xmlns='jabber:client' from='mallory@evil.example/x' to='alice@example.com/web'><sent xmlns='urn:xmpp:carbons:2'>"
                       "<forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client' from='alice@example.com/phone' to='mallory@evil.example' type='chat'><body>I owe you</body></message></forwarded></sent></message>");
    CHECK(strstr(ev, "spoofed-carbon") && !strstr(ev, "I owe you"), "XEP-0280 §11 (CVE-2017-5589 class): a forged carbon is dropped: %s", ev);
    /* A forwarded message without the carbon wrapper is the sender's, never ours. */
    ev = events_of(&s, "<message xmlns='jabber:client' from='mallory@evil.example/x' type='chat'><forwarded xmlns='urn:xmpp:forward:0'>"
                       "<message xmlns='jabber:client' from='alice@example.com/phone' to='mallory@evil.example'><body>I said so</body></message></forwarded></message>");
    CHECK(strstr(ev, "\"from\":\"mallory@evil.example/x\"") && !strstr(ev, "\"carbon\"") && !strstr(ev, "\"body\":\"I said so\"") &&
              !strstr(ev, "\"outgoing\""),
          "a forwarded message is not shown as ours: %s", ev);
    /* Our own bare JID as 'from' on a live message, no carbon wrapper: to
     * us, not from us (XEP-0280 §11: only the wrapper says 'sent'). */
    ev = events_of(&s, "<message xmlns='jabber:client' from='alice@example.com' to='alice@example.com/web' type='chat'><body>I said so too</body></message>");
    CHECK(strstr(ev, "\"body\":\"I said so too\"") && !strstr(ev, "\"outgoing\"") && !strstr(ev, "\"carbon\""),
          "a message from our own bare JID without the carbon wrapper is not shown as ours: %s", ev);
    done(&s);
}

static void test_history(void) {
    script s;
    online_with(&s, "", "");
    int t = xw_client_history(s.c, "bob@example.com", NULL, 2);
    drain(&s);
    flush_until(&s, "urn:xmpp:mam:2");
    CHECK(t > 0 && strstr(last_body(&s), "<field var='with'><value>bob@example.com</value></field>") &&
              strstr(last_body(&s), "<set xmlns='http://jabber.org/protocol/rsm'><max>2</max><before/></set>"),
          "XEP-0313 §4.1.1 + XEP-0059 §2.5: the latest page of the conversation: %s", last_body(&s));
    char qid[48], iqid[48], buf[1024];
    const char *q = strstr(last_body(&s), "queryid='");
    snprintf(qid, sizeof qid, "%.*s", q ? (int)strcspn(q + 9, "'") : 0, q ? q + 9 : "");
    iq_id_with(&s, "urn:xmpp:mam:2", iqid, sizeof iqid);
    static const char *res = "<message xmlns='jabber:client'%s><result xmlns='urn:xmpp:mam:2' queryid='%s' id='%s'><forwarded xmlns='urn:xmpp:forward:0'>"
                             "<delay xmlns='urn:xmpp:delay' stamp='2026-11-24T10:00:00Z'/><message xmlns='jabber:client' from='bob@example.com/x' type='chat'><body>%s</body></message></forwarded></result></message>";
    snprintf(buf, sizeof buf, res, "", qid, "H1", "older");
    const char *ev = events_of(&s, buf);
    CHECK(strstr(ev, "\"body\":\"older\"") && strstr(ev, "\"stanzaId\":\"H1\"") && strstr(ev, "\"archived\":true") &&
              strstr(ev, "\"delay\":\"2026-11-24T10:00:00Z\"") && strstr(ev, "\"history\":"),
          "XEP-0313 §5: a history result, with its query's token: %s", ev);
    CHECK(!strstr(ev, "\"outgoing\""), "bob's message is not ours: %s", ev);
    snprintf(buf, sizeof buf, "<message xmlns='jabber:client'><result xmlns='urn:xmpp:mam:2' queryid='%s' id='H2'><forwarded xmlns='urn:xmpp:forward:0'>"
             "<delay xmlns='urn:xmpp:delay' stamp='2026-11-24T10:01:00Z'/><message xmlns='jabber:client' from='alice@example.com/phone' to='bob@example.com' type='chat'>"
             "<body>mine</body></message></forwarded></result></message>", qid);
    ev = events_of(&s, buf);
    CHECK(strstr(ev, "\"body\":\"mine\"") && strstr(ev, "\"outgoing\":true"),
          "XEP-0313 §5: what we sent, from our own archive, is ours (outgoing): %s", ev);
    snprintf(buf, sizeof buf, res, " from='mallory@evil.example'", qid, "F1", "forged");
    ev = events_of(&s, buf);
    CHECK(strstr(ev, "spoofed-archive-result") && !strstr(ev, "forged"), "XEP-0313 §9.2 (CVE-2019-16237 class): not from our archive: dropped: %s", ev);
    snprintf(buf, sizeof buf, res, "", "unknown-query", "F2", "forged2");
    ev = events_of(&s, buf);
    CHECK(strstr(ev, "spoofed-archive-result") && !strstr(ev, "forged2"), "XEP-0313 §9.2: an unknown queryid: dropped: %s", ev);
    snprintf(buf, sizeof buf, "<iq xmlns='jabber:client' type='result' id='%s'><fin xmlns='urn:xmpp:mam:2' complete='true'>"
             "<set xmlns='http://jabber.org/protocol/rsm'><first>H1</first><last>H2</last></set></fin></iq>", iqid);
    ev = events_of(&s, buf);
    char want[96];
    snprintf(want, sizeof want, "{\"type\":\"history\",\"token\":%d,\"ok\":true,\"complete\":true,\"first\":\"H1\",\"last\":\"H2\",\"count\":2}", t);
    CHECK(strstr(ev, want) != NULL, "XEP-0313 §5.4.3: the end of the page; complete: no older one: %s", ev);
    snprintf(buf, sizeof buf, res, "", qid, "H9", "late");
    ev = events_of(&s, buf);
    CHECK(strstr(ev, "spoofed-archive-result") && !strstr(ev, "late"), "XEP-0313 §9.2: a result after the query ended: dropped: %s", ev);
    t = xw_client_history(s.c, "bob@example.com", "H1", 0);
    drain(&s);
    flush_until(&s, "<before>H1</before>");
    CHECK(t > 0 && strstr(last_body(&s), "<max>50</max><before>H1</before>"), "XEP-0059 §2.5: the page before: %s", last_body(&s));
    done(&s);
}

static void test_muc(void) {
    script s;
    online_with(&s, "", "");
    CHECK(xw_client_join(s.c, "room@conf.example.com", "alice", "sesame", 5) == 0, "join");
    drain(&s);
    flush_until(&s, "room@conf.example.com/alice");
    CHECK(strstr(last_body(&s), "to='room@conf.example.com/alice'") &&
              strstr(last_body(&s), "<x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='5'/><password>sesame</password></x>"),
          "XEP-0045 §7.2.1, §7.2.14, §7.2.5: join with nickname, history and password: %s", last_body(&s));
    const char *ev = events_of(&s, "<presence xmlns='jabber:client' from='room@conf.example.com/bob'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='member' role='participant' jid='bob@example.com/x'/></x></presence>"
                                   "<presence xmlns='jabber:client' from='room@conf.example.com/alice'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='owner' role='moderator'/><status code='110'/><status code='201'/></x></presence>"
                                   "<message xmlns='jabber:client' from='room@conf.example.com/bob' type='groupchat' id='g0'><body>earlier</body><delay xmlns='urn:xmpp:delay' stamp='2026-11-24T10:00:00Z' from='room@conf.example.com'/></message>"
                                   "<message xmlns='jabber:client' from='room@conf.example.com/bob' type='groupchat'><subject>Plans</subject></message>");
    CHECK(strstr(ev, "{\"type\":\"occupant\",\"room\":\"room@conf.example.com\",\"nick\":\"bob\",\"jid\":\"bob@example.com/x\",\"role\":\"participant\",\"affiliation\":\"member\",\"available\":true}") &&
              strstr(ev, "{\"type\":\"room-joined\",\"room\":\"room@conf.example.com\",\"nick\":\"alice\",\"role\":\"moderator\",\"affiliation\":\"owner\"}") &&
              strstr(ev, "\"body\":\"earlier\"") && strstr(ev, "\"room\":\"room@conf.example.com\",\"nick\":\"bob\"") &&
              strstr(ev, "\"delay\":\"2026-11-24T10:00:00Z\"") &&
              strstr(ev, "{\"type\":\"room-subject\",\"room\":\"room@conf.example.com\",\"nick\":\"alice\",\"subject\":\"Plans\",\"by\":\"bob\"}"),
          "XEP-0045 §7.2.2-§7.2.16: occupants, our own presence (110), history, subject: %s", ev);
    flush_until(&s, "muc#owner");
    CHECK(strstr(last_body(&s), "<query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query>") != NULL,
          "XEP-0045 §10.1.2: a room our join made (201) is taken as an instant room: %s", last_body(&s));
    ev = events_of(&s, "<message xmlns='jabber:client' from='room@conf.example.com/alice' type='groupchat' id='g1'><body>my own</body></message>");
    CHECK(strstr(ev, "\"body\":\"my own\"") && strstr(ev, "\"outgoing\":true"), "XEP-0045 §7.4: the room's copy of ours, from our nickname, is ours: %s", ev);
    /* Forgery: groupchat and subjects from outside the room. */
    ev = events_of(&s, "<message xmlns='jabber:client' from='mallory@evil.example/x' type='groupchat'><body>I am the room</body></message>"
                       "<message xmlns='jabber:client' from='mallory@evil.example/x' type='groupchat'><subject>Pwned</subject></message>"
                       "<presence xmlns='jabber:client' from='mallory@evil.example/x'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='owner' role='moderator'/></x></presence>");
    CHECK(strstr(ev, "spoofed-groupchat") && !strstr(ev, "I am the room") && !strstr(ev, "Pwned") && !strstr(ev, "\"type\":\"occupant\""),
          "XEP-0045 §7.4: a groupchat message, subject or occupant from outside a room we are in is ignored: %s", ev);
    ev = events_of(&s, "<presence xmlns='jabber:client' from='room@conf.example.com/bob' type='unavailable'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='member' role='none'/></x></presence>");
    CHECK(strstr(ev, "\"nick\":\"bob\"") && strstr(ev, "\"available\":false"), "XEP-0045 §7.14: an occupant leaves: %s", ev);
    /* Errors on join. */
    CHECK(xw_client_join(s.c, "other@conf.example.com", "alice", NULL, -1) == 0, "join another");
    drain(&s);
    ev = events_of(&s, "<presence xmlns='jabber:client' from='other@conf.example.com/alice' type='error'><error type='cancel'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>");
    CHECK(strstr(ev, "{\"type\":\"room-error\",\"room\":\"other@conf.example.com\",\"nick\":\"alice\",\"condition\":\"conflict\"") != NULL,
          "XEP-0045 §7.2.9: nickname taken: %s", ev);
    CHECK(xw_client_join(s.c, "room@conf.example.com/nick", "alice", NULL, -1) == XW_ERR_JID, "a room is a bare JID");
    ev = events_of(&s, "");
    CHECK(xw_client_join(s.c, "room@conf.example.com", "alice", NULL, -1) == 0 && (drain(&s), strstr(s.events.data, "\"type\":\"room-joined\"")) &&
              xw_client_join(s.c, "room@conf.example.com", "alicia", NULL, -1) == XW_ERR_STATE && s.c->muc.n == 1,
          "joining a room we are in: joined again at once with our nick; another nick is refused and the room kept: %s", s.events.data);
    /* A new login joins again. */
    lose_session(&s);
    next_login(&s);
    negotiate(&s, "web");
    char mam[48], fin[256];
    iq_id_with(&s, "urn:xmpp:mam:2", mam, sizeof mam);
    answer_login_iqs(&s);
    snprintf(fin, sizeof fin, "<iq xmlns='jabber:client' type='result' id='%s'><fin xmlns='urn:xmpp:mam:2' complete='true'/></iq>", mam);
    reply(&s, fin); /* the catch-up is over: presence, then the rooms */
    flush_until(&s, "room@conf.example.com/alice");
    CHECK(request_with(&s, "to='room@conf.example.com/alice'") >= 0 && request_with(&s, "to='other@conf.example.com/alice'") < 0,
          "XEP-0045 §7.2: the room we were in is joined again after a new login (not the one we failed)");
    ev = events_of(&s, "<presence xmlns='jabber:client' from='room@conf.example.com/alice'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='owner' role='moderator'/><status code='110'/></x></presence>");
    CHECK(strstr(ev, "\"type\":\"room-joined\"") != NULL, "and joined: %s", ev);
    CHECK(xw_client_leave(s.c, "room@conf.example.com") == 0, "leave");
    drain(&s);
    flush_until(&s, "type='unavailable'");
    CHECK(strstr(last_body(&s), "type='unavailable' to='room@conf.example.com/alice'") != NULL, "XEP-0045 §7.14: leaving: %s", last_body(&s));
    ev = events_of(&s, "<presence xmlns='jabber:client' from='room@conf.example.com/alice' type='unavailable'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='owner' role='none'/><status code='110'/></x></presence>");
    CHECK(strstr(ev, "{\"type\":\"room-left\",\"room\":\"room@conf.example.com\",\"nick\":\"alice\"}") != NULL, "left: %s", ev);
    done(&s);
}

/* XEP-0115 §5.1 by hand: identity and sorted features, '<'-terminated. */
static void expected_ver(char *out, size_t cap) {
    const char *S = "client/web//xmpp-wasm<http://jabber.org/protocol/caps<http://jabber.org/protocol/chatstates<"
                    "http://jabber.org/protocol/disco#info<http://jabber.org/protocol/muc<urn:xmpp:carbons:2<"
                    "urn:xmpp:chat-markers:0<urn:xmpp:ping<urn:xmpp:receipts<urn:xmpp:sid:0<";
    uint8_t d[XW_SHA1_BYTES];
    xw_sha1(S, strlen(S), d);
    xw_buf b = {0};
    if (xw_base64_encode(&b, d, sizeof d)) abort();
    snprintf(out, cap, "%s", b.data);
    xw_buf_free(&b);
}

static void test_disco(void) {
    script s;
    online_with(&s, "", "");
    char ver[64], buf[512];
    expected_ver(ver, sizeof ver);
    snprintf(buf, sizeof buf, "ver='%s'/>", ver);
    CHECK(strstr(online_body, INITIAL_PRESENCE) && strstr(online_body, buf), "XEP-0115 §5.1: our caps ver is the hash of what we say in disco#info (%s)", ver);
    reply(&s, "<iq xmlns='jabber:client' type='get' id='d1' from='bob@example.com/x'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
    flush_until(&s, "id='d1'");
    CHECK(strstr(last_body(&s), "<identity category='client' type='web' name='xmpp-wasm'/>") &&
              strstr(last_body(&s), "<feature var='urn:xmpp:receipts'/>") && strstr(last_body(&s), "<feature var='http://jabber.org/protocol/disco#info'/>"),
          "XEP-0030 §3.1: our identity and features: %s", last_body(&s));
    snprintf(buf, sizeof buf, "<iq xmlns='jabber:client' type='get' id='d2' from='bob@example.com/x'><query xmlns='http://jabber.org/protocol/disco#info' node='https://xmpp-wasm.dev#%s'/></iq>", ver);
    reply(&s, buf);
    flush_until(&s, "id='d2'");
    CHECK(strstr(last_body(&s), "type='result'") && strstr(last_body(&s), "node='https://xmpp-wasm.dev#"),
          "XEP-0115 §6.2: the caps node#ver is answered: %s", last_body(&s));
    reply(&s, "<iq xmlns='jabber:client' type='get' id='d3' from='bob@example.com/x'><query xmlns='http://jabber.org/protocol/disco#info' node='other'/></iq>");
    flush_until(&s, "id='d3'");
    CHECK(strstr(last_body(&s), "<item-not-found "), "XEP-0030 §3.1: an unknown node: item-not-found: %s", last_body(&s));
    reply(&s, "<iq xmlns='jabber:client' type='get' id='d4' from='bob@example.com/x'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>");
    flush_until(&s, "id='d4'");
    CHECK(strstr(last_body(&s), "<iq xmlns='jabber:client' type='result' to='bob@example.com/x' id='d4'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>"),
          "XEP-0030 §4: no items: %s", last_body(&s));
    int t = xw_client_disco_info(s.c, "bob@example.com/x", NULL);
    drain(&s);
    flush_until(&s, "to='bob@example.com/x'");
    char id[48];
    iq_id_with(&s, "disco#info'/>", id, sizeof id);
    snprintf(buf, sizeof buf, "<iq xmlns='jabber:client' type='result' id='%s' from='bob@example.com/x'><query xmlns='http://jabber.org/protocol/disco#info'>"
             "<identity category='client' type='pc' name='Bob'/><feature var='urn:xmpp:ping'/></query></iq>", id);
    const char *ev = events_of(&s, buf);
    char want[200];
    snprintf(want, sizeof want, "{\"type\":\"disco-info\",\"token\":%d,\"ok\":true,\"from\":\"bob@example.com/x\",\"identities\":[{\"category\":\"client\",\"type\":\"pc\",\"name\":\"Bob\"}],\"features\":[\"urn:xmpp:ping\"]}", t);
    CHECK(strstr(ev, want) != NULL, "XEP-0030 §3.1: someone's identities and features: %s", ev);
    done(&s);
}

static void test_blocking(void) {
    script s;
    online_with(&s, "", "");
    int t = xw_client_block(s.c, "mallory@evil.example\neve@evil.example");
    drain(&s);
    flush_until(&s, "urn:xmpp:blocking");
    CHECK(t > 0 && strstr(last_body(&s), "<block xmlns='urn:xmpp:blocking'><item jid='mallory@evil.example'/><item jid='eve@evil.example'/></block>"),
          "XEP-0191 §3.3: block: %s", last_body(&s));
    CHECK(xw_client_block(s.c, "") == XW_ERR_INVALID, "XEP-0191 §3.3: blocking nobody is refused");
    t = xw_client_blocklist(s.c);
    drain(&s);
    flush_until(&s, "<blocklist ");
    char id[48], buf[512];
    iq_id_with(&s, "<blocklist ", id, sizeof id);
    snprintf(buf, sizeof buf, "<iq xmlns='jabber:client' type='result' id='%s'><blocklist xmlns='urn:xmpp:blocking'><item jid='mallory@evil.example'/></blocklist></iq>", id);
    const char *ev = events_of(&s, buf);
    char want[96];
    snprintf(want, sizeof want, "{\"type\":\"blocklist\",\"token\":%d,\"items\":[\"mallory@evil.example\"]}", t);
    CHECK(strstr(ev, want) != NULL, "XEP-0191 §3.2: the list: %s", ev);
    ev = events_of(&s, "<iq xmlns='jabber:client' type='set' id='bp'><unblock xmlns='urn:xmpp:blocking'/></iq>");
    CHECK(strstr(ev, "{\"type\":\"blocklist\",\"unblocked\":[]}") != NULL, "XEP-0191 §3.5: the server unblocked everyone: %s", ev);
    ev = events_of(&s, "<iq xmlns='jabber:client' type='set' id='bx' from='mallory@evil.example/x'><unblock xmlns='urn:xmpp:blocking'/></iq>");
    CHECK(strstr(ev, "spoofed-blocklist-push") && !strstr(ev, "unblocked"), "XEP-0191 §3.3: a push not from our account is ignored: %s", ev);
    done(&s);
}

/* A reload that carries on the session brings the roster, presence and
 * rooms along, told to the new page's app as events. */
static void test_saved_im_state(void) {
    script s;
    online_with(&s, "<item jid='bob@example.com' name='Bob' subscription='both'/>", "");
    reply(&s, "<presence xmlns='jabber:client' from='bob@example.com/phone'><show>chat</show></presence>");
    CHECK(xw_client_join(s.c, "room@conf.example.com", "alice", "secret-room-pw", -1) == 0, "join");
    drain(&s);
    reply(&s, "<presence xmlns='jabber:client' from='room@conf.example.com/alice'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='member' role='participant'/><status code='110'/></x></presence>");
    /* A request in flight is saved as sent, to be sent again byte for
     * byte (XEP-0124 §14.3): the join's password stays until answered. */
    for (int i = 0; i < 4 && request_with(&s, "secret-room-pw") >= 0; i++) reply(&s, "");
    const char *saved = xw_client_save(s.c);
    char *copy = saved ? xw_strndup(saved, xw_client_save_len(s.c)) : NULL;
    CHECK(copy && !strstr(copy, "secret-room-pw"), "the saved state holds no room password: %s", copy ? copy : "(none)");
    xw_client *c2 = new_alice("alice@example.com");
    script t = {0};
    t.c = c2;
    t.now = s.now + 100;
    CHECK(xw_client_resume(c2, copy, copy ? strlen(copy) : 0, t.now) == 0, "resume");
    drain(&t);
    CHECK(strstr(t.events.data, "{\"type\":\"roster\",\"full\":true,\"version\":\"v1\",\"items\":[{\"jid\":\"bob@example.com\",\"name\":\"Bob\"") &&
              strstr(t.events.data, "\"from\":\"bob@example.com/phone\",\"presenceType\":\"available\",\"show\":\"chat\"") &&
              strstr(t.events.data, "\"restored\":true") &&
              strstr(t.events.data, "{\"type\":\"room-joined\",\"room\":\"room@conf.example.com\",\"nick\":\"alice\",\"role\":\"participant\",\"affiliation\":\"member\",\"restored\":true}"),
          "the next page hears of the roster, the presence and the rooms: %s", t.events.data);
    free(copy);
    done(&t);
    done(&s);
}

int main(void) {
    test_roster();
    test_roster_10000();
    test_presence();
    test_presence_many();
    test_receipts_markers_states();
    test_unconfirmed_resent();
    test_unconfirmed_full();
    test_unconfirmed_rooms();
    test_message_fields_sent();
    test_carbons();
    test_history();
    test_muc();
    test_disco();
    test_blocking();
    test_saved_im_state();
    return check_report("test_im");
}
