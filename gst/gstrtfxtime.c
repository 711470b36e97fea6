#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstrtfxtime.h"

/* gst_segment_to_*_time () complain with a CRITICAL when the segment's format is not the one
 * asked for, so the format is checked first. */

GstClockTime
gst_rtfx_running_time (const GstSegment * segment, GstClockTime pts)
{
  if (segment->format != GST_FORMAT_TIME || !GST_CLOCK_TIME_IS_VALID (pts))
    return GST_CLOCK_TIME_NONE;
  return gst_segment_to_running_time (segment, GST_FORMAT_TIME, pts);
}

GstClockTime
gst_rtfx_stream_time (const GstSegment * segment, GstClockTime pts)
{
  if (segment->format != GST_FORMAT_TIME || !GST_CLOCK_TIME_IS_VALID (pts))
    return GST_CLOCK_TIME_NONE;
  return gst_segment_to_stream_time (segment, GST_FORMAT_TIME, pts);
}

void
gst_rtfx_sync_controls (GstBaseTransform * trans, GstBuffer * buffer)
{
  const GstClockTime stream_time = gst_rtfx_stream_time (&trans->segment,
      GST_BUFFER_PTS (buffer));

  if (GST_CLOCK_TIME_IS_VALID (stream_time))
    gst_object_sync_values (GST_OBJECT (trans), stream_time);
}
