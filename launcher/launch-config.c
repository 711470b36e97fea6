/* rtfx-launch's options: parsed from the command line, checked (every preset's chain is built once,
 * every --control must exist, every limit in range), and freed. Nothing else writes a config. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "launch-config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <string.h>
#include <unistd.h>

#include "audio.h"
#include "chain.h"
#include "controls.h"
#include "iceservers.h"
#include "pagetexts.h"
#include "source.h"
#include "tls.h"

#define DEFAULT_CHAIN "rtfxlatest ! rtfxedges"
#define DEFAULT_AUDIO_CHAIN "identity"
/* Offered to the page when no --preset is given: every rtfx filter, and nothing. */
static const gchar *default_presets[][2] = {
  {"passthrough", "identity"},
  {"edges", DEFAULT_CHAIN},
  {"overlay", "rtfxlatest ! rtfxedges mode=overlay"},
  {"cartoon", "rtfxlatest ! rtfxcartoon"},
  {"rotate", "rtfxlatest ! rtfxrotate speed=30"},
  {"faces", "rtfxlatest ! rtfxfacedetect max-rate=15"},
  /* A stand-in for an expensive model: what rtfxlatest is for. */
  {"slow-model", "rtfxlatest ! rtfxdelay delay-ms=200 ! rtfxedges"},
};
/* Python filters from examples/python (docs/tutorial-python.md), %s their directory. Offered when
 * rtfxpyfilter is registered and the script readable, else left out with a message; not built at
 * start-up, which would start Python (about 0.8 s and 90 MB) in every server, but when a page
 * picks one. */
#define PYTHON_PRESET_CHAIN \
  "rtfxlatest ! videoconvert ! rtfxpyfilter script=%s ! videoconvert"
static const gchar *default_python_presets[][2] = {
  {"py-edges", "edges.py"},
  {"py-qrcode", "qrcode.py"},
  /* Its analyze() at its own pace, in rtfxpyfilter's thread: the Python twin of "faces". */
  {"py-faces", "faces.py"},
};
#define DEFAULT_PORT 8080
#define DEFAULT_BIND "127.0.0.1"
#define DEFAULT_LATENCY_MS 50
#define DEFAULT_OFFER_TIMEOUT_S 10
#define DEFAULT_PEER_TIMEOUT_S 10
#define DEFAULT_HANDSHAKE_TIMEOUT_S 10
#define DEFAULT_MAX_CONNECTIONS_PER_ADDRESS 32
#define DEFAULT_MAX_MESSAGE_RATE 50
#define DEFAULT_MAX_SEND_QUEUE_KIB 1024
/* kbit/s. A start well below what a camera picture can use, which the feedback of the first
 * seconds raises (or lowers) to what the path carries; a ceiling past which 640x480 gains little. */
#define DEFAULT_MIN_BITRATE 150
#define DEFAULT_START_BITRATE 600
#define DEFAULT_MAX_BITRATE 2500
#define DEFAULT_TURN_TTL_S 3600
#define TURN_TTL_MAX_S (7 * 24 * 3600)
#define BITRATE_MIN 30
#define BITRATE_MAX 100000
#define TIME_LIMIT_MAX_S (30 * 24 * 3600)
/* The playout-delay extension's 12 bits of 10 ms. */
#define PLAYOUT_DELAY_MAX_MS 40950
/* libnice's own idle-timeout: the grace for late candidates once every check has failed. */
#define DEFAULT_ICE_TIMEOUT_S 5
#define ICE_TIMEOUT_MAX_S 60
/* The camera picture the page asks for by default: what processing is tuned for (640x480 keeps a
 * chain's per-frame work modest); the bounds are what cameras and browsers offer. */
#define DEFAULT_VIDEO_WIDTH 640
#define DEFAULT_VIDEO_HEIGHT 480
#define DEFAULT_VIDEO_FPS 30
#define VIDEO_SIDE_MIN 16
#define VIDEO_SIDE_MAX 4096
#define VIDEO_FPS_MAX 60

G_DEFINE_QUARK (rtfx-config-error-quark, rtfx_config_error)

static const gchar *mode_names[] = {
  [RTFX_MODE_SENDRECV] = "sendrecv",
  [RTFX_MODE_SENDONLY] = "sendonly",
  [RTFX_MODE_RECVONLY] = "recvonly",
};

const gchar *
rtfx_mode_name (RtfxMode mode)
{
  return mode_names[mode];
}

static gboolean
fail (GError ** error, const gchar * format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
fail (GError ** error, const gchar * format, ...)
{
  va_list args;

  va_start (args, format);
  g_propagate_error (error, g_error_new_valist (rtfx_config_error_quark (), 0,
          format, args));
  va_end (args);
  return FALSE;
}

/* examples/python: this source tree's when rtfx-launch runs from its build directory, else where
 * meson installed them; RTFX_EXAMPLES_DIR overrides both. */
static gchar *
python_examples_dir (void)
{
  const gchar *env = g_getenv ("RTFX_EXAMPLES_DIR");
  g_autofree gchar *exe = g_file_read_link ("/proc/self/exe", NULL);

  if (env != NULL && env[0] != '\0')
    return g_build_filename (env, "python", NULL);
  if (exe != NULL && g_str_has_prefix (exe, RTFX_BUILD_ROOT G_DIR_SEPARATOR_S))
    return g_build_filename (RTFX_SOURCE_ROOT, "examples", "python", NULL);
  return g_build_filename (RTFX_EXAMPLES_DIR, "python", NULL);
}

/* Returns how many it added. */
static guint
add_python_presets (GPtrArray * names, GPtrArray * chains)
{
  g_autofree gchar *dir = python_examples_dir ();
  g_autoptr (GstPluginFeature) element =
      gst_registry_lookup_feature (gst_registry_get (), "rtfxpyfilter");
  guint added = 0;

  for (guint i = 0; i < G_N_ELEMENTS (default_python_presets); i++) {
    g_autofree gchar *script = g_build_filename (dir,
        default_python_presets[i][1], NULL);

    if (element == NULL || g_access (script, R_OK) != 0) {
      g_message ("preset '%s' left out: %s", default_python_presets[i][0],
          element ? "its script cannot be read" : "no element rtfxpyfilter "
          "(package gstreamer1.0-python3-plugin-loader)");
      continue;
    }
    g_ptr_array_add (names, g_strdup (default_python_presets[i][0]));
    g_ptr_array_add (chains, g_strdup_printf (PYTHON_PRESET_CHAIN, script));
    added++;
  }
  return added;
}

/* The presets from --preset NAME=CHAIN (or the defaults), and the one a session starts with: the
 * CHAIN argument's if given (added as "chain" when it is none of them), else the first. */
static gboolean
set_presets (RtfxConfig * config, gchar ** presets, gchar ** chain_words,
    GError ** error)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) chains = g_ptr_array_new_with_free_func (g_free);
  g_autofree gchar *chain = chain_words && chain_words[0] ?
      g_strjoinv (" ", chain_words) : NULL;
  guint start = 0;

  for (gchar ** p = presets; p && *p; p++) {
    const gchar *eq = strchr (*p, '=');
    g_autofree gchar *name = eq ? g_strndup (*p, eq - *p) : NULL;

    if (name == NULL || name[0] == '\0' || eq[1] == '\0')
      return fail (error, "--preset needs NAME=CHAIN, such as "
          "--preset edges='rtfxlatest ! rtfxedges'");
    if (g_ptr_array_find_with_equal_func (names, name, g_str_equal, NULL))
      return fail (error, "two presets have the same name");
    g_ptr_array_add (names, g_steal_pointer (&name));
    g_ptr_array_add (chains, g_strdup (eq + 1));
  }
  if (presets == NULL) {
    for (guint i = 0; i < G_N_ELEMENTS (default_presets); i++) {
      g_ptr_array_add (names, g_strdup (default_presets[i][0]));
      g_ptr_array_add (chains, g_strdup (default_presets[i][1]));
    }
    config->unbuilt_presets = add_python_presets (names, chains);
    if (chain == NULL)
      chain = g_strdup (DEFAULT_CHAIN);
  }
  if (chain != NULL &&
      !g_ptr_array_find_with_equal_func (chains, chain, g_str_equal, &start)) {
    g_ptr_array_insert (names, 0, g_strdup ("chain"));
    g_ptr_array_insert (chains, 0, g_strdup (chain));
    start = 0;
  }
  g_ptr_array_add (names, NULL);
  g_ptr_array_add (chains, NULL);
  config->preset_names = (gchar **) g_ptr_array_steal (names, NULL);
  config->preset_chains = (gchar **) g_ptr_array_steal (chains, NULL);
  config->start_preset = start;
  config->chain = g_strdup (config->preset_chains[start]);
  return TRUE;
}

/* The certificate of --tls-cert/--tls-key or --tls-self-signed in config->tls (NULL for plain
 * HTTP). */
static gboolean
load_certificate (RtfxConfig * config, const gchar * cert, const gchar * key,
    gboolean self_signed, GError ** error)
{
  g_autoptr (GError) tls_error = NULL;

  if ((cert == NULL) != (key == NULL))
    return fail (error, "--tls-cert and --tls-key go together");
  if (cert != NULL && self_signed)
    return fail (error, "--tls-self-signed or --tls-cert, not both");
  if (cert == NULL && !self_signed)
    return TRUE;
  config->tls = self_signed ? rtfx_tls_self_signed (&tls_error) :
      g_tls_certificate_new_from_files (cert, key, &tls_error);
  if (config->tls == NULL)
    return fail (error, "TLS: %s", tls_error->message);
  return TRUE;
}

/* "MIN-MAX", 1 <= MIN <= MAX <= 65535. */
static gboolean
parse_port_range (const gchar * text, guint * min, guint * max,
    GError ** error)
{
  guint64 lo, hi;
  gchar *end;

  lo = g_ascii_strtoull (text, &end, 10);
  if (end == text || *end != '-')
    goto bad;
  text = end + 1;
  hi = g_ascii_strtoull (text, &end, 10);
  if (end == text || *end != '\0' || lo < 1 || lo > hi || hi > 65535)
    goto bad;
  *min = (guint) lo;
  *max = (guint) hi;
  return TRUE;
bad:
  return fail (error, "--ice-ports needs MIN-MAX, two ports from 1 "
      "to 65535, such as 40000-40100");
}

/* Every preset (but the default Python ones) must build and start (to READY), and every --control
 * must name a property of some preset's chain. */
static gboolean
check_chains (RtfxConfig * config, GError ** error)
{
  g_autoptr (GPtrArray) built = g_ptr_array_new_with_free_func
      (gst_object_unref);
  const guint n = g_strv_length (config->preset_chains) -
      config->unbuilt_presets;

  for (guint i = 0; i < n; i++) {
    g_autoptr (GError) chain_error = NULL;
    GstElement *chain = rtfx_chain_build (config->preset_chains[i],
        &chain_error);

    if (chain != NULL)
      g_ptr_array_add (built, chain);
    if (chain == NULL || !rtfx_chain_try_start (chain, &chain_error))
      return fail (error, "preset '%s': %s", config->preset_names[i],
          chain_error->message);
  }
  for (gchar ** c = config->controls; c && *c; c++) {
    gboolean found = FALSE;

    for (guint i = 0; i < built->len && !found; i++)
      found = rtfx_controls_exists (g_ptr_array_index (built, i), *c);
    if (!found)
      return fail (error, "--control %s: no chain has an element with that "
          "writable property (elements are named like rtfxedges, rtfxedges-2, "
          "or by name=)", *c);
  }
  return TRUE;
}

/* --mode by name; recvonly takes its video from --source, which must build, and only it does. */
static gboolean
set_mode (RtfxConfig * config, const gchar * mode, GError ** error)
{
  g_autoptr (GError) source_error = NULL;
  g_autoptr (GstElement) source = NULL;
  guint i;

  for (i = 0; mode != NULL && i < G_N_ELEMENTS (mode_names); i++)
    if (g_str_equal (mode, mode_names[i]))
      break;
  if (i == G_N_ELEMENTS (mode_names))
    return fail (error, "--mode must be sendrecv, sendonly or recvonly, not "
        "'%s'", mode);
  config->mode = mode != NULL ? (RtfxMode) i : RTFX_MODE_SENDRECV;
  if (config->mode != RTFX_MODE_RECVONLY)
    return config->source == NULL && !config->loop_source ? TRUE :
        fail (error, "--source and --loop are for --mode recvonly (the page "
        "then sends no camera)");
  if (config->source == NULL)
    return fail (error, "--mode recvonly needs --source, the video to send, "
        "such as --source 'videotestsrc is-live=true'");
  source = rtfx_source_build (config->source, &source_error);
  if (source == NULL)
    return fail (error, "--source: %s", source_error->message);
  return TRUE;
}

/* --record-in or --record-out (option) DIR, if given: a folder this process can create files in,
 * tried with a file made and removed (permissions do not tell it all: root, read-only mounts). */
static gboolean
check_record_dir (const gchar * option, const gchar * dir, GError ** error)
{
  g_autofree gchar *probe = NULL;
  gint fd, saved;

  if (dir == NULL)
    return TRUE;
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    return fail (error, "%s %s: no such folder", option, dir);
  probe = g_build_filename (dir, ".rtfx-write-test-XXXXXX", NULL);
  fd = g_mkstemp (probe);
  if (fd < 0) {
    saved = errno;
    return fail (error, "%s %s: cannot write there (%s)", option, dir,
        g_strerror (saved));
  }
  close (fd);
  g_unlink (probe);
  return TRUE;
}

/* What there is to record in config's mode: no page video in recvonly, none sent back in sendonly. */
static gboolean
check_recording (const RtfxConfig * config, GError ** error)
{
  if (config->record_in_dir != NULL && config->mode == RTFX_MODE_RECVONLY)
    return fail (error, "--record-in records the page's video, and in --mode "
        "recvonly the page sends none");
  if (config->record_out_dir != NULL && config->mode == RTFX_MODE_SENDONLY)
    return fail (error, "--record-out records the video sent back, and in "
        "--mode sendonly none is");
  return check_record_dir ("--record-in", config->record_in_dir, error) &&
      check_record_dir ("--record-out", config->record_out_dir, error);
}

/* --audio and its chains: --audio-chain for every preset, and --audio-preset NAME=CHAIN for the
 * preset NAME (one of set_presets'), each built, linked between raw audio and started once. */
static gboolean
set_audio (RtfxConfig * config, gchar ** audio_presets, GError ** error)
{
  g_autoptr (GError) chain_error = NULL;
  const guint n = g_strv_length (config->preset_names);

  if (!config->audio)
    return config->audio_chain == NULL && audio_presets == NULL ? TRUE :
        fail (error, "--audio-chain and --audio-preset are for --audio (the "
        "page's microphone)");
  if (config->mode == RTFX_MODE_RECVONLY)
    return fail (error, "--audio is for --mode sendrecv and sendonly: in "
        "recvonly the page sends no microphone (and --source's sound is not "
        "sent)");
  if (config->audio_chain == NULL)
    config->audio_chain = g_strdup (DEFAULT_AUDIO_CHAIN);
  if (!rtfx_audio_chain_check (config->audio_chain, &chain_error))
    return fail (error, "--audio-chain: %s", chain_error->message);
  config->preset_audio_chains = g_new0 (gchar *, n + 1);
  for (guint i = 0; i < n; i++)
    config->preset_audio_chains[i] = g_strdup (config->audio_chain);
  for (gchar ** p = audio_presets; p && *p; p++) {
    const gchar *eq = strchr (*p, '=');
    g_autofree gchar *name = eq ? g_strndup (*p, eq - *p) : NULL;
    gint preset;

    if (name == NULL || name[0] == '\0' || eq[1] == '\0')
      return fail (error, "--audio-preset needs NAME=AUDIO_CHAIN, such as "
          "--audio-preset edges='audioecho delay=250000000 intensity=0.5'");
    if ((preset = rtfx_config_find_preset (config, name)) < 0)
      return fail (error, "--audio-preset %s: there is no preset '%s' (name "
          "one of --preset's, or of the default presets)", name, name);
    if (!rtfx_audio_chain_check (eq + 1, &chain_error))
      return fail (error, "--audio-preset %s: %s", name, chain_error->message);
    g_free (config->preset_audio_chains[preset]);
    config->preset_audio_chains[preset] = g_strdup (eq + 1);
  }
  return TRUE;
}

/* The integer options with a range, by their place in parse's table. */
typedef enum
{
  LIMIT_OFFER_TIMEOUT,
  LIMIT_PEER_TIMEOUT,
  LIMIT_HANDSHAKE_TIMEOUT,
  LIMIT_CONNECTIONS_PER_ADDRESS,
  LIMIT_MESSAGE_RATE,
  LIMIT_SEND_QUEUE,
  LIMIT_MIN_BITRATE,
  LIMIT_START_BITRATE,
  LIMIT_MAX_BITRATE,
  LIMIT_TIME,
  LIMIT_ICE_TIMEOUT,
  LIMIT_VIDEO_FPS,
  LIMIT_PLAYOUT_DELAY,
} LimitIndex;

/* An integer option and the range it must be in. */
typedef struct
{
  const gchar *option;
  gint value;
  gint min, max;
  guint *field;
} Limit;

/* Checks each limit and stores it in the config. */
static gboolean
set_limits (Limit * limits, guint n, GError ** error)
{
  for (guint i = 0; i < n; i++) {
    if (limits[i].value < limits[i].min || limits[i].value > limits[i].max)
      return fail (error, "%s must be from %d to %d", limits[i].option,
          limits[i].min, limits[i].max);
    *limits[i].field = (guint) limits[i].value;
  }
  return TRUE;
}

/* --turn-secret and --turn-ttl (turn_ttl -1 when not given). */
static gboolean
set_turn_secret (RtfxConfig * config, gint turn_ttl, GError ** error)
{
  if (config->turn_secret == NULL)
    return turn_ttl == -1 ? TRUE : fail (error, "--turn-ttl is for the "
        "credentials --turn-secret makes: give that too");
  if (turn_ttl != -1 && (turn_ttl < 1 || turn_ttl > TURN_TTL_MAX_S))
    return fail (error, "--turn-ttl must be from 1 to %d seconds",
        TURN_TTL_MAX_S);
  config->turn_ttl_s = turn_ttl == -1 ? DEFAULT_TURN_TTL_S : (guint) turn_ttl;
  if (config->turn_secret[0] == '\0')
    return fail (error, "--turn-secret needs a non-empty secret");
  if (config->turns == NULL)
    return fail (error, "--turn-secret needs a --turn turn://HOST:PORT to "
        "make credentials for");
  return TRUE;
}

/* --video-size WIDTHxHEIGHT (or the default) into the config. */
static gboolean
set_video_size (RtfxConfig * config, const gchar * text, GError ** error)
{
  guint64 width, height;
  gchar *end;

  config->video.width = DEFAULT_VIDEO_WIDTH;
  config->video.height = DEFAULT_VIDEO_HEIGHT;
  if (text == NULL)
    return TRUE;
  width = g_ascii_strtoull (text, &end, 10);
  if (end == text || (*end != 'x' && *end != 'X'))
    goto bad;
  text = end + 1;
  height = g_ascii_strtoull (text, &end, 10);
  if (end == text || *end != '\0' || width < VIDEO_SIDE_MIN
      || width > VIDEO_SIDE_MAX || height < VIDEO_SIDE_MIN
      || height > VIDEO_SIDE_MAX)
    goto bad;
  config->video.width = (guint) width;
  config->video.height = (guint) height;
  return TRUE;
bad:
  return fail (error, "--video-size needs WIDTHxHEIGHT, each from %d to %d, "
      "such as 640x480", VIDEO_SIDE_MIN, VIDEO_SIDE_MAX);
}

/* Everything that needs more than a range check. */
static gboolean
check_addresses (RtfxConfig * config, GError ** error)
{
  g_autoptr (GInetAddress) bind = NULL;

  if (config->bind == NULL)
    config->bind = g_strdup (DEFAULT_BIND);
  bind = g_inet_address_new_from_string (config->bind);
  if (bind == NULL)
    return fail (error, "--bind needs an IP address, such as 127.0.0.1 or "
        "0.0.0.0");
  for (gchar ** a = config->ice_addresses; a && *a; a++) {
    g_autoptr (GInetAddress) ice = g_inet_address_new_from_string (*a);
    if (ice == NULL)
      return fail (error, "--ice-address needs an IP address of this "
          "machine, such as 192.0.2.10");
  }
  return TRUE;
}

/* A start outside the floor and ceiling moves to the nearer of the two. */
static gboolean
check_bitrates (RtfxConfig * config, GError ** error)
{
  if (config->min_bitrate_kbps > config->max_bitrate_kbps)
    return fail (error, "--min-bitrate must not be above --max-bitrate");
  config->start_bitrate_kbps = CLAMP (config->start_bitrate_kbps,
      config->min_bitrate_kbps, config->max_bitrate_kbps);
  return TRUE;
}

static gboolean
check_web_dir (const RtfxConfig * config, GError ** error)
{
  g_autofree gchar *index = NULL;

  if (config->web_dir == NULL)
    return TRUE;
  index = g_build_filename (config->web_dir, "index.html", NULL);
  if (!g_file_test (index, G_FILE_TEST_IS_REGULAR))
    return fail (error, "--web-dir needs a folder with an index.html");
  return TRUE;
}

gboolean
rtfx_config_parse (RtfxConfig * config, int *argc, char ***argv,
    GError ** error)
{
  gint port = DEFAULT_PORT, max_sessions = 2 * (gint) g_get_num_processors ();
  gint latency = DEFAULT_LATENCY_MS, turn_ttl = -1;
  gboolean no_auto_controls = FALSE, tls_self_signed = FALSE;
  g_auto (GStrv) chain = NULL, presets = NULL, audio_presets = NULL;
  g_autofree gchar *ice_ports = NULL, *tls_cert = NULL, *tls_key = NULL;
  g_autofree gchar *mode = NULL, *page_texts = NULL, *video_size = NULL;
  Limit limits[] = {
    /* in the order of LimitIndex */
    {"--offer-timeout", DEFAULT_OFFER_TIMEOUT_S, 1, 3600,
        &config->offer_timeout_s},
    {"--peer-timeout", DEFAULT_PEER_TIMEOUT_S, 2, 3600,
        &config->peer_timeout_s},
    {"--handshake-timeout", DEFAULT_HANDSHAKE_TIMEOUT_S, 1, 3600,
        &config->handshake_timeout_s},
    {"--max-connections-per-address", DEFAULT_MAX_CONNECTIONS_PER_ADDRESS, 0,
        100000, &config->max_connections_per_address},
    {"--max-message-rate", DEFAULT_MAX_MESSAGE_RATE, 0, 100000,
        &config->max_message_rate},
    {"--max-send-queue", DEFAULT_MAX_SEND_QUEUE_KIB, 16, 1024 * 1024,
        &config->max_send_queue_kib},
    {"--min-bitrate", DEFAULT_MIN_BITRATE, BITRATE_MIN, BITRATE_MAX,
        &config->min_bitrate_kbps},
    {"--start-bitrate", DEFAULT_START_BITRATE, BITRATE_MIN, BITRATE_MAX,
        &config->start_bitrate_kbps},
    {"--max-bitrate", DEFAULT_MAX_BITRATE, BITRATE_MIN, BITRATE_MAX,
        &config->max_bitrate_kbps},
    {"--time-limit", 0, 0, TIME_LIMIT_MAX_S, &config->time_limit_s},
    {"--ice-timeout", DEFAULT_ICE_TIMEOUT_S, 1, ICE_TIMEOUT_MAX_S,
        &config->ice_timeout_s},
    {"--video-fps", DEFAULT_VIDEO_FPS, 1, VIDEO_FPS_MAX, &config->video.fps},
    {"--playout-delay", 0, 0, PLAYOUT_DELAY_MAX_MS, &config->playout_delay_ms},
  };
  const GOptionEntry entries[] = {
    {"port", 'p', 0, G_OPTION_ARG_INT, &port,
        "TCP port to serve the page and signaling on (default 8080)", "PORT"},
    {"bind", 'b', 0, G_OPTION_ARG_STRING, &config->bind,
        "IP address to listen on (default 127.0.0.1)", "ADDR"},
    {"web-dir", 0, 0, G_OPTION_ARG_FILENAME, &config->web_dir,
        "Serve the page from DIR instead of the copy built in (for developing it)",
        "DIR"},
    {"page-texts", 0, 0, G_OPTION_ARG_FILENAME, &page_texts,
        "Show the page with these texts (a JSON object, key: text; keys it leaves "
          "out keep the page's own; docs/page-texts.md), such as a translation",
        "FILE.json"},
    {"max-sessions", 0, 0, G_OPTION_ARG_INT, &max_sessions,
        "Most browsers served at once (default: twice the number of cores)", "N"},
    {"latency", 0, 0, G_OPTION_ARG_INT, &latency,
        "Jitterbuffer latency in milliseconds (default 50)", "MS"},
    {"playout-delay", 0, 0, G_OPTION_ARG_INT,
          &limits[LIMIT_PLAYOUT_DELAY].value,
        "The most the browser may hold each processed frame before showing it, to "
          "smooth a jittery path (default 0: as soon as it is decoded; Chromium "
          "honours it, Firefox does not offer it; docs/performance.md)", "MS"},
    {"preset", 0, 0, G_OPTION_ARG_STRING_ARRAY, &presets,
        "A chain the page may switch to, by NAME (repeatable; default: passthrough, "
          "edges, overlay, cartoon, rotate, faces, slow-model, py-edges, py-qrcode, "
          "py-faces)",
        "NAME=CHAIN"},
    {"control", 0, 0, G_OPTION_ARG_STRING_ARRAY, &config->controls,
        "Offer this property to the page too (repeatable)", "ELEMENT.PROPERTY"},
    {"no-auto-controls", 0, 0, G_OPTION_ARG_NONE, &no_auto_controls,
        "Offer only the --control properties, not every live-tunable one", NULL},
    {"ice-address", 0, 0, G_OPTION_ARG_STRING_ARRAY, &config->ice_addresses,
        "Offer media only on this local address (repeatable; default: every "
          "address of the machine)", "ADDR"},
    {"ice-ports", 0, 0, G_OPTION_ARG_STRING, &ice_ports,
        "Use only these local UDP ports for media", "MIN-MAX"},
    {"ice-timeout", 0, 0, G_OPTION_ARG_INT, &limits[LIMIT_ICE_TIMEOUT].value,
        "Give up on the media path this long after the last connectivity check "
          "failed, and tell the page (default 5; a late candidate that comes "
          "after it is not tried; docs/deploy.md)", "SECONDS"},
    {"tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &tls_cert,
        "Serve HTTPS and WSS with this PEM certificate (with --tls-key)", "FILE"},
    {"tls-key", 0, 0, G_OPTION_ARG_FILENAME, &tls_key,
        "The certificate's PEM private key", "FILE"},
    {"tls-self-signed", 0, 0, G_OPTION_ARG_NONE, &tls_self_signed,
        "Serve HTTPS and WSS with a self-signed certificate made at start-up "
          "(its SHA-256 fingerprint is printed)", NULL},
    {"stun", 0, 0, G_OPTION_ARG_STRING, &config->stun,
        "STUN server for both ends, stun://HOST:PORT", "URL"},
    {"turn", 0, 0, G_OPTION_ARG_STRING_ARRAY, &config->turns,
        "TURN server for both ends, turn://USER:PASS@HOST:PORT or turns://… "
          "(repeatable; with --turn-secret, turn://HOST:PORT)", "URL"},
    {"turn-secret", 0, 0, G_OPTION_ARG_STRING, &config->turn_secret,
        "Give each session its own TURN credentials made from SECRET, the "
          "static-auth-secret of a coturn run with use-auth-secret, instead of a "
          "permanent password in the page", "SECRET"},
    {"turn-ttl", 0, 0, G_OPTION_ARG_INT, &turn_ttl,
        "How long the credentials --turn-secret makes are valid, from the page's "
          "connection (default 3600)", "SECONDS"},
    {"token", 0, 0, G_OPTION_ARG_STRING, &config->token,
        "Serve only pages opened with ?token=SECRET", "SECRET"},
    {"allowed-origin", 0, 0, G_OPTION_ARG_STRING_ARRAY, &config->allowed_origins,
        "Let pages from ORIGIN (such as https://example.org) connect; repeatable "
          "(default: this server's own pages only)", "ORIGIN"},
    {"offer-timeout", 0, 0, G_OPTION_ARG_INT, &limits[LIMIT_OFFER_TIMEOUT].value,
        "End a page that has not sent its offer this long after connecting "
          "(default 10)", "SECONDS"},
    {"peer-timeout", 0, 0, G_OPTION_ARG_INT, &limits[LIMIT_PEER_TIMEOUT].value,
        "End a session whose page answers no ping, or whose video stops, for "
          "this long (default 10)", "SECONDS"},
    {"handshake-timeout", 0, 0, G_OPTION_ARG_INT, &limits[LIMIT_HANDSHAKE_TIMEOUT].value,
        "Close a connection that has not finished its TLS handshake and sent "
          "its request this long after connecting (default 10)", "SECONDS"},
    {"max-connections-per-address", 0, 0, G_OPTION_ARG_INT, &limits[LIMIT_CONNECTIONS_PER_ADDRESS].value,
        "Most connections open at once from one IP address, 0 for no limit "
          "(default 32)", "N"},
    {"max-message-rate", 0, 0, G_OPTION_ARG_INT, &limits[LIMIT_MESSAGE_RATE].value,
        "Most messages a second a page may send, 0 for no limit (default 50, "
          "bursts of twice that)", "N"},
    {"max-send-queue", 0, 0, G_OPTION_ARG_INT, &limits[LIMIT_SEND_QUEUE].value,
        "Disconnect a page that leaves more than this unread (default 1024)",
        "KIB"},
    {"min-bitrate", 0, 0, G_OPTION_ARG_INT, &limits[LIMIT_MIN_BITRATE].value,
        "Never send video below this rate, however bad the path (default 150)",
        "KBIT/S"},
    {"start-bitrate", 0, 0, G_OPTION_ARG_INT, &limits[LIMIT_START_BITRATE].value,
        "Send video at this rate until the browser's feedback tells what the "
          "path carries, and ask the browser to start the camera's there too "
          "(default 600)", "KBIT/S"},
    {"max-bitrate", 0, 0, G_OPTION_ARG_INT, &limits[LIMIT_MAX_BITRATE].value,
        "Never send video above this rate, however good the path (default 2500)",
        "KBIT/S"},
    {"mode", 0, 0, G_OPTION_ARG_STRING, &mode,
        "Which way video goes, from the browser's side: sendrecv (camera to the "
          "server and back, the default), sendonly (camera to the server, nothing "
          "back but what the chain reports), recvonly (no camera: --source to the "
          "page)", "MODE"},
    {"source", 0, 0, G_OPTION_ARG_STRING, &config->source,
        "With --mode recvonly: the video each session sends, a gst-launch "
          "description such as 'videotestsrc is-live=true', 'uridecodebin "
          "uri=file:///…', 'rtspsrc location=… ! decodebin' or 'v4l2src'",
        "DESCRIPTION"},
    {"loop", 0, 0, G_OPTION_ARG_NONE, &config->loop_source,
        "Start --source again at its end (a file) instead of ending the session",
        NULL},
    {"time-limit", 0, 0, G_OPTION_ARG_INT, &limits[LIMIT_TIME].value,
        "End a session this long after its offer (its start), 0 for no limit "
          "(default 0)",
        "SECONDS"},
    {"record-in", 0, 0, G_OPTION_ARG_FILENAME, &config->record_in_dir,
        "Record the video (and sound, with --audio) each page sends, as it came "
          "(no new encoding), into a file per session in DIR (docs/recording.md)",
        "DIR"},
    {"record-out", 0, 0, G_OPTION_ARG_FILENAME, &config->record_out_dir,
        "Record the video (and sound) sent back to each page, as sent, into a "
          "file per session in DIR", "DIR"},
    {"audio", 0, 0, G_OPTION_ARG_NONE, &config->audio,
        "The page sends its microphone too (Opus); the server runs it through "
          "--audio-chain and, in sendrecv, sends it back with the video, and "
          "shows the page the level it hears (sendrecv and sendonly)", NULL},
    {"audio-chain", 0, 0, G_OPTION_ARG_STRING, &config->audio_chain,
        "With --audio: what the microphone goes through, a gst-launch "
          "description of raw audio in and out (default identity), such as "
          "'audioecho delay=250000000 intensity=0.5' or 'pitch pitch=1.5'",
        "DESCRIPTION"},
    {"audio-preset", 0, 0, G_OPTION_ARG_STRING_ARRAY, &audio_presets,
        "With --audio: the preset NAME's own audio chain, in force while the "
          "page has that preset (repeatable; the others take --audio-chain)",
        "NAME=AUDIO_CHAIN"},
    {"video-size", 0, 0, G_OPTION_ARG_STRING, &video_size,
        "The camera picture the page asks for until the person picks another "
          "(default 640x480)", "WIDTHxHEIGHT"},
    {"video-fps", 0, 0, G_OPTION_ARG_INT, &limits[LIMIT_VIDEO_FPS].value,
        "The camera frame rate the page asks for until the person picks "
          "another (default 30)", "N"},
    {"version", 0, 0, G_OPTION_ARG_NONE, &config->show_version,
        "Print the version and exit", NULL},
    {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &chain, NULL, NULL},
    {NULL}
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("[CHAIN]");

  g_option_context_set_summary (context,
      "Serves a page that sends the browser's camera over WebRTC, runs CHAIN (gst-launch\n"
      "syntax, default \"" DEFAULT_CHAIN "\") on every frame, and sends the result back.\n"
      "--mode sendonly sends nothing back; --mode recvonly runs CHAIN on --source instead\n"
      "of a camera. --record-in and --record-out keep a file of each session's video;\n"
      "--audio adds the microphone, through --audio-chain, and back.");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_group (context, gst_init_get_option_group ());
  if (!g_option_context_parse (context, argc, argv, error))
    return FALSE;
  if (config->show_version)
    return TRUE;

  if (port < 1 || port > 65535)
    return fail (error, "--port must be between 1 and 65535");
  if (max_sessions < 1)
    return fail (error, "--max-sessions must be at least 1");
  if (latency < 0 || latency > 10000)
    return fail (error, "--latency must be between 0 and 10000 ms");
  config->port = (guint) port;
  config->max_sessions = (guint) max_sessions;
  config->latency_ms = (guint) latency;
  config->auto_controls = !no_auto_controls;
  if (config->token != NULL && config->token[0] == '\0')
    return fail (error, "--token needs a non-empty secret");
  if (!set_limits (limits, G_N_ELEMENTS (limits), error) ||
      !set_video_size (config, video_size, error) ||
      !check_bitrates (config, error) ||
      !check_addresses (config, error) || !check_web_dir (config, error) ||
      (page_texts != NULL &&
          !(config->page_texts = rtfx_page_texts_load (page_texts, error))) ||
      !load_certificate (config, tls_cert, tls_key, tls_self_signed, error) ||
      (ice_ports != NULL && !parse_port_range (ice_ports,
              &config->ice_min_port, &config->ice_max_port, error)))
    return FALSE;
  if (!set_turn_secret (config, turn_ttl, error))
    return FALSE;
  config->ice_servers = rtfx_ice_servers_for_page (config->stun,
      (const gchar * const *) config->turns, config->turn_secret != NULL,
      error);
  if (config->ice_servers == NULL)
    return FALSE;
  return set_mode (config, mode, error) &&
      check_recording (config, error) &&
      set_presets (config, presets, chain, error) &&
      set_audio (config, audio_presets, error) && check_chains (config, error);
}

gint
rtfx_config_find_preset (const RtfxConfig * config, const gchar * name)
{
  for (guint i = 0; config->preset_names[i]; i++)
    if (g_str_equal (config->preset_names[i], name))
      return (gint) i;
  return -1;
}

void
rtfx_config_clear (RtfxConfig * config)
{
  g_strfreev (config->ice_addresses);
  g_free (config->chain);
  g_strfreev (config->preset_names);
  g_strfreev (config->preset_chains);
  g_strfreev (config->controls);
  g_free (config->token);
  g_clear_object (&config->tls);
  g_free (config->stun);
  g_strfreev (config->turns);
  g_free (config->turn_secret);
  g_clear_pointer (&config->ice_servers, json_node_unref);
  g_strfreev (config->allowed_origins);
  g_free (config->bind);
  g_free (config->web_dir);
  g_clear_pointer (&config->page_texts, json_object_unref);
  g_free (config->source);
  g_free (config->record_in_dir);
  g_free (config->record_out_dir);
  g_free (config->audio_chain);
  g_strfreev (config->preset_audio_chains);
  memset (config, 0, sizeof (*config));
}
