/* Start-up work off the first session's path: see warmup.h. */
#include "warmup.h"

static void
make_one (const gchar * factory)
{
  GstElement *element = gst_element_factory_make (factory, NULL);

  if (element != NULL)
    gst_object_unref (gst_object_ref_sink (element));
}

static void
make_each (const RtfxElementNeed * needs)
{
  for (const RtfxElementNeed * n = needs; n->factory; n++)
    make_one (n->factory);
}

/* A frame through the codec's encoder and decoder: the first of a process otherwise spends 20-40 ms
 * setting them up (libvpx's tables, code paged in) while the first session waits for its picture. */
static void
run_codec_once (const RtfxCodec * codec)
{
  g_autofree gchar *encoder = g_strdup_printf (codec->encoder, 96);
  g_autofree gchar *desc = g_strdup_printf ("videotestsrc num-buffers=2 ! "
      "video/x-raw,format=I420,width=640,height=480,framerate=30/1 ! %s ! %s ! "
      "fakesink", encoder, codec->decoder);
  g_autoptr (GstElement) pipeline = gst_parse_launch (desc, NULL);
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GstMessage) end = NULL;

  if (pipeline == NULL)
    return;
  bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  /* Bounded: a warm-up that cannot finish only leaves the first session as slow as before. */
  end = gst_bus_timed_pop_filtered (bus, 2 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  gst_element_set_state (pipeline, GST_STATE_NULL);
}

/* Before the server listens, not on a thread of its own while it already does: such a thread still
 * making the key when a SIGTERM soon after start ran exit(), which tears OpenSSL down, crashed;
 * joining it instead held the exit back for as long as the key took. */
void
rtfx_warm_up (const RtfxElementNeed * session_needs)
{
  const gint64 start = g_get_monotonic_time ();

  /* The first dtlsdec of a process makes its certificate, and every later one, in every session's
   * webrtcbin, shares it (gst-plugins-bad 1.22, ext/dtls/gstdtlsdec.c): an RSA key, which took the
   * first session 0.2 s to over 2 s on a busy core of this machine. */
  make_one ("dtlsdec");
  /* Loading a plugin, the first time one of its elements is made, took the first session another
   * 0.1-0.2 s (webrtcbin, srtp, nice, the codecs). */
  make_each (session_needs);
  for (const RtfxCodec * const *c = rtfx_codecs; *c; c++) {
    if (!rtfx_codec_usable (*c))
      continue;
    make_each ((*c)->needs);
    run_codec_once (*c);
  }
  g_message ("warmed up in %.0f ms: the DTLS certificate is made, the plugins "
      "of a session are loaded and each codec has coded a frame",
      (g_get_monotonic_time () - start) / 1000.0);
}
