/* A session's start timeline: see trace.h. */
#include "trace.h"

#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>

GST_DEBUG_CATEGORY_STATIC (rtfx_trace_debug);
#define GST_CAT_DEFAULT rtfx_trace_debug

struct _RtfxTrace
{
  gchar *peer;
  gint64 origin;                /* monotonic µs of the websocket's opening */
  guint logged;                 /* atomic: a bit per step */
};

/* The names in the log, one word each so that a script can read the lines. */
static const gchar *const step_names[RTFX_TRACE_STEPS] = {
  [RTFX_TRACE_WEBSOCKET_OPEN] = "websocket-open",
  [RTFX_TRACE_HELLO_SENT] = "hello-sent",
  [RTFX_TRACE_OFFER_RECEIVED] = "offer-received",
  [RTFX_TRACE_PIPELINE_BUILT] = "pipeline-built",
  [RTFX_TRACE_REMOTE_DESCRIPTION_SET] = "remote-description-set",
  [RTFX_TRACE_ANSWER_CREATED] = "answer-created",
  [RTFX_TRACE_ANSWER_SENT] = "answer-sent",
  [RTFX_TRACE_LOCAL_DESCRIPTION_SET] = "local-description-set",
  [RTFX_TRACE_FIRST_LOCAL_CANDIDATE] = "first-local-candidate",
  [RTFX_TRACE_FIRST_REMOTE_CANDIDATE] = "first-remote-candidate",
  [RTFX_TRACE_ICE_CONNECTED] = "ice-connected",
  [RTFX_TRACE_DTLS_CONNECTED] = "dtls-connected",
  [RTFX_TRACE_FIRST_RTP_IN] = "first-rtp-in",
  [RTFX_TRACE_FIRST_RTP_RELEASED] = "first-rtp-released",
  [RTFX_TRACE_FIRST_DEPAYLOADED] = "first-depayloaded",
  [RTFX_TRACE_FIRST_DECODED] = "first-decoded",
  [RTFX_TRACE_FIRST_PROCESSED] = "first-processed",
  [RTFX_TRACE_FIRST_ENCODED] = "first-encoded",
  [RTFX_TRACE_FIRST_RTP_OUT] = "first-rtp-out",
};

static gboolean
enabled (void)
{
  return gst_debug_category_get_threshold (rtfx_trace_debug) >= GST_LEVEL_INFO;
}

RtfxTrace *
rtfx_trace_new (const gchar * peer)
{
  static gsize initialized = 0;
  RtfxTrace *trace = g_atomic_rc_box_new0 (RtfxTrace);

  if (g_once_init_enter (&initialized)) {
    GST_DEBUG_CATEGORY_INIT (rtfx_trace_debug, "rtfx-trace", 0,
        "rtfx-launch: each session's steps to its first frame, in ms since "
        "its websocket opened");
    g_once_init_leave (&initialized, 1);
  }
  trace->peer = g_strdup (peer);
  trace->origin = g_get_monotonic_time ();
  rtfx_trace_step (trace, RTFX_TRACE_WEBSOCKET_OPEN);
  return trace;
}

RtfxTrace *
rtfx_trace_ref (RtfxTrace * trace)
{
  return g_atomic_rc_box_acquire (trace);
}

static void
trace_free (RtfxTrace * trace)
{
  g_free (trace->peer);
}

void
rtfx_trace_unref (RtfxTrace * trace)
{
  g_atomic_rc_box_release_full (trace, (GDestroyNotify) trace_free);
}

/* Logs step with what follows its name (detail, may be empty), unless it was logged before. */
static void
log_step (RtfxTrace * trace, RtfxTraceStep step, const gchar * detail)
{
  const gint64 now = g_get_monotonic_time ();

  if (!enabled () || (g_atomic_int_or (&trace->logged, 1u << step) &
          (1u << step)))
    return;
  GST_INFO ("session %s: %8.1f ms %s%s", trace->peer,
      (now - trace->origin) / 1000.0, step_names[step], detail);
}

void
rtfx_trace_step (RtfxTrace * trace, RtfxTraceStep step)
{
  log_step (trace, step, "");
}

typedef struct
{
  RtfxTrace *trace;
  RtfxTraceStep step;
} Watch;

static void
watch_free (Watch * watch)
{
  rtfx_trace_unref (watch->trace);
  g_free (watch);
}

static GstPadProbeReturn
first_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Watch *watch = data;
  g_autofree gchar *size = g_strdup_printf (" (%" G_GSIZE_FORMAT " bytes)",
      (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER) ?
      gst_buffer_get_size (GST_PAD_PROBE_INFO_BUFFER (info)) :
      gst_buffer_list_calculate_size (GST_PAD_PROBE_INFO_BUFFER_LIST (info)));

  log_step (watch->trace, watch->step, size);
  return GST_PAD_PROBE_REMOVE;
}

void
rtfx_trace_first_buffer (RtfxTrace * trace, GstPad * pad, RtfxTraceStep step)
{
  Watch *watch;

  if (!enabled ())
    return;
  watch = g_new (Watch, 1);
  watch->trace = rtfx_trace_ref (trace);
  watch->step = step;
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_BUFFER_LIST, first_buffer, watch,
      (GDestroyNotify) watch_free);
}

/* 0 for an element of the factory type *type (gst_iterator_find_custom's match). */
static gint
is_not_of_type (gconstpointer value, gconstpointer type)
{
  GstElementFactory *factory =
      gst_element_get_factory (GST_ELEMENT (g_value_get_object (value)));

  return !(factory != NULL && gst_element_factory_list_is_type (factory,
          *(const GstElementFactoryListType *) type));
}

/* Logs inner_step at the output of bin's first element of type, and bin_step at bin's output. */
static void
watch_codec_bin (RtfxTrace * trace, GstElement * bin,
    GstElementFactoryListType type, RtfxTraceStep inner_step,
    RtfxTraceStep bin_step)
{
  g_autoptr (GstIterator) elements = NULL;
  g_autoptr (GstPad) bin_src = NULL;
  GValue inner = G_VALUE_INIT;

  if (!enabled ())
    return;
  elements = gst_bin_iterate_recurse (GST_BIN (bin));
  if (gst_iterator_find_custom (elements, is_not_of_type, &inner, &type)) {
    g_autoptr (GstPad) src =
        gst_element_get_static_pad (g_value_get_object (&inner), "src");

    rtfx_trace_first_buffer (trace, src, inner_step);
    g_value_unset (&inner);
  }
  bin_src = gst_element_get_static_pad (bin, "src");
  rtfx_trace_first_buffer (trace, bin_src, bin_step);
}

void
rtfx_trace_decoder (RtfxTrace * trace, GstElement * bin)
{
  watch_codec_bin (trace, bin, GST_ELEMENT_FACTORY_TYPE_DEPAYLOADER,
      RTFX_TRACE_FIRST_DEPAYLOADED, RTFX_TRACE_FIRST_DECODED);
}

void
rtfx_trace_encoder (RtfxTrace * trace, GstElement * bin)
{
  watch_codec_bin (trace, bin, GST_ELEMENT_FACTORY_TYPE_ENCODER,
      RTFX_TRACE_FIRST_ENCODED, RTFX_TRACE_FIRST_RTP_OUT);
}

static void
on_signaling_state (GstElement * webrtc, GParamSpec * pspec, RtfxTrace * trace)
{
  GstWebRTCSignalingState state;

  g_object_get (webrtc, "signaling-state", &state, NULL);
  if (state == GST_WEBRTC_SIGNALING_STATE_HAVE_REMOTE_OFFER)
    rtfx_trace_step (trace, RTFX_TRACE_REMOTE_DESCRIPTION_SET);
  else if (state == GST_WEBRTC_SIGNALING_STATE_STABLE)
    rtfx_trace_step (trace, RTFX_TRACE_LOCAL_DESCRIPTION_SET);
}

static void
on_ice_connection_state (GstElement * webrtc, GParamSpec * pspec,
    RtfxTrace * trace)
{
  GstWebRTCICEConnectionState state;

  g_object_get (webrtc, "ice-connection-state", &state, NULL);
  if (state == GST_WEBRTC_ICE_CONNECTION_STATE_CONNECTED ||
      state == GST_WEBRTC_ICE_CONNECTION_STATE_COMPLETED)
    rtfx_trace_step (trace, RTFX_TRACE_ICE_CONNECTED);
}

/* The peer connection is connected once ICE is and every DTLS transport has shaken hands. */
static void
on_connection_state (GstElement * webrtc, GParamSpec * pspec,
    RtfxTrace * trace)
{
  GstWebRTCPeerConnectionState state;

  g_object_get (webrtc, "connection-state", &state, NULL);
  if (state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED)
    rtfx_trace_step (trace, RTFX_TRACE_DTLS_CONNECTED);
}

static void
on_ice_candidate (GstElement * webrtc, guint mline_index, gchar * candidate,
    RtfxTrace * trace)
{
  rtfx_trace_step (trace, RTFX_TRACE_FIRST_LOCAL_CANDIDATE);
}

/* webrtcbin's rtpbin makes a jitterbuffer for a new sender on its first packet, which is then
 * held there for the jitterbuffer's latency. */
static void
on_new_jitterbuffer (GstElement * rtpbin, GstElement * jitterbuffer,
    guint session, guint ssrc, RtfxTrace * trace)
{
  g_autoptr (GstPad) sink = gst_element_get_static_pad (jitterbuffer, "sink");

  rtfx_trace_first_buffer (trace, sink, RTFX_TRACE_FIRST_RTP_IN);
}

static void
on_pad_added (GstElement * webrtc, GstPad * pad, RtfxTrace * trace)
{
  if (GST_PAD_DIRECTION (pad) == GST_PAD_SRC)
    rtfx_trace_first_buffer (trace, pad, RTFX_TRACE_FIRST_RTP_RELEASED);
}

static void
watch (GstElement * element, const gchar * signal, GCallback callback,
    RtfxTrace * trace)
{
  g_signal_connect_data (element, signal, callback, rtfx_trace_ref (trace),
      (GClosureNotify) (void (*)(void)) rtfx_trace_unref, 0);
}

void
rtfx_trace_webrtcbin (RtfxTrace * trace, GstElement * webrtc)
{
  g_autoptr (GstElement) rtpbin = NULL;

  if (!enabled ())
    return;
  rtpbin = gst_bin_get_by_name (GST_BIN (webrtc), "rtpbin");
  if (rtpbin != NULL)
    watch (rtpbin, "new-jitterbuffer", G_CALLBACK (on_new_jitterbuffer),
        trace);
  watch (webrtc, "notify::signaling-state", G_CALLBACK (on_signaling_state),
      trace);
  watch (webrtc, "notify::ice-connection-state",
      G_CALLBACK (on_ice_connection_state), trace);
  watch (webrtc, "notify::connection-state", G_CALLBACK (on_connection_state),
      trace);
  watch (webrtc, "on-ice-candidate", G_CALLBACK (on_ice_candidate), trace);
  watch (webrtc, "pad-added", G_CALLBACK (on_pad_added), trace);
}
