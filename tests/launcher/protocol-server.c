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

#include <string.h>

#include "serverharness.h"

#define MAIN_MAX_SESSIONS 16
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

static struct
{
  gchar *offer_sdp;             /* the fixture, CRLF line ends */
  Server main;
  Client *witness;
  gushort busy_close_code;
} t;

/* --- messages to send -------------------------------------------------------------------- */

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

  server_start (&t.main, "main", MAIN_MAX_SESSIONS, NULL);
  status = get_status (&t.main, &error);
  g_assert_no_error (error);
  g_assert_cmpint (json_object_get_int_member (status, "sessions"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (status, "max_sessions"), ==,
      MAIN_MAX_SESSIONS);
  g_assert_cmpstr (json_object_get_string_member (status, "version"), ==,
      VERSION);
  g_assert_cmpstr (json_object_get_string_member (status, "chain"), ==, HARNESS_CHAIN);
  g_assert_cmpstr (json_object_get_string_member (status, "mode"), ==, "sendrecv");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member
          (status, "video"), "width"), ==, 640);

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

/* With --max-sessions 1 a second page is told the server is busy (after the upgrade, in a bye; with
 * "X-Rtfx-If-Full: 503", as a load balancer asks, before it: 503); SIGTERM with a live session
 * tells that page why, and still exits cleanly. */
static void
test_busy_and_sigterm (void)
{
  Server server = { 0 };
  g_autofree gchar *offer = offer_json (t.offer_sdp);
  Client *first, *second;

  server_start (&server, "busy", 1, NULL);
  first = client_connect (&server, "busy/first");
  expect_hello (first);
  client_send (first, offer);
  expect_answer (first);

  second = client_connect (&server, "busy/second");
  expect_bye_and_close (second, "busy");
  t.busy_close_code = soup_websocket_connection_get_close_code (second->ws);
  g_test_message ("busy/second: close code %u", t.busy_close_code);
  client_free (second);
  g_assert_cmpuint (client_refused_status (&server, "busy/balanced",
          "X-Rtfx-If-Full", "503"), ==, SOUP_STATUS_SERVICE_UNAVAILABLE);

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
  g_test_init (&argc, &argv, NULL);
  t.offer_sdp = harness_init (argc, argv);

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
