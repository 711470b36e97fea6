/* Helpers the video element tests share: a harness with raw video caps, and one frame through it. */
#pragma once

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

/* A harness around a new `element`, its input caps set to format, width x height at 30 fps. */
GstHarness *rtfx_video_harness (const gchar * element, GstVideoFormat format,
    gint width, gint height);

/* Pushes in (taken), pulls the output and maps it, readable, into out (unmap it when done). */
void rtfx_video_harness_process (GstHarness * h, GstBuffer * in,
    GstVideoFrame * out);

G_END_DECLS
