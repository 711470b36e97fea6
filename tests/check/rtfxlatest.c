/* Unit tests for rtfxlatest: the newest buffer always wins, serialized events are never lost or
 * reordered, flushes, queries, relinking, and start/stop races against a live source.
 *
 * The element sits between two test pads. Downstream is a fake slow element: its chain takes
 * process_us per buffer, and a gate (a probe on rtfxlatest's source pad) can hold a buffer on its
 * way there, so a test can fill rtfxlatest while downstream is busy. Every wait is bounded. */
#include <gst/check/gstcheck.h>
#include <string.h>

#define FRAME_DURATION (GST_SECOND / 30)
#define FRAME_US (G_USEC_PER_SEC / 30)
#define WAIT_TIMEOUT_MS 5000
#define UPSTREAM_MIN_LATENCY (20 * GST_MSECOND)
#define UPSTREAM_MAX_LATENCY (100 * GST_MSECOND)
#define ALLOCATION_ALIGN 63

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

static struct
{
  GstElement *latest;
  GstPad *srcpad;               /* pushes into rtfxlatest */
  GstPad *sinkpad;              /* receives what rtfxlatest pushes */

  /* guarded by lock; cond is broadcast on every change */
  GMutex lock;
  GCond cond;
  GPtrArray *received;          /* GstBuffer and GstEvent, in arrival order */
  gulong process_us;
  gboolean gate_closed;
  gboolean at_gate;             /* a buffer waits at the closed gate */
  gboolean drained;
  GstCaps *caps_at_allocation;
} fx;

typedef gboolean (*Predicate) (gconstpointer data);

/* Waits until done (data), evaluated with fx.lock held, is true or WAIT_TIMEOUT_MS passed. */
static gboolean
wait_for (Predicate done, gconstpointer data)
{
  const gint64 end = g_get_monotonic_time () +
      WAIT_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;
  gboolean ok;

  g_mutex_lock (&fx.lock);
  while (!done (data) && g_cond_wait_until (&fx.cond, &fx.lock, end));
  ok = done (data);
  g_mutex_unlock (&fx.lock);
  return ok;
}

static gboolean
received_event (gconstpointer type)
{
  for (guint i = 0; i < fx.received->len; i++) {
    GstMiniObject *obj = g_ptr_array_index (fx.received, i);

    if (GST_IS_EVENT (obj)
        && GST_EVENT_TYPE (obj) == (GstEventType) GPOINTER_TO_INT (type))
      return TRUE;
  }
  return FALSE;
}

static gboolean
received_buffer_with_pts (gconstpointer pts)
{
  const GstClockTime wanted = *(const GstClockTime *) pts;

  for (guint i = 0; i < fx.received->len; i++) {
    GstMiniObject *obj = g_ptr_array_index (fx.received, i);

    if (GST_IS_BUFFER (obj) && GST_BUFFER_PTS (obj) == wanted)
      return TRUE;
  }
  return FALSE;
}

static gboolean
buffer_at_gate (gconstpointer unused)
{
  return fx.at_gate;
}

static gboolean
flag_set (gconstpointer flag)
{
  return *(const gboolean *) flag;
}

static void
set_gate (gboolean closed)
{
  g_mutex_lock (&fx.lock);
  fx.gate_closed = closed;
  g_cond_broadcast (&fx.cond);
  g_mutex_unlock (&fx.lock);
}

static GstPadProbeReturn
gate_probe (GstPad * pad, GstPadProbeInfo * info, gpointer unused)
{
  g_mutex_lock (&fx.lock);
  while (fx.gate_closed) {
    fx.at_gate = TRUE;
    g_cond_broadcast (&fx.cond);
    g_cond_wait (&fx.cond, &fx.lock);
  }
  fx.at_gate = FALSE;
  g_mutex_unlock (&fx.lock);
  return GST_PAD_PROBE_OK;
}

static GstFlowReturn
downstream_chain (GstPad * pad, GstObject * parent, GstBuffer * buffer)
{
  gulong process_us;

  g_mutex_lock (&fx.lock);
  g_ptr_array_add (fx.received, buffer);
  process_us = fx.process_us;
  g_cond_broadcast (&fx.cond);
  g_mutex_unlock (&fx.lock);

  if (process_us > 0)
    g_usleep (process_us);
  return GST_FLOW_OK;
}

static gboolean
downstream_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  g_mutex_lock (&fx.lock);
  /* a flushing element abandons the buffer it works on */
  if (GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_START)
    fx.gate_closed = FALSE;
  g_ptr_array_add (fx.received, event);
  g_cond_broadcast (&fx.cond);
  g_mutex_unlock (&fx.lock);
  return TRUE;
}

static gboolean
downstream_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstAllocationParams params;
  GstCaps *caps;

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_ALLOCATION:
      caps = gst_pad_get_current_caps (pad);
      g_mutex_lock (&fx.lock);
      gst_caps_replace (&fx.caps_at_allocation, caps);
      g_mutex_unlock (&fx.lock);
      gst_clear_caps (&caps);
      gst_allocation_params_init (&params);
      params.align = ALLOCATION_ALIGN;
      gst_query_add_allocation_param (query, NULL, &params);
      return TRUE;
    case GST_QUERY_DRAIN:
      g_mutex_lock (&fx.lock);
      fx.drained = TRUE;
      g_mutex_unlock (&fx.lock);
      return TRUE;
    default:
      return gst_pad_query_default (pad, parent, query);
  }
}

static gboolean
upstream_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  if (GST_QUERY_TYPE (query) != GST_QUERY_LATENCY)
    return gst_pad_query_default (pad, parent, query);

  gst_query_set_latency (query, TRUE, UPSTREAM_MIN_LATENCY,
      UPSTREAM_MAX_LATENCY);
  return TRUE;
}

static void
link_downstream (void)
{
  GstPad *latest_src = gst_element_get_static_pad (fx.latest, "src");

  fail_unless_equals_int (gst_pad_link (latest_src, fx.sinkpad),
      GST_PAD_LINK_OK);
  gst_object_unref (latest_src);
}

static void
unlink_downstream (void)
{
  GstPad *latest_src = gst_element_get_static_pad (fx.latest, "src");

  gst_pad_unlink (latest_src, fx.sinkpad);
  gst_object_unref (latest_src);
}

static void
fixture_setup (void)
{
  GstPad *latest_sink, *latest_src;

  g_mutex_init (&fx.lock);
  g_cond_init (&fx.cond);
  fx.received = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_mini_object_unref);

  fx.latest = gst_check_setup_element ("rtfxlatest");

  fx.srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_set_query_function (fx.srcpad, upstream_query);
  latest_sink = gst_element_get_static_pad (fx.latest, "sink");
  fail_unless_equals_int (gst_pad_link (fx.srcpad, latest_sink),
      GST_PAD_LINK_OK);
  gst_object_unref (latest_sink);

  fx.sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (fx.sinkpad, downstream_chain);
  gst_pad_set_event_function (fx.sinkpad, downstream_event);
  gst_pad_set_query_function (fx.sinkpad, downstream_query);
  link_downstream ();

  latest_src = gst_element_get_static_pad (fx.latest, "src");
  gst_pad_add_probe (latest_src, GST_PAD_PROBE_TYPE_BUFFER, gate_probe, NULL,
      NULL);
  gst_object_unref (latest_src);
}

static void
fixture_teardown (void)
{
  gst_check_teardown_element (fx.latest);
  gst_pad_set_active (fx.srcpad, FALSE);
  gst_pad_set_active (fx.sinkpad, FALSE);
  gst_object_unref (fx.srcpad);
  gst_object_unref (fx.sinkpad);
  g_ptr_array_unref (fx.received);
  gst_clear_caps (&fx.caps_at_allocation);
  g_mutex_clear (&fx.lock);
  g_cond_clear (&fx.cond);
  memset (&fx, 0, sizeof (fx));
}

static GstCaps *
video_caps (gint width)
{
  return gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING, "I420",
      "width", G_TYPE_INT, width, "height", G_TYPE_INT, 240,
      "framerate", GST_TYPE_FRACTION, 30, 1, NULL);
}

/* Plays the element and sends stream-start, caps and segment through it. */
static void
start_stream (void)
{
  GstCaps *caps = video_caps (320);

  gst_pad_set_active (fx.srcpad, TRUE);
  gst_pad_set_active (fx.sinkpad, TRUE);
  fail_unless_equals_int (gst_element_set_state (fx.latest, GST_STATE_PLAYING),
      GST_STATE_CHANGE_SUCCESS);
  gst_check_setup_events (fx.srcpad, fx.latest, caps, GST_FORMAT_TIME);
  gst_caps_unref (caps);
}

/* Stops the element's thread: GST_END_TEST waits for every task to end, before the teardown. */
static void
stop_stream (void)
{
  set_gate (FALSE);
  fail_unless_equals_int (gst_element_set_state (fx.latest, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
}

static GstFlowReturn
push_buffer (GstClockTime pts)
{
  GstBuffer *buffer = gst_buffer_new_allocate (NULL, 64, NULL);

  GST_BUFFER_PTS (buffer) = pts;
  GST_BUFFER_DURATION (buffer) = FRAME_DURATION;
  return gst_pad_push (fx.srcpad, buffer);
}

/* Pushes a buffer and waits until the element's thread holds it at the closed gate. */
static void
push_buffer_to_gate (GstClockTime pts)
{
  set_gate (TRUE);
  fail_unless_equals_int (push_buffer (pts), GST_FLOW_OK);
  fail_unless (wait_for (buffer_at_gate, NULL),
      "buffer never reached the gate");
}

static void
push_eos_and_wait (void)
{
  gst_pad_push_event (fx.srcpad, gst_event_new_eos ());
  fail_unless (wait_for (received_event, GINT_TO_POINTER (GST_EVENT_EOS)),
      "EOS never arrived downstream");
}

static GstEvent *
new_marker_event (void)
{
  return gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM,
      gst_structure_new_empty ("rtfx-test-marker"));
}

static gboolean
is_marker (GstMiniObject * obj)
{
  return GST_IS_EVENT (obj)
      && gst_event_has_name (GST_EVENT_CAST (obj), "rtfx-test-marker");
}

static guint64
get_counter (const gchar * name)
{
  guint64 value;

  g_object_get (fx.latest, name, &value, NULL);
  return value;
}

/* What downstream received, written as one letter an item (B buffer, M marker, C caps, E EOS,
 * F flush-start, S flush-stop; others skipped), so a test can assert on the order at once. */
static gchar *
received_summary (void)
{
  GString *s = g_string_new (NULL);

  g_mutex_lock (&fx.lock);
  for (guint i = 0; i < fx.received->len; i++) {
    GstMiniObject *obj = g_ptr_array_index (fx.received, i);

    if (GST_IS_BUFFER (obj))
      g_string_append_c (s, 'B');
    else if (is_marker (obj))
      g_string_append_c (s, 'M');
    else if (GST_EVENT_TYPE (obj) == GST_EVENT_CAPS)
      g_string_append_c (s, 'C');
    else if (GST_EVENT_TYPE (obj) == GST_EVENT_EOS)
      g_string_append_c (s, 'E');
    else if (GST_EVENT_TYPE (obj) == GST_EVENT_FLUSH_START)
      g_string_append_c (s, 'F');
    else if (GST_EVENT_TYPE (obj) == GST_EVENT_FLUSH_STOP)
      g_string_append_c (s, 'S');
  }
  g_mutex_unlock (&fx.lock);
  return g_string_free (s, FALSE);
}

/* The n-th buffer downstream received; received keeps it alive until the teardown. */
static GstBuffer *
received_buffer (guint n)
{
  GstBuffer *buffer = NULL;

  g_mutex_lock (&fx.lock);
  for (guint i = 0; i < fx.received->len && buffer == NULL; i++) {
    GstMiniObject *obj = g_ptr_array_index (fx.received, i);

    if (GST_IS_BUFFER (obj) && n-- == 0)
      buffer = GST_BUFFER_CAST (obj);
  }
  g_mutex_unlock (&fx.lock);
  fail_unless (buffer != NULL, "fewer buffers received than expected");
  return buffer;
}

static GstClockTime
received_pts (guint n)
{
  return GST_BUFFER_PTS (received_buffer (n));
}

/* A 30 fps source into an element that needs 100 ms a frame: most frames are dropped, yet the last
 * one, the caps and the EOS arrive, in order. */
GST_START_TEST (test_slow_downstream_gets_newest)
{
  const guint n_frames = 30;
  const gint64 start = g_get_monotonic_time ();
  guint64 dropped, pushed;
  gchar *summary;
  guint n_buffers;

  fx.process_us = 100 * G_USEC_PER_SEC / 1000;
  start_stream ();
  for (guint i = 0; i < n_frames; i++) {
    const gint64 wait = start + i * FRAME_US - g_get_monotonic_time ();

    if (wait > 0)
      g_usleep (wait);
    fail_unless_equals_int (push_buffer (i * FRAME_DURATION), GST_FLOW_OK);
  }
  push_eos_and_wait ();

  dropped = get_counter ("dropped");
  pushed = get_counter ("pushed");
  summary = received_summary ();
  n_buffers = strlen (summary) - 2;
  GST_INFO ("dropped %" G_GUINT64_FORMAT ", pushed %" G_GUINT64_FORMAT
      ", received %s", dropped, pushed, summary);

  fail_unless_equals_uint64 (dropped + pushed, n_frames);
  fail_unless (dropped > pushed, "only %" G_GUINT64_FORMAT " of %u dropped",
      dropped, n_frames);
  fail_unless (g_str_has_prefix (summary, "CB"), "caps not first: %s", summary);
  fail_unless (g_str_has_suffix (summary, "BE"), "EOS not last: %s", summary);
  fail_unless_equals_uint64 (n_buffers, pushed);
  for (guint i = 1; i < n_buffers; i++)
    fail_unless (received_pts (i) > received_pts (i - 1),
        "buffer %u out of order", i);
  fail_unless_equals_uint64 (received_pts (n_buffers - 1),
      (n_frames - 1) * FRAME_DURATION);
  g_free (summary);
  stop_stream ();
}

GST_END_TEST;

/* Buffer 1 is overtaken by buffer 2, but the event between them survives, ahead of buffer 2. */
GST_START_TEST (test_serialized_event_kept_in_order)
{
  gchar *summary;

  start_stream ();
  push_buffer_to_gate (0);
  fail_unless_equals_int (push_buffer (1 * GST_SECOND), GST_FLOW_OK);
  fail_unless (gst_pad_push_event (fx.srcpad, new_marker_event ()));
  fail_unless_equals_int (push_buffer (2 * GST_SECOND), GST_FLOW_OK);
  set_gate (FALSE);
  push_eos_and_wait ();

  summary = received_summary ();
  fail_unless_equals_string (summary, "CBMBE");
  fail_unless_equals_uint64 (received_pts (0), 0);
  fail_unless_equals_uint64 (received_pts (1), 2 * GST_SECOND);
  fail_if (GST_BUFFER_FLAG_IS_SET (received_buffer (0),
          GST_BUFFER_FLAG_DISCONT));
  fail_unless (GST_BUFFER_FLAG_IS_SET (received_buffer (1),
          GST_BUFFER_FLAG_DISCONT), "no DISCONT after a dropped buffer");
  fail_unless_equals_uint64 (get_counter ("dropped"), 1);
  fail_unless_equals_uint64 (get_counter ("pushed"), 2);
  g_free (summary);
  stop_stream ();
}

GST_END_TEST;

/* What waits in the element when a flush comes is discarded, except new caps, which are stream
 * state that upstream will not send again; data flows again after the flush. */
GST_START_TEST (test_flush_discards_waiting_items)
{
  GstCaps *new_caps = video_caps (640), *current;
  GstSegment segment;
  gchar *summary;
  const GstClockTime after_flush = 3 * GST_SECOND;

  start_stream ();
  push_buffer_to_gate (0);
  fail_unless_equals_int (push_buffer (1 * GST_SECOND), GST_FLOW_OK);
  fail_unless (gst_pad_push_event (fx.srcpad, gst_event_new_caps (new_caps)));
  fail_unless (gst_pad_push_event (fx.srcpad, new_marker_event ()));

  fail_unless (gst_pad_push_event (fx.srcpad, gst_event_new_flush_start ()));
  fail_unless (gst_pad_push_event (fx.srcpad, gst_event_new_flush_stop (TRUE)));
  gst_segment_init (&segment, GST_FORMAT_TIME);
  fail_unless (gst_pad_push_event (fx.srcpad,
          gst_event_new_segment (&segment)));
  fail_unless_equals_int (push_buffer (after_flush), GST_FLOW_OK);
  push_eos_and_wait ();

  /* caps, the buffer held at the gate refused by flushing downstream, the flush, the new caps, the
   * buffer pushed after the flush: neither the waiting buffer nor the marker */
  summary = received_summary ();
  fail_unless_equals_string (summary, "CFSCBE");
  fail_unless_equals_uint64 (received_pts (0), after_flush);
  current = gst_pad_get_current_caps (fx.sinkpad);
  fail_unless (gst_caps_is_equal (current, new_caps));
  fail_unless_equals_uint64 (get_counter ("dropped"), 0);
  gst_caps_unref (current);
  gst_caps_unref (new_caps);
  g_free (summary);
  stop_stream ();
}

GST_END_TEST;

typedef struct
{
  GstQuery *query;
  gboolean result;
  gboolean done;
} QueryJob;

static gpointer
run_query (gpointer data)
{
  QueryJob *job = data;
  gboolean result = gst_pad_peer_query (fx.srcpad, job->query);

  g_mutex_lock (&fx.lock);
  job->result = result;
  job->done = TRUE;
  g_cond_broadcast (&fx.cond);
  g_mutex_unlock (&fx.lock);
  return NULL;
}

/* Sends an ALLOCATION query from upstream in a thread of its own, so that a query stuck in the
 * element fails the test instead of hanging it. */
static GThread *
start_allocation_query (QueryJob * job, gint width)
{
  GstCaps *caps = video_caps (width);

  job->query = gst_query_new_allocation (caps, TRUE);
  job->done = FALSE;
  gst_caps_unref (caps);
  return g_thread_new ("allocation-query", run_query, job);
}

GST_START_TEST (test_latency_query_is_upstreams)
{
  GstQuery *query = gst_query_new_latency ();
  GstClockTime min, max;
  gboolean live;

  start_stream ();
  fail_unless (gst_pad_peer_query (fx.sinkpad, query));
  gst_query_parse_latency (query, &live, &min, &max);
  fail_unless (live);
  fail_unless_equals_uint64 (min, UPSTREAM_MIN_LATENCY);
  fail_unless_equals_uint64 (max, UPSTREAM_MAX_LATENCY);
  gst_query_unref (query);
  stop_stream ();
}

GST_END_TEST;

/* While one buffer is on its way downstream and another waits, downstream answers at once. */
GST_START_TEST (test_allocation_query_does_not_wait_for_buffers)
{
  QueryJob job;
  GThread *thread;

  start_stream ();
  push_buffer_to_gate (0);
  fail_unless_equals_int (push_buffer (1 * GST_SECOND), GST_FLOW_OK);

  thread = start_allocation_query (&job, 320);
  fail_unless (wait_for (flag_set, &job.done),
      "allocation query blocked behind buffers");
  fail_unless (job.result);
  fail_unless_equals_int (gst_query_get_n_allocation_params (job.query), 1);

  set_gate (FALSE);
  g_thread_join (thread);
  gst_query_unref (job.query);
  stop_stream ();
}

GST_END_TEST;

/* A query about new caps is answered only once downstream has the caps, else downstream would
 * answer (or refuse) for the old ones. */
GST_START_TEST (test_allocation_query_follows_caps)
{
  GstCaps *new_caps = video_caps (640);
  QueryJob job;
  GThread *thread;
  gboolean answered_early;

  start_stream ();
  push_buffer_to_gate (0);
  fail_unless (gst_pad_push_event (fx.srcpad, gst_event_new_caps (new_caps)));

  thread = start_allocation_query (&job, 640);
  g_usleep (50 * 1000);
  g_mutex_lock (&fx.lock);
  answered_early = job.done;
  g_mutex_unlock (&fx.lock);
  fail_if (answered_early, "allocation query overtook the caps before it");

  set_gate (FALSE);
  fail_unless (wait_for (flag_set, &job.done));
  g_thread_join (thread);
  fail_unless (job.result);
  fail_unless (gst_caps_is_equal (fx.caps_at_allocation, new_caps));
  gst_query_unref (job.query);
  gst_caps_unref (new_caps);
  stop_stream ();
}

GST_END_TEST;

/* DRAIN gives back the waiting buffer and reaches downstream. */
GST_START_TEST (test_drain_drops_waiting_buffer)
{
  GstQuery *query = gst_query_new_drain ();
  gchar *summary;

  start_stream ();
  push_buffer_to_gate (0);
  fail_unless_equals_int (push_buffer (1 * GST_SECOND), GST_FLOW_OK);
  fail_unless (gst_pad_peer_query (fx.srcpad, query));
  fail_unless (fx.drained);
  fail_unless_equals_uint64 (get_counter ("dropped"), 1);

  set_gate (FALSE);
  push_eos_and_wait ();
  summary = received_summary ();
  fail_unless_equals_string (summary, "CBE");
  fail_unless_equals_uint64 (received_pts (0), 0);
  g_free (summary);
  gst_query_unref (query);
  stop_stream ();
}

GST_END_TEST;

GST_START_TEST (test_counters_read_only_and_reset)
{
  const gchar *const names[] = { "dropped", "pushed" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
    GParamSpec *pspec =
        g_object_class_find_property (G_OBJECT_GET_CLASS (fx.latest),
        names[i]);

    fail_unless (pspec != NULL, "no property %s", names[i]);
    fail_unless_equals_int (pspec->value_type, G_TYPE_UINT64);
    fail_unless (pspec->flags & G_PARAM_READABLE);
    fail_if (pspec->flags & G_PARAM_WRITABLE, "%s is writable", names[i]);
  }

  start_stream ();
  push_buffer_to_gate (0);
  fail_unless_equals_int (push_buffer (1 * GST_SECOND), GST_FLOW_OK);
  fail_unless_equals_int (push_buffer (2 * GST_SECOND), GST_FLOW_OK);
  set_gate (FALSE);
  push_eos_and_wait ();
  fail_unless_equals_uint64 (get_counter ("dropped"), 1);
  fail_unless_equals_uint64 (get_counter ("pushed"), 2);

  fail_unless_equals_int (gst_element_set_state (fx.latest, GST_STATE_READY),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (gst_element_set_state (fx.latest, GST_STATE_PAUSED),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_uint64 (get_counter ("dropped"), 0);
  fail_unless_equals_uint64 (get_counter ("pushed"), 0);
  stop_stream ();
}

GST_END_TEST;

/* Upstream learns that downstream is gone; once a peer is linked, data flows again, caps first. */
GST_START_TEST (test_relinked_downstream_restarts)
{
  const GstClockTime after_link = 10 * GST_SECOND;
  GstFlowReturn ret = GST_FLOW_OK;
  gchar *summary;

  unlink_downstream ();
  start_stream ();
  for (guint i = 0; i < WAIT_TIMEOUT_MS && ret == GST_FLOW_OK; i++) {
    ret = push_buffer (i * FRAME_DURATION);
    g_usleep (1000);
  }
  fail_unless_equals_int (ret, GST_FLOW_NOT_LINKED);

  link_downstream ();
  fail_unless_equals_int (push_buffer (after_link), GST_FLOW_OK);
  fail_unless (wait_for (received_buffer_with_pts, &after_link));
  summary = received_summary ();
  fail_unless (g_str_has_prefix (summary, "CB"), "caps not first: %s", summary);
  g_free (summary);
  stop_stream ();
}

GST_END_TEST;

/* After EOS upstream pushes nothing more, so rtfxlatest itself must report that downstream failed. */
GST_START_TEST (test_not_linked_after_eos_is_an_error)
{
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;

  gst_element_set_bus (fx.latest, bus);
  unlink_downstream ();
  start_stream ();
  fail_unless_equals_int (push_buffer (0), GST_FLOW_OK);
  gst_pad_push_event (fx.srcpad, gst_event_new_eos ());

  msg = gst_bus_timed_pop_filtered (bus, WAIT_TIMEOUT_MS * GST_MSECOND,
      GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no error posted");
  fail_unless (GST_MESSAGE_SRC (msg) == GST_OBJECT (fx.latest));
  gst_message_unref (msg);
  gst_element_set_bus (fx.latest, NULL);
  gst_object_unref (bus);
  stop_stream ();
}

GST_END_TEST;

/* A stream-start after EOS begins a new stream, as with concat or gapless playback. */
GST_START_TEST (test_new_stream_after_eos)
{
  const GstClockTime second_stream = 5 * GST_SECOND;
  GstSegment segment;

  start_stream ();
  fail_unless_equals_int (push_buffer (0), GST_FLOW_OK);
  push_eos_and_wait ();

  fail_unless (gst_pad_push_event (fx.srcpad,
          gst_event_new_stream_start ("second")));
  gst_segment_init (&segment, GST_FORMAT_TIME);
  fail_unless (gst_pad_push_event (fx.srcpad,
          gst_event_new_segment (&segment)));
  fail_unless_equals_int (push_buffer (second_stream), GST_FLOW_OK);
  fail_unless (wait_for (received_buffer_with_pts, &second_stream));
  stop_stream ();
}

GST_END_TEST;

/* Starts a pipeline, lets it run a random 0-30 ms, and stops it: must neither deadlock (the test
 * has a timeout) nor leak (the leaks tracer fails the test at exit). */
static void
run_and_stop (const gchar * launch, GstState state, GRand * rand)
{
  GError *error = NULL;
  GstElement *pipeline = gst_parse_launch (launch, &error);

  fail_unless (pipeline != NULL, "%s: %s", launch,
      error ? error->message : "?");
  fail_if (gst_element_set_state (pipeline, state) == GST_STATE_CHANGE_FAILURE);
  g_usleep (g_rand_int_range (rand, 0, 30 * 1000 + 1));
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (pipeline);
}

GST_START_TEST (test_stop_midstream_never_deadlocks)
{
  const gchar *const live =
      "videotestsrc is-live=true ! rtfxlatest ! identity sleep-time=20000 ! fakesink";
  /* not live: the sink's preroll holds rtfxlatest's thread in PAUSED */
  const gchar *const not_live =
      "videotestsrc ! rtfxlatest ! identity sleep-time=20000 ! fakesink sync=true";
  GRand *rand = g_rand_new_with_seed (20240611);

  for (guint i = 0; i < 100; i++)
    run_and_stop (live, GST_STATE_PLAYING, rand);
  for (guint i = 0; i < 20; i++) {
    run_and_stop (not_live, GST_STATE_PLAYING, rand);
    run_and_stop (not_live, GST_STATE_PAUSED, rand);
    run_and_stop (live, GST_STATE_PAUSED, rand);
    run_and_stop (live, GST_STATE_READY, rand);
  }
  g_rand_free (rand);
}

GST_END_TEST;

static Suite *
rtfxlatest_suite (void)
{
  Suite *s = suite_create ("rtfxlatest");
  TCase *dataflow = tcase_create ("dataflow");
  TCase *lifecycle = tcase_create ("lifecycle");

  suite_add_tcase (s, dataflow);
  tcase_add_checked_fixture (dataflow, fixture_setup, fixture_teardown);
  tcase_add_test (dataflow, test_slow_downstream_gets_newest);
  tcase_add_test (dataflow, test_serialized_event_kept_in_order);
  tcase_add_test (dataflow, test_flush_discards_waiting_items);
  tcase_add_test (dataflow, test_latency_query_is_upstreams);
  tcase_add_test (dataflow, test_allocation_query_does_not_wait_for_buffers);
  tcase_add_test (dataflow, test_allocation_query_follows_caps);
  tcase_add_test (dataflow, test_drain_drops_waiting_buffer);
  tcase_add_test (dataflow, test_counters_read_only_and_reset);
  tcase_add_test (dataflow, test_relinked_downstream_restarts);
  tcase_add_test (dataflow, test_not_linked_after_eos_is_an_error);
  tcase_add_test (dataflow, test_new_stream_after_eos);

  suite_add_tcase (s, lifecycle);
  tcase_add_test (lifecycle, test_stop_midstream_never_deadlocks);

  return s;
}

GST_CHECK_MAIN (rtfxlatest);
