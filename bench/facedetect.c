/* make bench, face detection: the same decoded 640x480 I420 frames, held in memory, go through
 * rtfxfacedetect and through gst-plugins-bad's OpenCV facedetect, with the same cascade and the same
 * detectMultiScale parameters, in one run; the milliseconds of CPU per frame of each are printed with
 * their ratio, and the faces each found, as a check that both did the work. Run it pinned to one core
 * with OpenCV limited to one thread (the Makefile does) for the one-core comparison the performance
 * target is about. */
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <stdlib.h>
#include <sys/resource.h>

#define DEFAULT_INPUT "/usr/share/doc/opencv-doc/examples/data/Megamind.avi"
#define DEFAULT_FRAMES 100
#define WARM_UP_FRAMES 10
#define CASCADE "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml"
#define WAIT_LIMIT (300 * GST_SECOND)

typedef struct
{
  const char *name;
  const char *chain;
  const char *message;          /* the name of the element messages that list the faces */
} Contender;

/* facedetect only takes RGB; its eye, nose and mouth detectors are off because their default
 * cascades are not in opencv-data, and its canny-pruning flag has no effect on cascades in the
 * current XML layout, so both sides run the same single detectMultiScale per frame. */
static const Contender contenders[] = {
  {"rtfxfacedetect draw=false",
        "rtfxfacedetect cascade=" CASCADE " scale-factor=1.1 min-neighbors=3 "
        "min-size=30 draw=false", "rtfx/faces"},
  {"OpenCV facedetect display=false",
        "videoconvert ! facedetect profile=" CASCADE " scale-factor=1.1 "
        "min-neighbors=3 min-size-width=30 min-size-height=30 display=false ! "
        "videoconvert ! video/x-raw,format=I420", "facedetect"},
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
      "videoconvert ! videoscale ! video/x-raw,format=I420,width=640,height=480 ! "
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

typedef struct
{
  const char *message;
  guint faces;
} FaceCount;

/* Counts the faces listed in the detector's messages and drops them, in the streaming thread. */
static GstBusSyncReply
count_faces (GstBus * bus, GstMessage * msg, gpointer data)
{
  FaceCount *count = data;

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT
      && gst_message_has_name (msg, count->message)) {
    const GValue *faces = gst_structure_get_value (gst_message_get_structure
        (msg), "faces");

    if (faces != NULL && GST_VALUE_HOLDS_LIST (faces))
      count->faces += gst_value_list_get_size (faces);
    gst_message_unref (msg);
    return GST_BUS_DROP;
  }
  return GST_BUS_PASS;
}

/* Milliseconds of CPU per frame that the chain spends on the first n frames; *faces gets the
 * number of faces it reported. */
static gdouble
run_chain (const Contender * c, GPtrArray * frames, guint n, GstCaps * caps,
    guint * faces)
{
  g_autofree gchar *desc = g_strdup_printf ("appsrc name=src format=time ! %s ! "
      "fakesink sync=false", c->chain);
  GError *err = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &err);
  FaceCount count = { c->message, 0 };
  GstElement *src;
  GstBus *bus;
  gdouble start;
  gboolean ok;

  if (pipeline == NULL) {
    g_printerr ("error: %s: %s\n", c->chain, err->message);
    exit (1);
  }
  bus = gst_element_get_bus (pipeline);
  gst_bus_set_sync_handler (bus, count_faces, &count, NULL);
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  g_object_set (src, "caps", caps, "max-bytes", (guint64) 0, "block", FALSE,
      NULL);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  start = cpu_seconds ();
  for (guint i = 0; i < n; i++) {
    GstBuffer *buf = gst_buffer_copy (g_ptr_array_index (frames, i));

    /* Timestamps, so that facedetect's and rtfx's messages carry real times. */
    GST_BUFFER_PTS (buf) = gst_util_uint64_scale (i, GST_SECOND, 25);
    GST_BUFFER_DURATION (buf) = GST_SECOND / 25;
    gst_app_src_push_buffer (GST_APP_SRC (src), buf);
  }
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  ok = wait_for_eos (pipeline);
  start = cpu_seconds () - start;
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_bus_set_sync_handler (bus, NULL, NULL, NULL);
  gst_object_unref (bus);
  gst_object_unref (src);
  gst_object_unref (pipeline);
  if (!ok)
    exit (1);
  *faces = count.faces;
  return start * 1000.0 / n;
}

int
main (int argc, char **argv)
{
  const char *input = DEFAULT_INPUT;
  guint count = DEFAULT_FRAMES;
  GstCaps *caps = NULL;
  GPtrArray *frames;
  gdouble ms[G_N_ELEMENTS (contenders)];
  guint faces[G_N_ELEMENTS (contenders)];

  /* facedetect always tries to load its eye, nose and mouth cascades, which opencv-data does not
   * ship, and OpenCV logs each failure as an error: noise in the report, not a problem. */
  g_setenv ("OPENCV_LOG_LEVEL", "FATAL", FALSE);
  gst_init (&argc, &argv);
  if (argc > 1)
    input = argv[1];
  if (argc > 2)
    count = MAX (1, atoi (argv[2]));

  frames = decode_frames (input, count, &caps);
  /* Warm-up on a few frames, so neither side pays for first-use page faults, plugin loading and
   * reading the cascade. */
  for (guint i = 0; i < G_N_ELEMENTS (contenders); i++)
    run_chain (&contenders[i], frames, MIN (count, WARM_UP_FRAMES), caps,
        &faces[i]);
  for (guint i = 0; i < G_N_ELEMENTS (contenders); i++)
    ms[i] = run_chain (&contenders[i], frames, count, caps, &faces[i]);

  g_print ("Face detection, %u frames 640x480 I420 decoded from %s,\n"
      "haarcascade_frontalface_default.xml, scale factor 1.1, min neighbors 3, "
      "min size 30x30; CPU ms per frame:\n", count, input);
  g_print ("  %-32s %8.2f ms  (%u faces)\n  %-32s %8.2f ms  (%u faces)\n"
      "  ratio (OpenCV / rtfx)            %8.2fx\n",
      contenders[0].name, ms[0], faces[0], contenders[1].name, ms[1], faces[1],
      ms[1] / ms[0]);

  g_ptr_array_unref (frames);
  gst_caps_unref (caps);
  return 0;
}
