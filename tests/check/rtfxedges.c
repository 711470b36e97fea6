/* Unit tests for rtfxedges: edges where a picture's geometry puts them, live threshold changes (by
 * hand and by a control binding), a BYTES segment, every format, odd sizes and padded strides. The
 * edge kernel's equality with OpenCV is tested separately (tests/canny_vs_opencv.py); here the
 * reference for plumbing checks is that kernel on packed luma. */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <math.h>

#include "videoharness.h"
#include "rtfxcanny.h"

#define BACKGROUND 20
#define FOREGROUND 200

static const gchar *formats[] = { "I420", "YV12", "NV12", "NV21", "Y42B", "Y444",
  "Y41B", "GRAY8"
};

/* Chroma samples all different, so that a misplaced chroma write shows. */
static guint8
chroma_ramp (guint comp, gint x, gint y)
{
  return (guint8) (60 + 7 * comp + 3 * x + 5 * y);
}

static guint8
luma_at (const GstVideoFrame * f, gint x, gint y)
{
  return ((const guint8 *) GST_VIDEO_FRAME_COMP_DATA (f, 0))[y *
      GST_VIDEO_FRAME_COMP_STRIDE (f, 0) + x];
}

static guint
count_edges (const GstVideoFrame * f)
{
  guint n = 0;

  for (gint y = 0; y < GST_VIDEO_FRAME_HEIGHT (f); y++)
    for (gint x = 0; x < GST_VIDEO_FRAME_WIDTH (f); x++)
      n += luma_at (f, x, y) == 255;
  return n;
}

/* A filled rectangle [x0, x1) x [y0, y1). */
typedef struct
{
  gint x0, y0, x1, y1;
} Rect;

static guint8
paint_rect (guint comp, gint x, gint y, gpointer data)
{
  const Rect *r = data;

  if (comp > 0)
    return chroma_ramp (comp, x, y);
  return x >= r->x0 && x < r->x1 && y >= r->y0 && y < r->y1 ?
      FOREGROUND : BACKGROUND;
}

GST_START_TEST (test_square_edges_where_expected)
{
  const Rect r = { 16, 12, 40, 36 };
  GstHarness *h = rtfx_video_harness ("rtfxedges", GST_VIDEO_FORMAT_I420, 64,
      48);
  GstVideoFrame out;

  rtfx_video_harness_process (h, rtfx_video_frame_new (GST_VIDEO_FORMAT_I420,
          64, 48, 0, paint_rect, (gpointer) & r), &out);

  for (gint y = 0; y < 48; y++) {
    for (gint x = 0; x < 64; x++) {
      const guint8 v = luma_at (&out, x, y);
      /* A step has equal gradient on both sides; non-maximum suppression keeps the first of the two
       * in scan order: the outside pixel on the left and top sides, the inside one on the right
       * and bottom sides. */
      const gboolean on_left = x == r.x0 - 1, on_right = x == r.x1 - 1;
      const gboolean on_top = y == r.y0 - 1, on_bottom = y == r.y1 - 1;
      const gboolean in_x = x >= r.x0 + 1 && x < r.x1 - 2;
      const gboolean in_y = y >= r.y0 + 1 && y < r.y1 - 2;
      const gboolean near = x >= r.x0 - 1 && x <= r.x1 && y >= r.y0 - 1
          && y <= r.y1 && !(x > r.x0 + 1 && x < r.x1 - 2 && y > r.y0 + 1
          && y < r.y1 - 2);

      fail_unless (v == 0 || v == 255, "edge output must be binary");
      if (((on_left || on_right) && in_y) || ((on_top || on_bottom) && in_x))
        fail_unless_equals_int_hex (v, 255);
      if (!near)
        fail_unless (v == 0, "edge at (%d, %d), far from the square", x, y);
    }
  }
  /* The four sides and nothing much more: at most the corners' few extra pixels. */
  fail_unless (count_edges (&out) >= 4 * 21 && count_edges (&out) <= 4 * 26);
  gst_video_frame_unmap (&out);
  gst_harness_teardown (h);
}

GST_END_TEST;

static guint8
paint_disc (guint comp, gint x, gint y, gpointer data)
{
  const gdouble dx = x - 40.0, dy = y - 30.0;

  if (comp > 0)
    return chroma_ramp (comp, x, y);
  return dx * dx + dy * dy <= 15.0 * 15.0 ? FOREGROUND : BACKGROUND;
}

GST_START_TEST (test_circle_edges_where_expected)
{
  GstHarness *h = rtfx_video_harness ("rtfxedges", GST_VIDEO_FORMAT_GRAY8, 80,
      60);
  GstVideoFrame out;
  guint n;

  rtfx_video_harness_process (h, rtfx_video_frame_new (GST_VIDEO_FORMAT_GRAY8,
          80, 60, 0, paint_disc, NULL), &out);
  /* Every edge pixel lies on the circle's outline... */
  for (gint y = 0; y < 60; y++)
    for (gint x = 0; x < 80; x++)
      if (luma_at (&out, x, y) == 255) {
        const gdouble d = hypot (x - 40.0, y - 30.0);
        fail_unless (fabs (d - 15.0) <= 1.5, "edge at (%d, %d): %.2f from the "
            "centre, not on the circle of radius 15", x, y, d);
      }
  /* ...and the outline is closed: every point of the circle has an edge pixel next to it. */
  for (gint a = 0; a < 360; a += 5) {
    const gint cx = (gint) lround (40.0 + 15.0 * cos (a * G_PI / 180.0));
    const gint cy = (gint) lround (30.0 + 15.0 * sin (a * G_PI / 180.0));
    gboolean found = FALSE;

    for (gint y = cy - 1; y <= cy + 1; y++)
      for (gint x = cx - 1; x <= cx + 1; x++)
        found |= luma_at (&out, x, y) == 255;
    fail_unless (found, "no edge near the circle at %d degrees", a);
  }
  n = count_edges (&out);
  fail_unless (n >= 80 && n <= 130, "%u edge pixels for a circumference of 94",
      n);
  gst_video_frame_unmap (&out);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Two steps: a weak one (20 -> 50: gradient 120) and a strong one (50 -> 200: gradient 600). */
static guint8
paint_two_steps (guint comp, gint x, gint y, gpointer data)
{
  if (comp > 0)
    return chroma_ramp (comp, x, y);
  return x < 20 ? 20 : (x < 40 ? 50 : 200);
}

/* Edge pixels in the output of the two steps picture, stamped with pts. */
static guint
edges_of_two_steps (GstHarness * h, GstClockTime pts)
{
  GstBuffer *in = rtfx_video_frame_new (GST_VIDEO_FORMAT_I420, 64, 32, 0,
      paint_two_steps, NULL);
  GstVideoFrame out;
  guint n;

  GST_BUFFER_PTS (in) = pts;
  rtfx_video_harness_process (h, in, &out);
  n = count_edges (&out);
  gst_video_frame_unmap (&out);
  return n;
}

GST_START_TEST (test_threshold_change_while_playing)
{
  GstHarness *h = rtfx_video_harness ("rtfxedges", GST_VIDEO_FORMAT_I420, 64,
      32);

  /* Defaults 100/200: only the strong step is an edge, one column of 32 pixels. */
  fail_unless_equals_int (edges_of_two_steps (h, GST_CLOCK_TIME_NONE), 32);
  g_object_set (h->element, "high-threshold", 110.0, NULL);
  fail_unless_equals_int (edges_of_two_steps (h, GST_CLOCK_TIME_NONE), 64);
  g_object_set (h->element, "low-threshold", 700.0, "high-threshold", 800.0,
      NULL);
  fail_unless_equals_int (edges_of_two_steps (h, GST_CLOCK_TIME_NONE), 0);
  /* low above high: swapped, as OpenCV does. */
  g_object_set (h->element, "low-threshold", 115.0, "high-threshold", 50.0,
      NULL);
  fail_unless_equals_int (edges_of_two_steps (h, GST_CLOCK_TIME_NONE), 64);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A control binding drives the threshold: each frame is processed with the value of its own stream
 * time. */
GST_START_TEST (test_control_binding)
{
  GstHarness *h = rtfx_video_harness ("rtfxedges", GST_VIDEO_FORMAT_I420, 64,
      32);
  gdouble high;

  rtfx_control_steps (h->element, "high-threshold", 200.0, GST_SECOND, 110.0);
  fail_unless_equals_int (edges_of_two_steps (h, 0), 32);
  fail_unless_equals_int (edges_of_two_steps (h, 2 * GST_SECOND), 64);
  g_object_get (h->element, "high-threshold", &high, NULL);
  fail_unless_equals_float (high, 110.0);
  fail_unless_equals_int (edges_of_two_steps (h, GST_SECOND / 2), 32);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A segment in BYTES format gives no stream time: no CRITICAL (GstCheck makes them fatal), and
 * the frames are processed with the properties as they were set, the binding left alone. */
GST_START_TEST (test_bytes_segment)
{
  GstHarness *h = rtfx_video_harness ("rtfxedges", GST_VIDEO_FORMAT_I420, 64,
      32);

  rtfx_control_steps (h->element, "high-threshold", 110.0, GST_SECOND, 110.0);
  rtfx_harness_push_bytes_segment (h);
  fail_unless_equals_int (edges_of_two_steps (h, 2 * GST_SECOND), 32);
  gst_harness_teardown (h);
}

GST_END_TEST;

static gpointer
toggle_thresholds (gpointer data)
{
  GstElement *e = GST_ELEMENT (((gpointer *) data)[0]);
  volatile gint *stop = ((gpointer *) data)[1];

  for (guint i = 0; !g_atomic_int_get (stop); i++)
    g_object_set (e, "high-threshold", i % 2 ? 110.0 : 200.0, NULL);
  return NULL;
}

GST_START_TEST (test_threshold_change_from_another_thread)
{
  GstHarness *h = rtfx_video_harness ("rtfxedges", GST_VIDEO_FORMAT_I420, 64,
      32);
  gint stop = 0;
  gpointer data[2] = { h->element, &stop };
  GThread *thread = g_thread_new ("toggler", toggle_thresholds, data);
  guint seen[2] = { 0, 0 };

  /* Every frame is processed with one setting or the other, never a torn mix. */
  for (gint i = 0; i < 200; i++) {
    guint n = edges_of_two_steps (h, GST_CLOCK_TIME_NONE);
    fail_unless (n == 32 || n == 64, "frame %d has %u edge pixels", i, n);
    seen[n == 64]++;
  }
  g_atomic_int_set (&stop, 1);
  g_thread_join (thread);
  GST_INFO ("frames with the strong setting: %u, the weak one: %u", seen[0],
      seen[1]);
  gst_harness_teardown (h);
}

GST_END_TEST;

static guint8
paint_texture (guint comp, gint x, gint y, gpointer data)
{
  /* Something with edges in every direction: a disc, a bar and a ramp. */
  const gint dx = x - 11, dy = y - 9;

  if (comp > 0)
    return chroma_ramp (comp, x, y);
  if (dx * dx + dy * dy < 36)
    return 230;
  if (x > 3 && x < 7)
    return 10;
  return (guint8) (40 + 3 * x + 2 * y);
}

/* The element's luma output equals the kernel run on the packed luma, whatever the format, size or
 * stride; in edges mode every chroma sample is neutral. */
static void
check_format (GstVideoFormat format, gint width, gint height, gint pad)
{
  GstHarness *h = rtfx_video_harness ("rtfxedges", format, width, height);
  GstBuffer *in = rtfx_video_frame_new (format, width, height, pad,
      paint_texture, NULL);
  guint8 *luma = g_malloc ((gsize) width * height);
  guint8 *want = g_malloc ((gsize) width * height);
  g_autoptr (RtfxCanny) canny = rtfx_canny_new (width, height);
  GstVideoFrame out;

  for (gint y = 0; y < height; y++)
    for (gint x = 0; x < width; x++)
      luma[y * width + x] = paint_texture (0, x, y, NULL);
  rtfx_canny_process (canny, luma, width, want, width, 100, 200);

  rtfx_video_harness_process (h, in, &out);
  fail_unless_equals_int (GST_VIDEO_FRAME_FORMAT (&out), format);
  fail_unless_equals_int (GST_VIDEO_FRAME_WIDTH (&out), width);
  fail_unless_equals_int (GST_VIDEO_FRAME_HEIGHT (&out), height);
  for (gint y = 0; y < height; y++)
    for (gint x = 0; x < width; x++)
      fail_unless (luma_at (&out, x, y) == want[y * width + x],
          "%s %dx%d pad %d: luma differs at (%d, %d)",
          gst_video_format_to_string (format), width, height, pad, x, y);
  for (guint c = 1; c < GST_VIDEO_FRAME_N_COMPONENTS (&out); c++) {
    const guint8 *d = GST_VIDEO_FRAME_COMP_DATA (&out, c);
    for (gint y = 0; y < GST_VIDEO_FRAME_COMP_HEIGHT (&out, c); y++)
      for (gint x = 0; x < GST_VIDEO_FRAME_COMP_WIDTH (&out, c); x++)
        fail_unless_equals_int (d[y * GST_VIDEO_FRAME_COMP_STRIDE (&out, c) +
                x * GST_VIDEO_FRAME_COMP_PSTRIDE (&out, c)], 128);
  }
  gst_video_frame_unmap (&out);
  g_free (luma);
  g_free (want);
  gst_harness_teardown (h);
}

GST_START_TEST (test_every_format)
{
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    check_format (gst_video_format_from_string (formats[i]), 32, 24, 0);
}

GST_END_TEST;

GST_START_TEST (test_odd_sizes)
{
  static const gint sizes[][2] = { {33, 17}, {31, 31}, {1, 1}, {3, 2}, {2, 5},
  {17, 1}, {1, 9}
  };

  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
      check_format (gst_video_format_from_string (formats[i]), sizes[s][0],
          sizes[s][1], 0);
}

GST_END_TEST;

GST_START_TEST (test_wide_strides)
{
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++) {
    check_format (gst_video_format_from_string (formats[i]), 33, 17, 13);
    check_format (gst_video_format_from_string (formats[i]), 32, 24, 64);
  }
}

GST_END_TEST;

/* Overlay mode: the picture with white edges on it; chroma is neutral under edges, untouched
 * elsewhere. */
GST_START_TEST (test_overlay)
{
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++) {
    const GstVideoFormat format = gst_video_format_from_string (formats[i]);
    const Rect r = { 8, 6, 25, 19 };
    GstHarness *h = rtfx_video_harness ("rtfxedges", format, 33, 25);
    GstBuffer *in = rtfx_video_frame_new (format, 33, 25, 5, paint_rect,
        (gpointer) & r);
    GstVideoFrame out, edges, src;
    GstHarness *he = rtfx_video_harness ("rtfxedges", format, 33, 25);

    g_object_set (h->element, "mode", 1, NULL);
    rtfx_video_harness_process (he, gst_buffer_ref (in), &edges);
    fail_unless (gst_video_frame_map (&src, &edges.info, in, GST_MAP_READ));
    rtfx_video_harness_process (h, in, &out);
    for (gint y = 0; y < 25; y++)
      for (gint x = 0; x < 33; x++)
        fail_unless_equals_int (luma_at (&out, x, y),
            luma_at (&edges, x, y) ? 255 : paint_rect (0, x, y,
                (gpointer) & r));
    for (guint c = 1; c < GST_VIDEO_FRAME_N_COMPONENTS (&out); c++) {
      const gint ws = GST_VIDEO_FORMAT_INFO_W_SUB (out.info.finfo, c);
      const gint hs = GST_VIDEO_FORMAT_INFO_H_SUB (out.info.finfo, c);
      for (gint cy = 0; cy < GST_VIDEO_FRAME_COMP_HEIGHT (&out, c); cy++)
        for (gint cx = 0; cx < GST_VIDEO_FRAME_COMP_WIDTH (&out, c); cx++) {
          gboolean under = FALSE;
          for (gint y = cy << hs; y < MIN ((cy + 1) << hs, 25); y++)
            for (gint x = cx << ws; x < MIN ((cx + 1) << ws, 33); x++)
              under |= luma_at (&edges, x, y) == 255;
          fail_unless_equals_int (((guint8 *) GST_VIDEO_FRAME_COMP_DATA (&out,
                      c))[cy * GST_VIDEO_FRAME_COMP_STRIDE (&out, c) +
                  cx * GST_VIDEO_FRAME_COMP_PSTRIDE (&out, c)],
              under ? 128 : ((guint8 *) GST_VIDEO_FRAME_COMP_DATA (&src,
                      c))[cy * GST_VIDEO_FRAME_COMP_STRIDE (&src, c) +
                  cx * GST_VIDEO_FRAME_COMP_PSTRIDE (&src, c)]);
        }
    }
    gst_video_frame_unmap (&src);
    gst_video_frame_unmap (&out);
    gst_video_frame_unmap (&edges);
    gst_harness_teardown (h);
    gst_harness_teardown (he);
  }
}

GST_END_TEST;

GST_START_TEST (test_properties)
{
  GstElement *e = gst_element_factory_make ("rtfxedges", NULL);
  const gchar *names[] = { "low-threshold", "high-threshold", "mode" };
  gdouble low, high;
  gint mode;

  fail_unless (e != NULL);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
    GParamSpec *p = g_object_class_find_property (G_OBJECT_GET_CLASS (e),
        names[i]);
    fail_unless (p != NULL);
    fail_unless (p->flags & GST_PARAM_CONTROLLABLE);
    fail_unless (p->flags & GST_PARAM_MUTABLE_PLAYING);
  }
  g_object_get (e, "low-threshold", &low, "high-threshold", &high, "mode",
      &mode, NULL);
  fail_unless_equals_float (low, 100.0);
  fail_unless_equals_float (high, 200.0);
  fail_unless_equals_int (mode, 0);
  gst_object_unref (e);
}

GST_END_TEST;

static Suite *
rtfxedges_suite (void)
{
  Suite *s = suite_create ("rtfxedges");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_properties);
  tcase_add_test (tc, test_square_edges_where_expected);
  tcase_add_test (tc, test_circle_edges_where_expected);
  tcase_add_test (tc, test_threshold_change_while_playing);
  tcase_add_test (tc, test_threshold_change_from_another_thread);
  tcase_add_test (tc, test_control_binding);
  tcase_add_test (tc, test_bytes_segment);
  tcase_add_test (tc, test_every_format);
  tcase_add_test (tc, test_odd_sizes);
  tcase_add_test (tc, test_wide_strides);
  tcase_add_test (tc, test_overlay);
  return s;
}

GST_CHECK_MAIN (rtfxedges);
