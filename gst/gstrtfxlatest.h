#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_RTFX_LATEST (gst_rtfx_latest_get_type ())
G_DECLARE_FINAL_TYPE (GstRtfxLatest, gst_rtfx_latest, GST, RTFX_LATEST, GstElement)

GST_ELEMENT_REGISTER_DECLARE (rtfxlatest);

G_END_DECLS
