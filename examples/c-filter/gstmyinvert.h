#pragma once

#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

#define GST_TYPE_MY_INVERT (gst_my_invert_get_type ())
G_DECLARE_FINAL_TYPE (GstMyInvert, gst_my_invert, GST, MY_INVERT, GstVideoFilter)

GST_ELEMENT_REGISTER_DECLARE (myinvert);

G_END_DECLS
