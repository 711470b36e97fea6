/* Unit tests for launcher/launch-config.c's modes (docs/protocol.md, "Modes"): --mode, --source,
 * --loop and --time-limit as parsed into the config, --record-in and --record-out
 * (docs/recording.md), --audio and its chains (docs/audio.md), --ice-timeout and --page-texts
 * (docs/deploy.md, docs/page-texts.md), --video-size and --video-fps (docs/devices.md),
 * --playout-delay (docs/performance.md), and every
 * bad combination refused with a sentence that names what was wrong (main() prints it and exits with
 * status 2). Options are parsed by the real parser, chains and sources built by the real GStreamer
 * with this build's plugin. */
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <stdlib.h>
#include <string.h>

#include "launch-config.h"

/* Parses "rtfx-launch" followed by args (NULL-terminated); the error, if any, in error. */
static gboolean
parse (RtfxConfig * config, const gchar * const *args, GError ** error)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autofree gchar **copy = NULL;
  gchar **parsed;
  int argc;

  g_ptr_array_add (argv, (gpointer) "rtfx-launch");
  for (; *args; args++)
    g_ptr_array_add (argv, (gpointer) * args);
  g_ptr_array_add (argv, NULL);
  argc = argv->len - 1;
  /* GOption takes out what it parses: it gets a copy of the array (not of the strings). */
  parsed = copy = g_memdup2 (argv->pdata, argv->len * sizeof (gchar *));
  return rtfx_config_parse (config, &argc, &parsed, error);
}

static void
test_default_mode (void)
{
  const gchar *args[] = { NULL };
  RtfxConfig config = { 0 };

  g_assert_true (parse (&config, args, NULL));
  g_assert_cmpint (config.mode, ==, RTFX_MODE_SENDRECV);
  g_assert_cmpstr (rtfx_mode_name (config.mode), ==, "sendrecv");
  g_assert_null (config.source);
  g_assert_false (config.loop_source);
  g_assert_cmpuint (config.time_limit_s, ==, 0);
  g_assert_null (config.record_in_dir);
  g_assert_null (config.record_out_dir);
  g_assert_cmpuint (config.video.width, ==, 640);
  g_assert_cmpuint (config.video.height, ==, 480);
  g_assert_cmpuint (config.video.fps, ==, 30);
  rtfx_config_clear (&config);
}

/* The camera picture the page asks for; the bounds themselves are taken. */
static void
test_video_defaults (void)
{
  const struct
  {
    const gchar *size, *fps;
    guint width, height, rate;
  } cases[] = {
    {"320x240", "15", 320, 240, 15},
    {"1280X720", "60", 1280, 720, 60},
    {"16x4096", "1", 16, 4096, 1},
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    const gchar *args[] = { "--video-size", cases[i].size, "--video-fps",
      cases[i].fps, NULL
    };
    RtfxConfig config = { 0 };
    g_autoptr (GError) error = NULL;

    if (!parse (&config, args, &error))
      g_error ("%s", error->message);
    g_assert_cmpuint (config.video.width, ==, cases[i].width);
    g_assert_cmpuint (config.video.height, ==, cases[i].height);
    g_assert_cmpuint (config.video.fps, ==, cases[i].rate);
    rtfx_config_clear (&config);
  }
}

/* A folder that can be written takes both recordings, and the check leaves nothing in it. */
static void
test_record_dirs (void)
{
  g_autofree gchar *dir = g_dir_make_tmp ("rtfx-config-XXXXXX", NULL);
  const gchar *args[] = { "--record-in", dir, "--record-out", dir, NULL };
  RtfxConfig config = { 0 };
  g_autoptr (GDir) listing = NULL;

  g_assert_nonnull (dir);
  g_assert_true (parse (&config, args, NULL));
  g_assert_cmpstr (config.record_in_dir, ==, dir);
  g_assert_cmpstr (config.record_out_dir, ==, dir);
  listing = g_dir_open (dir, 0, NULL);
  g_assert_null (g_dir_read_name (listing));
  rtfx_config_clear (&config);
  g_rmdir (dir);
}

static void
test_sendonly (void)
{
  const gchar *args[] = { "--mode", "sendonly", "--time-limit", "90", NULL };
  RtfxConfig config = { 0 };

  g_assert_true (parse (&config, args, NULL));
  g_assert_cmpint (config.mode, ==, RTFX_MODE_SENDONLY);
  g_assert_cmpstr (rtfx_mode_name (config.mode), ==, "sendonly");
  g_assert_cmpuint (config.time_limit_s, ==, 90);
  rtfx_config_clear (&config);
}

static void
test_recvonly (void)
{
  const gchar *args[] = { "--mode", "recvonly", "--source",
    "videotestsrc is-live=true ! video/x-raw,width=320", "--loop", NULL
  };
  RtfxConfig config = { 0 };

  g_assert_true (parse (&config, args, NULL));
  g_assert_cmpint (config.mode, ==, RTFX_MODE_RECVONLY);
  g_assert_cmpstr (rtfx_mode_name (config.mode), ==, "recvonly");
  g_assert_cmpstr (config.source, ==,
      "videotestsrc is-live=true ! video/x-raw,width=320");
  g_assert_true (config.loop_source);
  rtfx_config_clear (&config);
}

/* A decoder's pads come only once it plays: the description builds, and a file or a server that is
 * not there is that session's error, not the server's. */
static void
test_recvonly_dynamic_pads (gconstpointer source)
{
  const gchar *args[] = { "--mode", "recvonly", "--source", source, NULL };
  RtfxConfig config = { 0 };
  g_autoptr (GError) error = NULL;

  if (!parse (&config, args, &error))
    g_error ("%s", error->message);
  rtfx_config_clear (&config);
}

/* --audio alone: every preset's audio chain is the default passthrough. */
static void
test_audio_default (void)
{
  const gchar *args[] = { "--audio", NULL };
  RtfxConfig config = { 0 };

  g_assert_true (parse (&config, args, NULL));
  g_assert_true (config.audio);
  g_assert_cmpstr (config.audio_chain, ==, "identity");
  g_assert_cmpuint (g_strv_length (config.preset_audio_chains), ==,
      g_strv_length (config.preset_names));
  for (guint i = 0; config.preset_audio_chains[i]; i++)
    g_assert_cmpstr (config.preset_audio_chains[i], ==, "identity");
  rtfx_config_clear (&config);
}

/* --audio-chain for every preset but those --audio-preset names; sendonly takes audio too. */
static void
test_audio_presets (void)
{
  const gchar *args[] = { "--audio", "--mode", "sendonly", "--audio-chain",
    "audioecho delay=250000000 intensity=0.5", "--preset", "plain=identity",
    "--preset", "robot=rtfxedges", "--audio-preset", "robot=pitch pitch=1.5",
    NULL
  };
  RtfxConfig config = { 0 };
  g_autoptr (GError) error = NULL;

  if (!parse (&config, args, &error))
    g_error ("%s", error->message);
  g_assert_true (config.audio);
  g_assert_cmpstr (config.preset_names[0], ==, "plain");
  g_assert_cmpstr (config.preset_audio_chains[0], ==,
      "audioecho delay=250000000 intensity=0.5");
  g_assert_cmpstr (config.preset_names[1], ==, "robot");
  g_assert_cmpstr (config.preset_audio_chains[1], ==, "pitch pitch=1.5");
  g_assert_null (config.preset_audio_chains[2]);
  rtfx_config_clear (&config);
}

/* --turn-secret: the page's TURN server has no password of its own; --turn-ttl or an hour. */
static void
test_turn_secret (void)
{
  const gchar *plain[] = { "--turn", "turn://127.0.0.1:3478", "--turn-secret",
    "s3cret", NULL
  };
  const gchar *ttl[] = { "--turn", "turn://127.0.0.1:3478", "--turn-secret",
    "s3cret", "--turn-ttl", "60", NULL
  };
  RtfxConfig config = { 0 };
  JsonObject *turn;

  g_assert_true (parse (&config, plain, NULL));
  g_assert_cmpstr (config.turn_secret, ==, "s3cret");
  g_assert_cmpuint (config.turn_ttl_s, ==, 3600);
  turn = json_array_get_object_element (json_node_get_array
      (config.ice_servers), 0);
  g_assert_cmpstr (json_object_get_string_member (turn, "urls"), ==,
      "turn:127.0.0.1:3478");
  g_assert_false (json_object_has_member (turn, "credential"));
  rtfx_config_clear (&config);
  memset (&config, 0, sizeof config);
  g_assert_true (parse (&config, ttl, NULL));
  g_assert_cmpuint (config.turn_ttl_s, ==, 60);
  rtfx_config_clear (&config);
}

/* A number option: its default when not given, and a value given is kept. --ice-timeout's default
 * is libnice's idle-timeout; --playout-delay's, 0, shows each frame as soon as it is decoded. */
typedef struct
{
  const gchar *option;
  guint default_value;
  const gchar *given;
  gsize offset;                 /* of the guint field in RtfxConfig */
} NumberOption;

static const NumberOption number_options[] = {
  {"--ice-timeout", 5, "2", G_STRUCT_OFFSET (RtfxConfig, ice_timeout_s)},
  {"--playout-delay", 0, "40950", G_STRUCT_OFFSET (RtfxConfig,
          playout_delay_ms)},
};

static void
test_number_option (gconstpointer data)
{
  const NumberOption *o = data;
  const gchar *none[] = { NULL };
  const gchar *given[] = { o->option, o->given, NULL };
  RtfxConfig config = { 0 };

  g_assert_true (parse (&config, none, NULL));
  g_assert_cmpuint (G_STRUCT_MEMBER (guint, &config, o->offset), ==,
      o->default_value);
  rtfx_config_clear (&config);
  g_assert_true (parse (&config, given, NULL));
  g_assert_cmpuint (G_STRUCT_MEMBER (guint, &config, o->offset), ==,
      (guint) atoi (o->given));
  rtfx_config_clear (&config);
}

/* A file of texts in a scratch folder (removed by the caller with its folder); returns its path. */
static gchar *
write_texts (const gchar * dir, const gchar * name, const gchar * contents)
{
  gchar *path = g_build_filename (dir, name, NULL);

  g_assert_true (g_file_set_contents (path, contents, -1, NULL));
  return path;
}

/* --page-texts: a JSON object of strings is kept as it is (the server lays it over the page's own). */
static void
test_page_texts (void)
{
  g_autofree gchar *dir = g_dir_make_tmp ("rtfx-config-XXXXXX", NULL);
  g_autofree gchar *file = write_texts (dir, "fr.json",
      "{\"button.start\": \"Démarrer\", \"page.lang\": \"fr\"}");
  const gchar *args[] = { "--page-texts", file, NULL };
  RtfxConfig config = { 0 };

  g_assert_true (parse (&config, args, NULL));
  g_assert_nonnull (config.page_texts);
  g_assert_cmpuint (json_object_get_size (config.page_texts), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (config.page_texts,
          "button.start"), ==, "Démarrer");
  rtfx_config_clear (&config);
  g_assert_null (config.page_texts);
  g_unlink (file);
  g_rmdir (dir);
}

typedef struct
{
  const gchar *what;
  const gchar *args[8];
  const gchar *named[3];        /* each must be in the message */
} BadCase;

static const BadCase bad_cases[] = {
  {"unknown-mode", {"--mode", "both", NULL}, {"--mode", "'both'", NULL}},
  {"recvonly-without-source", {"--mode", "recvonly", NULL},
      {"--mode recvonly", "--source", NULL}},
  {"source-not-found", {"--mode", "recvonly", "--source", "nosuchsrc", NULL},
      {"--source", "nosuchsrc", NULL}},
  {"source-bad-property", {"--mode", "recvonly", "--source",
          "videotestsrc pattern=banana", NULL}, {"--source", "banana", NULL}},
  {"source-takes-input", {"--mode", "recvonly", "--source", "videoconvert",
          NULL}, {"'videoconvert'", "no input", NULL}},
  {"source-takes-input-too", {"--mode", "recvonly", "--source",
          "videoconvert ! videoscale", NULL}, {"no input", NULL}},
  {"source-without-recvonly", {"--source", "videotestsrc", NULL},
      {"--source", "recvonly", NULL}},
  {"source-with-sendonly", {"--mode", "sendonly", "--source", "videotestsrc",
          NULL}, {"--source", "recvonly", NULL}},
  {"loop-without-recvonly", {"--loop", NULL}, {"--loop", "recvonly", NULL}},
  {"negative-time-limit", {"--time-limit", "-1", NULL}, {"--time-limit",
          NULL}},
  {"huge-time-limit", {"--time-limit", "2592001", NULL}, {"--time-limit",
          NULL}},
  {"word-time-limit", {"--time-limit", "soon", NULL}, {"time-limit", "soon",
          NULL}},
  {"record-in-missing", {"--record-in", "/nonexistent/rtfx", NULL},
      {"--record-in", "/nonexistent/rtfx", NULL}},
  {"record-out-a-file", {"--record-out", "/dev/null", NULL},
      {"--record-out", "/dev/null", NULL}},
  /* A folder nobody can create files in, root included. */
  {"record-in-unwritable", {"--record-in", "/proc", NULL},
      {"--record-in /proc", "cannot write", NULL}},
  {"record-in-recvonly", {"--mode", "recvonly", "--source", "videotestsrc",
          "--record-in", "/tmp", NULL}, {"--record-in", "recvonly", NULL}},
  {"record-out-sendonly", {"--mode", "sendonly", "--record-out", "/tmp",
          NULL}, {"--record-out", "sendonly", NULL}},
  {"turn-secret-without-turn", {"--turn-secret", "s3cret", NULL},
      {"--turn-secret", "--turn", NULL}},
  {"turn-secret-empty", {"--turn", "turn://127.0.0.1:3478", "--turn-secret",
          "", NULL}, {"--turn-secret", "non-empty", NULL}},
  {"turn-secret-and-password", {"--turn", "turn://u:p@127.0.0.1:3478",
          "--turn-secret", "s3cret", NULL}, {"--turn-secret", "USER:PASS", NULL}},
  {"turn-without-password", {"--turn", "turn://127.0.0.1:3478", NULL},
      {"--turn", "USER:PASS", NULL}},
  {"turn-ttl-without-secret", {"--turn-ttl", "60", NULL}, {"--turn-ttl",
          "--turn-secret", NULL}},
  {"turn-ttl-zero", {"--turn", "turn://127.0.0.1:3478", "--turn-secret", "s",
          "--turn-ttl", "0", NULL}, {"--turn-ttl", "1 to", NULL}},
  {"audio-chain-without-audio", {"--audio-chain", "identity", NULL},
      {"--audio-chain", "--audio ", NULL}},
  {"audio-preset-without-audio", {"--audio-preset", "edges=identity", NULL},
      {"--audio-preset", "--audio ", NULL}},
  {"audio-recvonly", {"--audio", "--mode", "recvonly", "--source",
          "videotestsrc", NULL}, {"--audio", "recvonly", NULL}},
  {"audio-chain-not-found", {"--audio", "--audio-chain", "nosuchfilter", NULL},
      {"--audio-chain", "nosuchfilter", NULL}},
  {"audio-chain-bad-property", {"--audio", "--audio-chain",
          "audioecho delay=banana", NULL}, {"--audio-chain", "banana", NULL}},
  {"audio-chain-of-video", {"--audio", "--audio-chain", "videoconvert", NULL},
      {"'videoconvert'", "raw audio", NULL}},
  {"audio-chain-no-output", {"--audio", "--audio-chain", "fakesink", NULL},
      {"'fakesink'", "audio output", NULL}},
  {"audio-preset-malformed", {"--audio", "--audio-preset", "identity", NULL},
      {"NAME=AUDIO_CHAIN", NULL}},
  {"audio-preset-unknown", {"--audio", "--audio-preset", "nosuch=identity",
          NULL}, {"--audio-preset", "'nosuch'", NULL}},
  {"audio-preset-bad-chain", {"--audio", "--audio-preset",
          "edges=audioecho delay=banana", NULL}, {"--audio-preset edges",
          "banana", NULL}},
  {"ice-timeout-zero", {"--ice-timeout", "0", NULL}, {"--ice-timeout",
          "from 1 to 60", NULL}},
  {"ice-timeout-huge", {"--ice-timeout", "61", NULL}, {"--ice-timeout",
          NULL}},
  {"ice-timeout-word", {"--ice-timeout", "soon", NULL}, {"ice-timeout",
          "soon", NULL}},
  {"playout-delay-negative", {"--playout-delay", "-10", NULL},
      {"--playout-delay", "from 0 to 40950", NULL}},
  {"playout-delay-too-long", {"--playout-delay", "40960", NULL},
      {"--playout-delay", NULL}},
  {"page-texts-missing", {"--page-texts", "/nonexistent/texts.json", NULL},
      {"--page-texts", "/nonexistent/texts.json", NULL}},
  {"video-size-no-x", {"--video-size", "640", NULL}, {"--video-size",
          "WIDTHxHEIGHT", NULL}},
  {"video-size-words", {"--video-size", "bigxsmall", NULL}, {"--video-size",
          NULL}},
  {"video-size-trailing", {"--video-size", "640x480p", NULL},
      {"--video-size", NULL}},
  {"video-size-negative", {"--video-size", "-640x480", NULL},
      {"--video-size", NULL}},
  {"video-size-too-small", {"--video-size", "15x480", NULL},
      {"--video-size", "from 16 to 4096", NULL}},
  {"video-size-too-large", {"--video-size", "640x4097", NULL},
      {"--video-size", "from 16 to 4096", NULL}},
  {"video-fps-zero", {"--video-fps", "0", NULL}, {"--video-fps", "1 to 60",
          NULL}},
  {"video-fps-too-high", {"--video-fps", "61", NULL}, {"--video-fps",
          NULL}},
  {"video-fps-word", {"--video-fps", "fast", NULL}, {"video-fps", "fast",
          NULL}},
};

/* --page-texts files that are not a JSON object of strings: refused with one line that names the
 * option, and what is wrong. */
typedef struct
{
  const gchar *what;
  const gchar *contents;
  const gchar *named;
} BadTexts;

static const BadTexts bad_texts[] = {
  {"not-json", "{\"button.start\": \"Démarrer\",", "Parse error"},
  {"a-list", "[\"Démarrer\"]", "JSON object"},
  {"a-number", "{\"button.start\": 1}", "\"button.start\" is not a string"},
  {"an-object", "{\"button.start\": {\"fr\": \"Démarrer\"}}",
      "\"button.start\" is not a string"},
  {"empty", "", "JSON object"},
};

static void
test_bad_page_texts (gconstpointer data)
{
  const BadTexts *c = data;
  g_autofree gchar *dir = g_dir_make_tmp ("rtfx-config-XXXXXX", NULL);
  g_autofree gchar *file = write_texts (dir, "texts.json", c->contents);
  const gchar *args[] = { "--page-texts", file, NULL };
  g_autoptr (GError) error = NULL;
  RtfxConfig config = { 0 };

  g_assert_false (parse (&config, args, &error));
  g_assert_null (strchr (error->message, '\n'));
  if (strstr (error->message, "--page-texts") == NULL ||
      strstr (error->message, c->named) == NULL)
    g_error ("'%s' does not name --page-texts and %s", error->message,
        c->named);
  rtfx_config_clear (&config);
  g_unlink (file);
  g_rmdir (dir);
}

static void
test_bad (gconstpointer data)
{
  const BadCase *c = data;
  g_autoptr (GError) error = NULL;
  RtfxConfig config = { 0 };

  g_assert_false (parse (&config, c->args, &error));
  g_assert_nonnull (error);
  g_assert_null (strchr (error->message, '\n'));
  for (guint i = 0; c->named[i]; i++)
    if (strstr (error->message, c->named[i]) == NULL)
      g_error ("'%s' does not name %s", error->message, c->named[i]);
  rtfx_config_clear (&config);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/config/mode/default", test_default_mode);
  g_test_add_func ("/config/mode/sendonly", test_sendonly);
  g_test_add_func ("/config/mode/recvonly", test_recvonly);
  g_test_add_func ("/config/record/dirs", test_record_dirs);
  g_test_add_func ("/config/video/defaults", test_video_defaults);
  g_test_add_data_func ("/config/mode/recvonly-file",
      "uridecodebin uri=file:///nonexistent/clip.webm",
      test_recvonly_dynamic_pads);
  g_test_add_func ("/config/audio/default", test_audio_default);
  g_test_add_func ("/config/audio/presets", test_audio_presets);
  g_test_add_func ("/config/turn-secret", test_turn_secret);
  for (guint i = 0; i < G_N_ELEMENTS (number_options); i++) {
    g_autofree gchar *path = g_strconcat ("/config/",
        number_options[i].option + 2, NULL);
    g_test_add_data_func (path, &number_options[i], test_number_option);
  }
  g_test_add_func ("/config/page-texts", test_page_texts);
  for (guint i = 0; i < G_N_ELEMENTS (bad_texts); i++) {
    g_autofree gchar *path = g_strconcat ("/config/refuse/page-texts-",
        bad_texts[i].what, NULL);
    g_test_add_data_func (path, &bad_texts[i], test_bad_page_texts);
  }
  g_test_add_data_func ("/config/mode/recvonly-rtsp",
      "rtspsrc location=rtsp://127.0.0.1:1/none ! decodebin",
      test_recvonly_dynamic_pads);
  for (guint i = 0; i < G_N_ELEMENTS (bad_cases); i++) {
    g_autofree gchar *path = g_strconcat ("/config/refuse/", bad_cases[i].what,
        NULL);
    g_test_add_data_func (path, &bad_cases[i], test_bad);
  }
  return g_test_run ();
}
