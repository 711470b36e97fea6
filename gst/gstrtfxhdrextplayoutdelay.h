#pragma once

#include <gst/rtp/gstrtphdrext.h>

G_BEGIN_DECLS

#define GST_TYPE_RTFX_HDREXT_PLAYOUT_DELAY (gst_rtfx_hdrext_playout_delay_get_type ())
G_DECLARE_FINAL_TYPE (GstRtfxHdrextPlayoutDelay, gst_rtfx_hdrext_playout_delay, GST,
    RTFX_HDREXT_PLAYOUT_DELAY, GstRTPHeaderExtension)

GST_ELEMENT_REGISTER_DECLARE (rtfxhdrextplayoutdelay);

G_END_DECLS
