/* The classic cartoon recipe (OpenCV tutorials, streamlit-webrtc's demo) done in YUV:
 *  - colour: the luma is halved to the chroma's size by 2x2 averages, so Y, U and V form one half-size
 *    picture, which a bilateral filter flattens `passes` times; its luma is doubled back bilinearly and
 *    its chroma written out as is, so the chroma never leaves its own resolution;
 *  - lines: cv::medianBlur (3) and cv::adaptiveThreshold (ADAPTIVE_THRESH_MEAN_C, THRESH_BINARY) on the
 *    full-size luma: a pixel is an edge when it is at least `threshold` below the mean of the
 *    block_size x block_size box around it, the border replicated as OpenCV does. The box sums come
 *    from an integral image, so any block size costs the same;
 *  - combined: the luma of edge pixels is pulled towards black by edge_strength, the chroma kept.
 *
 * The bilateral filter is separable, a horizontal then a vertical 5-tap pass: an approximation of the
 * 2-D filter, but 8 taps a pixel instead of 24. A neighbour's weight is a Gaussian of its distance
 * times Tukey's biweight of the L1 distance between its Y, U, V and the centre's, (1 - (d / limit)^2)^2
 * up to the limit and 0 beyond: close to a Gaussian for small differences, but computed rather than
 * looked up, so the loops vectorize, and exactly 0 across a strong colour step, which then never
 * bleeds however many passes run. The half-size planes are float (no rounding between passes) and
 * padded with a sentinel value so far from any colour that taps beyond the border weigh 0, without a
 * test in the loop. */
#include "rtfxcartoon.h"
#include "rtfxsimd.h"

#include <math.h>
#include <string.h>

/* Taps on each side of a pixel in one pass, the spatial sigma in half-size pixels, and the L1
 * distance between two Y+U+V triples at which a neighbour stops counting. The limit lets camera
 * noise through (two noisy samples of one flat colour differ by a few levels a channel) and stops at
 * the colour steps a cartoon keeps. */
#define RADIUS 2
#define TAPS (2 * RADIUS + 1)
#define SPACE_SIGMA 1.5
#define RANGE_LIMIT 32.0
#define SENTINEL 4096.0f

/* The threshold is compared in sixteenths of a level, which keeps every product in 32 bits. */
#define THRESHOLD_ONE 16

#define PLANES 3

struct _RtfxCartoon
{
  gint width;
  gint height;
  gint cw;                      /* the half-size picture, which is the chroma's size */
  gint ch;
  gfloat *small[PLANES];        /* Y, U, V: ch rows of cw samples, RADIUS sentinels on both sides */
  gsize small_stride;
  gfloat *ring[TAPS][PLANES];   /* the horizontal pass's last rows, cw samples each */
  gfloat *outside;              /* cw sentinels: the rows above and below the picture */
  gfloat space_weight[RADIUS + 1];
  guint8 *median;               /* width x height: the median-filtered luma */
  guint8 *col_lo;               /* median scratch, width + 2: each column's sorted three samples */
  guint8 *col_mid;
  guint8 *col_hi;
  guint32 *integral;            /* the median's integral image, with the border the box needs */
  gsize integral_stride;
  gfloat *up;                   /* cw: two half-size luma rows blended */
  guint8 *luma_row;             /* width: one row of the doubled luma, before lines are drawn */
  gpointer blocks[3];           /* what the pointers above point into, to free */
};

RtfxCartoon *
rtfx_cartoon_new (gint width, gint height)
{
  const gint border = RTFX_CARTOON_MAX_BLOCK_SIZE - 1;
  RtfxCartoon *c;
  gsize plane_size;
  gfloat *f;

  g_return_val_if_fail (width > 0 && height > 0, NULL);

  c = g_new0 (RtfxCartoon, 1);
  c->width = width;
  c->height = height;
  c->cw = (width + 1) / 2;
  c->ch = (height + 1) / 2;
  for (gint k = 0; k <= RADIUS; k++)
    c->space_weight[k] = (gfloat) exp (-(k * k) / (2.0 * SPACE_SIGMA *
            SPACE_SIGMA));

  c->small_stride = (gsize) c->cw + 2 * RADIUS;
  plane_size = c->small_stride * c->ch;
  /* The planes, the ring, the outside row and the upscaling row, all floats. */
  f = c->blocks[0] = g_new (gfloat, PLANES * plane_size +
      (TAPS * PLANES + 2) * (gsize) c->cw);
  for (gsize i = 0; i < PLANES * plane_size; i++)
    f[i] = SENTINEL;            /* only the padding keeps it */
  for (gint p = 0; p < PLANES; p++)
    c->small[p] = f + p * plane_size + RADIUS;
  f += PLANES * plane_size;
  for (gint k = 0; k < TAPS; k++)
    for (gint p = 0; p < PLANES; p++, f += c->cw)
      c->ring[k][p] = f;
  c->outside = f;
  for (gint i = 0; i < c->cw; i++)
    c->outside[i] = SENTINEL;
  c->up = f + c->cw;

  c->median = c->blocks[1] = g_malloc ((gsize) width * height + 4 * ((gsize)
          width + 2));
  c->col_lo = c->median + (gsize) width * height;
  c->col_mid = c->col_lo + width + 2;
  c->col_hi = c->col_mid + width + 2;
  c->luma_row = c->col_hi + width + 2;
  /* Sums of at most 51 x 51 samples fit in 32 bits; the integral itself may wrap around on huge
   * pictures, which unsigned differences of four corners do not mind. */
  c->integral_stride = (gsize) width + border + 1;
  c->integral = c->blocks[2] = g_new (guint32, c->integral_stride * ((gsize)
          height + border + 1));
  return c;
}

void
rtfx_cartoon_free (RtfxCartoon * c)
{
  if (c == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (c->blocks); i++)
    g_free (c->blocks[i]);
  g_free (c);
}

static inline gfloat *
small_row (const RtfxCartoon * c, gint plane, gint y)
{
  return c->small[plane] + (gsize) y * c->small_stride;
}

/* Halves the luma by 2x2 averages (a last odd row or column averaged with itself) and puts it beside
 * the chroma, which already has that size. */
static void
downscale (RtfxCartoon * c, const RtfxYuv420 * src)
{
  const gint w = c->width;

  for (gint j = 0; j < c->ch; j++) {
    const guint8 *r0 = src->y + (gsize) 2 * j * src->y_stride;
    const guint8 *r1 = 2 * j + 1 < c->height ? r0 + src->y_stride : r0;
    const guint8 *u = src->u + (gsize) j * src->uv_stride;
    const guint8 *v = src->v + (gsize) j * src->uv_stride;
    gfloat *oy = small_row (c, 0, j), *ou = small_row (c, 1, j),
        *ov = small_row (c, 2, j);

    for (gint i = 0; i < c->cw; i++) {
      const gint x0 = 2 * i, x1 = MIN (2 * i + 1, w - 1);

      oy[i] = (r0[x0] + r0[x1] + r1[x0] + r1[x1]) * 0.25f;
      ou[i] = u[i * src->uv_pstride];
      ov[i] = v[i * src->uv_pstride];
    }
  }
}

/* The five taps of a line of pixels: taps[p][k] is plane p's samples RADIUS - k places before the
 * ones being filtered (a column or a row away, the same code does both directions). */
typedef const gfloat *Taps[PLANES][TAPS];

#define TAP(k, space) do { \
    const gfloat dy = y##k[x] - cy, du = u##k[x] - cu, dv = v##k[x] - cv; \
    const gfloat d = fabsf (dy) + fabsf (du) + fabsf (dv); \
    const gfloat r = 1.0f - d * d * inv_limit2; \
    const gfloat h = r + fabsf (r);     /* 2 max (r, 0), without a comparison */ \
    const gfloat w = h * h * (space); \
    sy += w * y##k[x]; \
    su += w * u##k[x]; \
    sv += w * v##k[x]; \
    sw += w; \
  } while (0)

/* Filters a line of cw pixels into oy, ou, ov, which may not be any of the taps. Written out for
 * RADIUS 2, with restrict pointers, so that the compiler vectorizes it. */
HOT_LOOP static void
smooth_line (const RtfxCartoon * c, Taps taps, gfloat * restrict oy,
    gfloat * restrict ou, gfloat * restrict ov)
{
  const gfloat *restrict y0 = taps[0][0], *restrict y1 = taps[0][1],
      *restrict y2 = taps[0][2], *restrict y3 = taps[0][3],
      *restrict y4 = taps[0][4];
  const gfloat *restrict u0 = taps[1][0], *restrict u1 = taps[1][1],
      *restrict u2 = taps[1][2], *restrict u3 = taps[1][3],
      *restrict u4 = taps[1][4];
  const gfloat *restrict v0 = taps[2][0], *restrict v1 = taps[2][1],
      *restrict v2 = taps[2][2], *restrict v3 = taps[2][3],
      *restrict v4 = taps[2][4];
  const gfloat s1 = c->space_weight[1], s2 = c->space_weight[2];
  const gfloat inv_limit2 = (gfloat) (1.0 / (RANGE_LIMIT * RANGE_LIMIT));
  const gint n = c->cw;

  G_STATIC_ASSERT (RADIUS == 2);
  for (gint x = 0; x < n; x++) {
    const gfloat cy = y2[x], cu = u2[x], cv = v2[x];
    /* The taps' weights are 4 times the biweight; so is the centre's. */
    gfloat sy = 4.0f * cy, su = 4.0f * cu, sv = 4.0f * cv, sw = 4.0f;
    gfloat inv;

    TAP (0, s2);
    TAP (1, s1);
    TAP (3, s1);
    TAP (4, s2);
    inv = 1.0f / sw;
    oy[x] = sy * inv;
    ou[x] = su * inv;
    ov[x] = sv * inv;
  }
}

/* The horizontal pass over row y, into its ring slot. */
static void
smooth_row_h (RtfxCartoon * c, gint y)
{
  gfloat *const *out = c->ring[y % TAPS];
  Taps taps;

  for (gint p = 0; p < PLANES; p++)
    for (gint k = 0; k < TAPS; k++)
      taps[p][k] = small_row (c, p, y) + k - RADIUS;
  smooth_line (c, taps, out[0], out[1], out[2]);
}

/* One bilateral pass, in place: row y's vertical pass runs as soon as the horizontal pass has done
 * row y + RADIUS, which is the last row it reads, so the ring of the last TAPS rows is enough. */
static void
bilateral_pass (RtfxCartoon * c)
{
  for (gint y = 0; y < MIN (RADIUS, c->ch); y++)
    smooth_row_h (c, y);
  for (gint y = 0; y < c->ch; y++) {
    Taps taps;

    if (y + RADIUS < c->ch)
      smooth_row_h (c, y + RADIUS);
    for (gint k = 0; k < TAPS; k++) {
      const gint r = y + k - RADIUS;

      for (gint p = 0; p < PLANES; p++)
        taps[p][k] = r >= 0 && r < c->ch ? c->ring[r % TAPS][p] : c->outside;
    }
    smooth_line (c, taps, small_row (c, 0, y), small_row (c, 1, y),
        small_row (c, 2, y));
  }
}

/* Samples are never negative, so adding a half and truncating rounds. */
static inline guint8
to_sample (gfloat v)
{
  return (guint8) (gint) (v + 0.5f);
}

static void
write_chroma (const RtfxCartoon * c, const RtfxYuv420 * dst)
{
  for (gint j = 0; j < c->ch; j++) {
    const gfloat *iu = small_row (c, 1, j), *iv = small_row (c, 2, j);
    guint8 *u = dst->u + (gsize) j * dst->uv_stride;
    guint8 *v = dst->v + (gsize) j * dst->uv_stride;

    for (gint i = 0; i < c->cw; i++) {
      u[i * dst->uv_pstride] = to_sample (iu[i]);
      v[i * dst->uv_pstride] = to_sample (iv[i]);
    }
  }
}


static inline guint8
min3 (guint8 a, guint8 b, guint8 c)
{
  return MIN (MIN (a, b), c);
}

static inline guint8
max3 (guint8 a, guint8 b, guint8 c)
{
  return MAX (MAX (a, b), c);
}

static inline guint8
med3 (guint8 a, guint8 b, guint8 c)
{
  return MAX (MIN (a, b), MIN (MAX (a, b), c));
}

/* 3x3 median of the luma, border replicated (cv::medianBlur (src, dst, 3)). Each column's three
 * samples are sorted once; the median of nine is then the median of the largest of the three
 * smallest, the median of the middles and the smallest of the largest. Branch-free min/max, so the
 * loops vectorize. */
static void
median_row (RtfxCartoon * c, const guint8 * restrict a,
    const guint8 * restrict b, const guint8 * restrict d, guint8 * restrict out)
{
  const gint w = c->width;
  guint8 *restrict lo = c->col_lo, *restrict mid = c->col_mid,
      *restrict hi = c->col_hi;

  for (gint x = 0; x < w; x++) {
    lo[x + 1] = min3 (a[x], b[x], d[x]);
    mid[x + 1] = med3 (a[x], b[x], d[x]);
    hi[x + 1] = max3 (a[x], b[x], d[x]);
  }
  lo[0] = lo[1];
  mid[0] = mid[1];
  hi[0] = hi[1];
  lo[w + 1] = lo[w];
  mid[w + 1] = mid[w];
  hi[w + 1] = hi[w];
  for (gint x = 0; x < w; x++)
    out[x] = med3 (max3 (lo[x], lo[x + 1], lo[x + 2]),
        med3 (mid[x], mid[x + 1], mid[x + 2]),
        min3 (hi[x], hi[x + 1], hi[x + 2]));
}

static void
median_plane (RtfxCartoon * c, const RtfxYuv420 * src)
{
  for (gint y = 0; y < c->height; y++) {
    const guint8 *b = src->y + (gsize) y * src->y_stride;
    const guint8 *a = y > 0 ? b - src->y_stride : b;
    const guint8 *d = y + 1 < c->height ? b + src->y_stride : b;

    median_row (c, a, b, d, c->median + (gsize) y * c->width);
  }
}

/* Integral image of the median luma extended by r replicated samples on every side: entry (y, x) is
 * the sum over the extended picture's rows < y and columns < x. */
static void
build_integral (RtfxCartoon * c, gint r)
{
  const gint w = c->width, ext_w = w + 2 * r, ext_h = c->height + 2 * r;
  const gsize stride = c->integral_stride;

  memset (c->integral, 0, (ext_w + 1) * sizeof (guint32));
  for (gint y = 0; y < ext_h; y++) {
    const guint8 *m = c->median + (gsize) CLAMP (y - r, 0, c->height - 1) * w;
    const guint32 *above = c->integral + (gsize) y * stride;
    guint32 *row = c->integral + ((gsize) y + 1) * stride;
    guint32 acc = 0;

    row[0] = 0;
    for (gint x = 0; x < r; x++) {
      acc += m[0];
      row[x + 1] = above[x + 1] + acc;
    }
    for (gint x = 0; x < w; x++) {
      acc += m[x];
      row[r + x + 1] = above[r + x + 1] + acc;
    }
    for (gint x = 0; x < r; x++) {
      acc += m[w - 1];
      row[r + w + x + 1] = above[r + w + x + 1] + acc;
    }
  }
}

/* Row y of the half-size luma, doubled: each output sample sits a quarter of a half-size sample from
 * the nearest one, so it is 3/4 of that and 1/4 of the next, in both directions (the picture's edge
 * replicated). */
static void
upscale_row (RtfxCartoon * c, gint y)
{
  const gint j = y / 2;
  const gint far = CLAMP (y % 2 ? j + 1 : j - 1, 0, c->ch - 1);
  const gfloat *restrict near_row = small_row (c, 0, j);
  const gfloat *restrict far_row = small_row (c, 0, far);
  gfloat *restrict up = c->up;
  guint8 *restrict out = c->luma_row;
  const gint last = c->cw - 1;

  for (gint i = 0; i < c->cw; i++)
    up[i] = 3.0f * near_row[i] + far_row[i];
  for (gint i = 0; i < c->cw; i++) {
    out[2 * i] = to_sample ((3.0f * up[i] + up[MAX (i - 1, 0)]) * 0.0625f);
    if (2 * i + 1 < c->width)
      out[2 * i + 1] = to_sample ((3.0f * up[i] + up[MIN (i + 1, last)]) *
          0.0625f);
  }
}

/* Writes row y of the output luma: the doubled smooth luma, pulled towards black where the median
 * luma is at least the threshold (in sixteenths) below its box mean. */
static void
draw_row (const RtfxCartoon * c, gint y, gint block, gint32 threshold16,
    gint32 strength256, gint black, guint8 * restrict dst)
{
  const gint w = c->width;
  const gint32 area = block * block;
  const guint32 *restrict top = c->integral + (gsize) y * c->integral_stride;
  const guint32 *restrict bottom = top + (gsize) block * c->integral_stride;
  const guint8 *restrict m = c->median + (gsize) y * w;
  const guint8 *restrict smooth = c->luma_row;

  for (gint x = 0; x < w; x++) {
    const gint32 sum = (gint32) (bottom[x + block] - top[x + block] -
        bottom[x] + top[x]);
    const gint32 s = smooth[x];
    const gint32 dark = s - ((MAX (s - black, 0) * strength256 + 128) >> 8);
    const gboolean edge = (m[x] * THRESHOLD_ONE + threshold16) * area <=
        sum * THRESHOLD_ONE;

    dst[x] = (guint8) (edge ? dark : s);
  }
}

void
rtfx_cartoon_process (RtfxCartoon * c, const RtfxCartoonParams * p,
    const RtfxYuv420 * src, const RtfxYuv420 * dst)
{
  const gint block = CLAMP (p->block_size | 1, RTFX_CARTOON_MIN_BLOCK_SIZE,
      RTFX_CARTOON_MAX_BLOCK_SIZE);
  const gint32 strength256 =
      (gint32) lround (CLAMP (p->edge_strength, 0.0, 1.0) * 256);
  const gint32 threshold16 = (gint32) lround (CLAMP (p->threshold,
          -RTFX_CARTOON_MAX_THRESHOLD, RTFX_CARTOON_MAX_THRESHOLD) *
      THRESHOLD_ONE);

  /* Everything is read from src before dst is written, so the two may be the same picture. */
  downscale (c, src);
  if (strength256 > 0) {
    median_plane (c, src);
    build_integral (c, block / 2);
  }

  for (guint i = 0; i < p->passes; i++)
    bilateral_pass (c);
  write_chroma (c, dst);

  for (gint y = 0; y < c->height; y++) {
    guint8 *out = dst->y + (gsize) y * dst->y_stride;

    upscale_row (c, y);
    if (strength256 > 0)
      draw_row (c, y, block, threshold16, strength256, p->black, out);
    else
      memcpy (out, c->luma_row, c->width);
  }
}
