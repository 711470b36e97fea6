/* The bitrate controller: see ratecontrol.h.
 *
 * Each report gives, for the packets it covers, when they were sent and when they arrived. Three
 * figures come of it:
 *   - the queueing delay: the least arrival - send of the packets sent in the last quarter second
 *     (a frame's packets leave together, and all but the first also wait for the ones before them;
 *     only a queue that stands longer than a keyframe's burst counts), less the least such value of the last half minute (the path's own
 *     delay and the offset between the two clocks; a window, so that the clocks may drift);
 *   - the acknowledged rate: the bytes that arrived over the last second of the browser's clock,
 *     and the drain rate: those of the last quarter second (while a queue stands, the path's rate);
 *   - the loss: the fraction of the packets of the last second reported lost, of those sent since
 *     the last cut (the ones before went out at the old rate: their loss says nothing of the new).
 * A queue that grows, or packets that are lost, mean the server sends more than the path carries:
 * the target drops below the drain rate, so the queue drains. That rate, and not the last second's,
 * is what the path carries: after a stall (nothing arrives for half a second, then all at once)
 * the last second's holds the gap, and a narrowing's holds the wider rate before it. Otherwise the target grows: quickly
 * (multiplying) while it is far from any rate the path was found to be full at, and by a small step
 * a second near the last such rate, so that it probes the path's rate without overflowing its queue
 * (a queue of half a second at 1 Mbit/s fills in a second at 1.5 times the rate, but takes a few
 * seconds at 1.05 times, and the growing delay cuts the target first). Well above that rate with
 * no queue, the path has widened: that rate is forgotten. It never runs far ahead of what
 * actually arrives (an encoder filming a still picture makes less than it is asked for), and stays
 * within the limits. */
#include "ratecontrol.h"

#include <math.h>

#define NS_PER_MS G_GINT64_CONSTANT (1000000)
#define NS_PER_S G_GINT64_CONSTANT (1000000000)
#define US_PER_MS G_GINT64_CONSTANT (1000)

/* Queueing delay above which the path is taken as full, and below which there is room. Between
 * the two the target holds. */
#define OVERUSE_DELAY_MS 40
#define ROOM_DELAY_MS 20
/* A queue this long needs a deeper cut to drain in a second or two. */
#define DRAIN_DELAY_MS 150
/* Loss above which the target drops, and below which it may grow. */
#define LOSS_HIGH 0.10
#define LOSS_LOW 0.02
/* A cut takes effect only after the packets already on their way have arrived. */
#define DECREASE_INTERVAL_US (300 * US_PER_MS)
/* Growth per second: far from the rate at which the path was last full, a factor; from NEAR_BELOW
 * up to NEAR_ABOVE times that rate, a step of NEAR_STEP times it. A deep cut (a queue that drained
 * all at once when a limit was lifted) thus gets back to near that rate in a second or two, where a
 * step all the way took 12 s. */
#define GROWTH_FAR 1.5
#define NEAR_BELOW 0.85
#define NEAR_ABOVE 1.15
#define NEAR_STEP 0.05
/* The target may exceed the acknowledged rate by this much, and no more. */
#define ACKED_HEADROOM 1.5

#define RATE_WINDOW_NS NS_PER_S
#define DRAIN_WINDOW_NS (NS_PER_S / 4)
#define QUEUE_WINDOW_NS (NS_PER_S / 4)
#define LOSS_WINDOW_US G_USEC_PER_SEC
/* The path's own delay is the least of BASE_BUCKETS minima of BASE_BUCKET_US each. */
#define BASE_BUCKETS 10
#define BASE_BUCKET_US (3 * G_USEC_PER_SEC)
/* Packets kept for the acknowledged rate: a second at more than 20 Mbit/s. */
#define ACKED_MAX 2048
#define REPORTS_MAX 64

typedef struct
{
  gint64 send_ns;
  gint64 arrival_ns;
  guint size;
} Acked;

typedef struct
{
  gint64 time_us;
  guint lost;
  guint total;
} Report;

struct _RtfxRateControl
{
  RtfxRateLimits limits;
  gdouble target;               /* bit/s */
  gint64 last_update_us;        /* 0: none yet */
  gint64 last_decrease_us;      /* 0: none yet */
  gdouble full_at;              /* bit/s that arrived when the path was last full; 0: none */

  Acked acked[ACKED_MAX];       /* a ring of the arrived packets, oldest at acked_head */
  guint acked_head, acked_len;
  guint64 acked_bytes;          /* the sum of their sizes */

  Report reports[REPORTS_MAX];  /* a ring of the last reports' losses */
  guint reports_head, reports_len;
  gint64 reported_send_ns;      /* the latest sending time reported */
  gint64 loss_after_send_ns;    /* the losses of packets sent up to this do not count */

  gint64 base[BASE_BUCKETS];    /* minima of arrival - send, newest at base_newest */
  guint base_newest;
  gint64 base_bucket_start_us;

  guint queue_delay_ms;
  guint acked_bps;
  guint drain_bps;
  gdouble loss;
};

RtfxRateControl *
rtfx_rate_control_new (const RtfxRateLimits * limits)
{
  RtfxRateControl *rc = g_new0 (RtfxRateControl, 1);

  rc->limits = *limits;
  rc->target = CLAMP (limits->start_bps, limits->min_bps, limits->max_bps);
  rc->reported_send_ns = rc->loss_after_send_ns = G_MININT64;
  for (guint i = 0; i < BASE_BUCKETS; i++)
    rc->base[i] = G_MAXINT64;
  return rc;
}

void
rtfx_rate_control_free (RtfxRateControl * rc)
{
  g_free (rc);
}

/* --- the three figures ------------------------------------------------------------------- */

static void
add_acked (RtfxRateControl * rc, const RtfxPacketFeedback * p)
{
  if (rc->acked_len == ACKED_MAX) {
    rc->acked_bytes -= rc->acked[rc->acked_head].size;
    rc->acked_head = (rc->acked_head + 1) % ACKED_MAX;
    rc->acked_len--;
  }
  rc->acked[(rc->acked_head + rc->acked_len) % ACKED_MAX] = (Acked) {
  p->send_ns, p->arrival_ns, p->size};
  rc->acked_len++;
  rc->acked_bytes += p->size;
}

/* Bit/s over the last second of arrivals (over less at the start), or 0 while that is too short
 * to tell. */
static guint
acked_rate (RtfxRateControl * rc, gint64 latest_ns)
{
  gint64 span_ns;

  while (rc->acked_len > 0 &&
      rc->acked[rc->acked_head].arrival_ns < latest_ns - RATE_WINDOW_NS) {
    rc->acked_bytes -= rc->acked[rc->acked_head].size;
    rc->acked_head = (rc->acked_head + 1) % ACKED_MAX;
    rc->acked_len--;
  }
  if (rc->acked_len < 2)
    return 0;
  span_ns = latest_ns - rc->acked[rc->acked_head].arrival_ns;
  if (span_ns < RATE_WINDOW_NS / 4)
    return 0;
  return (guint) MIN (G_MAXUINT, rc->acked_bytes * 8 * NS_PER_S / span_ns);
}

/* Bit/s over the last DRAIN_WINDOW_NS of arrivals, or 0 while they span less than a quarter of
 * that time. */
static guint
drain_rate (const RtfxRateControl * rc, gint64 latest_ns)
{
  gint64 oldest_ns = latest_ns;
  guint64 bytes = 0;
  guint oldest_size = 0;

  /* All of them: a report lists packets in sending order, which reordering may change. */
  for (guint i = 0; i < rc->acked_len; i++) {
    const Acked *a = &rc->acked[(rc->acked_head + i) % ACKED_MAX];
    if (a->arrival_ns < latest_ns - DRAIN_WINDOW_NS)
      continue;
    if (a->arrival_ns < oldest_ns || oldest_size == 0) {
      oldest_ns = a->arrival_ns;
      oldest_size = a->size;
    }
    bytes += a->size;
  }
  if (latest_ns - oldest_ns < DRAIN_WINDOW_NS / 4)
    return 0;
  /* The oldest packet had arrived when the span began: its bytes are not in it. */
  return (guint) MIN (G_MAXUINT, (bytes - oldest_size) * 8 * NS_PER_S /
      (latest_ns - oldest_ns));
}

static gdouble
loss_fraction (RtfxRateControl * rc, guint lost, guint total, gint64 now_us)
{
  guint all_lost = 0, all = 0;

  if (rc->reports_len == REPORTS_MAX) {
    rc->reports_head = (rc->reports_head + 1) % REPORTS_MAX;
    rc->reports_len--;
  }
  rc->reports[(rc->reports_head + rc->reports_len) % REPORTS_MAX] = (Report) {
  now_us, lost, total};
  rc->reports_len++;
  while (rc->reports[rc->reports_head].time_us < now_us - LOSS_WINDOW_US) {
    rc->reports_head = (rc->reports_head + 1) % REPORTS_MAX;
    rc->reports_len--;
  }
  for (guint i = 0; i < rc->reports_len; i++) {
    const Report *r = &rc->reports[(rc->reports_head + i) % REPORTS_MAX];
    all_lost += r->lost;
    all += r->total;
  }
  return all ? (gdouble) all_lost / all : 0.0;
}

/* The least arrival - send of the packets sent in the last QUEUE_WINDOW_NS before latest_send_ns,
 * less the least of the last half minute, in ms. */
static guint
queue_delay (RtfxRateControl * rc, gint64 latest_send_ns, gint64 now_us)
{
  gint64 base = G_MAXINT64, recent = G_MAXINT64;

  for (guint i = 0; i < rc->acked_len; i++) {
    const Acked *a = &rc->acked[(rc->acked_head + i) % ACKED_MAX];
    if (a->send_ns >= latest_send_ns - QUEUE_WINDOW_NS)
      recent = MIN (recent, a->arrival_ns - a->send_ns);
  }

  if (rc->base_bucket_start_us == 0)
    rc->base_bucket_start_us = now_us;
  if (now_us - rc->base_bucket_start_us >= BASE_BUCKET_US) {
    rc->base_newest = (rc->base_newest + 1) % BASE_BUCKETS;
    rc->base[rc->base_newest] = G_MAXINT64;
    rc->base_bucket_start_us = now_us;
  }
  rc->base[rc->base_newest] = MIN (rc->base[rc->base_newest], recent);
  for (guint i = 0; i < BASE_BUCKETS; i++)
    base = MIN (base, rc->base[i]);
  return (guint) MIN ((recent - base) / NS_PER_MS, G_MAXUINT);
}

/* --- the decision ------------------------------------------------------------------------ */

static void
decrease (RtfxRateControl * rc, gint64 now_us)
{
  gdouble factor = rc->queue_delay_ms > DRAIN_DELAY_MS ? 0.7 : 0.85;
  /* What arrives is what the path carries (or all the encoder made): from the target instead, a
   * queue that takes several cuts to drain would cut it again and again. */
  gdouble from = rc->drain_bps ? rc->drain_bps :
      rc->acked_bps ? rc->acked_bps : rc->target;

  if (rc->last_decrease_us && now_us - rc->last_decrease_us <
      DECREASE_INTERVAL_US)
    return;
  factor = MIN (factor, 1.0 - rc->loss / 2);
  /* No more than half at once: an encoder starved of frames (a busy machine, a still picture)
   * makes little, and one late report would otherwise cut the target to that little. A path that
   * really narrowed that much takes a few cuts, a third of a second apart. */
  rc->target = MIN (rc->target, MAX (factor * from, rc->target / 2));
  rc->full_at = from;
  rc->last_decrease_us = now_us;
  rc->reports_len = 0;
  rc->loss_after_send_ns = rc->reported_send_ns;
}

static void
increase (RtfxRateControl * rc, gint64 now_us)
{
  gdouble seconds = rc->last_update_us ?
      MIN (now_us - rc->last_update_us, G_USEC_PER_SEC) /
      (gdouble) G_USEC_PER_SEC : 0.0;
  gdouble grown, cap;

  if (rc->full_at > 0 && rc->target > NEAR_ABOVE * rc->full_at)
    rc->full_at = 0;
  if (rc->full_at == 0)
    grown = rc->target * pow (GROWTH_FAR, seconds);
  else if (rc->target < NEAR_BELOW * rc->full_at)
    grown = MIN (rc->target * pow (GROWTH_FAR, seconds),
        NEAR_BELOW * rc->full_at);
  else
    grown = rc->target + NEAR_STEP * rc->full_at * seconds;
  cap = MAX (rc->limits.start_bps, ACKED_HEADROOM * rc->acked_bps);

  /* Held below the cap, but not cut by it: that is for congestion to do. */
  rc->target = MAX (rc->target, MIN (grown, cap));
}

guint
rtfx_rate_control_update (RtfxRateControl * rc,
    const RtfxPacketFeedback * packets, guint n, gint64 now_us)
{
  gint64 latest_arrival_ns = G_MININT64, latest_send_ns = G_MININT64;
  guint arrived = 0, lost = 0, counted = 0;

  for (guint i = 0; i < n; i++) {
    const RtfxPacketFeedback *p = &packets[i];

    rc->reported_send_ns = MAX (rc->reported_send_ns, p->send_ns);
    if (p->send_ns > rc->loss_after_send_ns) {
      counted++;
      lost += p->arrival_ns < 0;
    }
    if (p->arrival_ns < 0)
      continue;
    arrived++;
    latest_arrival_ns = MAX (latest_arrival_ns, p->arrival_ns);
    latest_send_ns = MAX (latest_send_ns, p->send_ns);
    add_acked (rc, p);
  }
  if (n > 0)
    rc->loss = loss_fraction (rc, lost, counted, now_us);
  if (arrived > 0) {
    rc->acked_bps = acked_rate (rc, latest_arrival_ns);
    rc->drain_bps = drain_rate (rc, latest_arrival_ns);
    rc->queue_delay_ms = queue_delay (rc, latest_send_ns, now_us);
  }

  if (rc->queue_delay_ms > OVERUSE_DELAY_MS || rc->loss > LOSS_HIGH)
    decrease (rc, now_us);
  else if (rc->queue_delay_ms < ROOM_DELAY_MS && rc->loss < LOSS_LOW)
    increase (rc, now_us);
  rc->target = CLAMP (rc->target, rc->limits.min_bps, rc->limits.max_bps);
  rc->last_update_us = now_us;
  return (guint) rc->target;
}

void
rtfx_rate_control_state (const RtfxRateControl * rc, RtfxRateState * state)
{
  state->target_bps = (guint) rc->target;
  state->acked_bps = rc->acked_bps;
  state->queue_delay_ms = rc->queue_delay_ms;
  state->loss = rc->loss;
}
