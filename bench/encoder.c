/* make bench, the encoder: what rtfx-launch's VP8 encoder (its codec table's, launcher/codec.c) costs
 * per 640x480 frame as the launcher sets it up, and with one setting changed at a time, on the camera
 * picture and on the edge picture rtfxedges makes of it. The numbers behind the encoder settings in
 * docs/performance.md ("Low-latency defaults"); run it pinned to one core (the Makefile does).
 * Frames are timestamped at 25 fps, so a constant-bitrate encoder gets 1/25 s of bits per frame. */
#include "benchlib.h"

#include <string.h>

#include "codec.h"

#define DEFAULT_INPUT "/usr/share/doc/opencv-doc/examples/data/vtest.avi"
#define FRAMES 150
#define PAYLOAD_TYPE 96

/* Properties set after the launcher's own (gst-launch sets them in order, the last one wins). In
 * libvpx's real-time mode (deadline=1) a positive cpu-used picks the speed by itself, aiming to spend
 * (16 - cpu-used)/16 of the time between frames; a negative one fixes the speed (-6 is what
 * Chromium's WebRTC and aiortc use). */
static const char *const changes[] = {
  "",
  "threads=2",
  "cpu-used=8",
  "threads=2 cpu-used=8",
  "cpu-used=4",
  "cpu-used=-16",
  "deadline=0",
  "target-bitrate=500000",
};

/* The codec's encoder description with changed set on its first element. */
static gchar *
encoder_with (const gchar * encoder, const char *changed)
{
  const char *bang = strstr (encoder, " ! ");
  gsize head = bang ? (gsize) (bang - encoder) : strlen (encoder);

  return g_strdup_printf ("%.*s %s%s", (int) head, encoder, changed,
      encoder + head);
}

int
main (int argc, char **argv)
{
  const char *input = DEFAULT_INPUT;
  const RtfxCodec *vp8;
  GstCaps *caps = NULL;
  GPtrArray *frames;
  g_autofree gchar *encoder = NULL;

  gst_init (&argc, &argv);
  if (argc > 1)
    input = argv[1];
  vp8 = rtfx_codec_find ("VP8");
  if (vp8 == NULL) {
    g_printerr ("error: rtfx-launch has no VP8 encoder\n");
    return 1;
  }
  {
    /* The launcher sets the rate apart from the description; 2 Mbit/s, its old fixed rate. */
    g_autofree gchar *desc = g_strdup_printf (vp8->encoder, PAYLOAD_TYPE);
    encoder = encoder_with (desc, "target-bitrate=2000000");
  }

  frames = bench_decode_frames (input, FRAMES, 640, 480, &caps);
  g_print ("rtfx-launch's VP8 encoder, %u frames 640x480 I420 decoded from %s, CPU ms per frame:\n"
      "  %s\n", FRAMES, input, encoder);
  g_print ("  %-32s %14s %14s\n", "changed", "camera picture", "edge picture");
  for (guint i = 0; i < G_N_ELEMENTS (changes); i++) {
    g_autofree gchar *chain = encoder_with (encoder, changes[i]);
    g_autofree gchar *edges = g_strdup_printf ("rtfxedges ! %s", chain);
    gdouble ms[2];

    /* A warm-up pass of each, then the timed one. */
    bench_run_chain (chain, frames, 15, caps, NULL, NULL);
    ms[0] = bench_run_chain (chain, frames, frames->len, caps, NULL, NULL);
    bench_run_chain (edges, frames, 15, caps, NULL, NULL);
    ms[1] = bench_run_chain (edges, frames, frames->len, caps, NULL, NULL);
    g_print ("  %-32s %14.2f %14.2f\n", changes[i][0] ? changes[i] : "(as launched)",
        ms[0], ms[1]);
  }

  g_ptr_array_unref (frames);
  gst_caps_unref (caps);
  return 0;
}
