/* rtfx-launch: command-line options, start-up checks, and a graceful stop on SIGINT/SIGTERM.
 * A bad option or chain is a one-line message and exit status 2, before anything listens. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <glib-unix.h>
#include <gst/gst.h>
#include <locale.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "codec.h"
#include "controls.h"
#include "launch-config.h"
#include "netaddr.h"
#include "protocol.h"
#include "server.h"
#include "tls.h"

#define DEFAULT_CHAIN "rtfxlatest ! rtfxedges"
/* Offered to the page when no --preset is given: every rtfx filter, and nothing. */
static const gchar *default_presets[][2] = {
  {"passthrough", "identity"},
  {"edges", DEFAULT_CHAIN},
  {"overlay", "rtfxlatest ! rtfxedges mode=overlay"},
  {"cartoon", "rtfxlatest ! rtfxcartoon"},
  {"rotate", "rtfxlatest ! rtfxrotate speed=30"},
  {"faces", "rtfxlatest ! rtfxfacedetect"},
  /* A stand-in for an expensive model: what rtfxlatest is for. */
  {"slow-model", "rtfxlatest ! rtfxdelay delay-ms=200 ! rtfxedges"},
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
#define EXIT_USAGE 2
/* Sessions get this long to close their websockets, then pipelines this long to stop. */
#define CLOSE_GRACE_MS 200
#define TEARDOWN_LIMIT_US (1500 * G_TIME_SPAN_MILLISECOND)

/* Elements every session needs besides its codec's, and the Debian package that has each. */
static const RtfxElementNeed session_needs[] = {
  {"webrtcbin", "gstreamer1.0-plugins-bad"},
  {"dtlssrtpenc", "gstreamer1.0-plugins-bad"},
  {"nicesrc", "gstreamer1.0-nice"},
  {"videoconvert", "gstreamer1.0-plugins-base"},
  {NULL, NULL},
};

typedef struct
{
  GMainLoop *loop;
  RtfxServer *server;
  gboolean stopping;
} App;

static G_GNUC_NORETURN void
usage_error (const gchar * prgname, const gchar * message)
{
  g_printerr ("%s: %s\n", prgname, message);
  exit (EXIT_USAGE);
}

/* The elements of a session and of the first codec (the others are offered when installed). */
static gboolean
check_elements (GError ** error)
{
  return rtfx_elements_check (session_needs, error) &&
      rtfx_codec_check (rtfx_codecs[0], error);
}

/* Browsers give the camera only to pages from localhost or HTTPS: say so before someone tries. */
static void
warn_if_remote (const RtfxConfig * config)
{
  g_autoptr (GInetAddress) bind = g_inet_address_new_from_string (config->bind);

  if (!g_inet_address_get_is_loopback (bind))
    g_printerr ("rtfx-launch: warning: serving plain HTTP on %s: browsers on other machines "
        "will refuse the camera to this page (they allow it on localhost or HTTPS only)\n",
        config->bind);
}

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static gboolean
on_stop_signal (gpointer data)
{
  App *app = data;

  if (app->stopping) {
    g_printerr ("rtfx-launch: stopping at once\n");
    exit (1);
  }
  app->stopping = TRUE;
  g_print ("rtfx-launch: stopping\n");
  rtfx_server_shutdown (app->server);
  g_timeout_add (CLOSE_GRACE_MS, quit_loop, app->loop);
  return G_SOURCE_CONTINUE;
}

/* The presets from --preset NAME=CHAIN (or the defaults), and the one a session starts with: the
 * CHAIN argument's if given (added as "chain" when it is none of them), else the first. */
static void
set_presets (RtfxConfig * config, gchar ** presets, gchar ** chain_words)
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
      usage_error (g_get_prgname (), "--preset needs NAME=CHAIN, such as "
          "--preset edges='rtfxlatest ! rtfxedges'");
    if (g_ptr_array_find_with_equal_func (names, name, g_str_equal, NULL))
      usage_error (g_get_prgname (), "two presets have the same name");
    g_ptr_array_add (names, g_steal_pointer (&name));
    g_ptr_array_add (chains, g_strdup (eq + 1));
  }
  if (presets == NULL) {
    for (guint i = 0; i < G_N_ELEMENTS (default_presets); i++) {
      g_ptr_array_add (names, g_strdup (default_presets[i][0]));
      g_ptr_array_add (chains, g_strdup (default_presets[i][1]));
    }
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
}

/* The certificate of --tls-cert/--tls-key or --tls-self-signed, NULL for plain HTTP; or exit 2. */
static GTlsCertificate *
load_certificate (const gchar * cert, const gchar * key, gboolean self_signed)
{
  g_autoptr (GError) error = NULL;
  GTlsCertificate *certificate;

  if ((cert == NULL) != (key == NULL))
    usage_error (g_get_prgname (), "--tls-cert and --tls-key go together");
  if (cert != NULL && self_signed)
    usage_error (g_get_prgname (), "--tls-self-signed or --tls-cert, not both");
  if (cert == NULL && !self_signed)
    return NULL;
  certificate = self_signed ? rtfx_tls_self_signed (&error) :
      g_tls_certificate_new_from_files (cert, key, &error);
  if (certificate == NULL) {
    g_autofree gchar *message = g_strdup_printf ("TLS: %s", error->message);
    usage_error (g_get_prgname (), message);
  }
  return certificate;
}

/* "MIN-MAX", 1 <= MIN <= MAX <= 65535, or exit 2. */
static void
parse_port_range (const gchar * text, guint * min, guint * max)
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
  return;
bad:
  usage_error (g_get_prgname (), "--ice-ports needs MIN-MAX, two ports from 1 "
      "to 65535, such as 40000-40100");
}

/* Every preset must build, and every --control must name a property of some preset's chain. */
static void
check_chains (RtfxConfig * config)
{
  g_autoptr (GPtrArray) built = g_ptr_array_new_with_free_func
      (gst_object_unref);

  for (guint i = 0; config->preset_chains[i]; i++) {
    g_autoptr (GError) error = NULL;
    GstElement *chain = rtfx_chain_build (config->preset_chains[i], &error);

    if (chain == NULL) {
      g_autofree gchar *message = g_strdup_printf ("preset '%s': %s",
          config->preset_names[i], error->message);
      usage_error (g_get_prgname (), message);
    }
    g_ptr_array_add (built, chain);
  }
  for (gchar ** c = config->controls; c && *c; c++) {
    gboolean found = FALSE;

    for (guint i = 0; i < built->len && !found; i++)
      found = rtfx_controls_exists (g_ptr_array_index (built, i), *c);
    if (!found) {
      g_autofree gchar *message = g_strdup_printf ("--control %s: no chain has "
          "an element with that writable property (elements are named like "
          "rtfxedges, rtfxedges-2, or by name=)", *c);
      usage_error (g_get_prgname (), message);
    }
  }
}

/* An integer option and the range it must be in. */
typedef struct
{
  const gchar *option;
  gint value;
  gint min, max;
  guint *field;
} Limit;

/* Checks each limit and stores it in the config, or exits 2. */
static void
set_limits (Limit * limits, guint n)
{
  for (guint i = 0; i < n; i++) {
    if (limits[i].value < limits[i].min || limits[i].value > limits[i].max) {
      g_autofree gchar *message = g_strdup_printf ("%s must be from %d to %d",
          limits[i].option, limits[i].min, limits[i].max);
      usage_error (g_get_prgname (), message);
    }
    *limits[i].field = (guint) limits[i].value;
  }
}

static void
parse_options (int *argc, char ***argv, RtfxConfig * config)
{
  gint port = DEFAULT_PORT, max_sessions = 2 * (gint) g_get_num_processors ();
  gint latency = DEFAULT_LATENCY_MS;
  gboolean version = FALSE, no_auto_controls = FALSE;
  gchar **chain = NULL, **presets = NULL, *ice_ports = NULL;
  g_autofree gchar *tls_cert = NULL, *tls_key = NULL;
  gboolean tls_self_signed = FALSE;
  Limit limits[] = {
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
  };
  const GOptionEntry entries[] = {
    {"port", 'p', 0, G_OPTION_ARG_INT, &port,
        "TCP port to serve the page and signaling on (default 8080)", "PORT"},
    {"bind", 'b', 0, G_OPTION_ARG_STRING, &config->bind,
        "IP address to listen on (default 127.0.0.1)", "ADDR"},
    {"web-dir", 0, 0, G_OPTION_ARG_FILENAME, &config->web_dir,
        "Serve the page from DIR instead of the copy built in (for developing it)",
        "DIR"},
    {"max-sessions", 0, 0, G_OPTION_ARG_INT, &max_sessions,
        "Most browsers served at once (default: twice the number of cores)", "N"},
    {"latency", 0, 0, G_OPTION_ARG_INT, &latency,
        "Jitterbuffer latency in milliseconds (default 50)", "MS"},
    {"preset", 0, 0, G_OPTION_ARG_STRING_ARRAY, &presets,
        "A chain the page may switch to, by NAME (repeatable; default: passthrough, "
          "edges, overlay, cartoon, rotate, faces, slow-model)", "NAME=CHAIN"},
    {"control", 0, 0, G_OPTION_ARG_STRING_ARRAY, &config->controls,
        "Offer this property to the page too (repeatable)", "ELEMENT.PROPERTY"},
    {"no-auto-controls", 0, 0, G_OPTION_ARG_NONE, &no_auto_controls,
        "Offer only the --control properties, not every live-tunable one", NULL},
    {"ice-address", 0, 0, G_OPTION_ARG_STRING_ARRAY, &config->ice_addresses,
        "Offer media only on this local address (repeatable; default: every "
          "address of the machine)", "ADDR"},
    {"ice-ports", 0, 0, G_OPTION_ARG_STRING, &ice_ports,
        "Use only these local UDP ports for media", "MIN-MAX"},
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
          "(repeatable)", "URL"},
    {"token", 0, 0, G_OPTION_ARG_STRING, &config->token,
        "Serve only pages opened with ?token=SECRET", "SECRET"},
    {"allowed-origin", 0, 0, G_OPTION_ARG_STRING_ARRAY, &config->allowed_origins,
        "Let pages from ORIGIN (such as https://example.org) connect; repeatable "
          "(default: this server's own pages only)", "ORIGIN"},
    {"offer-timeout", 0, 0, G_OPTION_ARG_INT, &limits[0].value,
        "End a page that has not sent its offer this long after connecting "
          "(default 10)", "SECONDS"},
    {"peer-timeout", 0, 0, G_OPTION_ARG_INT, &limits[1].value,
        "End a session whose page answers no ping, or whose video stops, for "
          "this long (default 10)", "SECONDS"},
    {"handshake-timeout", 0, 0, G_OPTION_ARG_INT, &limits[2].value,
        "Close a connection that has not finished its TLS handshake and sent "
          "its request this long after connecting (default 10)", "SECONDS"},
    {"max-connections-per-address", 0, 0, G_OPTION_ARG_INT, &limits[3].value,
        "Most connections open at once from one IP address, 0 for no limit "
          "(default 32)", "N"},
    {"max-message-rate", 0, 0, G_OPTION_ARG_INT, &limits[4].value,
        "Most messages a second a page may send, 0 for no limit (default 50, "
          "bursts of twice that)", "N"},
    {"max-send-queue", 0, 0, G_OPTION_ARG_INT, &limits[5].value,
        "Disconnect a page that leaves more than this unread (default 1024)",
        "KIB"},
    {"version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit",
        NULL},
    {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &chain, NULL, NULL},
    {NULL}
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("[CHAIN]");
  g_autoptr (GError) error = NULL;
  g_autoptr (GInetAddress) bind = NULL;

  g_option_context_set_summary (context,
      "Serves a page that sends the browser's camera over WebRTC, runs CHAIN (gst-launch\n"
      "syntax, default \"" DEFAULT_CHAIN "\") on every frame, and sends the result back.");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_group (context, gst_init_get_option_group ());
  if (!g_option_context_parse (context, argc, argv, &error))
    usage_error (g_get_prgname (), error->message);
  if (version) {
    g_print ("rtfx-launch %s (%s)\n", VERSION,
        gst_version_string ());
    exit (0);
  }

  if (port < 1 || port > 65535)
    usage_error (g_get_prgname (), "--port must be between 1 and 65535");
  if (max_sessions < 1)
    usage_error (g_get_prgname (), "--max-sessions must be at least 1");
  if (latency < 0 || latency > 10000)
    usage_error (g_get_prgname (), "--latency must be between 0 and 10000 ms");
  if (config->bind == NULL)
    config->bind = g_strdup (DEFAULT_BIND);
  bind = g_inet_address_new_from_string (config->bind);
  if (bind == NULL)
    usage_error (g_get_prgname (), "--bind needs an IP address, such as "
        "127.0.0.1 or 0.0.0.0");
  if (config->web_dir != NULL) {
    g_autofree gchar *index = g_build_filename (config->web_dir, "index.html",
        NULL);
    if (!g_file_test (index, G_FILE_TEST_IS_REGULAR))
      usage_error (g_get_prgname (), "--web-dir needs a folder with an "
          "index.html");
  }
  config->port = (guint) port;
  config->max_sessions = (guint) max_sessions;
  set_limits (limits, G_N_ELEMENTS (limits));
  config->latency_ms = (guint) latency;
  for (gchar ** a = config->ice_addresses; a && *a; a++) {
    g_autoptr (GInetAddress) ice = g_inet_address_new_from_string (*a);
    if (ice == NULL)
      usage_error (g_get_prgname (), "--ice-address needs an IP address of "
          "this machine, such as 192.0.2.10");
  }
  config->tls = load_certificate (tls_cert, tls_key, tls_self_signed);
  config->ice_servers = rtfx_ice_servers_for_page (config->stun,
      (const gchar * const *) config->turns, &error);
  if (config->ice_servers == NULL)
    usage_error (g_get_prgname (), error->message);
  if (config->token != NULL && config->token[0] == '\0')
    usage_error (g_get_prgname (), "--token needs a non-empty secret");
  if (ice_ports != NULL)
    parse_port_range (ice_ports, &config->ice_min_port, &config->ice_max_port);
  g_free (ice_ports);
  config->auto_controls = !no_auto_controls;
  set_presets (config, presets, chain);
  g_strfreev (presets);
  g_strfreev (chain);
  check_chains (config);
}

int
main (int argc, char **argv)
{
  RtfxConfig config = { 0 };
  App app = { 0 };
  g_autoptr (GError) error = NULL;

  setlocale (LC_ALL, "");
  /* Every session runs a dozen threads; glibc gives threads up to 8 malloc arenas a core, and
   * memory freed into them stays there in pieces: the server grew by 0.5-2.6 MB a session without
   * leaking. One arena a core (and a trim when a session ends, session.c) keeps it level. */
  mallopt (M_ARENA_MAX, MAX (2, (gint) g_get_num_processors ()));
  g_set_prgname ("rtfx-launch");
  parse_options (&argc, &argv, &config);
  if (!check_elements (&error)) {
    g_printerr ("rtfx-launch: %s\n", error->message);
    return 1;
  }
  if (config.ice_addresses == NULL)
    config.ice_addresses = rtfx_local_addresses ();

  app.server = rtfx_server_new (&config, &error);
  if (app.server == NULL) {
    g_printerr ("rtfx-launch: %s\n", error->message);
    return 1;
  }
  app.loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, on_stop_signal, &app);
  g_unix_signal_add (SIGTERM, on_stop_signal, &app);

  g_print ("rtfx-launch %s: open %s://%s:%u/ (processing: %s)\n", VERSION,
      config.tls ? "https" : "http", config.bind, config.port, config.chain);
  if (config.tls != NULL) {
    g_autofree gchar *fingerprint = rtfx_tls_fingerprint (config.tls);
    g_print ("rtfx-launch: TLS certificate SHA-256 fingerprint %s\n",
        fingerprint);
  } else {
    warn_if_remote (&config);
  }
  fflush (stdout);              /* a log or a pipe should see this now, not at exit */
  g_main_loop_run (app.loop);

  if (!rtfx_server_wait_for_teardowns (app.server, TEARDOWN_LIMIT_US))
    g_printerr ("rtfx-launch: some session pipelines did not stop in time\n");
  rtfx_server_free (app.server);
  g_main_loop_unref (app.loop);
  g_strfreev (config.ice_addresses);
  g_free (config.chain);
  g_strfreev (config.preset_names);
  g_strfreev (config.preset_chains);
  g_strfreev (config.controls);
  g_free (config.token);
  g_clear_object (&config.tls);
  g_free (config.stun);
  g_strfreev (config.turns);
  json_node_unref (config.ice_servers);
  g_strfreev (config.allowed_origins);
  g_free (config.bind);
  g_free (config.web_dir);
  return 0;
}
