/* Helpers the element tests share: a harness with raw video caps, frames painted sample by sample,
 * one frame through the harness, a segment that is not in TIME format, and a control binding. */
#pragma once

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

/* The value of component comp (0 Y or grey, 1 U, 2 V) at (x, y), in that component's samples. */
typedef guint8 (*RtfxPaintFunc) (guint comp, gint x, gint y, gpointer data);

/* A harness around a new `element`, its input caps set to format, width x height at 30 fps. */
GstHarness *rtfx_video_harness (const gchar * element, GstVideoFormat format,
    gint width, gint height);

/* A frame of format, width x height, each sample paint (comp, x, y, data). Its rows are `pad`
 * bytes longer than GstVideoInfo's strides (which round rows up to 4 bytes, as GStreamer's raw
 * video does), described by a video meta; the padding holds 0xee, a value no test picture uses,
 * so that an element reading it shows. */
GstBuffer *rtfx_video_frame_new (GstVideoFormat format, gint width,
    gint height, gint pad, RtfxPaintFunc paint, gpointer data);

/* Pushes in (taken), pulls the output and maps it, readable, into out (unmap it when done). */
void rtfx_video_harness_process (GstHarness * h, GstBuffer * in,
    GstVideoFrame * out);

/* Pushes a segment in BYTES format, as an appsrc left at its default format sends: buffers after
 * it have a PTS but no running time. */
void rtfx_harness_push_bytes_segment (GstHarness * h);

/* Binds the element's controllable property to a control source (GstInterpolationControlSource
 * without interpolation) that holds `before` from stream time 0 and `after` from stream time
 * `at`, in the property's own units. */
void rtfx_control_steps (GstElement * element, const gchar * property,
    gdouble before, GstClockTime at, gdouble after);

G_END_DECLS
