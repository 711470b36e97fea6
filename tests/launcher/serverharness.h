/* Running an rtfx-launch child and talking to it, for the tests of the real server (protocol-server,
 * hostile-server).
 *
 * A server runs as a child on a free loopback port, its stderr copied to ours line by line, GLib
 * warnings and criticals in it counted (a page must not be able to cause one). Clients are libsoup
 * websockets whose replies are queued, and checked with the expect_* helpers. Everything runs on
 * one GMainLoop, and every wait is bounded: a wait that runs out fails the test with g_error(). */
#ifndef __SERVER_HARNESS_H__
#define __SERVER_HARNESS_H__

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* The chain every server of these tests runs (hello and /status name it). */
#define HARNESS_CHAIN "rtfxlatest ! rtfxedges"

#define POLL_INTERVAL_MS 25
#define HTTP_TIMEOUT_MS 2000
#define REPLY_TIMEOUT_MS 2000
#define ANSWER_TIMEOUT_MS 5000
#define CLOSE_TIMEOUT_MS 2000
#define DRAIN_TIMEOUT_MS 2000

typedef struct
{
  const gchar *name;
  GSubprocess *proc;
  guint port;
  guint max_sessions;
  gboolean tls;                 /* started with --tls-self-signed */
  gchar *base;                  /* http://127.0.0.1:PORT, or https:// */
  gboolean exited;
  gboolean exited_normally;
  gint exit_status;             /* or the signal that killed it */
  GDataInputStream *log;        /* its stderr, which we copy to ours */
  gboolean log_ended;
  guint warnings;               /* GLib warnings and criticals in its log, not yet checked */
  gboolean lsan_tracer_crashed; /* LeakSanitizer's own thread crashed at exit: no leak verdict */
} Server;

typedef struct
{
  gchar *name;                  /* for messages: which websocket */
  SoupWebsocketConnection *ws;
  GQueue texts;                 /* gchar *, every message but 'ice', in arrival order */
  guint n_ice;
  guint ice_before_answer;
  gboolean got_answer;
  gboolean got_bye;
  guint after_bye;              /* messages that came after a bye */
  gboolean closed;
  gboolean lenient;             /* the test checks raw control characters itself */
} Client;

typedef gboolean (*Predicate) (gconstpointer data);

/* Once, after g_test_init(): takes RTFX_LAUNCH (the launcher binary every server_start() runs) and
 * OFFER_SDP (a browser's offer) from the arguments, else from the environment, or exits with a
 * usage message; returns the offer, with CRLF line ends. */
gchar *harness_init (int argc, char **argv);

/* Runs the main loop until done (data) holds or timeout_ms have passed; returns done (data). */
gboolean wait_for (Predicate done, gconstpointer data, guint timeout_ms);
void pause_ms (guint ms);
gboolean is_true (gconstpointer flag);

/* Runs the calling test again in a child process of its own (-p PATH --GTestSubprocess), so that a
 * failure (g_error aborts) or a hang ends that test only, and takes the child's verdict for the
 * test's: passed, incomplete (exit 77) or failed, and failed when it runs over timeout_ms. TRUE in
 * that child, which then does the test; FALSE in the parent. */
gboolean run_in_child (guint timeout_ms);

/* method path on server: the finished message (status, headers), or NULL with error when no
 * answer came within HTTP_TIMEOUT_MS or the request failed; body, if not NULL, gets the body. */
SoupMessage *http_request (const Server * server, const gchar * method,
    const gchar * path, GBytes ** body, GError ** error);
JsonObject *get_status (const Server * server, GError ** error);
gint64 status_sessions (const Server * server);
void assert_sessions_become (const Server * server, gint64 n,
    guint timeout_ms);

/* Starts the launcher on a free port with --max-sessions, extra_args (NULL-terminated, may be
 * NULL) and HARNESS_CHAIN, and waits until it serves /status. */
void server_start (Server * server, const gchar * name, guint max_sessions,
    const gchar * const *extra_args);
/* SIGTERM: it must exit with status 0 (so no LeakSanitizer report) and have logged no warning. */
void server_stop (Server * server);
void server_assert_running (const Server * server);
guint take_warnings (Server * server);

Client *client_connect (const Server * server, const gchar * name);
/* A websocket handshake sent with header: value, which the server must refuse: its HTTP status. */
guint client_refused_status (const Server * server, const gchar * name,
    const gchar * header, const gchar * value);
void client_send (Client * client, const gchar * text);
/* Closes from our side, as a page does when its tab goes, and frees client. */
void client_close (Client * client);
void client_free (Client * client);

guint raw_control_character (const gchar * text);
JsonObject *parse_server_message (const Client * client, const gchar * text);
gchar *next_text (Client * client, const gchar * type, guint timeout_ms);
JsonObject *expect_message (Client * client, const gchar * type,
    guint timeout_ms);
const gchar *nonempty_member (const Client * client, JsonObject * obj,
    const gchar * name);
void expect_hello (Client * client);
void expect_error (Client * client, const gchar * names);
void expect_answer (Client * client);
void expect_closed (Client * client);
void expect_bye_and_close (Client * client, const gchar * reason_names);
void expect_bye_and_close_within (Client * client, const gchar * reason_names,
    guint timeout_ms);

gchar *offer_json (const gchar * sdp);

G_END_DECLS

#endif /* __SERVER_HARNESS_H__ */
