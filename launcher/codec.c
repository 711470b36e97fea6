/* The codec table: see codec.h. */
#include "codec.h"

#include <gst/rtp/rtp.h>

static gboolean
vp8_fits (const GstStructure * rtp)
{
  return TRUE;
}

/* Constrained baseline (profile-level-id 42e0xx, which GStreamer's SDP helper turns into a profile
 * field) in packetization mode 1 is what x264enc makes here and every browser decodes. */
static gboolean
h264_fits (const GstStructure * rtp)
{
  return g_strcmp0 (gst_structure_get_string (rtp, "packetization-mode"),
      "1") == 0 && g_strcmp0 (gst_structure_get_string (rtp, "profile"),
      "constrained-baseline") == 0;
}

static const RtfxElementNeed vp8_needs[] = {
  {"rtpvp8depay", "gstreamer1.0-plugins-good"},
  {"vp8dec", "gstreamer1.0-plugins-good"},
  {"vp8enc", "gstreamer1.0-plugins-good"},
  {"rtpvp8pay", "gstreamer1.0-plugins-good"},
  {NULL, NULL},
};

static const RtfxElementNeed h264_needs[] = {
  {"rtph264depay", "gstreamer1.0-plugins-good"},
  {"avdec_h264", "gstreamer1.0-libav"},
  {"x264enc", "gstreamer1.0-plugins-ugly"},
  {"rtph264pay", "gstreamer1.0-plugins-good"},
  {NULL, NULL},
};

/* Encoders tuned for a call, not a file: no look-ahead, real-time deadline, constant bitrate, and
 * keyframes whenever the browser asks (they honour force-key-unit events, which webrtcbin makes
 * from PLI and FIR). The bitrate follows the path (twcc.c), so the rate control must follow it
 * within a second: a one-second buffer instead of vp8enc's six, little overshoot, and keyframes
 * capped at 4.5 frames' worth of bits, so that one does not flood a narrow path (libvpx's
 * real-time settings, as browsers use them). One thread at a fixed speed: libvpx's threads wait for
 * each other by spinning, which burns the CPU whenever they cannot run at once, and a positive
 * cpu-used lets libvpx slow itself down to fill half of each frame interval. -16 is libvpx's
 * fastest (Chromium uses -6 on desktops, as aiortc, and -12 on phones): less CPU than either, and
 * in whole sessions a finer picture at the same bitrate (docs/performance.md, "Encoder settings"). */
static const RtfxCodec vp8 = {
  .encoding_name = "VP8",
  .display_name = "VP8",
  .media_type = "video/x-vp8",
  .needs = vp8_needs,
  .decoder = "rtpvp8depay ! vp8dec",
  .encoder = "vp8enc name=encoder deadline=1 cpu-used=-16 lag-in-frames=0 "
      "end-usage=cbr error-resilient=default keyframe-max-dist=300 threads=1 "
      "buffer-size=1000 buffer-initial-size=500 buffer-optimal-size=600 "
      "undershoot=100 overshoot=15 max-intra-bitrate=450 "
      "! rtpvp8pay name=payloader picture-id-mode=15-bit mtu=1200 pt=%d",
  .bitrate_property = "target-bitrate",
  .bitrate_unit = 1,
  .fits = vp8_fits,
};

static const RtfxCodec h264 = {
  .encoding_name = "H264",
  .display_name = "H.264",
  .media_type = "video/x-h264",
  .needs = h264_needs,
  .decoder = "rtph264depay ! avdec_h264",
  .encoder = "x264enc name=encoder tune=zerolatency speed-preset=ultrafast "
      "key-int-max=300 "
      "! video/x-h264,profile=constrained-baseline "
      "! rtph264pay name=payloader config-interval=-1 aggregate-mode=zero-latency mtu=1200 pt=%d",
  .bitrate_property = "bitrate",
  .bitrate_unit = 1000,
  .fits = h264_fits,
};

const RtfxCodec *const rtfx_codecs[] = { &vp8, &h264, NULL };

const RtfxCodec *
rtfx_codec_find (const gchar * encoding_name)
{
  for (const RtfxCodec * const *c = rtfx_codecs; *c; c++)
    if (g_strcmp0 ((*c)->encoding_name, encoding_name) == 0)
      return *c;
  return NULL;
}

gboolean
rtfx_codec_check (const RtfxCodec * codec, GError ** error)
{
  return rtfx_elements_check (codec->needs, error);
}

gboolean
rtfx_elements_check (const RtfxElementNeed * needs, GError ** error)
{
  for (const RtfxElementNeed * n = needs; n->factory; n++) {
    g_autoptr (GstElementFactory) f = gst_element_factory_find (n->factory);
    if (f == NULL) {
      g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
          "the GStreamer element '%s' is missing (Debian package %s)",
          n->factory, n->package);
      return FALSE;
    }
  }
  return TRUE;
}

gboolean
rtfx_codec_usable (const RtfxCodec * codec)
{
  return rtfx_codec_check (codec, NULL);
}

GstElement *
rtfx_codec_make_encoder (const RtfxCodec * codec, gint pt, guint bps,
    GError ** error)
{
  g_autofree gchar *desc = g_strdup_printf (codec->encoder, pt);
  GstElement *bin = gst_parse_bin_from_description (desc, TRUE, error);

  if (bin != NULL)
    rtfx_codec_set_bitrate (codec, bin, bps);
  return bin;
}

void
rtfx_codec_set_bitrate (const RtfxCodec * codec, GstElement * bin, guint bps)
{
  g_autoptr (GstElement) encoder = gst_bin_get_by_name (GST_BIN (bin),
      "encoder");
  GValue value = G_VALUE_INIT;

  /* vp8enc's is a gint, x264enc's a guint: GObject converts. */
  g_value_init (&value, G_TYPE_UINT);
  g_value_set_uint (&value, bps / codec->bitrate_unit);
  g_object_set_property (G_OBJECT (encoder), codec->bitrate_property, &value);
  g_value_unset (&value);
}

GstElement *
rtfx_codec_make_decoder (const RtfxCodec * codec)
{
  if (codec == NULL)
    return NULL;
  return gst_parse_bin_from_description (codec->decoder, TRUE, NULL);
}

GstPad *
rtfx_codec_depayloaded_pad (GstElement * decoder)
{
  g_autoptr (GstPad) sink = gst_element_get_static_pad (decoder, "sink");
  g_autoptr (GstPad) target = gst_ghost_pad_get_target (GST_GHOST_PAD (sink));
  g_autoptr (GstElement) depayloader = gst_pad_get_parent_element (target);

  return gst_element_get_static_pad (depayloader, "src");
}

static GstRTPHeaderExtension *
on_request_extension (GstElement * payloader, guint id, const gchar * uri,
    gpointer max_delay_ms)
{
  GstRTPHeaderExtension *ext;

  if (g_strcmp0 (uri, RTFX_PLAYOUT_DELAY_URI) != 0)
    return NULL;
  ext = gst_rtp_header_extension_create_from_uri (uri);
  if (ext == NULL) {
    GST_WARNING_OBJECT (payloader, "no element for %s: is the rtfx plugin "
        "installed?", uri);
    return NULL;
  }
  gst_rtp_header_extension_set_id (ext, id);
  g_object_set (ext, "max-delay-ms", GPOINTER_TO_UINT (max_delay_ms), NULL);
  return ext;
}

void
rtfx_codec_set_playout_delay (GstElement * bin, guint max_delay_ms)
{
  g_autoptr (GstElement) payloader = gst_bin_get_by_name (GST_BIN (bin),
      "payloader");

  g_signal_connect (payloader, "request-extension",
      G_CALLBACK (on_request_extension), GUINT_TO_POINTER (max_delay_ms));
}

GstPad *
rtfx_codec_encoded_pad (GstElement * bin)
{
  g_autoptr (GstElement) encoder = gst_bin_get_by_name (GST_BIN (bin),
      "encoder");

  return gst_element_get_static_pad (encoder, "src");
}
