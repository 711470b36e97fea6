/* ratecontrol.c against a simulated path: a sender of 30 frames a second at the controller's
 * target, a bottleneck of a given rate with a drop-tail queue, and the browser's feedback every
 * 100 ms, as transport-wide congestion control reports it (packets in sending order, arrival times on
 * the browser's own clock, the lost ones flagged once a later one arrived).
 *
 *   ratecontrol-unit [--tap] */
#include <glib.h>
#include <math.h>

#include "ratecontrol.h"

#define MS G_GINT64_CONSTANT (1000000)  /* ns */
#define FRAME_NS (1000 * MS / 30)
#define FEEDBACK_NS (100 * MS)
#define PACKET_BYTES 1200
#define BASE_DELAY_NS (10 * MS)

static const RtfxRateLimits limits = {
  .min_bps = 150000,.start_bps = 600000,.max_bps = 2500000
};

typedef struct
{
  gint64 send_ns, arrival_ns;   /* arrival on the path's clock; -1: dropped */
  guint size;
} Sent;

typedef struct
{
  /* the path */
  gdouble capacity_bps;
  guint queue_limit_bytes;
  gint64 link_free_ns;          /* when the bottleneck has sent what it holds */
  gint64 clock_offset_ns;       /* the browser's clock minus the path's */
  gdouble clock_drift;          /* its rate error, e.g. 1e-4 */
  /* the sender */
  gdouble demand_bps;           /* the most the encoder makes, whatever the target: 0 for no limit */
  gint keyframe_every;          /* frames; 0: none after the first */
  RtfxRateControl *rc;
  guint target;
  GArray *sent;                 /* Sent, not yet reported */
  gint64 now_ns;
  guint frame;
  /* what happened */
  guint64 bytes_arrived;
  guint lost, total;
  gint64 max_delay_ns;          /* of the packets that arrived, path queueing included */
  GArray *delays;               /* gint64, each arrived packet's queueing delay */
} Sim;

static Sim *
sim_new (gdouble capacity_bps)
{
  Sim *s = g_new0 (Sim, 1);

  s->capacity_bps = capacity_bps;
  s->queue_limit_bytes = 64000;
  s->rc = rtfx_rate_control_new (&limits);
  s->target = limits.start_bps;
  s->sent = g_array_new (FALSE, FALSE, sizeof (Sent));
  s->delays = g_array_new (FALSE, FALSE, sizeof (gint64));
  s->keyframe_every = 300;
  s->now_ns = 1000 * MS;
  s->link_free_ns = s->now_ns;
  return s;
}

static void
sim_free (Sim * s)
{
  rtfx_rate_control_free (s->rc);
  g_array_unref (s->sent);
  g_array_unref (s->delays);
  g_free (s);
}

/* One frame's packets into the bottleneck, now. */
static void
send_frame (Sim * s)
{
  gdouble rate = s->demand_bps > 0 ? MIN (s->target, s->demand_bps) : s->target;
  guint bytes = (guint) (rate / 8 / 30);

  if (s->frame == 0 || (s->keyframe_every && s->frame % s->keyframe_every == 0))
    bytes = bytes * 9 / 2;      /* the encoder caps keyframes at 4.5 frames */
  s->frame++;
  for (guint left = bytes; left > 0;) {
    guint size = MIN (left, PACKET_BYTES);
    gint64 queued_ns = MAX (0, s->link_free_ns - s->now_ns);
    guint queued_bytes = (guint) (queued_ns * s->capacity_bps / 8 / 1e9);
    Sent p = {.send_ns = s->now_ns,.arrival_ns = -1,.size = size };

    left -= size;
    if (queued_bytes + size <= s->queue_limit_bytes) {
      s->link_free_ns = MAX (s->link_free_ns, s->now_ns) +
          (gint64) (size * 8 * 1e9 / s->capacity_bps);
      p.arrival_ns = s->link_free_ns + BASE_DELAY_NS;
      g_array_append_val (s->delays, ((gint64) {
                p.arrival_ns - BASE_DELAY_NS - s->now_ns}));
      s->max_delay_ns = MAX (s->max_delay_ns, p.arrival_ns - s->now_ns -
          BASE_DELAY_NS);
      s->bytes_arrived += size;
    } else {
      s->lost++;
    }
    s->total++;
    g_array_append_val (s->sent, p);
  }
}

/* The browser's report, now: the packets up to the last one that has arrived. */
static void
feedback (Sim * s)
{
  g_autoptr (GArray) report = g_array_new (FALSE, FALSE,
      sizeof (RtfxPacketFeedback));
  guint upto = 0;

  for (guint i = 0; i < s->sent->len; i++) {
    const Sent *p = &g_array_index (s->sent, Sent, i);
    if (p->arrival_ns >= 0 && p->arrival_ns <= s->now_ns)
      upto = i + 1;
  }
  for (guint i = 0; i < upto; i++) {
    const Sent *p = &g_array_index (s->sent, Sent, i);
    gint64 browser_ns = p->arrival_ns < 0 ? -1 : p->arrival_ns +
        s->clock_offset_ns + (gint64) (p->arrival_ns * s->clock_drift);
    g_array_append_val (report, ((RtfxPacketFeedback) {
              p->send_ns, browser_ns, p->size}));
  }
  g_array_remove_range (s->sent, 0, upto);
  if (report->len > 0)
    s->target = rtfx_rate_control_update (s->rc,
        (RtfxPacketFeedback *) report->data, report->len,
        (s->now_ns + BASE_DELAY_NS) / 1000);
}

/* Runs for ms; calls watch, if any, after every report. */
static void
run (Sim * s, gint64 ms, void (*watch) (Sim * s, gpointer), gpointer data)
{
  gint64 end = s->now_ns + ms * MS;
  gint64 next_frame = s->now_ns, next_feedback = s->now_ns + FEEDBACK_NS;

  while (s->now_ns < end) {
    if (next_frame <= next_feedback) {
      s->now_ns = next_frame;
      send_frame (s);
      next_frame += FRAME_NS;
    } else {
      s->now_ns = next_feedback;
      feedback (s);
      next_feedback += FEEDBACK_NS;
      if (watch)
        watch (s, data);
    }
  }
}

static void
reset_counts (Sim * s)
{
  s->bytes_arrived = 0;
  s->lost = s->total = 0;
  s->max_delay_ns = 0;
  g_array_set_size (s->delays, 0);
}

static gint
compare_gint64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return (x > y) - (x < y);
}

static gdouble
delay_percentile_ms (Sim * s, gdouble q)
{
  if (s->delays->len == 0)
    return 0;
  g_array_sort (s->delays, compare_gint64);
  return g_array_index (s->delays, gint64,
      (guint) (q * (s->delays->len - 1))) / (gdouble) MS;
}

/* --- the tests --------------------------------------------------------------------------- */

static void
record_time_to (Sim * s, gpointer data)
{
  gint64 *reached_ms = data;
  if (*reached_ms < 0 && s->target >= limits.max_bps * 0.95)
    *reached_ms = s->now_ns / MS;
}

/* On a wide path the target climbs from the start to the ceiling within a few seconds. */
static void
test_ramp (void)
{
  Sim *s = sim_new (20e6);
  gint64 start_ms = s->now_ns / MS, reached_ms = -1;

  run (s, 10000, record_time_to, &reached_ms);
  g_test_message ("start %u kbit/s, ceiling %u kbit/s reached after %"
      G_GINT64_FORMAT " ms", limits.start_bps / 1000, limits.max_bps / 1000,
      reached_ms - start_ms);
  g_assert_cmpint (reached_ms, >=, 0);
  g_assert_cmpint (reached_ms - start_ms, <=, 5000);
  g_assert_cmpuint (s->target, ==, limits.max_bps);
  g_assert_cmpuint (s->lost, ==, 0);
  sim_free (s);
}

/* A 1 Mbit/s path: the rate settles near it, packets wait little and few are lost. */
static void
test_narrow_path (void)
{
  Sim *s = sim_new (1e6);
  gdouble used, p95;

  run (s, 10000, NULL, NULL);
  reset_counts (s);
  run (s, 30000, NULL, NULL);
  used = s->bytes_arrived * 8 / 30.0;
  p95 = delay_percentile_ms (s, 0.95);
  g_test_message ("1 Mbit/s path: %.0f kbit/s arrive, queueing delay 95th "
      "percentile %.0f ms, max %.0f ms, %u of %u packets lost", used / 1000,
      p95, s->max_delay_ns / (gdouble) MS, s->lost, s->total);
  g_assert_cmpfloat (used, >=, 0.7e6);
  g_assert_cmpfloat (used, <=, 1e6);
  g_assert_cmpfloat (p95, <=, 200);
  g_assert_cmpfloat (s->lost, <=, 0.01 * s->total);
  sim_free (s);
}

/* The path narrows to 1 Mbit/s mid-session, then widens again: the target follows both ways. */
static void
test_narrow_then_wide (void)
{
  Sim *s = sim_new (20e6);
  gint64 lifted_ms, reached_ms = -1;

  run (s, 8000, NULL, NULL);
  g_assert_cmpuint (s->target, ==, limits.max_bps);
  s->capacity_bps = 1e6;
  reset_counts (s);
  run (s, 3000, NULL, NULL);
  g_test_message ("3 s after the path narrowed: target %u kbit/s, delay max "
      "%.0f ms, %u lost", s->target / 1000, s->max_delay_ns / (gdouble) MS,
      s->lost);
  g_assert_cmpuint (s->target, <=, 1000000);
  reset_counts (s);
  run (s, 15000, NULL, NULL);
  g_assert_cmpfloat (delay_percentile_ms (s, 0.95), <=, 200);
  s->capacity_bps = 20e6;
  lifted_ms = s->now_ns / MS;
  run (s, 15000, record_time_to, &reached_ms);
  g_test_message ("path widened: the ceiling again after %" G_GINT64_FORMAT
      " ms", reached_ms - lifted_ms);
  g_assert_cmpint (reached_ms, >=, 0);
  g_assert_cmpint (reached_ms - lifted_ms, <=, 10000);
  sim_free (s);
}

typedef struct
{
  gdouble path_bps;
  guint lowest;
  gint64 back_ms;               /* when the target was back at 0.85 of the path's rate; -1: not yet */
} StallWatch;

static void
record_recovery (Sim * s, gpointer data)
{
  StallWatch *w = data;

  w->lowest = MIN (w->lowest, s->target);
  if (w->back_ms < 0 && w->lowest < 0.85 * w->path_bps &&
      s->target >= 0.85 * w->path_bps)
    w->back_ms = s->now_ns / MS;
}

/* The path stops for half a second, then drains its queue at its usual rate: the target is cut
 * so the queue drains, and is back near the path's rate within a few seconds. */
static void
test_stall (void)
{
  StallWatch w = {.path_bps = 2e6,.lowest = G_MAXUINT,.back_ms = -1 };
  Sim *s = sim_new (w.path_bps);
  gint64 stall_ms;

  run (s, 15000, NULL, NULL);
  g_assert_cmpuint (s->target, >=, 0.85 * w.path_bps);
  stall_ms = s->now_ns / MS;
  s->link_free_ns = MAX (s->link_free_ns, s->now_ns) + 500 * MS;
  run (s, 10000, record_recovery, &w);
  g_test_message ("%.0f kbit/s path stalled 500 ms: cut to %u kbit/s, back at "
      "0.85 of the path's rate %" G_GINT64_FORMAT " ms after the stall began",
      w.path_bps / 1000, w.lowest / 1000, w.back_ms - stall_ms);
  g_assert_cmpint (w.back_ms, >=, 0);
  g_assert_cmpint (w.back_ms - stall_ms, <=, 4000);
  sim_free (s);
}

/* Below the floor the target stays at the floor; above the ceiling, at the ceiling. */
static void
test_limits (void)
{
  Sim *s = sim_new (100e3);

  run (s, 20000, NULL, NULL);
  g_assert_cmpuint (s->target, ==, limits.min_bps);
  sim_free (s);
  s = sim_new (100e6);
  run (s, 20000, NULL, NULL);
  g_assert_cmpuint (s->target, ==, limits.max_bps);
  sim_free (s);
}

/* An encoder that makes less than it is asked (a still picture) is not given far more than it
 * uses, so a sudden change of picture cannot flood the path; and it is not cut for it either. */
static void
test_sender_makes_less (void)
{
  Sim *s = sim_new (20e6);

  s->demand_bps = 300e3;
  run (s, 20000, NULL, NULL);
  g_test_message ("encoder making 300 kbit/s: target %u kbit/s",
      s->target / 1000);
  g_assert_cmpuint (s->target, >=, limits.start_bps);
  g_assert_cmpuint (s->target, <=, 1.5 * 300e3 * 1.1 + limits.start_bps);
  sim_free (s);
}

/* The browser's clock is unrelated to the server's and runs 100 ppm fast: on a wide path that must
 * not look like a growing queue. */
static void
test_clock_offset_and_drift (void)
{
  Sim *s = sim_new (20e6);
  RtfxRateState state;

  s->clock_offset_ns = G_GINT64_CONSTANT (987654321987654);
  s->clock_drift = 1e-4;
  run (s, 60000, NULL, NULL);
  rtfx_rate_control_state (s->rc, &state);
  g_assert_cmpuint (s->target, ==, limits.max_bps);
  g_assert_cmpuint (state.queue_delay_ms, <, 20);
  sim_free (s);
}

/* Nothing the browser writes in its feedback takes the target out of its limits or crashes. */
static void
test_garbage_feedback (void)
{
  g_autoptr (RtfxRateControl) rc = rtfx_rate_control_new (&limits);
  GRand *rand = g_rand_new_with_seed (42);
  RtfxPacketFeedback packets[64];
  gint64 now_us = 1;

  for (guint round = 0; round < 20000; round++) {
    guint n = g_rand_int_range (rand, 0, G_N_ELEMENTS (packets));
    guint target;

    for (guint i = 0; i < n; i++) {
      packets[i].send_ns = g_rand_int_range (rand, 0, 1 << 30) *
          (gint64) g_rand_int_range (rand, 1, 1 << 30);
      packets[i].arrival_ns = g_rand_boolean (rand) ? -1 :
          g_rand_int_range (rand, 0, 1 << 30) *
          (gint64) g_rand_int_range (rand, 1, 1 << 30);
      packets[i].size = g_rand_int (rand);
    }
    now_us += g_rand_int_range (rand, 0, 300000);
    target = rtfx_rate_control_update (rc, packets, n, now_us);
    g_assert_cmpuint (target, >=, limits.min_bps);
    g_assert_cmpuint (target, <=, limits.max_bps);
  }
  g_rand_free (rand);
}

/* Without any feedback the start rate holds. */
static void
test_no_feedback (void)
{
  g_autoptr (RtfxRateControl) rc = rtfx_rate_control_new (&limits);
  RtfxRateState state;

  rtfx_rate_control_state (rc, &state);
  g_assert_cmpuint (state.target_bps, ==, limits.start_bps);
  g_assert_cmpuint (rtfx_rate_control_update (rc, NULL, 0, 1000000), ==,
      limits.start_bps);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ratecontrol/ramp", test_ramp);
  g_test_add_func ("/ratecontrol/narrow-path", test_narrow_path);
  g_test_add_func ("/ratecontrol/narrow-then-wide", test_narrow_then_wide);
  g_test_add_func ("/ratecontrol/stall", test_stall);
  g_test_add_func ("/ratecontrol/limits", test_limits);
  g_test_add_func ("/ratecontrol/sender-makes-less", test_sender_makes_less);
  g_test_add_func ("/ratecontrol/clock-offset-and-drift",
      test_clock_offset_and_drift);
  g_test_add_func ("/ratecontrol/garbage-feedback", test_garbage_feedback);
  g_test_add_func ("/ratecontrol/no-feedback", test_no_feedback);
  return g_test_run ();
}
