/* client.h: the inside of xw_client, shared by the files that make it up.
 * Internal: not part of the public API.
 *
 *   client.c   the public API: options, the account's life across
 *              sessions (reconnection policy, outbox, catch-up anchor,
 *              stream to resume), the event queue
 *   saved.c    what a page saves for the next, and resuming from it
 *   session.c  one login over one BOSH session: negotiation (SASL, bind,
 *              stream management), the dispatch of what arrives, IQs
 *   catchup.c  the archive catch-up that follows a lost session, and
 *              which messages were already delivered (deduplication)
 * and, each registering handlers for what it owns: message.c (messages,
 * receipts, markers, chat states, carbons), presence.c, roster.c, muc.c,
 * history.c, disco.c (with capabilities and carbons), blocking.c
 *
 * An xw_client outlives its BOSH sessions: `s` is one login, begun by
 * xw_session_begin() and ended by xw_session_end(). */
#ifndef XW_CLIENT_H
#define XW_CLIENT_H

#include "bosh.h"
#include "dedup.h"
#include "disco.h"
#include "dispatch.h"
#include "events.h"
#include "history.h"
#include "iq.h"
#include "jid.h"
#include "message.h"
#include "muc.h"
#include "outbox.h"
#include "presence.h"
#include "receipts.h"
#include "roster.h"
#include "sasl.h"
#include "sm.h"
#include "util.h"
#include "xml.h"
#include "xw.h"

typedef enum {
    NEG_IDLE = 0,
    NEG_WAIT_AUTH_FEATURES,
    NEG_AUTHENTICATING, /* <auth/> sent, waiting for a challenge or the outcome */
    NEG_DERIVING,       /* computing SCRAM's key, a step per call */
    NEG_WAIT_BIND_FEATURES,
    NEG_RESUMING,       /* XEP-0198 <resume/> sent instead of binding */
    NEG_BINDING,
    NEG_SESSION,
    NEG_ONLINE,
    NEG_DONE
} neg_state;

/* One login: everything that ends with its BOSH session. */
typedef struct xw_session {
    xw_bosh *bosh;
    neg_state neg;
    xw_sasl *sasl;
    const char *mech_name;   /* the mechanism that authenticated us */
    char *bound_jid;         /* our full JID */
    char *fail_condition, *fail_text; /* why we ended it ourselves */
    int fail_reconnect;      /* ... and whether a new login may cure it */
    int session_required, bind_offered, sm_offered;
    int catch_up;            /* this login catches up before presence */
    int stream_resumed;      /* this login resumed the lost stream */
    int presence_sent;       /* initial presence is out: the outbox may go */
    int roster_versioning;   /* the server offers roster versioning (RFC 6121 §2.6.1) */
    int carbons;             /* message carbons are on (XEP-0280) */
    xw_sm sm;
    xw_iq_table iqs;
    xw_bosh_request req;
    /* The archive query under way (catchup.c). */
    int catching_up;
    char *mam_queryid;
    unsigned long mam_fetched, mam_delivered;
    unsigned mam_page_asked, mam_page_got, mam_page_new;
} xw_session;

typedef enum { LIFE_NEW = 0, LIFE_RUNNING, LIFE_ENDED } life_state;

struct xw_client {
    /* options */
    char *jid_str, *password, *resource;
    xw_jid jid;
    int secure, allow_plain, initial_presence, stream_management, catch_up_enabled, reconnect;
    int receipts, markers, carbons_enabled, roster_enabled;
    xw_bosh_config bosh_cfg;
    xw_xml_limits limits;
    double iq_timeout_ms;
    size_t max_pending_iqs;
    unsigned long catch_up_max;
    unsigned catch_up_page;
    unsigned catch_up_page_cap; /* after a page too big for max_body_bytes; 0: none */
    unsigned long reconnect_delay_ms, reconnect_max_delay_ms, max_reconnect_attempts;
    unsigned long max_scram_iterations;
    double resend_window_ms;

    /* the account across sessions (client.c) */
    life_state life;
    int ever_online, user_closing, resuming_saved;
    unsigned long attempt;     /* reconnection attempts since last online */
    unsigned long refused_bodies; /* sessions in a row ended by a body over max_body_bytes */
    double reconnect_at;       /* when to log in again; -1: not waiting */
    char *archive_jid;         /* our bare JID: the archive's address and stanza-id 'by' */
    char *catch_up_after;      /* archive id of the last message delivered */
    double first_online_ms;    /* wall clock of the first online; -1 before */
    char *lost_resource;       /* the resource of the session lost last */
    char *sm_resume_id;        /* XEP-0198 stream to resume, our h in it, and its JID */
    uint32_t sm_resume_h;
    char *sm_resume_jid;
    long long resumed_h;       /* the server's h after a stream resumption; -1 */
    xw_scram_key scram_key;    /* SaltedPassword kept for logging in again */
    xw_outbox outbox;
    xw_receipts unconfirmed;   /* sent to a peer, no receipt yet (receipts.h) */
    unsigned id_counter;
    char id_prefix[16];
    char *last_id;             /* the id of the last message sent or queued */
    int next_token;
    double now_ms;             /* the time of the call being handled */
    xw_events events;
    xw_dispatch handlers;      /* who handles what arrives */
    xw_buf saved;              /* the last xw_client_save() result */

    /* what was delivered, so copies are not delivered again (catchup.c) */
    xw_keyset archive_ids;      /* stanza-ids by our archive, delivered */
    xw_keyset resent;           /* copies that came by a resend path, in the window */
    xw_keyset fresh;            /* other live messages, in the window */
    xw_keyset origins;          /* sender and origin-id of those delivered */
    double resend_window_until; /* -1: closed */

    /* the instant-messaging state, across sessions */
    xw_roster roster;
    xw_presence presence;
    xw_muc muc;
    xw_history history;        /* the app's open archive queries (this login) */
    xw_buf scratch;            /* the last borrowed JSON handed out */

    xw_session s;
};

/* --- client.c ---------------------------------------------------------- */
/* Shared with saved.c. */
int xw_client_parse_uint(const char *v, unsigned long max, unsigned long *out);
/* Replaces *slot with a copy of v, zeroing the old string first. */
XW_MUST_CHECK int xw_client_replace_str(char **slot, const char *v);
/* The resourcepart of a full JID, copied, or NULL. */
char *xw_client_resource_of(const char *full);
/* XW_OK when `to` is a valid JID (RFC 7622). */
int xw_client_validate_to(const char *to);
/* connect() and resume() begin here: the account is set, the tables made. */
XW_MUST_CHECK int xw_client_start_life(xw_client *c, double now_ms);
/* A new login after a lost session (or a saved one that is gone). */
void xw_client_log_in_again(xw_client *c);
void xw_client_emit_error(xw_client *c, const char *condition, const char *text);
void xw_client_emit_status(xw_client *c, const char *status);
/* A new id for a stanza (random per-client prefix and a counter); freed by the caller. */
char *xw_client_new_id(xw_client *c);
/* Online (and caught up): sends what the outbox holds, in order, as far
 * as the queue limit lets it. */
void xw_client_flush_outbox(xw_client *c);
/* The login is online with `full` as our JID: remember what later
 * sessions need, tell the app. `resumed`: a stream resumption. */
void xw_client_went_online(xw_client *c, int resumed);
/* Takes `full` as our bound JID, and its bare form as our archive's
 * address. XW_ERR_JID when it is not a valid JID. */
XW_MUST_CHECK int xw_client_adopt_jid(xw_client *c, const char *full, size_t len);

/* An available presence from a contact's resource, or a receipt or marker
 * (id) from one: what receipts.h needs to know. */
void xw_client_peer_online(xw_client *c, const char *from);
void xw_client_peer_confirmed(xw_client *c, const char *from, const char *id);

/* --- session.c --------------------------------------------------------- */
/* Starts a login: with `create`, a new BOSH session (its creation request
 * goes out); without, a BOSH object for a saved session to restore. */
XW_MUST_CHECK int xw_session_begin(xw_client *c, double now_ms, int create);
/* Frees what the login held. */
void xw_session_end(xw_client *c);
/* Serializes and queues one element on the BOSH session; counts stanzas
 * for XEP-0198. `secret`: the serialized bytes are wiped after use. */
XW_MUST_CHECK int xw_session_send(xw_client *c, const xw_node *n, int secret);
/* 1 while a session is online (bound), so stanzas can be sent. */
static inline int xw_session_online(const xw_client *c) { return c->s.bosh && c->s.neg == NEG_ONLINE; }
/* Ends the session for a reason of our own, with a terminate. */
void xw_session_fail(xw_client *c, const char *condition, const char *text);
/* Sends initial presence (if the app wants it); the outbox may go then. */
void xw_session_send_presence(xw_client *c);
/* Runs one step of SCRAM's key derivation, if one is under way. */
void xw_session_derive_step(xw_client *c);
/* Sends <iq type to>payload</iq> (payload taken, may be NULL) and tracks
 * it: `done` gets the answer, within timeout_ms (0: iq_timeout_ms; -1:
 * none). With `app`, the request gets a token for the app. Returns the
 * token (0 without app) or a negative error (XW_ERR_LIMIT at
 * max_pending_iqs). */
int xw_session_iq(xw_client *c, const char *type, const char *to, xw_node *payload, double timeout_ms, xw_iq_fn done,
                  int app);
/* Answers an IQ request: a result (condition NULL) or an error of that
 * type and condition (RFC 6120 §8.3). */
void xw_session_reply_iq(xw_client *c, const char *to, const char *id, const char *error_type, const char *condition);
/* Answers an IQ request with a result holding payload (taken; may be NULL). */
void xw_session_reply_result(xw_client *c, const char *to, const char *id, xw_node *payload);
/* The done of the app's IQs: an "iq" event with the token. */
void xw_session_iq_app_done(void *owner, const xw_node *answer, int ok, const char *condition, int token);
/* Registers the session's own handlers (negotiation, IQ answers, ping). */
XW_MUST_CHECK int xw_session_register(xw_client *c);
/* Receives each child of a response <body/> and each skipped one. */
int xw_session_on_stanza(void *ud, xw_node *st, double now_ms);
int xw_session_on_skip(void *ud, const xw_xml_skipped *sk, double now_ms);

/* --- the feature modules' handlers -------------------------------------- */
XW_MUST_CHECK int xw_blocking_register(xw_client *c);

/* --- catchup.c --------------------------------------------------------- */
/* Starts the catch-up: the first archive query. */
void xw_catchup_start(xw_client *c);
/* The archive query's IQ answer. */
void xw_catchup_page_done(xw_client *c, const xw_node *iq, int ok);
/* Ends the catch-up (complete, or why not), then presence goes out. */
void xw_catchup_finish(xw_client *c, const char *condition, int complete);
/* An archive result: to the app's history query or the catch-up it answers. */
void xw_archive_on_result(xw_client *c, const xw_node *st);
/* A live message about to be delivered: 1 when it is a copy of one
 * already delivered (drop it); else 0, with *stanza_id set to its archive
 * id (or NULL), which is remembered as delivered. */
int xw_dedup_take(xw_client *c, const xw_node *msg, const char **stanza_id);
/* Keeps resent copies looked for until `until` (ms; -1 until further notice). */
void xw_dedup_open_window(xw_client *c, double until);

#endif
