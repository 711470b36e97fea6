/* The offer/answer exchange with a session's webrtcbin: the page's offer applied, the answer made
 * and set, each step a promise that webrtcbin answers on its own thread; and its end, after which
 * nothing of it runs or is left behind. */
#pragma once

#include <gst/gst.h>
#include <gst/sdp/sdp.h>

#include "protocol.h"

G_BEGIN_DECLS

typedef struct _RtfxNegotiation RtfxNegotiation;

/* What the exchange tells its pipeline, on webrtcbin's threads, never after rtfx_negotiation_stop. */
typedef struct
{
  /* The answer's SDP (taken), before it is set locally and gathering starts. */
  void (*answer) (gchar * sdp, gpointer data);
  void (*failed) (RtfxCode code, const gchar * reason, gpointer data);
} RtfxNegotiationEvents;

/* Applies offer to webrtc and answers it, asking the browser to start its own video at
 * start_kbps (answer.h). */
RtfxNegotiation *rtfx_negotiation_start (GstElement * webrtc,
    const GstSDPMessage * offer, guint start_kbps,
    const RtfxNegotiationEvents * events, gpointer data);

/* Asks no more of webrtcbin, waits (at most timeout_us) until it has run the steps already asked,
 * and frees the negotiation. Call before webrtcbin goes to NULL. */
void rtfx_negotiation_stop (RtfxNegotiation * negotiation, gint64 timeout_us);

G_END_DECLS
