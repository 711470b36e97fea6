#include "videoharness.h"

#include <gst/controller/gstdirectcontrolbinding.h>
#include <gst/controller/gstinterpolationcontrolsource.h>

GstHarness *
rtfx_video_harness (const gchar * element, GstVideoFormat format, gint width,
    gint height)
{
  GstHarness *h = gst_harness_new (element);

  gst_harness_set_src_caps (h, gst_caps_new_simple ("video/x-raw",
          "format", G_TYPE_STRING, gst_video_format_to_string (format),
          "width", G_TYPE_INT, width, "height", G_TYPE_INT, height,
          "framerate", GST_TYPE_FRACTION, 30, 1, NULL));
  return h;
}

GstBuffer *
rtfx_video_frame_new (GstVideoFormat format, gint width, gint height, gint pad,
    RtfxPaintFunc paint, gpointer data)
{
  GstVideoInfo info;
  gsize offset[GST_VIDEO_MAX_PLANES] = { 0 }, size = 0;
  gint stride[GST_VIDEO_MAX_PLANES] = { 0 };
  GstBuffer *buf;
  GstVideoFrame frame;

  fail_unless (gst_video_info_set_format (&info, format, width, height));
  for (guint p = 0; p < GST_VIDEO_INFO_N_PLANES (&info); p++) {
    gint comp[GST_VIDEO_MAX_COMPONENTS];

    gst_video_format_info_component (info.finfo, p, comp);
    stride[p] = GST_VIDEO_INFO_PLANE_STRIDE (&info, p) + pad;
    offset[p] = size;
    size += (gsize) stride[p] * GST_VIDEO_INFO_COMP_HEIGHT (&info, comp[0]);
  }
  buf = gst_buffer_new_allocate (NULL, size, NULL);
  gst_buffer_memset (buf, 0, 0xee, size);
  gst_buffer_add_video_meta_full (buf, GST_VIDEO_FRAME_FLAG_NONE, format,
      width, height, GST_VIDEO_INFO_N_PLANES (&info), offset, stride);
  fail_unless (gst_video_frame_map (&frame, &info, buf, GST_MAP_WRITE));
  for (guint c = 0; c < GST_VIDEO_FRAME_N_COMPONENTS (&frame); c++) {
    guint8 *d = GST_VIDEO_FRAME_COMP_DATA (&frame, c);
    const gint ps = GST_VIDEO_FRAME_COMP_PSTRIDE (&frame, c);
    const gint st = GST_VIDEO_FRAME_COMP_STRIDE (&frame, c);

    for (gint y = 0; y < GST_VIDEO_FRAME_COMP_HEIGHT (&frame, c); y++)
      for (gint x = 0; x < GST_VIDEO_FRAME_COMP_WIDTH (&frame, c); x++)
        d[y * st + x * ps] = paint (c, x, y, data);
  }
  gst_video_frame_unmap (&frame);
  return buf;
}

void
rtfx_video_harness_process (GstHarness * h, GstBuffer * in, GstVideoFrame * out)
{
  GstBuffer *buf;
  GstVideoInfo info;
  GstCaps *caps;

  fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
  buf = gst_harness_pull (h);
  fail_unless (buf != NULL);
  caps = gst_pad_get_current_caps (h->sinkpad);
  fail_unless (gst_video_info_from_caps (&info, caps));
  gst_caps_unref (caps);
  fail_unless (gst_video_frame_map (out, &info, buf, GST_MAP_READ));
  gst_buffer_unref (buf);       /* the frame holds its own reference */
}

void
rtfx_harness_push_bytes_segment (GstHarness * h)
{
  GstSegment segment;

  gst_segment_init (&segment, GST_FORMAT_BYTES);
  fail_unless (gst_harness_push_event (h, gst_event_new_segment (&segment)));
}

void
rtfx_control_steps (GstElement * element, const gchar * property,
    gdouble before, GstClockTime at, gdouble after)
{
  GstControlSource *source = gst_interpolation_control_source_new ();
  GstTimedValueControlSource *points = GST_TIMED_VALUE_CONTROL_SOURCE (source);

  g_object_set (source, "mode", GST_INTERPOLATION_MODE_NONE, NULL);
  fail_unless (gst_timed_value_control_source_set (points, 0, before));
  fail_unless (gst_timed_value_control_source_set (points, at, after));
  fail_unless (gst_object_add_control_binding (GST_OBJECT (element),
          gst_direct_control_binding_new_absolute (GST_OBJECT (element),
              property, source)));
  gst_object_unref (source);
}
