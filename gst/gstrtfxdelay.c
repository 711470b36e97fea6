/**
 * SECTION:element-rtfxdelay
 * @title: rtfxdelay
 *
 * Passes every buffer through unchanged after holding it for #GstRtfxDelay:delay-ms, like a filter
 * that needs that long per frame: a stand-in for an expensive model, to see and test what
 * rtfxlatest does before the model exists. Any caps; the data is never copied or touched.
 *
 * Like a real slow filter, the element holds the upstream streaming thread while it waits, so
 * behind a live source without rtfxlatest its output falls further and further behind the
 * camera; with rtfxlatest in front it shows the newest frame it had time for, at most about two
 * delays old.
 *
 * The wait ends early, and the held buffer is dropped, when the element is flushed (flush-start)
 * or goes to READY: stopping a pipeline never waits for a delay to run out. A new
 * #GstRtfxDelay:delay-ms applies at once, also to the buffer being held (counted from its
 * arrival), so lowering it releases a long wait. A control binding (GstController) can drive it
 * too: it is synced to each buffer's stream time before the buffer is held. A latency query gets
 * upstream's answer plus the delay, and a latency message is posted when the delay changes, so
 * that a synchronised sink does not drop every frame as late.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 videotestsrc is-live=true ! rtfxlatest ! rtfxdelay delay-ms=200 ! videoconvert ! rtfxedges ! videoconvert ! autovideosink sync=false
 * gst-launch-1.0 videotestsrc is-live=true ! rtfxdelay delay-ms=200 ! videoconvert ! autovideosink sync=false
 * ]|
 * The first line shows a fresh picture five times a second; the second one shows every frame,
 * slowed down, and lags more each second.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstrtfxdelay.h"
#include "gstrtfxtime.h"

GST_DEBUG_CATEGORY_STATIC (gst_rtfx_delay_debug);
#define GST_CAT_DEFAULT gst_rtfx_delay_debug

#define DEFAULT_DELAY_MS 100
#define MAX_DELAY_MS 5000

enum
{
  PROP_0,
  PROP_DELAY_MS,
};

struct _GstRtfxDelay
{
  GstBaseTransform parent;

  /* guarded by the object lock; cond is broadcast when either changes */
  guint delay_ms;
  gboolean flushing;            /* a held buffer must be let go at once */
  GCond cond;
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

G_DEFINE_TYPE (GstRtfxDelay, gst_rtfx_delay, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (rtfxdelay, "rtfxdelay", GST_RANK_NONE,
    GST_TYPE_RTFX_DELAY,
    GST_DEBUG_CATEGORY_INIT (gst_rtfx_delay_debug, "rtfxdelay", 0,
        "rtfx fixed processing delay"));

static void gst_rtfx_delay_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_rtfx_delay_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static void gst_rtfx_delay_finalize (GObject * object);
static GstStateChangeReturn gst_rtfx_delay_change_state (GstElement * element,
    GstStateChange transition);
static gboolean gst_rtfx_delay_sink_event (GstBaseTransform * trans,
    GstEvent * event);
static gboolean gst_rtfx_delay_query (GstBaseTransform * trans,
    GstPadDirection direction, GstQuery * query);
static GstFlowReturn gst_rtfx_delay_transform_ip (GstBaseTransform * trans,
    GstBuffer * buffer);

static void
gst_rtfx_delay_class_init (GstRtfxDelayClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);

  gobject_class->set_property = gst_rtfx_delay_set_property;
  gobject_class->get_property = gst_rtfx_delay_get_property;
  gobject_class->finalize = gst_rtfx_delay_finalize;

  g_object_class_install_property (gobject_class, PROP_DELAY_MS,
      g_param_spec_uint ("delay-ms", "Delay (ms)",
          "How long each buffer is held before it is passed on, in milliseconds: the processing "
          "time of the model this element stands in for; a change also shortens or lengthens the "
          "wait of the buffer being held",
          0, MAX_DELAY_MS, DEFAULT_DELAY_MS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_CONTROLLABLE |
          GST_PARAM_MUTABLE_PLAYING));

  gst_element_class_set_static_metadata (element_class,
      "Fixed processing delay", "Generic",
      "Holds every buffer for a set time before passing it on unchanged, standing in for an "
      "expensive filter so that rtfxlatest can be tried without one", "rtfx developers");
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);

  element_class->change_state = GST_DEBUG_FUNCPTR (gst_rtfx_delay_change_state);

  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_rtfx_delay_sink_event);
  trans_class->query = GST_DEBUG_FUNCPTR (gst_rtfx_delay_query);
  trans_class->before_transform = gst_rtfx_sync_controls;
  trans_class->transform_ip = GST_DEBUG_FUNCPTR (gst_rtfx_delay_transform_ip);
  /* passthrough, yet transform_ip must run: it is where the time goes */
  trans_class->transform_ip_on_passthrough = TRUE;
}

static void
gst_rtfx_delay_init (GstRtfxDelay * self)
{
  self->delay_ms = DEFAULT_DELAY_MS;
  g_cond_init (&self->cond);
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), TRUE);
}

static void
gst_rtfx_delay_finalize (GObject * object)
{
  GstRtfxDelay *self = GST_RTFX_DELAY (object);

  g_cond_clear (&self->cond);

  G_OBJECT_CLASS (gst_rtfx_delay_parent_class)->finalize (object);
}

static void
gst_rtfx_delay_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstRtfxDelay *self = GST_RTFX_DELAY (object);
  gboolean latency_changed = FALSE;

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_DELAY_MS:{
      const guint delay_ms = g_value_get_uint (value);

      latency_changed = delay_ms != self->delay_ms;
      self->delay_ms = delay_ms;
      g_cond_broadcast (&self->cond);
      break;
    }
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);

  if (latency_changed)
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_latency (GST_OBJECT (self)));
}

static void
gst_rtfx_delay_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstRtfxDelay *self = GST_RTFX_DELAY (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_DELAY_MS:
      g_value_set_uint (value, self->delay_ms);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_rtfx_delay_set_flushing (GstRtfxDelay * self, gboolean flushing)
{
  GST_DEBUG_OBJECT (self, "flushing %d", flushing);
  GST_OBJECT_LOCK (self);
  self->flushing = flushing;
  g_cond_broadcast (&self->cond);
  GST_OBJECT_UNLOCK (self);
}

static GstStateChangeReturn
gst_rtfx_delay_change_state (GstElement * element, GstStateChange transition)
{
  GstRtfxDelay *self = GST_RTFX_DELAY (element);

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      gst_rtfx_delay_set_flushing (self, FALSE);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      /* Before chaining up: deactivating the pads waits for the streaming thread, which may be
       * in the middle of a delay. */
      gst_rtfx_delay_set_flushing (self, TRUE);
      break;
    default:
      break;
  }

  return GST_ELEMENT_CLASS (gst_rtfx_delay_parent_class)->change_state (element,
      transition);
}

static gboolean
gst_rtfx_delay_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstRtfxDelay *self = GST_RTFX_DELAY (trans);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_FLUSH_START:
      gst_rtfx_delay_set_flushing (self, TRUE);
      break;
    case GST_EVENT_FLUSH_STOP:
      gst_rtfx_delay_set_flushing (self, FALSE);
      break;
    default:
      break;
  }

  return GST_BASE_TRANSFORM_CLASS (gst_rtfx_delay_parent_class)->sink_event
      (trans, event);
}

static gboolean
gst_rtfx_delay_query (GstBaseTransform * trans, GstPadDirection direction,
    GstQuery * query)
{
  GstRtfxDelay *self = GST_RTFX_DELAY (trans);
  gboolean ret;

  ret = GST_BASE_TRANSFORM_CLASS (gst_rtfx_delay_parent_class)->query (trans,
      direction, query);

  if (ret && direction == GST_PAD_SRC
      && GST_QUERY_TYPE (query) == GST_QUERY_LATENCY) {
    gboolean live;
    GstClockTime min, max, delay;

    gst_query_parse_latency (query, &live, &min, &max);
    GST_OBJECT_LOCK (self);
    delay = self->delay_ms * GST_MSECOND;
    GST_OBJECT_UNLOCK (self);
    min += delay;
    if (GST_CLOCK_TIME_IS_VALID (max))
      max += delay;
    GST_DEBUG_OBJECT (self, "latency: min %" GST_TIME_FORMAT ", max %"
        GST_TIME_FORMAT, GST_TIME_ARGS (min), GST_TIME_ARGS (max));
    gst_query_set_latency (query, live, min, max);
  }
  return ret;
}


static GstFlowReturn
gst_rtfx_delay_transform_ip (GstBaseTransform * trans, GstBuffer * buffer)
{
  GstRtfxDelay *self = GST_RTFX_DELAY (trans);
  const gint64 start = g_get_monotonic_time ();
  GstFlowReturn ret = GST_FLOW_OK;

  /* delay-ms is read again after every wake-up, so that a change applies to this buffer too. */
  GST_OBJECT_LOCK (self);
  for (;;) {
    const gint64 end = start +
        (gint64) self->delay_ms * G_TIME_SPAN_MILLISECOND;

    if (self->flushing) {
      GST_DEBUG_OBJECT (self, "flushing: dropping the held buffer");
      ret = GST_FLOW_FLUSHING;
      break;
    }
    if (g_get_monotonic_time () >= end)
      break;
    g_cond_wait_until (&self->cond, GST_OBJECT_GET_LOCK (self), end);
  }
  GST_OBJECT_UNLOCK (self);

  return ret;
}
