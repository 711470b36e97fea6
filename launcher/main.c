/* rtfx-launch: command-line options, start-up checks, and a graceful stop on SIGINT/SIGTERM.
 * A bad option or chain is a one-line message and exit status 2, before anything listens. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <glib-unix.h>
#include <gst/gst.h>
#include <locale.h>
#include <stdlib.h>

#include "chain.h"
#include "launch-config.h"
#include "netaddr.h"
#include "server.h"
#include "session.h"

#define DEFAULT_CHAIN "rtfxlatest ! rtfxedges"
#define DEFAULT_PORT 8080
#define DEFAULT_BIND "127.0.0.1"
#define DEFAULT_LATENCY_MS 50
#define EXIT_USAGE 2
/* Sessions get this long to close their websockets, then pipelines this long to stop. */
#define CLOSE_GRACE_MS 200
#define TEARDOWN_LIMIT_US (1500 * G_TIME_SPAN_MILLISECOND)

/* Elements every session needs, and the Debian package that has each. */
static const struct
{
  const gchar *element;
  const gchar *package;
} required_elements[] = {
  {"webrtcbin", "gstreamer1.0-plugins-bad"},
  {"dtlssrtpenc", "gstreamer1.0-plugins-bad"},
  {"nicesrc", "gstreamer1.0-nice"},
  {"rtpvp8depay", "gstreamer1.0-plugins-good"},
  {"vp8dec", "gstreamer1.0-plugins-good"},
  {"vp8enc", "gstreamer1.0-plugins-good"},
  {"videoconvert", "gstreamer1.0-plugins-base"},
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

static gboolean
check_elements (GError ** error)
{
  for (guint i = 0; i < G_N_ELEMENTS (required_elements); i++) {
    g_autoptr (GstElementFactory) f =
        gst_element_factory_find (required_elements[i].element);
    if (f == NULL) {
      g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
          "the GStreamer element '%s' is missing (Debian package %s)",
          required_elements[i].element, required_elements[i].package);
      return FALSE;
    }
  }
  return TRUE;
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

static void
parse_options (int *argc, char ***argv, RtfxConfig * config)
{
  gint port = DEFAULT_PORT, max_sessions = 2 * (gint) g_get_num_processors ();
  gint latency = DEFAULT_LATENCY_MS;
  gboolean version = FALSE;
  gchar **chain = NULL;
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
    {"version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit",
        NULL},
    {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &chain, NULL, NULL},
    {NULL}
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("[CHAIN]");
  g_autoptr (GError) error = NULL;
  g_autoptr (GInetAddress) bind = NULL;
  g_autoptr (GstElement) checked = NULL;

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
  config->latency_ms = (guint) latency;
  config->chain = chain != NULL && chain[0] != NULL ?
      g_strjoinv (" ", chain) : g_strdup (DEFAULT_CHAIN);
  g_strfreev (chain);

  checked = rtfx_chain_build (config->chain, &error);
  if (checked == NULL)
    usage_error (g_get_prgname (), error->message);
}

int
main (int argc, char **argv)
{
  RtfxConfig config = { 0 };
  App app = { 0 };
  g_autoptr (GError) error = NULL;

  setlocale (LC_ALL, "");
  g_set_prgname ("rtfx-launch");
  parse_options (&argc, &argv, &config);
  if (!check_elements (&error)) {
    g_printerr ("rtfx-launch: %s\n", error->message);
    return 1;
  }
  config.ice_addresses = rtfx_local_addresses ();

  app.server = rtfx_server_new (&config, &error);
  if (app.server == NULL) {
    g_printerr ("rtfx-launch: %s\n", error->message);
    return 1;
  }
  app.loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, on_stop_signal, &app);
  g_unix_signal_add (SIGTERM, on_stop_signal, &app);

  g_print ("rtfx-launch %s: open http://%s:%u/ (processing: %s)\n", VERSION,
      config.bind, config.port, config.chain);
  g_main_loop_run (app.loop);

  if (!rtfx_session_wait_for_teardowns (TEARDOWN_LIMIT_US))
    g_printerr ("rtfx-launch: some session pipelines did not stop in time\n");
  rtfx_server_free (app.server);
  g_main_loop_unref (app.loop);
  g_strfreev (config.ice_addresses);
  g_free (config.chain);
  g_free (config.bind);
  g_free (config.web_dir);
  return 0;
}
