/* Tests of rtfx-launch's signaling (docs/protocol.md) against the real binary, over websockets.
 *
 *   run-in-netns.sh protocol-server RTFX_LAUNCH OFFER_SDP [--tap]
 *   (or RTFX_LAUNCH and RTFX_OFFER_SDP in the environment; GST_PLUGIN_PATH_1_0 must lead the
 *   launcher to the rtfx plugin)
 *
 * Each server runs as a child on a free loopback port; the tests talk to it with libsoup's
 * websocket client. A "witness" websocket is opened at the start and kept through every other
 * test: after each refused message it must still get its own error replies, and /status must still
 * answer, so one peer's bad message can never hurt another. OFFER_SDP is a real browser offer
 * (Debian's Chromium 156: createOffer() after addTransceiver('video'), so no candidates in it).
 *
 * The tests share the main server and run in the order they are added: run them all, not one
 * with -p. Every wait is bounded. The server's stderr is copied to ours, line by line, and a GLib
 * warning or critical in it fails the test (a page must not be able to cause one). Known launcher
 * bugs are expected failures (TAP "not ok # TODO"), which turn into plain passes once fixed.
 *
 * Run it inside run-in-netns.sh: the launcher listens on 127.0.0.1 only, but webrtcbin gathers ICE
 * candidates on every interface it sees. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#define CHAIN "rtfxlatest ! rtfxedges"
#define MAIN_MAX_SESSIONS 16
#define PORT_MIN 20000
#define PORT_MAX 40000
#define START_ATTEMPTS 5
#define START_TIMEOUT_MS 10000
#define POLL_INTERVAL_MS 25
#define HTTP_TIMEOUT_MS 2000
#define CONNECT_TIMEOUT_MS 2000
#define REPLY_TIMEOUT_MS 2000
#define ANSWER_TIMEOUT_MS 5000
#define CLOSE_TIMEOUT_MS 2000
#define DRAIN_TIMEOUT_MS 2000
#define EXIT_TIMEOUT_MS 2000
#define OVERSIZED_MESSAGE 70000
#define OVER_WEBSOCKET_LIMIT (1024 * 1024 + 1)

#define A_CANDIDATE "candidate:1 1 UDP 2122252543 127.0.0.1 40000 typ host"

/* Syntactically valid SDP around a media section that rtfx-launch must refuse. */
#define SDP_SESSION \
  "v=0\r\n" \
  "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n" \
  "s=-\r\n" \
  "t=0 0\r\n" \
  "a=group:BUNDLE 0\r\n" \
  "a=msid-semantic: WMS\r\n"
#define SDP_TRANSPORT \
  "c=IN IP4 0.0.0.0\r\n" \
  "a=rtcp:9 IN IP4 0.0.0.0\r\n" \
  "a=ice-ufrag:Wq7e\r\n" \
  "a=ice-pwd:kPu7XyNLOhlZbL1T0rJ2vrTW\r\n" \
  "a=ice-options:trickle\r\n" \
  "a=fingerprint:sha-256 85:B3:62:FE:8F:67:52:04:3C:F9:55:C1:37:AF:6A:DA:CF:02:08:2F:D0:" \
  "0C:ED:BC:C4:E3:62:00:0C:DC:AB:AE\r\n" \
  "a=setup:actpass\r\n" \
  "a=mid:0\r\n" \
  "a=sendrecv\r\n" \
  "a=rtcp-mux\r\n"

static const gchar audio_only_sdp[] = SDP_SESSION
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\n" SDP_TRANSPORT
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=fmtp:111 minptime=10;useinbandfec=1\r\n" "a=rtpmap:0 PCMU/8000\r\n";

static const gchar vp9_av1_sdp[] = SDP_SESSION
    "m=video 9 UDP/TLS/RTP/SAVPF 98 45\r\n" SDP_TRANSPORT
    "a=rtpmap:98 VP9/90000\r\n"
    "a=rtcp-fb:98 nack pli\r\n"
    "a=fmtp:98 profile-id=0\r\n"
    "a=rtpmap:45 AV1/90000\r\n" "a=fmtp:45 level-idx=5;profile=0;tier=0\r\n";

typedef struct
{
  const gchar *name;
  GSubprocess *proc;
  guint port;
  guint max_sessions;
  gchar *base;                  /* http://127.0.0.1:PORT */
  gboolean exited;
  gboolean exited_normally;
  gint exit_status;             /* or the signal that killed it */
  GDataInputStream *log;        /* its stderr, which we copy to ours */
  gboolean log_ended;
  guint warnings;               /* GLib warnings and criticals in its log, not yet checked */
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

static struct
{
  const gchar *launcher;
  gchar *offer_sdp;             /* the fixture, CRLF line ends */
  GMainLoop *loop;
  SoupSession *http;
  Server main;
  Client *witness;
  gushort busy_close_code;
} t;

/* --- waiting ----------------------------------------------------------------------------- */

typedef gboolean (*Predicate) (gconstpointer data);

/* Every event this file waits for calls wake(), so wait_for re-checks its predicate. */
static void
wake (void)
{
  g_main_loop_quit (t.loop);
}

static gboolean
on_wait_timeout (gpointer data)
{
  *(gboolean *) data = TRUE;
  wake ();
  return G_SOURCE_REMOVE;
}

/* Runs the main loop until done (data) holds or timeout_ms have passed; returns done (data). */
static gboolean
wait_for (Predicate done, gconstpointer data, guint timeout_ms)
{
  gboolean timed_out = FALSE;
  guint timer = g_timeout_add (timeout_ms, on_wait_timeout, &timed_out);

  while (!done (data) && !timed_out)
    g_main_loop_run (t.loop);
  if (!timed_out)
    g_source_remove (timer);
  return done (data);
}

static gboolean
never (gconstpointer data)
{
  return FALSE;
}

/* A pause that keeps the main loop (and so every websocket) running. */
static void
pause_ms (guint ms)
{
  wait_for (never, NULL, ms);
}

static gboolean
is_true (gconstpointer flag)
{
  return *(const gboolean *) flag;
}

/* --- HTTP -------------------------------------------------------------------------------- */

typedef struct
{
  gboolean done;
  GBytes *body;
  GError *error;
} HttpReply;

static void
on_http_reply (GObject * source, GAsyncResult * result, gpointer data)
{
  HttpReply *reply = data;

  reply->body = soup_session_send_and_read_finish (SOUP_SESSION (source),
      result, &reply->error);
  reply->done = TRUE;
  wake ();
}

/* GET /status: the parsed object, or NULL with error (no answer, not 200, not an object). */
static JsonObject *
get_status (const Server * server, GError ** error)
{
  g_autofree gchar *uri = g_strconcat (server->base, "/status", NULL);
  g_autoptr (SoupMessage) msg = soup_message_new (SOUP_METHOD_GET, uri);
  g_autoptr (GCancellable) cancel = g_cancellable_new ();
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GBytes) body = NULL;
  HttpReply reply = { 0 };
  JsonNode *root;

  soup_session_send_and_read_async (t.http, msg, G_PRIORITY_DEFAULT, cancel,
      on_http_reply, &reply);
  if (!wait_for (is_true, &reply.done, HTTP_TIMEOUT_MS)) {
    /* The reply is on this stack frame: let the cancelled request finish before leaving it. */
    g_cancellable_cancel (cancel);
    if (!wait_for (is_true, &reply.done, HTTP_TIMEOUT_MS))
      g_error ("a cancelled GET %s never finished", uri);
    g_clear_error (&reply.error);
    g_clear_pointer (&reply.body, g_bytes_unref);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
        "GET %s: no answer within %d ms", uri, HTTP_TIMEOUT_MS);
    return NULL;
  }
  if (reply.error != NULL) {
    g_propagate_error (error, reply.error);
    return NULL;
  }
  body = reply.body;
  if (soup_message_get_status (msg) != SOUP_STATUS_OK) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "GET %s: status %u",
        uri, soup_message_get_status (msg));
    return NULL;
  }
  if (!json_parser_load_from_data (parser, g_bytes_get_data (body, NULL),
          g_bytes_get_size (body), error))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "GET %s: not a JSON object", uri);
    return NULL;
  }
  return json_object_ref (json_node_get_object (root));
}

static gint64
status_sessions (const Server * server)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) status = get_status (server, &error);

  if (status == NULL)
    g_error ("%s server: /status does not answer: %s", server->name,
        error->message);
  g_assert_true (json_object_has_member (status, "sessions"));
  return json_object_get_int_member (status, "sessions");
}

/* Polls /status until it counts n sessions; fails the test after timeout_ms. */
static void
assert_sessions_become (const Server * server, gint64 n, guint timeout_ms)
{
  const gint64 end =
      g_get_monotonic_time () + timeout_ms * G_TIME_SPAN_MILLISECOND;
  gint64 sessions;

  while ((sessions = status_sessions (server)) != n) {
    if (g_get_monotonic_time () > end)
      g_error ("%s server: /status counts %" G_GINT64_FORMAT " sessions, not %"
          G_GINT64_FORMAT ", %u ms on", server->name, sessions, n, timeout_ms);
    pause_ms (POLL_INTERVAL_MS);
  }
}

/* --- the server process ------------------------------------------------------------------ */

/* A line of the server's log that is a bug whatever the test: GLib warnings and criticals (a page
 * must not be able to trigger one) and a shutdown that left pipelines running. */
static gboolean
is_warning (const gchar * line)
{
  return strstr (line, "-CRITICAL **") != NULL ||
      strstr (line, "-WARNING **") != NULL ||
      strstr (line, "did not stop in time") != NULL;
}

static void
on_log_line (GObject * source, GAsyncResult * result, gpointer data)
{
  Server *server = data;
  g_autofree gchar *line = g_data_input_stream_read_line_finish
      (G_DATA_INPUT_STREAM (source), result, NULL, NULL);

  if (line == NULL) {
    server->log_ended = TRUE;
    wake ();
    return;
  }
  g_printerr ("[%s server] %s\n", server->name, line);
  if (is_warning (line)) {
    server->warnings++;
    wake ();
  }
  g_data_input_stream_read_line_async (server->log, G_PRIORITY_DEFAULT, NULL,
      on_log_line, server);
}

/* The warnings logged since the last call. */
static guint
take_warnings (Server * server)
{
  guint warnings = server->warnings;

  server->warnings = 0;
  return warnings;
}

static void
die_with_parent (gpointer data)
{
  /* A test that aborts must not leave a server holding its port. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static void
on_server_exited (GObject * source, GAsyncResult * result, gpointer data)
{
  Server *server = data;
  GSubprocess *proc = G_SUBPROCESS (source);

  g_subprocess_wait_finish (proc, result, NULL);
  server->exited = TRUE;
  server->exited_normally = g_subprocess_get_if_exited (proc);
  server->exit_status = server->exited_normally ?
      g_subprocess_get_exit_status (proc) : g_subprocess_get_term_sig (proc);
  wake ();
}

static gboolean
port_is_free (guint port)
{
  g_autoptr (GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4,
      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback
      (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (lo, port);

  return socket != NULL && g_socket_bind (socket, address, FALSE, NULL);
}

/* Waits until the server answers /status as itself, or exits; TRUE when it answers. */
static gboolean
wait_until_serving (Server * server)
{
  const gint64 end = g_get_monotonic_time () +
      START_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;

  while (!server->exited && g_get_monotonic_time () < end) {
    g_autoptr (JsonObject) status = get_status (server, NULL);

    /* Another program that took the port between our check and the launch is not ours. */
    if (status != NULL && json_object_get_int_member_with_default (status,
            "max_sessions", -1) == server->max_sessions)
      return TRUE;
    pause_ms (POLL_INTERVAL_MS);
  }
  if (!server->exited)
    g_error ("%s server: /status did not answer within %d ms", server->name,
        START_TIMEOUT_MS);
  return FALSE;
}

/* After it exited: reads the rest of its log, so nothing is pending on server. */
static void
server_forget (Server * server)
{
  if (!wait_for (is_true, &server->log_ended, EXIT_TIMEOUT_MS))
    g_error ("%s server: its stderr is still open after it exited",
        server->name);
  g_clear_object (&server->log);
  g_clear_object (&server->proc);
}

static void
server_start (Server * server, const gchar * name, guint max_sessions)
{
  server->name = name;
  server->max_sessions = max_sessions;
  for (guint attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    g_autoptr (GSubprocessLauncher) launcher =
        g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_PIPE);
    g_autofree gchar *port = NULL;
    g_autofree gchar *max = g_strdup_printf ("%u", max_sessions);
    g_autoptr (GError) error = NULL;
    gint64 started;

    server->port = g_random_int_range (PORT_MIN, PORT_MAX + 1);
    if (!port_is_free (server->port))
      continue;
    port = g_strdup_printf ("%u", server->port);
    /* Its stdout would mix with this test's TAP output. */
    g_subprocess_launcher_take_stdout_fd (launcher, dup (STDERR_FILENO));
    g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL,
        NULL);
    server->exited = FALSE;
    server->proc = g_subprocess_launcher_spawn (launcher, &error, t.launcher,
        "--port", port, "--max-sessions", max, CHAIN, NULL);
    if (server->proc == NULL)
      g_error ("cannot start %s: %s", t.launcher, error->message);
    g_subprocess_wait_async (server->proc, NULL, on_server_exited, server);
    server->log_ended = FALSE;
    server->warnings = 0;
    server->log = g_data_input_stream_new (g_subprocess_get_stderr_pipe
        (server->proc));
    g_data_input_stream_read_line_async (server->log, G_PRIORITY_DEFAULT, NULL,
        on_log_line, server);
    g_free (server->base);
    server->base = g_strdup_printf ("http://127.0.0.1:%u", server->port);

    started = g_get_monotonic_time ();
    if (wait_until_serving (server)) {
      g_test_message ("%s server: port %u, serving after %" G_GINT64_FORMAT
          " ms", name, server->port,
          (g_get_monotonic_time () - started) / 1000);
      return;
    }
    g_test_message
        ("%s server on port %u exited with %s %d; trying another port", name,
        server->port, server->exited_normally ? "status" : "signal",
        server->exit_status);
    server_forget (server);
  }
  g_error
      ("%s server: %s did not start in %d attempts (its messages are above)",
      name, t.launcher, START_ATTEMPTS);
}

/* SIGTERM: the server must end its sessions and exit with status 0 within EXIT_TIMEOUT_MS. */
static void
server_stop (Server * server)
{
  const gint64 start = g_get_monotonic_time ();

  g_subprocess_send_signal (server->proc, SIGTERM);
  if (!wait_for (is_true, &server->exited, EXIT_TIMEOUT_MS))
    g_error ("%s server: still running %d ms after SIGTERM", server->name,
        EXIT_TIMEOUT_MS);
  g_test_message ("%s server: exited %" G_GINT64_FORMAT " ms after SIGTERM",
      server->name, (g_get_monotonic_time () - start) / 1000);
  if (!server->exited_normally)
    g_error ("%s server: killed by signal %d after SIGTERM", server->name,
        server->exit_status);
  server_forget (server);
  if (server->exit_status != 0)
    g_error ("%s server: exit status %d after SIGTERM (its log above says why)",
        server->name, server->exit_status);
  if (server->warnings > 0)
    g_error ("%s server: %u warnings in its log (above)", server->name,
        server->warnings);
}

/* --- websocket clients ------------------------------------------------------------------- */

/* The first byte that JSON forbids raw in a string (U+0000..U+001F), or 0. json-glib's parser takes
 * them, a browser's JSON.parse does not. */
static guint
raw_control_character (const gchar * text)
{
  for (const guchar * p = (const guchar *)text; *p != '\0'; p++)
    if (*p < 0x20)
      return *p;
  return 0;
}

/* Parses what the server sent; anything but one JSON object with a string 'type' fails the test. */
static JsonObject *
parse_server_message (const Client * client, const gchar * text)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  JsonNode *root, *type;

  if (!json_parser_load_from_data (parser, text, -1, &error))
    g_error ("%s: the server sent %s, which is not JSON: %s", client->name,
        text, error->message);
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    g_error ("%s: the server sent %s, not a JSON object", client->name, text);
  type = json_object_get_member (json_node_get_object (root), "type");
  if (type == NULL || json_node_get_value_type (type) != G_TYPE_STRING)
    g_error ("%s: the server sent %s, without a string 'type'", client->name,
        text);
  return json_object_ref (json_node_get_object (root));
}

static void
on_message (SoupWebsocketConnection * ws, gint type, GBytes * message,
    gpointer data)
{
  Client *client = data;
  gsize size;
  const gchar *bytes = g_bytes_get_data (message, &size);
  g_autofree gchar *text = g_strndup (bytes, size);
  g_autoptr (JsonObject) obj = NULL;
  const gchar *kind;

  if (type != SOUP_WEBSOCKET_DATA_TEXT)
    g_error ("%s: the server sent a binary frame", client->name);
  if (strlen (text) != size || !g_utf8_validate (text, -1, NULL))
    g_error ("%s: the server sent a frame that is not UTF-8 text",
        client->name);
  if (!client->lenient && raw_control_character (text) != 0)
    g_error ("%s: the server sent %s, which is not JSON: it holds the raw "
        "control character 0x%02x", client->name, text,
        raw_control_character (text));
  obj = parse_server_message (client, text);
  kind = json_object_get_string_member (obj, "type");
  if (client->got_bye)
    client->after_bye++;
  if (g_str_equal (kind, "ice")) {
    /* Trickled candidates may come at any time after the answer: counted, checked, not queued. */
    JsonNode *index = json_object_get_member (obj, "sdpMLineIndex");

    if (index == NULL || json_node_get_value_type (index) != G_TYPE_INT64 ||
        json_node_get_int (index) < 0 ||
        json_object_get_string_member_with_default (obj, "candidate",
            NULL) == NULL)
      g_error ("%s: malformed 'ice' from the server: %s", client->name, text);
    if (!client->got_answer)
      client->ice_before_answer++;
    client->n_ice++;
  } else {
    if (g_str_equal (kind, "answer"))
      client->got_answer = TRUE;
    else if (g_str_equal (kind, "bye"))
      client->got_bye = TRUE;
    g_queue_push_tail (&client->texts, g_steal_pointer (&text));
  }
  wake ();
}

static void
on_closed (SoupWebsocketConnection * ws, gpointer data)
{
  Client *client = data;

  client->closed = TRUE;
  wake ();
}

typedef struct
{
  gboolean done;
  SoupWebsocketConnection *ws;
  GError *error;
} Connecting;

static void
on_connected (GObject * source, GAsyncResult * result, gpointer data)
{
  Connecting *connecting = data;

  connecting->ws = soup_session_websocket_connect_finish (SOUP_SESSION
      (source), result, &connecting->error);
  connecting->done = TRUE;
  wake ();
}

static Client *
client_connect (const Server * server, const gchar * name)
{
  g_autofree gchar *uri = g_strdup_printf ("ws://127.0.0.1:%u/ws",
      server->port);
  g_autoptr (SoupMessage) msg = soup_message_new (SOUP_METHOD_GET, uri);
  g_autoptr (GCancellable) cancel = g_cancellable_new ();
  Connecting connecting = { 0 };
  Client *client;

  soup_session_websocket_connect_async (t.http, msg, NULL, NULL,
      G_PRIORITY_DEFAULT, cancel, on_connected, &connecting);
  if (!wait_for (is_true, &connecting.done, CONNECT_TIMEOUT_MS)) {
    g_cancellable_cancel (cancel);
    wait_for (is_true, &connecting.done, CONNECT_TIMEOUT_MS);
    g_error ("%s: no websocket to %s within %d ms", name, uri,
        CONNECT_TIMEOUT_MS);
  }
  if (connecting.ws == NULL)
    g_error ("%s: cannot open a websocket to %s: %s", name, uri,
        connecting.error->message);

  client = g_new0 (Client, 1);
  client->name = g_strdup (name);
  client->ws = connecting.ws;
  g_queue_init (&client->texts);
  /* libsoup hands the connection over in the dispatch that finished the handshake, before it first
   * reads from it: connected here, no message is missed. */
  g_signal_connect (client->ws, "message", G_CALLBACK (on_message), client);
  g_signal_connect (client->ws, "closed", G_CALLBACK (on_closed), client);
  return client;
}

static void
client_send (Client * client, const gchar * text)
{
  g_assert_cmpint (soup_websocket_connection_get_state (client->ws), ==,
      SOUP_WEBSOCKET_STATE_OPEN);
  soup_websocket_connection_send_text (client->ws, text);
}

static gboolean
has_message (gconstpointer data)
{
  const Client *client = data;

  return client->texts.length > 0 || client->closed;
}

/* The text of the next message but 'ice', which must be of type. */
static gchar *
next_text (Client * client, const gchar * type, guint timeout_ms)
{
  gchar *text;

  if (!wait_for (has_message, client, timeout_ms))
    g_error ("%s: no '%s' within %u ms", client->name, type, timeout_ms);
  text = g_queue_pop_head (&client->texts);
  if (text == NULL)
    g_error ("%s: the websocket closed (code %u) instead of sending '%s'",
        client->name, soup_websocket_connection_get_close_code (client->ws),
        type);
  return text;
}

/* The next message but 'ice', which must be of type; returned for more checks. */
static JsonObject *
expect_message (Client * client, const gchar * type, guint timeout_ms)
{
  g_autofree gchar *text = next_text (client, type, timeout_ms);
  JsonObject *obj = parse_server_message (client, text);

  if (!g_str_equal (json_object_get_string_member (obj, "type"), type))
    g_error ("%s: expected '%s', got %s", client->name, type, text);
  return obj;
}

/* A string member that is there and not empty. */
static const gchar *
nonempty_member (const Client * client, JsonObject * obj, const gchar * name)
{
  JsonNode *node = json_object_get_member (obj, name);
  const gchar *value;

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING)
    g_error ("%s: '%s' without a string '%s'", client->name,
        json_object_get_string_member (obj, "type"), name);
  value = json_node_get_string (node);
  if (value[0] == '\0')
    g_error ("%s: '%s' with an empty '%s'", client->name,
        json_object_get_string_member (obj, "type"), name);
  return value;
}

static void
expect_hello (Client * client)
{
  g_autoptr (JsonObject) hello = expect_message (client, "hello",
      REPLY_TIMEOUT_MS);

  g_autoptr (JsonObject) controls = NULL;

  g_assert_cmpstr (nonempty_member (client, hello, "version"), ==, VERSION);
  g_assert_cmpstr (nonempty_member (client, hello, "chain"), ==, CHAIN);
  g_assert_cmpuint (json_object_get_size (hello), ==, 4);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (json_object_get_member (hello,
              "ice_servers")));
  /* Then the chain's controls (their content is tested in controls-unit). */
  controls = expect_message (client, "controls", REPLY_TIMEOUT_MS);
  g_assert_cmpstr (nonempty_member (client, controls, "chain"), ==, CHAIN);
}

/* An error reply whose message names what was wrong, on a websocket that stays open. */
static void
expect_error (Client * client, const gchar * names)
{
  g_autoptr (JsonObject) error = expect_message (client, "error",
      REPLY_TIMEOUT_MS);
  const gchar *message = nonempty_member (client, error, "message");

  if (names != NULL && strstr (message, names) == NULL)
    g_error ("%s: the error \"%s\" does not name %s", client->name, message,
        names);
  g_assert_false (client->closed);
  g_assert_cmpint (soup_websocket_connection_get_state (client->ws), ==,
      SOUP_WEBSOCKET_STATE_OPEN);
}

static void
expect_closed (Client * client)
{
  if (!wait_for (is_true, &client->closed, CLOSE_TIMEOUT_MS))
    g_error ("%s: the server did not close the websocket within %d ms",
        client->name, CLOSE_TIMEOUT_MS);
  g_assert_cmpuint (g_queue_get_length (&client->texts), ==, 0);
  g_assert_cmpuint (client->after_bye, ==, 0);
}

/* A bye from the server, the last message before it closes the websocket. */
static void
expect_bye_and_close (Client * client, const gchar * reason_names)
{
  g_autoptr (JsonObject) bye = expect_message (client, "bye", REPLY_TIMEOUT_MS);
  const gchar *reason = nonempty_member (client, bye, "reason");

  if (reason_names != NULL && strstr (reason, reason_names) == NULL)
    g_error ("%s: the bye's reason \"%s\" does not name %s", client->name,
        reason, reason_names);
  expect_closed (client);
}

static void
client_free (Client * client)
{
  g_signal_handlers_disconnect_by_data (client->ws, client);
  g_object_unref (client->ws);
  g_queue_clear_full (&client->texts, g_free);
  g_free (client->name);
  g_free (client);
}

/* Closes from our side, as a page does when its tab goes. */
static void
client_close (Client * client)
{
  if (!client->closed) {
    /* Unless the server has begun closing already. */
    if (soup_websocket_connection_get_state (client->ws) ==
        SOUP_WEBSOCKET_STATE_OPEN)
      soup_websocket_connection_close (client->ws, SOUP_WEBSOCKET_CLOSE_NORMAL,
          NULL);
    if (!wait_for (is_true, &client->closed, CLOSE_TIMEOUT_MS))
      g_error ("%s: the close handshake did not finish within %d ms",
          client->name, CLOSE_TIMEOUT_MS);
  }
  client_free (client);
}

/* --- messages to send -------------------------------------------------------------------- */

static gchar *
offer_json (const gchar * sdp)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "offer");
  json_builder_set_member_name (builder, "sdp");
  json_builder_add_string_value (builder, sdp);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}

/* The real offer with an extra attribute line, so the message is exactly size bytes: were the size
 * not checked, the server would take it as a good offer. */
static gchar *
padded_offer_json (gsize size)
{
  g_autofree gchar *plain = offer_json (t.offer_sdp);
  /* "a=x-rtfx-padding:" plus CRLF, which JSON writes as \r\n: 4 bytes. */
  const gsize overhead = strlen ("a=x-rtfx-padding:") + 4;
  g_autofree gchar *padding = NULL;
  g_autofree gchar *sdp = NULL;
  gchar *json;

  g_assert_cmpuint (size, >, strlen (plain) + overhead);
  padding = g_strnfill (size - strlen (plain) - overhead, 'x');
  sdp = g_strconcat (t.offer_sdp, "a=x-rtfx-padding:", padding, "\r\n", NULL);
  json = offer_json (sdp);
  g_assert_cmpuint (strlen (json), ==, size);
  return json;
}

/* The fixture with CRLF line ends, whatever a checkout did to them. */
static gchar *
load_offer_sdp (const gchar * path)
{
  g_autofree gchar *contents = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) lines = NULL;
  GString *sdp = g_string_new (NULL);

  if (!g_file_get_contents (path, &contents, NULL, &error))
    g_error ("cannot read the offer fixture: %s", error->message);
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++) {
    g_strchomp (lines[i]);
    if (lines[i][0] != '\0')
      g_string_append_printf (sdp, "%s\r\n", lines[i]);
  }
  g_assert_true (g_str_has_prefix (sdp->str, "v=0\r\n"));
  g_assert_nonnull (strstr (sdp->str, "VP8/90000"));
  return g_string_free (sdp, FALSE);
}

/* --- the tests --------------------------------------------------------------------------- */

/* The witness, open from the start to the end, must keep working whatever others send, and /status
 * must answer. Returns the warnings the main server logged meanwhile: the round trips give its log
 * time to arrive. */
static guint
witness_round_trip (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) status = NULL;

  client_send (t.witness, "{\"type\":\"witness-check\"}");
  expect_error (t.witness, "witness-check");
  status = get_status (&t.main, &error);
  g_assert_no_error (error);
  g_assert_true (json_object_has_member (status, "sessions"));
  return take_warnings (&t.main);
}

static void
check_witness (void)
{
  guint warnings = witness_round_trip ();

  if (warnings > 0)
    g_error ("main server: %u warnings in its log (above)", warnings);
}

static void
test_start (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) status = NULL;

  server_start (&t.main, "main", MAIN_MAX_SESSIONS);
  status = get_status (&t.main, &error);
  g_assert_no_error (error);
  g_assert_cmpint (json_object_get_int_member (status, "sessions"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (status, "max_sessions"), ==,
      MAIN_MAX_SESSIONS);
  g_assert_cmpstr (json_object_get_string_member (status, "version"), ==,
      VERSION);
  g_assert_cmpstr (json_object_get_string_member (status, "chain"), ==, CHAIN);

  t.witness = client_connect (&t.main, "witness");
  expect_hello (t.witness);
  assert_sessions_become (&t.main, 1, DRAIN_TIMEOUT_MS);
}

static void
test_hello (void)
{
  Client *client = client_connect (&t.main, "hello");

  /* hello comes unasked, first. */
  expect_hello (client);
  assert_sessions_become (&t.main, 2, DRAIN_TIMEOUT_MS);
  client_close (client);
  assert_sessions_become (&t.main, 1, DRAIN_TIMEOUT_MS);
  check_witness ();
}

typedef struct
{
  const gchar *name;
  const gchar *text;            /* or, when NULL, make () */
  gchar *(*make) (void);
  gboolean binary;
  const gchar *names;           /* the error must contain this */
} BadCase;

static gchar *
make_audio_only (void)
{
  return offer_json (audio_only_sdp);
}

static gchar *
make_no_vp8_no_h264 (void)
{
  return offer_json (vp9_av1_sdp);
}

static gchar *
make_oversized (void)
{
  return padded_offer_json (OVERSIZED_MESSAGE);
}

static const BadCase bad_cases[] = {
  {"binary-frame", "{\"type\":\"bye\"}", NULL, TRUE, "binary"},
  {"not-json", "{\"type\": \"offer\", \"sdp\": ", NULL, FALSE, "JSON"},
  {"not-object-array", "[{\"type\":\"bye\"}]", NULL, FALSE, "object"},
  {"not-object-string", "\"bye\"", NULL, FALSE, "object"},
  {"not-object-number", "7", NULL, FALSE, "object"},
  {"no-type", "{\"sdp\":\"v=0\"}", NULL, FALSE, "type"},
  {"type-not-string", "{\"type\":[\"bye\"]}", NULL, FALSE, "type"},
  {"unknown-type", "{\"type\":\"frobnicate\"}", NULL, FALSE, "frobnicate"},
  {"offer-sdp-missing", "{\"type\":\"offer\"}", NULL, FALSE, "sdp"},
  {"offer-sdp-not-string", "{\"type\":\"offer\",\"sdp\":{\"sdp\":\"v=0\"}}",
      NULL, FALSE, "sdp"},
  {"ice-candidate-not-string", "{\"type\":\"ice\",\"candidate\":5,"
        "\"sdpMLineIndex\":0}", NULL, FALSE, "candidate"},
  {"ice-index-string", "{\"type\":\"ice\",\"candidate\":\"" A_CANDIDATE "\","
        "\"sdpMLineIndex\":\"0\"}", NULL, FALSE, "sdpMLineIndex"},
  {"ice-index-negative", "{\"type\":\"ice\",\"candidate\":\"" A_CANDIDATE "\","
        "\"sdpMLineIndex\":-1}", NULL, FALSE, "sdpMLineIndex"},
  {"ice-index-float", "{\"type\":\"ice\",\"candidate\":\"" A_CANDIDATE "\","
        "\"sdpMLineIndex\":0.5}", NULL, FALSE, "sdpMLineIndex"},
  {"ice-before-offer", "{\"type\":\"ice\",\"candidate\":\"" A_CANDIDATE "\","
        "\"sdpMLineIndex\":0}", NULL, FALSE, "offer"},
  {"ice-end-before-offer", "{\"type\":\"ice\",\"candidate\":\"\","
        "\"sdpMLineIndex\":0}", NULL, FALSE, "offer"},
  {"offer-garbage-sdp", "{\"type\":\"offer\",\"sdp\":\"this is not SDP\"}",
      NULL, FALSE, "SDP"},
  {"offer-empty-sdp", "{\"type\":\"offer\",\"sdp\":\"\"}", NULL, FALSE, "SDP"},
  {"offer-audio-only", NULL, make_audio_only, FALSE, "video"},
  {"offer-no-vp8-no-h264", NULL, make_no_vp8_no_h264, FALSE, "VP8"},
  {"oversized-70000", NULL, make_oversized, FALSE, "too large"},
};

static void
send_bad (Client * client, const BadCase * bad)
{
  g_autofree gchar *made = bad->text == NULL ? bad->make () : NULL;
  const gchar *text = made != NULL ? made : bad->text;

  if (bad->binary)
    soup_websocket_connection_send_binary (client->ws, text, strlen (text));
  else
    client_send (client, text);
}

/* Each refused twice on the same websocket: an error each time, the session going on. */
static void
test_refused (gconstpointer data)
{
  const BadCase *bad = data;
  Client *client = client_connect (&t.main, bad->name);

  expect_hello (client);
  send_bad (client, bad);
  expect_error (client, bad->names);
  send_bad (client, bad);
  expect_error (client, bad->names);
  /* And a message of another kind is still read. */
  client_send (client, "{\"type\":\"frobnicate\"}");
  expect_error (client, "frobnicate");
  g_assert_cmpuint (client->n_ice, ==, 0);
  if (witness_round_trip () > 0)
    g_error ("main server: warnings in its log (above)");
  assert_sessions_become (&t.main, 2, DRAIN_TIMEOUT_MS);
  client_close (client);
  assert_sessions_become (&t.main, 1, DRAIN_TIMEOUT_MS);
}

/* An error quotes the page's unknown 'type', so the page decides what characters the server writes.
 * Every reply must stay JSON a browser parses: no raw control characters. */
static void
test_error_quoting_control_characters (void)
{
  Client *client = client_connect (&t.main, "control-characters");
  GString *raw = g_string_new (NULL);

  expect_hello (client);
  client->lenient = TRUE;
  for (guint c = 1; c < 0x20; c++) {
    g_autofree gchar *message = g_strdup_printf ("{\"type\":\"<\\u%04x>\"}", c);
    g_autofree gchar *expected = g_strdup_printf ("<%c>", c);
    g_autofree gchar *text = NULL;
    g_autoptr (JsonObject) error = NULL;

    client_send (client, message);
    text = next_text (client, "error", REPLY_TIMEOUT_MS);
    if (raw_control_character (text) != 0)
      g_string_append_printf (raw, " 0x%02x", c);
    error = parse_server_message (client, text);
    g_assert_cmpstr (json_object_get_string_member (error, "type"), ==,
        "error");
    g_assert_nonnull (strstr (json_object_get_string_member (error, "message"),
            expected));
  }
  client->lenient = FALSE;
  client_close (client);
  if (raw->len > 0)
    g_error ("control characters went out raw:%s", raw->str);
  g_string_free (raw, TRUE);
  assert_sessions_become (&t.main, 1, DRAIN_TIMEOUT_MS);
  check_witness ();
}

/* The answer to the fixture: sendrecv VP8, before any candidate of ours. */
static void
expect_answer (Client * client)
{
  g_autoptr (JsonObject) answer = expect_message (client, "answer",
      ANSWER_TIMEOUT_MS);
  const gchar *sdp = nonempty_member (client, answer, "sdp");

  g_assert_true (g_str_has_prefix (sdp, "v=0"));
  g_assert_nonnull (strstr (sdp, "m=video "));
  g_assert_nonnull (strstr (sdp, "a=sendrecv"));
  g_assert_nonnull (strstr (sdp, "VP8/90000"));
  g_assert_null (strstr (sdp, "a=recvonly"));
  g_assert_cmpuint (client->ice_before_answer, ==, 0);
}

/* Rejected offers must leave the session waiting for its first offer. */
static void
test_offer_after_refused_offers (void)
{
  Client *client = client_connect (&t.main, "offer-after-refused-offers");
  g_autofree gchar *offer = offer_json (t.offer_sdp);
  g_autofree gchar *audio = make_audio_only ();
  g_autofree gchar *no_codec = make_no_vp8_no_h264 ();
  g_autofree gchar *oversized = make_oversized ();

  expect_hello (client);
  client_send (client, "{\"type\":\"offer\",\"sdp\":\"this is not SDP\"}");
  expect_error (client, "SDP");
  client_send (client, audio);
  expect_error (client, "video");
  client_send (client, no_codec);
  expect_error (client, "VP8");
  client_send (client, oversized);
  expect_error (client, "too large");
  client_send (client, offer);
  expect_answer (client);
  client_close (client);
  assert_sessions_become (&t.main, 1, DRAIN_TIMEOUT_MS);
  check_witness ();
}

static void
test_offer_answer (void)
{
  Client *client = client_connect (&t.main, "offer");
  g_autofree gchar *offer = offer_json (t.offer_sdp);

  expect_hello (client);
  client_send (client, offer);
  expect_answer (client);
  /* Candidates from the page, and the end of them: no reply. Candidates webrtcbin cannot use are
   * the page's problem, not the end of the session. */
  client_send (client, "{\"type\":\"ice\",\"candidate\":\"" A_CANDIDATE "\","
      "\"sdpMLineIndex\":0}");
  client_send (client, "{\"type\":\"ice\",\"candidate\":\"\","
      "\"sdpMLineIndex\":0}");
  client_send (client, "{\"type\":\"ice\",\"candidate\":\"candidate:garbage\","
      "\"sdpMLineIndex\":0}");
  client_send (client, "{\"type\":\"ice\",\"candidate\":\"" A_CANDIDATE "\","
      "\"sdpMLineIndex\":7}");
  /* The first reply is the one to the second offer. */
  client_send (client, offer);
  expect_error (client, "second");
  client_send (client, "{\"type\":\"frobnicate\"}");
  expect_error (client, "frobnicate");
  check_witness ();
  g_test_message ("the server sent %u candidates", client->n_ice);

  client_send (client, "{\"type\":\"bye\"}");
  expect_bye_and_close (client, NULL);
  client_free (client);
  assert_sessions_become (&t.main, 1, DRAIN_TIMEOUT_MS);
  check_witness ();
}

static void
test_bye (void)
{
  Client *client = client_connect (&t.main, "bye");

  expect_hello (client);
  client_send (client, "{\"type\":\"bye\"}");
  expect_bye_and_close (client, NULL);
  client_free (client);
  assert_sessions_become (&t.main, 1, DRAIN_TIMEOUT_MS);
  check_witness ();
}

/* Above the websocket layer's limit the server does not read the frame and ends the connection,
 * with close code 1009 says docs/protocol.md. */
static void
test_frame_over_websocket_limit (void)
{
  Client *client = client_connect (&t.main, "over-websocket-limit");
  g_autofree gchar *huge = padded_offer_json (OVER_WEBSOCKET_LIMIT);
  gushort code;

  expect_hello (client);
  client_send (client, huge);
  if (!wait_for (is_true, &client->closed, CLOSE_TIMEOUT_MS))
    g_error ("%s: still open %d ms after a frame of %d bytes", client->name,
        CLOSE_TIMEOUT_MS, OVER_WEBSOCKET_LIMIT);
  code = soup_websocket_connection_get_close_code (client->ws);
  g_assert_cmpuint (g_queue_get_length (&client->texts), ==, 0);
  client_free (client);
  assert_sessions_become (&t.main, 1, DRAIN_TIMEOUT_MS);
  check_witness ();
  /* libsoup drops such a connection without a close frame (docs/protocol.md). */
  g_assert_cmpuint (code, ==, 0);
}

/* The witness, after all that, still gets its offer answered. */
static void
test_witness_offer (void)
{
  g_autofree gchar *offer = offer_json (t.offer_sdp);

  client_send (t.witness, offer);
  expect_answer (t.witness);
  check_witness ();
}

static void
test_all_closed (void)
{
  client_close (g_steal_pointer (&t.witness));
  assert_sessions_become (&t.main, 0, DRAIN_TIMEOUT_MS);
}

static void
test_sigterm_idle (void)
{
  server_stop (&t.main);
}

/* With --max-sessions 1 a second page is told the server is busy; SIGTERM with a live session
 * tells that page why, and still exits cleanly. */
static void
test_busy_and_sigterm (void)
{
  Server server = { 0 };
  g_autofree gchar *offer = offer_json (t.offer_sdp);
  Client *first, *second;

  server_start (&server, "busy", 1);
  first = client_connect (&server, "busy/first");
  expect_hello (first);
  client_send (first, offer);
  expect_answer (first);

  second = client_connect (&server, "busy/second");
  expect_bye_and_close (second, "busy");
  t.busy_close_code = soup_websocket_connection_get_close_code (second->ws);
  g_test_message ("busy/second: close code %u", t.busy_close_code);
  client_free (second);

  g_assert_cmpint (status_sessions (&server), ==, 1);
  client_send (first, "{\"type\":\"frobnicate\"}");
  expect_error (first, "frobnicate");

  server_stop (&server);
  expect_bye_and_close (first, "shutting down");
  client_free (first);
  g_free (server.base);
}

/* The refused page must see a close code that says what happened, not a protocol error it did
 * not make. */
static void
test_busy_close_code (void)
{
  /* A normal close: the bye before it said why. */
  g_assert_cmpuint (t.busy_close_code, ==, SOUP_WEBSOCKET_CLOSE_NORMAL);
}

int
main (int argc, char **argv)
{
  const gchar *offer_path;

  g_test_init (&argc, &argv, NULL);
  t.launcher = argc > 1 ? argv[1] : g_getenv ("RTFX_LAUNCH");
  offer_path = argc > 2 ? argv[2] : g_getenv ("RTFX_OFFER_SDP");
  if (t.launcher == NULL || offer_path == NULL) {
    g_printerr ("usage: %s RTFX_LAUNCH OFFER_SDP\n", argv[0]);
    return 99;
  }
  t.offer_sdp = load_offer_sdp (offer_path);
  t.loop = g_main_loop_new (NULL, FALSE);
  /* No proxy: everything here is on loopback. */
  t.http = soup_session_new_with_options ("proxy-resolver", NULL,
      "max-conns-per-host", 64, "max-conns", 128, NULL);

  g_test_add_func ("/launcher/server/start", test_start);
  g_test_add_func ("/launcher/server/hello", test_hello);
  for (guint i = 0; i < G_N_ELEMENTS (bad_cases); i++) {
    /* One level: GLib runs a suite's own tests before its sub-suites, and the order matters. */
    g_autofree gchar *path = g_strconcat ("/launcher/server/refused-",
        bad_cases[i].name, NULL);
    g_test_add_data_func (path, &bad_cases[i], test_refused);
  }
  g_test_add_func ("/launcher/server/error-quoting-control-characters",
      test_error_quoting_control_characters);
  g_test_add_func ("/launcher/server/offer-after-refused-offers",
      test_offer_after_refused_offers);
  g_test_add_func ("/launcher/server/offer-answer", test_offer_answer);
  g_test_add_func ("/launcher/server/bye", test_bye);
  g_test_add_func ("/launcher/server/frame-over-websocket-limit",
      test_frame_over_websocket_limit);
  g_test_add_func ("/launcher/server/witness-offer", test_witness_offer);
  g_test_add_func ("/launcher/server/all-closed", test_all_closed);
  g_test_add_func ("/launcher/server/sigterm-idle", test_sigterm_idle);
  g_test_add_func ("/launcher/server/busy-and-sigterm", test_busy_and_sigterm);
  g_test_add_func ("/launcher/server/busy-close-code", test_busy_close_code);
  return g_test_run ();
}
