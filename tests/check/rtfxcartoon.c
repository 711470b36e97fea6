/* Unit tests for rtfxcartoon, checked on synthetic frames: noisy flat regions come out flat and keep
 * their colour, the boundary between them stays sharp and gets a dark line (and nothing else does),
 * the outlines are exactly those of a naive median + box-mean threshold, live property changes (by
 * hand and by a control binding), a BYTES segment, every format, odd sizes and padded strides. The
 * speed at 640x480 is printed, not asserted. */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <math.h>

#include "videoharness.h"
#include "rtfxcartoon.h"

#define BLACK 16

static const gchar *formats[] = { "I420", "YV12", "NV12", "NV21" };

static guint8
sample (const GstVideoFrame * f, gint comp, gint x, gint y)
{
  return ((const guint8 *) GST_VIDEO_FRAME_COMP_DATA (f, comp))[y *
      GST_VIDEO_FRAME_COMP_STRIDE (f, comp) +
      x * GST_VIDEO_FRAME_COMP_PSTRIDE (f, comp)];
}

/* Deterministic noise in [-amplitude, amplitude], the same for a sample whatever the format. */
static gint
noise (gint comp, gint x, gint y, gint amplitude)
{
  guint32 h = (guint32) x * 0x9E3779B1u ^ (guint32) y * 0x85EBCA77u ^
      (guint32) comp * 0xC2B2AE3Du;

  h ^= h >> 15;
  h *= 0x2C1B3C6Du;
  h ^= h >> 12;
  h *= 0x297A2D39u;
  h ^= h >> 15;
  return (gint) (h % (2 * amplitude + 1)) - amplitude;
}

/* Two flat colours, left and right of a vertical boundary at BOUNDARY, with noise: a dark orange-ish
 * (Y 70, U 100, V 170) and a light blue-ish (Y 170, U 160, V 100). */
#define REGION_W 160
#define REGION_H 96
#define BOUNDARY 80
#define NOISE 6

static const guint8 left_colour[3] = { 70, 100, 170 };
static const guint8 right_colour[3] = { 170, 160, 100 };

static guint8
paint_regions (guint comp, gint x, gint y, gpointer data)
{
  /* Chroma x covers luma 2x and 2x + 1. */
  const gboolean left = (comp == 0 ? x : 2 * x) < BOUNDARY;
  const gint v = (left ? left_colour : right_colour)[comp] + noise (comp, x, y,
      NOISE);

  return (guint8) CLAMP (v, 0, 255);
}

/* Mean and variance of component comp over the columns [x0, x1) of all rows but the border's. */
static void
stats (const GstVideoFrame * f, gint comp, gint x0, gint x1, gdouble * mean,
    gdouble * var)
{
  const gint rows = GST_VIDEO_FRAME_COMP_HEIGHT (f, comp);
  gdouble s = 0, s2 = 0;
  gint n = 0;

  for (gint y = 4; y < rows - 4; y++)
    for (gint x = x0; x < x1; x++) {
      const gdouble v = sample (f, comp, x, y);
      s += v;
      s2 += v * v;
      n++;
    }
  *mean = s / n;
  *var = s2 / n - *mean * *mean;
}

static void
luma_variance_of_regions (const GstVideoFrame * f, gdouble * left,
    gdouble * right)
{
  gdouble mean;

  /* Away from the boundary (and its outline) and from the picture's sides. */
  stats (f, 0, 8, BOUNDARY - 16, &mean, left);
  stats (f, 0, BOUNDARY + 16, REGION_W - 8, &mean, right);
}

GST_START_TEST (test_properties)
{
  GstElement *e = gst_element_factory_make ("rtfxcartoon", NULL);
  const gchar *names[] = { "passes", "block-size", "edge-strength",
    "threshold"
  };
  guint passes, block;
  gdouble strength, threshold;

  fail_unless (e != NULL);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
    GParamSpec *p = g_object_class_find_property (G_OBJECT_GET_CLASS (e),
        names[i]);
    fail_unless (p != NULL);
    fail_unless (p->flags & GST_PARAM_CONTROLLABLE);
    fail_unless (p->flags & GST_PARAM_MUTABLE_PLAYING);
  }
  g_object_get (e, "passes", &passes, "block-size", &block, "edge-strength",
      &strength, "threshold", &threshold, NULL);
  fail_unless_equals_int (passes, 3);
  fail_unless_equals_int (block, 9);
  fail_unless_equals_float (strength, 1.0);
  fail_unless_equals_float (threshold, 8.0);
  /* Even block sizes are rounded up. */
  g_object_set (e, "block-size", 10, NULL);
  g_object_get (e, "block-size", &block, NULL);
  fail_unless_equals_int (block, 11);
  g_object_set (e, "block-size", 50, NULL);
  g_object_get (e, "block-size", &block, NULL);
  fail_unless_equals_int (block, 51);
  g_object_set (e, "block-size", 3, NULL);
  g_object_get (e, "block-size", &block, NULL);
  fail_unless_equals_int (block, 3);
  gst_object_unref (e);
}

GST_END_TEST;

static guint8
paint_flat (guint comp, gint x, gint y, gpointer data)
{
  return left_colour[comp];
}

/* A flat picture comes out unchanged, every sample, whatever the size, stride or format: no outline,
 * no drift from rounding in the filter or the scaling. */
GST_START_TEST (test_flat_picture_unchanged)
{
  static const gint sizes[][2] = { {32, 24}, {33, 17}, {1, 1}, {2, 3}, {5, 1},
  {1, 7}
  };

  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    for (guint s = 0; s < G_N_ELEMENTS (sizes); s++) {
      const GstVideoFormat format = gst_video_format_from_string (formats[i]);
      const gint w = sizes[s][0], hh = sizes[s][1];
      GstHarness *h = rtfx_video_harness ("rtfxcartoon", format, w, hh);
      GstVideoFrame out;

      rtfx_video_harness_process (h, rtfx_video_frame_new (format, w, hh, 7,
              paint_flat, NULL), &out);
      for (guint c = 0; c < 3; c++)
        for (gint y = 0; y < GST_VIDEO_FRAME_COMP_HEIGHT (&out, c); y++)
          for (gint x = 0; x < GST_VIDEO_FRAME_COMP_WIDTH (&out, c); x++)
            fail_unless (sample (&out, c, x, y) == left_colour[c],
                "%s %dx%d: component %u at (%d, %d) is %u, not %u",
                formats[i], w, hh, c, x, y, sample (&out, c, x, y),
                left_colour[c]);
      gst_video_frame_unmap (&out);
      gst_harness_teardown (h);
    }
}

GST_END_TEST;

static void
process_regions (GstHarness * h, GstVideoFrame * out)
{
  rtfx_video_harness_process (h, rtfx_video_frame_new (GST_VIDEO_FORMAT_I420,
          REGION_W, REGION_H, 0, paint_regions, NULL), out);
}

/* The noise is flattened, much more with three passes than with none (which only halves and doubles
 * the picture), and the input's own variance is far above both. */
GST_START_TEST (test_regions_flattened)
{
  GstHarness *h = rtfx_video_harness ("rtfxcartoon", GST_VIDEO_FORMAT_I420,
      REGION_W, REGION_H);
  GstVideoFrame in_frame, out;
  GstVideoInfo info;
  GstBuffer *in = rtfx_video_frame_new (GST_VIDEO_FORMAT_I420, REGION_W,
      REGION_H, 0, paint_regions, NULL);
  gdouble in_l, in_r, p0_l, p0_r, p3_l, p3_r, mean, var;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, REGION_W, REGION_H);
  fail_unless (gst_video_frame_map (&in_frame, &info, in, GST_MAP_READ));
  luma_variance_of_regions (&in_frame, &in_l, &in_r);
  gst_video_frame_unmap (&in_frame);

  g_object_set (h->element, "passes", 0, NULL);
  rtfx_video_harness_process (h, in, &out);
  luma_variance_of_regions (&out, &p0_l, &p0_r);
  gst_video_frame_unmap (&out);

  g_object_set (h->element, "passes", 3, NULL);
  process_regions (h, &out);
  luma_variance_of_regions (&out, &p3_l, &p3_r);
  GST_INFO ("luma variance: input %.2f/%.2f, 0 passes %.2f/%.2f, "
      "3 passes %.2f/%.2f", in_l, in_r, p0_l, p0_r, p3_l, p3_r);
  /* Uniform noise of amplitude 6 has a variance of 14. */
  fail_unless (in_l > 10 && in_r > 10);
  fail_unless (p0_l < in_l / 2 && p0_r < in_r / 2);
  fail_unless (p0_l > in_l / 20 && p0_r > in_r / 20,
      "no passes should not flatten much: %.2f %.2f", p0_l, p0_r);
  fail_unless (p3_l < p0_l / 5 && p3_r < p0_r / 5,
      "three passes flatten too little: %.2f %.2f", p3_l, p3_r);
  fail_unless (p3_l < 0.5 && p3_r < 0.5);

  /* The chroma is flattened as well, around the region's own colour: the hue stays. */
  for (guint c = 1; c < 3; c++) {
    stats (&out, c, 4, BOUNDARY / 2 - 4, &mean, &var);
    fail_unless (fabs (mean - left_colour[c]) < 1.0 && var < 0.5,
        "left chroma %u: mean %.2f variance %.2f", c, mean, var);
    stats (&out, c, BOUNDARY / 2 + 4, REGION_W / 2 - 4, &mean, &var);
    fail_unless (fabs (mean - right_colour[c]) < 1.0 && var < 0.5,
        "right chroma %u: mean %.2f variance %.2f", c, mean, var);
  }
  gst_video_frame_unmap (&out);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* The filter preserves the boundary: every chroma sample, the columns beside the boundary included,
 * keeps its own side's colour, where a plain blur would mix the two. */
GST_START_TEST (test_boundary_stays_sharp)
{
  GstHarness *h = rtfx_video_harness ("rtfxcartoon", GST_VIDEO_FORMAT_I420,
      REGION_W, REGION_H);
  GstVideoFrame out;

  g_object_set (h->element, "passes", 10, NULL);
  process_regions (h, &out);
  for (guint c = 1; c < 3; c++)
    for (gint y = 0; y < REGION_H / 2; y++)
      for (gint x = 0; x < REGION_W / 2; x++) {
        const gint want = (2 * x < BOUNDARY ? left_colour : right_colour)[c];
        fail_unless (ABS (sample (&out, c, x, y) - want) <= 3,
            "chroma %u at (%d, %d) is %u, its side's colour is %d", c, x, y,
            sample (&out, c, x, y), want);
      }
  gst_video_frame_unmap (&out);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* The darker side of the boundary gets a black line, at least the two columns next to it in every
 * row; nothing further than the block's half-size from it is darkened, and the lighter side never. */
GST_START_TEST (test_dark_line_along_boundary)
{
  GstHarness *h = rtfx_video_harness ("rtfxcartoon", GST_VIDEO_FORMAT_I420,
      REGION_W, REGION_H);
  GstVideoFrame out;
  guint dark = 0;

  process_regions (h, &out);
  for (gint y = 0; y < REGION_H; y++) {
    for (gint x = 0; x < REGION_W; x++) {
      const guint8 v = sample (&out, 0, x, y);

      if (x == BOUNDARY - 1 || x == BOUNDARY - 2)
        fail_unless_equals_int (v, BLACK);
      if (x < BOUNDARY - 5)
        fail_unless (v > left_colour[0] - 8, "(%d, %d) is dark: %u", x, y, v);
      if (x >= BOUNDARY)
        fail_unless (v > left_colour[0] + 8, "(%d, %d) is dark: %u", x, y, v);
      dark += v == BLACK;
    }
  }
  /* Two to five columns of the 96 rows. */
  fail_unless (dark >= 2 * REGION_H && dark <= 5 * REGION_H, "%u dark pixels",
      dark);
  gst_video_frame_unmap (&out);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* edge-strength is how dark the line is: none at 0; at 0.5, exactly halfway from the smooth luma to
 * black on the outlines that strength 1 draws, and the smooth luma everywhere else. */
GST_START_TEST (test_edge_strength)
{
  GstHarness *h = rtfx_video_harness ("rtfxcartoon", GST_VIDEO_FORMAT_I420,
      REGION_W, REGION_H);
  GstVideoFrame none, half, full;
  guint lines = 0;

  g_object_set (h->element, "edge-strength", 0.0, NULL);
  process_regions (h, &none);
  g_object_set (h->element, "edge-strength", 0.5, NULL);
  process_regions (h, &half);
  g_object_set (h->element, "edge-strength", 1.0, NULL);
  process_regions (h, &full);
  for (gint y = 0; y < REGION_H; y++)
    for (gint x = 0; x < REGION_W; x++) {
      const gint smooth = sample (&none, 0, x, y);
      const gint v = sample (&half, 0, x, y);

      fail_unless (smooth > left_colour[0] - 8,
          "(%d, %d) is dark with edge-strength 0: %d", x, y, smooth);
      if (sample (&full, 0, x, y) == BLACK) {
        fail_unless_equals_int (v, smooth - (smooth - BLACK + 1) / 2);
        lines++;
      } else {
        fail_unless_equals_int (v, smooth);
        fail_unless_equals_int (sample (&full, 0, x, y), smooth);
      }
    }
  fail_unless (lines >= 2 * REGION_H);
  gst_video_frame_unmap (&none);
  gst_video_frame_unmap (&half);
  gst_video_frame_unmap (&full);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Black pixels in the output of the regions picture, stamped with pts. */
static guint
count_black (GstHarness * h, GstClockTime pts)
{
  GstBuffer *in = rtfx_video_frame_new (GST_VIDEO_FORMAT_I420, REGION_W,
      REGION_H, 0, paint_regions, NULL);
  GstVideoFrame out;
  guint n = 0;

  GST_BUFFER_PTS (in) = pts;
  rtfx_video_harness_process (h, in, &out);
  for (gint y = 0; y < REGION_H; y++)
    for (gint x = 0; x < REGION_W; x++)
      n += sample (&out, 0, x, y) == BLACK;
  gst_video_frame_unmap (&out);
  return n;
}

static gdouble
left_variance (GstHarness * h)
{
  GstVideoFrame out;
  gdouble l, r;

  process_regions (h, &out);
  luma_variance_of_regions (&out, &l, &r);
  gst_video_frame_unmap (&out);
  return l;
}

/* The harness plays; every property takes effect on the next frame. */
GST_START_TEST (test_changes_while_playing)
{
  GstHarness *h = rtfx_video_harness ("rtfxcartoon", GST_VIDEO_FORMAT_I420,
      REGION_W, REGION_H);
  guint n3, n9, n25;
  gdouble v0, v1, v3;

  fail_unless_equals_int (GST_STATE (h->element), GST_STATE_PLAYING);
  g_object_set (h->element, "block-size", 3, NULL);
  n3 = count_black (h, GST_CLOCK_TIME_NONE);
  g_object_set (h->element, "block-size", 9, NULL);
  n9 = count_black (h, GST_CLOCK_TIME_NONE);
  g_object_set (h->element, "block-size", 25, NULL);
  n25 = count_black (h, GST_CLOCK_TIME_NONE);
  GST_INFO ("black pixels with block size 3: %u, 9: %u, 25: %u", n3, n9, n25);
  /* The line is about as wide as half the block. */
  fail_unless (n3 > 0 && n3 < n9 && n9 < n25, "%u %u %u", n3, n9, n25);
  fail_unless (n25 >= 8 * REGION_H, "%u", n25);

  g_object_set (h->element, "threshold", 100.0, NULL);
  fail_unless_equals_int (count_black (h, GST_CLOCK_TIME_NONE), 0);
  g_object_set (h->element, "threshold", 8.0, NULL);
  fail_unless_equals_int (count_black (h, GST_CLOCK_TIME_NONE), n25);

  g_object_set (h->element, "passes", 0, NULL);
  v0 = left_variance (h);
  g_object_set (h->element, "passes", 1, NULL);
  v1 = left_variance (h);
  g_object_set (h->element, "passes", 3, NULL);
  v3 = left_variance (h);
  GST_INFO ("luma variance with 0 passes: %.3f, 1: %.3f, 3: %.3f", v0, v1, v3);
  fail_unless (v1 < v0 / 2 && v3 < v1, "%.3f %.3f %.3f", v0, v1, v3);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A control binding drives the outlines: each frame is processed with the value of its own stream
 * time. */
GST_START_TEST (test_control_binding)
{
  GstHarness *h = rtfx_video_harness ("rtfxcartoon", GST_VIDEO_FORMAT_I420,
      REGION_W, REGION_H);
  gdouble strength;

  rtfx_control_steps (h->element, "edge-strength", 1.0, GST_SECOND, 0.0);
  fail_unless (count_black (h, 0) >= 2 * REGION_H);
  fail_unless_equals_int (count_black (h, 2 * GST_SECOND), 0);
  g_object_get (h->element, "edge-strength", &strength, NULL);
  fail_unless_equals_float (strength, 0.0);
  fail_unless (count_black (h, GST_SECOND / 2) >= 2 * REGION_H);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A segment in BYTES format gives no stream time: no CRITICAL (GstCheck makes them fatal), and
 * the frames are processed with the properties as they were set, the binding left alone. */
GST_START_TEST (test_bytes_segment)
{
  GstHarness *h = rtfx_video_harness ("rtfxcartoon", GST_VIDEO_FORMAT_I420,
      REGION_W, REGION_H);

  rtfx_control_steps (h->element, "edge-strength", 0.0, GST_SECOND, 0.0);
  rtfx_harness_push_bytes_segment (h);
  fail_unless (count_black (h, 2 * GST_SECOND) >= 2 * REGION_H);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Something with structure at every scale: blobs, a ramp and noise; luma at least 40, so that only
 * outlines are black. */
static guint8
paint_texture (guint comp, gint x, gint y, gpointer data)
{
  const gint s = comp == 0 ? 1 : 2;     /* in luma coordinates */
  const gint lx = x * s, ly = y * s;
  const gint dx = lx - 13, dy = ly - 9;
  gint v;

  if (comp > 0)
    return (guint8) (90 + comp * 30 + (lx * 3 + ly) % 40 + noise (comp, x, y,
            4));
  v = 60 + (lx * 5 + ly * 3) % 90 + noise (0, x, y, 12);
  if (dx * dx + dy * dy < 40)
    v += 80;
  if ((lx / 6 + ly / 5) % 3 == 0)
    v -= 15;
  return (guint8) CLAMP (v, 40, 255);
}

static guint8
luma_of (const guint8 * plane, gint w, gint h, gint x, gint y)
{
  return plane[CLAMP (y, 0, h - 1) * w + CLAMP (x, 0, w - 1)];
}

/* The reference outlines, computed the slow way: a 3x3 median and the mean of a block x block box, the
 * border replicated (what cv::medianBlur and cv::adaptiveThreshold do), and a pixel at least
 * `threshold` below the mean (compared in sixteenths, as the element does) is an outline. */
static gboolean *
reference_outlines (gint w, gint h, gint block, gdouble threshold)
{
  guint8 *luma = g_malloc ((gsize) w * h), *median = g_malloc ((gsize) w * h);
  gboolean *edge = g_new (gboolean, (gsize) w * h);
  const gint r = block / 2, t16 = (gint) lround (threshold * 16);

  for (gint y = 0; y < h; y++)
    for (gint x = 0; x < w; x++)
      luma[y * w + x] = paint_texture (0, x, y, NULL);
  for (gint y = 0; y < h; y++)
    for (gint x = 0; x < w; x++) {
      guint8 v[9];
      gint n = 0;

      for (gint j = -1; j <= 1; j++)
        for (gint i = -1; i <= 1; i++)
          v[n++] = luma_of (luma, w, h, x + i, y + j);
      /* Insertion sort of nine. */
      for (gint i = 1; i < 9; i++)
        for (gint k = i; k > 0 && v[k - 1] > v[k]; k--) {
          guint8 t = v[k];
          v[k] = v[k - 1];
          v[k - 1] = t;
        }
      median[y * w + x] = v[4];
    }
  for (gint y = 0; y < h; y++)
    for (gint x = 0; x < w; x++) {
      gint sum = 0;

      for (gint j = -r; j <= r; j++)
        for (gint i = -r; i <= r; i++)
          sum += luma_of (median, w, h, x + i, y + j);
      edge[y * w + x] = (median[y * w + x] * 16 + t16) * block * block <=
          sum * 16;
    }
  g_free (luma);
  g_free (median);
  return edge;
}

/* The element's black pixels are exactly the reference's outlines, for small and huge blocks (larger
 * than the picture: all border), fractional and negative thresholds, odd sizes. */
GST_START_TEST (test_outlines_match_reference)
{
  static const struct
  {
    gint w, h, block;
    gdouble threshold;
  } cases[] = {
    {64, 48, 9, 5.0}, {64, 48, 3, 2.0}, {64, 48, 51, 7.5}, {37, 23, 15, 3.3},
    {37, 23, 51, 0.0}, {5, 3, 9, -1.0}, {1, 1, 3, 5.0}, {2, 9, 5, 1.0},
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    const gint w = cases[i].w, hh = cases[i].h;
    GstHarness *h = rtfx_video_harness ("rtfxcartoon", GST_VIDEO_FORMAT_NV12,
        w, hh);
    gboolean *want = reference_outlines (w, hh, cases[i].block,
        cases[i].threshold);
    GstVideoFrame out;
    guint n = 0;

    g_object_set (h->element, "block-size", cases[i].block, "threshold",
        cases[i].threshold, "passes", i % 4, NULL);
    rtfx_video_harness_process (h, rtfx_video_frame_new (GST_VIDEO_FORMAT_NV12,
            w, hh, 3, paint_texture, NULL), &out);
    for (gint y = 0; y < hh; y++)
      for (gint x = 0; x < w; x++) {
        fail_unless ((sample (&out, 0, x, y) == BLACK) == want[y * w + x],
            "%dx%d block %d threshold %.1f: (%d, %d) is %u, reference says "
            "%s", w, hh, cases[i].block, cases[i].threshold, x, y,
            sample (&out, 0, x, y), want[y * w + x] ? "outline" : "not");
        n += want[y * w + x];
      }
    GST_INFO ("case %u: %u outline pixels of %d", i, n, w * hh);
    /* The bigger pictures must have some outline and some not, or the test proves little. */
    if (w * hh > 100)
      fail_unless (n > 0 && n < (guint) (w * hh));
    g_free (want);
    gst_video_frame_unmap (&out);
    gst_harness_teardown (h);
  }
}

GST_END_TEST;

/* The output of one picture in one format with one row padding. */
static void
cartoon_of (GstVideoFormat format, gint w, gint hh, gint pad, guint8 * planes[3])
{
  GstHarness *h = rtfx_video_harness ("rtfxcartoon", format, w, hh);
  GstVideoFrame out;

  rtfx_video_harness_process (h, rtfx_video_frame_new (format, w, hh, pad,
          paint_texture, NULL), &out);
  for (guint c = 0; c < 3; c++) {
    const gint cw = GST_VIDEO_FRAME_COMP_WIDTH (&out, c);

    planes[c] = g_malloc ((gsize) cw * GST_VIDEO_FRAME_COMP_HEIGHT (&out, c));
    for (gint y = 0; y < GST_VIDEO_FRAME_COMP_HEIGHT (&out, c); y++)
      for (gint x = 0; x < cw; x++)
        planes[c][y * cw + x] = sample (&out, c, x, y);
  }
  gst_video_frame_unmap (&out);
  gst_harness_teardown (h);
}

/* I420, YV12, NV12 and NV21, packed or with padded rows, give the same picture, samples for samples;
 * the picture is not trivial (it has outlines and is not the input). */
GST_START_TEST (test_formats_and_strides_agree)
{
  static const gint sizes[][3] = { {64, 48, 0}, {33, 17, 13}, {31, 31, 64},
  {1, 1, 5}, {3, 2, 1}, {2, 5, 0}, {17, 1, 3}, {1, 9, 2}
  };

  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++) {
    const gint w = sizes[s][0], hh = sizes[s][1];
    const gsize n[3] = { (gsize) w * hh, (gsize) ((w + 1) / 2) * ((hh + 1) / 2),
      (gsize) ((w + 1) / 2) * ((hh + 1) / 2)
    };
    guint8 *ref[3];
    guint black = 0;

    cartoon_of (GST_VIDEO_FORMAT_I420, w, hh, 0, ref);
    for (gsize k = 0; k < n[0]; k++)
      black += ref[0][k] == BLACK;
    if (w * hh > 1000)
      fail_unless (black > 0);
    for (guint i = 0; i < G_N_ELEMENTS (formats); i++) {
      guint8 *got[3];

      cartoon_of (gst_video_format_from_string (formats[i]), w, hh,
          sizes[s][2], got);
      for (guint c = 0; c < 3; c++) {
        for (gsize k = 0; k < n[c]; k++)
          fail_unless (got[c][k] == ref[c][k],
              "%s %dx%d pad %d: component %u sample %" G_GSIZE_FORMAT
              " is %u, I420 gave %u", formats[i], w, hh, sizes[s][2], c, k,
              got[c][k], ref[c][k]);
        g_free (got[c]);
      }
    }
    for (guint c = 0; c < 3; c++)
      g_free (ref[c]);
  }
}

GST_END_TEST;

/* With no passes the chroma is the input's, untouched. */
GST_START_TEST (test_no_passes_keeps_chroma)
{
  GstHarness *h = rtfx_video_harness ("rtfxcartoon", GST_VIDEO_FORMAT_NV21, 33,
      17);
  GstVideoFrame out;

  g_object_set (h->element, "passes", 0, NULL);
  rtfx_video_harness_process (h, rtfx_video_frame_new (GST_VIDEO_FORMAT_NV21,
          33, 17, 9, paint_texture, NULL), &out);
  for (guint c = 1; c < 3; c++)
    for (gint y = 0; y < 9; y++)
      for (gint x = 0; x < 17; x++)
        fail_unless_equals_int (sample (&out, c, x, y),
            paint_texture (c, x, y, NULL));
  gst_video_frame_unmap (&out);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Full-range caps: the outline's black is 0. */
GST_START_TEST (test_full_range_black)
{
  GstHarness *h = gst_harness_new ("rtfxcartoon");
  GstVideoFrame out;
  GstVideoInfo info;
  guint zeros = 0;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, REGION_W, REGION_H);
  info.colorimetry.range = GST_VIDEO_COLOR_RANGE_0_255;
  gst_harness_set_src_caps (h, gst_video_info_to_caps (&info));
  /* The same buffer layout as limited range. */
  rtfx_video_harness_process (h, rtfx_video_frame_new (GST_VIDEO_FORMAT_I420,
          REGION_W, REGION_H, 0, paint_regions, NULL), &out);
  for (gint y = 0; y < REGION_H; y++) {
    fail_unless_equals_int (sample (&out, 0, BOUNDARY - 1, y), 0);
    for (gint x = 0; x < REGION_W; x++)
      zeros += sample (&out, 0, x, y) == 0;
  }
  fail_unless (zeros >= 2 * REGION_H);
  gst_video_frame_unmap (&out);
  gst_harness_teardown (h);
}

GST_END_TEST;

static guint8
paint_camera_like (guint comp, gint x, gint y, gpointer data)
{
  /* Smooth shapes with noise, like a camera picture. */
  const gint s = comp == 0 ? 1 : 2;
  const gdouble fx = x * s, fy = y * s;
  const gdouble v = 128 + 60 * sin (fx / 37.0) * cos (fy / 23.0) +
      (fx - 320) * (fy - 240) / 2000.0;

  return (guint8) CLAMP ((gint) v / (comp == 0 ? 1 : 2) + (comp ? 64 : 0) +
      noise (comp, x, y, 3), 0, 255);
}

/* Prints milliseconds per frame at 640x480 through the element (push to pull, with the harness's
 * buffer handling) and through the kernel alone. Informational only: the machine may be busy. */
GST_START_TEST (test_speed_640x480)
{
  const gint w = 640, hh = 480, frames = 60;
  static const guint passes[] = { 0, 3, 10 };
  GstHarness *h = rtfx_video_harness ("rtfxcartoon", GST_VIDEO_FORMAT_I420, w,
      hh);
  GstBuffer *in = rtfx_video_frame_new (GST_VIDEO_FORMAT_I420, w, hh, 0,
      paint_camera_like, NULL);
  GstVideoInfo info;
  GstVideoFrame src_frame;
  g_autoptr (RtfxCartoon) cartoon = rtfx_cartoon_new (w, hh);
  guint8 *out = g_malloc ((gsize) w * hh * 3 / 2);
  RtfxYuv420 src, dst = { out, out + w * hh, out + w * hh + w * hh / 4, w,
    w / 2, 1
  };

  for (gint i = 0; i < 5; i++)
    gst_buffer_unref (gst_harness_push_and_pull (h, gst_buffer_ref (in)));
  for (guint k = 0; k < G_N_ELEMENTS (passes); k++) {
    gint64 start = g_get_monotonic_time ();

    g_object_set (h->element, "passes", passes[k], NULL);
    for (gint i = 0; i < frames; i++)
      gst_buffer_unref (gst_harness_push_and_pull (h, gst_buffer_ref (in)));
    g_print ("rtfxcartoon 640x480 I420, passes=%u block-size=9: "
        "%.2f ms/frame through the element\n", passes[k],
        (g_get_monotonic_time () - start) / 1000.0 / frames);
  }

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, w, hh);
  fail_unless (gst_video_frame_map (&src_frame, &info, in, GST_MAP_READ));
  src.y = GST_VIDEO_FRAME_COMP_DATA (&src_frame, 0);
  src.u = GST_VIDEO_FRAME_COMP_DATA (&src_frame, 1);
  src.v = GST_VIDEO_FRAME_COMP_DATA (&src_frame, 2);
  src.y_stride = GST_VIDEO_FRAME_COMP_STRIDE (&src_frame, 0);
  src.uv_stride = GST_VIDEO_FRAME_COMP_STRIDE (&src_frame, 1);
  src.uv_pstride = 1;
  for (guint k = 0; k < G_N_ELEMENTS (passes); k++)
    for (gdouble strength = 0.0; strength <= 1.0; strength += 1.0) {
      const RtfxCartoonParams params = {.passes = passes[k],.block_size = 9,
        .threshold = 8.0,.edge_strength = strength,.black = 16
      };
      gint64 start = g_get_monotonic_time ();

      for (gint i = 0; i < frames; i++)
        rtfx_cartoon_process (cartoon, &params, &src, &dst);
      g_print ("rtfxcartoon 640x480 kernel, passes=%u edge-strength=%.0f: "
          "%.2f ms/frame\n", passes[k], strength,
          (g_get_monotonic_time () - start) / 1000.0 / frames);
    }
  gst_video_frame_unmap (&src_frame);
  gst_buffer_unref (in);
  g_free (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

static Suite *
rtfxcartoon_suite (void)
{
  Suite *s = suite_create ("rtfxcartoon");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_properties);
  tcase_add_test (tc, test_flat_picture_unchanged);
  tcase_add_test (tc, test_regions_flattened);
  tcase_add_test (tc, test_boundary_stays_sharp);
  tcase_add_test (tc, test_dark_line_along_boundary);
  tcase_add_test (tc, test_edge_strength);
  tcase_add_test (tc, test_changes_while_playing);
  tcase_add_test (tc, test_control_binding);
  tcase_add_test (tc, test_bytes_segment);
  tcase_add_test (tc, test_outlines_match_reference);
  tcase_add_test (tc, test_formats_and_strides_agree);
  tcase_add_test (tc, test_no_passes_keeps_chroma);
  tcase_add_test (tc, test_full_range_black);
  tcase_add_test (tc, test_speed_640x480);
  return s;
}

GST_CHECK_MAIN (rtfxcartoon);
