#define _DEFAULT_SOURCE         /* SA_RESETHAND */
/* rtfx-test-peer: one WebRTC session with rtfx-launch, the way the page runs one
 * (docs/protocol.md), without a browser. It waits for hello, offers a live VP8 test pattern and a
 * data channel, trickles ICE both ways, counts the frames that come back, and prints one JSON line:
 *
 *   {"hello":bool,"answer":bool,"frames_back":N,"fps_back":F,"first_frame_ms":MS,
 *    "bye":"reason"|null,"errors":[...],"recordings":[...]}
 *
 * "recordings" holds the download links the server named for the session's recordings (relative
 * to the page's address), none unless it records (--record-in, --record-out).
 *
 * For load tests (bench/capacity) it can send a VP8 clip without encoding it (--send-file), count
 * the frames back without decoding them (--no-decode), print {"time_us":T,"frames_back":N,
 * "bytes_back":B} lines while it runs (--progress-ms; T is CLOCK_MONOTONIC in µs, B the encoded
 * video's bytes), hold until its standard input closes (--hold-until-eof), and be a client of
 * aiortc's example server instead (--offer-url: no hello, no websocket, "hello" false in the
 * report).
 *
 * Exit status 0 when it got what it was asked for, 1 otherwise, 2 for a bad argument. Every wait
 * is bounded by --timeout-ms, and ending takes a few seconds more at most. */
#include <execinfo.h>
#include <glib-unix.h>
#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "peer-media.h"
#include "peer-post.h"

#define EXIT_USAGE 2
#define POLL_MS 20              /* how often the frame count is looked at */
#define FPS_WINDOW_US (3 * G_USEC_PER_SEC)
#define CLOSE_GRACE_MS 3000     /* for the server's bye and the websocket's close */
#define STOP_LIMIT_US (5 * G_USEC_PER_SEC)     /* for our pipeline to stop */

typedef struct
{
  /* options */
  gchar *url;
  gint frames_wanted;
  gint timeout_ms;
  gint close_after_offer_ms;    /* -1: not asked */
  gint hold_ms;
  gboolean no_bye;
  gint flood;
  gchar *origin;
  gchar *offer_url;             /* instead of url: aiortc's example server */
  gchar *video_transform;
  gchar *send_file;
  gboolean no_decode;
  gint progress_ms;
  gboolean hold_until_eof;

  GMainLoop *loop;
  GCancellable *cancel;
  SoupSession *session;
  SoupWebsocketConnection *ws;
  PeerClip *clip;
  PeerMedia *media;
  gboolean ending;              /* the session is over, the websocket closing */
  gboolean held;                /* the frames came back, the session is held */
  guint timeout_id, poll_id, hold_id, close_id, grace_id, sigint_id, sigterm_id;
  guint progress_id, stdin_id;

  /* what happened */
  gboolean hello, answer, closed_after_offer, said_bye;
  gint64 offer_time;
  gchar *bye_reason;            /* from the server */
  GPtrArray *errors;
  GPtrArray *recordings;        /* their download links */
  gchar **presets;              /* from the latest controls */
  gchar *preset;
  const gchar *flood_last;      /* in presets of the flood's time: kept alive in old_presets */
  GPtrArray *old_presets;
  guint frames;                 /* at the end of counting */
  gint64 first_frame_time;
  gdouble fps;
} Peer;

static void finish (Peer * peer);

static void G_GNUC_PRINTF (2, 3)
fail (Peer * peer, const gchar * format, ...)
{
  va_list args;

  va_start (args, format);
  g_ptr_array_add (peer->errors, g_strdup_vprintf (format, args));
  va_end (args);
  finish (peer);
}

/* --- sending ----------------------------------------------------------------------------------- */

static void
send_message (Peer * peer, JsonBuilder * builder)
{
  g_autoptr (JsonNode) root = NULL;
  g_autofree gchar *text = NULL;

  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  text = json_to_string (root, FALSE);
  if (peer->ws != NULL && soup_websocket_connection_get_state (peer->ws) ==
      SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_send_text (peer->ws, text);
}

/* A builder holding {"type": type, ...}, open for more members. */
static JsonBuilder *
begin_message (const gchar * type)
{
  JsonBuilder *builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, type);
  return builder;
}

static void
send_simple (Peer * peer, const gchar * type, const gchar * member,
    const gchar * value)
{
  g_autoptr (JsonBuilder) builder = begin_message (type);

  if (member != NULL) {
    json_builder_set_member_name (builder, member);
    json_builder_add_string_value (builder, value);
  }
  send_message (peer, builder);
}

/* --- ending ------------------------------------------------------------------------------------ */

static gboolean
quit_loop (gpointer data)
{
  Peer *peer = data;

  peer->grace_id = 0;
  g_main_loop_quit (peer->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
on_grace_over (gpointer data)
{
  Peer *peer = data;

  g_ptr_array_add (peer->errors, g_strdup_printf ("the websocket was not "
          "closed within %d ms of %s", CLOSE_GRACE_MS, peer->said_bye ?
          "our bye" : "our close"));
  return quit_loop (peer);
}

/* Ends the session once: stops counting, says bye (or just closes) and waits, bounded, for the
 * websocket to close. */
static void
finish (Peer * peer)
{
  if (peer->ending)
    return;
  peer->ending = TRUE;
  g_clear_handle_id (&peer->timeout_id, g_source_remove);
  g_clear_handle_id (&peer->poll_id, g_source_remove);
  g_clear_handle_id (&peer->hold_id, g_source_remove);
  g_clear_handle_id (&peer->close_id, g_source_remove);
  g_clear_handle_id (&peer->progress_id, g_source_remove);
  g_clear_handle_id (&peer->stdin_id, g_source_remove);
  g_cancellable_cancel (peer->cancel);
  if (peer->media != NULL) {
    peer->frames = peer_media_frames (peer->media, &peer->first_frame_time);
    peer->fps = peer_media_fps (peer->media, FPS_WINDOW_US);
  }
  if (peer->ws == NULL || peer->closed_after_offer ||
      soup_websocket_connection_get_state (peer->ws) !=
      SOUP_WEBSOCKET_STATE_OPEN) {
    g_main_loop_quit (peer->loop);
    return;
  }
  if (peer->no_bye || peer->bye_reason != NULL) {
    soup_websocket_connection_close (peer->ws, SOUP_WEBSOCKET_CLOSE_GOING_AWAY,
        NULL);
  } else {
    send_simple (peer, "bye", NULL, NULL);      /* the server answers bye and closes */
    peer->said_bye = TRUE;
  }
  peer->grace_id = g_timeout_add (CLOSE_GRACE_MS, on_grace_over, peer);
}

static gboolean
on_timeout (gpointer data)
{
  Peer *peer = data;

  peer->timeout_id = 0;
  fail (peer, "timed out after %d ms (hello %s, answer %s, %u frames back)",
      peer->timeout_ms, peer->hello ? "yes" : "no", peer->answer ? "yes" : "no",
      peer->media ? peer_media_frames (peer->media, NULL) : 0);
  return G_SOURCE_REMOVE;
}

static gboolean
on_stop_signal (gpointer data)
{
  fail (data, "interrupted");
  return G_SOURCE_CONTINUE;
}

/* --close-after-offer-ms: the connection goes away without a close frame, as when a tab dies. */
static gboolean
close_abruptly (gpointer data)
{
  Peer *peer = data;

  peer->close_id = 0;
  g_io_stream_close (soup_websocket_connection_get_io_stream (peer->ws), NULL,
      NULL);
  peer->closed_after_offer = TRUE;
  finish (peer);
  return G_SOURCE_REMOVE;
}

static gboolean
end_hold (gpointer data)
{
  Peer *peer = data;

  peer->hold_id = 0;
  if (peer->flood_last != NULL && g_strcmp0 (peer->preset, peer->flood_last))
    g_ptr_array_add (peer->errors, g_strdup_printf ("after the preset flood "
            "the server is on preset '%s', not '%s' (the last one asked for)",
            peer->preset ? peer->preset : "(none)", peer->flood_last));
  finish (peer);
  return G_SOURCE_REMOVE;
}

/* --preset-flood: N presets in a row, cycling through the server's list from the one after the
 * current, as fast as the websocket takes them. */
static void
flood_presets (Peer * peer)
{
  const guint n = peer->presets ? g_strv_length (peer->presets) : 0;
  guint start = 0;

  if (n == 0) {
    fail (peer, "cannot flood presets: the server listed none");
    return;
  }
  while (start < n && g_strcmp0 (peer->presets[start], peer->preset))
    start++;
  for (gint i = 0; i < peer->flood; i++) {
    peer->flood_last = peer->presets[(start + 1 + i) % n];
    send_simple (peer, "preset", "name", peer->flood_last);
  }
}

static gboolean
poll_frames (gpointer data)
{
  Peer *peer = data;

  if (peer_media_frames (peer->media, NULL) < (guint) peer->frames_wanted)
    return G_SOURCE_CONTINUE;
  peer->poll_id = 0;
  peer->held = TRUE;
  if (peer->flood > 0)
    flood_presets (peer);
  if (!peer->ending && !peer->hold_until_eof)
    peer->hold_id = g_timeout_add (peer->hold_ms, end_hold, peer);
  return G_SOURCE_REMOVE;
}

/* --hold-until-eof: what the driver writes is ignored; its closing ends the session. */
static gboolean
on_stdin (gint fd, GIOCondition condition, gpointer user_data)
{
  Peer *peer = user_data;
  gchar buffer[256];

  if (!(condition & G_IO_IN) || read (fd, buffer, sizeof (buffer)) <= 0) {
    peer->stdin_id = 0;
    if (peer->held)
      finish (peer);
    else
      fail (peer, "standard input closed before %d frames came back",
          peer->frames_wanted);
    return G_SOURCE_REMOVE;
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
print_progress (gpointer data)
{
  Peer *peer = data;

  printf ("{\"time_us\":%" G_GINT64_FORMAT ",\"frames_back\":%u,"
      "\"bytes_back\":%" G_GUINT64_FORMAT "}\n", g_get_monotonic_time (),
      peer->media ? peer_media_frames (peer->media, NULL) : 0,
      peer->media ? peer_media_bytes (peer->media) : 0);
  fflush (stdout);
  return G_SOURCE_CONTINUE;
}

/* --- the media's events ------------------------------------------------------------------------ */

static void
on_answer_posted (const gchar * sdp, const gchar * error, gpointer user_data)
{
  Peer *peer = user_data;

  if (sdp == NULL) {
    fail (peer, "%s", error);
    return;
  }
  peer->answer = TRUE;
  peer_media_set_answer (peer->media, sdp);
}

static void
on_offer (const gchar * sdp, gpointer user_data)
{
  Peer *peer = user_data;

  if (peer->offer_url != NULL)
    peer_post_offer (peer->session, peer->offer_url, sdp,
        peer->video_transform, peer->cancel, on_answer_posted, peer);
  else
    send_simple (peer, "offer", "sdp", sdp);
  peer->offer_time = g_get_monotonic_time ();
  if (peer->close_after_offer_ms >= 0)
    peer->close_id = g_timeout_add (peer->close_after_offer_ms, close_abruptly,
        peer);
  else
    peer->poll_id = g_timeout_add (POLL_MS, poll_frames, peer);
}

static void
on_local_ice (guint mline_index, const gchar * candidate, gpointer user_data)
{
  g_autoptr (JsonBuilder) builder = begin_message ("ice");

  json_builder_set_member_name (builder, "candidate");
  json_builder_add_string_value (builder, candidate);
  json_builder_set_member_name (builder, "sdpMLineIndex");
  json_builder_add_int_value (builder, mline_index);
  send_message (user_data, builder);
}

static void
on_media_failed (const gchar * message, gpointer user_data)
{
  fail (user_data, "%s", message);
}

static const PeerMediaCallbacks media_callbacks = {
  on_offer, on_local_ice, on_media_failed,
};

static gboolean
start_media (gpointer data)
{
  Peer *peer = data;
  const PeerMediaOptions options = {
    .clip = peer->clip,
    .no_decode = peer->no_decode,
    .whole_offer = peer->offer_url != NULL,
  };
  g_autoptr (GError) error = NULL;

  peer->media = peer_media_new (&options, &media_callbacks, peer, &error);
  if (peer->media == NULL)
    fail (peer, "cannot start WebRTC: %s", error->message);
  return G_SOURCE_REMOVE;
}

/* --- the server's messages --------------------------------------------------------------------- */

static void
on_hello (Peer * peer)
{
  if (peer->hello) {
    fail (peer, "a second hello");
    return;
  }
  peer->hello = TRUE;
  start_media (peer);
}

static void
on_controls (Peer * peer, JsonObject * msg)
{
  JsonArray *presets = json_object_has_member (msg, "presets") ?
      json_object_get_array_member (msg, "presets") : NULL;
  GStrvBuilder *names = g_strv_builder_new ();

  for (guint i = 0; presets && i < json_array_get_length (presets); i++)
    g_strv_builder_add (names, json_array_get_string_element (presets, i));
  /* A flood in progress still points into the previous list. */
  if (peer->presets != NULL)
    g_ptr_array_add (peer->old_presets, peer->presets);
  peer->presets = g_strv_builder_end (names);
  g_strv_builder_unref (names);
  g_free (peer->preset);
  peer->preset = g_strdup (json_object_get_string_member_with_default (msg,
          "preset", ""));
}

static void
on_recording (Peer * peer, JsonObject * msg)
{
  JsonArray *files = json_object_has_member (msg, "files") ?
      json_object_get_array_member (msg, "files") : NULL;

  for (guint i = 0; files && i < json_array_get_length (files); i++) {
    JsonObject *file = json_array_get_object_element (files, i);

    if (file != NULL && json_object_has_member (file, "url"))
      g_ptr_array_add (peer->recordings, g_strdup
          (json_object_get_string_member_with_default (file, "url", "")));
  }
}

static void
on_server_message (Peer * peer, JsonObject * msg)
{
  const gchar *type = json_object_get_string_member_with_default (msg, "type",
      "");

  if (g_str_equal (type, "hello")) {
    on_hello (peer);
  } else if (g_str_equal (type, "controls")) {
    on_controls (peer, msg);
  } else if (g_str_equal (type, "answer")) {
    peer->answer = TRUE;
    if (peer->media != NULL)
      peer_media_set_answer (peer->media,
          json_object_get_string_member_with_default (msg, "sdp", ""));
  } else if (g_str_equal (type, "ice")) {
    if (peer->media != NULL && json_object_has_member (msg, "candidate"))
      peer_media_add_ice (peer->media,
          json_object_get_int_member_with_default (msg, "sdpMLineIndex", 0),
          json_object_get_string_member_with_default (msg, "candidate", ""));
  } else if (g_str_equal (type, "error")) {
    g_ptr_array_add (peer->errors, g_strdup_printf ("server error: %s",
            json_object_get_string_member_with_default (msg, "message", "?")));
  } else if (g_str_equal (type, "recording")) {
    on_recording (peer, msg);
  } else if (g_str_equal (type, "bye")) {
    g_free (peer->bye_reason);
    peer->bye_reason = g_strdup (json_object_get_string_member_with_default
        (msg, "reason", ""));
    if (!peer->said_bye)
      fail (peer, "the server ended the session: %s", peer->bye_reason);
  }
  /* stats and value: nothing to do */
}

static void
on_ws_message (SoupWebsocketConnection * ws, gint type, GBytes * message,
    gpointer user_data)
{
  Peer *peer = user_data;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  gsize size;
  const gchar *data = g_bytes_get_data (message, &size);
  JsonNode *root;

  if (type != SOUP_WEBSOCKET_DATA_TEXT ||
      !json_parser_load_from_data (parser, data, size, &error) ||
      !JSON_NODE_HOLDS_OBJECT (root = json_parser_get_root (parser))) {
    g_ptr_array_add (peer->errors, g_strdup_printf ("the server sent a "
            "message that is not a JSON object: %.80s", error ? error->message :
            data));
    return;
  }
  on_server_message (peer, json_node_get_object (root));
}

static void
on_ws_closed (SoupWebsocketConnection * ws, gpointer user_data)
{
  Peer *peer = user_data;

  if (peer->ending) {
    g_clear_handle_id (&peer->grace_id, g_source_remove);
    g_main_loop_quit (peer->loop);
  } else {
    fail (peer, "the server closed the websocket (code %u)",
        soup_websocket_connection_get_close_code (ws));
  }
}

static void
on_connected (GObject * source, GAsyncResult * result, gpointer user_data)
{
  Peer *peer = user_data;
  g_autoptr (GError) error = NULL;

  peer->ws = soup_session_websocket_connect_finish (SOUP_SESSION (source),
      result, &error);
  if (peer->ws == NULL) {
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      fail (peer, "cannot open the websocket %s: %s", peer->url,
          error->message);
    return;
  }
  /* The answer and the controls of a long chain list can be large; the server caps at 1 MiB. */
  soup_websocket_connection_set_max_incoming_payload_size (peer->ws,
      1024 * 1024);
  g_signal_connect (peer->ws, "message", G_CALLBACK (on_ws_message), peer);
  g_signal_connect (peer->ws, "closed", G_CALLBACK (on_ws_closed), peer);
}

/* --- report ------------------------------------------------------------------------------------ */

static gboolean
succeeded (const Peer * peer)
{
  if (peer->errors->len > 0)
    return FALSE;
  if (peer->close_after_offer_ms >= 0)
    return peer->closed_after_offer;
  return (peer->hello || peer->offer_url != NULL) && peer->answer &&
      peer->frames >= (guint) peer->frames_wanted;
}

/* text as a JSON string, or null. */
static void
append_json_string (GString * out, const gchar * text)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_VALUE);
  g_autofree gchar *json = NULL;

  if (text == NULL) {
    g_string_append (out, "null");
    return;
  }
  json_node_set_string (node, text);
  json = json_to_string (node, FALSE);
  g_string_append (out, json);
}

static void
append_json_strings (GString * out, const GPtrArray * strings)
{
  g_string_append_c (out, '[');
  for (guint i = 0; i < strings->len; i++) {
    if (i > 0)
      g_string_append_c (out, ',');
    append_json_string (out, g_ptr_array_index (strings, i));
  }
  g_string_append_c (out, ']');
}

/* Written by hand so fps_back has one decimal (json-glib prints doubles with 17 digits). */
static void
print_report (const Peer * peer)
{
  g_autoptr (GString) out = g_string_new (NULL);
  gchar fps[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append_printf (out, "{\"hello\":%s,\"answer\":%s,\"frames_back\":%u,"
      "\"fps_back\":%s,\"first_frame_ms\":", peer->hello ? "true" : "false",
      peer->answer ? "true" : "false", peer->frames,
      g_ascii_formatd (fps, sizeof (fps), "%.1f", peer->fps));
  if (peer->frames > 0 && peer->offer_time > 0)
    g_string_append_printf (out, "%" G_GINT64_FORMAT,
        (peer->first_frame_time - peer->offer_time) / 1000);
  else
    g_string_append (out, "null");
  g_string_append (out, ",\"bye\":");
  append_json_string (out, peer->bye_reason);
  g_string_append (out, ",\"errors\":");
  append_json_strings (out, peer->errors);
  g_string_append (out, ",\"recordings\":");
  append_json_strings (out, peer->recordings);
  g_string_append (out, "}\n");
  fputs (out->str, stdout);
  fflush (stdout);
}

/* --- main -------------------------------------------------------------------------------------- */

static G_GNUC_NORETURN void
usage_error (const gchar * message)
{
  g_printerr ("%s: %s\n", g_get_prgname (), message);
  exit (EXIT_USAGE);
}

/* url parses, names a host, and its scheme is one of schemes. */
static gboolean
has_scheme (const gchar * url, const gchar * const *schemes)
{
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);

  return uri != NULL && g_uri_get_host (uri) != NULL &&
      g_strv_contains (schemes, g_uri_get_scheme (uri));
}

static void
parse_options (Peer * peer, int *argc, char ***argv)
{
  const GOptionEntry entries[] = {
    {"url", 0, 0, G_OPTION_ARG_STRING, &peer->url,
        "The server's websocket, ws://HOST:PORT/ws (required)", "URL"},
    {"frames", 0, 0, G_OPTION_ARG_INT, &peer->frames_wanted,
        "Succeed once this many frames came back (default 60)", "N"},
    {"timeout-ms", 0, 0, G_OPTION_ARG_INT, &peer->timeout_ms,
        "Bound on the whole session (default 20000)", "MS"},
    {"close-after-offer-ms", 0, 0, G_OPTION_ARG_INT,
          &peer->close_after_offer_ms,
          "Drop the connection (no close frame) this long after the offer, "
          "and succeed", "MS"},
    {"hold-ms", 0, 0, G_OPTION_ARG_INT, &peer->hold_ms,
        "Keep the session this long after the frames came back (default 0)",
        "MS"},
    {"no-bye", 0, 0, G_OPTION_ARG_NONE, &peer->no_bye,
        "End by closing the websocket, without a bye", NULL},
    {"preset-flood", 0, 0, G_OPTION_ARG_INT, &peer->flood,
          "Once the frames came back, send N preset messages at once, cycling "
          "through the server's presets, then hold", "N"},
    {"origin", 0, 0, G_OPTION_ARG_STRING, &peer->origin,
        "Origin header of the websocket (default: none)", "ORIGIN"},
    {"offer-url", 0, 0, G_OPTION_ARG_STRING, &peer->offer_url,
          "Instead of --url: be a client of aiortc's example server, posting "
          "the whole offer to URL, http://HOST:PORT/offer", "URL"},
    {"video-transform", 0, 0, G_OPTION_ARG_STRING, &peer->video_transform,
          "With --offer-url: the transform to ask for, such as edges "
          "(default none)", "NAME"},
    {"send-file", 0, 0, G_OPTION_ARG_FILENAME, &peer->send_file,
          "Send the VP8 frames of this WebM or IVF file in a loop, 30 a "
          "second, instead of encoding a test pattern", "FILE"},
    {"no-decode", 0, 0, G_OPTION_ARG_NONE, &peer->no_decode,
        "Count the frames that come back without decoding them", NULL},
    {"progress-ms", 0, 0, G_OPTION_ARG_INT, &peer->progress_ms,
          "Every MS, print a line {\"time_us\": CLOCK_MONOTONIC in µs, "
          "\"frames_back\": N, \"bytes_back\": encoded bytes} (default 0: none)",
        "MS"},
    {"hold-until-eof", 0, 0, G_OPTION_ARG_NONE, &peer->hold_until_eof,
          "Keep the session, once the frames came back, until standard "
          "input closes (instead of --hold-ms)", NULL},
    {NULL}
  };
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;

  g_option_context_set_summary (context, "Runs one WebRTC session with "
      "rtfx-launch as its page does and prints one JSON line about it.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, argc, argv, &error))
    usage_error (error->message);
  if (*argc > 1)
    usage_error ("unexpected argument; see --help");
  if ((peer->url == NULL) == (peer->offer_url == NULL))
    usage_error ("--url (or --offer-url) is required, such as --url "
        "ws://127.0.0.1:8080/ws");
  if (peer->url != NULL &&
      !has_scheme (peer->url, (const gchar *[]) {"ws", "wss", NULL}))
    usage_error ("--url needs a ws:// or wss:// URL");
  if (peer->offer_url != NULL &&
      !has_scheme (peer->offer_url, (const gchar *[]) {"http", "https", NULL}))
    usage_error ("--offer-url needs an http:// or https:// URL");
  if (peer->offer_url != NULL && (peer->flood > 0 || peer->no_bye ||
          peer->close_after_offer_ms >= 0 || peer->origin != NULL))
    usage_error ("--preset-flood, --no-bye, --close-after-offer-ms and "
        "--origin are for rtfx-launch's websocket, not --offer-url");
  if (peer->video_transform != NULL && peer->offer_url == NULL)
    usage_error ("--video-transform goes with --offer-url");
  if (peer->progress_ms < 0)
    usage_error ("--progress-ms cannot be negative");
  if (peer->hold_until_eof && (peer->hold_ms > 0 || peer->flood > 0 ||
          peer->close_after_offer_ms >= 0))
    usage_error ("--hold-until-eof excludes --hold-ms, --preset-flood and "
        "--close-after-offer-ms");
  if (peer->frames_wanted < 1)
    usage_error ("--frames must be at least 1");
  if (peer->timeout_ms < 1)
    usage_error ("--timeout-ms must be at least 1");
  if (peer->hold_ms < 0 || peer->flood < 0 || peer->close_after_offer_ms < -1)
    usage_error ("--hold-ms, --preset-flood and --close-after-offer-ms "
        "cannot be negative");
  if (peer->close_after_offer_ms >= 0 && peer->flood > 0)
    usage_error ("--close-after-offer-ms and --preset-flood exclude each "
        "other");
}

/* A crash prints where it happened on stderr, which the soak and fault tests quote: it is rare
 * (a segfault after the report, twice in some 1,600 sessions closed mid-negotiation, both while
 * other tests loaded the machine), so the stack of the one that happens is what tells its cause.
 * Only async-signal-safe calls; the names of our exported functions need the executable's
 * -rdynamic (meson.build). */
static void
on_crash (int sig)
{
  static const char header[] = "rtfx-test-peer: crashed; stack:\n";
  void *frames[64];
  int depth = backtrace (frames, G_N_ELEMENTS (frames));

  if (write (STDERR_FILENO, header, sizeof header - 1) >= 0)
    backtrace_symbols_fd (frames, depth, STDERR_FILENO);
  raise (sig);                  /* SA_RESETHAND: the default action now, the same exit status */
}

static void
print_stack_on_crash (void)
{
  struct sigaction action = {.sa_handler = on_crash,.sa_flags = SA_RESETHAND };
  void *frame;

  backtrace (&frame, 1);        /* loads libgcc now: the first call allocates, not the handler's */
  sigemptyset (&action.sa_mask);
  sigaction (SIGSEGV, &action, NULL);
  sigaction (SIGBUS, &action, NULL);
  sigaction (SIGABRT, &action, NULL);
}

int
main (int argc, char **argv)
{
  Peer peer = { 0 };
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (GError) error = NULL;
  gboolean ok;

  print_stack_on_crash ();
  setlocale (LC_ALL, "");
  g_set_prgname ("rtfx-test-peer");
  peer.frames_wanted = 60;
  peer.timeout_ms = 20000;
  peer.close_after_offer_ms = -1;
  parse_options (&peer, &argc, &argv);
  if (peer.offer_url != NULL && peer.video_transform == NULL)
    peer.video_transform = g_strdup ("none");
  gst_init (NULL, NULL);
  if (peer.send_file != NULL &&
      (peer.clip = peer_clip_load (peer.send_file, &error)) == NULL)
    usage_error (error->message);

  peer.errors = g_ptr_array_new_with_free_func (g_free);
  peer.recordings = g_ptr_array_new_with_free_func (g_free);
  peer.old_presets = g_ptr_array_new_with_free_func ((GDestroyNotify)
      g_strfreev);
  peer.loop = g_main_loop_new (NULL, FALSE);
  peer.cancel = g_cancellable_new ();
  /* No proxy: the server is on loopback. */
  peer.session = soup_session_new_with_options ("proxy-resolver", NULL, NULL);
  if (peer.offer_url != NULL) {
    g_idle_add (start_media, &peer);    /* no hello: the offer goes first */
  } else {
    msg = soup_message_new (SOUP_METHOD_GET, peer.url);
    soup_session_websocket_connect_async (peer.session, msg, peer.origin, NULL,
        G_PRIORITY_DEFAULT, peer.cancel, on_connected, &peer);
  }
  if (peer.progress_ms > 0)
    peer.progress_id = g_timeout_add (peer.progress_ms, print_progress, &peer);
  if (peer.hold_until_eof)
    peer.stdin_id = g_unix_fd_add (STDIN_FILENO, G_IO_IN | G_IO_HUP |
        G_IO_ERR, on_stdin, &peer);
  peer.timeout_id = g_timeout_add (peer.timeout_ms, on_timeout, &peer);
  peer.sigint_id = g_unix_signal_add (SIGINT, on_stop_signal, &peer);
  peer.sigterm_id = g_unix_signal_add (SIGTERM, on_stop_signal, &peer);
  g_main_loop_run (peer.loop);
  g_source_remove (peer.sigint_id);
  g_source_remove (peer.sigterm_id);

  if (peer.media != NULL && !peer_media_stop (peer.media, STOP_LIMIT_US))
    g_ptr_array_add (peer.errors, g_strdup ("our pipeline did not stop within "
            "5 s"));
  peer.media = NULL;
  ok = succeeded (&peer);
  print_report (&peer);

  if (peer.ws != NULL) {
    g_signal_handlers_disconnect_by_data (peer.ws, &peer);
    g_clear_object (&peer.ws);
  }
  /* Let what is still queued (webrtcbin's last events, libsoup's closing) run and free itself. */
  for (guint i = 0; i < 100 && g_main_context_pending (NULL); i++)
    g_main_context_iteration (NULL, FALSE);
  g_clear_object (&peer.cancel);
  g_clear_object (&peer.session);
  g_clear_pointer (&peer.clip, peer_clip_free);
  g_main_loop_unref (peer.loop);
  g_strfreev (peer.presets);
  g_ptr_array_unref (peer.old_presets);
  g_ptr_array_unref (peer.errors);
  g_ptr_array_unref (peer.recordings);
  g_free (peer.preset);
  g_free (peer.bye_reason);
  g_free (peer.url);
  g_free (peer.origin);
  g_free (peer.offer_url);
  g_free (peer.video_transform);
  g_free (peer.send_file);
  return ok ? 0 : 1;
}
