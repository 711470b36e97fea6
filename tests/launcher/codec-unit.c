/* Unit tests for launcher/codec.c's playout delay: the encoder bin of each codec this machine has
 * puts webrtc.org's playout-delay extension on every packet, with --playout-delay as its largest
 * delay, once the caps downstream name the extension (as webrtcbin's do when the answer takes it),
 * and sends no extension when they do not. Real encoders and payloaders, the rtfx plugin's
 * rtfxhdrextplayoutdelay; no network.
 *
 *   codec-unit [--tap]   (GST_PLUGIN_PATH_1_0 must lead to the rtfx plugin) */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstharness.h>
#include <gst/rtp/rtp.h>

#include "codec.h"

#define PT 96
#define EXT_ID 5
#define FRAMES 3

typedef struct
{
  const RtfxCodec *codec;
  guint max_delay_ms;
  gboolean offered;             /* the caps downstream name the extension */
} Case;

/* The extension's bytes in the first packet, in *data; FALSE when it has none. */
static gboolean
first_packet_extension (const Case * c, guint8 data[3])
{
  g_autofree gchar *encoder = g_strdup_printf (c->codec->encoder, PT);
  g_autofree gchar *downstream = g_strdup_printf ("application/x-rtp%s",
      c->offered ? ",extmap-5=(string)" RTFX_PLAYOUT_DELAY_URI : "");
  g_autoptr (GstElement) bin = rtfx_codec_make_encoder (c->codec, PT, 500000,
      NULL);
  GstHarness *h;
  GstBuffer *packet;
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  gpointer ext;
  guint size;
  gboolean found;

  g_assert_nonnull (bin);
  rtfx_codec_set_playout_delay (bin, c->max_delay_ms);
  h = gst_harness_new_with_element (bin, "sink", "src");
  gst_harness_set_sink_caps_str (h, downstream);
  gst_harness_add_src_parse (h, "videotestsrc ! capsfilter "
      "caps=video/x-raw,format=I420,width=64,height=48,framerate=30/1", FALSE);
  for (guint i = 0; i < FRAMES; i++)
    gst_harness_push_from_src (h);
  packet = gst_harness_pull (h);
  g_assert_nonnull (packet);
  g_assert_true (gst_rtp_buffer_map (packet, GST_MAP_READ, &rtp));
  found = gst_rtp_buffer_get_extension_onebyte_header (&rtp, EXT_ID, 0, &ext,
      &size);
  if (found) {
    g_assert_cmpuint (size, ==, 3);
    memcpy (data, ext, 3);
  }
  gst_rtp_buffer_unmap (&rtp);
  gst_buffer_unref (packet);
  gst_harness_teardown (h);
  return found;
}

static void
test_playout_delay (gconstpointer data)
{
  const Case *c = data;
  const guint units = c->max_delay_ms / 10;
  guint8 ext[3];

  if (!rtfx_codec_usable (c->codec)) {
    g_test_skip ("this codec's elements are not installed");
    return;
  }
  if (!c->offered) {
    g_assert_false (first_packet_extension (c, ext));
    return;
  }
  g_assert_true (first_packet_extension (c, ext));
  /* smallest 0, largest max_delay_ms, 12 bits each in 10 ms units */
  g_assert_cmpuint (ext[0], ==, 0);
  g_assert_cmpuint (ext[1], ==, units >> 8);
  g_assert_cmpuint (ext[2], ==, units & 0xff);
}

int
main (int argc, char **argv)
{
  g_autoptr (GArray) cases = g_array_new (FALSE, FALSE, sizeof (Case));

  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  for (const RtfxCodec * const *codec = rtfx_codecs; *codec; codec++) {
    const Case these[] = {
      {*codec, 0, TRUE}, {*codec, 1230, TRUE}, {*codec, 0, FALSE},
    };
    g_array_append_vals (cases, these, G_N_ELEMENTS (these));
  }
  /* The array is complete: its cases do not move any more. */
  for (guint i = 0; i < cases->len; i++) {
    const Case *c = &g_array_index (cases, Case, i);
    g_autofree gchar *path = g_strdup_printf ("/codec/%s/playout-delay-%s",
        c->codec->encoding_name, !c->offered ? "not-offered" :
        c->max_delay_ms ? "1230" : "0");
    g_test_add_data_func (path, c, test_playout_delay);
  }
  return g_test_run ();
}
