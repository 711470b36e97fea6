/**
 * SECTION:element-rtfxrotate
 * @title: rtfxrotate
 *
 * Rotates the picture about its centre on planar or semi-planar YUV and GRAY8 video, with no
 * conversion to RGB. The frame keeps its size: what leaves the frame is cut off, and what the
 * rotated picture no longer covers is black. Every plane is rotated with bilinear interpolation;
 * chroma planes are rotated in the picture's geometry, taking their subsampling and the caps'
 * chroma siting into account, so chroma stays on its luma.
 *
 * A positive #GstRtfxRotate:angle turns the picture counter-clockwise as seen on screen, as
 * OpenCV's `getRotationMatrix2D` does; the border handling is that of `cv::warpAffine` with
 * `INTER_LINEAR` and `BORDER_CONSTANT`: near the edge of the rotated picture, samples are blended
 * with black, so the edge is smooth rather than jagged.
 *
 * "Black" is the black of the stream's colour range: luma 16 for limited range (the default of
 * YUV caps) and 0 for full range (the default of GRAY8 caps), chroma 128.
 *
 * With a non-zero #GstRtfxRotate:speed the picture spins: a frame is rotated by
 * `angle + speed × t`, t being its running time in seconds, so the spin follows the stream's
 * timestamps, not the machine's speed, and is the same wherever a frame is processed. A frame
 * without a running time (no timestamp, or a segment that is not in TIME format, such as the
 * BYTES segment of an appsrc left at its default format) is rotated as the previous one was.
 * Both properties can be changed while the pipeline plays, also by control bindings
 * (GstController), which are synced to each frame's stream time; the next frame uses them. At an
 * angle that is a multiple of 360 and no speed, the element is in passthrough and costs nothing.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 videotestsrc ! rtfxrotate angle=30 ! autovideosink
 * gst-launch-1.0 v4l2src ! videoconvert ! video/x-raw,format=NV12 ! rtfxrotate speed=45 ! videoconvert ! autovideosink
 * ]|
 * The second line spins the camera picture counter-clockwise, one turn every 8 seconds.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstrtfxrotate.h"
#include "gstrtfxtime.h"
#include "rtfxrotate.h"

#include <math.h>

GST_DEBUG_CATEGORY_STATIC (gst_rtfx_rotate_debug);
#define GST_CAT_DEFAULT gst_rtfx_rotate_debug

#define DEFAULT_ANGLE 0.0
#define DEFAULT_SPEED 0.0
#define MAX_ANGLE 360.0
#define MAX_SPEED 3600.0
#define NEUTRAL_CHROMA 128

enum
{
  PROP_0,
  PROP_ANGLE,
  PROP_SPEED,
};

struct _GstRtfxRotate
{
  GstVideoFilter parent;

  /* properties, guarded by the object lock */
  gdouble angle;
  gdouble speed;

  /* used by the streaming thread only */
  guint8 fill[GST_VIDEO_MAX_COMPONENTS];        /* black, per component; set in set_info */
  GstClockTime last_running_time;       /* of the last frame that had one */
  gdouble frame_angle;          /* degrees, of the frame being processed */
};

#define VIDEO_FORMATS "{ I420, YV12, NV12, NV21, Y42B, Y444, Y41B, GRAY8 }"

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (VIDEO_FORMATS)));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (VIDEO_FORMATS)));

G_DEFINE_TYPE (GstRtfxRotate, gst_rtfx_rotate, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (rtfxrotate, "rtfxrotate", GST_RANK_NONE,
    GST_TYPE_RTFX_ROTATE,
    GST_DEBUG_CATEGORY_INIT (gst_rtfx_rotate_debug, "rtfxrotate", 0,
        "rtfx picture rotation"));

static void gst_rtfx_rotate_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_rtfx_rotate_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static gboolean gst_rtfx_rotate_start (GstBaseTransform * trans);
static void gst_rtfx_rotate_before_transform (GstBaseTransform * trans,
    GstBuffer * buffer);
static gboolean gst_rtfx_rotate_set_info (GstVideoFilter * filter,
    GstCaps * incaps, GstVideoInfo * in_info, GstCaps * outcaps,
    GstVideoInfo * out_info);
static GstFlowReturn gst_rtfx_rotate_transform_frame (GstVideoFilter * filter,
    GstVideoFrame * in_frame, GstVideoFrame * out_frame);

static void
gst_rtfx_rotate_class_init (GstRtfxRotateClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS (klass);
  const GParamFlags live = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_CONTROLLABLE | GST_PARAM_MUTABLE_PLAYING;

  gobject_class->set_property = gst_rtfx_rotate_set_property;
  gobject_class->get_property = gst_rtfx_rotate_get_property;

  g_object_class_install_property (gobject_class, PROP_ANGLE,
      g_param_spec_double ("angle", "Angle",
          "Rotation in degrees, counter-clockwise on screen (negative: clockwise); with a speed, "
          "the angle at running time 0",
          -MAX_ANGLE, MAX_ANGLE, DEFAULT_ANGLE, live));
  g_object_class_install_property (gobject_class, PROP_SPEED,
      g_param_spec_double ("speed", "Spin speed",
          "Degrees per second of stream time added to the angle, counter-clockwise (negative: "
          "clockwise); 0 for a still picture, 360 for one turn a second",
          -MAX_SPEED, MAX_SPEED, DEFAULT_SPEED, live));

  gst_element_class_set_static_metadata (element_class,
      "Picture rotation", "Filter/Effect/Video",
      "Rotates or spins the picture by any angle directly on YUV video, keeping the frame size "
      "and filling the uncovered corners with black", "rtfx developers");
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);

  trans_class->start = GST_DEBUG_FUNCPTR (gst_rtfx_rotate_start);
  trans_class->before_transform =
      GST_DEBUG_FUNCPTR (gst_rtfx_rotate_before_transform);
  filter_class->set_info = GST_DEBUG_FUNCPTR (gst_rtfx_rotate_set_info);
  filter_class->transform_frame =
      GST_DEBUG_FUNCPTR (gst_rtfx_rotate_transform_frame);
}

static void
gst_rtfx_rotate_init (GstRtfxRotate * self)
{
  self->angle = DEFAULT_ANGLE;
  self->speed = DEFAULT_SPEED;
  /* The defaults leave the picture as it is. */
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), TRUE);
}

static void
gst_rtfx_rotate_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstRtfxRotate *self = GST_RTFX_ROTATE (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_ANGLE:
      self->angle = g_value_get_double (value);
      break;
    case PROP_SPEED:
      self->speed = g_value_get_double (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_rtfx_rotate_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstRtfxRotate *self = GST_RTFX_ROTATE (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_ANGLE:
      g_value_set_double (value, self->angle);
      break;
    case PROP_SPEED:
      g_value_set_double (value, self->speed);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static gboolean
gst_rtfx_rotate_start (GstBaseTransform * trans)
{
  GstRtfxRotate *self = GST_RTFX_ROTATE (trans);

  self->last_running_time = 0;
  return TRUE;
}

/* Decides, from the properties as they are for this frame (control bindings included), its angle
 * and whether the frame can go through untouched. Done here rather than in set_property so that
 * passthrough always matches the values the frame is processed with, whichever thread sets
 * them. */
static void
gst_rtfx_rotate_before_transform (GstBaseTransform * trans, GstBuffer * buffer)
{
  GstRtfxRotate *self = GST_RTFX_ROTATE (trans);
  const GstClockTime running_time = gst_rtfx_running_time (&trans->segment,
      GST_BUFFER_PTS (buffer));
  gdouble angle, speed;
  gboolean passthrough;

  gst_rtfx_sync_controls (trans, buffer);

  GST_OBJECT_LOCK (self);
  angle = self->angle;
  speed = self->speed;
  GST_OBJECT_UNLOCK (self);

  if (GST_CLOCK_TIME_IS_VALID (running_time))
    self->last_running_time = running_time;

  self->frame_angle = fmod (angle + speed * ((gdouble) self->last_running_time
          / GST_SECOND), 360.0);

  passthrough = speed == 0.0 && self->frame_angle == 0.0;
  if (passthrough != gst_base_transform_is_passthrough (trans)) {
    GST_DEBUG_OBJECT (self, "passthrough %d", passthrough);
    gst_base_transform_set_passthrough (trans, passthrough);
    /* for a buffer pool that matches the new mode, from this very frame on */
    gst_base_transform_reconfigure_src (trans);
  }
}

static gboolean
gst_rtfx_rotate_set_info (GstVideoFilter * filter, GstCaps * incaps,
    GstVideoInfo * in_info, GstCaps * outcaps, GstVideoInfo * out_info)
{
  GstRtfxRotate *self = GST_RTFX_ROTATE (filter);
  const GstVideoColorRange range = in_info->colorimetry.range;
  /* Caps that leave the range open get the default of their format: full for gray, limited for
   * YUV, as GstVideoInfo does when the colorimetry is missing altogether. */
  const gboolean full_range = range == GST_VIDEO_COLOR_RANGE_0_255 ||
      (range == GST_VIDEO_COLOR_RANGE_UNKNOWN && GST_VIDEO_INFO_IS_GRAY (in_info));

  GST_DEBUG_OBJECT (self, "configuring for %dx%d %s, %s range",
      GST_VIDEO_INFO_WIDTH (in_info), GST_VIDEO_INFO_HEIGHT (in_info),
      GST_VIDEO_INFO_NAME (in_info), full_range ? "full" : "limited");

  self->fill[0] = full_range ? 0 : 16;
  for (guint comp = 1; comp < GST_VIDEO_MAX_COMPONENTS; comp++)
    self->fill[comp] = NEUTRAL_CHROMA;
  return TRUE;
}

static GstFlowReturn
gst_rtfx_rotate_transform_frame (GstVideoFilter * filter,
    GstVideoFrame * in_frame, GstVideoFrame * out_frame)
{
  GstRtfxRotate *self = GST_RTFX_ROTATE (filter);
  const GstVideoInfo *info = &in_frame->info;

  GST_LOG_OBJECT (self, "rotating by %.3f degrees", self->frame_angle);

  /* A spinning picture passes through 0 degrees: no need to interpolate then. */
  if (self->frame_angle == 0.0) {
    if (!gst_video_frame_copy (out_frame, in_frame)) {
      GST_ELEMENT_ERROR (self, STREAM, FAILED, (NULL),
          ("could not copy the input frame"));
      return GST_FLOW_ERROR;
    }
    return GST_FLOW_OK;
  }

  for (guint comp = 0; comp < GST_VIDEO_FRAME_N_COMPONENTS (in_frame); comp++) {
    const RtfxRotatePlane plane = {
      .picture_width = GST_VIDEO_INFO_WIDTH (info),
      .picture_height = GST_VIDEO_INFO_HEIGHT (info),
      .width = GST_VIDEO_FRAME_COMP_WIDTH (in_frame, comp),
      .height = GST_VIDEO_FRAME_COMP_HEIGHT (in_frame, comp),
      .w_sub = GST_VIDEO_FORMAT_INFO_W_SUB (info->finfo, comp),
      .h_sub = GST_VIDEO_FORMAT_INFO_H_SUB (info->finfo, comp),
      .h_cosited = (info->chroma_site & GST_VIDEO_CHROMA_SITE_H_COSITED) != 0,
      .v_cosited = (info->chroma_site & GST_VIDEO_CHROMA_SITE_V_COSITED) != 0,
    };

    rtfx_rotate_plane (&plane, self->frame_angle,
        GST_VIDEO_FRAME_COMP_DATA (in_frame, comp),
        GST_VIDEO_FRAME_COMP_STRIDE (in_frame, comp),
        GST_VIDEO_FRAME_COMP_PSTRIDE (in_frame, comp),
        GST_VIDEO_FRAME_COMP_DATA (out_frame, comp),
        GST_VIDEO_FRAME_COMP_STRIDE (out_frame, comp),
        GST_VIDEO_FRAME_COMP_PSTRIDE (out_frame, comp), self->fill[comp]);
  }
  return GST_FLOW_OK;
}
