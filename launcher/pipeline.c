/* The media graph of one session:
 *
 *   webrtcbin ──(pad-added)── depayloader ! decoder ─┐
 *       ▲                                            ▼
 *       └── payloader ! encoder ! videoconvert ! CHAIN ! videoconvert (head)
 *                                    (convert_out)
 *
 * --mode sendonly ends at a fakesink after convert_out; --mode recvonly has no decoder but
 * SOURCE ! clocksync before head (source.c). With --audio, the page's microphone takes a path of its
 * own through the same webrtcbin (audio.c). --record-in taps the depayloaders' output, --record-out
 * the encoders', each into a file of its own (recorder.c), which stopping finishes first.
 *
 * The sending half is built before the offer is applied, so that webrtcbin answers sendrecv; the
 * receiving half is linked inside pad-added, on the streaming thread, so the first keyframe is not
 * lost. The offer and the answer are negotiation.c's. CHAIN is switched between head and
 * convert_out while the video flows, inside a blocking probe on head's source pad. What webrtcbin's
 * threads have to tell the session is handed to the main context (handoff.c). Stopping happens on
 * a thread of its own. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "pipeline.h"

#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>

#include "audio.h"
#include "chain.h"
#include "handoff.h"
#include "ice.h"
#include "negotiation.h"
#include "protocol.h"
#include "source.h"
#include "trace.h"
#include "twcc.h"

/* How long stopping waits for webrtcbin to finish the negotiation steps under way. */
#define NEGOTIATION_LIMIT_US (G_USEC_PER_SEC / 2)
/* Consecutive packets that start a jitterbuffer at once (see on_new_jitterbuffer). */
#define FASTSTART_PACKETS 2
/* How long stopping waits for the recordings' muxers to finish their files (a few ms unless the
 * disk is stuck; the server waits 1.5 s for all its pipelines at exit). */
#define RECORDING_END_LIMIT_US G_USEC_PER_SEC

struct _RtfxPipeline
{
  gchar *peer;                  /* for the log */
  RtfxPipelineEvents events;
  gpointer events_data;
  RtfxTeardowns *teardowns;
  RtfxHandoff *handoff;         /* of the events, closed when the pipeline stops */
  RtfxTrace *trace;

  GstElement *pipeline;
  GstElement *webrtc;
  GstElement *head;             /* where the decoded video enters the processing */
  GstElement *convert_out;      /* where it leaves */
  GstElement *encoder;          /* encoder and payloader, feeding webrtcbin; NULL in sendonly */
  RtfxTwcc *twcc;               /* the encoder's bitrate, from the browser's feedback */
  RtfxAudio *audio;             /* --audio, when the page offers its microphone; else NULL */
  /* recvonly, in the main context: the source's description, its instance, where it goes. */
  gchar *source_desc;
  gboolean loop_source;
  GstElement *source;
  GstElement *clocksync;
  /* --record-in, tapped in pad-added (its video track's number), and --record-out; or NULL. */
  RtfxRecorder *record_in;
  gint record_in_video;
  RtfxRecorder *record_out;

  gint frames_in;               /* atomic: frames into and out of the chain */
  gint frames_out;

  GMutex lock;                  /* guards what follows, shared with the streaming threads */
  gboolean stopping;
  GstPad *decoder_src;          /* linked to head's sink pad; unlinked to stop */
  GstElement *chain;            /* the chain in the pipeline */
  GstElement *next_chain;       /* the newest one asked for, until the next frame */
  GstWebRTCDataChannel *channel;        /* the page's, for the chain's rtfx/ messages */
  RtfxNegotiation *negotiation; /* from the start until stopping */
  guint64 dropped_before;       /* by chains switched out */
};

/* --- life -------------------------------------------------------------------------------- */

static RtfxPipeline *
pipeline_ref (RtfxPipeline * p)
{
  return g_atomic_rc_box_acquire (p);
}

static void
pipeline_free (RtfxPipeline * p)
{
  gst_clear_object (&p->pipeline);
  g_clear_object (&p->decoder_src);
  gst_clear_object (&p->chain);
  gst_clear_object (&p->next_chain);
  gst_clear_object (&p->source);
  g_clear_pointer (&p->record_in, rtfx_recorder_unref);
  g_clear_pointer (&p->record_out, rtfx_recorder_unref);
  g_clear_object (&p->channel);
  g_clear_pointer (&p->twcc, rtfx_twcc_unref);
  g_clear_pointer (&p->audio, rtfx_audio_free);
  g_mutex_clear (&p->lock);
  g_free (p->source_desc);
  rtfx_teardowns_unref (p->teardowns);
  rtfx_handoff_unref (p->handoff);
  rtfx_trace_unref (p->trace);
  g_free (p->peer);
}

static void
pipeline_unref (RtfxPipeline * p)
{
  g_atomic_rc_box_release_full (p, (GDestroyNotify) pipeline_free);
}

/* --- events for the session, in the main context ----------------------------------------- */

typedef enum
{
  EVENT_ANSWER,                 /* text: the SDP */
  EVENT_ICE_CANDIDATE,          /* number: the m-line, text: the candidate */
  EVENT_FAILED,                 /* number: an RtfxCode, text: the reason */
  EVENT_SOURCE_ENDED,           /* recvonly: the source's end of stream */
  EVENT_RECORDING_FAILED,       /* number: a Recording, text: the reason */
} EventKind;

typedef enum
{
  RECORDING_IN,
  RECORDING_OUT,
} Recording;

static void restart_source (RtfxPipeline * p);

/* A recording that failed leaves the pipeline; the session goes on, and hears of it once. */
static void
give_up_recording (RtfxPipeline * p, RtfxRecorder * r, const gchar * reason)
{
  if (!rtfx_recorder_fail (r))
    return;
  g_message ("session %s: recording %s stopped: %s", p->peer,
      rtfx_recorder_path (r), reason);
  p->events.recording_failed (rtfx_recorder_direction (r), reason,
      p->events_data);
}

static void
deliver_event (gint kind, guint number, const gchar * text, gpointer data)
{
  RtfxPipeline *p = data;

  switch ((EventKind) kind) {
    case EVENT_ANSWER:
      p->events.answer (text, p->events_data);
      break;
    case EVENT_ICE_CANDIDATE:
      p->events.ice_candidate (number, text, p->events_data);
      break;
    case EVENT_FAILED:
      p->events.failed ((RtfxCode) number, text, p->events_data);
      break;
    case EVENT_SOURCE_ENDED:
      if (p->loop_source)
        restart_source (p);
      else
        p->events.failed (RTFX_CODE_SOURCE_ENDED, "the server's video source "
            "came to its end", p->events_data);
      break;
    case EVENT_RECORDING_FAILED:
      give_up_recording (p, number == RECORDING_IN ? p->record_in :
          p->record_out, text);
      break;
  }
}

static void
post_failure (RtfxPipeline * p, RtfxCode code, const gchar * reason)
{
  rtfx_handoff_post (p->handoff, EVENT_FAILED, code, g_strdup (reason));
}

/* The recording r failed; any thread. */
static void
post_recording_failure (RtfxPipeline * p, RtfxRecorder * r,
    const gchar * reason)
{
  rtfx_handoff_post (p->handoff, EVENT_RECORDING_FAILED, r == p->record_in ?
      RECORDING_IN : RECORDING_OUT, g_strdup (reason));
}

/* The recording object belongs to, or NULL. */
static RtfxRecorder *
recorder_of (RtfxPipeline * p, GstObject * object)
{
  if (p->record_in != NULL && rtfx_recorder_owns (p->record_in, object))
    return p->record_in;
  if (p->record_out != NULL && rtfx_recorder_owns (p->record_out, object))
    return p->record_out;
  return NULL;
}

/* --- the offer and the answer (negotiation.c), and the page's candidates ------------------ */

static void
on_answer (gchar * sdp, gpointer data)
{
  RtfxPipeline *p = data;

  rtfx_trace_step (p->trace, RTFX_TRACE_ANSWER_CREATED);
  rtfx_handoff_post (p->handoff, EVENT_ANSWER, 0, sdp);
}

static void
on_negotiation_failed (RtfxCode code, const gchar * reason, gpointer data)
{
  post_failure (data, code, reason);
}

static const RtfxNegotiationEvents negotiation_events = {
  .answer = on_answer,
  .failed = on_negotiation_failed,
};

void
rtfx_pipeline_add_ice_candidate (RtfxPipeline * p, guint mline_index,
    const gchar * candidate)
{
  g_signal_emit_by_name (p->webrtc, "add-ice-candidate", mline_index,
      candidate);
}

/* --- webrtcbin's signals, on its threads ------------------------------------------------- */

static void
on_ice_candidate (GstElement * webrtc, guint mline_index, gchar * candidate,
    gpointer user_data)
{
  RtfxPipeline *p = user_data;

  rtfx_handoff_post (p->handoff, EVENT_ICE_CANDIDATE, mline_index,
      g_strdup (candidate));
}

static void
on_ice_connection_state (GstElement * webrtc, GParamSpec * pspec,
    gpointer user_data)
{
  GstWebRTCICEConnectionState state;

  g_object_get (webrtc, "ice-connection-state", &state, NULL);
  if (state == GST_WEBRTC_ICE_CONNECTION_STATE_FAILED)
    post_failure (user_data, RTFX_CODE_ICE_FAILED, "ICE connection failed");
}

static void
on_pad_added (GstElement * webrtc, GstPad * pad, gpointer user_data)
{
  RtfxPipeline *p = user_data;
  g_autoptr (GstCaps) caps = NULL;
  g_autoptr (GstPad) sink = NULL;
  g_autoptr (GstPad) head_sink = NULL;
  GstElement *decoder = NULL;
  const gchar *encoding = NULL;

  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  caps = gst_pad_get_current_caps (pad);
  if (caps != NULL)
    encoding = gst_structure_get_string (gst_caps_get_structure (caps, 0),
        "encoding-name");
  if (p->audio != NULL && rtfx_audio_take_incoming (p->audio, pad, encoding))
    return;

  g_mutex_lock (&p->lock);
  /* Anything but our video and audio is received and dropped. */
  if (!p->stopping && p->decoder_src == NULL)
    decoder = rtfx_codec_make_decoder (rtfx_codec_find (encoding));
  if (decoder != NULL) {
    head_sink = gst_element_get_static_pad (p->head, "sink");
    p->decoder_src = gst_element_get_static_pad (decoder, "src");
    gst_bin_add (GST_BIN (p->pipeline), decoder);
    gst_pad_link (p->decoder_src, head_sink);
    rtfx_trace_decoder (p->trace, decoder);
    if (p->record_in != NULL) {
      g_autoptr (GstPad) depayloaded = rtfx_codec_depayloaded_pad (decoder);
      rtfx_recorder_tap (p->record_in, p->record_in_video, depayloaded);
    }
  } else {
    decoder = gst_element_factory_make ("fakesink", NULL);
    g_object_set (decoder, "async", FALSE, "sync", FALSE, NULL);
    gst_bin_add (GST_BIN (p->pipeline), decoder);
  }
  /* Playing before the first buffer arrives, which is the keyframe. */
  gst_element_sync_state_with_parent (decoder);
  sink = gst_element_get_static_pad (decoder, "sink");
  if (gst_pad_link (pad, sink) != GST_PAD_LINK_OK)
    g_message ("session %s: cannot link the incoming %s stream", p->peer,
        encoding ? encoding : "unknown");
  g_mutex_unlock (&p->lock);
}

/* A jitterbuffer holds its first packet for the whole latency (--latency), in case an earlier one
 * comes late; two in a row are taken as the start instead, which still orders a swapped first
 * pair. A keyframe of two packets or more (Chromium's first is about 2 KB) then goes to the
 * decoder as soon as it is in. Should the start be wrong after all, rtpvp8depay asks the browser
 * for a keyframe, as it does whenever a stream starts without one (rtph264depay does not). */
static void
on_new_jitterbuffer (GstElement * rtpbin, GstElement * jitterbuffer,
    guint session, guint ssrc, gpointer unused)
{
  g_object_set (jitterbuffer, "faststart-min-packets", FASTSTART_PACKETS,
      NULL);
}

/* webrtcbin (1.22) puts a clocksync between each of its sink pads and its rtpbin, which holds each
 * packet until its time on the clock. Ours are due when they come: frames of a live camera, once
 * processed, or of a file our own clocksync paces. And a frame's time may run ahead of the clock: a
 * session that started while the server was busy had its jitterbuffer give the camera's frames times
 * up to a second ahead, which it made good over 10 s; meanwhile each processed frame waited that
 * long, and rtfxlatest dropped the ones that came in the meantime (1-15 fps instead of 30, for one
 * session in two or three runs of 8 in the capacity bench). */
static void
on_webrtc_element_added (GstBin * webrtc, GstElement * element, gpointer unused)
{
  GstElementFactory *factory = gst_element_get_factory (element);

  if (factory != NULL && g_str_equal (GST_OBJECT_NAME (factory), "clocksync"))
    g_object_set (element, "sync", FALSE, NULL);
}

/* The page opens a data channel in its offer; the chain's element messages go out on it. */
static void
on_data_channel (GstElement * webrtc, GstWebRTCDataChannel * channel,
    gpointer user_data)
{
  RtfxPipeline *p = user_data;

  g_mutex_lock (&p->lock);
  if (p->channel == NULL)
    p->channel = g_object_ref (channel);
  g_mutex_unlock (&p->lock);
}

/* Element messages named rtfx/… (detections, say) and the microphone's level go to the page as
 * JSON, if it has a channel. */
static void
forward_element_message (RtfxPipeline * p, GstMessage * msg)
{
  g_autoptr (GstStructure) level = p->audio ?
      rtfx_audio_level_message (p->audio, msg) : NULL;
  const GstStructure *s = level ? level : gst_message_get_structure (msg);
  g_autoptr (GstWebRTCDataChannel) channel = NULL;
  g_autofree gchar *json = NULL;
  GstWebRTCDataChannelState state;

  if (s == NULL || !g_str_has_prefix (gst_structure_get_name (s), "rtfx/"))
    return;
  g_mutex_lock (&p->lock);
  channel = p->channel ? g_object_ref (p->channel) : NULL;
  g_mutex_unlock (&p->lock);
  if (channel == NULL)
    return;
  g_object_get (channel, "ready-state", &state, NULL);
  if (state != GST_WEBRTC_DATA_CHANNEL_STATE_OPEN)
    return;
  json = rtfx_message_from_structure (s);
  gst_webrtc_data_channel_send_string_full (channel, json, NULL);
}

/* In the main context; the watch is gone once the pipeline stops. */
static gboolean
on_bus_message (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  RtfxPipeline *p = user_data;
  g_autoptr (GError) err = NULL;
  g_autofree gchar *debug = NULL;
  RtfxRecorder *recorder;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ERROR:
      gst_message_parse_error (msg, &err, &debug);
      g_message ("session %s: pipeline error from %s: %s (%s)", p->peer,
          GST_OBJECT_NAME (msg->src), err->message, debug ? debug : "");
      if ((recorder = recorder_of (p, msg->src)) != NULL) {
        give_up_recording (p, recorder, err->message);
      } else if (p->source != NULL && gst_object_has_as_ancestor (msg->src,
              GST_OBJECT (p->source))) {
        g_autofree gchar *reason = g_strdup_printf ("the server's video "
            "source failed: %s", err->message);
        p->events.failed (RTFX_CODE_SOURCE_FAILED, reason, p->events_data);
      } else {
        p->events.failed (RTFX_CODE_PIPELINE_ERROR, err->message,
            p->events_data);
      }
      break;
    case GST_MESSAGE_WARNING:
      gst_message_parse_warning (msg, &err, &debug);
      g_message ("session %s: warning from %s: %s", p->peer,
          GST_OBJECT_NAME (msg->src), err->message);
      break;
    case GST_MESSAGE_ELEMENT:
      forward_element_message (p, msg);
      break;
    case GST_MESSAGE_LATENCY:
      /* Without this the pipeline keeps the latency computed at start. */
      gst_bin_recalculate_latency (GST_BIN (p->pipeline));
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

/* --- the chain: counting and switching --------------------------------------------------- */

static GstPadProbeReturn
count_frame (GstPad * pad, GstPadProbeInfo * info, gpointer counter)
{
  g_atomic_int_inc ((gint *) counter);
  return GST_PAD_PROBE_OK;
}

static void
count_frames (GstElement * element, const gchar * pad_name, gint * counter)
{
  g_autoptr (GstPad) pad = gst_element_get_static_pad (element, pad_name);

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_frame, counter,
      NULL);
}

/* Whether element reports the frames it drops on purpose (docs/elements.md, Statistics). */
static gboolean
reports_dropped (GstElement * element)
{
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS
      (element), "dropped");

  return pspec != NULL && pspec->value_type == G_TYPE_UINT64 &&
      (pspec->flags & G_PARAM_READABLE);
}

static guint64
chain_dropped (GstElement * chain)
{
  g_autoptr (GPtrArray) elements = rtfx_chain_elements (chain);
  guint64 dropped = 0;

  for (guint i = 0; i < elements->len; i++) {
    GstElement *e = g_ptr_array_index (elements, i);
    guint64 n = 0;

    if (reports_dropped (e)) {
      g_object_get (e, "dropped", &n, NULL);
      dropped += n;
    }
  }
  return dropped;
}

void
rtfx_pipeline_counts (RtfxPipeline * p, guint * frames_in, guint * frames_out,
    guint64 * dropped)
{
  *frames_in = (guint) g_atomic_int_get (&p->frames_in);
  *frames_out = (guint) g_atomic_int_get (&p->frames_out);
  g_mutex_lock (&p->lock);
  *dropped = p->dropped_before + chain_dropped (p->chain);
  g_mutex_unlock (&p->lock);
}

void
rtfx_pipeline_video_size (RtfxPipeline * p, guint * width, guint * height)
{
  g_autoptr (GstPad) pad = gst_element_get_static_pad (p->head, "sink");
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);
  const GstStructure *s = caps ? gst_caps_get_structure (caps, 0) : NULL;
  gint w = 0, h = 0;

  if (s != NULL && gst_structure_get_int (s, "width", &w) &&
      gst_structure_get_int (s, "height", &h)) {
    *width = (guint) w;
    *height = (guint) h;
  } else {
    *width = *height = 0;
  }
}

void
rtfx_pipeline_send_rate (RtfxPipeline * p, RtfxRateState * state)
{
  if (p->twcc != NULL)
    rtfx_twcc_state (p->twcc, state);
  else
    *state = (RtfxRateState) {
    0};
}

/* Called on the streaming thread with the next frame held at head's input: puts the newest chain
 * asked for in place of the running one, and head then converts the frame to what the new chain
 * takes (the new link makes it negotiate again) and sends it after the stream's sticky events. Held
 * at head's output, the frame went to the new chain in the format of the old one, and a chain that
 * takes another (RGBA after I420) ended the session, not-negotiated. However many switches came meanwhile, there is
 * one, and at most one a frame. (An idle probe would run at once in the main thread when head is
 * idle, racing the next frame: a burst of switches then let frames into a chain before its
 * stream-start and caps.) */
static GstPadProbeReturn
swap_chain (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  RtfxPipeline *p = data;
  GstElement *old, *chain;

  g_mutex_lock (&p->lock);
  chain = g_steal_pointer (&p->next_chain);
  old = p->chain;
  if (p->stopping || chain == NULL) {
    g_mutex_unlock (&p->lock);
    gst_clear_object (&chain);
    return GST_PAD_PROBE_REMOVE;
  }
  p->dropped_before += chain_dropped (old);
  p->chain = chain;
  rtfx_chain_replace (p->pipeline, p->head, old, chain, p->convert_out);
  g_mutex_unlock (&p->lock);
  gst_object_unref (old);
  return GST_PAD_PROBE_REMOVE;
}

void
rtfx_pipeline_switch_chain (RtfxPipeline * p, GstElement * chain)
{
  gboolean probe_needed;

  g_mutex_lock (&p->lock);
  /* A probe already waiting swaps in whatever chain is newest when it runs. */
  probe_needed = p->next_chain == NULL;
  gst_object_replace ((GstObject **) & p->next_chain, GST_OBJECT (chain));
  g_mutex_unlock (&p->lock);
  if (probe_needed) {
    g_autoptr (GstPad) head_sink = gst_element_get_static_pad (p->head,
        "sink");
    gst_pad_add_probe (head_sink, GST_PAD_PROBE_TYPE_BLOCK |
        GST_PAD_PROBE_TYPE_BUFFER, swap_chain, pipeline_ref (p),
        (GDestroyNotify) pipeline_unref);
  }
}

void
rtfx_pipeline_switch_audio_chain (RtfxPipeline * p, const gchar * description)
{
  if (p->audio != NULL)
    rtfx_audio_switch_chain (p->audio, description, p->peer);
}

/* --- the server's source (recvonly) ------------------------------------------------------ */

/* The source's end of stream goes no further than its pad (the encoder and webrtcbin would end with
 * it): the session restarts the source or ends instead. */
static GstPadProbeReturn
catch_source_end (GstPad * pad, GstPadProbeInfo * info, gpointer handoff)
{
  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) != GST_EVENT_EOS)
    return GST_PAD_PROBE_OK;
  rtfx_handoff_post (handoff, EVENT_SOURCE_ENDED, 0, NULL);
  return GST_PAD_PROBE_DROP;
}

/* Called with the source's first buffer: makes that buffer due now, and the next ones at the
 * file's pace from there (a live source's are due already), however long the source took to
 * start. The segment goes again with the offset, as after a relink. */
static GstPadProbeReturn
start_source_now (GstPad * pad, GstPadProbeInfo * info, gpointer unused)
{
  GstElement *source = GST_ELEMENT (GST_OBJECT_PARENT (pad));
  g_autoptr (GstEvent) event = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT,
      0);
  g_autoptr (GstClock) clock = gst_element_get_clock (source);
  const GstSegment *segment = NULL;
  GstClockTime due;

  if (event == NULL || clock == NULL)
    return GST_PAD_PROBE_REMOVE;
  gst_event_parse_segment (event, &segment);
  due = gst_segment_to_running_time (segment, GST_FORMAT_TIME,
      GST_BUFFER_PTS (GST_PAD_PROBE_INFO_BUFFER (info)));
  if (GST_CLOCK_TIME_IS_VALID (due))
    gst_pad_set_offset (pad, GST_CLOCK_DIFF (due, gst_clock_get_time (clock) -
            gst_element_get_base_time (source)));
  return GST_PAD_PROBE_REMOVE;
}

/* A new instance of the source, linked to clocksync; start_source starts it. */
static gboolean
add_source (RtfxPipeline * p, GError ** error)
{
  g_autoptr (GstPad) src = NULL;
  g_autoptr (GstPad) sink = gst_element_get_static_pad (p->clocksync, "sink");

  p->source = rtfx_source_build (p->source_desc, error);
  if (p->source == NULL)
    return FALSE;
  src = gst_element_get_static_pad (p->source, "src");
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BLOCK | GST_PAD_PROBE_TYPE_BUFFER,
      start_source_now, NULL, NULL);
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      catch_source_end, rtfx_handoff_ref (p->handoff),
      (GDestroyNotify) rtfx_handoff_unref);
  gst_element_set_locked_state (p->source, TRUE);
  gst_bin_add (GST_BIN (p->pipeline), p->source);
  if (gst_pad_link (src, sink) != GST_PAD_LINK_OK) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_PAD,
        "cannot link the source '%s'", p->source_desc);
    return FALSE;
  }
  return TRUE;
}

/* Starts source on a thread of its own (a source may take its time: rtspsrc connects, a camera
 * opens), apart from the pipeline, so that a source that cannot start (a file gone) ends the session
 * with its own error rather than failing the pipeline's start. Its elements post their errors; this
 * one is for a source that failed without a word. Under the source's state lock, which stopping
 * takes after it (teardown_thread), so that a source never starts once the session stops. */
static void
start_element (GstElement * source, gpointer data)
{
  RtfxPipeline *p = data;
  g_autoptr (GError) error = NULL;
  gboolean stopping, started = TRUE;

  GST_STATE_LOCK (source);
  g_mutex_lock (&p->lock);
  stopping = p->stopping;
  g_mutex_unlock (&p->lock);
  if (!stopping) {
    gst_element_set_locked_state (source, FALSE);
    started = gst_element_sync_state_with_parent (source);
  }
  GST_STATE_UNLOCK (source);
  if (started)
    return;
  error = g_error_new_literal (GST_CORE_ERROR, GST_CORE_ERROR_STATE_CHANGE,
      "it cannot start");
  gst_element_post_message (source, gst_message_new_error (GST_OBJECT
          (source), error, NULL));
}

static void
start_source (RtfxPipeline * p)
{
  gst_element_call_async (p->source, start_element, pipeline_ref (p),
      (GDestroyNotify) pipeline_unref);
}

/* --loop: a fresh instance in place of the one that ended. */
static void
restart_source (RtfxPipeline * p)
{
  g_autoptr (GError) error = NULL;
  GstElement *old = g_steal_pointer (&p->source);

  gst_element_set_locked_state (old, TRUE);
  gst_bin_remove (GST_BIN (p->pipeline), old);
  rtfx_element_stop_later (old);
  gst_object_unref (old);
  if (!add_source (p, &error)) {
    p->events.failed (RTFX_CODE_SOURCE_FAILED, error->message,
        p->events_data);
    return;
  }
  start_source (p);
}

/* SOURCE ! clocksync ! head. webrtcbin's sinks do not wait for the clock, so clocksync paces a
 * file at its own speed (a live source's frames are due when they come). */
static gboolean
build_source (RtfxPipeline * p, GError ** error)
{
  p->clocksync = gst_element_factory_make ("clocksync", NULL);
  gst_bin_add (GST_BIN (p->pipeline), p->clocksync);
  gst_element_link (p->clocksync, p->head);
  return add_source (p, error);
}

/* --- building and starting --------------------------------------------------------------- */

/* head (videoconvert) ! CHAIN ! videoconvert (convert_out), and the frames counted through it. */
static gboolean
build_processing (RtfxPipeline * p, const gchar * chain_description,
    GError ** error)
{
  p->head = gst_element_factory_make ("videoconvert", NULL);
  p->convert_out = gst_element_factory_make ("videoconvert", NULL);
  gst_bin_add_many (GST_BIN (p->pipeline), p->head, p->chain, p->convert_out,
      NULL);
  if (!gst_element_link_many (p->head, p->chain, p->convert_out, NULL)) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
        "the chain '%s' does not take and give raw video", chain_description);
    return FALSE;
  }
  count_frames (p->head, "src", &p->frames_in);
  count_frames (p->convert_out, "sink", &p->frames_out);
  return TRUE;
}

/* sendonly: the processed video ends here, and webrtcbin only receives, in the offer's codec. */
static void
build_sink (RtfxPipeline * p, const RtfxOffer * offer)
{
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  GstWebRTCRTPTransceiver *transceiver = NULL;

  g_object_set (sink, "sync", FALSE, "async", FALSE, "enable-last-sample",
      FALSE, NULL);
  gst_bin_add (GST_BIN (p->pipeline), sink);
  gst_element_link (p->convert_out, sink);
  g_signal_emit_by_name (p->webrtc, "add-transceiver",
      GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, offer->preferences,
      &transceiver);
  gst_clear_object (&transceiver);
}

/* convert_out ! I420 ! encoder ! payloader ! webrtcbin, its transceiver sending (and, in sendrecv,
 * receiving). */
static gboolean
build_send_branch (RtfxPipeline * p, const RtfxConfig * config,
    const RtfxOffer * offer, GError ** error)
{
  const RtfxRateLimits limits = {
    .min_bps = config->min_bitrate_kbps * 1000,
    .start_bps = config->start_bitrate_kbps * 1000,
    .max_bps = config->max_bitrate_kbps * 1000,
  };
  g_autoptr (GstPad) webrtc_sink = NULL;
  g_autoptr (GstPad) pay_src = NULL;
  g_autoptr (GstCaps) i420 = gst_caps_from_string ("video/x-raw,format=I420");
  GstWebRTCRTPTransceiver *transceiver = NULL;
  GstElement *filter;

  p->encoder = rtfx_codec_make_encoder (offer->codec, offer->pt,
      limits.start_bps, error);
  if (p->encoder == NULL)
    return FALSE;
  p->twcc = rtfx_twcc_follow (p->encoder, offer->codec, &limits, p->peer);
  rtfx_codec_set_playout_delay (p->encoder, config->playout_delay_ms);
  filter = gst_element_factory_make ("capsfilter", NULL);
  g_object_set (filter, "caps", i420, NULL);
  gst_bin_add_many (GST_BIN (p->pipeline), filter, p->encoder, NULL);
  gst_element_link_many (p->convert_out, filter, p->encoder, NULL);

  webrtc_sink = gst_element_request_pad_simple (p->webrtc, "sink_%u");
  pay_src = gst_element_get_static_pad (p->encoder, "src");
  if (gst_pad_link (pay_src, webrtc_sink) != GST_PAD_LINK_OK) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_PAD,
        "cannot link the encoder to webrtcbin");
    return FALSE;
  }
  g_object_get (webrtc_sink, "transceiver", &transceiver, NULL);
  g_object_set (transceiver, "direction", config->mode == RTFX_MODE_RECVONLY ?
      GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY :
      GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDRECV, "codec-preferences",
      offer->preferences, NULL);
  gst_object_unref (transceiver);
  return TRUE;
}

/* --audio, when the offer has the page's microphone in Opus (recvonly has none: launch-config.c),
 * after the video, as the offer has it. */
static gboolean
build_audio (RtfxPipeline * p, const RtfxConfig * config,
    const RtfxOffer * offer, const gchar * audio_description, GError ** error)
{
  if (audio_description == NULL || offer->audio_pt < 0)
    return TRUE;
  p->audio = rtfx_audio_build (p->pipeline, p->webrtc, config->mode, offer,
      audio_description, error);
  return p->audio != NULL;
}

/* The sound of the session, if it has any, as a second track of recorder: pad, the received or
 * the sent Opus (NULL: none that way). */
static gboolean
record_audio (RtfxRecorder * recorder, GstPad * pad, GError ** error)
{
  gint track;

  if (recorder == NULL || pad == NULL)
    return TRUE;
  track = rtfx_recorder_add_stream (recorder, "audio/x-opus", error);
  if (track < 0)
    return FALSE;
  rtfx_recorder_tap (recorder, track, pad);
  return TRUE;
}

/* --record-in: the page's video as it came, tapped in pad-added; --record-out: the encoder's
 * output; each with the session's sound after the video. Their tracks are all known now, before
 * any frame. */
static gboolean
build_recorders (RtfxPipeline * p, const RtfxConfig * config,
    const RtfxOffer * offer, const gchar * name, GError ** error)
{
  g_autoptr (GstPad) audio_received = NULL;
  g_autoptr (GstPad) audio_sent = NULL;

  if (config->record_in_dir != NULL && config->mode != RTFX_MODE_RECVONLY) {
    p->record_in = rtfx_recorder_new (p->pipeline, config->record_in_dir,
        name, "in");
    p->record_in_video = rtfx_recorder_add_stream (p->record_in,
        offer->codec->media_type, error);
    if (p->record_in_video < 0)
      return FALSE;
  }
  if (config->record_out_dir != NULL && p->encoder != NULL) {
    g_autoptr (GstPad) encoded = rtfx_codec_encoded_pad (p->encoder);
    gint video;

    p->record_out = rtfx_recorder_new (p->pipeline, config->record_out_dir,
        name, "out");
    video = rtfx_recorder_add_stream (p->record_out, offer->codec->media_type,
        error);
    if (video < 0)
      return FALSE;
    rtfx_recorder_tap (p->record_out, video, encoded);
  }
  if (p->audio != NULL)
    rtfx_audio_encoded_pads (p->audio, &audio_received, &audio_sent);
  return record_audio (p->record_in, audio_received, error) &&
      record_audio (p->record_out, audio_sent, error);
}

/* Starts the recordings, once the pipeline plays: a file that cannot be opened is no reason to fail
 * the session. */
static void
start_recorders (RtfxPipeline * p)
{
  RtfxRecorder *recorders[] = { p->record_in, p->record_out };

  for (guint i = 0; i < G_N_ELEMENTS (recorders); i++) {
    g_autoptr (GError) error = NULL;

    if (recorders[i] != NULL && !rtfx_recorder_start (recorders[i], &error))
      post_recording_failure (p, recorders[i], error->message);
  }
}

/* The graph of config's mode around the chain. */
static gboolean
build_graph (RtfxPipeline * p, const RtfxConfig * config,
    const RtfxOffer * offer, const gchar * chain_description,
    const gchar * audio_description, GError ** error)
{
  if (!build_processing (p, chain_description, error))
    return FALSE;
  if (config->mode == RTFX_MODE_SENDONLY) {
    build_sink (p, offer);
    return build_audio (p, config, offer, audio_description, error);
  }
  if (!build_send_branch (p, config, offer, error))
    return FALSE;
  rtfx_trace_encoder (p->trace, p->encoder);
  if (config->mode == RTFX_MODE_RECVONLY)
    return build_source (p, error);
  return build_audio (p, config, offer, audio_description, error);
}

static gboolean
build_and_play (RtfxPipeline * p, const RtfxConfig * config,
    const RtfxOffer * offer, const gchar * chain_description,
    const gchar * audio_description, const gchar * recording_name,
    GError ** error)
{
  g_autoptr (GstBus) bus = NULL;

  p->pipeline = gst_pipeline_new (NULL);
  p->webrtc = gst_element_factory_make ("webrtcbin", NULL);
  if (p->webrtc == NULL) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "the server lacks the GStreamer element 'webrtcbin'");
    return FALSE;
  }
  gst_util_set_object_arg (G_OBJECT (p->webrtc), "bundle-policy",
      "max-bundle");
  g_object_set (p->webrtc, "latency", config->latency_ms, NULL);
  gst_bin_add (GST_BIN (p->pipeline), p->webrtc);
  rtfx_ice_configure (p->webrtc, config, p->peer);
  {
    g_autoptr (GstElement) rtpbin = gst_bin_get_by_name (GST_BIN (p->webrtc),
        "rtpbin");
    g_signal_connect (rtpbin, "new-jitterbuffer",
        G_CALLBACK (on_new_jitterbuffer), NULL);
  }

  if (!build_graph (p, config, offer, chain_description, audio_description,
          error) || !build_recorders (p, config, offer, recording_name, error))
    return FALSE;
  rtfx_trace_webrtcbin (p->trace, p->webrtc);
  {
    g_autoptr (GstPad) out = gst_element_get_static_pad (p->convert_out,
        "sink");
    rtfx_trace_first_buffer (p->trace, out, RTFX_TRACE_FIRST_PROCESSED);
  }

  g_signal_connect (p->webrtc, "element-added",
      G_CALLBACK (on_webrtc_element_added), NULL);
  g_signal_connect (p->webrtc, "on-ice-candidate",
      G_CALLBACK (on_ice_candidate), p);
  g_signal_connect (p->webrtc, "pad-added", G_CALLBACK (on_pad_added), p);
  g_signal_connect (p->webrtc, "notify::ice-connection-state",
      G_CALLBACK (on_ice_connection_state), p);
  g_signal_connect (p->webrtc, "on-data-channel",
      G_CALLBACK (on_data_channel), p);

  bus = gst_pipeline_get_bus (GST_PIPELINE (p->pipeline));
  gst_bus_add_watch (bus, on_bus_message, p);

  if (gst_element_set_state (p->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_STATE_CHANGE,
        "the session's pipeline cannot start");
    return FALSE;
  }
  start_recorders (p);
  if (p->source != NULL)
    start_source (p);
  return TRUE;
}

RtfxPipeline *
rtfx_pipeline_start (const RtfxConfig * config, const RtfxOffer * offer,
    GstElement * chain, const gchar * chain_description,
    const gchar * audio_description, const gchar * peer,
    const gchar * recording_name, const RtfxPipelineEvents * events,
    gpointer data,
    RtfxTeardowns * teardowns, RtfxTrace * trace, GError ** error)
{
  RtfxPipeline *p = g_atomic_rc_box_new0 (RtfxPipeline);

  g_mutex_init (&p->lock);
  p->peer = g_strdup (peer);
  p->events = *events;
  p->events_data = data;
  p->teardowns = rtfx_teardowns_ref (teardowns);
  p->handoff = rtfx_handoff_new (deliver_event, p);
  p->trace = rtfx_trace_ref (trace);
  p->chain = gst_object_ref (chain);
  p->source_desc = g_strdup (config->source);
  p->loop_source = config->loop_source;
  if (!build_and_play (p, config, offer, chain_description, audio_description,
          recording_name,
          error)) {
    rtfx_pipeline_stop (p);
    return NULL;
  }
  rtfx_trace_step (trace, RTFX_TRACE_PIPELINE_BUILT);
  p->negotiation = rtfx_negotiation_start (p->webrtc, offer->sdp,
      config->start_bitrate_kbps, &negotiation_events, p);
  return p;
}

GPtrArray *
rtfx_pipeline_recorders (RtfxPipeline * p)
{
  GPtrArray *recorders = g_ptr_array_new_with_free_func ((GDestroyNotify)
      rtfx_recorder_unref);

  if (p->record_in != NULL)
    g_ptr_array_add (recorders, rtfx_recorder_ref (p->record_in));
  if (p->record_out != NULL)
    g_ptr_array_add (recorders, rtfx_recorder_ref (p->record_out));
  return recorders;
}

/* --- stopping ---------------------------------------------------------------------------- */

/* While the pipeline still plays: the recordings' ends of stream go into their muxers, which
 * write each file's duration and index, so that it plays to its end. */
static void
end_recordings (RtfxPipeline * p)
{
  RtfxRecorder *recorders[] = { p->record_in, p->record_out };

  for (guint i = 0; i < G_N_ELEMENTS (recorders); i++)
    if (recorders[i] != NULL)
      rtfx_recorder_end (recorders[i]);
}

/* On the teardown thread: waits for the ends of stream to reach the files. Bounded: a stuck file
 * gets no more than RECORDING_END_LIMIT_US, and is closed as it is. */
static void
finish_recordings (RtfxPipeline * p)
{
  const gint64 deadline = g_get_monotonic_time () + RECORDING_END_LIMIT_US;
  RtfxRecorder *recorders[] = { p->record_in, p->record_out };

  for (guint i = 0; i < G_N_ELEMENTS (recorders); i++)
    if (recorders[i] != NULL && !rtfx_recorder_wait (recorders[i], deadline))
      g_message ("session %s: recording %s not finished within %d ms",
          p->peer, rtfx_recorder_path (recorders[i]),
          (gint) (RECORDING_END_LIMIT_US / 1000));
}

/* Once the pipeline is stopped, its files closed. */
static void
close_recordings (RtfxPipeline * p)
{
  if (p->record_in != NULL)
    rtfx_recorder_close (p->record_in);
  if (p->record_out != NULL)
    rtfx_recorder_close (p->record_out);
}

static gpointer
teardown_thread (gpointer data)
{
  RtfxPipeline *p = data;
  RtfxTeardowns *teardowns = rtfx_teardowns_ref (p->teardowns);

  finish_recordings (p);

  /* The receive half feeds the send half of the same webrtcbin; with that loop linked, going to
   * NULL can hang. Break it first, under the lock pad-added takes. */
  g_mutex_lock (&p->lock);
  p->stopping = TRUE;
  if (p->decoder_src != NULL)
    gst_pad_unlink (p->decoder_src, GST_PAD_PEER (p->decoder_src));
  g_mutex_unlock (&p->lock);
  if (p->audio != NULL)
    rtfx_audio_stop (p->audio);
  if (p->negotiation != NULL)
    rtfx_negotiation_stop (g_steal_pointer (&p->negotiation),
        NEGOTIATION_LIMIT_US);
  /* A frame may still be on its way through the chain (it runs on the receiving thread when the
   * chain has no rtfxlatest) and be stuck in webrtcbin's full send queue once the network side
   * stops first; flushing the send path lets it return, so the state change does not wait. */
  if (p->encoder != NULL) {
    g_autoptr (GstPad) encoder_src = gst_element_get_static_pad (p->encoder,
        "src");
    gst_pad_push_event (encoder_src, gst_event_new_flush_start ());
  }
  gst_element_set_state (p->pipeline, GST_STATE_NULL);
  /* A source still starting was skipped, locked; this waits for its start (start_element). */
  if (p->source != NULL)
    gst_element_set_state (p->source, GST_STATE_NULL);
  close_recordings (p);
  g_message ("session %s: pipeline freed", p->peer);
  pipeline_unref (p);

  rtfx_teardowns_add (teardowns, -1);
  rtfx_teardowns_unref (teardowns);
  return NULL;
}

void
rtfx_pipeline_stop (RtfxPipeline * p)
{
  rtfx_handoff_close (p->handoff);
  if (p->pipeline == NULL) {
    pipeline_unref (p);
    return;
  }
  {
    g_autoptr (GstBus) bus = gst_pipeline_get_bus (GST_PIPELINE (p->pipeline));
    gst_bus_remove_watch (bus);
  }
  /* Now, before the bye leaves: nothing the page sends once it has its bye goes in a file. */
  end_recordings (p);
  rtfx_teardowns_add (p->teardowns, 1);
  g_thread_unref (g_thread_new ("rtfx-teardown", teardown_thread, p));
}
