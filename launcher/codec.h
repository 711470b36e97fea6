/* The video codecs rtfx-launch answers with: one table entry per codec holds all the server knows
 * about it (its SDP name, the elements it needs, how to decode, encode and payload it, which offered
 * formats fit), in the order the server prefers them. Adding a codec is adding an entry. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* An element a codec needs, and the Debian package that has it. */
typedef struct
{
  const gchar *factory;
  const gchar *package;
} RtfxElementNeed;

typedef struct
{
  const gchar *encoding_name;   /* as SDP and RTP caps write it: "VP8", "H264" */
  const gchar *display_name;    /* for people: "H.264" */
  const gchar *media_type;      /* its encoded frames' caps name, as recordings take them */
  const RtfxElementNeed *needs; /* ends with an entry whose factory is NULL */
  const gchar *decoder;         /* gst-launch: depayloader ! decoder */
  /* gst-launch: encoder ! payloader, with %d for the payload type; named "encoder" and "payloader" */
  const gchar *encoder;
  const gchar *bitrate_property;        /* the encoder's, set while it runs */
  guint bitrate_unit;           /* in bit/s: 1 for bit/s, 1000 for kbit/s */
  /* Whether an offered format (its RTP caps structure) is one our encoder makes and browsers decode. */
  gboolean (*fits) (const GstStructure * rtp);
} RtfxCodec;

/* The codecs, most preferred first; NULL-terminated. The first one is required: rtfx-launch does
 * not start without its elements. */
extern const RtfxCodec *const rtfx_codecs[];

/* The codec whose SDP name is encoding_name, or NULL. */
const RtfxCodec *rtfx_codec_find (const gchar * encoding_name);

/* Whether every element of needs is installed; if not, error names the first missing one and its
 * package. */
gboolean rtfx_elements_check (const RtfxElementNeed * needs, GError ** error);

/* rtfx_elements_check of the codec's elements. */
gboolean rtfx_codec_check (const RtfxCodec * codec, GError ** error);

/* rtfx_codec_check without the error: the codec may be offered to pages. */
gboolean rtfx_codec_usable (const RtfxCodec * codec);

/* A bin with the codec's encoder and payloader for payload type pt, encoding at bps bit/s, or NULL
 * and an error. */
GstElement *rtfx_codec_make_encoder (const RtfxCodec * codec, gint pt,
    guint bps, GError ** error);

/* Sets the bitrate of the encoder in a bin of rtfx_codec_make_encoder; any thread. */
void rtfx_codec_set_bitrate (const RtfxCodec * codec, GstElement * encoder,
    guint bps);

/* A bin with the codec's depayloader and decoder; NULL for no codec (NULL) or on failure. */
GstElement *rtfx_codec_make_decoder (const RtfxCodec * codec);

/* Where the encoded frames pass in a bin of rtfx_codec_make_decoder (the depayloader's output) or
 * of rtfx_codec_make_encoder (the encoder's): a source pad, for recordings. */
GstPad *rtfx_codec_depayloaded_pad (GstElement * decoder);
GstPad *rtfx_codec_encoded_pad (GstElement * encoder);

/* The playout-delay RTP header extension (the rtfx plugin's rtfxhdrextplayoutdelay). */
#define RTFX_PLAYOUT_DELAY_URI "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay"

/* Makes the payloader of a bin of rtfx_codec_make_encoder tell the browser to hold each frame at
 * most max_delay_ms before showing it, when the browser accepts the extension (the answer's caps
 * have it: offer.c); 0: show each frame as soon as it is decoded. */
void rtfx_codec_set_playout_delay (GstElement * encoder, guint max_delay_ms);

G_END_DECLS
