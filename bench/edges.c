/* make bench, edge detection: the same decoded 1280x720 I420 frames, held in memory, go through rtfxedges
 * and through the OpenCV path GStreamer users have today, in one run, and the milliseconds per frame of
 * each are printed with their ratio. Run it pinned to one core (the Makefile does) for the one-core
 * comparison the performance target is about. */
#include "benchlib.h"

#define DEFAULT_INPUT "/usr/share/doc/opencv-doc/examples/data/vtest.avi"

typedef struct
{
  const char *name;
  const char *chain;
} Contender;

/* Pairs: each rtfx chain is followed by the OpenCV chain that produces the same kind of picture. */
static const Contender contenders[] = {
  {"rtfxedges mode=edges",
      "rtfxedges low-threshold=100 high-threshold=200"},
  {"OpenCV edgedetect mask=false",
        "videoconvert ! video/x-raw,format=RGB ! edgedetect threshold1=100 threshold2=200 "
        "aperture=3 mask=false ! videoconvert ! video/x-raw,format=I420"},
  {"rtfxedges mode=overlay",
      "rtfxedges low-threshold=100 high-threshold=200 mode=overlay"},
  {"OpenCV edgedetect mask=true",
        "videoconvert ! video/x-raw,format=RGB ! edgedetect threshold1=100 threshold2=200 "
        "aperture=3 mask=true ! videoconvert ! video/x-raw,format=I420"},
};

int
main (int argc, char **argv)
{
  const char *input = DEFAULT_INPUT;
  guint count = 300;
  GstCaps *caps = NULL;
  GPtrArray *frames;
  gdouble ms[G_N_ELEMENTS (contenders)];

  gst_init (&argc, &argv);
  if (argc > 1)
    input = argv[1];

  frames = bench_decode_frames (input, count, 1280, 720, &caps);
  /* Warm-up, so neither side pays for first-use page faults and plugin loading. */
  for (guint i = 0; i < G_N_ELEMENTS (contenders); i++)
    bench_run_chain (contenders[i].chain, frames, frames->len, caps, NULL, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (contenders); i++)
    ms[i] = bench_run_chain (contenders[i].chain, frames, frames->len, caps,
        NULL, NULL);

  g_print ("Edge detection, %u frames 1280x720 I420 decoded from %s, CPU ms per frame:\n",
      count, input);
  for (guint i = 0; i < G_N_ELEMENTS (contenders); i += 2)
    g_print ("  %-30s %7.2f ms\n  %-30s %7.2f ms\n  ratio (OpenCV / rtfx)         %7.2fx\n",
        contenders[i].name, ms[i], contenders[i + 1].name, ms[i + 1],
        ms[i + 1] / ms[i]);

  g_ptr_array_unref (frames);
  gst_caps_unref (caps);
  return 0;
}
