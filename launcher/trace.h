/* The timeline of one session's start, for finding where the time to the first frame goes: with
 * GST_DEBUG=rtfx-trace:INFO each step is logged once, the first time it happens, with the
 * milliseconds since the session's websocket opened (docs/performance.md, "First frame"). With
 * the category below INFO nothing is measured and no probe is added. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef enum
{
  RTFX_TRACE_WEBSOCKET_OPEN,
  RTFX_TRACE_HELLO_SENT,
  RTFX_TRACE_OFFER_RECEIVED,
  RTFX_TRACE_PIPELINE_BUILT,
  RTFX_TRACE_REMOTE_DESCRIPTION_SET,
  RTFX_TRACE_ANSWER_CREATED,
  RTFX_TRACE_ANSWER_SENT,
  RTFX_TRACE_LOCAL_DESCRIPTION_SET,
  RTFX_TRACE_FIRST_LOCAL_CANDIDATE,
  RTFX_TRACE_FIRST_REMOTE_CANDIDATE,
  RTFX_TRACE_ICE_CONNECTED,
  RTFX_TRACE_DTLS_CONNECTED,
  RTFX_TRACE_FIRST_RTP_IN,
  RTFX_TRACE_FIRST_RTP_RELEASED,
  RTFX_TRACE_FIRST_DEPAYLOADED,
  RTFX_TRACE_FIRST_DECODED,
  RTFX_TRACE_FIRST_PROCESSED,
  RTFX_TRACE_FIRST_ENCODED,
  RTFX_TRACE_FIRST_RTP_OUT,
  RTFX_TRACE_STEPS
} RtfxTraceStep;

typedef struct _RtfxTrace RtfxTrace;

/* Starts the timeline of the session named peer now: call it when its websocket opens. */
RtfxTrace *rtfx_trace_new (const gchar * peer);
RtfxTrace *rtfx_trace_ref (RtfxTrace * trace);
void rtfx_trace_unref (RtfxTrace * trace);

/* Logs step, unless it was logged before; from any thread. */
void rtfx_trace_step (RtfxTrace * trace, RtfxTraceStep step);

/* Logs step when the first buffer (or list) goes through pad. */
void rtfx_trace_first_buffer (RtfxTrace * trace, GstPad * pad,
    RtfxTraceStep step);

/* For a codec bin (depayloader ! decoder): FIRST_DEPAYLOADED at its depayloader's output (the
 * first whole frame), FIRST_DECODED at the bin's. */
void rtfx_trace_decoder (RtfxTrace * trace, GstElement * bin);

/* For a codec bin (encoder ! payloader): FIRST_ENCODED at its encoder's output, FIRST_RTP_OUT at
 * the bin's. */
void rtfx_trace_encoder (RtfxTrace * trace, GstElement * bin);

/* The steps webrtcbin tells by itself: the descriptions set, its first candidate, ICE and DTLS
 * connected, the first RTP packet into a jitterbuffer and out of it (on a new source pad). */
void rtfx_trace_webrtcbin (RtfxTrace * trace, GstElement * webrtc);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtfxTrace, rtfx_trace_unref)

G_END_DECLS
