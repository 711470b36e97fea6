/* What the server takes from a browser's offer before any pipeline exists: its video section, the
 * codec to answer with, and the codec preferences for webrtcbin's sending transceiver; the same for
 * its microphone's Opus, if it offers one. Everything
 * here reads bytes a remote page chose, so every field is checked before it is used. */
#pragma once

#include <gst/gst.h>
#include <gst/sdp/sdp.h>

#include "codec.h"

G_BEGIN_DECLS

typedef struct
{
  GstSDPMessage *sdp;           /* the whole offer, parsed */
  const GstSDPMedia *video;     /* its first video section, borrowed from sdp */
  const RtfxCodec *codec;       /* the one to answer with */
  gint pt;                      /* its offered payload type, 0-127 */
  GstCaps *preferences;         /* codec-preferences for the sending transceiver */
  gint audio_pt;                /* the first audio section's Opus payload type, or -1 */
  GstCaps *audio_preferences;   /* its codec-preferences; NULL without Opus */
} RtfxOffer;

/* Parses text and chooses the first codec of rtfx_codecs that usable accepts and the offer has in
 * a format that fits, and the Opus of its first audio section (an offer without one is no error). On failure sets error (RTFX_PROTOCOL_ERROR, bad-offer or no-codec) with a
 * sentence for the page and leaves offer empty. */
gboolean rtfx_offer_read (const gchar * text,
    gboolean (*usable) (const RtfxCodec * codec), RtfxOffer * offer,
    GError ** error);
void rtfx_offer_clear (RtfxOffer * offer);

G_END_DECLS
