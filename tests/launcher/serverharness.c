/* Running an rtfx-launch child and talking to it: see serverharness.h. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "serverharness.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#define PORT_MIN 20000
#define PORT_MAX 40000
#define START_ATTEMPTS 5
#define START_TIMEOUT_MS 10000
#define CONNECT_TIMEOUT_MS 2000
#define EXIT_TIMEOUT_MS 2000
/* rtfx-launch's status for a command line it refuses. */
#define EXIT_USAGE 2

static struct
{
  const gchar *launcher;
  const gchar *test_binary;     /* argv[0], for run_in_child */
  GMainLoop *loop;
  SoupSession *http;
} h;

static gchar *load_offer_sdp (const gchar * path);

gchar *
harness_init (int argc, char **argv)
{
  const gchar *offer_path;

  h.launcher = argc > 1 ? argv[1] : g_getenv ("RTFX_LAUNCH");
  offer_path = argc > 2 ? argv[2] : g_getenv ("RTFX_OFFER_SDP");
  if (h.launcher == NULL || offer_path == NULL) {
    g_printerr ("usage: %s RTFX_LAUNCH OFFER_SDP\n", argv[0]);
    exit (99);
  }
  /* For a test run again in a child process (run_in_child), which gets no arguments. */
  h.test_binary = argv[0];
  g_setenv ("RTFX_LAUNCH", h.launcher, TRUE);
  g_setenv ("RTFX_OFFER_SDP", offer_path, TRUE);
  h.loop = g_main_loop_new (NULL, FALSE);
  /* No proxy: everything here is on loopback. */
  h.http = soup_session_new_with_options ("proxy-resolver", NULL,
      "max-conns-per-host", 64, "max-conns", 128, NULL);
  return load_offer_sdp (offer_path);
}

/* --- waiting ----------------------------------------------------------------------------- */

/* Every event this file waits for calls wake(), so wait_for re-checks its predicate. */
static void
wake (void)
{
  g_main_loop_quit (h.loop);
}

static gboolean
on_wait_timeout (gpointer data)
{
  *(gboolean *) data = TRUE;
  wake ();
  return G_SOURCE_REMOVE;
}

/* Runs the main loop until done (data) holds or timeout_ms have passed; returns done (data). */
gboolean
wait_for (Predicate done, gconstpointer data, guint timeout_ms)
{
  gboolean timed_out = FALSE;
  guint timer = g_timeout_add (timeout_ms, on_wait_timeout, &timed_out);

  while (!done (data) && !timed_out)
    g_main_loop_run (h.loop);
  if (!timed_out)
    g_source_remove (timer);
  return done (data);
}

static gboolean
never (gconstpointer data)
{
  return FALSE;
}

/* --- one test in a child process ----------------------------------------------------------- */

/* GLib's exit status for a test run that was incomplete (g_test_incomplete). */
#define EXIT_INCOMPLETE 77

static void
on_child_exited (GObject * source, GAsyncResult * result, gpointer data)
{
  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *(gboolean *) data = TRUE;
  wake ();
}

/* The child is started by hand rather than with g_test_trap_subprocess(), whose verdict cannot
 * tell an incomplete child from a failed one. */
gboolean
run_in_child (guint timeout_ms)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) child = NULL;
  g_autoptr (GError) error = NULL;
  gboolean exited = FALSE;
  gint status;

  if (g_test_subprocess ())
    return TRUE;
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  /* The child's report goes to the log; on stdout it would garble the parent's TAP stream. */
  g_subprocess_launcher_take_stdout_fd (launcher, dup (STDERR_FILENO));
  child = g_subprocess_launcher_spawn (launcher, &error, h.test_binary, "-p",
      g_test_get_path (), "--GTestSubprocess", NULL);
  if (child == NULL)
    g_error ("cannot run %s in a child process: %s", g_test_get_path (),
        error->message);
  g_subprocess_wait_async (child, NULL, on_child_exited, &exited);
  if (!wait_for (is_true, &exited, timeout_ms)) {
    g_subprocess_force_exit (child);
    /* exited is this frame's: the wait's callback must not outlive it. */
    if (!wait_for (is_true, &exited, EXIT_TIMEOUT_MS))
      g_error ("%s: the test's child process outlived SIGKILL by %d ms",
          g_test_get_path (), EXIT_TIMEOUT_MS);
    g_test_fail_printf ("the test's child process was still running after %u ms",
        timeout_ms);
    return FALSE;
  }
  if (!g_subprocess_get_if_exited (child)) {
    g_test_fail_printf ("the test's child process was killed by signal %d",
        g_subprocess_get_term_sig (child));
    return FALSE;
  }
  status = g_subprocess_get_exit_status (child);
  if (status == EXIT_INCOMPLETE)
    g_test_incomplete ("the test's child process was incomplete (its log says why)");
  else if (status != 0)
    g_test_fail_printf ("the test's child process failed with exit status %d "
        "(its log says why)", status);
  return FALSE;
}

/* A pause that keeps the main loop (and so every websocket) running. */
void
pause_ms (guint ms)
{
  wait_for (never, NULL, ms);
}

gboolean
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

/* The servers' certificate is self-signed, made at their start: any will do. */
static gboolean
accept_any_certificate (SoupMessage * msg, GTlsCertificate * certificate,
    GTlsCertificateFlags errors, gpointer data)
{
  return TRUE;
}

SoupMessage *
http_request (const Server * server, const gchar * method, const gchar * path,
    GBytes ** body, GError ** error)
{
  g_autofree gchar *uri = g_strconcat (server->base, path, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new (method, uri);
  g_autoptr (GCancellable) cancel = g_cancellable_new ();
  HttpReply reply = { 0 };

  /* One connection per request: none of ours stays open between requests, where the server would
   * count it against --max-connections-per-address. */
  soup_message_headers_replace (soup_message_get_request_headers (msg),
      "Connection", "close");
  if (server->tls)
    g_signal_connect (msg, "accept-certificate",
        G_CALLBACK (accept_any_certificate), NULL);
  soup_session_send_and_read_async (h.http, msg, G_PRIORITY_DEFAULT, cancel,
      on_http_reply, &reply);
  if (!wait_for (is_true, &reply.done, HTTP_TIMEOUT_MS)) {
    /* The reply is on this stack frame: let the cancelled request finish before leaving it. */
    g_cancellable_cancel (cancel);
    if (!wait_for (is_true, &reply.done, HTTP_TIMEOUT_MS))
      g_error ("a cancelled %s %s never finished", method, uri);
    g_clear_error (&reply.error);
    g_clear_pointer (&reply.body, g_bytes_unref);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
        "%s %s: no answer within %d ms", method, uri, HTTP_TIMEOUT_MS);
    return NULL;
  }
  if (reply.error != NULL) {
    g_propagate_prefixed_error (error, reply.error, "%s %s: ", method, uri);
    return NULL;
  }
  if (body != NULL)
    *body = reply.body;
  else
    g_bytes_unref (reply.body);
  return g_steal_pointer (&msg);
}

/* GET /status: the parsed object, or NULL with error (no answer, not 200, not an object). */
JsonObject *
get_status (const Server * server, GError ** error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GBytes) body = NULL;
  g_autoptr (SoupMessage) msg = http_request (server, SOUP_METHOD_GET,
      "/status", &body, error);
  JsonNode *root;

  if (msg == NULL)
    return NULL;
  if (soup_message_get_status (msg) != SOUP_STATUS_OK) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "GET %s/status: "
        "status %u", server->base, soup_message_get_status (msg));
    return NULL;
  }
  if (!json_parser_load_from_data (parser, g_bytes_get_data (body, NULL),
          g_bytes_get_size (body), error))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "GET %s/status: not a JSON object", server->base);
    return NULL;
  }
  return json_object_ref (json_node_get_object (root));
}

gint64
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
void
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
  if (g_str_has_prefix (line, "Tracer caught signal"))
    server->lsan_tracer_crashed = TRUE;
  if (is_warning (line)) {
    server->warnings++;
    wake ();
  }
  g_data_input_stream_read_line_async (server->log, G_PRIORITY_DEFAULT, NULL,
      on_log_line, server);
}

/* The warnings logged since the last call. */
guint
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

void
server_start (Server * server, const gchar * name, guint max_sessions,
    const gchar * const *extra_args)
{
  server->name = name;
  server->max_sessions = max_sessions;
  server->tls = extra_args != NULL &&
      g_strv_contains (extra_args, "--tls-self-signed");
  for (guint attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    g_autoptr (GSubprocessLauncher) launcher =
        g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_PIPE);
    g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
    g_autoptr (GError) error = NULL;
    gint64 started;

    server->port = g_random_int_range (PORT_MIN, PORT_MAX + 1);
    if (!port_is_free (server->port))
      continue;
    g_ptr_array_add (argv, g_strdup (h.launcher));
    g_ptr_array_add (argv, g_strdup ("--port"));
    g_ptr_array_add (argv, g_strdup_printf ("%u", server->port));
    g_ptr_array_add (argv, g_strdup ("--max-sessions"));
    g_ptr_array_add (argv, g_strdup_printf ("%u", max_sessions));
    for (const gchar * const *arg = extra_args; arg && *arg; arg++)
      g_ptr_array_add (argv, g_strdup (*arg));
    g_ptr_array_add (argv, g_strdup (HARNESS_CHAIN));
    g_ptr_array_add (argv, NULL);
    /* Its stdout would mix with this test's TAP output. */
    g_subprocess_launcher_take_stdout_fd (launcher, dup (STDERR_FILENO));
    g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL,
        NULL);
    server->exited = FALSE;
    server->proc = g_subprocess_launcher_spawnv (launcher,
        (const gchar * const *) argv->pdata, &error);
    if (server->proc == NULL)
      g_error ("cannot start %s: %s", h.launcher, error->message);
    g_subprocess_wait_async (server->proc, NULL, on_server_exited, server);
    server->log_ended = FALSE;
    server->warnings = 0;
    server->log = g_data_input_stream_new (g_subprocess_get_stderr_pipe
        (server->proc));
    g_data_input_stream_read_line_async (server->log, G_PRIORITY_DEFAULT, NULL,
        on_log_line, server);
    g_free (server->base);
    server->base = g_strdup_printf ("%s://127.0.0.1:%u",
        server->tls ? "https" : "http", server->port);

    started = g_get_monotonic_time ();
    if (wait_until_serving (server)) {
      g_test_message ("%s server: port %u, serving after %" G_GINT64_FORMAT
          " ms", name, server->port,
          (g_get_monotonic_time () - started) / 1000);
      return;
    }
    server_forget (server);
    /* Another port cannot help a command line it refuses (an option it does not know). */
    if (server->exited_normally && server->exit_status == EXIT_USAGE)
      g_error ("%s server: %s refused its command line (exit status %d, its "
          "message is above)", name, h.launcher, EXIT_USAGE);
    g_test_message
        ("%s server on port %u exited with %s %d; trying another port", name,
        server->port, server->exited_normally ? "status" : "signal",
        server->exit_status);
  }
  g_error
      ("%s server: %s did not start in %d attempts (its messages are above)",
      name, h.launcher, START_ATTEMPTS);
}

/* A server that died (a page made it crash) fails the test here, with how it died. */
void
server_assert_running (const Server * server)
{
  if (server->exited)
    g_error ("%s server: it died (%s %d)", server->name,
        server->exited_normally ? "exit status" : "signal",
        server->exit_status);
}

/* SIGTERM: the server must end its sessions and exit with status 0 within EXIT_TIMEOUT_MS. */
void
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
  /* A known, rare crash of LeakSanitizer's stop-the-world thread, not a leak
   * (github.com/google/sanitizers/issues/1353): this server's exit gives no verdict. */
  if (server->exit_status != 0 && server->lsan_tracer_crashed)
    g_test_incomplete ("LeakSanitizer's tracer crashed at the server's exit: "
        "no leak verdict for this server");
  else if (server->exit_status != 0)
    g_error ("%s server: exit status %d after SIGTERM (its log above says why)",
        server->name, server->exit_status);
  if (server->warnings > 0)
    g_error ("%s server: %u warnings in its log (above)", server->name,
        server->warnings);
}

/* --- websocket clients ------------------------------------------------------------------- */

/* The first byte that JSON forbids raw in a string (U+0000..U+001F), or 0. json-glib's parser takes
 * them, a browser's JSON.parse does not. */
guint
raw_control_character (const gchar * text)
{
  for (const guchar * p = (const guchar *)text; *p != '\0'; p++)
    if (*p < 0x20)
      return *p;
  return 0;
}

/* Parses what the server sent; anything but one JSON object with a string 'type' fails the test. */
JsonObject *
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

static SoupMessage *
websocket_request (const Server * server)
{
  g_autofree gchar *uri = g_strdup_printf ("ws://127.0.0.1:%u/ws",
      server->port);

  return soup_message_new (SOUP_METHOD_GET, uri);
}

/* The websocket handshake of msg: its connection, or NULL with error when the server refused it. */
static SoupWebsocketConnection *
handshake (SoupMessage * msg, const gchar * name, GError ** error)
{
  g_autoptr (GCancellable) cancel = g_cancellable_new ();
  Connecting connecting = { 0 };

  soup_session_websocket_connect_async (h.http, msg, NULL, NULL,
      G_PRIORITY_DEFAULT, cancel, on_connected, &connecting);
  if (!wait_for (is_true, &connecting.done, CONNECT_TIMEOUT_MS)) {
    g_cancellable_cancel (cancel);
    wait_for (is_true, &connecting.done, CONNECT_TIMEOUT_MS);
    g_error ("%s: no answer to the websocket handshake within %d ms", name,
        CONNECT_TIMEOUT_MS);
  }
  if (connecting.error != NULL)
    g_propagate_error (error, connecting.error);
  return connecting.ws;
}

guint
client_refused_status (const Server * server, const gchar * name,
    const gchar * header, const gchar * value)
{
  g_autoptr (SoupMessage) msg = websocket_request (server);
  g_autoptr (GError) error = NULL;
  SoupWebsocketConnection *ws;

  soup_message_headers_replace (soup_message_get_request_headers (msg), header,
      value);
  ws = handshake (msg, name, &error);
  if (ws != NULL)
    g_error ("%s: the server accepted the websocket", name);
  return soup_message_get_status (msg);
}

Client *
client_connect (const Server * server, const gchar * name)
{
  g_autoptr (SoupMessage) msg = websocket_request (server);
  g_autoptr (GError) error = NULL;
  SoupWebsocketConnection *ws = handshake (msg, name, &error);
  Client *client;

  if (ws == NULL)
    g_error ("%s: cannot open a websocket: %s", name, error->message);

  client = g_new0 (Client, 1);
  client->name = g_strdup (name);
  client->ws = ws;
  g_queue_init (&client->texts);
  /* libsoup hands the connection over in the dispatch that finished the handshake, before it first
   * reads from it: connected here, no message is missed. */
  g_signal_connect (client->ws, "message", G_CALLBACK (on_message), client);
  g_signal_connect (client->ws, "closed", G_CALLBACK (on_closed), client);
  return client;
}

void
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
gchar *
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
JsonObject *
expect_message (Client * client, const gchar * type, guint timeout_ms)
{
  g_autofree gchar *text = next_text (client, type, timeout_ms);
  JsonObject *obj = parse_server_message (client, text);

  if (!g_str_equal (json_object_get_string_member (obj, "type"), type))
    g_error ("%s: expected '%s', got %s", client->name, type, text);
  return obj;
}

/* A string member that is there and not empty. */
const gchar *
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

void
expect_hello (Client * client)
{
  g_autoptr (JsonObject) hello = expect_message (client, "hello",
      REPLY_TIMEOUT_MS);

  g_autoptr (JsonObject) controls = NULL;
  JsonObject *video;

  g_assert_cmpstr (nonempty_member (client, hello, "version"), ==, VERSION);
  g_assert_cmpstr (nonempty_member (client, hello, "chain"), ==, HARNESS_CHAIN);
  g_assert_cmpstr (nonempty_member (client, hello, "mode"), ==, "sendrecv");
  g_assert_false (json_object_get_boolean_member (hello, "audio"));
  /* The camera picture the page asks for: the defaults of --video-size and --video-fps. */
  video = json_object_get_object_member (hello, "video");
  g_assert_nonnull (video);
  g_assert_cmpint (json_object_get_int_member (video, "width"), ==, 640);
  g_assert_cmpint (json_object_get_int_member (video, "height"), ==, 480);
  g_assert_cmpint (json_object_get_int_member (video, "fps"), ==, 30);
  g_assert_cmpuint (json_object_get_size (hello), ==, 7);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (json_object_get_member (hello,
              "ice_servers")));
  /* Then the chain's controls (their content is tested in controls-unit). */
  controls = expect_message (client, "controls", REPLY_TIMEOUT_MS);
  g_assert_cmpstr (nonempty_member (client, controls, "chain"), ==, HARNESS_CHAIN);
}

/* An error reply whose message names what was wrong, on a websocket that stays open. */
void
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

void
expect_closed (Client * client)
{
  if (!wait_for (is_true, &client->closed, CLOSE_TIMEOUT_MS))
    g_error ("%s: the server did not close the websocket within %d ms",
        client->name, CLOSE_TIMEOUT_MS);
  g_assert_cmpuint (g_queue_get_length (&client->texts), ==, 0);
  g_assert_cmpuint (client->after_bye, ==, 0);
}

/* A bye from the server, the last message before it closes the websocket. */
void
expect_bye_and_close_within (Client * client, const gchar * reason_names,
    guint timeout_ms)
{
  g_autoptr (JsonObject) bye = expect_message (client, "bye", timeout_ms);
  const gchar *reason = nonempty_member (client, bye, "reason");

  if (reason_names != NULL && strstr (reason, reason_names) == NULL)
    g_error ("%s: the bye's reason \"%s\" does not name %s", client->name,
        reason, reason_names);
  expect_closed (client);
}

void
expect_bye_and_close (Client * client, const gchar * reason_names)
{
  expect_bye_and_close_within (client, reason_names, REPLY_TIMEOUT_MS);
}

/* The answer to a browser's offer: sendrecv VP8, before any candidate of ours. */
void
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

void
client_free (Client * client)
{
  g_signal_handlers_disconnect_by_data (client->ws, client);
  g_object_unref (client->ws);
  g_queue_clear_full (&client->texts, g_free);
  g_free (client->name);
  g_free (client);
}

void
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

gchar *
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

/* The file with CRLF line ends, whatever a checkout did to them. */
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

