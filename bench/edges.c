/* make bench, edge detection: the same decoded 1280x720 I420 frames, held in memory, go through rtfxedges
 * and through the OpenCV path GStreamer users have today, in one run, and the milliseconds per frame of
 * each are printed with their ratio. Run it pinned to one core (the Makefile does) for the one-core
 * comparison the performance target is about. */
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <stdlib.h>
#include <sys/resource.h>

#define DEFAULT_INPUT "/usr/share/doc/opencv-doc/examples/data/vtest.avi"
#define WAIT_LIMIT (120 * GST_SECOND)

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

static gboolean
wait_for_eos (GstElement * pipeline)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, WAIT_LIMIT,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  gboolean ok = msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS;

  if (msg != NULL && !ok) {
    GError *err = NULL;
    gst_message_parse_error (msg, &err, NULL);
    g_printerr ("error: %s\n", err->message);
    g_error_free (err);
  } else if (msg == NULL) {
    g_printerr ("error: no EOS after %" GST_TIME_FORMAT "\n",
        GST_TIME_ARGS (WAIT_LIMIT));
  }
  gst_clear_message (&msg);
  gst_object_unref (bus);
  return ok;
}

static GPtrArray *
decode_frames (const char *input, guint count, GstCaps ** caps)
{
  g_autofree gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! decodebin ! "
      "videoconvert ! videoscale ! video/x-raw,format=I420,width=1280,height=720 ! "
      "appsink name=sink sync=false", input);
  GError *err = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &err);
  GPtrArray *frames = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_buffer_unref);
  GstElement *sink;

  if (pipeline == NULL) {
    g_printerr ("error: %s\n", err->message);
    exit (1);
  }
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  while (frames->len < count) {
    GstSample *sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink),
        WAIT_LIMIT);
    if (sample == NULL)
      break;
    if (*caps == NULL)
      *caps = gst_caps_ref (gst_sample_get_caps (sample));
    /* A deep copy, so no frame shares memory with the decoder's pool. */
    g_ptr_array_add (frames, gst_buffer_copy_deep (gst_sample_get_buffer (sample)));
    gst_sample_unref (sample);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  if (frames->len < count) {
    g_printerr ("error: %s gave %u frames, %u wanted\n", input, frames->len,
        count);
    exit (1);
  }
  return frames;
}

static gdouble
cpu_seconds (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
      (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Milliseconds of CPU per frame that the chain spends on all the frames. */
static gdouble
run_chain (const char *chain, GPtrArray * frames, GstCaps * caps)
{
  g_autofree gchar *desc = g_strdup_printf ("appsrc name=src format=time ! %s ! "
      "fakesink sync=false", chain);
  GError *err = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &err);
  GstElement *src;
  gdouble start;
  gboolean ok;

  if (pipeline == NULL) {
    g_printerr ("error: %s: %s\n", chain, err->message);
    exit (1);
  }
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  g_object_set (src, "caps", caps, "max-bytes", (guint64) 0, "block", FALSE,
      NULL);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  start = cpu_seconds ();
  for (guint i = 0; i < frames->len; i++)
    gst_app_src_push_buffer (GST_APP_SRC (src),
        gst_buffer_ref (g_ptr_array_index (frames, i)));
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  ok = wait_for_eos (pipeline);
  start = cpu_seconds () - start;
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (src);
  gst_object_unref (pipeline);
  if (!ok)
    exit (1);
  return start * 1000.0 / frames->len;
}

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

  frames = decode_frames (input, count, &caps);
  /* Warm-up, so neither side pays for first-use page faults and plugin loading. */
  for (guint i = 0; i < G_N_ELEMENTS (contenders); i++)
    run_chain (contenders[i].chain, frames, caps);
  for (guint i = 0; i < G_N_ELEMENTS (contenders); i++)
    ms[i] = run_chain (contenders[i].chain, frames, caps);

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
