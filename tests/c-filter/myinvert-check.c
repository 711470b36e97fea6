/* Unit tests for examples/c-filter's myinvert, built out of tree by c-filter-tutorial.py, which
 * points GST_PLUGIN_PATH_1_0 at it: every sample x becomes 255 - x in each format, on odd sizes and
 * padded rows; the strength changed between frames and by a control binding; the flags that make
 * rtfx-launch offer it. */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include "videoharness.h"

#define WIDTH 33
#define HEIGHT 17
#define ROW_PADDING 5

static const gchar *formats[] = { "I420", "YV12", "Y42B", "Y444", "GRAY8" };

/* Each sample differs from its neighbours, so a row read with the wrong stride shows. */
static guint8
paint (guint comp, gint x, gint y, gpointer data)
{
  return (guint8) (comp * 71 + x * 7 + y * 13);
}

static guint8
inverted (guint8 v)
{
  return 255 - v;
}

static guint8
unchanged (guint8 v)
{
  return v;
}

static guint8
grey (guint8 v)
{
  return 128;
}

/* Pushes a painted frame with the given PTS and checks every sample of the output is
 * expect (what was painted there). */
static void
check_frame (GstHarness * h, GstVideoFormat format, GstClockTime pts,
    guint8 (*expect) (guint8 v))
{
  GstBuffer *in = rtfx_video_frame_new (format, WIDTH, HEIGHT, ROW_PADDING,
      paint, NULL);
  GstVideoFrame out;

  GST_BUFFER_PTS (in) = pts;
  rtfx_video_harness_process (h, in, &out);
  for (guint c = 0; c < GST_VIDEO_FRAME_N_COMPONENTS (&out); c++) {
    const guint8 *d = GST_VIDEO_FRAME_COMP_DATA (&out, c);
    const gint stride = GST_VIDEO_FRAME_COMP_STRIDE (&out, c);

    for (gint y = 0; y < GST_VIDEO_FRAME_COMP_HEIGHT (&out, c); y++)
      for (gint x = 0; x < GST_VIDEO_FRAME_COMP_WIDTH (&out, c); x++)
        if (d[y * stride + x] != expect (paint (c, x, y, NULL)))
          ck_abort_msg ("%s component %u at (%d, %d): %u, expected %u",
              gst_video_format_to_string (format), c, x, y, d[y * stride + x],
              expect (paint (c, x, y, NULL)));
  }
  gst_video_frame_unmap (&out);
}

GST_START_TEST (test_inverts_every_format)
{
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++) {
    const GstVideoFormat format = gst_video_format_from_string (formats[i]);
    GstHarness *h = rtfx_video_harness ("myinvert", format, WIDTH, HEIGHT);

    check_frame (h, format, 0, inverted);
    gst_harness_teardown (h);
  }
}

GST_END_TEST;

GST_START_TEST (test_strength_between_frames)
{
  GstHarness *h = rtfx_video_harness ("myinvert", GST_VIDEO_FORMAT_I420,
      WIDTH, HEIGHT);

  check_frame (h, GST_VIDEO_FORMAT_I420, 0, inverted);
  g_object_set (h->element, "strength", 0.0, NULL);
  check_frame (h, GST_VIDEO_FORMAT_I420, GST_SECOND / 30, unchanged);
  g_object_set (h->element, "strength", 0.5, NULL);
  check_frame (h, GST_VIDEO_FORMAT_I420, 2 * GST_SECOND / 30, grey);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_control_binding)
{
  GstHarness *h = rtfx_video_harness ("myinvert", GST_VIDEO_FORMAT_I420,
      WIDTH, HEIGHT);

  rtfx_control_steps (h->element, "strength", 0.0, GST_SECOND, 1.0);
  check_frame (h, GST_VIDEO_FORMAT_I420, 0, unchanged);
  check_frame (h, GST_VIDEO_FORMAT_I420, 2 * GST_SECOND, inverted);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* What rtfx-launch looks for to offer a property to the page. */
GST_START_TEST (test_strength_is_live)
{
  GstElement *e = gst_element_factory_make ("myinvert", NULL);
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (e),
      "strength");
  const GParamFlags live = G_PARAM_WRITABLE | GST_PARAM_CONTROLLABLE |
      GST_PARAM_MUTABLE_PLAYING;

  fail_unless (pspec != NULL);
  fail_unless_equals_int (pspec->flags & live, live);
  gst_object_unref (e);
}

GST_END_TEST;

static Suite *
myinvert_suite (void)
{
  Suite *s = suite_create ("myinvert");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_inverts_every_format);
  tcase_add_test (tc, test_strength_between_frames);
  tcase_add_test (tc, test_control_binding);
  tcase_add_test (tc, test_strength_is_live);
  return s;
}

GST_CHECK_MAIN (myinvert);
