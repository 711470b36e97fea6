/* make bench, the encoder: what rtfx-launch's VP8 encoder (its codec table's, launcher/codec.c) costs
 * per 640x480 frame as the launcher sets it up, and with one setting changed at a time, on the camera
 * picture and on the edge picture rtfxedges makes of it, and the picture it gives for that: the mean
 * luma PSNR of the decoded frames against the encoder's input. The numbers behind the encoder
 * settings in docs/performance.md ("Low-latency defaults"); run it pinned to one core (the Makefile
 * does). Frames are timestamped at 25 fps, so a constant-bitrate encoder gets 1/25 s of bits per
 * frame. */
#include "benchlib.h"

#include <math.h>
#include <string.h>

#include "codec.h"

#define DEFAULT_INPUT "/usr/share/doc/opencv-doc/examples/data/vtest.avi"
#define FRAMES 150
#define PAYLOAD_TYPE 96

/* Properties set after the launcher's own (gst-launch sets them in order, the last one wins). In
 * libvpx's real-time mode (deadline=1) a positive cpu-used picks the speed by itself, aiming to spend
 * (16 - cpu-used)/16 of the time between frames; a negative one fixes the speed (-6 is what
 * Chromium's WebRTC uses on desktops, and aiortc; -12 what it uses on phones; the launcher's -16 is
 * libvpx's fastest). */
static const char *const changes[] = {
  "",
  "cpu-used=-6",
  "cpu-used=-12",
  "threads=2",
  "cpu-used=8",
  "threads=2 cpu-used=8",
  "cpu-used=4",
  "deadline=0",
  "target-bitrate=500000",
};

/* The length of a description's first element (the encoder, before its payloader). */
static gsize
first_element_length (const gchar * description)
{
  const char *bang = strstr (description, " ! ");

  return bang ? (gsize) (bang - description) : strlen (description);
}

/* The codec's encoder description with changed set on its first element. */
static gchar *
encoder_with (const gchar * encoder, const char *changed)
{
  gsize head = first_element_length (encoder);

  return g_strdup_printf ("%.*s %s%s", (int) head, encoder, changed,
      encoder + head);
}

/* Mean luma PSNR in dB of decoded against original, over the frames both have (a frame coded
 * without loss counts as 99 dB). */
static gdouble
mean_psnr (GPtrArray * original, GPtrArray * decoded)
{
  gdouble sum = 0;
  guint count = 0;

  for (guint i = 0; i < original->len && i < decoded->len; i++) {
    GBytes *a = g_ptr_array_index (original, i), *b = g_ptr_array_index (decoded, i);
    gsize size;
    const guint8 *pa, *pb;
    gdouble squares = 0;

    if (a == NULL || b == NULL || g_bytes_get_size (a) != g_bytes_get_size (b))
      continue;
    pa = g_bytes_get_data (a, &size);
    pb = g_bytes_get_data (b, NULL);
    for (gsize j = 0; j < size; j++)
      squares += (gdouble) (pa[j] - pb[j]) * (pa[j] - pb[j]);
    sum += squares == 0 ? 99.0 : 10.0 * log10 (255.0 * 255.0 * size / squares);
    count++;
  }
  return count ? sum / count : NAN;
}

/* What a picture costs the encoder and how it comes out. */
typedef struct
{
  gdouble ms;
  gdouble psnr;
} Coded;

/* before: what makes the picture from the camera's ("identity" or "rtfxedges"); original: its
 * frames' lumas; payloaded: the encoder and payloader, as the launcher links them. */
static Coded
code_picture (const gchar * before, GPtrArray * original,
    const gchar * payloaded, GPtrArray * frames, GstCaps * caps)
{
  g_autofree gchar *timed = g_strdup_printf ("%s ! %s", before, payloaded);
  /* The payloader is left out to decode what the encoder made. */
  g_autofree gchar *encoder = g_strndup (payloaded,
      first_element_length (payloaded));
  g_autofree gchar *decoded = g_strdup_printf ("%s ! %s ! vp8dec", before,
      encoder);
  g_autoptr (GPtrArray) lumas = NULL;
  Coded coded;

  /* A warm-up pass, then the timed one. */
  bench_run_chain (timed, frames, 15, caps, NULL, NULL);
  coded.ms = bench_run_chain (timed, frames, frames->len, caps, NULL, NULL);
  lumas = bench_chain_lumas (decoded, frames, frames->len, caps);
  coded.psnr = mean_psnr (original, lumas);
  return coded;
}

int
main (int argc, char **argv)
{
  const char *input = DEFAULT_INPUT;
  const RtfxCodec *vp8;
  const char *const *tried = changes;
  guint n_tried = G_N_ELEMENTS (changes);
  GstCaps *caps = NULL;
  GPtrArray *frames, *camera, *edges;
  g_autofree gchar *encoder = NULL;

  gst_init (&argc, &argv);
  if (argc > 1)
    input = argv[1];
  /* rtfx-bench-encoder [INPUT [CHANGE...]]: other changes than the table's, e.g. "cpu-used=-10". */
  if (argc > 2) {
    tried = (const char *const *) argv + 2;
    n_tried = argc - 2;
  }
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
  camera = bench_chain_lumas ("identity", frames, frames->len, caps);
  edges = bench_chain_lumas ("rtfxedges", frames, frames->len, caps);
  g_print ("rtfx-launch's VP8 encoder, %u frames 640x480 I420 decoded from %s: CPU ms per frame, "
      "and the decoded frames' mean luma PSNR against the encoder's input:\n  %s\n", FRAMES,
      input, encoder);
  g_print ("  %-32s %24s %24s\n", "", "camera picture", "edge picture");
  g_print ("  %-32s %12s %11s %12s %11s\n", "changed", "ms/frame", "PSNR dB",
      "ms/frame", "PSNR dB");
  for (guint i = 0; i < n_tried; i++) {
    g_autofree gchar *chain = encoder_with (encoder, tried[i]);
    Coded c = code_picture ("identity", camera, chain, frames, caps);
    Coded e = code_picture ("rtfxedges", edges, chain, frames, caps);

    g_print ("  %-32s %12.2f %11.2f %12.2f %11.2f\n",
        tried[i][0] ? tried[i] : "(as launched)", c.ms, c.psnr, e.ms, e.psnr);
  }

  g_ptr_array_unref (edges);
  g_ptr_array_unref (camera);
  g_ptr_array_unref (frames);
  gst_caps_unref (caps);
  return 0;
}
