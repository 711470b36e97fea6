/* Unit tests for rtfxdelay: each buffer is held at least delay-ms and comes out untouched; a held
 * buffer is let go at once on flush, on a state change to NULL and when the delay is lowered; the
 * latency query adds the delay; a control binding sets the delay per buffer, and a BYTES segment
 * leaves it alone; and behind rtfxlatest a 5 fps "model" fed 30 fps keeps its output
 * fresh, while on its own it falls further and further behind.
 *
 * Only lower bounds are asserted on the time a delay takes. The upper bounds are on how long
 * stopping takes (a delay of 5 s must not be waited out) and on rtfxlatest's latency, which is
 * the point of that element; both have a wide margin. Every wait is bounded. */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

#include "videoharness.h"

#define CAPS "video/x-raw,format=GRAY8,width=16,height=16,framerate=30/1"
#define FRAME_SIZE (16 * 16)
#define FRAME_US (G_USEC_PER_SEC / 30)
#define LONG_DELAY_MS 5000
#define PROMPT_US (G_USEC_PER_SEC)      /* "at once", with room for a loaded machine */

static GstHarness *
harness_with_delay (guint delay_ms)
{
  GstHarness *h = gst_harness_new ("rtfxdelay");

  g_object_set (h->element, "delay-ms", delay_ms, NULL);
  gst_harness_set_src_caps_str (h, CAPS);
  return h;
}

static GstBuffer *
new_frame (guint64 index)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, FRAME_SIZE, NULL);

  gst_buffer_memset (buf, 0, (guint8) index, FRAME_SIZE);
  GST_BUFFER_PTS (buf) = index * GST_SECOND / 30;
  GST_BUFFER_DURATION (buf) = GST_SECOND / 30;
  GST_BUFFER_OFFSET (buf) = index;
  return buf;
}

/* --- when buffers enter and leave the element, from pad probes --- */

static struct
{
  GMutex lock;
  GCond cond;
  guint entered;                /* buffers that reached the element's sink pad */
  GArray *left;                 /* Departure of each buffer that left its source pad */
} fx;

typedef struct
{
  guint64 offset;
  gint64 time;                  /* monotonic, µs */
} Departure;

static GstPadProbeReturn
count_entered (GstPad * pad, GstPadProbeInfo * info, gpointer unused)
{
  g_mutex_lock (&fx.lock);
  fx.entered++;
  g_cond_broadcast (&fx.cond);
  g_mutex_unlock (&fx.lock);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
record_departure (GstPad * pad, GstPadProbeInfo * info, gpointer unused)
{
  const Departure d = { GST_BUFFER_OFFSET (GST_PAD_PROBE_INFO_BUFFER (info)),
    g_get_monotonic_time ()
  };

  g_mutex_lock (&fx.lock);
  g_array_append_val (fx.left, d);
  g_cond_broadcast (&fx.cond);
  g_mutex_unlock (&fx.lock);
  return GST_PAD_PROBE_OK;
}

static void
fixture_setup (void)
{
  g_mutex_init (&fx.lock);
  g_cond_init (&fx.cond);
  fx.entered = 0;
  fx.left = g_array_new (FALSE, FALSE, sizeof (Departure));
}

static void
fixture_teardown (void)
{
  g_array_unref (fx.left);
  g_cond_clear (&fx.cond);
  g_mutex_clear (&fx.lock);
}

static void
probe_pad (GstElement * element, const gchar * name,
    GstPadProbeCallback callback)
{
  GstPad *pad = gst_element_get_static_pad (element, name);

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, callback, NULL, NULL);
  gst_object_unref (pad);
}

/* Waits at most 5 s for the n-th buffer to reach the element. */
static gboolean
wait_entered (guint n)
{
  const gint64 end = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;
  gboolean ok;

  g_mutex_lock (&fx.lock);
  while (fx.entered < n && g_cond_wait_until (&fx.cond, &fx.lock, end));
  ok = fx.entered >= n;
  g_mutex_unlock (&fx.lock);
  return ok;
}

/* A push in a thread of its own, for pushes that block in the element. */
typedef struct
{
  GstHarness *h;
  GstBuffer *buffer;
  GstFlowReturn ret;
  gint64 returned;              /* monotonic, µs */
} PushJob;

static gpointer
push_job (gpointer data)
{
  PushJob *job = data;

  job->ret = gst_harness_push (job->h, job->buffer);
  job->returned = g_get_monotonic_time ();
  return NULL;
}

/* Starts pushing a buffer in another thread and returns once the element holds it. */
static GThread *
start_held_push (PushJob * job, GstHarness * h)
{
  GThread *thread;

  job->h = h;
  job->buffer = new_frame (0);
  job->ret = GST_FLOW_CUSTOM_ERROR;
  thread = g_thread_new ("pusher", push_job, job);
  fail_unless (wait_entered (1), "the buffer never reached rtfxdelay");
  /* the probe runs just before the chain function: give it time to start waiting */
  g_usleep (50 * G_TIME_SPAN_MILLISECOND);
  return thread;
}

GST_START_TEST (test_frame_takes_at_least_delay)
{
  static const guint delays[] = { 150, 40, 0 };

  for (guint i = 0; i < G_N_ELEMENTS (delays); i++) {
    GstHarness *h = harness_with_delay (delays[i]);
    GstBuffer *in = new_frame (7), *out;
    gint64 pushed;
    Departure d;

    probe_pad (h->element, "src", record_departure);
    g_array_set_size (fx.left, 0);
    pushed = g_get_monotonic_time ();
    fail_unless_equals_int (gst_harness_push (h, gst_buffer_ref (in)),
        GST_FLOW_OK);
    out = gst_harness_pull (h);
    /* passed through: the same buffer, not a copy */
    fail_unless (out == in);
    fail_unless_equals_int (fx.left->len, 1);
    d = g_array_index (fx.left, Departure, 0);
    fail_unless_equals_uint64 (d.offset, 7);
    fail_unless (d.time - pushed >= (gint64) delays[i] * 1000,
        "delay-ms=%u, yet the buffer came out after %" G_GINT64_FORMAT " us",
        delays[i], d.time - pushed);
    gst_buffer_unref (out);
    gst_buffer_unref (in);
    gst_harness_teardown (h);
  }
}

GST_END_TEST;

GST_START_TEST (test_state_change_to_null_ends_delay)
{
  GstHarness *h = harness_with_delay (LONG_DELAY_MS);
  PushJob job;
  GThread *thread;
  gint64 start, stopped;

  probe_pad (h->element, "sink", count_entered);
  thread = start_held_push (&job, h);

  start = g_get_monotonic_time ();
  fail_unless_equals_int (gst_element_set_state (h->element, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  stopped = g_get_monotonic_time ();
  g_thread_join (thread);

  fail_unless (stopped - start < PROMPT_US, "going to NULL took %"
      G_GINT64_FORMAT " us during a %d ms delay", stopped - start,
      LONG_DELAY_MS);
  fail_unless (job.returned - start < PROMPT_US);
  fail_unless_equals_int (job.ret, GST_FLOW_FLUSHING);
  fail_unless_equals_int (gst_harness_buffers_received (h), 0);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_flush_ends_delay)
{
  GstHarness *h = harness_with_delay (LONG_DELAY_MS);
  PushJob job;
  GThread *thread;
  GstSegment segment;
  gint64 start, pushed;
  GstBuffer *out;

  probe_pad (h->element, "sink", count_entered);
  thread = start_held_push (&job, h);

  start = g_get_monotonic_time ();
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_start ()));
  g_thread_join (thread);
  fail_unless (job.returned - start < PROMPT_US, "the held buffer was let go %"
      G_GINT64_FORMAT " us after flush-start", job.returned - start);
  fail_unless_equals_int (job.ret, GST_FLOW_FLUSHING);
  fail_unless_equals_int (gst_harness_buffers_received (h), 0);

  /* After the flush, buffers are delayed again. */
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  gst_segment_init (&segment, GST_FORMAT_TIME);
  fail_unless (gst_harness_push_event (h, gst_event_new_segment (&segment)));
  g_object_set (h->element, "delay-ms", 100, NULL);
  pushed = g_get_monotonic_time ();
  fail_unless_equals_int (gst_harness_push (h, new_frame (1)), GST_FLOW_OK);
  fail_unless (g_get_monotonic_time () - pushed >= 100 * 1000);
  out = gst_harness_pull (h);
  fail_unless_equals_uint64 (GST_BUFFER_OFFSET (out), 1);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_lowering_delay_releases_held_buffer)
{
  GstHarness *h = harness_with_delay (LONG_DELAY_MS);
  PushJob job;
  GThread *thread;
  gint64 start;
  GstBuffer *out;

  probe_pad (h->element, "sink", count_entered);
  thread = start_held_push (&job, h);

  start = g_get_monotonic_time ();
  g_object_set (h->element, "delay-ms", 0, NULL);
  g_thread_join (thread);
  fail_unless (job.returned - start < PROMPT_US, "the held buffer came out %"
      G_GINT64_FORMAT " us after delay-ms was set to 0", job.returned - start);
  fail_unless_equals_int (job.ret, GST_FLOW_OK);
  out = gst_harness_pull (h);
  fail_unless_equals_uint64 (GST_BUFFER_OFFSET (out), 0);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_latency_query_adds_delay)
{
  GstHarness *h = harness_with_delay (100);
  GstBus *bus = gst_bus_new ();
  GstQuery *query = gst_query_new_latency ();
  GstMessage *msg;
  GstClockTime min, max;
  gboolean live;

  gst_harness_set_upstream_latency (h, 20 * GST_MSECOND);
  fail_unless (gst_pad_peer_query (h->sinkpad, query));
  gst_query_parse_latency (query, &live, &min, &max);
  fail_unless_equals_clocktime (min, 120 * GST_MSECOND);
  fail_unless (!GST_CLOCK_TIME_IS_VALID (max) || max >= min);
  gst_query_unref (query);

  /* A new delay is announced, so that the pipeline asks again. */
  gst_element_set_bus (h->element, bus);
  g_object_set (h->element, "delay-ms", 300, NULL);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_LATENCY);
  fail_unless (msg != NULL);
  fail_unless (GST_MESSAGE_SRC (msg) == GST_OBJECT (h->element));
  gst_message_unref (msg);
  /* ...but not a delay set to what it was */
  g_object_set (h->element, "delay-ms", 300, NULL);
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_LATENCY) == NULL);
  fail_unless_equals_clocktime (gst_harness_query_latency (h),
      320 * GST_MSECOND);

  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* --- a slow model behind a live source, with and without rtfxlatest --- */

#define FEED_US (3 * G_USEC_PER_SEC)
#define MODEL_DELAY_MS 200
#define LAST_OUTPUTS 4

/* Feeds `chain` (whose delay element is named "model") 30 fps live-timestamped frames for
 * FEED_US from this thread, which the chain must never block, and returns the latency of each
 * output buffer (departure from the model minus push time), in µs, in output order. */
static GArray *
feed_live (const gchar * chain)
{
  GstHarness *h = gst_harness_new_parse (chain);
  GstElement *model = gst_bin_get_by_name (GST_BIN (h->element), "model");
  const guint n_frames = FEED_US / FRAME_US;
  gint64 *pushed = g_new0 (gint64, n_frames);
  GArray *latencies = g_array_new (FALSE, FALSE, sizeof (gint64));
  gint64 start;

  fail_unless (model != NULL);
  probe_pad (model, "src", record_departure);
  gst_harness_set_src_caps_str (h, CAPS);
  gst_harness_set_live (h, TRUE);

  start = g_get_monotonic_time ();
  for (guint i = 0; i < n_frames; i++) {
    GstBuffer *buf = new_frame (i);
    const gint64 due = start + (gint64) i * FRAME_US;
    const gint64 now = g_get_monotonic_time ();

    if (due > now)
      g_usleep (due - now);
    pushed[i] = g_get_monotonic_time ();
    GST_BUFFER_PTS (buf) = (pushed[i] - start) * GST_USECOND;
    fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  }

  g_mutex_lock (&fx.lock);
  for (guint k = 0; k < fx.left->len; k++) {
    const Departure *d = &g_array_index (fx.left, Departure, k);
    const gint64 latency = d->time - pushed[d->offset];

    fail_unless (d->offset < n_frames);
    g_array_append_val (latencies, latency);
  }
  g_mutex_unlock (&fx.lock);

  gst_object_unref (model);
  gst_harness_teardown (h);
  g_free (pushed);
  return latencies;
}

static gint64
latency_ms (GArray * latencies, guint k)
{
  return g_array_index (latencies, gint64, k) / 1000;
}

static void
log_latencies (const gchar * what, GArray * latencies)
{
  GString *s = g_string_new (NULL);

  for (guint k = 0; k < latencies->len; k++)
    g_string_append_printf (s, " %" G_GINT64_FORMAT, latency_ms (latencies, k));
  GST_INFO ("%s: %u buffers out, latencies (ms):%s", what, latencies->len,
      s->str);
  g_string_free (s, TRUE);
}

GST_START_TEST (test_latest_keeps_latency_bounded)
{
  GArray *latencies = feed_live ("rtfxlatest ! rtfxdelay name=model delay-ms="
      G_STRINGIFY (MODEL_DELAY_MS));

  log_latencies ("rtfxlatest ! rtfxdelay", latencies);
  fail_unless (latencies->len >= LAST_OUTPUTS, "only %u buffers came out",
      latencies->len);
  /* At most the delay of the buffer ahead plus its own: 2 x 200 ms, and margin. */
  for (guint k = latencies->len - LAST_OUTPUTS; k < latencies->len; k++)
    fail_unless (latency_ms (latencies, k) < 600, "output %u of %u came out %"
        G_GINT64_FORMAT " ms after it was pushed", k, latencies->len,
        latency_ms (latencies, k));
  g_array_unref (latencies);
}

GST_END_TEST;

GST_START_TEST (test_without_latest_latency_grows)
{
  /* The queue keeps the feeding thread free, as rtfxlatest does; it drops nothing. */
  GArray *latencies =
      feed_live ("queue max-size-buffers=0 max-size-bytes=0 max-size-time=0 ! "
      "rtfxdelay name=model delay-ms=" G_STRINGIFY (MODEL_DELAY_MS));
  const guint last = latencies->len - 1;

  log_latencies ("queue ! rtfxdelay", latencies);
  fail_unless (latencies->len >= LAST_OUTPUTS, "only %u buffers came out",
      latencies->len);
  /* Every buffer waits for all those before it: after 3 s, over a second behind, and worse than
   * the one before. */
  fail_unless (latency_ms (latencies, last) > 1000, "the last output came out "
      "%" G_GINT64_FORMAT " ms after it was pushed", latency_ms (latencies,
          last));
  for (guint k = latencies->len - LAST_OUTPUTS; k < last; k++)
    fail_unless (latency_ms (latencies, k + 1) > latency_ms (latencies, k));
  g_array_unref (latencies);
}

GST_END_TEST;

/* Passes the frame of the given index through and returns the delay-ms it was held for. */
static guint
delay_of_frame (GstHarness * h, guint64 index)
{
  guint delay;

  fail_unless_equals_int (gst_harness_push (h, new_frame (index)),
      GST_FLOW_OK);
  gst_buffer_unref (gst_harness_pull (h));
  g_object_get (h->element, "delay-ms", &delay, NULL);
  return delay;
}

/* A control binding drives the delay: each buffer is held for the value of its own stream time. */
GST_START_TEST (test_control_binding)
{
  GstHarness *h = harness_with_delay (0);
  gint64 pushed, held;

  rtfx_control_steps (h->element, "delay-ms", 0, GST_SECOND, 150);
  pushed = g_get_monotonic_time ();
  fail_unless_equals_int (delay_of_frame (h, 45), 150);
  held = g_get_monotonic_time () - pushed;
  fail_unless (held >= 150 * 1000, "the frame at 1.5 s came out after %"
      G_GINT64_FORMAT " us, not 150 ms", held);
  fail_unless_equals_int (delay_of_frame (h, 3), 0);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Any caps, so any segment: one in BYTES format gives no stream time, and no CRITICAL (GstCheck
 * makes them fatal); buffers are held for delay-ms as set, the binding left alone. */
GST_START_TEST (test_bytes_segment)
{
  GstHarness *h = harness_with_delay (0);

  rtfx_control_steps (h->element, "delay-ms", 150, GST_SECOND, 150);
  rtfx_harness_push_bytes_segment (h);
  fail_unless_equals_int (delay_of_frame (h, 45), 0);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_properties)
{
  GstElement *e = gst_element_factory_make ("rtfxdelay", NULL);
  GParamSpec *p;
  guint delay;

  fail_unless (e != NULL);
  p = g_object_class_find_property (G_OBJECT_GET_CLASS (e), "delay-ms");
  fail_unless (p != NULL);
  fail_unless (p->flags & GST_PARAM_CONTROLLABLE);
  fail_unless (p->flags & GST_PARAM_MUTABLE_PLAYING);
  fail_unless_equals_int (G_PARAM_SPEC_UINT (p)->minimum, 0);
  fail_unless_equals_int (G_PARAM_SPEC_UINT (p)->maximum, 5000);
  g_object_get (e, "delay-ms", &delay, NULL);
  fail_unless_equals_int (delay, 100);
  gst_object_unref (e);
}

GST_END_TEST;

static Suite *
rtfxdelay_suite (void)
{
  Suite *s = suite_create ("rtfxdelay");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, fixture_setup, fixture_teardown);
  tcase_add_test (tc, test_properties);
  tcase_add_test (tc, test_frame_takes_at_least_delay);
  tcase_add_test (tc, test_state_change_to_null_ends_delay);
  tcase_add_test (tc, test_flush_ends_delay);
  tcase_add_test (tc, test_lowering_delay_releases_held_buffer);
  tcase_add_test (tc, test_latency_query_adds_delay);
  tcase_add_test (tc, test_latest_keeps_latency_bounded);
  tcase_add_test (tc, test_without_latest_latency_grows);
  tcase_add_test (tc, test_control_binding);
  tcase_add_test (tc, test_bytes_segment);
  return s;
}

GST_CHECK_MAIN (rtfxdelay);
