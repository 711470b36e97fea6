/* Reading a browser's offer: see offer.h. */
#include "offer.h"

#include <string.h>

#include "codec.h"
#include "protocol.h"

#define TWCC_URI "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
/* RTP payload types are 7 bits; extension ids of RFC 8285 are 1-255. */
#define PT_MAX 127
#define EXTMAP_ID_MAX 255

/* GStreamer turns the names an offer uses (attributes, fmtp parameters, rtcp-fb types, ssrc
 * attributes) into GQuarks when it makes caps of them, here and in webrtcbin, and a GQuark is never
 * freed: a page sending new names offer after offer would grow the server for good. So the offer
 * keeps only the names browsers use, and a few ssrc lines; the rest is dropped, not refused. */
static const gchar *const known_attributes[] = {
  "group", "msid-semantic", "extmap-allow-mixed", "ice-ufrag", "ice-pwd",
  "ice-options", "ice-lite", "fingerprint", "setup", "mid", "extmap",
  "sendrecv", "sendonly", "recvonly", "inactive", "msid", "rtcp", "rtcp-mux",
  "rtcp-mux-only", "rtcp-rsize", "rtpmap", "rtcp-fb", "fmtp", "ssrc",
  "ssrc-group", "sctp-port", "max-message-size", "sctpmap", "candidate",
  "end-of-candidates", "simulcast", "rid", "bundle-only", "framerate", "ptime",
  "maxptime", "tls-id", NULL
};

static const gchar *const known_fmtp_parameters[] = {
  "apt", "profile-level-id", "packetization-mode", "level-asymmetry-allowed",
  "profile-id", "level-idx", "profile", "tier", "max-fs", "max-fr",
  "max-mbps", "max-br", "max-dpb", "max-smbps", "sprop-parameter-sets",
  "useinbandfec", "usedtx", "minptime", "stereo", "sprop-stereo",
  "maxplaybackrate", "sprop-maxcapturerate", "maxaveragebitrate", "cbr",
  "repair-window", "rtx-time", "x-google-min-bitrate", "x-google-max-bitrate",
  "x-google-start-bitrate", NULL
};

static const gchar *const known_rtcp_feedback[] = {
  "nack", "nack pli", "ccm fir", "goog-remb", "transport-cc", NULL
};

static const gchar *const known_ssrc_attributes[] = {
  "cname", "msid", "mslabel", "label", NULL
};

/* Browsers send two to four ssrc lines a video. */
#define SSRC_LINES_MAX 8

/* A decimal number from min to max and nothing else, or -1. */
static gint
parse_number (const gchar * text, gint min, gint max)
{
  guint64 value;

  if (text == NULL || !g_ascii_isdigit (text[0]) ||
      !g_ascii_string_to_unsigned (text, 10, min, max, &value, NULL))
    return -1;
  return (gint) value;
}

/* The fmtp value "PT name=value;…" with only the known parameters, or NULL if none is left. */
static gchar *
known_fmtp (const gchar * value)
{
  const gchar *params = strchr (value, ' ');
  g_autoptr (GPtrArray) kept = g_ptr_array_new_with_free_func (g_free);
  g_auto (GStrv) pairs = NULL;
  g_autofree gchar *joined = NULL;

  if (params == NULL)
    return NULL;
  pairs = g_strsplit (params + 1, ";", -1);
  for (gchar ** p = pairs; *p; p++) {
    g_autofree gchar *name = g_strndup (*p, strcspn (*p, "="));

    if (g_strv_contains (known_fmtp_parameters, g_strstrip (name)))
      g_ptr_array_add (kept, g_strdup (g_strstrip (*p)));
  }
  if (kept->len == 0)
    return NULL;
  g_ptr_array_add (kept, NULL);
  joined = g_strjoinv (";", (gchar **) kept->pdata);
  return g_strdup_printf ("%.*s %s", (int) (params - value), value, joined);
}

/* Whether "PT type[ subtype]" is feedback browsers use. */
static gboolean
known_feedback (const gchar * value)
{
  const gchar *type = strchr (value, ' ');

  return type != NULL && g_strv_contains (known_rtcp_feedback, type + 1);
}

/* Whether "SSRC name[:value]" names a known ssrc attribute; counts them in *n. */
static gboolean
known_ssrc (const gchar * value, guint * n)
{
  const gchar *name = strchr (value, ' ');
  g_autofree gchar *attribute = name ?
      g_strndup (name + 1, strcspn (name + 1, ":")) : NULL;

  return attribute != NULL && g_strv_contains (known_ssrc_attributes,
      attribute) && ++*n <= SSRC_LINES_MAX;
}

/* Whether "ID[/DIRECTION] URI" has an extension id GStreamer can name a field after. */
static gboolean
known_extmap (const gchar * value)
{
  g_autofree gchar *id = g_strndup (value, strcspn (value, "/ "));

  return parse_number (id, 1, EXTMAP_ID_MAX) > 0 && strchr (value, ' ');
}

/* The attribute as it may stay in the offer (a new value in *value, or the same), or FALSE. */
static gboolean
keep_attribute (const GstSDPAttribute * a, gchar ** value, guint * ssrc_lines)
{
  const gchar *v = a->value ? a->value : "";

  *value = NULL;
  if (!g_strv_contains (known_attributes, a->key))
    return FALSE;
  if (g_str_equal (a->key, "fmtp"))
    return (*value = known_fmtp (v)) != NULL;
  if (g_str_equal (a->key, "rtcp-fb"))
    return known_feedback (v);
  if (g_str_equal (a->key, "ssrc"))
    return known_ssrc (v, ssrc_lines);
  if (g_str_equal (a->key, "extmap"))
    return known_extmap (v);
  return TRUE;
}

static void
keep_known_media_attributes (GstSDPMedia * media)
{
  guint ssrc_lines = 0;

  for (gint i = gst_sdp_media_attributes_len (media) - 1; i >= 0; i--) {
    const GstSDPAttribute *a = gst_sdp_media_get_attribute (media, i);
    g_autofree gchar *value = NULL;
    GstSDPAttribute replaced;

    if (!keep_attribute (a, &value, &ssrc_lines)) {
      gst_sdp_media_remove_attribute (media, i);
    } else if (value != NULL) {
      gst_sdp_attribute_set (&replaced, a->key, value);
      gst_sdp_media_replace_attribute (media, i, &replaced);
    }
  }
}

static void
keep_known (GstSDPMessage * sdp)
{
  guint ssrc_lines = 0;

  for (gint i = gst_sdp_message_attributes_len (sdp) - 1; i >= 0; i--) {
    const GstSDPAttribute *a = gst_sdp_message_get_attribute (sdp, i);
    g_autofree gchar *value = NULL;

    if (!keep_attribute (a, &value, &ssrc_lines) || value != NULL)
      gst_sdp_message_remove_attribute (sdp, i);
  }
  /* The message gives its media read-only; they are its own, and changed in place. */
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++)
    keep_known_media_attributes ((GstSDPMedia *)
        gst_sdp_message_get_media (sdp, i));
}

/* The first format of the video section that is codec's and fits it, or -1. */
static gint
find_format (const GstSDPMedia * media, const RtfxCodec * codec)
{
  for (guint i = 0; i < gst_sdp_media_formats_len (media); i++) {
    gint format = parse_number (gst_sdp_media_get_format (media, i), 0, PT_MAX);
    g_autoptr (GstCaps) caps = NULL;
    const GstStructure *s;

    if (format < 0)
      continue;
    caps = gst_sdp_media_get_caps_from_media (media, format);
    if (caps == NULL || gst_caps_is_empty (caps))
      continue;
    s = gst_caps_get_structure (caps, 0);
    if (g_strcmp0 (gst_structure_get_string (s, "encoding-name"),
            codec->encoding_name) == 0 && codec->fits (s))
      return format;
  }
  return -1;
}

/* The first format of the video section that is not a payload type, or NULL. */
static const gchar *
bad_payload_type (const GstSDPMedia * media)
{
  for (guint i = 0; i < gst_sdp_media_formats_len (media); i++) {
    const gchar *format = gst_sdp_media_get_format (media, i);
    if (parse_number (format, 0, PT_MAX) < 0)
      return format ? format : "";
  }
  return NULL;
}

/* "a=extmap:ID[/DIRECTION] URI [ATTRIBUTES]": the id of the extension uri, or -1 (also for lines
 * that are malformed: they are ignored, not trusted). */
static gint
extension_id (const GstSDPMedia * media, const gchar * uri)
{
  for (guint i = 0; i < gst_sdp_media_attributes_len (media); i++) {
    const GstSDPAttribute *a = gst_sdp_media_get_attribute (media, i);
    g_auto (GStrv) fields = NULL;
    g_autofree gchar *id = NULL;

    if (g_strcmp0 (a->key, "extmap") != 0 || a->value == NULL)
      continue;
    fields = g_strsplit (a->value, " ", 3);
    if (fields[0] == NULL || fields[1] == NULL ||
        !g_str_equal (fields[1], uri))
      continue;
    id = g_strndup (fields[0], strcspn (fields[0], "/"));
    return parse_number (id, 1, EXTMAP_ID_MAX);
  }
  return -1;
}

/* The offer's caps for pt in media, of kind "video" or "audio", which webrtcbin takes as a
 * transceiver's codec preferences. */
static GstCaps *
media_caps (const GstSDPMedia * media, gint pt, const gchar * kind)
{
  GstCaps *caps = gst_sdp_media_get_caps_from_media (media, pt);

  /* The SDP helper names its caps application/x-unknown. */
  gst_structure_set_name (gst_caps_get_structure (caps, 0), "application/x-rtp");
  gst_caps_set_simple (caps, "media", G_TYPE_STRING, kind, NULL);
  return caps;
}

/* Accepts the offered extension uri, if it is offered: the payloader then adds it to what it sends
 * (auto-header-extension). */
static void
accept_extension (GstCaps * caps, const GstSDPMedia * media, const gchar * uri)
{
  gint id = extension_id (media, uri);

  if (id > 0) {
    g_autofree gchar *field = g_strdup_printf ("extmap-%d", id);
    gst_caps_set_simple (caps, field, G_TYPE_STRING, uri, NULL);
  }
}

static GstCaps *
codec_preferences (const GstSDPMedia * media, gint pt)
{
  GstCaps *caps = media_caps (media, pt, "video");

  /* Transport-wide congestion control: with it the browser learns what the path carries and raises
   * its bitrate (and picture size) from its cautious start; without it, it stays there. */
  accept_extension (caps, media, TWCC_URI);
  /* Playout delay (--playout-delay): the browser shows each processed frame as soon as it is
   * decoded, instead of holding it for a jitter buffer sized for a call. */
  accept_extension (caps, media, RTFX_PLAYOUT_DELAY_URI);
  /* The browser asks for keyframes with PLI and FIR; the answer must accept them. */
  gst_caps_set_simple (caps, "rtcp-fb-nack-pli", G_TYPE_BOOLEAN, TRUE,
      "rtcp-fb-ccm-fir", G_TYPE_BOOLEAN, TRUE, NULL);
  return caps;
}

/* The first Opus format of the first audio section (Opus at 48 kHz is what every browser sends and
 * opusenc makes). The audio's bitrate is small and steady: it takes no part in the transport-wide
 * feedback twcc.c follows for the video. */
static void
read_audio (RtfxOffer * offer)
{
  for (guint i = 0; i < gst_sdp_message_medias_len (offer->sdp); i++) {
    const GstSDPMedia *m = gst_sdp_message_get_media (offer->sdp, i);

    if (g_strcmp0 (gst_sdp_media_get_media (m), "audio") != 0)
      continue;
    for (guint f = 0; f < gst_sdp_media_formats_len (m); f++) {
      gint format = parse_number (gst_sdp_media_get_format (m, f), 0, PT_MAX);
      g_autoptr (GstCaps) caps = format < 0 ? NULL :
          gst_sdp_media_get_caps_from_media (m, format);
      const GstStructure *s;
      gint rate = 0;

      if (caps == NULL || gst_caps_is_empty (caps))
        continue;
      s = gst_caps_get_structure (caps, 0);
      if (g_strcmp0 (gst_structure_get_string (s, "encoding-name"), "OPUS") == 0
          && gst_structure_get_int (s, "clock-rate", &rate) && rate == 48000) {
        offer->audio_pt = format;
        offer->audio_preferences = media_caps (m, format, "audio");
        return;
      }
    }
    return;                     /* the first audio section only, as for the video */
  }
}

static gboolean
fail (RtfxOffer * offer, GError ** error, RtfxCode code, const gchar * message)
{
  g_set_error_literal (error, RTFX_PROTOCOL_ERROR, code, message);
  rtfx_offer_clear (offer);
  return FALSE;
}

gboolean
rtfx_offer_read (const gchar * text,
    gboolean (*usable) (const RtfxCodec * codec), RtfxOffer * offer,
    GError ** error)
{
  const gchar *bad;

  memset (offer, 0, sizeof (*offer));
  offer->pt = -1;
  offer->audio_pt = -1;
  if (text[0] == '\0' ||
      gst_sdp_message_new_from_text (text, &offer->sdp) != GST_SDP_OK ||
      offer->sdp == NULL || gst_sdp_message_medias_len (offer->sdp) == 0)
    return fail (offer, error, RTFX_CODE_BAD_OFFER,
        "the offer's SDP cannot be parsed");
  keep_known (offer->sdp);
  for (guint i = 0; i < gst_sdp_message_medias_len (offer->sdp); i++) {
    const GstSDPMedia *m = gst_sdp_message_get_media (offer->sdp, i);
    if (g_strcmp0 (gst_sdp_media_get_media (m), "video") == 0) {
      offer->video = m;
      break;
    }
  }
  if (offer->video == NULL)
    return fail (offer, error, RTFX_CODE_BAD_OFFER, "the offer has no video");
  /* webrtcbin would take any number as a payload type, and answer with a disabled section. */
  if ((bad = bad_payload_type (offer->video)) != NULL) {
    g_autofree gchar *quoted = rtfx_quote (bad);
    g_autofree gchar *message = g_strdup_printf ("the offer's video has '%s' "
        "where a payload type from 0 to %d belongs", quoted, PT_MAX);
    return fail (offer, error, RTFX_CODE_BAD_OFFER, message);
  }
  for (const RtfxCodec * const *c = rtfx_codecs; *c && offer->pt < 0; c++)
    if (usable (*c) && (offer->pt = find_format (offer->video, *c)) >= 0)
      offer->codec = *c;
  if (offer->pt < 0)
    return fail (offer, error, RTFX_CODE_NO_CODEC,
        "the offer's video has neither VP8 nor "
        "constrained-baseline H.264 in packetization mode 1");
  offer->preferences = codec_preferences (offer->video, offer->pt);
  read_audio (offer);
  return TRUE;
}

void
rtfx_offer_clear (RtfxOffer * offer)
{
  g_clear_pointer (&offer->sdp, gst_sdp_message_free);
  offer->video = NULL;
  gst_clear_caps (&offer->preferences);
  gst_clear_caps (&offer->audio_preferences);
  offer->pt = -1;
  offer->audio_pt = -1;
}
