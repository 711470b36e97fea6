/* One session: a websocket from the page and the pipeline that serves it.
 *
 *   webrtcbin ──(pad-added)── depayloader ! decoder ─┐
 *       ▲                                            ▼
 *       └── payloader ! encoder ! videoconvert ! CHAIN ! videoconvert (head)
 *                                    (convert_out)
 *
 * The sending half is built when the offer arrives and before it is applied, so that webrtcbin
 * answers sendrecv; the receiving half is linked inside pad-added, on the streaming thread, so the
 * first keyframe is not lost. The websocket is only touched in the main context: what webrtcbin's
 * threads want to send is handed over with send_soon().
 *
 * CHAIN is one of the presets; switching swaps it between head and convert_out while the video
 * flows, inside a blocking probe on head's source pad. Its controls are offered to the page. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "session.h"

#include <malloc.h>
#include <stdlib.h>

#define GST_USE_UNSTABLE_API
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>

#include "chain.h"
#include "controls.h"
#include "offer.h"
#include "protocol.h"
#include "wsguard.h"

struct _RtfxSession
{
  gchar *peer;                  /* remote address, for the log */
  const RtfxConfig *config;
  RtfxSessionEndedFunc on_ended;
  gpointer on_ended_data;

  /* main context only */
  SoupWebsocketConnection *ws;
  RtfxWsGuard *guard;           /* its limits: rate, unread output, silence */
  gboolean got_offer;
  gboolean ended;
  guint offer_timer;
  guint tick_timer;             /* every second: liveness, then stats */
  guint wanted_preset;          /* the last preset asked for, */
  guint preset_idle;            /* until apply_preset puts it in force */

  GstElement *pipeline;
  GstElement *webrtc;
  GstElement *head;             /* where the decoded video enters the processing */
  GstElement *convert_out;      /* where it leaves */
  GstElement *encoder;          /* encoder and payloader, feeding webrtcbin */

  guint preset;                 /* index in config->preset_names */
  RtfxControls *controls;       /* of the newest chain */
  gint64 stats_time;
  guint stats_in, stats_out;    /* frame counts at stats_time */
  gint64 video_time;            /* when frames_in last grew (or the offer came) */

  gint frames_in;               /* atomic: frames into and out of the chain */
  gint frames_out;

  GMutex lock;                  /* guards what follows, shared with the streaming threads */
  gboolean stopping;
  GstPad *decoder_src;          /* linked to head's sink pad; unlinked to stop */
  GstElement *chain;            /* the chain in the pipeline (or to be, before the offer) */
  GstElement *next_chain;       /* the newest preset asked for, until head is idle */
  GstWebRTCDataChannel *channel;        /* the page's, for the chain's rtfx/ messages */
  guint64 dropped_before;       /* by the rtfxlatest of chains swapped out */
};

/* How long teardown waits for webrtcbin to finish the negotiation steps under way. */
#define NEGOTIATION_LIMIT_US (G_USEC_PER_SEC / 2)

static void end_session (RtfxSession * session, const gchar * reason,
    gboolean page_reads);

static gint pending_teardowns;
static GMutex teardown_lock;
static GCond teardown_cond;

RtfxSession *
rtfx_session_ref (RtfxSession * session)
{
  return g_atomic_rc_box_acquire (session);
}

static void
session_free (RtfxSession * session)
{
  g_clear_pointer (&session->guard, rtfx_ws_guard_free);
  g_clear_object (&session->ws);
  g_clear_object (&session->decoder_src);
  gst_clear_object (&session->chain);
  gst_clear_object (&session->next_chain);
  g_clear_object (&session->channel);
  g_clear_pointer (&session->controls, rtfx_controls_free);
  g_mutex_clear (&session->lock);
  g_free (session->peer);
}

void
rtfx_session_unref (RtfxSession * session)
{
  g_atomic_rc_box_release_full (session, (GDestroyNotify) session_free);
}

/* A page that leaves what we send unread is cut off, not buffered for without end. */
static void
send_now (RtfxSession * session, gchar * json)
{
  if (!session->ended && soup_websocket_connection_get_state (session->ws) ==
      SOUP_WEBSOCKET_STATE_OPEN) {
    if (rtfx_ws_guard_may_send (session->guard, strlen (json)))
      soup_websocket_connection_send_text (session->ws, json);
    else
      end_session (session, "the page does not read what the server sends",
          FALSE);
  }
  g_free (json);
}

/* What webrtcbin's threads want done with the websocket, run later in the main context. */
typedef struct
{
  RtfxSession *session;
  gchar *text;
  void (*run) (RtfxSession * session, const gchar * text);
} Deferred;

static gboolean
run_deferred (gpointer data)
{
  Deferred *d = data;

  d->run (d->session, d->text);
  return G_SOURCE_REMOVE;
}

static void
free_deferred (gpointer data)
{
  Deferred *d = data;

  g_free (d->text);
  rtfx_session_unref (d->session);
  g_free (d);
}

/* From any thread: run (session, text) in the main context, in the order of the calls. text is
 * taken. */
static void
defer (RtfxSession * session, gchar * text,
    void (*run) (RtfxSession * session, const gchar * text))
{
  Deferred *d = g_new0 (Deferred, 1);

  d->session = rtfx_session_ref (session);
  d->text = text;
  d->run = run;
  g_main_context_invoke_full (NULL, G_PRIORITY_DEFAULT, run_deferred, d,
      free_deferred);
}

static void
send_copy (RtfxSession * session, const gchar * json)
{
  send_now (session, g_strdup (json));
}

/* From any thread: queues json (taken) for the websocket. */
static void
send_soon (RtfxSession * session, gchar * json)
{
  defer (session, json, send_copy);
}

/* From any thread: ends the session in the main context. */
static void
end_soon (RtfxSession * session, const gchar * reason)
{
  defer (session, g_strdup (reason), rtfx_session_end);
}

static void
reply_error (RtfxSession * session, const gchar * message)
{
  g_message ("session %s: error: %s", session->peer, message);
  send_now (session, rtfx_message_error (message));
}

/* --- the offer and the answer ------------------------------------------------------------ */

static GstElement *
make (const gchar * factory, GError ** error)
{
  GstElement *e = gst_element_factory_make (factory, NULL);

  if (e == NULL)
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "the server lacks the GStreamer element '%s'", factory);
  return e;
}

static GstElement *
make_encoder (const RtfxCodec * codec, gint pt, GError ** error)
{
  g_autofree gchar *desc = g_strdup_printf (codec->encoder, pt);

  return gst_parse_bin_from_description (desc, TRUE, error);
}

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

/* head (videoconvert) ! CHAIN ! videoconvert ! I420 ! encoder ! payloader ! webrtcbin */
static gboolean
build_send_branch (RtfxSession * session, const RtfxOffer * offer,
    GError ** error)
{
  GstElement *chain = session->chain;
  g_autoptr (GstPad) webrtc_sink = NULL;
  g_autoptr (GstPad) pay_src = NULL;
  g_autoptr (GstCaps) i420 = gst_caps_from_string ("video/x-raw,format=I420");
  GstWebRTCRTPTransceiver *transceiver = NULL;
  GstElement *convert_out, *filter, *encoder;

  encoder = session->encoder = make_encoder (offer->codec, offer->pt, error);
  if (encoder == NULL)
    return FALSE;
  session->head = gst_element_factory_make ("videoconvert", NULL);
  convert_out = session->convert_out = gst_element_factory_make ("videoconvert",
      NULL);
  filter = gst_element_factory_make ("capsfilter", NULL);
  g_object_set (filter, "caps", i420, NULL);
  gst_bin_add_many (GST_BIN (session->pipeline), session->head, chain,
      convert_out, filter, encoder, NULL);
  if (!gst_element_link_many (session->head, chain, convert_out, filter,
          encoder, NULL)) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
        "the chain '%s' does not take and give raw video",
        session->config->preset_chains[session->preset]);
    return FALSE;
  }
  count_frames (session->head, "src", &session->frames_in);
  count_frames (convert_out, "sink", &session->frames_out);

  webrtc_sink = gst_element_request_pad_simple (session->webrtc, "sink_%u");
  pay_src = gst_element_get_static_pad (encoder, "src");
  if (gst_pad_link (pay_src, webrtc_sink) != GST_PAD_LINK_OK) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_PAD,
        "cannot link the encoder to webrtcbin");
    return FALSE;
  }
  g_object_get (webrtc_sink, "transceiver", &transceiver, NULL);
  g_object_set (transceiver, "direction",
      GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDRECV, "codec-preferences",
      offer->preferences, NULL);
  gst_object_unref (transceiver);
  return TRUE;
}

/* Emits one of webrtcbin's negotiation signals (set-remote-description, create-answer,
 * set-local-description) with description (or none) and a promise calling on_reply, unless the
 * session is stopping. The promise is webrtcbin's alone: if it drops the step unanswered (the
 * session ended meanwhile), freeing the promise releases the session, and nothing leaks. Under the
 * lock, so that once teardown has set stopping no step can start after it. */
static void
negotiate (RtfxSession * session, const gchar * signal,
    GstWebRTCSessionDescription * description, GstPromiseChangeFunc on_reply)
{
  GstPromise *promise;

  g_mutex_lock (&session->lock);
  if (session->stopping) {
    g_mutex_unlock (&session->lock);
    return;
  }
  promise = on_reply ? gst_promise_new_with_change_func (on_reply,
      rtfx_session_ref (session), (GDestroyNotify) rtfx_session_unref) :
      gst_promise_new ();
  if (description != NULL)
    g_signal_emit_by_name (session->webrtc, signal, description, promise);
  else
    g_signal_emit_by_name (session->webrtc, signal, NULL, promise);
  g_mutex_unlock (&session->lock);
  gst_promise_unref (promise);
}

static void
on_answer_created (GstPromise * promise, gpointer user_data)
{
  RtfxSession *session = user_data;
  const GstStructure *reply = gst_promise_get_reply (promise);
  GstWebRTCSessionDescription *answer = NULL;
  g_autofree gchar *sdp = NULL;

  if (reply != NULL)
    gst_structure_get (reply, "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION,
        &answer, NULL);
  if (answer == NULL) {
    end_soon (session, "the server could not answer the offer");
    return;
  }
  /* The answer goes out before set-local-description starts gathering: a candidate the browser
   * gets before the answer is rejected. send_soon keeps the order. */
  sdp = gst_sdp_message_as_text (answer->sdp);
  send_soon (session, rtfx_message_answer (sdp));
  negotiate (session, "set-local-description", answer, NULL);
  gst_webrtc_session_description_free (answer);
}

static void
on_remote_description_set (GstPromise * promise, gpointer user_data)
{
  RtfxSession *session = user_data;
  const GstStructure *reply = gst_promise_get_reply (promise);

  if (gst_promise_wait (promise) != GST_PROMISE_RESULT_REPLIED ||
      (reply != NULL && gst_structure_has_field (reply, "error"))) {
    end_soon (session, "the server could not apply the offer");
    return;
  }
  negotiate (session, "create-answer", NULL, on_answer_created);
}

/* --- webrtcbin's signals, on its threads ------------------------------------------------- */

static void
on_ice_candidate (GstElement * webrtc, guint mline_index, gchar * candidate,
    gpointer user_data)
{
  send_soon (user_data, rtfx_message_ice (candidate, mline_index));
}

static void
on_ice_connection_state (GstElement * webrtc, GParamSpec * pspec,
    gpointer user_data)
{
  GstWebRTCICEConnectionState state;

  g_object_get (webrtc, "ice-connection-state", &state, NULL);
  if (state == GST_WEBRTC_ICE_CONNECTION_STATE_FAILED)
    end_soon (user_data, "ICE connection failed");
}

/* Anything but our video (audio, say) is received and dropped. */
static GstElement *
make_decoder_bin (const gchar * encoding)
{
  const RtfxCodec *codec = rtfx_codec_find (encoding);

  if (codec == NULL)
    return NULL;
  return gst_parse_bin_from_description (codec->decoder, TRUE, NULL);
}

static void
on_pad_added (GstElement * webrtc, GstPad * pad, gpointer user_data)
{
  RtfxSession *session = user_data;
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

  g_mutex_lock (&session->lock);
  if (!session->stopping && session->decoder_src == NULL)
    decoder = make_decoder_bin (encoding);
  if (decoder != NULL) {
    head_sink = gst_element_get_static_pad (session->head, "sink");
    session->decoder_src = gst_element_get_static_pad (decoder, "src");
    gst_bin_add (GST_BIN (session->pipeline), decoder);
    gst_pad_link (session->decoder_src, head_sink);
  } else {
    decoder = gst_element_factory_make ("fakesink", NULL);
    g_object_set (decoder, "async", FALSE, "sync", FALSE, NULL);
    gst_bin_add (GST_BIN (session->pipeline), decoder);
  }
  /* Playing before the first buffer arrives, which is the keyframe. */
  gst_element_sync_state_with_parent (decoder);
  sink = gst_element_get_static_pad (decoder, "sink");
  if (gst_pad_link (pad, sink) != GST_PAD_LINK_OK)
    g_message ("session %s: cannot link the incoming %s stream",
        session->peer, encoding ? encoding : "unknown");
  g_mutex_unlock (&session->lock);
}

/* The page opens a data channel in its offer; the chain's element messages go out on it. */
static void
on_data_channel (GstElement * webrtc, GstWebRTCDataChannel * channel,
    gpointer user_data)
{
  RtfxSession *session = user_data;

  g_mutex_lock (&session->lock);
  if (session->channel == NULL)
    session->channel = g_object_ref (channel);
  g_mutex_unlock (&session->lock);
}

/* Element messages named rtfx/… (detections, say) go to the page as JSON, if it has a channel. */
static void
forward_element_message (RtfxSession * session, GstMessage * msg)
{
  const GstStructure *s = gst_message_get_structure (msg);
  g_autoptr (GstWebRTCDataChannel) channel = NULL;
  g_autofree gchar *json = NULL;
  GstWebRTCDataChannelState state;

  if (s == NULL || !g_str_has_prefix (gst_structure_get_name (s), "rtfx/"))
    return;
  g_mutex_lock (&session->lock);
  channel = session->channel ? g_object_ref (session->channel) : NULL;
  g_mutex_unlock (&session->lock);
  if (channel == NULL)
    return;
  g_object_get (channel, "ready-state", &state, NULL);
  if (state != GST_WEBRTC_DATA_CHANNEL_STATE_OPEN)
    return;
  json = rtfx_message_from_structure (s);
  gst_webrtc_data_channel_send_string_full (channel, json, NULL);
}

/* --- the bus ----------------------------------------------------------------------------- */

static gboolean
on_bus_message (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  RtfxSession *session = user_data;
  g_autoptr (GError) err = NULL;
  g_autofree gchar *debug = NULL;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ERROR:
      gst_message_parse_error (msg, &err, &debug);
      g_message ("session %s: pipeline error from %s: %s (%s)", session->peer,
          GST_OBJECT_NAME (msg->src), err->message, debug ? debug : "");
      rtfx_session_end (session, err->message);
      break;
    case GST_MESSAGE_WARNING:
      gst_message_parse_warning (msg, &err, &debug);
      g_message ("session %s: warning from %s: %s", session->peer,
          GST_OBJECT_NAME (msg->src), err->message);
      break;
    case GST_MESSAGE_ELEMENT:
      forward_element_message (session, msg);
      break;
    case GST_MESSAGE_LATENCY:
      /* Without this the pipeline keeps the latency computed at start. */
      gst_bin_recalculate_latency (GST_BIN (session->pipeline));
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

/* --- presets, controls and stats -------------------------------------------------------- */

static guint64
chain_dropped (GstElement * chain)
{
  g_autoptr (GPtrArray) elements = rtfx_chain_elements (chain);
  guint64 dropped = 0;

  for (guint i = 0; i < elements->len; i++) {
    GstElement *e = g_ptr_array_index (elements, i);
    GstElementFactory *f = gst_element_get_factory (e);
    guint64 n = 0;

    if (f != NULL && g_str_equal (GST_OBJECT_NAME (f), "rtfxlatest")) {
      g_object_get (e, "dropped", &n, NULL);
      dropped += n;
    }
  }
  return dropped;
}

static void
send_stats (RtfxSession * session, gint64 now)
{
  const guint in = (guint) g_atomic_int_get (&session->frames_in);
  const guint out = (guint) g_atomic_int_get (&session->frames_out);
  const gdouble seconds = (now - session->stats_time) / (gdouble) G_USEC_PER_SEC;
  guint64 dropped;

  g_mutex_lock (&session->lock);
  dropped = session->dropped_before + chain_dropped (session->chain);
  g_mutex_unlock (&session->lock);
  if (in > 0)                   /* from the first frame on */
    send_now (session, rtfx_message_stats ((in - session->stats_in) / seconds,
            (out - session->stats_out) / seconds, dropped));
  session->stats_time = now;
  session->stats_in = in;
  session->stats_out = out;
}

/* Every second: a page that has gone silent, or whose video has stopped, is ended (a frozen or
 * vanished peer must not keep its slot and pipeline); else the page gets its stats. */
static gboolean
tick (gpointer data)
{
  RtfxSession *session = data;
  const gint64 now = g_get_monotonic_time ();
  const guint timeout = session->config->peer_timeout_s;
  g_autofree gchar *reason = NULL;

  if (rtfx_ws_guard_is_silent (session->guard)) {
    session->tick_timer = 0;
    reason = g_strdup_printf ("the page stopped answering for %u s", timeout);
    end_session (session, reason, FALSE);
    return G_SOURCE_REMOVE;
  }
  if (session->pipeline == NULL)
    return G_SOURCE_CONTINUE;
  if ((guint) g_atomic_int_get (&session->frames_in) != session->stats_in)
    session->video_time = now;
  if (now - session->video_time > timeout * G_USEC_PER_SEC) {
    session->tick_timer = 0;
    reason = g_strdup_printf ("no video from the page for %u s (its network "
        "path may be lost)", timeout);
    rtfx_session_end (session, reason);
    return G_SOURCE_REMOVE;
  }
  send_stats (session, now);
  return G_SOURCE_CONTINUE;
}

static gboolean
offer_timed_out (gpointer data)
{
  RtfxSession *session = data;
  g_autofree gchar *reason = g_strdup_printf ("no offer within %u s of "
      "connecting", session->config->offer_timeout_s);

  session->offer_timer = 0;
  rtfx_session_end (session, reason);
  return G_SOURCE_REMOVE;
}

static void
send_controls (RtfxSession * session)
{
  g_autoptr (JsonNode) controls = rtfx_controls_describe (session->controls);

  send_now (session, rtfx_message_controls (session->config->preset_names
          [session->preset], (const gchar * const *) session->config->preset_names,
          session->config->preset_chains[session->preset], controls));
}

/* Offers the page the controls of chain, preset's newest instance, and says so. */
static void
offer_controls (RtfxSession * session, guint preset, GstElement * chain)
{
  session->preset = preset;
  g_clear_pointer (&session->controls, rtfx_controls_free);
  session->controls = rtfx_controls_new (chain,
      (const gchar * const *) session->config->controls,
      session->config->auto_controls);
  send_controls (session);
}

static void
stop_chain (GstElement * chain, gpointer unused)
{
  gst_element_set_state (chain, GST_STATE_NULL);
}

/* Called on the streaming thread with the next frame held at head's output: puts the newest chain
 * asked for in place of the running one, and the frame then goes into it after the stream's sticky
 * events (the pad sends them again after a relink). However many presets came meanwhile, there is
 * one swap, and at most one a frame. (An idle probe would run at once in the main thread when head is
 * idle, racing the next frame: a burst of switches then let frames into a chain before its
 * stream-start and caps.) The old chain is stopped on another thread, so this one is not held up. */
static GstPadProbeReturn
swap_chain (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  RtfxSession *session = data;
  GstElement *old, *chain;

  g_mutex_lock (&session->lock);
  chain = g_steal_pointer (&session->next_chain);
  old = session->chain;
  if (session->stopping || chain == NULL) {
    g_mutex_unlock (&session->lock);
    gst_clear_object (&chain);
    return GST_PAD_PROBE_REMOVE;
  }
  session->dropped_before += chain_dropped (old);
  session->chain = chain;
  gst_element_unlink_many (session->head, old, session->convert_out, NULL);
  gst_element_set_locked_state (old, TRUE);
  gst_bin_remove (GST_BIN (session->pipeline), old);
  gst_bin_add (GST_BIN (session->pipeline), chain);
  gst_element_link_many (session->head, chain, session->convert_out, NULL);
  gst_element_sync_state_with_parent (chain);
  g_mutex_unlock (&session->lock);

  gst_element_call_async (old, stop_chain, NULL, NULL);
  gst_object_unref (old);
  gst_element_post_message (session->pipeline,
      gst_message_new_latency (GST_OBJECT (session->pipeline)));
  return GST_PAD_PROBE_REMOVE;
}

/* Puts the preset last asked for in force: its chain, built now, gets the controls at once and joins
 * the pipeline with the next frame. Runs when the main loop is idle, so a burst of presets makes one
 * switch and one controls message, not one each. */
static gboolean
apply_preset (gpointer data)
{
  RtfxSession *session = data;
  const RtfxConfig *config = session->config;
  g_autoptr (GError) error = NULL;
  const guint preset = session->wanted_preset;
  GstElement *chain;
  gboolean probe_needed;

  session->preset_idle = 0;
  chain = rtfx_chain_build (config->preset_chains[preset], &error);
  if (chain == NULL) {
    reply_error (session, error->message);
    return G_SOURCE_REMOVE;
  }
  g_message ("session %s: preset %s", session->peer,
      config->preset_names[preset]);
  g_mutex_lock (&session->lock);
  if (session->pipeline == NULL) {
    gst_object_replace ((GstObject **) & session->chain, GST_OBJECT (chain));
    probe_needed = FALSE;
  } else {
    /* A probe already waiting swaps in whatever chain is newest when it runs. */
    probe_needed = session->next_chain == NULL;
    gst_object_replace ((GstObject **) & session->next_chain,
        GST_OBJECT (chain));
  }
  g_mutex_unlock (&session->lock);
  if (probe_needed) {
    g_autoptr (GstPad) head_src = gst_element_get_static_pad (session->head,
        "src");
    gst_pad_add_probe (head_src, GST_PAD_PROBE_TYPE_BLOCK |
        GST_PAD_PROBE_TYPE_BUFFER, swap_chain,
        rtfx_session_ref (session), (GDestroyNotify) rtfx_session_unref);
  }
  offer_controls (session, preset, chain);
  gst_object_unref (chain);
  return G_SOURCE_REMOVE;
}

static void
handle_preset (RtfxSession * session, const gchar * name)
{
  const gchar *const *names =
      (const gchar * const *) session->config->preset_names;
  guint preset;

  if (!g_strv_contains (names, name)) {
    g_autofree gchar *quoted = rtfx_quote (name);
    g_autofree gchar *message = g_strdup_printf ("there is no preset '%s'",
        quoted);
    reply_error (session, message);
    return;
  }
  for (preset = 0; !g_str_equal (names[preset], name); preset++);
  session->wanted_preset = preset;
  if (session->preset_idle == 0)
    session->preset_idle = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE,
        apply_preset, rtfx_session_ref (session),
        (GDestroyNotify) rtfx_session_unref);
}

static void
handle_set (RtfxSession * session, const RtfxMessage * msg)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) applied = rtfx_controls_set (session->controls,
      msg->element, msg->property, msg->value, &error);

  if (applied == NULL) {
    g_message ("session %s: set refused: %s", session->peer, error->message);
    send_now (session, rtfx_message_set_error (error->message, msg->element,
            msg->property));
    return;
  }
  send_now (session, rtfx_message_value (msg->element, msg->property, applied));
}

/* --- the page's messages ----------------------------------------------------------------- */

/* The servers, addresses and ports ICE may use: --stun and --turn, every local address (or
 * --ice-address), any port (or --ice-ports). */
static void
configure_ice (RtfxSession * session)
{
  g_autoptr (GObject) agent = NULL;
  g_autoptr (GObject) nice_agent = NULL;

  g_object_get (session->webrtc, "ice-agent", &agent, NULL);
  /* libnice maps ports on the LAN's router by UPnP unless told not to: a thread and SSDP multicast
   * per session that nobody asked for. */
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (agent), "agent"))
    g_object_get (agent, "agent", &nice_agent, NULL);
  if (nice_agent != NULL)
    g_object_set (nice_agent, "upnp", FALSE, NULL);
  if (session->config->stun != NULL)
    g_object_set (session->webrtc, "stun-server", session->config->stun, NULL);
  for (gchar ** t = session->config->turns; t && *t; t++) {
    gboolean added = FALSE;
    g_signal_emit_by_name (session->webrtc, "add-turn-server", *t, &added);
  }
  if (session->config->ice_max_port != 0)
    g_object_set (agent, "min-rtp-port", session->config->ice_min_port,
        "max-rtp-port", session->config->ice_max_port, NULL);
  for (gchar ** a = session->config->ice_addresses; a && *a; a++) {
    gboolean added = FALSE;
    g_signal_emit_by_name (agent, "add-local-ip-address", *a, &added);
    if (!added)
      g_message ("session %s: ICE cannot use the local address %s",
          session->peer, *a);
  }
}

static gboolean
start_pipeline (RtfxSession * session, const RtfxOffer * offer,
    GError ** error)
{
  g_autoptr (GstBus) bus = NULL;

  session->pipeline = gst_pipeline_new (NULL);
  session->webrtc = make ("webrtcbin", error);
  if (session->webrtc == NULL)
    return FALSE;
  gst_util_set_object_arg (G_OBJECT (session->webrtc), "bundle-policy",
      "max-bundle");
  g_object_set (session->webrtc, "latency", session->config->latency_ms, NULL);
  gst_bin_add (GST_BIN (session->pipeline), session->webrtc);
  configure_ice (session);

  if (!build_send_branch (session, offer, error))
    return FALSE;

  g_signal_connect (session->webrtc, "on-ice-candidate",
      G_CALLBACK (on_ice_candidate), session);
  g_signal_connect (session->webrtc, "pad-added", G_CALLBACK (on_pad_added),
      session);
  g_signal_connect (session->webrtc, "notify::ice-connection-state",
      G_CALLBACK (on_ice_connection_state), session);
  g_signal_connect (session->webrtc, "on-data-channel",
      G_CALLBACK (on_data_channel), session);

  bus = gst_pipeline_get_bus (GST_PIPELINE (session->pipeline));
  gst_bus_add_watch (bus, on_bus_message, session);

  if (gst_element_set_state (session->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_STATE_CHANGE,
        "the session's pipeline cannot start");
    return FALSE;
  }
  session->stats_time = session->video_time = g_get_monotonic_time ();
  return TRUE;
}

static void
handle_offer (RtfxSession * session, const gchar * text)
{
  g_autoptr (GError) error = NULL;
  RtfxOffer offer;
  GstWebRTCSessionDescription *description;

  if (!rtfx_offer_read (text, rtfx_codec_usable, &offer, &error)) {
    reply_error (session, error->message);
    return;
  }
  session->got_offer = TRUE;
  g_clear_handle_id (&session->offer_timer, g_source_remove);
  g_message ("session %s: offer with %s, payload type %d", session->peer,
      offer.codec->display_name, offer.pt);
  if (!start_pipeline (session, &offer, &error)) {
    rtfx_offer_clear (&offer);
    rtfx_session_end (session, error->message);
    return;
  }
  description = gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_OFFER,
      g_steal_pointer (&offer.sdp));
  rtfx_offer_clear (&offer);
  negotiate (session, "set-remote-description", description,
      on_remote_description_set);
  gst_webrtc_session_description_free (description);
}

static void
handle_ice (RtfxSession * session, const gchar * candidate, guint mline_index)
{
  if (!session->got_offer) {
    reply_error (session, "'ice' before 'offer'");
    return;
  }
  if (candidate[0] == '\0')
    return;                     /* end of candidates */
  g_signal_emit_by_name (session->webrtc, "add-ice-candidate", mline_index,
      candidate);
}

static void
on_ws_message (SoupWebsocketConnection * ws, gint type, GBytes * message,
    gpointer user_data)
{
  RtfxSession *session = user_data;
  g_autoptr (GError) error = NULL;
  RtfxMessage msg;
  gsize size;
  const gchar *data = g_bytes_get_data (message, &size);

  if (session->ended)
    return;
  if (!rtfx_ws_guard_take_message (session->guard)) {
    g_autofree gchar *reason = g_strdup_printf ("the page sent more than %u "
        "messages a second", session->config->max_message_rate);
    rtfx_session_end (session, reason);
    return;
  }
  if (type != SOUP_WEBSOCKET_DATA_TEXT) {
    reply_error (session, "binary messages are not part of the protocol");
    return;
  }
  if (!rtfx_message_parse (data, size, &msg, &error)) {
    reply_error (session, error->message);
    return;
  }
  switch (msg.type) {
    case RTFX_MESSAGE_OFFER:
      if (session->got_offer)
        reply_error (session, "a second 'offer': one session takes one offer");
      else
        handle_offer (session, msg.sdp);
      break;
    case RTFX_MESSAGE_ICE:
      handle_ice (session, msg.candidate, msg.mline_index);
      break;
    case RTFX_MESSAGE_BYE:
      rtfx_session_end (session, "the page said bye");
      break;
    case RTFX_MESSAGE_SET:
      handle_set (session, &msg);
      break;
    case RTFX_MESSAGE_PRESET:
      handle_preset (session, msg.name);
      break;
  }
  rtfx_message_clear (&msg);
}

static void
on_ws_closed (SoupWebsocketConnection * ws, gpointer user_data)
{
  rtfx_session_end (user_data, "the page closed the connection");
}

/* --- life and death ---------------------------------------------------------------------- */

RtfxSession *
rtfx_session_new (SoupWebsocketConnection * ws, GSocket * socket,
    const gchar * peer, const RtfxConfig * config,
    RtfxSessionEndedFunc on_ended, gpointer user_data)
{
  RtfxSession *session = g_atomic_rc_box_new0 (RtfxSession);

  g_mutex_init (&session->lock);
  session->ws = g_object_ref (ws);
  session->guard = rtfx_ws_guard_new (ws, socket, config->peer_timeout_s,
      config->max_message_rate, config->max_send_queue_kib);
  session->peer = g_strdup (peer);
  session->config = config;
  session->on_ended = on_ended;
  session->on_ended_data = user_data;
  g_signal_connect (ws, "message", G_CALLBACK (on_ws_message), session);
  g_signal_connect (ws, "closed", G_CALLBACK (on_ws_closed), session);
  session->offer_timer = g_timeout_add_seconds (config->offer_timeout_s,
      offer_timed_out, session);
  session->tick_timer = g_timeout_add_seconds (1, tick, session);
  g_message ("session %s: connected", peer);
  send_now (session, rtfx_message_hello (VERSION, config->chain,
          config->ice_servers));
  /* The presets were all built once at start-up, so this only fails if memory does. */
  session->chain = rtfx_chain_build (config->chain, NULL);
  offer_controls (session, config->start_preset, session->chain);
  return session;
}

typedef struct
{
  GMutex lock;
  GCond cond;
  gboolean done;
} Barrier;

static void
barrier_clear (Barrier * barrier)
{
  g_mutex_clear (&barrier->lock);
  g_cond_clear (&barrier->cond);
}

static void
barrier_unref (Barrier * barrier)
{
  g_atomic_rc_box_release_full (barrier, (GDestroyNotify) barrier_clear);
}

static void
barrier_reached (GstPromise * promise, gpointer data)
{
  Barrier *barrier = data;

  g_mutex_lock (&barrier->lock);
  barrier->done = TRUE;
  g_cond_signal (&barrier->cond);
  g_mutex_unlock (&barrier->lock);
}

/* Waits (at most timeout_us) until webrtcbin has run every step already asked of it. It runs them in
 * order on a thread of its own, and going to NULL drops those still waiting, freeing their
 * promises unanswered. Once stopping is set no new step is asked (negotiate), so after this none is
 * left. get-stats is the step that changes nothing. */
static void
finish_negotiation (GstElement * webrtc, gint64 timeout_us)
{
  const gint64 deadline = g_get_monotonic_time () + timeout_us;
  Barrier *barrier = g_atomic_rc_box_new0 (Barrier);
  GstPromise *promise = gst_promise_new_with_change_func (barrier_reached,
      g_atomic_rc_box_acquire (barrier), (GDestroyNotify) barrier_unref);

  g_mutex_init (&barrier->lock);
  g_cond_init (&barrier->cond);
  g_signal_emit_by_name (webrtc, "get-stats", NULL, promise);
  g_mutex_lock (&barrier->lock);
  while (!barrier->done && g_cond_wait_until (&barrier->cond, &barrier->lock,
          deadline));
  g_mutex_unlock (&barrier->lock);
  gst_promise_unref (promise);
  barrier_unref (barrier);
}

static gpointer
teardown_thread (gpointer data)
{
  RtfxSession *session = data;

  /* The receive half feeds the send half of the same webrtcbin; with that loop linked, going to
   * NULL can hang. Break it first, under the lock pad-added takes. */
  g_mutex_lock (&session->lock);
  session->stopping = TRUE;
  if (session->decoder_src != NULL)
    gst_pad_unlink (session->decoder_src, GST_PAD_PEER (session->decoder_src));
  g_mutex_unlock (&session->lock);
  finish_negotiation (session->webrtc, NEGOTIATION_LIMIT_US);
  /* A frame may still be on its way through the chain (it runs on the receiving thread when the
   * chain has no rtfxlatest) and be stuck in webrtcbin's full send queue once the network side
   * stops first; flushing the send path lets it return, so the state change does not wait. */
  if (session->encoder != NULL) {
    g_autoptr (GstPad) encoder_src = gst_element_get_static_pad
        (session->encoder, "src");
    gst_pad_push_event (encoder_src, gst_event_new_flush_start ());
  }

  gst_element_set_state (session->pipeline, GST_STATE_NULL);
  gst_clear_object (&session->pipeline);
  malloc_trim (0);
  g_message ("session %s: pipeline freed", session->peer);
  rtfx_session_unref (session);

  g_mutex_lock (&teardown_lock);
  pending_teardowns--;
  g_cond_broadcast (&teardown_cond);
  g_mutex_unlock (&teardown_lock);
  return NULL;
}

/* Ends the session; a page that reads nothing (page_reads FALSE) gets no bye and no close handshake
 * but a cut connection. */
static void
end_session (RtfxSession * session, const gchar * reason, gboolean page_reads)
{
  if (session->ended)
    return;
  g_message ("session %s: ended: %s", session->peer, reason);
  if (soup_websocket_connection_get_state (session->ws) ==
      SOUP_WEBSOCKET_STATE_OPEN) {
    g_autofree gchar *bye = rtfx_message_bye (reason);

    if (page_reads && rtfx_ws_guard_may_send (session->guard, strlen (bye)))
      rtfx_ws_close_with_bye (session->ws, bye);
    else
      rtfx_ws_guard_cut (session->guard);
  }
  session->ended = TRUE;
  g_signal_handlers_disconnect_by_data (session->ws, session);
  g_clear_handle_id (&session->tick_timer, g_source_remove);
  g_clear_handle_id (&session->offer_timer, g_source_remove);
  g_clear_handle_id (&session->preset_idle, g_source_remove);

  if (session->pipeline != NULL) {
    g_autoptr (GstBus) bus = gst_pipeline_get_bus (GST_PIPELINE
        (session->pipeline));
    gst_bus_remove_watch (bus);
    g_mutex_lock (&teardown_lock);
    pending_teardowns++;
    g_mutex_unlock (&teardown_lock);
    g_thread_unref (g_thread_new ("rtfx-teardown", teardown_thread,
            rtfx_session_ref (session)));
  }
  session->on_ended (session, session->on_ended_data);
}

void
rtfx_session_end (RtfxSession * session, const gchar * reason)
{
  end_session (session, reason, TRUE);
}

gboolean
rtfx_session_wait_for_teardowns (gint64 timeout_us)
{
  gint64 deadline = g_get_monotonic_time () + timeout_us;
  gboolean done;

  g_mutex_lock (&teardown_lock);
  while (pending_teardowns > 0 && g_cond_wait_until (&teardown_cond,
          &teardown_lock, deadline));
  done = pending_teardowns == 0;
  g_mutex_unlock (&teardown_lock);
  return done;
}
