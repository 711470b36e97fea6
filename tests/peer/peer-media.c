/* rtfx-test-peer's webrtcbin: see peer-media.h.
 *
 *   videotestsrc ! vp8enc ! rtpvp8pay ! webrtcbin ──(pad-added)── rtpvp8depay ! vp8dec ! fakesink
 *                                                                        (frames counted here)
 *
 * For load tests, a clip replaces videotestsrc ! vp8enc with appsrc ! clocksync (no encoding), and
 * no_decode counts the frames as rtpvp8depay puts them together (no decoding).
 *
 * webrtcbin's signals arrive on its own threads; what they hand to the caller goes through the
 * main context, in order, so the offer always leaves before the first candidate. */
#include "peer-media.h"

#include "handoff.h"

#define GST_USE_UNSTABLE_API
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>

#define WEBRTC "webrtcbin name=webrtc bundle-policy=max-bundle latency=50 "
/* The page's camera, as a peer sends it: live, real-time encoder settings, no look-ahead. */
#define LIVE_SOURCE \
  "videotestsrc is-live=true pattern=ball " \
  "! video/x-raw,width=640,height=480,framerate=30/1 " \
  "! vp8enc deadline=1 cpu-used=8 lag-in-frames=0 end-usage=cbr error-resilient=default " \
  "target-bitrate=1000000 keyframe-max-dist=60 threads=1 "
/* The clip's frames, timed here and let go at those times by the clock, as a camera delivers. */
#define CLIP_SOURCE "appsrc name=clip is-live=true format=time ! clocksync "
#define CLIP_FPS 30
#define PAYLOADER \
  "! rtpvp8pay picture-id-mode=15-bit mtu=1200 " \
  "! application/x-rtp,media=video,encoding-name=VP8,clock-rate=90000,payload=96 ! webrtc."
#define RECEIVE_BIN \
  "rtpvp8depay name=depay ! vp8dec name=decoder ! fakesink sync=false async=false"
#define RECEIVE_BIN_NO_DECODE "rtpvp8depay name=depay ! fakesink sync=false async=false"
/* Frame times kept for the frame rate: several seconds of video at any sane rate. */
#define RING_SIZE 1024

struct _PeerMedia
{
  PeerMediaOptions options;
  PeerMediaCallbacks callbacks;
  gpointer user_data;
  RtfxHandoff *handoff;         /* closed by peer_media_stop(): no callback after it */

  GstElement *pipeline;
  GstElement *webrtc;
  GstWebRTCDataChannel *channel;
  guint64 clip_sent;            /* on the appsrc's streaming thread only */
  guint clip_next;              /* the same */
  gint keyframe_wanted;         /* atomic: the server asked for one */

  GMutex lock;                  /* guards what follows, shared with the streaming threads */
  gboolean receiving;           /* the incoming stream is linked */
  guint frames;
  guint64 bytes;                /* of encoded video */
  gint64 first_frame_time;
  gint64 ring[RING_SIZE];       /* times of the latest frames, frames % RING_SIZE next */
  gboolean pipeline_stopped;    /* by the stop thread */
  GCond stopped_cond;
};

static PeerMedia *
media_ref (PeerMedia * media)
{
  return g_atomic_rc_box_acquire (media);
}

static void
media_free (PeerMedia * media)
{
  gst_clear_object (&media->pipeline);
  g_clear_object (&media->channel);
  g_mutex_clear (&media->lock);
  g_cond_clear (&media->stopped_cond);
  rtfx_handoff_unref (media->handoff);
}

static void
media_unref (PeerMedia * media)
{
  g_atomic_rc_box_release_full (media, (GDestroyNotify) media_free);
}

/* --- handing webrtcbin's events to the main context ----------------------------------------- */

typedef enum
{
  EVENT_OFFER,                  /* text: the SDP */
  EVENT_ICE,                    /* number: the m-line, text: the candidate */
  EVENT_FAILED,                 /* text: what failed */
} EventKind;

static void
deliver_event (gint kind, guint number, const gchar * text, gpointer data)
{
  PeerMedia *media = data;

  switch ((EventKind) kind) {
    case EVENT_OFFER:
      media->callbacks.offer (text, media->user_data);
      break;
    case EVENT_ICE:
      media->callbacks.ice (number, text, media->user_data);
      break;
    case EVENT_FAILED:
      media->callbacks.failed (text, media->user_data);
      break;
  }
}

/* From any thread; text is taken. */
static void
post_event (PeerMedia * media, EventKind kind, guint number, gchar * text)
{
  rtfx_handoff_post (media->handoff, kind, number, text);
}

/* --- offer and answer ------------------------------------------------------------------------- */

static void
on_offer_created (GstPromise * promise, gpointer user_data)
{
  PeerMedia *media = user_data;
  const GstStructure *reply = gst_promise_get_reply (promise);
  GstWebRTCSessionDescription *offer = NULL;

  if (reply != NULL)
    gst_structure_get (reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION,
        &offer, NULL);
  gst_promise_unref (promise);
  if (offer == NULL) {
    post_event (media, EVENT_FAILED, 0, g_strdup ("webrtcbin made no offer"));
    return;
  }
  /* This runs on webrtcbin's thread, so set-local-description only queues its work there, and the
   * candidates it gathers come after the offer posted here. Queued first, it also comes before
   * the answer, however fast the server answers. A whole offer is posted once gathering is
   * complete instead (on_ice_gathering_state). */
  g_signal_emit_by_name (media->webrtc, "set-local-description", offer, NULL);
  if (!media->options.whole_offer)
    post_event (media, EVENT_OFFER, 0, gst_sdp_message_as_text (offer->sdp));
  gst_webrtc_session_description_free (offer);
}

static void
on_answer_set (GstPromise * promise, gpointer user_data)
{
  PeerMedia *media = user_data;
  const GstStructure *reply = gst_promise_get_reply (promise);
  g_autoptr (GError) error = NULL;

  if (reply != NULL && gst_structure_has_field (reply, "error"))
    gst_structure_get (reply, "error", G_TYPE_ERROR, &error, NULL);
  if (gst_promise_wait (promise) != GST_PROMISE_RESULT_REPLIED || error)
    post_event (media, EVENT_FAILED, 0, g_strdup_printf ("the answer was "
            "refused: %s", error ? error->message : "no reply"));
  gst_promise_unref (promise);
}

void
peer_media_set_answer (PeerMedia * media, const gchar * sdp)
{
  GstSDPMessage *message = NULL;
  GstWebRTCSessionDescription *answer;

  if (gst_sdp_message_new_from_text (sdp, &message) != GST_SDP_OK) {
    media->callbacks.failed ("the answer's SDP cannot be parsed",
        media->user_data);
    return;
  }
  answer = gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_ANSWER,
      message);
  g_signal_emit_by_name (media->webrtc, "set-remote-description", answer,
      gst_promise_new_with_change_func (on_answer_set, media_ref (media),
          (GDestroyNotify) media_unref));
  gst_webrtc_session_description_free (answer);
}

void
peer_media_add_ice (PeerMedia * media, guint mline_index,
    const gchar * candidate)
{
  if (candidate[0] != '\0')     /* empty: end of candidates */
    g_signal_emit_by_name (media->webrtc, "add-ice-candidate", mline_index,
        candidate);
}

/* --- webrtcbin's signals, on its threads ------------------------------------------------------ */

static void
on_ice_candidate (GstElement * webrtc, guint mline_index, gchar * candidate,
    gpointer user_data)
{
  PeerMedia *media = user_data;

  if (!media->options.whole_offer)
    post_event (media, EVENT_ICE, mline_index, g_strdup (candidate));
}

/* webrtcbin writes the candidates it gathers into its local description. */
static void
on_ice_gathering_state (GstElement * webrtc, GParamSpec * pspec,
    gpointer user_data)
{
  PeerMedia *media = user_data;
  GstWebRTCICEGatheringState state;
  GstWebRTCSessionDescription *offer = NULL;

  g_object_get (webrtc, "ice-gathering-state", &state, NULL);
  if (state != GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE)
    return;
  g_object_get (webrtc, "local-description", &offer, NULL);
  if (offer == NULL) {
    post_event (media, EVENT_FAILED, 0, g_strdup ("gathering completed "
            "without a local description"));
    return;
  }
  post_event (media, EVENT_OFFER, 0, gst_sdp_message_as_text (offer->sdp));
  gst_webrtc_session_description_free (offer);
}

static void
on_ice_connection_state (GstElement * webrtc, GParamSpec * pspec,
    gpointer user_data)
{
  GstWebRTCICEConnectionState state;

  g_object_get (webrtc, "ice-connection-state", &state, NULL);
  if (state == GST_WEBRTC_ICE_CONNECTION_STATE_FAILED)
    post_event (user_data, EVENT_FAILED, 0, g_strdup ("ICE failed"));
}

static GstPadProbeReturn
count_frame (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  PeerMedia *media = user_data;
  const gint64 now = g_get_monotonic_time ();

  g_mutex_lock (&media->lock);
  if (media->frames == 0)
    media->first_frame_time = now;
  media->ring[media->frames % RING_SIZE] = now;
  media->frames++;
  g_mutex_unlock (&media->lock);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
count_bytes (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  PeerMedia *media = user_data;

  g_mutex_lock (&media->lock);
  media->bytes += gst_buffer_get_size (GST_PAD_PROBE_INFO_BUFFER (info));
  g_mutex_unlock (&media->lock);
  return GST_PAD_PROBE_OK;
}

/* Linked here, on the streaming thread, so the first buffer (the keyframe) is not lost. */
static void
on_pad_added (GstElement * webrtc, GstPad * pad, gpointer user_data)
{
  PeerMedia *media = user_data;
  g_autoptr (GstPad) sink = NULL;
  g_autoptr (GstPad) frames = NULL;
  g_autoptr (GstPad) encoded = NULL;
  g_autoptr (GstElement) depay = NULL;
  g_autoptr (GstElement) counted = NULL;
  GstElement *bin;
  gboolean first;

  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  g_mutex_lock (&media->lock);
  first = !media->receiving;
  media->receiving = TRUE;
  g_mutex_unlock (&media->lock);
  if (first) {
    bin = gst_parse_bin_from_description (media->options.no_decode ?
        RECEIVE_BIN_NO_DECODE : RECEIVE_BIN, TRUE, NULL);
    depay = gst_bin_get_by_name (GST_BIN (bin), "depay");
    counted = gst_bin_get_by_name (GST_BIN (bin), media->options.no_decode ?
        "depay" : "decoder");
    frames = gst_element_get_static_pad (counted, "src");
    gst_pad_add_probe (frames, GST_PAD_PROBE_TYPE_BUFFER, count_frame, media,
        NULL);
    encoded = gst_element_get_static_pad (depay, "src");
    gst_pad_add_probe (encoded, GST_PAD_PROBE_TYPE_BUFFER, count_bytes, media,
        NULL);
  } else {                      /* we offered one video stream: anything more is dropped */
    bin = gst_element_factory_make ("fakesink", NULL);
    g_object_set (bin, "async", FALSE, "sync", FALSE, NULL);
  }
  gst_bin_add (GST_BIN (media->pipeline), bin);
  gst_element_sync_state_with_parent (bin);
  sink = gst_element_get_static_pad (bin, "sink");
  if (gst_pad_link (pad, sink) != GST_PAD_LINK_OK)
    post_event (media, EVENT_FAILED, 0,
        g_strdup ("cannot link the incoming stream to the decoder"));
}

static gboolean
on_bus_message (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  PeerMedia *media = user_data;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ERROR:{
      g_autoptr (GError) error = NULL;
      g_autofree gchar *debug = NULL;
      g_autofree gchar *text = NULL;

      gst_message_parse_error (msg, &error, &debug);
      text = g_strdup_printf ("pipeline error from %s: %s",
          GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), error->message);
      media->callbacks.failed (text, media->user_data);
      break;
    }
    case GST_MESSAGE_LATENCY:
      gst_bin_recalculate_latency (GST_BIN (media->pipeline));
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

/* --- the clip --------------------------------------------------------------------------------- */

/* The clip's next frame, looping, timed CLIP_FPS a second from 0; on the appsrc's thread. When the
 * server asks for a keyframe, as a browser would make one, the clip skips to its next keyframe. */
static void
feed_clip (GstAppSrc * src, guint length, gpointer user_data)
{
  PeerMedia *media = user_data;
  const GPtrArray *frames = media->options.clip->frames;
  GstBuffer *frame;

  if (g_atomic_int_compare_and_exchange (&media->keyframe_wanted, TRUE, FALSE))
    while (GST_BUFFER_FLAG_IS_SET (g_ptr_array_index (frames,
                media->clip_next), GST_BUFFER_FLAG_DELTA_UNIT))
      media->clip_next = (media->clip_next + 1) % frames->len;
  frame = gst_buffer_copy (g_ptr_array_index (frames, media->clip_next));
  media->clip_next = (media->clip_next + 1) % frames->len;

  GST_BUFFER_PTS (frame) = gst_util_uint64_scale (media->clip_sent, GST_SECOND,
      CLIP_FPS);
  GST_BUFFER_DTS (frame) = GST_CLOCK_TIME_NONE;
  GST_BUFFER_DURATION (frame) = gst_util_uint64_scale (1, GST_SECOND,
      CLIP_FPS);
  media->clip_sent++;
  gst_app_src_push_buffer (src, frame);
}

/* webrtcbin turns the server's PLI and FIR into this event. */
static GstPadProbeReturn
note_keyframe_request (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  PeerMedia *media = user_data;

  if (gst_event_has_name (GST_PAD_PROBE_INFO_EVENT (info), "GstForceKeyUnit"))
    g_atomic_int_set (&media->keyframe_wanted, TRUE);
  return GST_PAD_PROBE_OK;
}

static void
prepare_clip (PeerMedia * media)
{
  g_autoptr (GstElement) src = gst_bin_get_by_name (GST_BIN (media->pipeline),
      "clip");
  g_autoptr (GstCaps) caps = gst_caps_copy (media->options.clip->caps);
  g_autoptr (GstPad) pad = NULL;
  GstAppSrcCallbacks callbacks = { feed_clip };

  gst_caps_set_simple (caps, "framerate", GST_TYPE_FRACTION, CLIP_FPS, 1,
      NULL);
  g_object_set (src, "caps", caps, NULL);
  gst_app_src_set_callbacks (GST_APP_SRC (src), &callbacks, media, NULL);
  pad = gst_element_get_static_pad (src, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
      note_keyframe_request, media, NULL);
}

/* --- life and death --------------------------------------------------------------------------- */

/* Host candidates on 127.0.0.1, which libnice skips by itself (so a lo-only namespace works), and
 * no UPnP port mapping (nothing to map on loopback, and no SSDP traffic). */
static void
configure_ice (PeerMedia * media)
{
  g_autoptr (GObject) ice = NULL;
  g_autoptr (GObject) agent = NULL;
  gboolean added = FALSE;

  g_object_get (media->webrtc, "ice-agent", &ice, NULL);
  g_signal_emit_by_name (ice, "add-local-ip-address", "127.0.0.1", &added);
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (ice), "agent"))
    g_object_get (ice, "agent", &agent, NULL);
  if (agent != NULL)
    g_object_set (agent, "upnp", FALSE, NULL);
}

PeerMedia *
peer_media_new (const PeerMediaOptions * options,
    const PeerMediaCallbacks * callbacks, gpointer user_data, GError ** error)
{
  PeerMedia *media = g_atomic_rc_box_new0 (PeerMedia);
  g_autofree gchar *description = g_strconcat (WEBRTC,
      options->clip ? CLIP_SOURCE : LIVE_SOURCE, PAYLOADER, NULL);
  g_autoptr (GstPad) sink = NULL;
  g_autoptr (GstBus) bus = NULL;
  GstWebRTCRTPTransceiver *transceiver = NULL;

  g_mutex_init (&media->lock);
  g_cond_init (&media->stopped_cond);
  media->options = *options;
  media->callbacks = *callbacks;
  media->user_data = user_data;
  media->handoff = rtfx_handoff_new (deliver_event, media);
  media->pipeline = gst_parse_launch (description, error);
  if (media->pipeline == NULL) {
    media_unref (media);
    return NULL;
  }
  media->webrtc = gst_bin_get_by_name (GST_BIN (media->pipeline), "webrtc");
  gst_object_unref (media->webrtc);     /* the pipeline keeps it */
  configure_ice (media);
  if (options->clip != NULL)
    prepare_clip (media);

  /* The transceiver of the linked sink pad sends our video and receives the server's. */
  sink = gst_element_get_static_pad (media->webrtc, "sink_0");
  g_object_get (sink, "transceiver", &transceiver, NULL);
  g_object_set (transceiver, "direction",
      GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDRECV, NULL);
  gst_object_unref (transceiver);

  g_signal_connect (media->webrtc, "on-ice-candidate",
      G_CALLBACK (on_ice_candidate), media);
  g_signal_connect (media->webrtc, "notify::ice-connection-state",
      G_CALLBACK (on_ice_connection_state), media);
  if (options->whole_offer)
    g_signal_connect (media->webrtc, "notify::ice-gathering-state",
        G_CALLBACK (on_ice_gathering_state), media);
  g_signal_connect (media->webrtc, "pad-added", G_CALLBACK (on_pad_added),
      media);
  bus = gst_pipeline_get_bus (GST_PIPELINE (media->pipeline));
  gst_bus_add_watch (bus, on_bus_message, media);

  if (gst_element_set_state (media->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_STATE_CHANGE,
        "the pipeline cannot start");
    gst_bus_remove_watch (bus);
    gst_element_set_state (media->pipeline, GST_STATE_NULL);
    media_unref (media);
    return NULL;
  }
  /* As the page does: the data channel exists before the offer, so the offer carries it. */
  g_signal_emit_by_name (media->webrtc, "create-data-channel", "rtfx", NULL,
      &media->channel);
  g_signal_emit_by_name (media->webrtc, "create-offer", NULL,
      gst_promise_new_with_change_func (on_offer_created, media_ref (media),
          (GDestroyNotify) media_unref));
  return media;
}

guint
peer_media_frames (PeerMedia * media, gint64 * first_frame_time)
{
  guint frames;

  g_mutex_lock (&media->lock);
  frames = media->frames;
  if (first_frame_time != NULL)
    *first_frame_time = media->first_frame_time;
  g_mutex_unlock (&media->lock);
  return frames;
}

guint64
peer_media_bytes (PeerMedia * media)
{
  guint64 bytes;

  g_mutex_lock (&media->lock);
  bytes = media->bytes;
  g_mutex_unlock (&media->lock);
  return bytes;
}

gdouble
peer_media_fps (PeerMedia * media, gint64 window_us)
{
  const gint64 now = g_get_monotonic_time ();
  gint64 start;
  guint n = 0;

  g_mutex_lock (&media->lock);
  if (media->frames < 2) {
    g_mutex_unlock (&media->lock);
    return 0;
  }
  start = MAX (now - window_us, media->first_frame_time);
  while (n < MIN (media->frames, RING_SIZE) &&
      media->ring[(media->frames - 1 - n) % RING_SIZE] > start)
    n++;
  g_mutex_unlock (&media->lock);
  return now > start ? n * (gdouble) G_USEC_PER_SEC / (now - start) : 0;
}

static gpointer
stop_thread (gpointer data)
{
  PeerMedia *media = data;

  gst_element_set_state (media->pipeline, GST_STATE_NULL);
  g_mutex_lock (&media->lock);
  media->pipeline_stopped = TRUE;
  g_cond_signal (&media->stopped_cond);
  g_mutex_unlock (&media->lock);
  media_unref (media);
  return NULL;
}

gboolean
peer_media_stop (PeerMedia * media, gint64 timeout_us)
{
  const gint64 deadline = g_get_monotonic_time () + timeout_us;
  g_autoptr (GstBus) bus = gst_pipeline_get_bus (GST_PIPELINE
      (media->pipeline));
  gboolean stopped;
  GThread *thread;

  rtfx_handoff_close (media->handoff);
  gst_bus_remove_watch (bus);
  thread = g_thread_new ("peer-stop", stop_thread, media_ref (media));
  g_mutex_lock (&media->lock);
  while (!media->pipeline_stopped &&
      g_cond_wait_until (&media->stopped_cond, &media->lock, deadline));
  stopped = media->pipeline_stopped;
  g_mutex_unlock (&media->lock);
  /* Stopped: the thread is about to drop its reference, so wait for it, and the pipeline is freed
   * here. Otherwise that thread could be freeing the pipeline (webrtcbin, libnice's threads) while
   * the program exits: rtfx-test-peer crashed so, now and then, on a loaded machine. A pipeline
   * that did not stop in time is left to the thread. */
  if (stopped)
    g_thread_join (thread);
  else
    g_thread_unref (thread);
  media_unref (media);
  return stopped;
}
