/* The codec table: see codec.h. */
#include "codec.h"

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
 * from PLI and FIR). vp8enc on one thread: with two, its threads wait for each other row by row,
 * and on a busy machine one frame (the first, a keyframe, too) took 50-400 ms instead of 2-30. */
static const RtfxCodec vp8 = {
  .encoding_name = "VP8",
  .display_name = "VP8",
  .needs = vp8_needs,
  .decoder = "rtpvp8depay ! vp8dec",
  .encoder = "vp8enc deadline=1 cpu-used=8 lag-in-frames=0 end-usage=cbr "
      "error-resilient=default target-bitrate=2000000 keyframe-max-dist=300 "
      "threads=1 ! rtpvp8pay picture-id-mode=15-bit mtu=1200 pt=%d",
  .fits = vp8_fits,
};

static const RtfxCodec h264 = {
  .encoding_name = "H264",
  .display_name = "H.264",
  .needs = h264_needs,
  .decoder = "rtph264depay ! avdec_h264",
  .encoder = "x264enc tune=zerolatency speed-preset=ultrafast bitrate=2000 "
      "key-int-max=300 ! video/x-h264,profile=constrained-baseline "
      "! rtph264pay config-interval=-1 aggregate-mode=zero-latency mtu=1200 pt=%d",
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
rtfx_codec_make_encoder (const RtfxCodec * codec, gint pt, GError ** error)
{
  g_autofree gchar *desc = g_strdup_printf (codec->encoder, pt);

  return gst_parse_bin_from_description (desc, TRUE, error);
}

GstElement *
rtfx_codec_make_decoder (const RtfxCodec * codec)
{
  if (codec == NULL)
    return NULL;
  return gst_parse_bin_from_description (codec->decoder, TRUE, NULL);
}
