#pragma once

#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

#define GST_TYPE_RTFX_EDGES (gst_rtfx_edges_get_type ())
G_DECLARE_FINAL_TYPE (GstRtfxEdges, gst_rtfx_edges, GST, RTFX_EDGES, GstVideoFilter)

#define GST_TYPE_RTFX_EDGES_MODE (gst_rtfx_edges_mode_get_type ())
GType gst_rtfx_edges_mode_get_type (void);

typedef enum
{
  GST_RTFX_EDGES_MODE_EDGES,
  GST_RTFX_EDGES_MODE_OVERLAY,
} GstRtfxEdgesMode;

GST_ELEMENT_REGISTER_DECLARE (rtfxedges);

G_END_DECLS
