/* The video's bitrate following the browser's transport-wide congestion control feedback: GStreamer's
 * RTP session reads the browser's feedback and sends it upstream as RTPTWCCPackets events, which
 * this catches at the encoder's output, hands to the controller (ratecontrol.c) and turns into the
 * encoder's bitrate. A browser that sends no feedback gets the start rate. */
#pragma once

#include "codec.h"
#include "ratecontrol.h"

G_BEGIN_DECLS

typedef struct _RtfxTwcc RtfxTwcc;

/* Follows the feedback reaching the output of encoder (a bin of rtfx_codec_make_encoder, encoding
 * at limits->start_bps) until rtfx_twcc_unref and the encoder's end. */
RtfxTwcc *rtfx_twcc_follow (GstElement * encoder, const RtfxCodec * codec,
    const RtfxRateLimits * limits, const gchar * peer);
void rtfx_twcc_unref (RtfxTwcc * twcc);

/* Any thread. */
void rtfx_twcc_state (RtfxTwcc * twcc, RtfxRateState * state);

G_END_DECLS
