/* A buffer's place in the stream, as the rtfx elements use it: for control bindings, for the spin
 * of rtfxrotate and for the times in rtfxfacedetect's messages. */
#pragma once

#include <gst/base/gstbasetransform.h>

G_BEGIN_DECLS

/* The PTS as running time, or GST_CLOCK_TIME_NONE when there is none: no PTS, a PTS outside the
 * segment, or a segment that is not in TIME format (an appsrc left at its default BYTES format
 * sends one), which has no time to convert the PTS with. */
GstClockTime gst_rtfx_running_time (const GstSegment * segment, GstClockTime pts);

/* The PTS as stream time, or GST_CLOCK_TIME_NONE, on the same terms. */
GstClockTime gst_rtfx_stream_time (const GstSegment * segment, GstClockTime pts);

/* Lets control bindings (GstController) set the element's properties for this buffer, at its
 * stream time, as videobalance and gamma do; called from before_transform, so that the frame is
 * processed with the values of its own time. A buffer without a stream time leaves the
 * properties as they are. */
void gst_rtfx_sync_controls (GstBaseTransform * trans, GstBuffer * buffer);

G_END_DECLS
