/**
 * SECTION:element-rtfxhdrextplayoutdelay
 * @title: rtfxhdrextplayoutdelay
 *
 * The RTP header extension with which a video sender tells a WebRTC receiver how long it may hold
 * frames before it shows them: `http://www.webrtc.org/experiments/rtp-hdrext/playout-delay`, which
 * Chromium offers and honours. Three bytes: the smallest and the largest delay, 12 bits each, in
 * units of 10 ms. A receiver normally sizes its jitter buffer from the jitter it sees and smooths
 * the frames' display; with both delays at 0 (the default) it shows each frame as soon as it is
 * decoded, which is what an interactive stream such as a processed camera wants.
 *
 * A payloader adds it when its caps carry the extension (`extmap-N`, with
 * #GstRTPBasePayload:auto-header-extension), or by hand through #GstRTPBasePayload::add-extension.
 * Read by a depayloader, it keeps the delays it finds in its properties.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 videotestsrc is-live=true ! vp8enc deadline=1 ! rtpvp8pay ! 'application/x-rtp,extmap-5=(string)"http://www.webrtc.org/experiments/rtp-hdrext/playout-delay"' ! udpsink host=127.0.0.1 port=5000
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstrtfxhdrextplayoutdelay.h"

GST_DEBUG_CATEGORY_STATIC (gst_rtfx_hdrext_playout_delay_debug);
#define GST_CAT_DEFAULT gst_rtfx_hdrext_playout_delay_debug

#define PLAYOUT_DELAY_URI "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay"
#define PLAYOUT_DELAY_SIZE 3
/* The delays travel in 12 bits each, in units of 10 ms. */
#define DELAY_UNIT_MS 10
#define MAX_DELAY_MS (0xfff * DELAY_UNIT_MS)

enum
{
  PROP_0,
  PROP_MIN_DELAY_MS,
  PROP_MAX_DELAY_MS,
};

struct _GstRtfxHdrextPlayoutDelay
{
  GstRTPHeaderExtension parent;

  /* guarded by the object lock */
  guint min_delay_ms;
  guint max_delay_ms;
};

G_DEFINE_TYPE (GstRtfxHdrextPlayoutDelay, gst_rtfx_hdrext_playout_delay,
    GST_TYPE_RTP_HEADER_EXTENSION);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (rtfxhdrextplayoutdelay,
    "rtfxhdrextplayoutdelay", GST_RANK_MARGINAL,
    GST_TYPE_RTFX_HDREXT_PLAYOUT_DELAY,
    GST_DEBUG_CATEGORY_INIT (gst_rtfx_hdrext_playout_delay_debug,
        "rtfxhdrextplayoutdelay", 0, "rtfx playout-delay RTP header extension"));

static void
gst_rtfx_hdrext_playout_delay_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstRtfxHdrextPlayoutDelay *self = GST_RTFX_HDREXT_PLAYOUT_DELAY (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MIN_DELAY_MS:
      self->min_delay_ms = g_value_get_uint (value);
      break;
    case PROP_MAX_DELAY_MS:
      self->max_delay_ms = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_rtfx_hdrext_playout_delay_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstRtfxHdrextPlayoutDelay *self = GST_RTFX_HDREXT_PLAYOUT_DELAY (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MIN_DELAY_MS:
      g_value_set_uint (value, self->min_delay_ms);
      break;
    case PROP_MAX_DELAY_MS:
      g_value_set_uint (value, self->max_delay_ms);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static GstRTPHeaderExtensionFlags
gst_rtfx_hdrext_playout_delay_get_supported_flags (GstRTPHeaderExtension * ext)
{
  return GST_RTP_HEADER_EXTENSION_ONE_BYTE | GST_RTP_HEADER_EXTENSION_TWO_BYTE;
}

static gsize
gst_rtfx_hdrext_playout_delay_get_max_size (GstRTPHeaderExtension * ext,
    const GstBuffer * input_meta)
{
  return PLAYOUT_DELAY_SIZE;
}

static gssize
gst_rtfx_hdrext_playout_delay_write (GstRTPHeaderExtension * ext,
    const GstBuffer * input_meta, GstRTPHeaderExtensionFlags write_flags,
    GstBuffer * output, guint8 * data, gsize size)
{
  GstRtfxHdrextPlayoutDelay *self = GST_RTFX_HDREXT_PLAYOUT_DELAY (ext);
  guint min_units, max_units;

  g_return_val_if_fail (size >= PLAYOUT_DELAY_SIZE, -1);

  GST_OBJECT_LOCK (self);
  min_units = self->min_delay_ms / DELAY_UNIT_MS;
  /* A maximum below the minimum means no more than the minimum. */
  max_units = MAX (self->max_delay_ms, self->min_delay_ms) / DELAY_UNIT_MS;
  GST_OBJECT_UNLOCK (self);

  GST_LOG_OBJECT (self, "writing %u and %u units of %d ms", min_units,
      max_units, DELAY_UNIT_MS);
  data[0] = min_units >> 4;
  data[1] = ((min_units & 0xf) << 4) | (max_units >> 8);
  data[2] = max_units & 0xff;
  return PLAYOUT_DELAY_SIZE;
}

static gboolean
gst_rtfx_hdrext_playout_delay_read (GstRTPHeaderExtension * ext,
    GstRTPHeaderExtensionFlags read_flags, const guint8 * data, gsize size,
    GstBuffer * buffer)
{
  GstRtfxHdrextPlayoutDelay *self = GST_RTFX_HDREXT_PLAYOUT_DELAY (ext);

  if (size < PLAYOUT_DELAY_SIZE) {
    GST_DEBUG_OBJECT (self, "%" G_GSIZE_FORMAT " bytes, too short", size);
    return FALSE;
  }
  GST_OBJECT_LOCK (self);
  self->min_delay_ms = ((data[0] << 4) | (data[1] >> 4)) * DELAY_UNIT_MS;
  self->max_delay_ms = (((data[1] & 0xf) << 8) | data[2]) * DELAY_UNIT_MS;
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

static void
gst_rtfx_hdrext_playout_delay_class_init (GstRtfxHdrextPlayoutDelayClass *
    klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstRTPHeaderExtensionClass *ext_class = GST_RTP_HEADER_EXTENSION_CLASS (klass);

  gobject_class->set_property = gst_rtfx_hdrext_playout_delay_set_property;
  gobject_class->get_property = gst_rtfx_hdrext_playout_delay_get_property;

  /* Live, but not controllable: an extension sees the payloader's buffer without its segment,
   * so it has no stream time to sync a control binding to. */
  g_object_class_install_property (gobject_class, PROP_MIN_DELAY_MS,
      g_param_spec_uint ("min-delay-ms", "Smallest delay (ms)",
          "The least the receiver should hold a frame before showing it, in milliseconds "
          "(sent in steps of 10 ms)", 0, MAX_DELAY_MS, 0,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_MAX_DELAY_MS,
      g_param_spec_uint ("max-delay-ms", "Largest delay (ms)",
          "The most the receiver may hold a frame before showing it, in milliseconds (sent in "
          "steps of 10 ms; at 0 with min-delay-ms 0, frames are shown as soon as they are "
          "decoded)", 0, MAX_DELAY_MS, 0,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  gst_element_class_set_static_metadata (element_class,
      "RTP header extension: playout delay", GST_RTP_HDREXT_ELEMENT_CLASS,
      "Tells a WebRTC receiver how long it may hold video frames before showing them "
      "(webrtc.org's playout-delay extension)", "rtfx developers");
  gst_rtp_header_extension_class_set_uri (ext_class, PLAYOUT_DELAY_URI);

  ext_class->get_supported_flags =
      gst_rtfx_hdrext_playout_delay_get_supported_flags;
  ext_class->get_max_size = gst_rtfx_hdrext_playout_delay_get_max_size;
  ext_class->write = gst_rtfx_hdrext_playout_delay_write;
  ext_class->read = gst_rtfx_hdrext_playout_delay_read;
}

static void
gst_rtfx_hdrext_playout_delay_init (GstRtfxHdrextPlayoutDelay * self)
{
}
