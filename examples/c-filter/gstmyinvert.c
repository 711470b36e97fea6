/* myinvert: turns the picture into its negative, as far as the live property "strength" says.
 *
 * The example of rtfx's docs/tutorial-c.md: a GstVideoFilter subclass, built with meson against the
 * installed GStreamer only. Copy this directory and rename. */
#include "gstmyinvert.h"

GST_DEBUG_CATEGORY_STATIC (gst_my_invert_debug);
#define GST_CAT_DEFAULT gst_my_invert_debug

#define DEFAULT_STRENGTH 1.0

enum
{
  PROP_0,
  PROP_STRENGTH,
};

struct _GstMyInvert
{
  GstVideoFilter parent;

  gdouble strength;             /* guarded by the object lock */
};

/* Planar formats with 8-bit samples: each component is a plane of its own, one byte a sample. */
#define VIDEO_FORMATS "{ I420, YV12, Y42B, Y444, GRAY8 }"

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (VIDEO_FORMATS)));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (VIDEO_FORMATS)));

G_DEFINE_TYPE (GstMyInvert, gst_my_invert, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (myinvert, "myinvert", GST_RANK_NONE,
    GST_TYPE_MY_INVERT,
    GST_DEBUG_CATEGORY_INIT (gst_my_invert_debug, "myinvert", 0,
        "picture negative"));

static void gst_my_invert_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_my_invert_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static void gst_my_invert_before_transform (GstBaseTransform * trans,
    GstBuffer * buffer);
static GstFlowReturn gst_my_invert_transform_frame (GstVideoFilter * filter,
    GstVideoFrame * in_frame, GstVideoFrame * out_frame);

static void
gst_my_invert_class_init (GstMyInvertClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS (klass);

  gobject_class->set_property = gst_my_invert_set_property;
  gobject_class->get_property = gst_my_invert_get_property;

  g_object_class_install_property (gobject_class, PROP_STRENGTH,
      g_param_spec_double ("strength", "Strength",
          "How far toward the negative: 0 leaves the picture as it is, 1 inverts it fully, "
          "0.5 makes it flat grey", 0.0, 1.0, DEFAULT_STRENGTH,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_CONTROLLABLE | GST_PARAM_MUTABLE_PLAYING));

  gst_element_class_set_static_metadata (element_class,
      "Picture negative", "Filter/Effect/Video",
      "Inverts every sample of planar YUV or grey video, as far as the strength says",
      "Your Name <you@example.org>");
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);

  trans_class->before_transform =
      GST_DEBUG_FUNCPTR (gst_my_invert_before_transform);
  filter_class->transform_frame =
      GST_DEBUG_FUNCPTR (gst_my_invert_transform_frame);
}

static void
gst_my_invert_init (GstMyInvert * self)
{
  self->strength = DEFAULT_STRENGTH;
}

static void
gst_my_invert_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstMyInvert *self = GST_MY_INVERT (object);

  switch (prop_id) {
    case PROP_STRENGTH:
      GST_OBJECT_LOCK (self);
      self->strength = g_value_get_double (value);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_my_invert_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstMyInvert *self = GST_MY_INVERT (object);

  switch (prop_id) {
    case PROP_STRENGTH:
      GST_OBJECT_LOCK (self);
      g_value_set_double (value, self->strength);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

/* A control binding (GstController) sets the strength for this frame's stream time, as
 * videobalance does; without it GST_PARAM_CONTROLLABLE would promise what nothing keeps. */
static void
gst_my_invert_before_transform (GstBaseTransform * trans, GstBuffer * buffer)
{
  GstClockTime stream_time;

  if (trans->segment.format != GST_FORMAT_TIME ||
      !GST_BUFFER_PTS_IS_VALID (buffer))
    return;
  stream_time = gst_segment_to_stream_time (&trans->segment, GST_FORMAT_TIME,
      GST_BUFFER_PTS (buffer));
  if (GST_CLOCK_TIME_IS_VALID (stream_time))
    gst_object_sync_values (GST_OBJECT (trans), stream_time);
}

static GstFlowReturn
gst_my_invert_transform_frame (GstVideoFilter * filter,
    GstVideoFrame * in_frame, GstVideoFrame * out_frame)
{
  GstMyInvert *self = GST_MY_INVERT (filter);
  guint8 table[256];
  gdouble strength;

  /* Read the property once, then work without the lock. */
  GST_OBJECT_LOCK (self);
  strength = self->strength;
  GST_OBJECT_UNLOCK (self);
  GST_LOG_OBJECT (self, "strength %.3f", strength);

  /* v moves toward 255 - v: one multiplication per possible value, not per sample. */
  for (guint v = 0; v < 256; v++)
    table[v] = (guint8) (v + strength * (255.0 - 2.0 * v) + 0.5);

  for (guint comp = 0; comp < GST_VIDEO_FRAME_N_COMPONENTS (in_frame); comp++) {
    const gint width = GST_VIDEO_FRAME_COMP_WIDTH (in_frame, comp);
    const gint height = GST_VIDEO_FRAME_COMP_HEIGHT (in_frame, comp);
    const gint in_stride = GST_VIDEO_FRAME_COMP_STRIDE (in_frame, comp);
    const gint out_stride = GST_VIDEO_FRAME_COMP_STRIDE (out_frame, comp);
    const guint8 *in = GST_VIDEO_FRAME_COMP_DATA (in_frame, comp);
    guint8 *out = GST_VIDEO_FRAME_COMP_DATA (out_frame, comp);

    /* A row can be longer than the picture is wide: step by the stride, touch width bytes. */
    for (gint y = 0; y < height; y++, in += in_stride, out += out_stride)
      for (gint x = 0; x < width; x++)
        out[x] = table[in[x]];
  }
  return GST_FLOW_OK;
}
