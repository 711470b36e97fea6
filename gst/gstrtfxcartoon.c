/**
 * SECTION:element-rtfxcartoon
 * @title: rtfxcartoon
 *
 * The classic cartoon effect on 4:2:0 YUV video, with no conversion to RGB: flat areas of colour with
 * dark outlines. It is the recipe of OpenCV's tutorials done on the YUV planes:
 *
 * - the colours are flattened by an edge-preserving (bilateral) filter, applied #GstRtfxCartoon:passes
 *   times to a half-size copy of the picture (the luma halved to the chroma's size), whose luma is then
 *   scaled back up and whose chroma becomes the output's;
 * - the outlines are the pixels of the 3x3-median-filtered luma that are at least
 *   #GstRtfxCartoon:threshold darker than the mean of the #GstRtfxCartoon:block-size square around
 *   them, like `cv::adaptiveThreshold (cv::medianBlur (gray, 3), ADAPTIVE_THRESH_MEAN_C,
 *   THRESH_BINARY, block_size, threshold)`; the cost does not depend on the block size;
 * - on an outline the luma is pulled towards black by #GstRtfxCartoon:edge-strength and the chroma of
 *   the flattened picture is kept.
 *
 * Every property can be changed while the pipeline plays, also by control bindings (GstController),
 * which are synced to each frame's stream time.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 videotestsrc pattern=ball ! rtfxcartoon ! autovideosink
 * gst-launch-1.0 v4l2src ! videoconvert ! video/x-raw,format=NV12 ! rtfxcartoon passes=5 block-size=15 edge-strength=0.8 ! videoconvert ! autovideosink
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstrtfxcartoon.h"
#include "gstrtfxtime.h"
#include "rtfxcartoon.h"

GST_DEBUG_CATEGORY_STATIC (gst_rtfx_cartoon_debug);
#define GST_CAT_DEFAULT gst_rtfx_cartoon_debug

#define DEFAULT_PASSES 3
#define MAX_PASSES 10
#define DEFAULT_BLOCK_SIZE 9
#define DEFAULT_EDGE_STRENGTH 1.0
/* Camera noise left by the 3x3 median rarely reaches 8 levels; real outlines are much deeper. */
#define DEFAULT_THRESHOLD 8.0

enum
{
  PROP_0,
  PROP_PASSES,
  PROP_BLOCK_SIZE,
  PROP_EDGE_STRENGTH,
  PROP_THRESHOLD,
};

struct _GstRtfxCartoon
{
  GstVideoFilter parent;

  /* properties, guarded by the object lock */
  guint passes;
  guint block_size;
  gdouble edge_strength;
  gdouble threshold;

  /* set in set_info, used by the streaming thread only */
  RtfxCartoon *cartoon;
  guint8 black;
};

/* The kernel works on 4:2:0 pictures: their chroma is the half-size picture it smooths. */
#define VIDEO_FORMATS "{ I420, YV12, NV12, NV21 }"

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (VIDEO_FORMATS)));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (VIDEO_FORMATS)));

G_DEFINE_TYPE (GstRtfxCartoon, gst_rtfx_cartoon, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (rtfxcartoon, "rtfxcartoon",
    GST_RANK_NONE, GST_TYPE_RTFX_CARTOON,
    GST_DEBUG_CATEGORY_INIT (gst_rtfx_cartoon_debug, "rtfxcartoon", 0,
        "rtfx cartoon effect"));

static void gst_rtfx_cartoon_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_rtfx_cartoon_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static void gst_rtfx_cartoon_finalize (GObject * object);
static gboolean gst_rtfx_cartoon_set_info (GstVideoFilter * filter,
    GstCaps * incaps, GstVideoInfo * in_info, GstCaps * outcaps,
    GstVideoInfo * out_info);
static GstFlowReturn gst_rtfx_cartoon_transform_frame (GstVideoFilter * filter,
    GstVideoFrame * in_frame, GstVideoFrame * out_frame);

static void
gst_rtfx_cartoon_class_init (GstRtfxCartoonClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS (klass);
  const GParamFlags live = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_CONTROLLABLE | GST_PARAM_MUTABLE_PLAYING;

  gobject_class->set_property = gst_rtfx_cartoon_set_property;
  gobject_class->get_property = gst_rtfx_cartoon_get_property;
  gobject_class->finalize = gst_rtfx_cartoon_finalize;

  g_object_class_install_property (gobject_class, PROP_PASSES,
      g_param_spec_uint ("passes", "Smoothing passes",
          "How many times the edge-preserving filter flattens the colours: more passes give "
          "larger, flatter areas (each costs well under a millisecond at 640x480); 0 keeps the "
          "colours as they are",
          0, MAX_PASSES, DEFAULT_PASSES, live));
  g_object_class_install_property (gobject_class, PROP_BLOCK_SIZE,
      g_param_spec_uint ("block-size", "Edge block size",
          "Side in pixels of the square whose mean luma a pixel is compared with to be an outline: "
          "larger blocks give thicker outlines and find broader shading; an even value is rounded "
          "up to the next odd one (cv::adaptiveThreshold blockSize)",
          RTFX_CARTOON_MIN_BLOCK_SIZE, RTFX_CARTOON_MAX_BLOCK_SIZE,
          DEFAULT_BLOCK_SIZE, live));
  g_object_class_install_property (gobject_class, PROP_EDGE_STRENGTH,
      g_param_spec_double ("edge-strength", "Edge strength",
          "How dark the outlines are: 1 draws them black, 0 draws none (and skips finding them)",
          0.0, 1.0, DEFAULT_EDGE_STRENGTH, live));
  g_object_class_install_property (gobject_class, PROP_THRESHOLD,
      g_param_spec_double ("threshold", "Edge threshold",
          "How many luma levels darker than its block's mean a pixel must be to be an outline: "
          "raise it if noise or texture gives speckles, lower it for more detail; 0 or less also "
          "outlines flat areas (cv::adaptiveThreshold C)",
          -RTFX_CARTOON_MAX_THRESHOLD, RTFX_CARTOON_MAX_THRESHOLD,
          DEFAULT_THRESHOLD, live));

  gst_element_class_set_static_metadata (element_class,
      "Cartoon effect", "Filter/Effect/Video",
      "Flattens the colours and draws dark outlines, directly on YUV video, with live-tunable "
      "smoothing and outlines", "rtfx developers");
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);

  trans_class->before_transform = gst_rtfx_sync_controls;
  filter_class->set_info = GST_DEBUG_FUNCPTR (gst_rtfx_cartoon_set_info);
  filter_class->transform_frame =
      GST_DEBUG_FUNCPTR (gst_rtfx_cartoon_transform_frame);
}

static void
gst_rtfx_cartoon_init (GstRtfxCartoon * self)
{
  self->passes = DEFAULT_PASSES;
  self->block_size = DEFAULT_BLOCK_SIZE;
  self->edge_strength = DEFAULT_EDGE_STRENGTH;
  self->threshold = DEFAULT_THRESHOLD;
}

static void
gst_rtfx_cartoon_finalize (GObject * object)
{
  GstRtfxCartoon *self = GST_RTFX_CARTOON (object);

  g_clear_pointer (&self->cartoon, rtfx_cartoon_free);

  G_OBJECT_CLASS (gst_rtfx_cartoon_parent_class)->finalize (object);
}

static void
gst_rtfx_cartoon_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstRtfxCartoon *self = GST_RTFX_CARTOON (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_PASSES:
      self->passes = g_value_get_uint (value);
      break;
    case PROP_BLOCK_SIZE:
      /* The box has a centre pixel; 51 is odd, so rounding up stays in range. */
      self->block_size = g_value_get_uint (value) | 1;
      break;
    case PROP_EDGE_STRENGTH:
      self->edge_strength = g_value_get_double (value);
      break;
    case PROP_THRESHOLD:
      self->threshold = g_value_get_double (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_rtfx_cartoon_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstRtfxCartoon *self = GST_RTFX_CARTOON (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_PASSES:
      g_value_set_uint (value, self->passes);
      break;
    case PROP_BLOCK_SIZE:
      g_value_set_uint (value, self->block_size);
      break;
    case PROP_EDGE_STRENGTH:
      g_value_set_double (value, self->edge_strength);
      break;
    case PROP_THRESHOLD:
      g_value_set_double (value, self->threshold);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}


static gboolean
gst_rtfx_cartoon_set_info (GstVideoFilter * filter, GstCaps * incaps,
    GstVideoInfo * in_info, GstCaps * outcaps, GstVideoInfo * out_info)
{
  GstRtfxCartoon *self = GST_RTFX_CARTOON (filter);
  const gint width = GST_VIDEO_INFO_WIDTH (in_info);
  const gint height = GST_VIDEO_INFO_HEIGHT (in_info);

  GST_DEBUG_OBJECT (self, "configuring for %dx%d %s", width, height,
      GST_VIDEO_INFO_NAME (in_info));

  g_clear_pointer (&self->cartoon, rtfx_cartoon_free);
  self->cartoon = rtfx_cartoon_new (width, height);
  /* Outlines at full strength are the format's black, which is 16 unless the caps say full range. */
  self->black = in_info->colorimetry.range == GST_VIDEO_COLOR_RANGE_0_255 ?
      0 : 16;
  return TRUE;
}

static void
frame_planes (GstVideoFrame * frame, RtfxYuv420 * planes)
{
  planes->y = GST_VIDEO_FRAME_COMP_DATA (frame, GST_VIDEO_COMP_Y);
  planes->u = GST_VIDEO_FRAME_COMP_DATA (frame, GST_VIDEO_COMP_U);
  planes->v = GST_VIDEO_FRAME_COMP_DATA (frame, GST_VIDEO_COMP_V);
  planes->y_stride = GST_VIDEO_FRAME_COMP_STRIDE (frame, GST_VIDEO_COMP_Y);
  planes->uv_stride = GST_VIDEO_FRAME_COMP_STRIDE (frame, GST_VIDEO_COMP_U);
  planes->uv_pstride = GST_VIDEO_FRAME_COMP_PSTRIDE (frame, GST_VIDEO_COMP_U);
}

static GstFlowReturn
gst_rtfx_cartoon_transform_frame (GstVideoFilter * filter,
    GstVideoFrame * in_frame, GstVideoFrame * out_frame)
{
  GstRtfxCartoon *self = GST_RTFX_CARTOON (filter);
  RtfxCartoonParams params;
  RtfxYuv420 src, dst;

  GST_OBJECT_LOCK (self);
  params.passes = self->passes;
  params.block_size = self->block_size;
  params.edge_strength = self->edge_strength;
  params.threshold = self->threshold;
  GST_OBJECT_UNLOCK (self);
  params.black = self->black;

  frame_planes (in_frame, &src);
  frame_planes (out_frame, &dst);
  rtfx_cartoon_process (self->cartoon, &params, &src, &dst);
  return GST_FLOW_OK;
}
