/* Canny edge detection, step for step what OpenCV's cv::Canny does with aperture 3 and L1 gradient,
 * so its thresholds mean the same thing and its output is bit-identical:
 *  - 3x3 Sobel derivatives, the image border replicated;
 *  - magnitude |dx| + |dy|, zero outside the image;
 *  - non-maximum suppression along one of four directions chosen with tan(22.5°) in 15-bit fixed point,
 *    with OpenCV's exact mix of > and >= so that plateaus thin out the same way;
 *  - hysteresis: pixels above high seed edges that grow through 8-connected pixels above low.
 * Rows are processed in a rolling window of three magnitude rows, so the working set stays in cache. */
#include "rtfxcanny.h"
#include "rtfxsimd.h"

#include <math.h>
#include <string.h>

/* Edge map values, with OpenCV's meaning: */
#define MAP_CANDIDATE 0         /* above low and a local maximum: an edge if connected to a strong pixel */
#define MAP_NONE      1
#define MAP_EDGE      2

/* Pixels tested at once for being above the low threshold, to skip flat areas quickly. */
#define BLOCK 32

#define CANNY_SHIFT 15
/* tan(22.5°) in CANNY_SHIFT fixed point, rounded as OpenCV rounds it. */
#define TG22 ((gint) (0.4142135623730950488016887242097 * (1 << CANNY_SHIFT) + 0.5))

struct _RtfxCanny
{
  gint width;
  gint height;
  gint16 *dx[2];                /* derivatives of the current and the next row */
  gint16 *dy[2];
  gint16 *mag[3];               /* magnitude rows i-1, i, i+1, each padded by one zero on both sides */
  gint16 *mag_zero;             /* the magnitude of the rows outside the image */
  guint8 *map;                  /* (width + 2) x (height + 2), a border of MAP_NONE all round */
  gsize map_step;
  guint32 *stack;               /* map offsets of edge pixels whose neighbours are still to visit */
};

RtfxCanny *
rtfx_canny_new (gint width, gint height)
{
  RtfxCanny *c;
  gsize padded = (gsize) width + 2;

  g_return_val_if_fail (width > 0 && height > 0, NULL);

  c = g_new0 (RtfxCanny, 1);
  c->width = width;
  c->height = height;
  for (gint i = 0; i < 2; i++) {
    c->dx[i] = g_new (gint16, width);
    c->dy[i] = g_new (gint16, width);
  }
  for (gint i = 0; i < 3; i++)
    c->mag[i] = g_new0 (gint16, padded);
  c->mag_zero = g_new0 (gint16, padded);
  c->map_step = padded;
  c->map = g_malloc (padded * ((gsize) height + 2));
  memset (c->map, MAP_NONE, padded * ((gsize) height + 2));
  c->stack = g_new (guint32, (gsize) width * height);
  return c;
}

void
rtfx_canny_free (RtfxCanny * c)
{
  if (c == NULL)
    return;
  for (gint i = 0; i < 2; i++) {
    g_free (c->dx[i]);
    g_free (c->dy[i]);
  }
  for (gint i = 0; i < 3; i++)
    g_free (c->mag[i]);
  g_free (c->mag_zero);
  g_free (c->map);
  g_free (c->stack);
  g_free (c);
}

static inline gint
clamp_index (gint i, gint n)
{
  return i < 0 ? 0 : (i >= n ? n - 1 : i);
}

/* Sobel at column x of the rows a (above), b, c (below), for columns where x-1 or x+1 leaves the row. */
static inline void
sobel_at_border (const guint8 * a, const guint8 * b, const guint8 * c, gint x,
    gint width, gint16 * dx, gint16 * dy)
{
  gint l = clamp_index (x - 1, width), r = clamp_index (x + 1, width);

  *dx = (a[r] - a[l]) + 2 * (b[r] - b[l]) + (c[r] - c[l]);
  *dy = (c[l] + 2 * c[x] + c[r]) - (a[l] + 2 * a[x] + a[r]);
}

/* Derivatives and magnitude of row y. mag points at the padded row's first pixel (mag[-1] is padding). */
HOT_LOOP static void
gradient_row (const RtfxCanny * c, const guint8 * src, gint stride, gint y,
    gint16 * restrict dx, gint16 * restrict dy, gint16 * restrict mag)
{
  const gint w = c->width;
  const guint8 *a = src + (gsize) clamp_index (y - 1, c->height) * stride;
  const guint8 *b = src + (gsize) y * stride;
  const guint8 *d = src + (gsize) clamp_index (y + 1, c->height) * stride;

  sobel_at_border (a, b, d, 0, w, &dx[0], &dy[0]);
  /* The interior loop has no branches, so the compiler vectorizes it. */
  for (gint x = 1; x < w - 1; x++) {
    dx[x] = (gint16) ((a[x + 1] - a[x - 1]) + 2 * (b[x + 1] - b[x - 1]) +
        (d[x + 1] - d[x - 1]));
    dy[x] = (gint16) ((d[x - 1] + 2 * d[x] + d[x + 1]) -
        (a[x - 1] + 2 * a[x] + a[x + 1]));
  }
  if (w > 1)
    sobel_at_border (a, b, d, w - 1, w, &dx[w - 1], &dy[w - 1]);

  for (gint x = 0; x < w; x++)
    mag[x] = (gint16) (ABS (dx[x]) + ABS (dy[x]));
}

/* floor (a * tan(22.5°)) with OpenCV's fixed-point tan, in a form that vectorizes to 16-bit lanes.
 * With it OpenCV's 32-bit direction tests become exact 16-bit ones, for integers dx, dy and a > 0:
 *   |dy| << 15 < |dx| * TG22                         <=>  |dy| <= floor (|dx| * TG22 / 2^15)
 *   |dy| << 15 > |dx| * TG22 + (|dx| << 16)          <=>  |dy| > 2 |dx| + floor (|dx| * TG22 / 2^15)
 * (the first needs |dx| * TG22 not to be a multiple of 2^15: TG22 is odd and |dx| < 2^15, so only
 * dx = 0 is, and then dy = 0 too would be needed for a difference, which gives a magnitude of 0,
 * never above low since low >= 0). */
static inline gint16
tan22_floor (gint16 a)
{
  return (gint16) (((gint32) a * (2 * TG22)) >> 16);
}

/* Non-maximum suppression of row y: marks the local maxima above low as candidates, those above high
 * as edges, and pushes the edges; returns the new stack top. */
HOT_LOOP static guint32 *
suppress_row (RtfxCanny * c, gint y, const gint16 * restrict dx,
    const gint16 * restrict dy, const gint16 * restrict prev,
    const gint16 * restrict cur, const gint16 * restrict next, gint16 low,
    gint16 high, guint32 * restrict top)
{
  /* Locals, so that stores into the map (a byte array, which may alias anything) do not force
   * reloads of the context. */
  const gint width = c->width;
  const guint32 row_offset = (guint32) (((gsize) y + 1) * c->map_step + 1);
  guint8 *restrict map = c->map + row_offset;

  memset (map, MAP_NONE, width);
  for (gint x = 0; x < width; x += BLOCK) {
    const gint end = MIN (x + BLOCK, width);
    gint above = 0, strong = 0;

    /* Most of a picture is below low: skip such blocks after one vectorized test. */
    for (gint i = x; i < end; i++)
      above |= cur[i] > low;
    if (!above)
      continue;

    /* Branch-free, in 16-bit lanes and with 0/1 truth values combined by & and |, so that the
     * compiler vectorizes this loop too: every direction's test is computed, and the gradient's angle
     * selects one. */
    for (gint i = x; i < end; i++) {
      const gint16 m = cur[i];
      const gint16 ax = ABS (dx[i]);
      const gint16 ay = ABS (dy[i]);
      const gint16 t22 = tan22_floor (ax);
      const gint16 along_x = ay <= t22;
      const gint16 along_y = ay > 2 * ax + t22;
      const gint16 falling = (dx[i] ^ dy[i]) < 0;
      const gint16 horizontal = (m > cur[i - 1]) & (m >= cur[i + 1]);
      const gint16 vertical = (m > prev[i]) & (m >= next[i]);
      const gint16 diagonal =
          (falling & (m > prev[i + 1]) & (m > next[i - 1])) |
          ((falling ^ 1) & (m > prev[i - 1]) & (m > next[i + 1]));
      const gint16 maximum = (along_x & horizontal) | (along_y & vertical) |
          (((along_x | along_y) ^ 1) & diagonal);
      const gint16 candidate = maximum & (m > low);
      const gint16 edge = candidate & (m > high);

      /* MAP_NONE, MAP_CANDIDATE or MAP_EDGE, without a branch. */
      map[i] = (guint8) (MAP_NONE - candidate + 2 * edge);
      strong |= edge;
    }
    if (!strong)
      continue;
    for (gint i = x; i < end; i++)
      if (map[i] == MAP_EDGE)
        *top++ = row_offset + (guint32) i;
  }
  return top;
}

/* Grows edges from the stacked strong pixels through 8-connected candidates. */
static void
hysteresis (RtfxCanny * c, guint32 * top)
{
  const gssize step = (gssize) c->map_step;
  const gssize neighbours[8] = { -step - 1, -step, -step + 1, -1, 1,
    step - 1, step, step + 1
  };
  guint8 *map = c->map;

  while (top > c->stack) {
    const gsize at = *--top;

    for (gint k = 0; k < 8; k++) {
      guint8 *n = map + at + neighbours[k];
      if (*n == MAP_CANDIDATE) {
        *n = MAP_EDGE;
        *top++ = (guint32) (n - map);
      }
    }
  }
}

static void
write_edges (const RtfxCanny * c, guint8 * dst, gint dst_stride)
{
  const gint width = c->width, height = c->height;
  const gsize map_step = c->map_step;

  for (gint y = 0; y < height; y++) {
    const guint8 *restrict map = c->map + ((gsize) y + 1) * map_step + 1;
    guint8 *restrict out = dst + (gsize) y * dst_stride;

    for (gint x = 0; x < width; x++)
      out[x] = map[x] == MAP_EDGE ? 255 : 0;
  }
}

static gint16
threshold_to_int (gdouble t)
{
  /* cvFloor, kept to where 16-bit comparisons with magnitudes are meaningful (see tan22_floor). */
  return (gint16) floor (CLAMP (t, 0.0, (gdouble) G_MAXINT16));
}

void
rtfx_canny_process (RtfxCanny * c, const guint8 * src, gint src_stride,
    guint8 * dst, gint dst_stride, gdouble low_threshold,
    gdouble high_threshold)
{
  const gint16 low = threshold_to_int (MIN (low_threshold, high_threshold));
  const gint16 high = threshold_to_int (MAX (low_threshold, high_threshold));
  guint32 *top = c->stack;

  gradient_row (c, src, src_stride, 0, c->dx[0], c->dy[0], c->mag[0] + 1);
  for (gint y = 0; y < c->height; y++) {
    const gint16 *prev = (y > 0 ? c->mag[(y - 1) % 3] : c->mag_zero) + 1;
    const gint16 *cur = c->mag[y % 3] + 1;
    const gint16 *next = c->mag_zero + 1;

    if (y + 1 < c->height) {
      gradient_row (c, src, src_stride, y + 1, c->dx[(y + 1) % 2],
          c->dy[(y + 1) % 2], c->mag[(y + 1) % 3] + 1);
      next = c->mag[(y + 1) % 3] + 1;
    }
    top = suppress_row (c, y, c->dx[y % 2], c->dy[y % 2], prev, cur, next,
        low, high, top);
  }

  hysteresis (c, top);

  write_edges (c, dst, dst_stride);
}
