/* The encoder's bitrate from the browser's transport-wide congestion control feedback: a small
 * delay- and loss-based controller (docs/performance.md, "Bitrate that follows the link"). It only
 * computes; twcc.c feeds it GStreamer's feedback events and sets the encoder. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint min_bps;                /* floor and ceiling of the target */
  guint start_bps;              /* before any feedback */
  guint max_bps;
} RtfxRateLimits;

/* One sent packet as the browser's feedback reports it. The two clocks are unrelated: only
 * differences of arrival - send between packets mean something. */
typedef struct
{
  gint64 send_ns;               /* when the server sent it, on the server's clock */
  gint64 arrival_ns;            /* when the browser received it, on its clock; < 0: lost */
  guint size;                   /* bytes */
} RtfxPacketFeedback;

typedef struct
{
  guint target_bps;             /* what the encoder is asked for */
  guint acked_bps;              /* what reached the browser over the last second */
  guint queue_delay_ms;         /* how long packets wait in the path's queues now */
  gdouble loss;                 /* fraction of packets lost over the last second */
} RtfxRateState;

typedef struct _RtfxRateControl RtfxRateControl;

RtfxRateControl *rtfx_rate_control_new (const RtfxRateLimits * limits);
void rtfx_rate_control_free (RtfxRateControl * rc);

/* One feedback report (its packets in sending order), received at now_us on the monotonic clock.
 * Returns the new target in bit/s. */
guint rtfx_rate_control_update (RtfxRateControl * rc,
    const RtfxPacketFeedback * packets, guint n, gint64 now_us);

void rtfx_rate_control_state (const RtfxRateControl * rc, RtfxRateState * state);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtfxRateControl, rtfx_rate_control_free)

G_END_DECLS
