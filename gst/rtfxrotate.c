/* Rotation by bilinear interpolation in fixed point. Every destination sample is mapped back to its
 * source position by an affine map in 16.16 fixed point, stepped along the row; the part of a row
 * whose 2x2 neighbourhoods lie inside the source plane is sampled without bounds checks (in 32
 * bits), only its ends sample with the fill outside the plane. */
#include "rtfxrotate.h"

#include <math.h>

/* Source positions are 16.16 fixed point; interpolation weights keep the top 8 bits of the
 * fraction, which is well below what 8-bit samples can show. */
#define FIX_SHIFT 16
#define FIX_ONE (1 << FIX_SHIFT)
#define WEIGHT_SHIFT 8

/* Maps a destination sample (i, j) of one plane to the source position
 * (xx * i + xy * j + x0, yx * i + yy * j + y0), in source samples, 16.16 fixed point. */
typedef struct
{
  gint64 xx, xy, x0;
  gint64 yx, yy, y0;
} Affine;

static gint64
to_fixed (gdouble v)
{
  return (gint64) llround (v * FIX_ONE);
}

/* The source positions of one plane's samples for a counter-clockwise rotation by an angle of
 * cosine c and sine s about the picture centre. Sample positions are worked out in luma pixels
 * (where rotation keeps distances), from the subsampling and the chroma siting. */
static void
plane_affine (const RtfxRotatePlane * plane, gdouble c, gdouble s, Affine * m)
{
  const gdouble sw = 1 << plane->w_sub;
  const gdouble sh = 1 << plane->h_sub;
  /* where sample 0 of the plane sits, in luma pixels */
  const gdouble ox = plane->h_cosited ? 0.0 : (sw - 1.0) / 2.0;
  const gdouble oy = plane->v_cosited ? 0.0 : (sh - 1.0) / 2.0;
  const gdouble cx = (plane->picture_width - 1) / 2.0;
  const gdouble cy = (plane->picture_height - 1) / 2.0;
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

/* Rotates one plane of width x height samples: destination sample (i, j) is the bilinear
 * interpolation of the source at m (i, j). Each row is split where its source positions leave the
 * plane, so the bulk of it is sampled without bounds checks. */
static void
rotate_with (const guint8 * src, gint src_stride, gint src_pstride,
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

void
rtfx_rotate_plane (const RtfxRotatePlane * plane, gdouble degrees,
    const guint8 * src, gint src_stride, gint src_pstride,
    guint8 * dst, gint dst_stride, gint dst_pstride, guint8 fill)
{
  const gdouble radians = degrees * G_PI / 180.0;
  Affine m;

  plane_affine (plane, cos (radians), sin (radians), &m);
  rotate_with (src, src_stride, src_pstride, dst, dst_stride, dst_pstride,
      plane->width, plane->height, &m, fill);
}
