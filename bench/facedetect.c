/* make bench, face detection: the same decoded 640x480 I420 frames, held in memory, go through
 * rtfxfacedetect and through gst-plugins-bad's OpenCV facedetect, with the same cascade and the same
 * detectMultiScale parameters, in one run; the milliseconds of CPU per frame of each are printed with
 * their ratio, and the faces each found, as a check that both did the work. Run it pinned to one core
 * with OpenCV limited to one thread (the Makefile does) for the one-core comparison the performance
 * target is about. */
#include <stdlib.h>

#include "benchlib.h"

#define DEFAULT_INPUT "/usr/share/doc/opencv-doc/examples/data/Megamind.avi"
#define DEFAULT_FRAMES 100
#define WARM_UP_FRAMES 10
#define CASCADE "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml"

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
        "rtfxfacedetect analysis=sync cascade=" CASCADE " scale-factor=1.1 "
        "min-neighbors=3 min-size=30 draw=false", "rtfx/faces"},
  {"OpenCV facedetect display=false",
        "videoconvert ! facedetect profile=" CASCADE " scale-factor=1.1 "
        "min-neighbors=3 min-size-width=30 min-size-height=30 display=false ! "
        "videoconvert ! video/x-raw,format=I420", "facedetect"},
};

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

/* Milliseconds of CPU per frame that c's chain spends on the first n frames; *faces gets the
 * number of faces it reported. */
static gdouble
run_contender (const Contender * c, GPtrArray * frames, guint n,
    GstCaps * caps, guint * faces)
{
  FaceCount count = { c->message, 0 };
  gdouble ms = bench_run_chain (c->chain, frames, n, caps, count_faces, &count);

  *faces = count.faces;
  return ms;
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

  frames = bench_decode_frames (input, count, 640, 480, &caps);
  /* Warm-up on a few frames, so neither side pays for first-use page faults, plugin loading and
   * reading the cascade. */
  for (guint i = 0; i < G_N_ELEMENTS (contenders); i++)
    run_contender (&contenders[i], frames, MIN (count, WARM_UP_FRAMES), caps,
        &faces[i]);
  for (guint i = 0; i < G_N_ELEMENTS (contenders); i++)
    ms[i] = run_contender (&contenders[i], frames, count, caps, &faces[i]);

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
