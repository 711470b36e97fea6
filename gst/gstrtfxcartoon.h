#pragma once

#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

#define GST_TYPE_RTFX_CARTOON (gst_rtfx_cartoon_get_type ())
G_DECLARE_FINAL_TYPE (GstRtfxCartoon, gst_rtfx_cartoon, GST, RTFX_CARTOON, GstVideoFilter)

GST_ELEMENT_REGISTER_DECLARE (rtfxcartoon);

G_END_DECLS
