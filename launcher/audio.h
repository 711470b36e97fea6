/* The microphone's path through a session (--audio): the page's Opus received, decoded, measured
 * (its level goes to the page), run through the audio chain and, in sendrecv, encoded to Opus and
 * sent back on the same webrtcbin as the video, in the video's media stream, which the browser plays
 * in sync (as far as the video chain is quick: docs/audio.md). pipeline.c builds it with the rest of
 * the graph and hands it the incoming stream. */
#pragma once

#include <gst/gst.h>

#include "codec.h"
#include "launch-config.h"
#include "offer.h"

G_BEGIN_DECLS

typedef struct _RtfxAudio RtfxAudio;

/* The elements the audio path needs (a NULL-terminated table for rtfx_elements_check). */
extern const RtfxElementNeed rtfx_audio_needs[];

/* Builds desc as an audio chain (a bin with ghost pads "sink" and "src") and checks, as start-up
 * does for --audio-chain and --audio-preset, that it takes and gives raw audio and starts; FALSE and
 * a one-line error naming desc if not. */
gboolean rtfx_audio_chain_check (const gchar * desc, GError ** error);

/* Adds the audio path for mode (sendrecv or sendonly) to pipeline, around the audio chain desc,
 * with webrtcbin's transceiver for the offer's Opus (offer->audio_pt must be a payload type): before
 * the offer is applied, so that webrtcbin answers it. NULL and an error for the page on failure. */
RtfxAudio *rtfx_audio_build (GstElement * pipeline, GstElement * webrtc,
    RtfxMode mode, const RtfxOffer * offer, const gchar * desc,
    GError ** error);

/* In webrtcbin's pad-added, on its streaming thread: links pad to the path if it is the page's Opus
 * (encoding, its caps' encoding-name) and the path has none yet. FALSE if it took it not. */
gboolean rtfx_audio_take_incoming (RtfxAudio * audio, GstPad * pad,
    const gchar * encoding);

/* Puts the audio chain desc in place of the running one with the next buffer (nothing if it is the
 * same description); a chain that cannot be built is logged for peer and left out. */
void rtfx_audio_switch_chain (RtfxAudio * audio, const gchar * desc,
    const gchar * peer);

/* If msg is the path's level measurement, a new structure for the page (rtfx/audio-level, see
 * docs/protocol.md); else NULL. */
GstStructure *rtfx_audio_level_message (RtfxAudio * audio, GstMessage * msg);

/* For a recorder: the Opus the page sent, as depayloaded (rtpopusdepay's src pad), and the Opus the
 * server sends back, as encoded (opusenc's src pad; NULL in sendonly), both full references. They
 * exist from rtfx_audio_build on, before the pipeline plays; their caps come with the first
 * buffer. */
void rtfx_audio_encoded_pads (RtfxAudio * audio, GstPad ** received,
    GstPad ** sent);

/* Before the pipeline goes to NULL: the incoming stream is unlinked (it feeds webrtcbin's sending
 * side: the loop must be broken first, as for the video) and the send path flushed. */
void rtfx_audio_stop (RtfxAudio * audio);

/* Once the pipeline has stopped (its probes on the path hold no reference to it). */
void rtfx_audio_free (RtfxAudio * audio);

G_END_DECLS
