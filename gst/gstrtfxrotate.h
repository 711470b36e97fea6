#pragma once

#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

#define GST_TYPE_RTFX_ROTATE (gst_rtfx_rotate_get_type ())
G_DECLARE_FINAL_TYPE (GstRtfxRotate, gst_rtfx_rotate, GST, RTFX_ROTATE, GstVideoFilter)

GST_ELEMENT_REGISTER_DECLARE (rtfxrotate);

G_END_DECLS
