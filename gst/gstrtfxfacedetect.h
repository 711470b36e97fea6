#pragma once

#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

#define GST_TYPE_RTFX_FACE_DETECT (gst_rtfx_face_detect_get_type ())
G_DECLARE_FINAL_TYPE (GstRtfxFaceDetect, gst_rtfx_face_detect, GST, RTFX_FACE_DETECT, GstVideoFilter)

#define GST_TYPE_RTFX_FACE_DETECT_ANALYSIS (gst_rtfx_face_detect_analysis_get_type ())
GType gst_rtfx_face_detect_analysis_get_type (void);

typedef enum
{
  GST_RTFX_FACE_DETECT_ANALYSIS_SYNC,
  GST_RTFX_FACE_DETECT_ANALYSIS_ASYNC,
} GstRtfxFaceDetectAnalysis;

GST_ELEMENT_REGISTER_DECLARE (rtfxfacedetect);

G_END_DECLS
