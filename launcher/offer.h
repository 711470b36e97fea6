/* What the server takes from a browser's offer before any pipeline exists: its video section, the
 * codec to answer with, and the codec preferences for webrtcbin's sending transceiver. Everything
 * here reads bytes a remote page chose, so every field is checked before it is used. */
#pragma once

#include <gst/gst.h>
#include <gst/sdp/sdp.h>

G_BEGIN_DECLS

typedef enum
{
  RTFX_CODEC_VP8,
  RTFX_CODEC_H264,
} RtfxCodec;

typedef struct
{
  GstSDPMessage *sdp;           /* the whole offer, parsed */
  const GstSDPMedia *video;     /* its first video section, borrowed from sdp */
  RtfxCodec codec;
  gint pt;                      /* the offered payload type of codec, 0-127 */
  GstCaps *preferences;         /* codec-preferences for the sending transceiver */
} RtfxOffer;

/* Parses text and chooses VP8 (or constrained-baseline H.264 in packetization mode 1 when
 * h264_usable). On failure sets error with a sentence for the page and leaves offer empty. */
gboolean rtfx_offer_read (const gchar * text, gboolean h264_usable,
    RtfxOffer * offer, GError ** error);
void rtfx_offer_clear (RtfxOffer * offer);

const gchar *rtfx_codec_name (RtfxCodec codec);

G_END_DECLS
