/**
 * SECTION:element-rtfxedges
 * @title: rtfxedges
 *
 * Canny edge detection on the luma plane of planar YUV or GRAY8 video, with no conversion to RGB.
 * The algorithm and the meaning of the thresholds are those of OpenCV's
 * `cv::Canny (gray, edges, low, high, 3, false)` (3x3 Sobel, L1 gradient magnitude), and the edges are
 * bit-identical to it, so thresholds tuned with OpenCV carry over.
 *
 * In `edges` mode the output is white edges on black; in `overlay` mode the edges are drawn in white
 * over the original picture. Both thresholds and the mode can be changed while the pipeline plays,
 * also by control bindings (GstController), which are synced to each frame's stream time.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 videotestsrc pattern=ball ! rtfxedges ! autovideosink
 * gst-launch-1.0 v4l2src ! videoconvert ! video/x-raw,format=NV12 ! rtfxedges mode=overlay low-threshold=50 ! videoconvert ! autovideosink
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstrtfxedges.h"
#include "gstrtfxtime.h"
#include "rtfxcanny.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_rtfx_edges_debug);
#define GST_CAT_DEFAULT gst_rtfx_edges_debug

#define DEFAULT_LOW_THRESHOLD 100.0
#define DEFAULT_HIGH_THRESHOLD 200.0
#define DEFAULT_MODE GST_RTFX_EDGES_MODE_EDGES
/* The largest L1 magnitude of a 3x3 Sobel on 8-bit samples: above it no pixel can be an edge. */
#define MAX_THRESHOLD 2040.0
#define NEUTRAL_CHROMA 128

enum
{
  PROP_0,
  PROP_LOW_THRESHOLD,
  PROP_HIGH_THRESHOLD,
  PROP_MODE,
};

struct _GstRtfxEdges
{
  GstVideoFilter parent;

  /* properties, guarded by the object lock */
  gdouble low_threshold;
  gdouble high_threshold;
  GstRtfxEdgesMode mode;

  /* sized in set_info, used by the streaming thread only */
  RtfxCanny *canny;
  guint8 *edge_plane;           /* overlay mode: the edges, before they are drawn on the picture */
  guint8 *rows_or;              /* overlay mode: the edges under one chroma row */
};

#define VIDEO_FORMATS "{ I420, YV12, NV12, NV21, Y42B, Y444, Y41B, GRAY8 }"

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (VIDEO_FORMATS)));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (VIDEO_FORMATS)));

G_DEFINE_TYPE (GstRtfxEdges, gst_rtfx_edges, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (rtfxedges, "rtfxedges", GST_RANK_NONE,
    GST_TYPE_RTFX_EDGES,
    GST_DEBUG_CATEGORY_INIT (gst_rtfx_edges_debug, "rtfxedges", 0,
        "rtfx Canny edge detection"));

GType
gst_rtfx_edges_mode_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_RTFX_EDGES_MODE_EDGES, "White edges on black", "edges"},
    {GST_RTFX_EDGES_MODE_OVERLAY, "White edges drawn over the original picture",
        "overlay"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("GstRtfxEdgesMode",
            values));
  return type;
}

static void gst_rtfx_edges_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_rtfx_edges_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static void gst_rtfx_edges_finalize (GObject * object);
static gboolean gst_rtfx_edges_set_info (GstVideoFilter * filter,
    GstCaps * incaps, GstVideoInfo * in_info, GstCaps * outcaps,
    GstVideoInfo * out_info);
static GstFlowReturn gst_rtfx_edges_transform_frame (GstVideoFilter * filter,
    GstVideoFrame * in_frame, GstVideoFrame * out_frame);

static void
gst_rtfx_edges_class_init (GstRtfxEdgesClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS (klass);
  const GParamFlags live = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_CONTROLLABLE | GST_PARAM_MUTABLE_PLAYING;

  gobject_class->set_property = gst_rtfx_edges_set_property;
  gobject_class->get_property = gst_rtfx_edges_get_property;
  gobject_class->finalize = gst_rtfx_edges_finalize;

  g_object_class_install_property (gobject_class, PROP_LOW_THRESHOLD,
      g_param_spec_double ("low-threshold", "Low threshold",
          "Lower hysteresis threshold on the L1 gradient magnitude: a pixel above it joins an edge "
          "that a strong pixel started (cv::Canny threshold1; swapped with high-threshold if larger)",
          0.0, MAX_THRESHOLD, DEFAULT_LOW_THRESHOLD, live));
  g_object_class_install_property (gobject_class, PROP_HIGH_THRESHOLD,
      g_param_spec_double ("high-threshold", "High threshold",
          "Upper hysteresis threshold on the L1 gradient magnitude: a pixel above it starts an edge; "
          "raise it for fewer, stronger edges (cv::Canny threshold2)",
          0.0, MAX_THRESHOLD, DEFAULT_HIGH_THRESHOLD, live));
  g_object_class_install_property (gobject_class, PROP_MODE,
      g_param_spec_enum ("mode", "Mode",
          "What the output shows: the edges alone, or the edges over the picture",
          GST_TYPE_RTFX_EDGES_MODE, DEFAULT_MODE, live));

  gst_element_class_set_static_metadata (element_class,
      "Canny edge detection", "Filter/Effect/Video",
      "Finds edges with OpenCV's Canny algorithm directly on YUV video, with live-tunable thresholds",
      "rtfx developers");
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);

  trans_class->before_transform = gst_rtfx_sync_controls;
  filter_class->set_info = GST_DEBUG_FUNCPTR (gst_rtfx_edges_set_info);
  filter_class->transform_frame =
      GST_DEBUG_FUNCPTR (gst_rtfx_edges_transform_frame);

  gst_type_mark_as_plugin_api (GST_TYPE_RTFX_EDGES_MODE, 0);
}

static void
gst_rtfx_edges_init (GstRtfxEdges * self)
{
  self->low_threshold = DEFAULT_LOW_THRESHOLD;
  self->high_threshold = DEFAULT_HIGH_THRESHOLD;
  self->mode = DEFAULT_MODE;
}

static void
gst_rtfx_edges_finalize (GObject * object)
{
  GstRtfxEdges *self = GST_RTFX_EDGES (object);

  g_clear_pointer (&self->canny, rtfx_canny_free);
  g_clear_pointer (&self->edge_plane, g_free);
  g_clear_pointer (&self->rows_or, g_free);

  G_OBJECT_CLASS (gst_rtfx_edges_parent_class)->finalize (object);
}

static void
gst_rtfx_edges_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstRtfxEdges *self = GST_RTFX_EDGES (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOW_THRESHOLD:
      self->low_threshold = g_value_get_double (value);
      break;
    case PROP_HIGH_THRESHOLD:
      self->high_threshold = g_value_get_double (value);
      break;
    case PROP_MODE:
      self->mode = g_value_get_enum (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_rtfx_edges_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstRtfxEdges *self = GST_RTFX_EDGES (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOW_THRESHOLD:
      g_value_set_double (value, self->low_threshold);
      break;
    case PROP_HIGH_THRESHOLD:
      g_value_set_double (value, self->high_threshold);
      break;
    case PROP_MODE:
      g_value_set_enum (value, self->mode);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}


static gboolean
gst_rtfx_edges_set_info (GstVideoFilter * filter, GstCaps * incaps,
    GstVideoInfo * in_info, GstCaps * outcaps, GstVideoInfo * out_info)
{
  GstRtfxEdges *self = GST_RTFX_EDGES (filter);
  const gint width = GST_VIDEO_INFO_WIDTH (in_info);
  const gint height = GST_VIDEO_INFO_HEIGHT (in_info);

  GST_DEBUG_OBJECT (self, "configuring for %dx%d %s", width, height,
      GST_VIDEO_INFO_NAME (in_info));

  g_clear_pointer (&self->canny, rtfx_canny_free);
  g_clear_pointer (&self->edge_plane, g_free);
  g_clear_pointer (&self->rows_or, g_free);
  self->canny = rtfx_canny_new (width, height);
  self->edge_plane = g_malloc ((gsize) width * height);
  /* Padded for the widest chroma subsampling (4:1:1), so a last partial block reads zeros. */
  self->rows_or = g_malloc0 ((gsize) GST_ROUND_UP_4 (width));
  return TRUE;
}

/* Sets every chroma sample to neutral, so the edges are pure white on black. */
static void
fill_chroma_neutral (GstVideoFrame * frame)
{
  for (guint comp = 1; comp < GST_VIDEO_FRAME_N_COMPONENTS (frame); comp++) {
    const gint width = GST_VIDEO_FRAME_COMP_WIDTH (frame, comp);
    const gint pstride = GST_VIDEO_FRAME_COMP_PSTRIDE (frame, comp);
    const gint stride = GST_VIDEO_FRAME_COMP_STRIDE (frame, comp);
    guint8 *data = GST_VIDEO_FRAME_COMP_DATA (frame, comp);

    for (gint y = 0; y < GST_VIDEO_FRAME_COMP_HEIGHT (frame, comp); y++) {
      guint8 *row = data + (gsize) y * stride;

      if (pstride == 1) {
        memset (row, NEUTRAL_CHROMA, width);
      } else {
        for (gint x = 0; x < width; x++)
          row[x * pstride] = NEUTRAL_CHROMA;
      }
    }
  }
}

/* Draws the edges white over the picture already copied into frame: luma to full, and the chroma of
 * every sample that covers an edge pixel to neutral, so the lines are white rather than tinted.
 * rows_or is scratch of at least the frame's width rounded up to 4, its padding zero. */
static void
draw_edges (GstVideoFrame * frame, const guint8 * edges, guint8 * rows_or)
{
  const GstVideoFormatInfo *finfo = frame->info.finfo;
  const gint width = GST_VIDEO_FRAME_WIDTH (frame);
  const gint height = GST_VIDEO_FRAME_HEIGHT (frame);
  guint8 *luma = GST_VIDEO_FRAME_COMP_DATA (frame, 0);
  const gint luma_stride = GST_VIDEO_FRAME_COMP_STRIDE (frame, 0);

  for (gint y = 0; y < height; y++) {
    guint8 *row = luma + (gsize) y * luma_stride;
    const guint8 *e = edges + (gsize) y * width;

    for (gint x = 0; x < width; x++)
      row[x] |= e[x];
  }

  for (guint comp = 1; comp < GST_VIDEO_FRAME_N_COMPONENTS (frame); comp++) {
    const gint w_sub = GST_VIDEO_FORMAT_INFO_W_SUB (finfo, comp);
    const gint h_sub = GST_VIDEO_FORMAT_INFO_H_SUB (finfo, comp);
    const gint pstride = GST_VIDEO_FRAME_COMP_PSTRIDE (frame, comp);
    const gint stride = GST_VIDEO_FRAME_COMP_STRIDE (frame, comp);
    guint8 *data = GST_VIDEO_FRAME_COMP_DATA (frame, comp);

    for (gint cy = 0; cy < GST_VIDEO_FRAME_COMP_HEIGHT (frame, comp); cy++) {
      guint8 *row = data + (gsize) cy * stride;
      const gint y_end = MIN ((cy + 1) << h_sub, height);

      /* The luma rows under this chroma row, or-ed together. */
      memcpy (rows_or, edges + ((gsize) cy << h_sub) * width, width);
      for (gint y = (cy << h_sub) + 1; y < y_end; y++)
        for (gint x = 0; x < width; x++)
          rows_or[x] |= edges[(gsize) y * width + x];

      for (gint cx = 0; cx < GST_VIDEO_FRAME_COMP_WIDTH (frame, comp); cx++) {
        guint8 any = 0;

        for (gint k = 0; k < (1 << w_sub); k++)
          any |= rows_or[(cx << w_sub) + k];
        if (any)
          row[cx * pstride] = NEUTRAL_CHROMA;
      }
    }
  }
}

static GstFlowReturn
gst_rtfx_edges_transform_frame (GstVideoFilter * filter,
    GstVideoFrame * in_frame, GstVideoFrame * out_frame)
{
  GstRtfxEdges *self = GST_RTFX_EDGES (filter);
  const guint8 *luma = GST_VIDEO_FRAME_COMP_DATA (in_frame, 0);
  const gint luma_stride = GST_VIDEO_FRAME_COMP_STRIDE (in_frame, 0);
  gdouble low, high;
  GstRtfxEdgesMode mode;

  GST_OBJECT_LOCK (self);
  low = self->low_threshold;
  high = self->high_threshold;
  mode = self->mode;
  GST_OBJECT_UNLOCK (self);

  if (mode == GST_RTFX_EDGES_MODE_EDGES) {
    rtfx_canny_process (self->canny, luma, luma_stride,
        GST_VIDEO_FRAME_COMP_DATA (out_frame, 0),
        GST_VIDEO_FRAME_COMP_STRIDE (out_frame, 0), low, high);
    fill_chroma_neutral (out_frame);
  } else {
    rtfx_canny_process (self->canny, luma, luma_stride, self->edge_plane,
        GST_VIDEO_FRAME_WIDTH (in_frame), low, high);
    if (!gst_video_frame_copy (out_frame, in_frame)) {
      GST_ELEMENT_ERROR (self, STREAM, FAILED, (NULL),
          ("could not copy the input frame"));
      return GST_FLOW_ERROR;
    }
    draw_edges (out_frame, self->edge_plane, self->rows_or);
  }
  return GST_FLOW_OK;
}
