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
 * without a timestamp is rotated as the previous one was. Both properties can be changed while
 * the pipeline plays; the next frame uses them. At an angle that is a multiple of 360 and no
 * speed, the element is in passthrough and costs nothing.
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

#include <math.h>

GST_DEBUG_CATEGORY_STATIC (gst_rtfx_rotate_debug);
#define GST_CAT_DEFAULT gst_rtfx_rotate_debug

#define DEFAULT_ANGLE 0.0
#define DEFAULT_SPEED 0.0
#define MAX_ANGLE 360.0
#define MAX_SPEED 3600.0
#define NEUTRAL_CHROMA 128

/* Source positions are 16.16 fixed point; interpolation weights keep the top 8 bits of the
 * fraction, which is well below what 8-bit samples can show. */
#define FIX_SHIFT 16
#define FIX_ONE (1 << FIX_SHIFT)
#define WEIGHT_SHIFT 8

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

/* Maps a destination sample (i, j) of one component to the source position
 * (xx * i + xy * j + x0, yx * i + yy * j + y0), in source samples, 16.16 fixed point. */
typedef struct
{
  gint64 xx, xy, x0;
  gint64 yx, yy, y0;
} Affine;

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

/* Decides, from the properties as they are for this frame, its angle and whether the frame can go
 * through untouched. Done here rather than in set_property so that passthrough always matches the
 * values the frame is processed with, whichever thread sets them. */
static void
gst_rtfx_rotate_before_transform (GstBaseTransform * trans, GstBuffer * buffer)
{
  GstRtfxRotate *self = GST_RTFX_ROTATE (trans);
  const GstSegment *segment = &trans->segment;
  GstClockTime running_time = GST_CLOCK_TIME_NONE;
  gdouble angle, speed;
  gboolean passthrough;

  GST_OBJECT_LOCK (self);
  angle = self->angle;
  speed = self->speed;
  GST_OBJECT_UNLOCK (self);

  if (segment->format == GST_FORMAT_TIME && GST_BUFFER_PTS_IS_VALID (buffer))
    running_time = gst_segment_to_running_time (segment, GST_FORMAT_TIME,
        GST_BUFFER_PTS (buffer));
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

static gint64
to_fixed (gdouble v)
{
  return (gint64) llround (v * FIX_ONE);
}

/* The source positions of one component's samples for a counter-clockwise rotation by an angle of
 * cosine c and sine s about the picture centre. Sample positions are worked out in luma pixels
 * (where rotation keeps distances), from the subsampling and the chroma siting. */
static void
component_affine (const GstVideoInfo * info, guint comp, gdouble c, gdouble s,
    Affine * m)
{
  const gdouble sw = 1 << GST_VIDEO_FORMAT_INFO_W_SUB (info->finfo, comp);
  const gdouble sh = 1 << GST_VIDEO_FORMAT_INFO_H_SUB (info->finfo, comp);
  /* where sample 0 of the component sits, in luma pixels */
  const gdouble ox = info->chroma_site & GST_VIDEO_CHROMA_SITE_H_COSITED ?
      0.0 : (sw - 1.0) / 2.0;
  const gdouble oy = info->chroma_site & GST_VIDEO_CHROMA_SITE_V_COSITED ?
      0.0 : (sh - 1.0) / 2.0;
  const gdouble cx = (GST_VIDEO_INFO_WIDTH (info) - 1) / 2.0;
  const gdouble cy = (GST_VIDEO_INFO_HEIGHT (info) - 1) / 2.0;
  /* Rounds the weights to the nearest 1/256 rather than down. */
  const gint64 half_weight = 1 << (FIX_SHIFT - WEIGHT_SHIFT - 1);

  /* Destination sample (i, j) is at luma (X, Y) = (i sw + ox, j sh + oy); the source point is the
   * destination point turned back by the angle: (cx + (X - cx) c - (Y - cy) s,
   * cy + (X - cx) s + (Y - cy) c), then back in the component's samples. */
  m->xx = to_fixed (c);
  m->xy = to_fixed (-s * sh / sw);
  m->x0 = to_fixed ((cx - ox + (ox - cx) * c - (oy - cy) * s) / sw) +
      half_weight;
  m->yx = to_fixed (s * sw / sh);
  m->yy = to_fixed (c);
  m->y0 = to_fixed ((cy - oy + (ox - cx) * s + (oy - cy) * c) / sh) +
      half_weight;
}

/* Narrows [*lo, *hi) to the i for which 0 <= p0 + step * i <= limit. Estimated in floating point:
 * the caller checks the ends, so an estimate off by one costs a slow sample, never a wrong one. */
static void
narrow_span (gint64 p0, gint64 step, gint64 limit, gint * lo, gint * hi)
{
  gdouble first, last;

  if (limit < 0 || (step == 0 && (p0 < 0 || p0 > limit))) {
    *hi = *lo;
    return;
  }
  if (step == 0)
    return;
  first = -(gdouble) p0 / step;
  last = (gdouble) (limit - p0) / step;
  if (step < 0) {
    const gdouble t = first;
    first = last;
    last = t;
  }
  first = CLAMP (ceil (first), *lo, *hi);
  last = CLAMP (floor (last) + 1.0, *lo, *hi);
  *lo = (gint) first;
  *hi = MAX ((gint) last, *lo);
}

static inline gboolean
inside (gint64 px, gint64 py, gint64 x_limit, gint64 y_limit)
{
  return px >= 0 && px <= x_limit && py >= 0 && py <= y_limit;
}

/* Bilinear sample at (px, py), 16.16, any position: samples outside the plane count as fill. */
static inline guint8
sample_clipped (const guint8 * src, gint stride, gint pstride, gint width,
    gint height, gint64 px, gint64 py, guint8 fill)
{
  /* >> on a negative gint64 floors (arithmetic shift, as GCC and Clang define it) */
  const gint64 x = px >> FIX_SHIFT, y = py >> FIX_SHIFT;
  const guint fx = (px >> WEIGHT_SHIFT) & 0xff, fy = (py >> WEIGHT_SHIFT) & 0xff;
  guint tap[4];

  if (x < -1 || x >= width || y < -1 || y >= height)
    return fill;
  for (gint k = 0; k < 4; k++) {
    const gint64 tx = x + (k & 1), ty = y + (k >> 1);

    tap[k] = tx >= 0 && tx < width && ty >= 0 && ty < height ?
        src[ty * stride + tx * pstride] : fill;
  }
  return ((tap[0] * (256 - fx) + tap[1] * fx) * (256 - fy) +
      (tap[2] * (256 - fx) + tap[3] * fx) * fy + 32768) >> 16;
}

/* Bilinear samples at n positions (px, py) + k (dx, dy), 16.16, all with their 2x2 neighbourhood
 * inside the plane. The positions then fit in 32 bits, which is faster than 64. */
static G_ALWAYS_INLINE inline void
interpolate_span (const guint8 * src, gint src_stride, gint src_pstride,
    guint8 * out, gint dst_pstride, gint64 px, gint64 py, gint64 dx, gint64 dy,
    gint n)
{
  guint32 x = (guint32) px, y = (guint32) py;
  const guint32 step_x = (guint32) dx, step_y = (guint32) dy;

  for (gint k = 0; k < n; k++, x += step_x, y += step_y) {
    const guint8 *p = src + (gsize) (y >> FIX_SHIFT) * src_stride +
        (gsize) (x >> FIX_SHIFT) * src_pstride;
    const guint fx = (x >> WEIGHT_SHIFT) & 0xff;
    const guint fy = (y >> WEIGHT_SHIFT) & 0xff;
    const guint top = p[0] * (256 - fx) + p[src_pstride] * fx;
    const guint bottom = p[src_stride] * (256 - fx) +
        p[src_stride + src_pstride] * fx;

    out[k * dst_pstride] = (top * (256 - fy) + bottom * fy + 32768) >> 16;
  }
}

/* Rotates one component of width x height samples: destination sample (i, j) is the bilinear
 * interpolation of the source at m (i, j). Each row is split where its source positions leave the
 * plane, so the bulk of it is sampled without bounds checks. */
static void
rotate_component (const guint8 * src, gint src_stride, gint src_pstride,
    guint8 * dst, gint dst_stride, gint dst_pstride, gint width, gint height,
    const Affine * m, guint8 fill)
{
  /* the largest positions whose 2x2 neighbourhood is inside the plane */
  const gint64 x_limit = ((gint64) (width - 1) << FIX_SHIFT) - 1;
  const gint64 y_limit = ((gint64) (height - 1) << FIX_SHIFT) - 1;
  /* interpolate_span's 32-bit positions: planes over 65535 samples wide or high take the slow
   * path throughout */
  const gboolean fits_32 = x_limit <= G_MAXUINT32 && y_limit <= G_MAXUINT32;

  for (gint j = 0; j < height; j++) {
    guint8 *out = dst + (gsize) j * dst_stride;
    const gint64 px0 = m->xy * j + m->x0, py0 = m->yy * j + m->y0;
    gint lo = 0, hi = fits_32 ? width : 0, i;

    narrow_span (px0, m->xx, x_limit, &lo, &hi);
    narrow_span (py0, m->yx, y_limit, &lo, &hi);
    while (lo < hi && !inside (px0 + m->xx * lo, py0 + m->yx * lo, x_limit,
            y_limit))
      lo++;
    while (lo < hi && !inside (px0 + m->xx * (hi - 1), py0 + m->yx * (hi - 1),
            x_limit, y_limit))
      hi--;

    for (i = 0; i < lo; i++)
      out[i * dst_pstride] = sample_clipped (src, src_stride, src_pstride,
          width, height, px0 + m->xx * i, py0 + m->yx * i, fill);

    /* Constant pixel strides for planar and semi-planar chroma let the compiler do better. */
    if (src_pstride == 1 && dst_pstride == 1)
      interpolate_span (src, src_stride, 1, out + lo, 1, px0 + m->xx * lo,
          py0 + m->yx * lo, m->xx, m->yx, hi - lo);
    else if (src_pstride == 2 && dst_pstride == 2)
      interpolate_span (src, src_stride, 2, out + lo * 2, 2, px0 + m->xx * lo,
          py0 + m->yx * lo, m->xx, m->yx, hi - lo);
    else
      interpolate_span (src, src_stride, src_pstride, out + lo * dst_pstride,
          dst_pstride, px0 + m->xx * lo, py0 + m->yx * lo, m->xx, m->yx,
          hi - lo);

    for (i = hi; i < width; i++)
      out[i * dst_pstride] = sample_clipped (src, src_stride, src_pstride,
          width, height, px0 + m->xx * i, py0 + m->yx * i, fill);
  }
}

static GstFlowReturn
gst_rtfx_rotate_transform_frame (GstVideoFilter * filter,
    GstVideoFrame * in_frame, GstVideoFrame * out_frame)
{
  GstRtfxRotate *self = GST_RTFX_ROTATE (filter);
  const gdouble radians = self->frame_angle * G_PI / 180.0;
  const gdouble c = cos (radians), s = sin (radians);

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
    Affine m;

    component_affine (&in_frame->info, comp, c, s, &m);
    rotate_component (GST_VIDEO_FRAME_COMP_DATA (in_frame, comp),
        GST_VIDEO_FRAME_COMP_STRIDE (in_frame, comp),
        GST_VIDEO_FRAME_COMP_PSTRIDE (in_frame, comp),
        GST_VIDEO_FRAME_COMP_DATA (out_frame, comp),
        GST_VIDEO_FRAME_COMP_STRIDE (out_frame, comp),
        GST_VIDEO_FRAME_COMP_PSTRIDE (out_frame, comp),
        GST_VIDEO_FRAME_COMP_WIDTH (in_frame, comp),
        GST_VIDEO_FRAME_COMP_HEIGHT (in_frame, comp), &m, self->fill[comp]);
  }
  return GST_FLOW_OK;
}
