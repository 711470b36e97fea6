/* The media graph of one session: webrtcbin answering the page's offer, the decoder, the processing
 * chain (switched while the video flows), the encoder, the count of frames through the chain, and
 * the microphone's path (audio.c).
 * It runs on GStreamer's threads; what it has to tell its session arrives in the main context. */
#pragma once

#include <gst/gst.h>

#include "launch-config.h"
#include "offer.h"
#include "protocol.h"
#include "ratecontrol.h"
#include "recorder.h"
#include "teardowns.h"
#include "trace.h"

G_BEGIN_DECLS

typedef struct _RtfxPipeline RtfxPipeline;

/* What a pipeline tells its session, always in the main context and never after
 * rtfx_pipeline_stop. */
typedef struct
{
  void (*answer) (const gchar * sdp, gpointer data);
  void (*ice_candidate) (guint mline_index, const gchar * candidate,
      gpointer data);
  /* The session cannot go on; reason is for the page. */
  void (*failed) (RtfxCode code, const gchar * reason, gpointer data);
  /* The recording of direction ("in", "out") stopped (a full disk, say) and the session goes on
   * without it; once per recording. */
  void (*recording_failed) (const gchar * direction, const gchar * reason,
      gpointer data);
} RtfxPipelineEvents;

/* Builds the graph around chain (a bin from rtfx_chain_build, described by chain_description),
 * starts it and applies offer; the answer follows as an event. audio_description is the audio chain
 * of --audio (NULL without): the page's microphone goes through it when the offer has one. peer
 * names the session in the log, recording_name its files (with --record-in and --record-out:
 * NAME-in.webm, …), trace times its steps. NULL and an error for the page when it cannot start. */
RtfxPipeline *rtfx_pipeline_start (const RtfxConfig * config,
    const RtfxOffer * offer, GstElement * chain,
    const gchar * chain_description, const gchar * audio_description,
    const gchar * peer, const gchar * recording_name,
    const RtfxPipelineEvents * events, gpointer data,
    RtfxTeardowns * teardowns, RtfxTrace * trace, GError ** error);

/* A remote ICE candidate (an a=candidate value) for the m-line mline_index. */
void rtfx_pipeline_add_ice_candidate (RtfxPipeline * pipeline,
    guint mline_index, const gchar * candidate);

/* Puts chain in place of the running chain with the next frame; of several switches asked for
 * before that frame, the last one wins. */
void rtfx_pipeline_switch_chain (RtfxPipeline * pipeline, GstElement * chain);

/* Puts the audio chain description in place of the running one (if it differs, and the session has
 * audio). */
void rtfx_pipeline_switch_audio_chain (RtfxPipeline * pipeline,
    const gchar * description);

/* Frames into and out of the chain since the start, and frames the chains dropped on purpose (the
 * read-only guint64 property "dropped" of any of their elements, docs/elements.md). */
void rtfx_pipeline_counts (RtfxPipeline * pipeline, guint * frames_in,
    guint * frames_out, guint64 * dropped);

/* The size of the picture entering the chain now (as decoded: what the page sends), or 0 and 0
 * before the first one. */
void rtfx_pipeline_video_size (RtfxPipeline * pipeline, guint * width,
    guint * height);

/* The video's bitrate and what the browser's feedback says of the path. */
void rtfx_pipeline_send_rate (RtfxPipeline * pipeline, RtfxRateState * state);

/* The session's recordings (RtfxRecorder, referenced; the array's to free), none without
 * --record-in or --record-out. */
GPtrArray *rtfx_pipeline_recorders (RtfxPipeline * pipeline);

/* Stops the pipeline and takes the caller's reference: it is freed in the background, and counted
 * in its teardowns until then. No event comes after this. */
void rtfx_pipeline_stop (RtfxPipeline * pipeline);

G_END_DECLS
