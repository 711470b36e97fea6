/* Unit tests for rtfxrotate: where a marked sample lands at quarter turns (positive angles turn
 * counter-clockwise on screen), half turns undone, identity at 0, black corners, the angle
 * following the running time with a speed, live changes (by hand and by a control binding), a
 * BYTES segment, and every format, odd size and padded
 * stride against a floating-point reference of the same geometry (bilinear, black outside). */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <math.h>

#include "videoharness.h"

#define LUMA_BACKGROUND 50
#define MARK 250

static const gchar *formats[] = { "I420", "YV12", "NV12", "NV21", "Y42B", "Y444",
  "Y41B", "GRAY8"
};

static void
info_for (GstVideoInfo * info, const gchar * format, gint width, gint height)
{
  fail_unless (gst_video_info_set_format (info,
          gst_video_format_from_string (format), width, height));
}

static GstHarness *
harness_for_info (const GstVideoInfo * info)
{
  GstHarness *h = gst_harness_new ("rtfxrotate");
  GstCaps *caps = gst_video_info_to_caps (info);

  gst_caps_set_simple (caps, "framerate", GST_TYPE_FRACTION, 30, 1, NULL);
  gst_harness_set_src_caps (h, caps);
  return h;
}

static GstHarness *
harness_for (const gchar * format, gint width, gint height)
{
  GstVideoInfo info;

  info_for (&info, format, width, height);
  return harness_for_info (&info);
}

/* Pushes in with the given PTS and maps the output; the caller unmaps it. */
static void
process_at (GstHarness * h, GstBuffer * in, GstClockTime pts,
    GstVideoFrame * out)
{
  GST_BUFFER_PTS (in) = pts;
  rtfx_video_harness_process (h, in, out);
}

static void
process (GstHarness * h, GstBuffer * in, GstVideoFrame * out)
{
  process_at (h, in, 0, out);
}

static guint8
sample_at (const GstVideoFrame * f, guint comp, gint x, gint y)
{
  return ((const guint8 *) GST_VIDEO_FRAME_COMP_DATA (f, comp))[y *
      GST_VIDEO_FRAME_COMP_STRIDE (f, comp) +
      x * GST_VIDEO_FRAME_COMP_PSTRIDE (f, comp)];
}

/* --- a picture with one marked luma pixel and one marked sample per chroma component --- */

typedef struct
{
  gint x, y;                    /* the marked luma pixel */
  gint cx, cy;                  /* the marked chroma sample */
} Marks;

static guint8
chroma_background (guint comp)
{
  return comp == 1 ? 90 : 170;
}

static guint8
paint_marks (guint comp, gint x, gint y, gpointer data)
{
  const Marks *m = data;

  if (comp == 0)
    return x == m->x && y == m->y ? MARK : LUMA_BACKGROUND;
  return x == m->cx && y == m->cy ? MARK : chroma_background (comp);
}

/* Where the single MARK sample of a component is; fails unless there is exactly one and every other
 * sample is the background. */
static void
find_mark (const GstVideoFrame * f, guint comp, gint * mx, gint * my)
{
  const guint8 background = comp == 0 ? LUMA_BACKGROUND :
      chroma_background (comp);
  guint found = 0;

  for (gint y = 0; y < GST_VIDEO_FRAME_COMP_HEIGHT (f, comp); y++)
    for (gint x = 0; x < GST_VIDEO_FRAME_COMP_WIDTH (f, comp); x++) {
      const guint8 v = sample_at (f, comp, x, y);

      if (v == MARK) {
        *mx = x;
        *my = y;
        found++;
      } else {
        fail_unless (v == background, "component %u: %d at (%d, %d), expected "
            "the background %d", comp, v, x, y, background);
      }
    }
  fail_unless_equals_int (found, 1);
}

/* Rotating a square n x n picture a quarter turn counter-clockwise on screen moves (x, y) to
 * (y, n - 1 - x): what was on the right goes to the top. */
static void
check_quarter_turn (const GstVideoFrame * out, gdouble angle, guint comp,
    gint x, gint y)
{
  const gint n = GST_VIDEO_FRAME_COMP_WIDTH (out, comp);
  gint mx = -1, my = -1;

  fail_unless_equals_int (GST_VIDEO_FRAME_COMP_HEIGHT (out, comp), n);
  find_mark (out, comp, &mx, &my);
  if (angle == 90.0) {
    fail_unless_equals_int (mx, y);
    fail_unless_equals_int (my, n - 1 - x);
  } else if (angle == -90.0 || angle == 270.0) {
    fail_unless_equals_int (mx, n - 1 - y);
    fail_unless_equals_int (my, x);
  } else {
    g_assert_not_reached ();
  }
}

static void
check_marked_pixel (const gchar * format, gint size, gdouble angle)
{
  const Marks marks = { size - 6, 3, size / 2 - 2, 1 };
  GstVideoInfo info;
  GstHarness *h;
  GstVideoFrame out;

  info_for (&info, format, size, size);
  h = harness_for_info (&info);
  g_object_set (h->element, "angle", angle, NULL);
  process (h, rtfx_video_frame_new (GST_VIDEO_INFO_FORMAT (&info), size, size,
          0, paint_marks, (gpointer) & marks), &out);
  check_quarter_turn (&out, angle, 0, marks.x, marks.y);
  for (guint c = 1; c < GST_VIDEO_FRAME_N_COMPONENTS (&out); c++)
    check_quarter_turn (&out, angle, c, marks.cx, marks.cy);
  gst_video_frame_unmap (&out);
  gst_harness_teardown (h);
}

GST_START_TEST (test_quarter_turn_moves_marked_pixel)
{
  /* Even and odd squares; for I420 the chroma planes are squares too, and their marks move the
   * same way about the same centre. */
  check_marked_pixel ("GRAY8", 32, 90.0);
  check_marked_pixel ("GRAY8", 31, 90.0);
  check_marked_pixel ("GRAY8", 31, -90.0);
  check_marked_pixel ("GRAY8", 32, 270.0);
  check_marked_pixel ("I420", 32, 90.0);
  check_marked_pixel ("I420", 32, -90.0);
  check_marked_pixel ("NV12", 32, 90.0);
  check_marked_pixel ("Y444", 17, 90.0);
}

GST_END_TEST;

/* --- textures --- */

/* Luma with edges in every direction; chroma a gentle ramp, different per component. */
static guint8
paint_texture (guint comp, gint x, gint y, gpointer data)
{
  if (comp == 0) {
    const gint dx = x - 11, dy = y - 9;

    if (dx * dx + dy * dy < 36)
      return 230;
    if (x > 3 && x < 7)
      return 10;
    return (guint8) (40 + 3 * x + 2 * y);
  }
  return (guint8) (40 + 7 * comp + 2 * x + 3 * y);
}

static guint8
paint_flat (guint comp, gint x, gint y, gpointer data)
{
  return comp == 0 ? 200 : (comp == 1 ? 60 : 190);
}

/* Compares every sample of two frames, within a tolerance for luma and one for chroma. A non-zero
 * tolerance also skips a component's border samples along the axes where the picture size is not a
 * multiple of its subsampling: there, a half turn lands between samples and half outside the
 * plane, so those are blended with black. */
static void
check_frames_equal (const GstVideoFrame * a, const GstVideoFrame * b,
    gint luma_tolerance, gint chroma_tolerance, const gchar * what)
{
  const GstVideoFormatInfo *finfo = a->info.finfo;

  for (guint c = 0; c < GST_VIDEO_FRAME_N_COMPONENTS (a); c++) {
    const gint tolerance = c == 0 ? luma_tolerance : chroma_tolerance;
    const gint ws = GST_VIDEO_FORMAT_INFO_W_SUB (finfo, c);
    const gint hs = GST_VIDEO_FORMAT_INFO_H_SUB (finfo, c);
    const gint w = GST_VIDEO_FRAME_COMP_WIDTH (a, c);
    const gint hh = GST_VIDEO_FRAME_COMP_HEIGHT (a, c);
    const gboolean x_misaligned = GST_VIDEO_FRAME_WIDTH (a) % (1 << ws) != 0;
    const gboolean y_misaligned = GST_VIDEO_FRAME_HEIGHT (a) % (1 << hs) != 0;

    for (gint y = 0; y < hh; y++)
      for (gint x = 0; x < w; x++) {
        const gint va = sample_at (a, c, x, y), vb = sample_at (b, c, x, y);

        if (tolerance > 0 && ((x_misaligned && (x == 0 || x == w - 1))
                || (y_misaligned && (y == 0 || y == hh - 1))))
          continue;
        fail_unless (ABS (va - vb) <= ABS (tolerance), "%s %s %dx%d: component "
            "%u differs at (%d, %d): %d against %d", what,
            GST_VIDEO_FRAME_FORMAT (a) ==
            GST_VIDEO_FORMAT_UNKNOWN ? "?" :
            gst_video_format_to_string (GST_VIDEO_FRAME_FORMAT (a)),
            GST_VIDEO_FRAME_WIDTH (a), GST_VIDEO_FRAME_HEIGHT (a), c, x, y, va,
            vb);
      }
  }
}

static GstBuffer *
frame_buffer (GstVideoFrame * frame)
{
  return gst_buffer_ref (frame->buffer);
}

GST_START_TEST (test_half_turn_twice_is_identity)
{
  static const gint sizes[][3] = { {32, 24, 0}, {33, 17, 13}, {31, 31, 1},
  {3, 2, 0}, {2, 5, 7}, {1, 1, 0}
  };

  for (guint f = 0; f < G_N_ELEMENTS (formats); f++)
    for (guint s = 0; s < G_N_ELEMENTS (sizes); s++) {
      GstVideoInfo info;
      GstHarness *h;
      GstBuffer *in;
      GstVideoFrame src, once, twice;

      info_for (&info, formats[f], sizes[s][0], sizes[s][1]);
      h = harness_for_info (&info);
      g_object_set (h->element, "angle", 180.0, NULL);
      in = rtfx_video_frame_new (GST_VIDEO_INFO_FORMAT (&info), sizes[s][0],
          sizes[s][1], sizes[s][2], paint_texture, NULL);
      fail_unless (gst_video_frame_map (&src, &info, in, GST_MAP_READ));
      process (h, gst_buffer_ref (in), &once);
      process (h, frame_buffer (&once), &twice);
      /* Luma samples land on luma samples: exact. Chroma too, unless the size is not a multiple
       * of the subsampling: then each turn interpolates halfway, within 1 on a ramp. */
      check_frames_equal (&src, &twice, 0, 1, "half turn twice");
      /* ...and once is a real change: the top-left luma went to the bottom-right. */
      fail_unless_equals_int (sample_at (&once, 0, sizes[s][0] - 1,
              sizes[s][1] - 1), sample_at (&src, 0, 0, 0));
      gst_video_frame_unmap (&src);
      gst_video_frame_unmap (&once);
      gst_video_frame_unmap (&twice);
      gst_buffer_unref (in);
      gst_harness_teardown (h);
    }
}

GST_END_TEST;

GST_START_TEST (test_zero_is_identity)
{
  static const gdouble angles[] = { 0.0, 360.0, -360.0 };

  for (guint f = 0; f < G_N_ELEMENTS (formats); f++)
    for (guint a = 0; a < G_N_ELEMENTS (angles); a++) {
      GstVideoInfo info;
      GstHarness *h;
      GstBuffer *in;
      GstVideoFrame src, out;

      info_for (&info, formats[f], 33, 17);
      h = harness_for_info (&info);
      g_object_set (h->element, "angle", angles[a], NULL);
      in = rtfx_video_frame_new (GST_VIDEO_INFO_FORMAT (&info), 33, 17, 5,
          paint_texture, NULL);
      fail_unless (gst_video_frame_map (&src, &info, in, GST_MAP_READ));
      process (h, gst_buffer_ref (in), &out);
      check_frames_equal (&src, &out, 0, 0, "no rotation");
      gst_video_frame_unmap (&out);

      /* Spinning, at running time 0: not passthrough, still exact. */
      g_object_set (h->element, "speed", 90.0, NULL);
      process_at (h, gst_buffer_ref (in), 0, &out);
      check_frames_equal (&src, &out, 0, 0, "spinning, at 0");
      gst_video_frame_unmap (&out);

      gst_video_frame_unmap (&src);
      gst_buffer_unref (in);
      gst_harness_teardown (h);
    }
}

GST_END_TEST;

static void
check_corners_black (const gchar * format, GstVideoColorRange range,
    guint8 luma_black)
{
  GstVideoInfo info;
  GstHarness *h;
  GstVideoFrame out;

  info_for (&info, format, 64, 48);
  info.colorimetry.range = range;
  h = harness_for_info (&info);
  g_object_set (h->element, "angle", 45.0, NULL);
  process (h, rtfx_video_frame_new (GST_VIDEO_INFO_FORMAT (&info), 64, 48, 3,
          paint_flat, NULL), &out);
  for (guint c = 0; c < GST_VIDEO_FRAME_N_COMPONENTS (&out); c++) {
    const gint w = GST_VIDEO_FRAME_COMP_WIDTH (&out, c);
    const gint hh = GST_VIDEO_FRAME_COMP_HEIGHT (&out, c);
    const guint8 black = c == 0 ? luma_black : 128;

    fail_unless_equals_int (sample_at (&out, c, 0, 0), black);
    fail_unless_equals_int (sample_at (&out, c, w - 1, 0), black);
    fail_unless_equals_int (sample_at (&out, c, 0, hh - 1), black);
    fail_unless_equals_int (sample_at (&out, c, w - 1, hh - 1), black);
    /* the middle is still the picture */
    fail_unless_equals_int (sample_at (&out, c, w / 2, hh / 2),
        paint_flat (c, 0, 0, NULL));
  }
  gst_video_frame_unmap (&out);
  gst_harness_teardown (h);
}

GST_START_TEST (test_uncovered_corners_are_black)
{
  /* YUV caps default to limited range, GRAY8 to full range. */
  check_corners_black ("I420", GST_VIDEO_COLOR_RANGE_16_235, 16);
  check_corners_black ("NV12", GST_VIDEO_COLOR_RANGE_16_235, 16);
  check_corners_black ("Y444", GST_VIDEO_COLOR_RANGE_16_235, 16);
  check_corners_black ("GRAY8", GST_VIDEO_COLOR_RANGE_0_255, 0);
  check_corners_black ("I420", GST_VIDEO_COLOR_RANGE_0_255, 0);
  check_corners_black ("GRAY8", GST_VIDEO_COLOR_RANGE_UNKNOWN, 0);
}

GST_END_TEST;

/* --- a floating-point reference of the documented geometry --- */

static gdouble
ref_tap (const GstVideoFrame * f, guint c, gint x, gint y, guint8 fill)
{
  if (x < 0 || y < 0 || x >= GST_VIDEO_FRAME_COMP_WIDTH (f, c)
      || y >= GST_VIDEO_FRAME_COMP_HEIGHT (f, c))
    return fill;
  return sample_at (f, c, x, y);
}

/* Sample (i, j) of component c of `in` turned counter-clockwise by `degrees` about the picture
 * centre: positions in luma pixels from the subsampling and chroma siting, bilinear, black
 * outside. */
static gdouble
ref_rotated (const GstVideoFrame * in, guint c, gint i, gint j,
    gdouble degrees, guint8 fill)
{
  const GstVideoInfo *info = &in->info;
  const gdouble sw = 1 << GST_VIDEO_FORMAT_INFO_W_SUB (info->finfo, c);
  const gdouble sh = 1 << GST_VIDEO_FORMAT_INFO_H_SUB (info->finfo, c);
  const gdouble ox = info->chroma_site & GST_VIDEO_CHROMA_SITE_H_COSITED ?
      0 : (sw - 1) / 2;
  const gdouble oy = info->chroma_site & GST_VIDEO_CHROMA_SITE_V_COSITED ?
      0 : (sh - 1) / 2;
  const gdouble cx = (GST_VIDEO_INFO_WIDTH (info) - 1) / 2.0;
  const gdouble cy = (GST_VIDEO_INFO_HEIGHT (info) - 1) / 2.0;
  const gdouble r = degrees * G_PI / 180, co = cos (r), si = sin (r);
  const gdouble dx = i * sw + ox - cx, dy = j * sh + oy - cy;
  const gdouble x = (cx + dx * co - dy * si - ox) / sw;
  const gdouble y = (cy + dx * si + dy * co - oy) / sh;
  const gint x0 = (gint) floor (x), y0 = (gint) floor (y);
  const gdouble fx = x - x0, fy = y - y0;

  return (1 - fy) * ((1 - fx) * ref_tap (in, c, x0, y0, fill) +
      fx * ref_tap (in, c, x0 + 1, y0, fill)) +
      fy * ((1 - fx) * ref_tap (in, c, x0, y0 + 1, fill) +
      fx * ref_tap (in, c, x0 + 1, y0 + 1, fill));
}

static void
check_against_reference (const GstVideoFrame * in, const GstVideoFrame * out,
    gdouble degrees, const gchar * what)
{
  for (guint c = 0; c < GST_VIDEO_FRAME_N_COMPONENTS (out); c++) {
    const guint8 fill = c == 0 ? 16 : 128;      /* limited range: the default of YUV caps */

    for (gint j = 0; j < GST_VIDEO_FRAME_COMP_HEIGHT (out, c); j++)
      for (gint i = 0; i < GST_VIDEO_FRAME_COMP_WIDTH (out, c); i++) {
        const gdouble want = ref_rotated (in, c, i, j, degrees, fill);
        const gint got = sample_at (out, c, i, j);

        /* Weights are rounded to 1/256: on these textures that stays within 1 of the exact
         * value (0.92 at worst), where weights truncated to 1/256 go beyond. */
        fail_unless (fabs (got - want) <= 1.0, "%s, %s %dx%d at %.2f degrees: "
            "component %u is %d at (%d, %d), the reference %.2f", what,
            gst_video_format_to_string (GST_VIDEO_FRAME_FORMAT (out)),
            GST_VIDEO_FRAME_WIDTH (out), GST_VIDEO_FRAME_HEIGHT (out), degrees,
            c, got, i, j, want);
      }
  }
}

static void
check_format (const GstVideoInfo * info, gint pad, gdouble degrees)
{
  GstHarness *h = harness_for_info (info);
  GstBuffer *in = rtfx_video_frame_new (GST_VIDEO_INFO_FORMAT (info),
      GST_VIDEO_INFO_WIDTH (info), GST_VIDEO_INFO_HEIGHT (info), pad,
      paint_texture, NULL);
  GstVideoFrame src, out;

  fail_unless (gst_video_frame_map (&src, info, in, GST_MAP_READ));
  g_object_set (h->element, "angle", degrees, NULL);
  process (h, gst_buffer_ref (in), &out);
  fail_unless_equals_int (GST_VIDEO_FRAME_FORMAT (&out),
      GST_VIDEO_INFO_FORMAT (info));
  fail_unless_equals_int (GST_VIDEO_FRAME_WIDTH (&out),
      GST_VIDEO_INFO_WIDTH (info));
  fail_unless_equals_int (GST_VIDEO_FRAME_HEIGHT (&out),
      GST_VIDEO_INFO_HEIGHT (info));
  fail_unless_equals_int (out.info.chroma_site, info->chroma_site);
  check_against_reference (&src, &out, degrees, "every format");
  gst_video_frame_unmap (&src);
  gst_video_frame_unmap (&out);
  gst_buffer_unref (in);
  gst_harness_teardown (h);
}

GST_START_TEST (test_every_format_odd_sizes_and_strides)
{
  static const gint sizes[][3] = { {32, 24, 0}, {33, 17, 0}, {31, 31, 13},
  {33, 17, 64}, {1, 1, 0}, {3, 2, 5}, {2, 5, 0}, {17, 1, 3}, {1, 9, 0}
  };
  static const gdouble angles[] = { 30.0, -73.5, 123.0, 200.0, 0.25 };

  for (guint f = 0; f < G_N_ELEMENTS (formats); f++)
    for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
      for (guint a = 0; a < G_N_ELEMENTS (angles); a++) {
        GstVideoInfo info;

        info_for (&info, formats[f], sizes[s][0], sizes[s][1]);
        info.colorimetry.range = GST_VIDEO_COLOR_RANGE_16_235;
        check_format (&info, sizes[s][2], angles[a]);
      }
}

GST_END_TEST;

GST_START_TEST (test_chroma_siting)
{
  /* MPEG-2 siting: chroma sits on the left luma column of its pair, and turns with it. */
  static const gchar *subsampled[] = { "I420", "NV12", "Y42B", "Y41B" };

  for (guint f = 0; f < G_N_ELEMENTS (subsampled); f++) {
    GstVideoInfo info;

    info_for (&info, subsampled[f], 33, 18);
    info.colorimetry.range = GST_VIDEO_COLOR_RANGE_16_235;
    info.chroma_site = GST_VIDEO_CHROMA_SITE_MPEG2;
    check_format (&info, 3, 37.0);
    check_format (&info, 0, 90.0);
  }
}

GST_END_TEST;

/* --- time and live changes --- */

static void
check_marks_turned (GstHarness * h, GstClockTime pts, gdouble angle)
{
  const Marks marks = { 25, 3, 0, 0 };
  GstVideoFrame out;
  gint mx = -1, my = -1;

  process_at (h, rtfx_video_frame_new (GST_VIDEO_FORMAT_GRAY8, 31, 31, 0,
          paint_marks, (gpointer) & marks), pts, &out);
  find_mark (&out, 0, &mx, &my);
  if (angle == 0.0) {
    fail_unless (mx == marks.x && my == marks.y, "mark moved to (%d, %d)", mx,
        my);
  } else if (angle == 180.0) {
    fail_unless (mx == 30 - marks.x && my == 30 - marks.y,
        "mark at (%d, %d), not turned by 180 degrees", mx, my);
  } else {
    check_quarter_turn (&out, angle, 0, marks.x, marks.y);
  }
  gst_video_frame_unmap (&out);
}

GST_START_TEST (test_speed_follows_running_time)
{
  GstHarness *h = harness_for ("GRAY8", 31, 31);
  GstSegment segment;

  g_object_set (h->element, "speed", 90.0, NULL);
  check_marks_turned (h, 0, 0.0);
  check_marks_turned (h, GST_SECOND, 90.0);
  check_marks_turned (h, 2 * GST_SECOND, 180.0);
  check_marks_turned (h, 3 * GST_SECOND, 270.0);
  check_marks_turned (h, 4 * GST_SECOND, 0.0);
  /* no timestamp: as the frame before */
  check_marks_turned (h, GST_CLOCK_TIME_NONE, 0.0);

  /* the angle is an offset at running time 0 */
  g_object_set (h->element, "angle", 30.0, "speed", 60.0, NULL);
  check_marks_turned (h, GST_SECOND, 90.0);
  g_object_set (h->element, "angle", 0.0, "speed", -90.0, NULL);
  check_marks_turned (h, GST_SECOND, -90.0);

  /* Running time, not PTS: a segment starting at 10 s makes PTS 11 s one second in. */
  g_object_set (h->element, "speed", 90.0, NULL);
  gst_segment_init (&segment, GST_FORMAT_TIME);
  segment.start = 10 * GST_SECOND;
  segment.time = 10 * GST_SECOND;
  fail_unless (gst_harness_push_event (h, gst_event_new_segment (&segment)));
  check_marks_turned (h, 11 * GST_SECOND, 90.0);
  check_marks_turned (h, 10 * GST_SECOND, 0.0);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_speed_at_fractional_time)
{
  /* Speed 90 at running time 0.5 s is 45 degrees, interpolated like a fixed angle of 45. */
  static const gchar *some[] = { "I420", "NV21", "GRAY8" };

  for (guint f = 0; f < G_N_ELEMENTS (some); f++) {
    GstVideoInfo info;
    GstHarness *h;
    GstBuffer *in;
    GstVideoFrame src, out;

    info_for (&info, some[f], 33, 17);
    info.colorimetry.range = GST_VIDEO_COLOR_RANGE_16_235;
    h = harness_for_info (&info);
    in = rtfx_video_frame_new (GST_VIDEO_INFO_FORMAT (&info), 33, 17, 0,
        paint_texture, NULL);
    fail_unless (gst_video_frame_map (&src, &info, in, GST_MAP_READ));
    g_object_set (h->element, "speed", 90.0, NULL);
    process_at (h, gst_buffer_ref (in), GST_SECOND / 2, &out);
    check_against_reference (&src, &out, 45.0, "speed 90 at 0.5 s");
    gst_video_frame_unmap (&src);
    gst_video_frame_unmap (&out);
    gst_buffer_unref (in);
    gst_harness_teardown (h);
  }
}

GST_END_TEST;

GST_START_TEST (test_angle_change_while_playing)
{
  GstHarness *h = harness_for ("GRAY8", 31, 31);

  check_marks_turned (h, 0, 0.0);
  g_object_set (h->element, "angle", 90.0, NULL);
  check_marks_turned (h, GST_SECOND / 30, 90.0);
  g_object_set (h->element, "angle", -90.0, NULL);
  check_marks_turned (h, 2 * GST_SECOND / 30, -90.0);
  g_object_set (h->element, "angle", 180.0, NULL);
  check_marks_turned (h, 3 * GST_SECOND / 30, 180.0);
  g_object_set (h->element, "angle", 0.0, NULL);
  check_marks_turned (h, 4 * GST_SECOND / 30, 0.0);
  g_object_set (h->element, "angle", 270.0, NULL);
  check_marks_turned (h, 5 * GST_SECOND / 30, 270.0);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A control binding drives the angle: each frame is turned by the value of its own stream time,
 * passthrough included. */
GST_START_TEST (test_control_binding)
{
  GstHarness *h = harness_for ("GRAY8", 31, 31);
  gdouble angle;

  rtfx_control_steps (h->element, "angle", 0.0, GST_SECOND, 90.0);
  check_marks_turned (h, 0, 0.0);
  check_marks_turned (h, 2 * GST_SECOND, 90.0);
  g_object_get (h->element, "angle", &angle, NULL);
  fail_unless_equals_float (angle, 90.0);
  check_marks_turned (h, GST_SECOND / 2, 0.0);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A segment in BYTES format gives no running or stream time: no CRITICAL (GstCheck makes them
 * fatal); frames are turned as frames without a timestamp are, by the angle as set, the speed and
 * the binding left aside. */
GST_START_TEST (test_bytes_segment)
{
  GstHarness *h = harness_for ("GRAY8", 31, 31);

  rtfx_control_steps (h->element, "angle", 180.0, GST_SECOND, 180.0);
  g_object_set (h->element, "angle", 90.0, "speed", 90.0, NULL);
  rtfx_harness_push_bytes_segment (h);
  check_marks_turned (h, GST_SECOND, 90.0);
  check_marks_turned (h, 2 * GST_SECOND, 90.0);
  gst_harness_teardown (h);
}

GST_END_TEST;

static gpointer
toggle_angle (gpointer data)
{
  GstElement *e = GST_ELEMENT (((gpointer *) data)[0]);
  gint *stop = ((gpointer *) data)[1];

  for (guint i = 0; !g_atomic_int_get (stop); i++)
    g_object_set (e, "angle", i % 2 ? 90.0 : 0.0, NULL);
  return NULL;
}

GST_START_TEST (test_angle_change_from_another_thread)
{
  const Marks marks = { 25, 3, 0, 0 };
  GstHarness *h = harness_for ("GRAY8", 31, 31);
  gint stop = 0;
  gpointer data[2] = { h->element, &stop };
  GThread *thread = g_thread_new ("toggler", toggle_angle, data);
  guint seen[2] = { 0, 0 };

  /* Every frame is turned by one angle or the other, never a mix, while passthrough switches. */
  for (gint i = 0; i < 300; i++) {
    GstVideoFrame out;
    gint mx = -1, my = -1;

    process_at (h, rtfx_video_frame_new (GST_VIDEO_FORMAT_GRAY8, 31, 31, 0,
            paint_marks, (gpointer) & marks), i * GST_SECOND / 30, &out);
    find_mark (&out, 0, &mx, &my);
    fail_unless ((mx == marks.x && my == marks.y) || (mx == marks.y
            && my == 30 - marks.x), "frame %d: mark at (%d, %d)", i, mx, my);
    seen[mx != marks.x]++;
    gst_video_frame_unmap (&out);
  }
  g_atomic_int_set (&stop, 1);
  g_thread_join (thread);
  GST_INFO ("frames at 0 degrees: %u, at 90: %u", seen[0], seen[1]);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_properties)
{
  GstElement *e = gst_element_factory_make ("rtfxrotate", NULL);
  const gchar *names[] = { "angle", "speed" };
  const gdouble limits[] = { 360.0, 3600.0 };

  fail_unless (e != NULL);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
    GParamSpec *p = g_object_class_find_property (G_OBJECT_GET_CLASS (e),
        names[i]);
    GParamSpecDouble *d = G_PARAM_SPEC_DOUBLE (p);
    gdouble v;

    fail_unless (p != NULL);
    fail_unless (p->flags & GST_PARAM_CONTROLLABLE);
    fail_unless (p->flags & GST_PARAM_MUTABLE_PLAYING);
    fail_unless_equals_float (d->minimum, -limits[i]);
    fail_unless_equals_float (d->maximum, limits[i]);
    g_object_get (e, names[i], &v, NULL);
    fail_unless_equals_float (v, 0.0);
  }
  gst_object_unref (e);
}

GST_END_TEST;

static Suite *
rtfxrotate_suite (void)
{
  Suite *s = suite_create ("rtfxrotate");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_properties);
  tcase_add_test (tc, test_quarter_turn_moves_marked_pixel);
  tcase_add_test (tc, test_half_turn_twice_is_identity);
  tcase_add_test (tc, test_zero_is_identity);
  tcase_add_test (tc, test_uncovered_corners_are_black);
  tcase_add_test (tc, test_every_format_odd_sizes_and_strides);
  tcase_add_test (tc, test_chroma_siting);
  tcase_add_test (tc, test_speed_follows_running_time);
  tcase_add_test (tc, test_speed_at_fractional_time);
  tcase_add_test (tc, test_angle_change_while_playing);
  tcase_add_test (tc, test_angle_change_from_another_thread);
  tcase_add_test (tc, test_control_binding);
  tcase_add_test (tc, test_bytes_segment);
  return s;
}

GST_CHECK_MAIN (rtfxrotate);
