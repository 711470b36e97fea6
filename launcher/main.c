/* rtfx-launch: start-up (options from launch-config.c, the elements a session needs, the server) and
 * a graceful stop on SIGINT/SIGTERM. A bad option or chain is a one-line message and exit status 2,
 * before anything listens. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <glib-unix.h>
#include <gst/gst.h>
#include <locale.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>

#include "audio.h"
#include "codec.h"
#include "heap.h"
#include "launch-config.h"
#include "netaddr.h"
#include "server.h"
#include "tls.h"
#include "warmup.h"

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
  /* webrtcbin's data channels (the page opens one): SCTP, and appsrc and appsink inside each
   * channel; loading their plugins in the first session cost it 15-20 ms before its answer. */
  {"sctpenc", "gstreamer1.0-plugins-bad"},
  {"appsrc", "gstreamer1.0-plugins-base"},
  {NULL, NULL},
};

typedef struct
{
  GMainLoop *loop;
  RtfxServer *server;
  gboolean stopping;
} App;

/* What --record-in and --record-out write with (recorder.c). */
static const RtfxElementNeed recording_needs[] = {
  {"appsrc", "gstreamer1.0-plugins-base"},
  {"webmmux", "gstreamer1.0-plugins-good"},
  {"matroskamux", "gstreamer1.0-plugins-good"},
  {"h264parse", "gstreamer1.0-plugins-bad"},
  {"fdsink", "libgstreamer1.0-0"},
  {NULL, NULL},
};

/* The elements of a session, of the first codec (the others are offered when installed), of the
 * microphone's path and of recording when asked for. */
static gboolean
check_elements (const RtfxConfig * config, GError ** error)
{
  const gboolean recording = config->record_in_dir != NULL ||
      config->record_out_dir != NULL;

  return rtfx_elements_check (session_needs, error) &&
      rtfx_codec_check (rtfx_codecs[0], error) &&
      (!recording || rtfx_elements_check (recording_needs, error)) &&
      (!config->audio || rtfx_elements_check (rtfx_audio_needs, error));
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

int
main (int argc, char **argv)
{
  RtfxConfig config = { 0 };
  App app = { 0 };
  g_autoptr (GError) error = NULL;

  setlocale (LC_ALL, "");
  rtfx_heap_set_up ();
  /* OpenSSL (GStreamer's DTLS) frees its state in an atexit handler by default. Threads still run
   * then: GStreamer's idle streaming threads leave their pool about 0.5 s after a session stops,
   * and one leaving after that handler finds its thread-local OpenSSL state orphaned (LeakSanitizer
   * reported it at a SIGTERM soon after a session); a pipeline that did not stop in time would use
   * OpenSSL freed under it. Asked first, before GStreamer, OpenSSL registers no such handler. */
  OPENSSL_init_crypto (OPENSSL_INIT_NO_ATEXIT, NULL);
  /* A stopped session's streaming threads go back to GLib's pool, and all but two of them then
   * exit, half a second later: at a SIGTERM just after a session, while the process exits and
   * LeakSanitizer stops every thread to look for leaks, which crashes its tracer. Kept instead (up
   * to 15 s idle, GLib's limit), they are there for the next session, and exit at no set moment. */
  g_thread_pool_set_max_unused_threads (-1);
  g_set_prgname ("rtfx-launch");
  /* What the config holds so far is freed on every early exit: under ASan a leak there would turn
   * a bad option's exit 2 into LeakSanitizer's 1. */
  if (!rtfx_config_parse (&config, &argc, &argv, &error)) {
    g_printerr ("rtfx-launch: %s\n", error->message);
    rtfx_config_clear (&config);
    return EXIT_USAGE;
  }
  if (config.show_version) {
    g_autofree gchar *gst = gst_version_string ();

    g_print ("rtfx-launch %s (%s)\n", VERSION, gst);
    rtfx_config_clear (&config);
    return 0;
  }
  if (!check_elements (&config, &error)) {
    g_printerr ("rtfx-launch: %s\n", error->message);
    rtfx_config_clear (&config);
    return 1;
  }
  if (config.ice_addresses == NULL)
    config.ice_addresses = rtfx_local_addresses ();

  rtfx_warm_up (session_needs);
  rtfx_heap_reserve ();
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
  if (config.mode == RTFX_MODE_SENDONLY)
    g_print ("rtfx-launch: send-only: pages send their camera, nothing comes back\n");
  else if (config.mode == RTFX_MODE_RECVONLY)
    g_print ("rtfx-launch: receive-only: pages get %s%s\n", config.source,
        config.loop_source ? ", looped" : "");
  if (config.record_in_dir != NULL)
    g_print ("rtfx-launch: recording the video of each page in %s\n",
        config.record_in_dir);
  if (config.record_out_dir != NULL)
    g_print ("rtfx-launch: recording the video sent to each page in %s\n",
        config.record_out_dir);
  if (config.audio)
    g_print ("rtfx-launch: audio: pages send their microphone (processing: "
        "%s)\n", config.audio_chain);
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
  rtfx_config_clear (&config);
  return 0;
}
