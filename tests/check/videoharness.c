#include "videoharness.h"

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
