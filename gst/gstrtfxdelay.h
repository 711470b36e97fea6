#pragma once

#include <gst/base/gstbasetransform.h>

G_BEGIN_DECLS

#define GST_TYPE_RTFX_DELAY (gst_rtfx_delay_get_type ())
G_DECLARE_FINAL_TYPE (GstRtfxDelay, gst_rtfx_delay, GST, RTFX_DELAY, GstBaseTransform)

GST_ELEMENT_REGISTER_DECLARE (rtfxdelay);

G_END_DECLS
