/* Unit tests for rtfxfacedetect and its two kernels: the cascade loader (every cascade of opencv-data
 * loads; broken files are errors that say what is wrong), the integral images (against their
 * definitions), the search on several threads (the same hits as on one), and the element: in sync
 * mode the face OpenCV finds in a photograph, nothing on a blank frame, the rtfx/faces message and
 * the ROI metas as documented, drawing, live parameters (by hand and by a control binding), a BYTES
 * segment, every format, a clean failure to start without a usable cascade; in async mode frames
 * that never wait for the analysis, the newest frame analysed, boxes on later frames, messages, EOS,
 * flushes and stopping. That the detections equal OpenCV's on many pictures and cascades is tested
 * separately (tests/facedetect_vs_opencv.py). */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/resource.h>

#include "rtfxcascade.h"
#include "rtfxhaar.h"
#include "videoharness.h"

#define CASCADE_DIR "/usr/share/opencv4/haarcascades"
#define DEFAULT_CASCADE CASCADE_DIR "/haarcascade_frontalface_default.xml"
#define MESSI "/usr/share/doc/opencv-doc/examples/data/messi5.jpg"

/* Where OpenCV 4.6 (Debian 12's python3-opencv) finds Messi's face in messi5.jpg, with the element's
 * defaults, obtained once with
 *   /usr/bin/python3 -c 'import cv2; g=cv2.imread("/usr/share/doc/opencv-doc/examples/data/messi5.jpg",
 *     cv2.IMREAD_GRAYSCALE); c=cv2.CascadeClassifier("/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml");
 *     print(c.detectMultiScale2(g, 1.1, 3, 0, (30, 30)))'
 * which prints the boxes [246 64 81 81] (4 neighbours, a false detection on the shirt) and
 * [226 94 38 38] (12 neighbours, the face). The test decodes the JPEG with jpegdec, whose luma can
 * differ from libjpeg's grey decoding by a level here and there, so it asks for the face box with
 * an intersection over union of at least 0.5 rather than for the same numbers. */
static const gint messi_face[4] = { 226, 94, 38, 38 };

/* ---------------------------------------------------------------- helpers */

typedef struct
{
  GstBuffer *buffer;
  GstCaps *caps;
} Picture;

static void
on_handoff (GstElement * sink, GstBuffer * buf, GstPad * pad, gpointer data)
{
  Picture *p = data;

  if (p->buffer == NULL) {
    p->buffer = gst_buffer_copy_deep (buf);
    p->caps = gst_pad_get_current_caps (pad);
  }
}

/* messi5.jpg decoded by GStreamer into the given format. */
static Picture
decode_messi (const gchar * format)
{
  g_autofree gchar *desc = g_strdup_printf ("filesrc location=" MESSI
      " ! jpegdec ! videoconvert ! video/x-raw,format=%s ! "
      "fakesink name=sink signal-handoffs=true", format);
  GError *err = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &err);
  GstElement *sink;
  GstBus *bus;
  GstMessage *msg;
  Picture p = { NULL, NULL };

  fail_unless (pipeline != NULL, "%s", err ? err->message : "?");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_signal_connect (sink, "handoff", G_CALLBACK (on_handoff), &p);
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  bus = gst_element_get_bus (pipeline);
  msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS,
      "could not decode " MESSI " (is opencv-doc installed?)");
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  fail_unless (p.buffer != NULL && p.caps != NULL);
  return p;
}

static void
picture_clear (Picture * p)
{
  gst_clear_buffer (&p->buffer);
  gst_clear_caps (&p->caps);
}

/* A harness around rtfxfacedetect with analysis set to "sync" or "async" (a property read at
 * start, so set before the harness starts the element), whose element messages land on a bus of
 * our own. */
static GstHarness *
harness_new_with (GstCaps * caps, const gchar * analysis, GstBus ** bus)
{
  GstElement *e = gst_element_factory_make ("rtfxfacedetect", NULL);
  GstHarness *h;

  fail_unless (e != NULL);
  gst_util_set_object_arg (G_OBJECT (e), "analysis", analysis);
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_object_unref (e);

  *bus = gst_bus_new ();
  gst_element_set_bus (h->element, *bus);
  gst_harness_set_src_caps (h, gst_caps_ref (caps));
  return h;
}

/* Each frame analysed before it goes on: what the tests of the detections themselves need. */
static GstHarness *
harness_new (GstCaps * caps, GstBus ** bus)
{
  return harness_new_with (caps, "sync", bus);
}

static void
harness_free (GstHarness * h, GstBus * bus)
{
  gst_harness_teardown (h);
  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (bus);
}

static GstBuffer *
process (GstHarness * h, GstBuffer * in)
{
  GstBuffer *out;

  fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
  out = gst_harness_pull (h);
  fail_unless (out != NULL);
  return out;
}

/* The next rtfx/faces message on the bus; the caller owns it. */
static GstMessage *
pop_faces (GstBus * bus)
{
  for (;;) {
    GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT);

    fail_unless (msg != NULL, "no rtfx/faces message");
    if (gst_message_has_name (msg, "rtfx/faces"))
      return msg;
    gst_message_unref (msg);
  }
}

typedef struct
{
  gint x, y, w, h;
} Box;

/* The buffer's face metas, boxes[i] being the one with id i, the i-th face of the message. */
static guint
roi_boxes (GstBuffer * buf, Box * boxes, guint max)
{
  gpointer state = NULL;
  GstMeta *meta;
  guint n = 0, ids = 0;

  while ((meta = gst_buffer_iterate_meta_filtered (buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstVideoRegionOfInterestMeta *roi = (GstVideoRegionOfInterestMeta *) meta;

    fail_unless_equals_int (roi->roi_type, g_quark_from_string ("face"));
    fail_unless (roi->id >= 0 && roi->id < 32);
    fail_if (ids & (1u << roi->id), "two metas with id %d", roi->id);
    ids |= 1u << roi->id;
    if ((guint) roi->id < max) {
      Box *b = &boxes[roi->id];

      b->x = roi->x;
      b->y = roi->y;
      b->w = roi->w;
      b->h = roi->h;
    }
    n++;
  }
  fail_unless_equals_int (ids, (1u << n) - 1);
  return n;
}

static GstVideoRegionOfInterestMeta *
roi_with_id (GstBuffer * buf, gint id)
{
  gpointer state = NULL;
  GstMeta *meta;

  while ((meta = gst_buffer_iterate_meta_filtered (buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE)))
    if (((GstVideoRegionOfInterestMeta *) meta)->id == id)
      return (GstVideoRegionOfInterestMeta *) meta;
  fail ("no meta with id %d", id);
  return NULL;
}

static gdouble
iou (const Box * a, const gint b[4])
{
  const gint x0 = MAX (a->x, b[0]), y0 = MAX (a->y, b[1]);
  const gint x1 = MIN (a->x + a->w, b[0] + b[2]);
  const gint y1 = MIN (a->y + a->h, b[1] + b[3]);
  const gdouble inter = x1 > x0 && y1 > y0 ? (gdouble) (x1 - x0) * (y1 - y0) : 0;

  return inter / ((gdouble) a->w * a->h + (gdouble) b[2] * b[3] - inter);
}

static gboolean
has_face_near (const Box * boxes, guint n, const gint ref[4])
{
  for (guint i = 0; i < n; i++)
    if (iou (&boxes[i], ref) >= 0.5)
      return TRUE;
  return FALSE;
}

/* ---------------------------------------------------------------- the loader */

GST_START_TEST (test_every_opencv_cascade_loads)
{
  GError *err = NULL;
  GDir *dir = g_dir_open (CASCADE_DIR, 0, &err);
  const gchar *name;
  guint n = 0;

  fail_unless (dir != NULL, "%s (is opencv-data installed?)",
      err ? err->message : "");
  while ((name = g_dir_read_name (dir)) != NULL) {
    g_autofree gchar *path = g_build_filename (CASCADE_DIR, name, NULL);
    g_autoptr (RtfxCascade) c = NULL;

    if (!g_str_has_suffix (name, ".xml"))
      continue;
    c = rtfx_cascade_load (path, &err);
    fail_unless (c != NULL, "%s: %s", name, err ? err->message : "");
    fail_unless (c->n_stages > 0 && c->n_trees >= c->n_stages);
    fail_unless (c->n_leaves == c->n_nodes + c->n_trees);
    n++;
  }
  g_dir_close (dir);
  /* opencv-data 4.6 ships 17. */
  fail_unless (n >= 17, "only %u cascades in " CASCADE_DIR, n);
}

GST_END_TEST;

static RtfxCascade *
load_ok (const gchar * name)
{
  g_autofree gchar *path = g_build_filename (CASCADE_DIR, name, NULL);
  GError *err = NULL;
  RtfxCascade *c = rtfx_cascade_load (path, &err);

  fail_unless (c != NULL, "%s: %s", name, err ? err->message : "");
  return c;
}

/* Numbers counted in the files themselves, so a loader that skips or invents parts shows. */
GST_START_TEST (test_cascade_contents)
{
  g_autoptr (RtfxCascade) def = load_ok ("haarcascade_frontalface_default.xml");
  g_autoptr (RtfxCascade) trees = load_ok ("haarcascade_eye_tree_eyeglasses.xml");
  g_autoptr (RtfxCascade) old = load_ok ("haarcascade_licence_plate_rus_16stages.xml");
  g_autoptr (RtfxCascade) smile = load_ok ("haarcascade_smile.xml");

  /* The current layout, stumps only. */
  fail_unless_equals_int (def->width, 24);
  fail_unless_equals_int (def->height, 24);
  fail_unless_equals_int (def->n_stages, 25);
  fail_unless_equals_int (def->n_trees, 2913);
  fail_unless_equals_int (def->n_features, 2913);
  fail_unless_equals_int (def->max_tree_nodes, 1);
  fail_if (def->has_tilted);
  fail_unless_equals_int (def->stages[0].n_trees, 9);
  /* stageThreshold -5.0425500869750977e+00, lowered by 1e-5 as OpenCV does */
  fail_unless (fabsf (def->stages[0].threshold - (-5.0425500869750977f -
              1e-5f)) < 1e-6f);
  /* first feature: rects "6 4 12 9 -1." and "6 7 12 3 3." */
  fail_unless_equals_int (def->features[0].n_rects, 2);
  fail_unless_equals_int (def->features[0].rects[1].y, 7);
  fail_unless_equals_float (def->features[0].rects[1].weight, 3.0);

  /* Trees of up to three nodes, with tilted features. */
  fail_unless_equals_int (trees->max_tree_nodes, 3);
  fail_unless (trees->has_tilted);
  fail_unless_equals_int (trees->n_stages, 30);
  fail_unless_equals_int (trees->n_nodes, 2553);

  /* The old layout: 64x16, 16 stages, one feature per node. */
  fail_unless_equals_int (old->width, 64);
  fail_unless_equals_int (old->height, 16);
  fail_unless_equals_int (old->n_stages, 16);
  fail_unless_equals_int (old->n_trees, 91);
  fail_unless_equals_int (old->n_features, old->n_nodes);

  /* A window that is not square. */
  fail_unless_equals_int (smile->width, 36);
  fail_unless_equals_int (smile->height, 18);
}

GST_END_TEST;

/* A one-stage, one-stump cascade; each test below breaks one thing in it (every occurrence of a
 * string replaced, so that renaming "stages>" renames the closing tag too). */
static const gchar tiny_cascade[] =
    "<?xml version=\"1.0\"?>\n<opencv_storage>\n"
    "<cascade type_id=\"opencv-cascade-classifier\"><stageType>BOOST</stageType>\n"
    "  <featureType>HAAR</featureType>\n  <height>4</height>\n  <width>4</width>\n"
    "  <stageParams><maxWeakCount>1</maxWeakCount></stageParams>\n"
    "  <featureParams><maxCatCount>0</maxCatCount></featureParams>\n"
    "  <stageNum>1</stageNum>\n  <stages>\n    <_>\n"
    "      <maxWeakCount>1</maxWeakCount>\n"
    "      <stageThreshold>-1.</stageThreshold>\n"
    "      <weakClassifiers>\n        <_>\n"
    "          <internalNodes>0 -1 0 5.0e-01</internalNodes>\n"
    "          <leafValues>-1. 1.</leafValues></_></weakClassifiers></_></stages>\n"
    "  <features>\n    <_>\n      <rects>\n        <_>0 0 4 2 -1.</_>\n"
    "        <_>0 2 4 2 1.</_></rects></_></features></cascade>\n"
    "</opencv_storage>\n";

static RtfxCascade *
parse_variant (const gchar * find, const gchar * replace, GError ** err)
{
  GString *s = g_string_new (tiny_cascade);
  RtfxCascade *c;

  if (find != NULL)
    fail_unless (g_string_replace (s, find, replace, 0) > 0, "no “%s”", find);
  c = rtfx_cascade_parse (s->str, s->len, "tiny.xml", err);
  g_string_free (s, TRUE);
  return c;
}

static void
check_rejected (const gchar * find, const gchar * replace, gint code,
    const gchar * says)
{
  GError *err = NULL;
  RtfxCascade *c = parse_variant (find, replace, &err);

  fail_unless (c == NULL, "“%s” → “%s” was accepted", find, replace);
  fail_unless (err != NULL);
  fail_unless (g_error_matches (err, RTFX_CASCADE_ERROR, code),
      "“%s”: %s", replace, err->message);
  /* A user can act on it: it names the file and says what is wrong. */
  fail_unless (strstr (err->message, "tiny.xml") != NULL, "%s", err->message);
  fail_unless (strstr (err->message, says) != NULL, "“%s” not in “%s”", says,
      err->message);
  g_error_free (err);
}

GST_START_TEST (test_malformed_cascades)
{
  GError *err = NULL;
  g_autoptr (RtfxCascade) ok = parse_variant (NULL, NULL, &err);
  g_autofree gchar *half = g_strndup (tiny_cascade, strlen (tiny_cascade) / 2);
  RtfxCascade *c;

  fail_unless (ok != NULL, "%s", err ? err->message : "");
  fail_unless_equals_int (ok->width, 4);
  fail_unless_equals_int (ok->n_stages, 1);
  fail_unless_equals_float (ok->leaves[1], 1.0);

  /* truncated */
  c = rtfx_cascade_parse (half, -1, "tiny.xml", &err);
  fail_unless (c == NULL && g_error_matches (err, RTFX_CASCADE_ERROR,
          RTFX_CASCADE_ERROR_INVALID));
  fail_unless (strstr (err->message, "not well-formed XML") != NULL, "%s",
      err->message);
  g_clear_error (&err);
  /* empty, and XML that is no cascade */
  c = rtfx_cascade_parse ("", 0, "tiny.xml", &err);
  fail_unless (c == NULL && err != NULL);
  g_clear_error (&err);
  c = rtfx_cascade_parse ("<opencv_storage><x>1</x></opencv_storage>", -1,
      "tiny.xml", &err);
  fail_unless (c == NULL && strstr (err->message, "not a cascade") != NULL);
  g_clear_error (&err);

  /* missing parts */
  check_rejected ("stages>", "stagez>",
      RTFX_CASCADE_ERROR_INVALID, "the cascade has no <stages>");
  check_rejected ("weakClassifiers>", "weakClassifierz>",
      RTFX_CASCADE_ERROR_INVALID, "stage 0 has no <weakClassifiers>");
  check_rejected ("features>", "featurez>", RTFX_CASCADE_ERROR_INVALID,
      "the cascade has no <features>");
  check_rejected ("<internalNodes>0 -1 0 5.0e-01</internalNodes>", "",
      RTFX_CASCADE_ERROR_INVALID, "weak classifier 0 has no <internalNodes>");
  check_rejected ("<stageNum>1</stageNum>\n  <stages>\n    <_>\n"
      "      <maxWeakCount>1</maxWeakCount>\n"
      "      <stageThreshold>-1.</stageThreshold>\n"
      "      <weakClassifiers>\n        <_>\n"
      "          <internalNodes>0 -1 0 5.0e-01</internalNodes>\n"
      "          <leafValues>-1. 1.</leafValues></_></weakClassifiers></_></stages>",
      "<stageNum>0</stageNum>", RTFX_CASCADE_ERROR_INVALID,
      "the cascade has no <stages>");
  check_rejected ("<stageNum>1</stageNum>", "<stageNum>2</stageNum>",
      RTFX_CASCADE_ERROR_INVALID, "stageNum is 2 but 1 stages");

  /* wrong numbers */
  check_rejected ("<stageThreshold>-1.</stageThreshold>",
      "<stageThreshold>minus one</stageThreshold>",
      RTFX_CASCADE_ERROR_INVALID, "is not a number");
  check_rejected ("0 -1 0 5.0e-01", "0 -1 7 5.0e-01",
      RTFX_CASCADE_ERROR_INVALID, "uses feature 7, but there are only 1");
  check_rejected ("0 -1 0 5.0e-01", "0 -1 0", RTFX_CASCADE_ERROR_INVALID,
      "not four per node");
  check_rejected ("0 -1 0 5.0e-01", "1 -1 0 5.0e-01",
      RTFX_CASCADE_ERROR_INVALID, "links to node 1");
  check_rejected ("0 -1 0 5.0e-01", "0 -2 0 5.0e-01",
      RTFX_CASCADE_ERROR_INVALID, "links to leaf 2");
  check_rejected ("0 -1 0 5.0e-01", "0 -1 0.5 5.0e-01",
      RTFX_CASCADE_ERROR_INVALID, "not an integer");
  check_rejected ("<leafValues>-1. 1.</leafValues>",
      "<leafValues>-1.</leafValues>", RTFX_CASCADE_ERROR_INVALID,
      "1 leaf values for 1 nodes");
  check_rejected ("<_>0 2 4 2 1.</_>", "<_>0 2 5 2 1.</_>",
      RTFX_CASCADE_ERROR_INVALID, "does not fit in the 4×4 window");
  check_rejected ("<_>0 2 4 2 1.</_>", "<_>0 2 4 2</_>",
      RTFX_CASCADE_ERROR_INVALID, "has 4 numbers where 5 are needed");
  check_rejected ("<width>4</width>", "<width>0</width>",
      RTFX_CASCADE_ERROR_INVALID, "window is 0×4");

  /* well-formed, but not something we evaluate */
  check_rejected ("<featureType>HAAR</featureType>",
      "<featureType>LBP</featureType>", RTFX_CASCADE_ERROR_UNSUPPORTED,
      "only HAAR");
  check_rejected ("<stageType>BOOST</stageType>",
      "<stageType>CART</stageType>", RTFX_CASCADE_ERROR_UNSUPPORTED,
      "only BOOST");
}

GST_END_TEST;

GST_START_TEST (test_missing_file)
{
  GError *err = NULL;

  fail_unless (rtfx_cascade_load ("/nonexistent/cascade.xml", &err) == NULL);
  fail_unless (g_error_matches (err, G_FILE_ERROR, G_FILE_ERROR_NOENT));
  fail_unless (strstr (err->message, "/nonexistent/cascade.xml") != NULL);
  g_error_free (err);
}

GST_END_TEST;

/* ---------------------------------------------------------------- integral images */

GST_START_TEST (test_integral_images)
{
  static const gint sizes[][2] = { {1, 1}, {7, 3}, {3, 9}, {31, 17}, {40, 40} };
  GRand *rand = g_rand_new_with_seed (7);

  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++) {
    const gint w = sizes[s][0], h = sizes[s][1], stride = w + 3;
    const gint istride = w + 2;
    guint8 *img = g_malloc ((gsize) stride * h);
    guint32 *ii = g_new0 (guint32, 3 * (gsize) istride * (h + 1));
    guint32 *sum = ii, *sq = ii + istride * (h + 1), *t = sq + istride * (h + 1);

    for (gint i = 0; i < stride * h; i++)
      img[i] = g_rand_int_range (rand, 0, 256);
    rtfx_haar_integral (img, stride, w, h, sum, sq, t, istride);
    for (gint Y = 0; Y <= h; Y++)
      for (gint X = 0; X <= w; X++) {
        guint32 es = 0, eq = 0, et = 0;

        for (gint y = 0; y < h; y++)
          for (gint x = 0; x < w; x++) {
            const guint32 v = img[y * stride + x];

            if (x < X && y < Y) {
              es += v;
              eq += v * v;
            }
            /* OpenCV's definition of the 45° sum */
            if (y < Y && ABS (x - X + 1) <= Y - 1 - y)
              et += v;
          }
        fail_unless_equals_int (sum[Y * istride + X], es);
        fail_unless_equals_int (sq[Y * istride + X], eq);
        fail_unless (t[Y * istride + X] == et, "%dx%d: tilted(%d, %d) is %u, "
            "not %u", w, h, X, Y, t[Y * istride + X], et);
      }
    g_free (img);
    g_free (ii);
  }
  g_rand_free (rand);
}

GST_END_TEST;

/* The hits of src (the luma of a picture) found with a detector of `threads` threads, copied;
 * searched `times` times, the last search being the one returned. */
static GArray *
detect_with_threads (const RtfxCascade * c, const guint8 * src, gint stride,
    gint width, gint height, const RtfxHaarParams * params, guint threads,
    guint times)
{
  g_autoptr (RtfxHaar) haar = rtfx_haar_new (c, width, height, threads);
  GArray *hits = g_array_new (FALSE, FALSE, sizeof (RtfxHaarHit));
  const RtfxHaarHit *found = NULL;
  guint n = 0;

  fail_unless_equals_int (rtfx_haar_threads (haar), threads);
  for (guint i = 0; i < times; i++)
    n = rtfx_haar_detect (haar, src, stride, params, &found);
  g_array_append_vals (hits, found, n);
  return hits;
}

/* Spreading the scales over threads changes nothing: the same hits, in the same order, also the
 * raw ones (min-neighbors 0), whose order is the order the windows were found in, for stumps and
 * for trees with 45° features; and a second search sees nothing of the first. */
GST_START_TEST (test_threads_same_hits)
{
  static const struct
  {
    const gchar *cascade;
    RtfxHaarParams params;
  } cases[] = {
    {"haarcascade_frontalface_default.xml", {1.1, 3, 30, 30, 0, 0}},
    {"haarcascade_frontalface_default.xml", {1.05, 0, 24, 24, 0, 0}},
    {"haarcascade_frontalface_default.xml", {1.3, 1, 0, 0, 100, 100}},
    {"haarcascade_eye_tree_eyeglasses.xml", {1.1, 0, 0, 0, 0, 0}},
  };
  Picture pic = decode_messi ("GRAY8");
  GstVideoInfo info;
  GstVideoFrame frame;

  fail_unless (gst_video_info_from_caps (&info, pic.caps));
  fail_unless (gst_video_frame_map (&frame, &info, pic.buffer, GST_MAP_READ));
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (RtfxCascade) c = load_ok (cases[i].cascade);
    const guint8 *src = GST_VIDEO_FRAME_PLANE_DATA (&frame, 0);
    const gint stride = GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0);
    const gint w = GST_VIDEO_FRAME_WIDTH (&frame);
    const gint h = GST_VIDEO_FRAME_HEIGHT (&frame);
    GArray *one = detect_with_threads (c, src, stride, w, h, &cases[i].params,
        1, 1);
    GArray *three = detect_with_threads (c, src, stride, w, h,
        &cases[i].params, 3, 2);

    fail_unless (one->len > 0, "case %u: nothing found", i);
    fail_unless_equals_int (three->len, one->len);
    for (guint k = 0; k < one->len; k++) {
      const RtfxHaarHit *a = &g_array_index (one, RtfxHaarHit, k);
      const RtfxHaarHit *b = &g_array_index (three, RtfxHaarHit, k);

      fail_unless (a->x == b->x && a->y == b->y && a->width == b->width
          && a->height == b->height && a->neighbors == b->neighbors
          && a->score == b->score, "case %u, hit %u: 3 threads found another",
          i, k);
    }
    g_array_unref (one);
    g_array_unref (three);
  }
  gst_video_frame_unmap (&frame);
  picture_clear (&pic);
}

GST_END_TEST;

/* ---------------------------------------------------------------- the element */

GST_START_TEST (test_properties)
{
  GstElement *e = gst_element_factory_make ("rtfxfacedetect", NULL);
  const gchar *live[] = { "scale-factor", "min-neighbors", "min-size",
    "max-size", "draw", "max-rate"
  };
  g_autofree gchar *cascade = NULL;
  gdouble scale;
  gint neighbors, min_size, max_size;
  guint threads;
  gint analysis;
  gdouble max_rate;
  gboolean draw;
  GParamSpec *spec;

  fail_unless (e != NULL);
  for (guint i = 0; i < G_N_ELEMENTS (live); i++) {
    GParamSpec *p = g_object_class_find_property (G_OBJECT_GET_CLASS (e),
        live[i]);
    fail_unless (p != NULL);
    fail_unless (p->flags & GST_PARAM_CONTROLLABLE);
    fail_unless (p->flags & GST_PARAM_MUTABLE_PLAYING);
  }
  g_object_get (e, "cascade", &cascade, "scale-factor", &scale,
      "min-neighbors", &neighbors, "min-size", &min_size, "max-size",
      &max_size, "draw", &draw, "threads", &threads, "analysis", &analysis,
      "max-rate", &max_rate, NULL);
  fail_unless_equals_string (cascade, DEFAULT_CASCADE);
  fail_unless_equals_float (scale, 1.1);
  fail_unless_equals_int (neighbors, 3);
  fail_unless_equals_int (min_size, 30);
  fail_unless_equals_int (max_size, 0);
  fail_unless (draw);
  fail_unless_equals_float (max_rate, 0.0);
  /* one per core, and analysis at its own pace; both fixed while the element runs */
  fail_unless_equals_int (threads, 0);
  spec = g_object_class_find_property (G_OBJECT_GET_CLASS (e), "analysis");
  fail_unless_equals_string (g_enum_get_value (G_PARAM_SPEC_ENUM
          (spec)->enum_class, analysis)->value_nick, "async");
  for (guint i = 0; i < 2; i++) {
    spec = g_object_class_find_property (G_OBJECT_GET_CLASS (e),
        i == 0 ? "threads" : "analysis");
    fail_unless (spec->flags & GST_PARAM_MUTABLE_READY);
    fail_if (spec->flags & GST_PARAM_CONTROLLABLE);
  }
  gst_object_unref (e);
}

GST_END_TEST;

/* The face OpenCV finds, as a ROI meta and in the message, with the frame left as it was. */
GST_START_TEST (test_messi_face_found)
{
  Picture pic = decode_messi ("I420");
  GstBus *bus;
  GstHarness *h = harness_new (pic.caps, &bus);
  GstBuffer *in = gst_buffer_copy_deep (pic.buffer), *out;
  GstMapInfo a, b;
  Box boxes[8];
  guint n;

  g_object_set (h->element, "draw", FALSE, NULL);
  GST_BUFFER_PTS (in) = 5 * GST_SECOND;
  GST_BUFFER_DURATION (in) = GST_SECOND / 30;
  out = process (h, in);
  n = roi_boxes (out, boxes, G_N_ELEMENTS (boxes));
  fail_unless (n >= 1 && n <= 3, "%u faces", n);
  fail_unless (has_face_near (boxes, n, messi_face),
      "no box overlaps OpenCV's %d,%d %dx%d by half", messi_face[0],
      messi_face[1], messi_face[2], messi_face[3]);

  /* draw=false: not one byte changed */
  fail_unless (gst_buffer_map (out, &a, GST_MAP_READ));
  fail_unless (gst_buffer_map (pic.buffer, &b, GST_MAP_READ));
  fail_unless_equals_int (a.size, b.size);
  fail_unless (memcmp (a.data, b.data, a.size) == 0);
  gst_buffer_unmap (out, &a);
  gst_buffer_unmap (pic.buffer, &b);

  gst_buffer_unref (out);
  harness_free (h, bus);
  picture_clear (&pic);
}

GST_END_TEST;

/* The message carries exactly what the documentation promises, and agrees with the metas. */
GST_START_TEST (test_message_structure)
{
  Picture pic = decode_messi ("I420");
  GstBus *bus;
  GstHarness *h = harness_new (pic.caps, &bus);
  GstBuffer *in = gst_buffer_copy_deep (pic.buffer), *out;
  GstMessage *msg;
  const GstStructure *s;
  const GValue *faces;
  Box boxes[8];
  guint n;
  guint64 t;
  gint v;

  GST_BUFFER_PTS (in) = 2 * GST_SECOND;
  GST_BUFFER_DURATION (in) = 40 * GST_MSECOND;
  out = process (h, in);
  n = roi_boxes (out, boxes, G_N_ELEMENTS (boxes));
  msg = pop_faces (bus);
  fail_unless (GST_MESSAGE_SRC (msg) == GST_OBJECT (h->element));
  s = gst_message_get_structure (msg);
  fail_unless_equals_string (gst_structure_get_name (s), "rtfx/faces");
  fail_unless (gst_structure_get_uint64 (s, "timestamp", &t));
  fail_unless_equals_uint64 (t, 2 * GST_SECOND);
  /* the harness's segment starts at 0, so running and stream time equal the PTS */
  fail_unless (gst_structure_get_uint64 (s, "running-time", &t));
  fail_unless_equals_uint64 (t, 2 * GST_SECOND);
  fail_unless (gst_structure_get_uint64 (s, "stream-time", &t));
  fail_unless_equals_uint64 (t, 2 * GST_SECOND);
  fail_unless (gst_structure_get_uint64 (s, "duration", &t));
  fail_unless_equals_uint64 (t, 40 * GST_MSECOND);
  fail_unless (gst_structure_get_int (s, "width", &v));
  fail_unless_equals_int (v, 548);
  fail_unless (gst_structure_get_int (s, "height", &v));
  fail_unless_equals_int (v, 342);
  fail_unless (gst_structure_get_uint64 (s, "analyses", &t));
  fail_unless_equals_uint64 (t, 1);
  fail_unless_equals_int (gst_structure_n_fields (s), 8);

  faces = gst_structure_get_value (s, "faces");
  fail_unless (faces != NULL && GST_VALUE_HOLDS_LIST (faces));
  fail_unless_equals_int (gst_value_list_get_size (faces), n);
  for (guint i = 0; i < n; i++) {
    const GValue *fv = gst_value_list_get_value (faces, i);
    const GstStructure *f;
    gint x, y, w, hh, neighbors;
    gdouble score, score2;
    GstStructure *param;

    fail_unless (GST_VALUE_HOLDS_STRUCTURE (fv));
    f = gst_value_get_structure (fv);
    fail_unless_equals_string (gst_structure_get_name (f), "face");
    fail_unless (gst_structure_get (f, "x", G_TYPE_INT, &x, "y", G_TYPE_INT,
            &y, "width", G_TYPE_INT, &w, "height", G_TYPE_INT, &hh,
            "neighbors", G_TYPE_INT, &neighbors, "score", G_TYPE_DOUBLE,
            &score, NULL));
    fail_unless_equals_int (gst_structure_n_fields (f), 6);
    fail_unless (x == boxes[i].x && y == boxes[i].y && w == boxes[i].w
        && hh == boxes[i].h);
    fail_unless (x >= 0 && y >= 0 && x + w <= 548 && y + hh <= 342);
    /* min-neighbors is 3: every face merged more than 3 hits */
    fail_unless (neighbors > 3, "%d neighbours", neighbors);
    fail_unless (score >= 0.0);

    /* the meta's parameters say the same */
    param = gst_video_region_of_interest_meta_get_param (roi_with_id (out, i),
        "rtfx/face");
    fail_unless (param != NULL);
    fail_unless (gst_structure_get_int (param, "neighbors", &v));
    fail_unless_equals_int (v, neighbors);
    fail_unless (gst_structure_get_double (param, "score", &score2));
    fail_unless_equals_float (score2, score);
  }
  /* the face, with OpenCV's twelve neighbours */
  for (guint i = 0; i < n; i++)
    if (iou (&boxes[i], messi_face) >= 0.5) {
      gint neighbors;

      gst_structure_get_int (gst_value_get_structure (gst_value_list_get_value
              (faces, i)), "neighbors", &neighbors);
      fail_unless (neighbors >= 10 && neighbors <= 14, "%d", neighbors);
    }

  gst_message_unref (msg);
  gst_buffer_unref (out);
  harness_free (h, bus);
  picture_clear (&pic);
}

GST_END_TEST;

/* A flat frame has no face, no meta, and still a message, with an empty list. */
GST_START_TEST (test_blank_frame)
{
  GstCaps *caps = gst_caps_from_string ("video/x-raw,format=I420,width=640,"
      "height=480,framerate=30/1");
  GstBus *bus;
  GstHarness *h = harness_new (caps, &bus);
  const guint8 levels[] = { 0, 128, 255 };

  for (guint i = 0; i < G_N_ELEMENTS (levels); i++) {
    GstBuffer *in = gst_buffer_new_allocate (NULL, 640 * 480 * 3 / 2, NULL);
    GstBuffer *out;
    GstMessage *msg;
    Box boxes[1];
    guint64 analyses;

    gst_buffer_memset (in, 0, levels[i], 640 * 480);
    gst_buffer_memset (in, 640 * 480, 128, 640 * 480 / 2);
    out = process (h, in);
    fail_unless_equals_int (roi_boxes (out, boxes, 1), 0);
    msg = pop_faces (bus);
    fail_unless_equals_int (gst_value_list_get_size (gst_structure_get_value
            (gst_message_get_structure (msg), "faces")), 0);
    /* in sync mode every frame is analysed, and counted */
    fail_unless (gst_structure_get_uint64 (gst_message_get_structure (msg),
            "analyses", &analyses));
    fail_unless_equals_uint64 (analyses, i + 1);
    gst_message_unref (msg);
    gst_buffer_unref (out);
  }
  harness_free (h, bus);
  gst_caps_unref (caps);
}

GST_END_TEST;

static guint8
pixel (const GstVideoFrame * f, guint comp, gint x, gint y)
{
  const gint ws = GST_VIDEO_FORMAT_INFO_W_SUB (f->info.finfo, comp);
  const gint hs = GST_VIDEO_FORMAT_INFO_H_SUB (f->info.finfo, comp);

  return ((const guint8 *) GST_VIDEO_FRAME_COMP_DATA (f, comp))[(y >> hs) *
      GST_VIDEO_FRAME_COMP_STRIDE (f, comp) +
      (x >> ws) * GST_VIDEO_FRAME_COMP_PSTRIDE (f, comp)];
}

/* Every format finds the same faces; boxes are drawn on their border, in green (white on grey),
 * and the rest of the picture is untouched. */
GST_START_TEST (test_draw_every_format)
{
  static const gchar *formats[] = { "I420", "YV12", "NV12", "NV21", "Y42B",
    "Y444", "Y41B", "GRAY8"
  };
  Box first[8];
  guint n_first = 0;

  for (guint fi = 0; fi < G_N_ELEMENTS (formats); fi++) {
    Picture pic = decode_messi (formats[fi]);
    GstBus *bus;
    GstHarness *h = harness_new (pic.caps, &bus);
    GstBuffer *out = process (h, gst_buffer_copy_deep (pic.buffer));
    const gboolean gray = strcmp (formats[fi], "GRAY8") == 0;
    GstVideoInfo info;
    GstVideoFrame drawn, orig;
    Box boxes[8];
    guint n = roi_boxes (out, boxes, G_N_ELEMENTS (boxes));
    guint changed = 0, outside = 0;

    /* the luma is the same in every format, so are the faces */
    if (fi == 0) {
      n_first = n;
      memcpy (first, boxes, sizeof (boxes));
    }
    fail_unless_equals_int (n, n_first);
    fail_unless (memcmp (boxes, first, n * sizeof (Box)) == 0, "%s",
        formats[fi]);

    fail_unless (gst_video_info_from_caps (&info, pic.caps));
    fail_unless (gst_video_frame_map (&drawn, &info, out, GST_MAP_READ));
    fail_unless (gst_video_frame_map (&orig, &info, pic.buffer, GST_MAP_READ));
    for (guint i = 0; i < n; i++) {
      const Box *b = &boxes[i];
      /* the middle of the top and left sides, and a corner */
      const gint pts[][2] = { {b->x + b->w / 2, b->y}, {b->x, b->y + b->h / 2},
      {b->x + b->w - 1, b->y + b->h - 1}
      };

      for (guint p = 0; p < G_N_ELEMENTS (pts); p++) {
        fail_unless_equals_int (pixel (&drawn, 0, pts[p][0], pts[p][1]),
            gray ? 255 : 145);
        if (!gray) {
          fail_unless_equals_int (pixel (&drawn, 1, pts[p][0], pts[p][1]), 54);
          fail_unless_equals_int (pixel (&drawn, 2, pts[p][0], pts[p][1]), 34);
        }
      }
    }
    for (gint y = 0; y < 342; y++)
      for (gint x = 0; x < 548; x++) {
        gboolean near = FALSE;

        for (guint i = 0; i < n; i++)
          near |= x >= boxes[i].x - 4 && x < boxes[i].x + boxes[i].w + 4
              && y >= boxes[i].y - 4 && y < boxes[i].y + boxes[i].h + 4;
        for (guint c = 0; c < GST_VIDEO_FRAME_N_COMPONENTS (&drawn); c++)
          if (pixel (&drawn, c, x, y) != pixel (&orig, c, x, y)) {
            changed++;
            outside += !near;
          }
      }
    fail_unless (changed > 0, "%s: nothing drawn", formats[fi]);
    fail_unless_equals_int (outside, 0);
    gst_video_frame_unmap (&drawn);
    gst_video_frame_unmap (&orig);
    gst_buffer_unref (out);
    harness_free (h, bus);
    picture_clear (&pic);
  }
}

GST_END_TEST;

/* The faces found in a copy of pic stamped with pts. */
static guint
faces_with (GstHarness * h, GstBuffer * pic, GstClockTime pts)
{
  GstBuffer *in = gst_buffer_copy_deep (pic), *out;
  Box boxes[64];
  guint n;

  GST_BUFFER_PTS (in) = pts;
  out = process (h, in);
  n = roi_boxes (out, boxes, G_N_ELEMENTS (boxes));

  gst_buffer_unref (out);
  return n;
}

/* Parameters changed between frames take effect at the next one. */
GST_START_TEST (test_live_parameters)
{
  Picture pic = decode_messi ("I420");
  GstBus *bus;
  GstHarness *h = harness_new (pic.caps, &bus);
  guint all, raw, big_only, small_only;

  all = faces_with (h, pic.buffer, GST_CLOCK_TIME_NONE);
  fail_unless (all >= 1);
  /* every raw window hit: OpenCV finds 25 on this picture */
  g_object_set (h->element, "min-neighbors", 0, NULL);
  raw = faces_with (h, pic.buffer, GST_CLOCK_TIME_NONE);
  fail_unless (raw > all + 10, "%u raw hits, %u faces", raw, all);
  g_object_set (h->element, "min-neighbors", 3, "min-size", 60, NULL);
  big_only = faces_with (h, pic.buffer, GST_CLOCK_TIME_NONE);
  fail_unless (big_only < all, "%u with min-size 60, %u without", big_only,
      all);
  g_object_set (h->element, "min-size", 30, "max-size", 45, NULL);
  small_only = faces_with (h, pic.buffer, GST_CLOCK_TIME_NONE);
  fail_unless_equals_int (small_only, 1);
  /* windows of 24, 96 and 384 pixels: 24 is below min-size, 96 too large for the face */
  g_object_set (h->element, "max-size", 0, "scale-factor", 4.0, NULL);
  {
    GstBuffer *out = process (h, gst_buffer_copy_deep (pic.buffer));
    Box boxes[8];
    guint n = roi_boxes (out, boxes, G_N_ELEMENTS (boxes));

    fail_if (has_face_near (boxes, n, messi_face));
    gst_buffer_unref (out);
  }
  g_object_set (h->element, "scale-factor", 1.1, NULL);
  fail_unless_equals_int (faces_with (h, pic.buffer, GST_CLOCK_TIME_NONE), all);

  harness_free (h, bus);
  picture_clear (&pic);
}

GST_END_TEST;

/* A control binding drives min-neighbors: each frame is searched with the value of its own stream
 * time. */
GST_START_TEST (test_control_binding)
{
  Picture pic = decode_messi ("I420");
  GstBus *bus;
  GstHarness *h = harness_new (pic.caps, &bus);
  guint all, raw;
  gint neighbors;

  rtfx_control_steps (h->element, "min-neighbors", 3, GST_SECOND, 0);
  all = faces_with (h, pic.buffer, 0);
  raw = faces_with (h, pic.buffer, 2 * GST_SECOND);
  fail_unless (all >= 1 && raw > all + 10, "%u raw hits at 2 s, %u faces at 0",
      raw, all);
  g_object_get (h->element, "min-neighbors", &neighbors, NULL);
  fail_unless_equals_int (neighbors, 0);
  fail_unless_equals_int (faces_with (h, pic.buffer, GST_SECOND / 2), all);

  harness_free (h, bus);
  picture_clear (&pic);
}

GST_END_TEST;

/* A segment in BYTES format, as an appsrc left at its default format sends, has no running or
 * stream time: no CRITICAL (GstCheck makes them fatal), the face is found with the properties as
 * they were set (the binding left alone), and the message still comes, with the PTS and both times
 * GST_CLOCK_TIME_NONE. */
GST_START_TEST (test_bytes_segment)
{
  Picture pic = decode_messi ("I420");
  GstBus *bus;
  GstHarness *h = harness_new (pic.caps, &bus);
  guint64 timestamp, stream_time, running_time;
  GstMessage *msg;

  /* were it synced, a min-size of 200 would leave no face */
  rtfx_control_steps (h->element, "min-size", 200, GST_SECOND, 200);
  rtfx_harness_push_bytes_segment (h);
  fail_unless (faces_with (h, pic.buffer, 2 * GST_SECOND) >= 1);
  msg = pop_faces (bus);
  fail_unless (gst_structure_get (gst_message_get_structure (msg),
          "timestamp", G_TYPE_UINT64, &timestamp,
          "stream-time", G_TYPE_UINT64, &stream_time,
          "running-time", G_TYPE_UINT64, &running_time, NULL));
  fail_unless_equals_uint64 (timestamp, 2 * GST_SECOND);
  fail_unless_equals_uint64 (stream_time, GST_CLOCK_TIME_NONE);
  fail_unless_equals_uint64 (running_time, GST_CLOCK_TIME_NONE);
  gst_message_unref (msg);

  harness_free (h, bus);
  picture_clear (&pic);
}

GST_END_TEST;

/* ---------------------------------------------------------------- analysis=async */

/* How long a test waits for something the element's threads must do; only a broken element
 * reaches it, and the test then fails instead of hanging. */
#define WAIT_LIMIT (20 * G_TIME_SPAN_SECOND)
#define FRAME (GST_SECOND / 30)

/* Catches every rtfx/faces message in the bus's sync handler, which runs in the thread that posts
 * it: in async mode the element's analysis thread, after it has published the analysis's boxes.
 * While the gate is closed that thread waits there, so a test can make the analysis as slow as it
 * likes without a clock, and know which frame the next analysis will take. */
typedef struct
{
  GMutex lock;
  GCond cond;
  gboolean closed;
  guint released;               /* bumped to let the one waiting go, the gate staying closed */
  gboolean holding;             /* an analysis thread waits at the gate */
  gboolean timed_out;           /* it waited WAIT_LIMIT and went on */
  gboolean eos;                 /* EOS reached the element's sink pad */
  GPtrArray *messages;          /* GstMessage, in the order they were posted */
} Gate;

static GstBusSyncReply
gate_handler (GstBus * bus, GstMessage * msg, gpointer data)
{
  Gate *g = data;
  const gint64 end = g_get_monotonic_time () + WAIT_LIMIT;

  if (GST_MESSAGE_TYPE (msg) != GST_MESSAGE_ELEMENT
      || !gst_message_has_name (msg, "rtfx/faces"))
    return GST_BUS_PASS;
  guint released;

  g_mutex_lock (&g->lock);
  /* dropped from the bus, its reference kept here */
  g_ptr_array_add (g->messages, msg);
  g->holding = g->closed;
  g_cond_broadcast (&g->cond);
  released = g->released;
  while (g->closed && g->released == released && !g->timed_out)
    g->timed_out = !g_cond_wait_until (&g->cond, &g->lock, end);
  g->holding = FALSE;
  g_mutex_unlock (&g->lock);
  return GST_BUS_DROP;
}

static void
gate_init (Gate * g, GstBus * bus, gboolean closed)
{
  g_mutex_init (&g->lock);
  g_cond_init (&g->cond);
  g->closed = closed;
  g->released = 0;
  g->holding = g->timed_out = g->eos = FALSE;
  g->messages = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_message_unref);
  gst_bus_set_sync_handler (bus, gate_handler, g, NULL);
}

/* After the harness is gone, so no thread is at the gate any more. */
static void
gate_clear (Gate * g)
{
  fail_if (g->timed_out, "an analysis waited at the gate for %d s",
      (gint) (WAIT_LIMIT / G_TIME_SPAN_SECOND));
  g_ptr_array_unref (g->messages);
  g_mutex_clear (&g->lock);
  g_cond_clear (&g->cond);
}

static void
gate_open (Gate * g)
{
  g_mutex_lock (&g->lock);
  g->closed = FALSE;
  g_cond_broadcast (&g->cond);
  g_mutex_unlock (&g->lock);
}

/* Lets the analysis held go on; the next one will be held again. */
static void
gate_release (Gate * g)
{
  g_mutex_lock (&g->lock);
  g->released++;
  g->holding = FALSE;
  g_cond_broadcast (&g->cond);
  g_mutex_unlock (&g->lock);
}

/* Waits until an analysis thread is held at the gate. */
static void
gate_wait_holding (Gate * g)
{
  const gint64 end = g_get_monotonic_time () + WAIT_LIMIT;
  gboolean holding;

  g_mutex_lock (&g->lock);
  while (!g->holding && g_cond_wait_until (&g->cond, &g->lock, end));
  holding = g->holding;
  g_mutex_unlock (&g->lock);
  fail_unless (holding, "no analysis reached the gate");
}

/* Waits for the n-th message and returns it (the gate owns it). */
static GstMessage *
gate_wait_message (Gate * g, guint n)
{
  const gint64 end = g_get_monotonic_time () + WAIT_LIMIT;
  GstMessage *msg = NULL;

  g_mutex_lock (&g->lock);
  while (g->messages->len < n
      && g_cond_wait_until (&g->cond, &g->lock, end));
  if (g->messages->len >= n)
    msg = g_ptr_array_index (g->messages, n - 1);
  g_mutex_unlock (&g->lock);
  fail_unless (msg != NULL, "no rtfx/faces message number %u", n);
  return msg;
}

static guint
gate_count (Gate * g)
{
  guint n;

  g_mutex_lock (&g->lock);
  n = g->messages->len;
  g_mutex_unlock (&g->lock);
  return n;
}

/* The analysed frame's timestamp and the analysis's number, from a message. */
static void
message_frame (GstMessage * msg, GstClockTime * pts, guint64 * analyses)
{
  fail_unless (gst_structure_get (gst_message_get_structure (msg),
          "timestamp", G_TYPE_UINT64, pts, "analyses", G_TYPE_UINT64,
          analyses, NULL));
}

static guint
message_faces (GstMessage * msg)
{
  return gst_value_list_get_size (gst_structure_get_value
      (gst_message_get_structure (msg), "faces"));
}

static GstBuffer *
stamped (GstBuffer * pic, GstClockTime pts)
{
  GstBuffer *in = gst_buffer_copy_deep (pic);

  GST_BUFFER_PTS (in) = pts;
  GST_BUFFER_DURATION (in) = FRAME;
  return in;
}

static gboolean
same_bytes (GstBuffer * a, GstBuffer * b)
{
  GstMapInfo ma, mb;
  gboolean same;

  fail_unless (gst_buffer_map (a, &ma, GST_MAP_READ));
  fail_unless (gst_buffer_map (b, &mb, GST_MAP_READ));
  same = ma.size == mb.size && memcmp (ma.data, mb.data, ma.size) == 0;
  gst_buffer_unmap (a, &ma);
  gst_buffer_unmap (b, &mb);
  return same;
}

static void
push_flush (GstHarness * h)
{
  GstSegment segment;

  fail_unless (gst_harness_push_event (h, gst_event_new_flush_start ()));
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  gst_segment_init (&segment, GST_FORMAT_TIME);
  fail_unless (gst_harness_push_event (h, gst_event_new_segment (&segment)));
}

/* Frames do not wait for the analysis: while one is held, every frame pushed comes out at once, in
 * order, with the boxes of the newest finished analysis drawn and as metas; the next analysis takes
 * the newest frame (the ones between were never analysed) with the properties set for it, and its
 * message names that frame. */
GST_START_TEST (test_async_frames_do_not_wait)
{
  Picture pic = decode_messi ("I420");
  GstBus *bus;
  GstHarness *h = harness_new_with (pic.caps, "async", &bus);
  GstBuffer *out;
  GstMessage *msg;
  GstClockTime pts;
  guint64 analyses;
  Box boxes[8], first[8];
  guint n_first, faces;
  Gate gate;

  gate_init (&gate, bus, TRUE);

  /* nothing analysed yet: frame 0 goes out as it came */
  out = process (h, stamped (pic.buffer, 0));
  fail_unless_equals_uint64 (GST_BUFFER_PTS (out), 0);
  fail_unless_equals_int (roi_boxes (out, boxes, G_N_ELEMENTS (boxes)), 0);
  fail_unless (same_bytes (out, pic.buffer));
  gst_buffer_unref (out);
  gate_wait_holding (&gate);
  msg = gate_wait_message (&gate, 1);
  message_frame (msg, &pts, &analyses);
  fail_unless_equals_uint64 (pts, 0);
  fail_unless_equals_uint64 (analyses, 1);
  faces = message_faces (msg);
  fail_unless (faces >= 1);

  /* analysis 1 is held at the gate: frames 1 to 10 pass with its boxes */
  for (guint i = 1; i <= 10; i++) {
    guint n;

    out = process (h, stamped (pic.buffer, i * FRAME));
    fail_unless_equals_uint64 (GST_BUFFER_PTS (out), i * FRAME);
    n = roi_boxes (out, boxes, G_N_ELEMENTS (boxes));
    fail_unless_equals_int (n, faces);
    fail_unless (has_face_near (boxes, n, messi_face));
    if (i == 1) {
      n_first = n;
      memcpy (first, boxes, sizeof (boxes));
    }
    fail_unless (n == n_first && memcmp (boxes, first, n * sizeof (Box)) == 0);
    fail_if (same_bytes (out, pic.buffer), "frame %u: no box drawn", i);
    gst_buffer_unref (out);
  }
  fail_unless_equals_int (gate_count (&gate), 1);

  /* a property set now applies to the next analysis: every raw hit */
  g_object_set (h->element, "min-neighbors", 0, NULL);
  out = process (h, stamped (pic.buffer, 11 * FRAME));
  gst_buffer_unref (out);
  gate_open (&gate);
  msg = gate_wait_message (&gate, 2);
  message_frame (msg, &pts, &analyses);
  fail_unless_equals_uint64 (pts, 11 * FRAME);
  fail_unless_equals_uint64 (analyses, 2);
  fail_unless (message_faces (msg) > faces + 10, "%u raw hits",
      message_faces (msg));

  /* EOS finds nothing left to analyse: frames 1 to 10 never were */
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  fail_unless_equals_int (gate_count (&gate), 2);

  harness_free (h, bus);
  gate_clear (&gate);
  picture_clear (&pic);
}

GST_END_TEST;

/* EOS waits for the analysis of the last frame, whose message thus comes before EOS does; with
 * draw=false the frames pass untouched; analyses are numbered from 1, newer frames later. */
GST_START_TEST (test_async_eos_waits_for_last_frame)
{
  Picture pic = decode_messi ("I420");
  GstBus *bus;
  GstHarness *h = harness_new_with (pic.caps, "async", &bus);
  GstClockTime pts = 0, last_pts = 0;
  guint64 analyses = 0;
  GstEvent *ev;
  Gate gate;

  gate_init (&gate, bus, FALSE);
  g_object_set (h->element, "draw", FALSE, NULL);
  for (guint i = 0; i < 5; i++) {
    GstBuffer *out = process (h, stamped (pic.buffer, i * FRAME));

    fail_unless (same_bytes (out, pic.buffer));
    gst_buffer_unref (out);
  }
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  while ((ev = gst_harness_try_pull_event (h)) != NULL) {
    const gboolean eos = GST_EVENT_TYPE (ev) == GST_EVENT_EOS;

    gst_event_unref (ev);
    if (eos)
      break;
  }
  fail_unless (ev != NULL, "no EOS downstream");

  fail_unless (gate_count (&gate) >= 1 && gate_count (&gate) <= 5);
  for (guint i = 0; i < gate_count (&gate); i++) {
    message_frame (g_ptr_array_index (gate.messages, i), &pts, &analyses);
    fail_unless_equals_uint64 (analyses, i + 1);
    fail_unless (i == 0 || pts > last_pts);
    last_pts = pts;
  }
  fail_unless_equals_uint64 (pts, 4 * FRAME);

  harness_free (h, bus);
  gate_clear (&gate);
  picture_clear (&pic);
}

GST_END_TEST;

/* A flush forgets everything: the frame waiting is never analysed and the boxes are no longer drawn
 * (a seek shows another picture). Also when the flush comes in the middle of an analysis. */
GST_START_TEST (test_async_flush_forgets)
{
  Picture pic = decode_messi ("I420");
  GstBus *bus;
  GstHarness *h = harness_new_with (pic.caps, "async", &bus);
  GstBuffer *out;
  GstClockTime pts;
  guint64 analyses;
  Box boxes[8];
  Gate gate;

  gate_init (&gate, bus, TRUE);
  gst_buffer_unref (process (h, stamped (pic.buffer, 0)));
  gate_wait_holding (&gate);
  out = process (h, stamped (pic.buffer, FRAME));
  fail_unless (roi_boxes (out, boxes, G_N_ELEMENTS (boxes)) >= 1);
  gst_buffer_unref (out);

  /* frame 1 waits for the analysis thread, held with analysis 1 */
  push_flush (h);
  gate_open (&gate);
  out = process (h, stamped (pic.buffer, 0));
  fail_unless_equals_int (roi_boxes (out, boxes, G_N_ELEMENTS (boxes)), 0);
  fail_unless (same_bytes (out, pic.buffer));
  gst_buffer_unref (out);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  fail_unless_equals_int (gate_count (&gate), 2);
  message_frame (g_ptr_array_index (gate.messages, 1), &pts, &analyses);
  fail_unless_equals_uint64 (analyses, 2);

  /* a flush while frame 0 of the new segment is being analysed */
  push_flush (h);
  gst_buffer_unref (process (h, stamped (pic.buffer, 0)));
  push_flush (h);
  out = process (h, stamped (pic.buffer, 2 * FRAME));
  fail_unless_equals_int (roi_boxes (out, boxes, G_N_ELEMENTS (boxes)), 0);
  gst_buffer_unref (out);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  message_frame (g_ptr_array_index (gate.messages, gate_count (&gate) - 1),
      &pts, &analyses);
  fail_unless_equals_uint64 (pts, 2 * FRAME);

  harness_free (h, bus);
  gate_clear (&gate);
  picture_clear (&pic);
}

GST_END_TEST;

/* max-rate=10: of frames 33 ms apart, about one in three is analysed, on a 100 ms grid of running
 * time: the frame at 133 ms is due although it is less than 100 ms after the frame at 99 ms, which
 * was not, and so is the one at 210 ms, less than 100 ms after 133. The frames between are not even
 * handed over, so the one waiting when a held analysis ends is the last one due, not the newest. */
GST_START_TEST (test_async_max_rate)
{
  static const GstClockTime held_1[] = { 34, 66, 99, 133 };
  static const GstClockTime held_2[] = { 166, 199, 210, 232 };
  Picture pic = decode_messi ("I420");
  GstBus *bus;
  GstHarness *h = harness_new_with (pic.caps, "async", &bus);
  GstClockTime pts;
  guint64 analyses;
  Gate gate;

  gate_init (&gate, bus, TRUE);
  g_object_set (h->element, "max-rate", 10.0, NULL);
  gst_buffer_unref (process (h, stamped (pic.buffer, 0)));
  gate_wait_holding (&gate);
  for (guint i = 0; i < G_N_ELEMENTS (held_1); i++)
    gst_buffer_unref (process (h, stamped (pic.buffer,
                held_1[i] * GST_MSECOND)));
  gate_release (&gate);
  gate_wait_holding (&gate);
  message_frame (gate_wait_message (&gate, 2), &pts, &analyses);
  fail_unless_equals_uint64 (pts, 133 * GST_MSECOND);
  for (guint i = 0; i < G_N_ELEMENTS (held_2); i++)
    gst_buffer_unref (process (h, stamped (pic.buffer,
                held_2[i] * GST_MSECOND)));
  gate_open (&gate);
  message_frame (gate_wait_message (&gate, 3), &pts, &analyses);
  fail_unless_equals_uint64 (pts, 210 * GST_MSECOND);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  fail_unless_equals_int (gate_count (&gate), 3);

  harness_free (h, bus);
  gate_clear (&gate);
  picture_clear (&pic);
}

GST_END_TEST;

/* The nice value of every thread of this process named `name`, in an array (empty if none). */
static GArray *
nice_of_threads (const gchar * name)
{
  GArray *nices = g_array_new (FALSE, FALSE, sizeof (gint));
  GDir *dir = g_dir_open ("/proc/self/task", 0, NULL);
  const gchar *tid;

  fail_unless (dir != NULL);
  while ((tid = g_dir_read_name (dir)) != NULL) {
    g_autofree gchar *comm_path = g_strdup_printf ("/proc/self/task/%s/comm",
        tid);
    g_autofree gchar *stat_path = g_strdup_printf ("/proc/self/task/%s/stat",
        tid);
    g_autofree gchar *comm = NULL, *stat = NULL;
    g_auto (GStrv) fields = NULL;
    gint nice;

    if (!g_file_get_contents (comm_path, &comm, NULL, NULL)
        || strcmp (g_strchomp (comm), name) != 0
        || !g_file_get_contents (stat_path, &stat, NULL, NULL))
      continue;
    /* after "pid (comm) ", field 3 (state) on; the nice value is field 19 */
    fields = g_strsplit (strrchr (stat, ')') + 2, " ", -1);
    fail_unless (g_strv_length (fields) > 16);
    nice = atoi (fields[16]);
    g_array_append_val (nices, nice);
  }
  g_dir_close (dir);
  return nices;
}

/* The analysis thread and the threads that help it search run below the streaming threads, so that
 * when the CPU is short the video keeps its rate and the analyses slow down. */
GST_START_TEST (test_async_runs_nicer)
{
  Picture pic = decode_messi ("I420");
  GstBus *bus;
  GstElement *e = gst_element_factory_make ("rtfxfacedetect", NULL);
  const gint nicer = MIN (getpriority (PRIO_PROCESS, 0) + 10, 19);
  GstHarness *h;
  GArray *nices;
  Gate gate;

  g_object_set (e, "threads", 3, NULL);
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_object_unref (e);
  bus = gst_bus_new ();
  gst_element_set_bus (h->element, bus);
  gst_harness_set_src_caps (h, gst_caps_ref (pic.caps));
  gate_init (&gate, bus, FALSE);
  gst_buffer_unref (process (h, stamped (pic.buffer, 0)));
  gate_wait_message (&gate, 1);

  nices = nice_of_threads ("rtfxfacedetect");
  fail_unless_equals_int (nices->len, 1);
  fail_unless_equals_int (g_array_index (nices, gint, 0), nicer);
  g_array_unref (nices);
  /* made by the analysis thread for its first frame */
  nices = nice_of_threads ("rtfxhaar");
  fail_unless_equals_int (nices->len, 2);
  for (guint i = 0; i < nices->len; i++)
    fail_unless_equals_int (g_array_index (nices, gint, i), nicer);
  g_array_unref (nices);

  harness_free (h, bus);
  gate_clear (&gate);
  picture_clear (&pic);
}

GST_END_TEST;

/* Its result does not matter: the element may be going to READY, where EOS goes no further. */
static gpointer
push_eos (gpointer data)
{
  gst_harness_push_event (data, gst_event_new_eos ());
  return NULL;
}

static gpointer
set_ready (gpointer data)
{
  return GINT_TO_POINTER (gst_element_set_state (data, GST_STATE_READY));
}

/* Tells the gate's waiters when EOS is about to enter the element. */
static GstPadProbeReturn
eos_arrives (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Gate *g = data;

  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_EOS) {
    g_mutex_lock (&g->lock);
    g->eos = TRUE;
    g_cond_broadcast (&g->cond);
    g_mutex_unlock (&g->lock);
  }
  return GST_PAD_PROBE_OK;
}

/* Stopping never waits for analyses: not in the middle of one (the analysis thread is joined,
 * nothing leaks), and not while EOS waits for the analysis thread, which may be held up. */
GST_START_TEST (test_async_stop)
{
  Picture pic = decode_messi ("I420");
  GstBus *bus;
  GstHarness *h;
  GThread *eos, *stop;
  GstPad *sinkpad;
  gint64 end;
  Gate gate;

  for (guint i = 0; i < 5; i++) {
    h = harness_new_with (pic.caps, "async", &bus);
    gst_buffer_unref (process (h, stamped (pic.buffer, 0)));
    harness_free (h, bus);
  }

  /* analysis 1 is held; EOS waits for it and for frame 1 */
  h = harness_new_with (pic.caps, "async", &bus);
  gate_init (&gate, bus, TRUE);
  gst_buffer_unref (process (h, stamped (pic.buffer, 0)));
  gate_wait_holding (&gate);
  gst_buffer_unref (process (h, stamped (pic.buffer, FRAME)));
  sinkpad = gst_element_get_static_pad (h->element, "sink");
  gst_pad_add_probe (sinkpad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, eos_arrives,
      &gate, NULL);
  gst_object_unref (sinkpad);
  eos = g_thread_new ("eos", push_eos, h);
  end = g_get_monotonic_time () + WAIT_LIMIT;
  g_mutex_lock (&gate.lock);
  while (!gate.eos && g_cond_wait_until (&gate.cond, &gate.lock, end));
  g_mutex_unlock (&gate.lock);
  fail_unless (gate.eos);
  /* going to READY lets EOS go on (were it not so, EOS would wait until the gate gives up, and
   * gate_clear() would fail), then waits to join the analysis thread, still held */
  stop = g_thread_new ("stop", set_ready, h->element);
  g_thread_join (eos);
  gate_open (&gate);
  fail_unless_equals_int (GPOINTER_TO_INT (g_thread_join (stop)),
      GST_STATE_CHANGE_SUCCESS);
  /* frame 1 was never analysed */
  fail_unless_equals_int (gate_count (&gate), 1);

  harness_free (h, bus);
  gate_clear (&gate);
  picture_clear (&pic);
}

GST_END_TEST;

/* Starting without a usable cascade fails, with a RESOURCE error that quotes the loader. */
static void
check_start_fails (const gchar * cascade, gint code, const gchar * says)
{
  g_autofree gchar *desc = g_strdup_printf ("videotestsrc num-buffers=1 ! "
      "rtfxfacedetect cascade=\"%s\" ! fakesink", cascade);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg;
  GError *err = NULL;

  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_PLAYING),
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no error message for %s", cascade);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR, code), "%s",
      err->message);
  fail_unless (strstr (err->message, says) != NULL, "“%s” not in “%s”", says,
      err->message);
  g_error_free (err);
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
}

GST_START_TEST (test_unusable_cascade_fails_to_start)
{
  g_autofree gchar *text = NULL;
  gchar *path = NULL;
  gsize len;
  gint fd;

  check_start_fails ("/nonexistent/faces.xml", GST_RESOURCE_ERROR_NOT_FOUND,
      "/nonexistent/faces.xml");

  /* the default cascade cut in half */
  fail_unless (g_file_get_contents (DEFAULT_CASCADE, &text, &len, NULL));
  fd = g_file_open_tmp ("rtfx-cascade-XXXXXX.xml", &path, NULL);
  fail_unless (fd >= 0);
  g_close (fd, NULL);
  fail_unless (g_file_set_contents (path, text, len / 2, NULL));
  check_start_fails (path, GST_RESOURCE_ERROR_READ, "not well-formed XML");
  /* a valid cascade of a kind we cannot use */
  fail_unless (g_file_set_contents (path,
          "<opencv_storage><cascade><stageType>BOOST</stageType>"
          "<featureType>LBP</featureType></cascade></opencv_storage>", -1,
          NULL));
  check_start_fails (path, GST_RESOURCE_ERROR_READ, "only HAAR");
  g_unlink (path);
  g_free (path);
}

GST_END_TEST;

static Suite *
rtfxfacedetect_suite (void)
{
  Suite *s = suite_create ("rtfxfacedetect");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_every_opencv_cascade_loads);
  tcase_add_test (tc, test_cascade_contents);
  tcase_add_test (tc, test_malformed_cascades);
  tcase_add_test (tc, test_missing_file);
  tcase_add_test (tc, test_integral_images);
  tcase_add_test (tc, test_threads_same_hits);
  tcase_add_test (tc, test_properties);
  tcase_add_test (tc, test_messi_face_found);
  tcase_add_test (tc, test_message_structure);
  tcase_add_test (tc, test_blank_frame);
  tcase_add_test (tc, test_draw_every_format);
  tcase_add_test (tc, test_live_parameters);
  tcase_add_test (tc, test_control_binding);
  tcase_add_test (tc, test_bytes_segment);
  tcase_add_test (tc, test_async_frames_do_not_wait);
  tcase_add_test (tc, test_async_eos_waits_for_last_frame);
  tcase_add_test (tc, test_async_flush_forgets);
  tcase_add_test (tc, test_async_max_rate);
  tcase_add_test (tc, test_async_runs_nicer);
  tcase_add_test (tc, test_async_stop);
  tcase_add_test (tc, test_unusable_cascade_fails_to_start);
  return s;
}

GST_CHECK_MAIN (rtfxfacedetect);
