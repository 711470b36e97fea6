/**
 * SECTION:element-rtfxlatest
 * @title: rtfxlatest
 *
 * Lets a slow element keep up with a live source by handing it only the newest buffer, what
 * streamlit-webrtc calls async processing. The sink pad never blocks: each incoming buffer is
 * stored and the upstream streaming thread returns at once. A thread of the element's own pushes
 * the newest stored buffer downstream as soon as downstream is done with the previous one; a buffer
 * overtaken by a newer one before it could be pushed is dropped and counted in
 * #GstRtfxLatest:dropped. The output then shows the latest camera frame the slow element had time
 * for, instead of drifting further and further behind the camera.
 *
 * At most one buffer waits in the element, besides the one downstream is processing. Serialized
 * events (stream-start, caps, segment, gap, custom events, EOS) are never dropped and keep their
 * place relative to the buffers around them. The buffer that follows dropped ones is flagged
 * DISCONT.
 *
 * The element adds no latency of its own: a latency query gets upstream's answer unchanged. An
 * ALLOCATION query is answered by downstream from upstream's thread as soon as the serialized
 * events that came before it (new caps) have reached downstream: it never waits behind buffers. A
 * DRAIN query drops the waiting buffer, which holds memory upstream wants back, and is then
 * forwarded downstream.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 v4l2src ! rtfxlatest ! videoconvert ! rtfxedges ! videoconvert ! autovideosink
 * ]|
 * Everything after rtfxlatest runs in its thread, so put it right after the source: the conversion
 * is then done only for the frames that are actually processed.
 *
 * ## rtfxlatest or a leaky queue?
 *
 * `queue leaky=downstream max-size-buffers=1 max-size-bytes=0 max-size-time=0` also keeps the
 * newest buffer: when a buffer arrives while one is waiting, the queue discards the items at its
 * head. Those include the serialized events queued before the old buffer: sticky ones (caps,
 * segment) are only stored on its source pad, to be sent before whatever it pushes next, and the
 * others (custom events, gap) are lost. Serialized queries such as ALLOCATION wait in the queue
 * until everything before them has been pushed, so upstream is blocked behind the slow element. The
 * queue does not count what it drops; it only reports its current level. `leaky=upstream` is the
 * opposite policy: it keeps the waiting buffer and drops the one that arrives, the older frame
 * winning.
 *
 * rtfxlatest always keeps the newest buffer and never holds more than one waiting, delivers every
 * serialized event in order, does not make queries wait for buffers, and counts what it drops and
 * pushes. Use a queue when you want a bounded FIFO of several buffers (to absorb jitter or decouple
 * threads without losing data); use rtfxlatest when only the freshest frame of a live source is
 * worth processing.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstrtfxlatest.h"

GST_DEBUG_CATEGORY_STATIC (gst_rtfx_latest_debug);
#define GST_CAT_DEFAULT gst_rtfx_latest_debug

enum
{
  PROP_0,
  PROP_DROPPED,
  PROP_PUSHED,
};

struct _GstRtfxLatest
{
  GstElement parent;

  GstPad *sinkpad;
  GstPad *srcpad;

  /* guarded by lock; cond is broadcast whenever one of them changes */
  GMutex lock;
  GCond cond;
  GQueue items;                 /* GstBuffer and serialized GstEvent, oldest first */
  guint events_waiting;         /* events queued or being pushed */
  GstFlowReturn srcresult;      /* OK while the task runs, else why it does not */
  gboolean discont;             /* buffers were dropped since the last one queued */

  /* guarded by the object lock */
  guint64 dropped;
  guint64 pushed;
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

G_DEFINE_TYPE (GstRtfxLatest, gst_rtfx_latest, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (rtfxlatest, "rtfxlatest", GST_RANK_NONE,
    GST_TYPE_RTFX_LATEST,
    GST_DEBUG_CATEGORY_INIT (gst_rtfx_latest_debug, "rtfxlatest", 0,
        "rtfx latest-frame dropper"));

static void gst_rtfx_latest_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static void gst_rtfx_latest_finalize (GObject * object);
static GstStateChangeReturn gst_rtfx_latest_change_state (GstElement * element,
    GstStateChange transition);
static GstFlowReturn gst_rtfx_latest_chain (GstPad * pad, GstObject * parent,
    GstBuffer * buffer);
static GstFlowReturn gst_rtfx_latest_sink_event (GstPad * pad,
    GstObject * parent, GstEvent * event);
static gboolean gst_rtfx_latest_sink_query (GstPad * pad, GstObject * parent,
    GstQuery * query);
static gboolean gst_rtfx_latest_sink_activate_mode (GstPad * pad,
    GstObject * parent, GstPadMode mode, gboolean active);
static gboolean gst_rtfx_latest_src_event (GstPad * pad, GstObject * parent,
    GstEvent * event);
static gboolean gst_rtfx_latest_src_activate_mode (GstPad * pad,
    GstObject * parent, GstPadMode mode, gboolean active);
static void gst_rtfx_latest_loop (GstRtfxLatest * self);

static void
gst_rtfx_latest_class_init (GstRtfxLatestClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gobject_class->get_property = gst_rtfx_latest_get_property;
  gobject_class->finalize = gst_rtfx_latest_finalize;

  g_object_class_install_property (gobject_class, PROP_DROPPED,
      g_param_spec_uint64 ("dropped", "Dropped",
          "Buffers discarded since the last READY to PAUSED because a newer one (or a drain "
          "query) came before downstream was ready for them; if it grows by most of the source's "
          "frame rate, the elements after rtfxlatest are far too slow for the source: lower the "
          "source's frame rate or resolution", 0, G_MAXUINT64, 0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_PUSHED,
      g_param_spec_uint64 ("pushed", "Pushed",
          "Buffers sent downstream since the last READY to PAUSED; pushed / (pushed + dropped) "
          "is the share of the source's frames that the elements after rtfxlatest process",
          0, G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_set_static_metadata (element_class,
      "Latest-frame dropper", "Generic",
      "Passes only the newest buffer to a slow downstream, dropping the ones it has no time for, "
      "so that processing keeps up with a live source without blocking it; unlike a leaky queue it "
      "keeps every serialized event in order and counts what it drops (docs/elements.md)",
      "rtfx developers");
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);

  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_rtfx_latest_change_state);
}

static void
gst_rtfx_latest_init (GstRtfxLatest * self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_rtfx_latest_chain));
  gst_pad_set_event_full_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_rtfx_latest_sink_event));
  gst_pad_set_query_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_rtfx_latest_sink_query));
  gst_pad_set_activatemode_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_rtfx_latest_sink_activate_mode));
  GST_PAD_SET_PROXY_CAPS (self->sinkpad);
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_set_event_function (self->srcpad,
      GST_DEBUG_FUNCPTR (gst_rtfx_latest_src_event));
  gst_pad_set_activatemode_function (self->srcpad,
      GST_DEBUG_FUNCPTR (gst_rtfx_latest_src_activate_mode));
  GST_PAD_SET_PROXY_CAPS (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);

  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  g_queue_init (&self->items);
  self->srcresult = GST_FLOW_FLUSHING;
}

static void
gst_rtfx_latest_finalize (GObject * object)
{
  GstRtfxLatest *self = GST_RTFX_LATEST (object);

  g_queue_clear_full (&self->items, (GDestroyNotify) gst_mini_object_unref);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);

  G_OBJECT_CLASS (gst_rtfx_latest_parent_class)->finalize (object);
}

static void
gst_rtfx_latest_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstRtfxLatest *self = GST_RTFX_LATEST (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_DROPPED:
      g_value_set_uint64 (value, self->dropped);
      break;
    case PROP_PUSHED:
      g_value_set_uint64 (value, self->pushed);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static GstStateChangeReturn
gst_rtfx_latest_change_state (GstElement * element, GstStateChange transition)
{
  GstRtfxLatest *self = GST_RTFX_LATEST (element);

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    GST_OBJECT_LOCK (self);
    self->dropped = 0;
    self->pushed = 0;
    GST_OBJECT_UNLOCK (self);
  }

  return GST_ELEMENT_CLASS (gst_rtfx_latest_parent_class)->change_state
      (element, transition);
}

static void
gst_rtfx_latest_count_dropped (GstRtfxLatest * self, guint dropped)
{
  if (dropped == 0)
    return;

  GST_LOG_OBJECT (self, "dropped %u buffer(s)", dropped);
  GST_OBJECT_LOCK (self);
  self->dropped += dropped;
  GST_OBJECT_UNLOCK (self);
}

/* Called with the lock held. Events stay: only buffers are ever overtaken. */
static guint
gst_rtfx_latest_drop_waiting_buffers (GstRtfxLatest * self)
{
  GList *link = self->items.head;
  guint dropped = 0;

  while (link != NULL) {
    GList *next = link->next;

    if (GST_IS_BUFFER (link->data)) {
      gst_buffer_unref (GST_BUFFER_CAST (link->data));
      g_queue_delete_link (&self->items, link);
      dropped++;
    }
    link = next;
  }
  if (dropped > 0)
    self->discont = TRUE;

  return dropped;
}

/* Called with the lock held. */
static gboolean
gst_rtfx_latest_start_task (GstRtfxLatest * self)
{
  self->srcresult = GST_FLOW_OK;
  return gst_pad_start_task (self->srcpad,
      (GstTaskFunction) gst_rtfx_latest_loop, self, NULL);
}

/* Stops the data flow and discards every waiting item. After a flush the same stream goes on, so
 * the sticky events among them (except segment and EOS, which a flush ends) are stored on the
 * source pad: upstream will not send them again, and the pad sends them before the next data. */
static void
gst_rtfx_latest_set_flushing (GstRtfxLatest * self, gboolean keep_sticky)
{
  GQueue discarded;
  GstMiniObject *item;

  g_mutex_lock (&self->lock);
  self->srcresult = GST_FLOW_FLUSHING;
  discarded = self->items;
  g_queue_init (&self->items);
  self->events_waiting = 0;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  /* without the lock: storing caps notifies, and that runs application code */
  while ((item = g_queue_pop_head (&discarded)) != NULL) {
    if (keep_sticky && GST_IS_EVENT (item) && GST_EVENT_IS_STICKY (item)
        && GST_EVENT_TYPE (item) != GST_EVENT_SEGMENT
        && GST_EVENT_TYPE (item) != GST_EVENT_EOS)
      gst_pad_store_sticky_event (self->srcpad, GST_EVENT_CAST (item));
    gst_mini_object_unref (item);
  }
}

static GstFlowReturn
gst_rtfx_latest_chain (GstPad * pad, GstObject * parent, GstBuffer * buffer)
{
  GstRtfxLatest *self = GST_RTFX_LATEST (parent);
  GstFlowReturn ret;
  guint dropped;

  /* Buffers after EOS never get here: the sink pad itself refuses them with EOS. */
  g_mutex_lock (&self->lock);
  ret = self->srcresult;
  if (ret != GST_FLOW_OK) {
    g_mutex_unlock (&self->lock);
    GST_LOG_OBJECT (self, "refusing buffer: %s", gst_flow_get_name (ret));
    gst_buffer_unref (buffer);
    return ret;
  }

  dropped = gst_rtfx_latest_drop_waiting_buffers (self);
  if (self->discont) {
    buffer = gst_buffer_make_writable (buffer);
    GST_BUFFER_FLAG_SET (buffer, GST_BUFFER_FLAG_DISCONT);
    self->discont = FALSE;
  }
  g_queue_push_tail (&self->items, buffer);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  gst_rtfx_latest_count_dropped (self, dropped);
  return GST_FLOW_OK;
}

static GstFlowReturn
gst_rtfx_latest_queue_event (GstRtfxLatest * self, GstEvent * event)
{
  const GstEventType type = GST_EVENT_TYPE (event);
  GstFlowReturn ret;

  g_mutex_lock (&self->lock);
  /* a new stream after EOS: the task stopped after pushing the EOS */
  if (type == GST_EVENT_STREAM_START && self->srcresult == GST_FLOW_EOS)
    gst_rtfx_latest_start_task (self);

  ret = self->srcresult;
  /* While downstream refuses data, sticky events are still kept, as queue does: upstream counts
   * them as delivered and would not send them again once the flow restarts. */
  if (ret == GST_FLOW_OK || (GST_EVENT_IS_STICKY (event)
          && type != GST_EVENT_EOS)) {
    g_queue_push_tail (&self->items, event);
    self->events_waiting++;
    g_cond_broadcast (&self->cond);
    g_mutex_unlock (&self->lock);
    return GST_FLOW_OK;
  }
  g_mutex_unlock (&self->lock);

  /* Upstream stops after EOS and will never see the downstream error: report it here. */
  if (type == GST_EVENT_EOS && (ret == GST_FLOW_NOT_LINKED
          || ret < GST_FLOW_EOS))
    GST_ELEMENT_FLOW_ERROR (self, ret);

  GST_DEBUG_OBJECT (self, "refusing %s event: %s", GST_EVENT_TYPE_NAME (event),
      gst_flow_get_name (ret));
  gst_event_unref (event);
  return ret;
}

static GstFlowReturn
gst_rtfx_latest_flush_start (GstRtfxLatest * self, GstEvent * event)
{
  /* Forwarded first: a downstream busy with our last push only returns once it is flushing,
   * and pausing the task waits for that push. */
  gboolean forwarded = gst_pad_push_event (self->srcpad, event);

  gst_rtfx_latest_set_flushing (self, TRUE);
  gst_pad_pause_task (self->srcpad);

  return forwarded ? GST_FLOW_OK : GST_FLOW_ERROR;
}

static GstFlowReturn
gst_rtfx_latest_flush_stop (GstRtfxLatest * self, GstEvent * event)
{
  gboolean forwarded = gst_pad_push_event (self->srcpad, event);

  g_mutex_lock (&self->lock);
  if (gst_pad_is_active (self->srcpad))
    gst_rtfx_latest_start_task (self);
  g_mutex_unlock (&self->lock);

  return forwarded ? GST_FLOW_OK : GST_FLOW_ERROR;
}

static GstFlowReturn
gst_rtfx_latest_sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstRtfxLatest *self = GST_RTFX_LATEST (parent);

  GST_LOG_OBJECT (self, "received %" GST_PTR_FORMAT, event);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_FLUSH_START:
      return gst_rtfx_latest_flush_start (self, event);
    case GST_EVENT_FLUSH_STOP:
      return gst_rtfx_latest_flush_stop (self, event);
    default:
      if (GST_EVENT_IS_SERIALIZED (event))
        return gst_rtfx_latest_queue_event (self, event);
      return gst_pad_push_event (self->srcpad, event) ? GST_FLOW_OK :
          GST_FLOW_ERROR;
  }
}

/* Waits until the events queued before an ALLOCATION query have reached downstream, so that
 * downstream answers for the caps the query is about. Waiting buffers are not waited for: the only
 * wait is for the buffer downstream may be processing, which downstream's stream lock would impose
 * on any serialized query anyway. */
static void
gst_rtfx_latest_wait_events_pushed (GstRtfxLatest * self)
{
  g_mutex_lock (&self->lock);
  while (self->srcresult == GST_FLOW_OK && self->events_waiting > 0)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);
}

static gboolean
gst_rtfx_latest_sink_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstRtfxLatest *self = GST_RTFX_LATEST (parent);
  guint dropped;

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_ALLOCATION:
      /* Asked of downstream from this thread, as tee does: serializing it with the buffers, as
       * queue does, would block upstream behind the slow element. */
      gst_rtfx_latest_wait_events_pushed (self);
      return gst_pad_peer_query (self->srcpad, query);
    case GST_QUERY_DRAIN:
      /* Upstream wants its buffers back. The waiting one would only be pushed if no newer one
       * came, so it goes now; downstream is asked to release the ones it holds. */
      g_mutex_lock (&self->lock);
      dropped = gst_rtfx_latest_drop_waiting_buffers (self);
      g_mutex_unlock (&self->lock);
      gst_rtfx_latest_count_dropped (self, dropped);
      return gst_pad_peer_query (self->srcpad, query);
    default:
      return gst_pad_query_default (pad, parent, query);
  }
}

static gboolean
gst_rtfx_latest_sink_activate_mode (GstPad * pad, GstObject * parent,
    GstPadMode mode, gboolean active)
{
  GstRtfxLatest *self = GST_RTFX_LATEST (parent);

  if (mode != GST_PAD_MODE_PUSH)
    return FALSE;

  if (!active)
    gst_rtfx_latest_set_flushing (self, FALSE);
  return TRUE;
}

static gboolean
gst_rtfx_latest_src_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstRtfxLatest *self = GST_RTFX_LATEST (parent);

  /* sent by a newly linked peer: the task stopped because it had none */
  if (GST_EVENT_TYPE (event) == GST_EVENT_RECONFIGURE) {
    g_mutex_lock (&self->lock);
    if (self->srcresult == GST_FLOW_NOT_LINKED)
      gst_rtfx_latest_start_task (self);
    g_mutex_unlock (&self->lock);
  }

  return gst_pad_event_default (pad, parent, event);
}

static gboolean
gst_rtfx_latest_src_activate_mode (GstPad * pad, GstObject * parent,
    GstPadMode mode, gboolean active)
{
  GstRtfxLatest *self = GST_RTFX_LATEST (parent);
  gboolean started;

  if (mode != GST_PAD_MODE_PUSH)
    return FALSE;

  if (active) {
    g_mutex_lock (&self->lock);
    self->discont = FALSE;
    started = gst_rtfx_latest_start_task (self);
    g_mutex_unlock (&self->lock);
    return started;
  }

  /* Flushing first wakes a task waiting for data, else stopping it would wait forever. */
  gst_rtfx_latest_set_flushing (self, FALSE);
  return gst_pad_stop_task (pad);
}

/* Pushes one item without the lock held. Returns GST_FLOW_EOS after pushing EOS, so the task
 * stops. A refused event is not an error of its own, as in queue: the data after it reports it. */
static GstFlowReturn
gst_rtfx_latest_push_item (GstRtfxLatest * self, GstMiniObject * item)
{
  GstEventType type;

  if (GST_IS_BUFFER (item)) {
    GST_OBJECT_LOCK (self);
    self->pushed++;
    GST_OBJECT_UNLOCK (self);
    return gst_pad_push (self->srcpad, GST_BUFFER_CAST (item));
  }

  type = GST_EVENT_TYPE (item);
  gst_pad_push_event (self->srcpad, GST_EVENT_CAST (item));

  g_mutex_lock (&self->lock);
  if (self->events_waiting > 0)
    self->events_waiting--;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  return type == GST_EVENT_EOS ? GST_FLOW_EOS : GST_FLOW_OK;
}

/* Called with the lock held, once the task has a reason to stop. */
static void
gst_rtfx_latest_pause (GstRtfxLatest * self)
{
  const GstFlowReturn ret = self->srcresult;
  GstMiniObject *tail = g_queue_peek_tail (&self->items);
  const gboolean eos_waiting = tail != NULL && GST_IS_EVENT (tail)
      && GST_EVENT_TYPE (tail) == GST_EVENT_EOS;

  GST_DEBUG_OBJECT (self, "pausing task: %s", gst_flow_get_name (ret));
  gst_pad_pause_task (self->srcpad);
  g_mutex_unlock (&self->lock);

  /* Before EOS, upstream gets the error from its next push and reports it. After EOS it pushes
   * nothing more, so the error and the end of the stream are ours to send, as queue does. */
  if (eos_waiting && (ret == GST_FLOW_NOT_LINKED || ret < GST_FLOW_EOS)) {
    GST_ELEMENT_FLOW_ERROR (self, ret);
    gst_pad_push_event (self->srcpad, gst_event_new_eos ());
  }
}

static void
gst_rtfx_latest_loop (GstRtfxLatest * self)
{
  GstMiniObject *item;
  GstFlowReturn ret;
  gboolean is_eos;

  g_mutex_lock (&self->lock);
  while (self->srcresult == GST_FLOW_OK && g_queue_is_empty (&self->items))
    g_cond_wait (&self->cond, &self->lock);
  if (self->srcresult != GST_FLOW_OK) {
    gst_rtfx_latest_pause (self);
    return;
  }
  item = g_queue_pop_head (&self->items);
  g_mutex_unlock (&self->lock);

  is_eos = GST_IS_EVENT (item) && GST_EVENT_TYPE (item) == GST_EVENT_EOS;
  ret = gst_rtfx_latest_push_item (self, item);

  g_mutex_lock (&self->lock);
  /* Only a stream-start can follow EOS in the queue: a new stream, so go on. */
  if (ret == GST_FLOW_OK || (is_eos && !g_queue_is_empty (&self->items))) {
    g_mutex_unlock (&self->lock);
    return;
  }
  /* a flush or deactivation during the push says more than what the push returned */
  if (self->srcresult == GST_FLOW_OK)
    self->srcresult = ret;
  gst_rtfx_latest_pause (self);
}
