/* Following the browser's feedback: see twcc.h. */
/* GStreamer's feedback event holds its packets in a GValueArray, which GLib has deprecated. */
#define GLIB_DISABLE_DEPRECATION_WARNINGS
#include "twcc.h"

GST_DEBUG_CATEGORY_STATIC (rtfx_rate_debug);
#define GST_CAT_DEFAULT rtfx_rate_debug

/* The encoder is told only of changes of at least this fraction (each one reconfigures it). */
#define MIN_CHANGE 0.03

struct _RtfxTwcc
{
  const RtfxCodec *codec;
  GstElement *encoder;          /* the bin; the probe that calls us lives on its pad */
  gchar *peer;                  /* for the log */
  GMutex lock;                  /* the feedback comes on the RTCP thread, stats are read elsewhere */
  RtfxRateControl *control;
  guint applied_bps;
  GArray *packets;              /* RtfxPacketFeedback, reused */
};

static RtfxTwcc *
twcc_ref (RtfxTwcc * twcc)
{
  return g_atomic_rc_box_acquire (twcc);
}

static void
twcc_free (RtfxTwcc * twcc)
{
  g_mutex_clear (&twcc->lock);
  rtfx_rate_control_free (twcc->control);
  g_array_unref (twcc->packets);
  g_free (twcc->peer);
}

void
rtfx_twcc_unref (RtfxTwcc * twcc)
{
  g_atomic_rc_box_release_full (twcc, (GDestroyNotify) twcc_free);
}

/* The event's "packets": RTPTWCCPacket structures with local-ts, remote-ts (none when lost) and
 * size, in sequence order (gst-plugins-good's rtpmanager/rtptwcc.c). Returns FALSE for anything
 * else: the browser writes the feedback, so nothing in it is trusted to be well formed. */
static gboolean
read_packets (const GstStructure * s, GArray * packets)
{
  const GValue *v = gst_structure_get_value (s, "packets");
  GValueArray *array;

  g_array_set_size (packets, 0);
  if (v == NULL || !G_VALUE_HOLDS (v, G_TYPE_VALUE_ARRAY))
    return FALSE;
  array = g_value_get_boxed (v);
  for (guint i = 0; array != NULL && i < array->n_values; i++) {
    const GValue *pv = &array->values[i];
    const GstStructure *p;
    guint64 local_ts, remote_ts;
    guint size;

    if (!GST_VALUE_HOLDS_STRUCTURE (pv))
      continue;
    p = gst_value_get_structure (pv);
    if (!gst_structure_get_uint64 (p, "local-ts", &local_ts) ||
        !gst_structure_get_uint64 (p, "remote-ts", &remote_ts) ||
        !gst_structure_get_uint (p, "size", &size) ||
        local_ts > G_MAXINT64 / 2)
      continue;
    g_array_append_val (packets, ((RtfxPacketFeedback) {
            .send_ns = (gint64) local_ts,
            .arrival_ns = GST_CLOCK_TIME_IS_VALID (remote_ts) &&
            remote_ts <= G_MAXINT64 / 2 ? (gint64) remote_ts : -1,
            .size = size}));
  }
  return packets->len > 0;
}

static GstPadProbeReturn
on_upstream_event (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  RtfxTwcc *twcc = data;
  const GstStructure *s = gst_event_get_structure (GST_PAD_PROBE_INFO_EVENT
      (info));
  RtfxRateState state;
  guint target;

  if (s == NULL || !gst_structure_has_name (s, "RTPTWCCPackets"))
    return GST_PAD_PROBE_OK;
  g_mutex_lock (&twcc->lock);
  if (read_packets (s, twcc->packets)) {
    target = rtfx_rate_control_update (twcc->control,
        (const RtfxPacketFeedback *) twcc->packets->data, twcc->packets->len,
        g_get_monotonic_time ());
    rtfx_rate_control_state (twcc->control, &state);
    GST_DEBUG ("session %s: %u packets, queue %u ms, loss %.3f, arrived "
        "%u kbit/s, target %u kbit/s", twcc->peer, twcc->packets->len,
        state.queue_delay_ms, state.loss, state.acked_bps / 1000,
        target / 1000);
    if (ABS ((gdouble) target - twcc->applied_bps) >=
        MIN_CHANGE * twcc->applied_bps) {
      GST_INFO ("session %s: video bitrate %u -> %u kbit/s", twcc->peer,
          twcc->applied_bps / 1000, target / 1000);
      rtfx_codec_set_bitrate (twcc->codec, twcc->encoder, target);
      twcc->applied_bps = target;
    }
  }
  g_mutex_unlock (&twcc->lock);
  /* Nothing upstream of here wants it. */
  return GST_PAD_PROBE_DROP;
}

RtfxTwcc *
rtfx_twcc_follow (GstElement * encoder, const RtfxCodec * codec,
    const RtfxRateLimits * limits, const gchar * peer)
{
  RtfxTwcc *twcc = g_atomic_rc_box_new0 (RtfxTwcc);
  g_autoptr (GstPad) src = gst_element_get_static_pad (encoder, "src");

  GST_DEBUG_CATEGORY_INIT (rtfx_rate_debug, "rtfx-rate", 0,
      "rtfx-launch: the video bitrate following the browser's feedback");
  g_mutex_init (&twcc->lock);
  twcc->codec = codec;
  twcc->encoder = encoder;
  twcc->peer = g_strdup (peer);
  twcc->control = rtfx_rate_control_new (limits);
  twcc->applied_bps = limits->start_bps;
  twcc->packets = g_array_new (FALSE, FALSE, sizeof (RtfxPacketFeedback));
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, on_upstream_event,
      twcc_ref (twcc), (GDestroyNotify) rtfx_twcc_unref);
  return twcc;
}

void
rtfx_twcc_state (RtfxTwcc * twcc, RtfxRateState * state)
{
  g_mutex_lock (&twcc->lock);
  rtfx_rate_control_state (twcc->control, state);
  g_mutex_unlock (&twcc->lock);
}
