/* Haar-cascade detection, step for step what OpenCV 4's cv::CascadeClassifier::detectMultiScale does
 * with default flags (read in cascadedetect.cpp; no code taken from it), so that a cascade, a scale
 * factor and a min-neighbors tuned with OpenCV find the same objects here:
 *  - scales factor^k, k = 0, 1, …: a window of the cascade's size times the factor must fit in the
 *    plane and within min/max size; the plane is shrunk by the factor so that the window keeps the
 *    cascade's size, with the bilinear resize OpenCV's cascade uses (INTER_LINEAR_EXACT: 8.8 fixed
 *    point, bit-exact), and integral, squared and, for cascades with 45° features, tilted integral
 *    images are built from the shrunk plane as its rows are made;
 *  - windows every 2 pixels of the shrunk plane below factor 2, every pixel from 2 on; a window that
 *    the first stage rejects also skips the next one along the row, as OpenCV's scan does;
 *  - each window's features are normalised by sqrt(area · Σp² − (Σp)²) over the window less a
 *    one-pixel border; windows whose standard deviation is 10 or less are rejected outright;
 *  - stage by stage, the sum of tree leaves against the stage threshold, stopping at the first stage
 *    that rejects; float feature values and double sums, as OpenCV evaluates them;
 *  - groupRectangles (min-neighbors, eps 0.2), then clipping to the plane.
 * The integral images are 32-bit and wrap: a window's sums are differences, exact modulo 2^32, and
 * they fit in 32 bits for any window under 66 000 pixels. They share one row stride for every scale,
 * so every feature's corner offsets are computed once, in rtfx_haar_new().
 * Scales are independent until the grouping: with more than one thread, each thread takes the next
 * scale not yet taken into integral images of its own, and the hits are put back in scale order
 * before they are grouped, so the result does not depend on the number of threads. */
#include "rtfxhaar.h"

#include <math.h>
#include <string.h>

/* OpenCV's bit-exact bilinear resize works in 8.8 fixed point. */
#define LINEAR_BITS 8
#define LINEAR_ONE (1 << LINEAR_BITS)

#define GROUP_EPS 0.2
/* A window is searched only when area / sqrt(area · Σp² − (Σp)²) is below this, i.e. when the standard
 * deviation of its pixels exceeds 10. */
#define FLAT_WINDOW_LIMIT 0.1

/* A Haar feature with the integral-image offsets of its rectangles' corners, relative to a window's
 * top-left corner in the sum image (tilted rectangles point into the tilted image). Unused
 * rectangles have weight 0 and all four offsets equal. */
typedef struct
{
  gint32 ofs[RTFX_CASCADE_MAX_RECTS][4];
  gfloat weight[RTFX_CASCADE_MAX_RECTS];
} Feature;

/* The two outcomes are indexed by (value < threshold), so that choosing one is a load rather than a
 * branch the processor would mispredict half the time. */
typedef struct
{
  Feature feature;
  gfloat threshold;
  gfloat leaf[2];               /* right, left */
} Stump;

typedef struct
{
  Feature feature;
  gfloat threshold;
  gint next[2];                 /* right, left: a node, or minus a leaf */
} Node;

typedef struct
{
  gint x, y, width, height;
  gdouble margin;
} Candidate;

typedef struct
{
  gint x, y, width, height;     /* sums, then the average */
  gint count;
  gdouble margin;
} Group;

/* What one thread needs to search a scale: the integral images and the shrinking's scratch. */
typedef struct
{
  RtfxHaar *haar;

  /* The integral images of the scale being searched, one block: sum, squared sum, then tilted sum. */
  guint32 *ii;

  /* Shrinking: per destination column, the left source column and the right one's weight; from
   * x_end on, the last source column x_last. */
  gint *xofs;
  guint16 *xfrac;
  gint x_end, x_last;
  guint16 *hrow[2];             /* horizontally shrunk source rows, 8.8 fixed point */
  gint hrow_src[2];             /* which source row each holds, -1 for none */
  guint8 *rows[2];              /* the shrunk rows: current and previous */

  /* The tilted integral image's sums along diagonals. */
  guint32 *anti;                /* x + y = c */
  guint32 *anti_cum;            /* Σ anti[0..c] */
  guint32 *diag;                /* x - y = d, at d + height - 1 */

  GArray *candidates;           /* Candidate, of the scales this scanner searched, in their order */
  GThread *thread;              /* NULL for the first scanner, which runs in the caller's thread */
} Scanner;

typedef struct
{
  gint width, height;           /* of the shrunk plane */
  gfloat factor;
  /* Filled by the scanner that searched it: its candidates are [first, end) of that one's list. */
  Scanner *scanner;
  guint first, end;
} Scale;

struct _RtfxHaar
{
  const RtfxCascade *cascade;
  gint width, height;

  /* The layout every scanner's integral images share. */
  gint istride;                 /* elements a row, width + 1 for every scale */
  gsize plane;                  /* elements an image */
  gint32 norm_ofs[4];           /* the normalisation rectangle's corners */
  gdouble norm_area;

  /* The compiled cascade: stumps in stage order when every tree is a stump, else nodes. */
  Stump *stumps;
  Node *nodes;
  gdouble last_threshold;

  Scanner *scanners;
  guint n_scanners;

  /* The search under way, read by every scanner. */
  const guint8 *src;
  gint stride;
  GArray *scales;               /* Scale */
  gint next_scale;              /* atomic: the first scale no scanner has taken */

  /* The helper threads (scanners 1 and on) wait for a new round, and the caller for them. */
  GMutex lock;
  GCond start, done;
  guint round;
  guint busy;                   /* helpers still searching this round */
  gboolean quit;

  GArray *candidates;           /* Candidate: every scale's, in scale order */
  GArray *parents;              /* gint, union-find over candidates */
  GArray *labels;               /* gint, each candidate's group */
  GArray *groups;               /* Group */
  GArray *hits;                 /* RtfxHaarHit */
};

/* ---------------------------------------------------------------- integral images */

typedef struct
{
  gint width, height;           /* of the plane */
  gint stride;                  /* of the integral images */
  guint32 *sum, *sqsum, *tilted;
  guint32 *anti, *anti_cum, *diag;      /* width + height - 1 each, for tilted only */
  guint32 right;                /* Σ src over x - y >= width + 2 - Y, for the row Y being made */
  const guint8 *prev;           /* the previous source row, for tilted only */
} Integrator;

static void
integrator_begin (Integrator * it)
{
  memset (it->sum, 0, sizeof (guint32) * (it->width + 1));
  memset (it->sqsum, 0, sizeof (guint32) * (it->width + 1));
  if (it->tilted != NULL) {
    const gsize diagonals = (gsize) it->width + it->height - 1;

    memset (it->tilted, 0, sizeof (guint32) * (it->width + 1));
    memset (it->anti, 0, sizeof (guint32) * diagonals);
    memset (it->diag, 0, sizeof (guint32) * diagonals);
    it->right = 0;
    it->prev = NULL;
  }
}

/* The tilted sum T(X, Y) covers the triangle {x + y <= X + Y - 2, x - y >= X - Y}. Row Y follows from
 * the two rows above it: T(X, Y) = T(X-1, Y-1) + T(X+1, Y-1) - T(X, Y-2) + src(X-1, Y-1) +
 * src(X-1, Y-2). At the edges the triangles T(-1, Y-1) and T(width+1, Y-1) are not stored; the first
 * is everything with x + y <= Y - 4 and the second everything with x - y >= width + 2 - Y, both running
 * sums along diagonals that are complete by then. */
static void
tilted_row (Integrator * it, gint y, const guint8 * row)
{
  const gint w = it->width, Y = y + 1;
  const gint k = w + 2 - Y;     /* the diagonal that joins the right-hand triangle */
  guint32 *t = it->tilted + (gsize) Y * it->stride;
  const guint32 *t1 = t - it->stride;
  const guint32 *t2 = Y >= 2 ? t - 2 * (gsize) it->stride : NULL;
  const guint8 *prev = it->prev;
  guint32 left;

  for (gint x = 0; x < w; x++) {
    it->anti[x + y] += row[x];
    it->diag[x - y + it->height - 1] += row[x];
  }
  it->anti_cum[y] = (y > 0 ? it->anti_cum[y - 1] : 0) + it->anti[y];
  left = Y >= 4 ? it->anti_cum[Y - 4] : 0;
  if (k <= w - 1)
    it->right += it->diag[k + it->height - 1];

  t[0] = left + t1[1] - (t2 != NULL ? t2[0] : 0);
  for (gint X = 1; X <= w; X++) {
    const guint32 up_right = X < w ? t1[X + 1] : it->right;
    const guint32 below = row[X - 1] + (prev != NULL ? prev[X - 1] : 0);

    t[X] = t1[X - 1] + up_right - (t2 != NULL ? t2[X] : 0) + below;
  }
  it->prev = row;
}

/* Adds source row y, making row y + 1 of the integral images. */
static void
integrator_add_row (Integrator * it, gint y, const guint8 * row)
{
  guint32 *s = it->sum + (gsize) (y + 1) * it->stride;
  guint32 *q = it->sqsum + (gsize) (y + 1) * it->stride;
  const guint32 *sp = s - it->stride, *qp = q - it->stride;
  guint32 rs = 0, rq = 0;

  s[0] = 0;
  q[0] = 0;
  for (gint x = 0; x < it->width; x++) {
    const guint32 v = row[x];

    rs += v;
    rq += v * v;
    s[x + 1] = sp[x + 1] + rs;
    q[x + 1] = qp[x + 1] + rq;
  }
  if (it->tilted != NULL)
    tilted_row (it, y, row);
}

void
rtfx_haar_integral (const guint8 * src, gint stride, gint width, gint height,
    guint32 * sum, guint32 * sqsum, guint32 * tilted, gint dst_stride)
{
  Integrator it = {.width = width,.height = height,.stride = dst_stride,
    .sum = sum,.sqsum = sqsum,.tilted = tilted
  };
  g_autofree guint32 *scratch = NULL;

  g_return_if_fail (width > 0 && height > 0 && dst_stride > width);

  if (tilted != NULL) {
    const gsize diagonals = (gsize) width + height - 1;

    scratch = g_new (guint32, 3 * diagonals);
    it.anti = scratch;
    it.anti_cum = scratch + diagonals;
    it.diag = scratch + 2 * diagonals;
  }
  integrator_begin (&it);
  for (gint y = 0; y < height; y++)
    integrator_add_row (&it, y, src + (gsize) y * stride);
}

/* ---------------------------------------------------------------- shrinking, fused with integration */

/* Where output sample i of a line shrunk from src_len to dst_len samples falls: at source sample
 * *ofs plus *frac/256 of the way to the next one. Returns FALSE past the last source sample, where
 * the output repeats it. Double precision and round-half-even, as OpenCV's bit-exact resize. */
static gboolean
linear_tap (gdouble scale, gint i, gint src_len, gint * ofs, guint16 * frac)
{
  const gdouble pos = scale * (i + 0.5) - 0.5;
  const gint whole = (gint) floor (pos);

  if (whole >= src_len - 1 || src_len < 2)
    return FALSE;
  *ofs = MAX (whole, 0);
  *frac = whole < 0 ? 0 : (guint16) lrint ((pos - whole) * LINEAR_ONE);
  return TRUE;
}

/* The horizontally shrunk source row sy, in 8.8 fixed point, in one of the two row buffers: not in
 * the one that holds source row other, the second row of the pair being made. */
static const guint16 *
hrow (Scanner * sc, const guint8 * src, gint stride, gint sy, gint dw,
    gint other)
{
  const guint8 *s = src + (gsize) sy * stride;
  guint16 *d;
  gint slot, dx;

  if (sc->hrow_src[0] == sy)
    return sc->hrow[0];
  if (sc->hrow_src[1] == sy)
    return sc->hrow[1];
  slot = sc->hrow_src[0] == other ? 1 : 0;
  d = sc->hrow[slot];
  for (dx = 0; dx < sc->x_end; dx++) {
    const guint8 *p = s + sc->xofs[dx];
    const guint16 f = sc->xfrac[dx];

    d[dx] = p[0] * (LINEAR_ONE - f) + p[1] * f;
  }
  for (; dx < dw; dx++)
    d[dx] = s[sc->x_last] << LINEAR_BITS;
  sc->hrow_src[slot] = sy;
  return d;
}

/* Shrinks src (sw x sh) to dw x dh exactly as cv::resize (INTER_LINEAR_EXACT) does, which is what
 * OpenCV's cascade uses, feeding each row to the integrator as soon as it is made. */
static void
shrink_and_integrate (Scanner * sc, Integrator * it, const guint8 * src,
    gint stride, gint sw, gint sh, gint dw, gint dh)
{
  const gdouble scale_x = 1.0 / ((gdouble) dw / sw);
  const gdouble scale_y = 1.0 / ((gdouble) dh / sh);

  integrator_begin (it);
  if (dw == sw && dh == sh) {
    for (gint y = 0; y < dh; y++)
      integrator_add_row (it, y, src + (gsize) y * stride);
    return;
  }

  sc->x_end = dw;
  sc->x_last = sw - 1;
  for (gint dx = 0; dx < dw; dx++)
    if (!linear_tap (scale_x, dx, sw, &sc->xofs[dx], &sc->xfrac[dx])) {
      sc->x_end = dx;
      break;
    }
  sc->hrow_src[0] = sc->hrow_src[1] = -1;

  for (gint dy = 0; dy < dh; dy++) {
    guint8 *d = sc->rows[dy & 1];
    gint sy;
    guint16 fy;

    if (linear_tap (scale_y, dy, sh, &sy, &fy)) {
      const guint16 *h0 = hrow (sc, src, stride, sy, dw, sy + 1);
      const guint16 *h1 = hrow (sc, src, stride, sy + 1, dw, sy);

      for (gint x = 0; x < dw; x++)
        d[x] = (h0[x] * (guint32) (LINEAR_ONE - fy) + h1[x] * (guint32) fy +
            (1u << (2 * LINEAR_BITS - 1))) >> (2 * LINEAR_BITS);
    } else {
      const guint16 *last = hrow (sc, src, stride, sh - 1, dw, -1);

      for (gint x = 0; x < dw; x++)
        d[x] = (last[x] + (1u << (LINEAR_BITS - 1))) >> LINEAR_BITS;
    }
    integrator_add_row (it, dy, d);
  }
}

/* ---------------------------------------------------------------- evaluating windows */

#define RECT_SUM(p, o) ((gint32) ((p)[(o)[0]] - (p)[(o)[1]] - (p)[(o)[2]] + (p)[(o)[3]]))

/* OpenCV adds the third rectangle only when it has a weight; adding 0 × 0 instead changes nothing and
 * saves a hard-to-predict branch. */
static inline gfloat
feature_value (const Feature * f, const guint32 * p)
{
  return f->weight[0] * (gfloat) RECT_SUM (p, f->ofs[0]) +
      f->weight[1] * (gfloat) RECT_SUM (p, f->ofs[1]) +
      f->weight[2] * (gfloat) RECT_SUM (p, f->ofs[2]);
}

/* 1 when the window passes every stage, else minus the stage that rejected it (0 for the first). */
static gint
run_stumps (const RtfxHaar * h, const guint32 * p, gfloat norm, gdouble * sum)
{
  const RtfxCascadeStage *stages = h->cascade->stages;
  const Stump *s = h->stumps;

  for (guint si = 0; si < h->cascade->n_stages; si++) {
    const Stump *end = s + stages[si].n_trees;
    gdouble acc = 0;

    for (; s < end; s++) {
      const gdouble v = feature_value (&s->feature, p) * norm;

      acc += s->leaf[v < s->threshold];
    }
    *sum = acc;
    if (acc < stages[si].threshold)
      return -(gint) si;
  }
  return 1;
}

static gint
run_trees (const RtfxHaar * h, const guint32 * p, gfloat norm, gdouble * sum)
{
  const RtfxCascade *c = h->cascade;

  for (guint si = 0; si < c->n_stages; si++) {
    const RtfxCascadeStage *stage = &c->stages[si];
    gdouble acc = 0;

    for (guint t = stage->first_tree; t < stage->first_tree + stage->n_trees;
        t++) {
      const RtfxCascadeTree *tree = &c->trees[t];
      const Node *nodes = h->nodes + tree->first_node;
      gint idx = 0;

      do {
        const Node *n = &nodes[idx];
        const gdouble v = feature_value (&n->feature, p) * norm;

        idx = n->next[v < n->threshold];
      } while (idx > 0);
      acc += c->leaves[tree->first_leaf - idx];
    }
    *sum = acc;
    if (acc < stage->threshold)
      return -(gint) si;
  }
  return 1;
}

/* -1 for a window too flat to search, else what run_stumps() or run_trees() says. */
static inline gint
classify (const RtfxHaar * h, const guint32 * p, gdouble * sum)
{
  const guint32 *q = p + h->plane;
  const gint32 *n = h->norm_ofs;
  const gint32 s = RECT_SUM (p, n);
  const guint32 sq = q[n[0]] - q[n[1]] - q[n[2]] + q[n[3]];
  gdouble nf = h->norm_area * sq - (gdouble) s * s;
  gfloat norm;

  if (nf <= 0.0)
    return -1;
  norm = (gfloat) (1.0 / sqrt (nf));
  if (!(h->norm_area * norm < FLAT_WINDOW_LIMIT))
    return -1;
  return h->stumps != NULL ? run_stumps (h, p, norm, sum) : run_trees (h, p,
      norm, sum);
}

/* Every window of one scale, whose integral images are in sc; hits go to sc's candidates, in the
 * plane's coordinates. */
static void
scan (Scanner * sc, gint sw, gint sh, gfloat factor)
{
  const RtfxHaar *h = sc->haar;
  const RtfxCascade *c = h->cascade;
  const gint step = factor >= 2.0f ? 1 : 2;
  const gint xs = sw + 1 - c->width, ys = sh + 1 - c->height;
  const gint win_w = (gint) lrintf (c->width * factor);
  const gint win_h = (gint) lrintf (c->height * factor);

  for (gint y = 0; y < ys; y += step) {
    const guint32 *row = sc->ii + (gsize) y * h->istride;

    for (gint x = 0; x < xs; x += step) {
      gdouble sum = 0;
      const gint result = classify (h, row + x, &sum);

      if (result > 0) {
        const Candidate cand = {
          (gint) lrintf (x * factor), (gint) lrintf (y * factor), win_w, win_h,
          sum - h->last_threshold
        };
        g_array_append_val (sc->candidates, cand);
      } else if (result == 0) {
        x += step;
      }
    }
  }
}

/* Takes scales nobody has taken yet and searches them, until there are none left. */
static void
search_scales (Scanner * sc)
{
  RtfxHaar *h = sc->haar;
  const RtfxCascade *c = h->cascade;
  Integrator it = { 0 };
  guint k;

  it.stride = h->istride;
  it.sum = sc->ii;
  it.sqsum = sc->ii + h->plane;
  it.tilted = c->has_tilted ? sc->ii + 2 * h->plane : NULL;
  it.anti = sc->anti;
  it.anti_cum = sc->anti_cum;
  it.diag = sc->diag;

  g_array_set_size (sc->candidates, 0);
  while ((k = (guint) g_atomic_int_add (&h->next_scale, 1)) < h->scales->len) {
    Scale *scale = &g_array_index (h->scales, Scale, k);

    it.width = scale->width;
    it.height = scale->height;
    shrink_and_integrate (sc, &it, h->src, h->stride, h->width, h->height,
        scale->width, scale->height);
    scale->scanner = sc;
    scale->first = sc->candidates->len;
    scan (sc, scale->width, scale->height, scale->factor);
    scale->end = sc->candidates->len;
  }
}

/* A helper thread: one search_scales() a round, until the detector is freed. */
static gpointer
helper_main (gpointer data)
{
  Scanner *sc = data;
  RtfxHaar *h = sc->haar;
  guint seen = 0;

  g_mutex_lock (&h->lock);
  for (;;) {
    while (h->round == seen && !h->quit)
      g_cond_wait (&h->start, &h->lock);
    if (h->quit)
      break;
    seen = h->round;
    g_mutex_unlock (&h->lock);

    search_scales (sc);

    g_mutex_lock (&h->lock);
    if (--h->busy == 0)
      g_cond_signal (&h->done);
  }
  g_mutex_unlock (&h->lock);
  return NULL;
}

/* Searches every scale of h->scales, with every scanner, and gathers the candidates in scale
 * order, the order one thread would have found them in. */
static void
search (RtfxHaar * h)
{
  g_atomic_int_set (&h->next_scale, 0);
  if (h->n_scanners > 1) {
    g_mutex_lock (&h->lock);
    h->round++;
    h->busy = h->n_scanners - 1;
    g_cond_broadcast (&h->start);
    g_mutex_unlock (&h->lock);
  }
  search_scales (&h->scanners[0]);
  if (h->n_scanners > 1) {
    g_mutex_lock (&h->lock);
    while (h->busy > 0)
      g_cond_wait (&h->done, &h->lock);
    g_mutex_unlock (&h->lock);
  }

  g_array_set_size (h->candidates, 0);
  for (guint k = 0; k < h->scales->len; k++) {
    const Scale *scale = &g_array_index (h->scales, Scale, k);

    g_array_append_vals (h->candidates,
        &g_array_index (scale->scanner->candidates, Candidate, scale->first),
        scale->end - scale->first);
  }
}

/* ---------------------------------------------------------------- grouping */

static gboolean
similar (const Candidate * a, const Candidate * b)
{
  const gdouble delta = GROUP_EPS * (MIN (a->width, b->width) +
      MIN (a->height, b->height)) * 0.5;

  return ABS (a->x - b->x) <= delta && ABS (a->y - b->y) <= delta
      && ABS (a->x + a->width - b->x - b->width) <= delta
      && ABS (a->y + a->height - b->y - b->height) <= delta;
}

static gint
find_root (gint * parent, gint i)
{
  gint root = i;

  while (parent[root] != root)
    root = parent[root];
  while (parent[i] != root) {
    const gint next = parent[i];
    parent[i] = root;
    i = next;
  }
  return root;
}

static void
add_hit (RtfxHaar * h, gint x, gint y, gint width, gint height,
    gint neighbors, gdouble score)
{
  /* Clipped to the plane, as cv::CascadeClassifier returns them. */
  const gint x0 = MAX (x, 0), y0 = MAX (y, 0);
  const gint x1 = MIN (x + width, h->width), y1 = MIN (y + height, h->height);
  RtfxHaarHit hit = { x0, y0, x1 - x0, y1 - y0, neighbors, score };

  if (x1 > x0 && y1 > y0)
    g_array_append_val (h->hits, hit);
}

/* Partitions the candidates into groups of closely overlapping ones (the transitive closure of
 * similar()), numbered in the order of their first member as OpenCV numbers them, each the average
 * of its members. Returns how many groups, in h->groups. */
static guint
merge_candidates (RtfxHaar * h)
{
  const Candidate *cand = (const Candidate *) h->candidates->data;
  const guint n = h->candidates->len;
  Group *groups;
  gint *parent, *labels;
  guint n_groups = 0;

  g_array_set_size (h->parents, n);
  parent = (gint *) h->parents->data;
  for (guint i = 0; i < n; i++) {
    parent[i] = i;
    for (guint j = 0; j < i; j++)
      if (similar (&cand[i], &cand[j])) {
        const gint a = find_root (parent, i), b = find_root (parent, j);
        if (a != b)
          parent[MAX (a, b)] = MIN (a, b);
      }
  }

  g_array_set_size (h->labels, n);
  labels = (gint *) h->labels->data;
  g_array_set_size (h->groups, n);
  groups = (Group *) h->groups->data;
  for (guint i = 0; i < n; i++) {
    const gint root = find_root (parent, i);
    Group *g;

    if (root == (gint) i) {
      labels[i] = n_groups++;
      g = &groups[labels[i]];
      memset (g, 0, sizeof (*g));
      g->margin = -G_MAXDOUBLE;
    } else {
      labels[i] = labels[root];
      g = &groups[labels[i]];
    }
    g->x += cand[i].x;
    g->y += cand[i].y;
    g->width += cand[i].width;
    g->height += cand[i].height;
    g->count++;
    g->margin = MAX (g->margin, cand[i].margin);
  }
  for (guint i = 0; i < n_groups; i++) {
    Group *g = &groups[i];
    const gfloat s = 1.f / g->count;

    g->x = (gint) lrintf (g->x * s);
    g->y = (gint) lrintf (g->y * s);
    g->width = (gint) lrintf (g->width * s);
    g->height = (gint) lrintf (g->height * s);
  }
  return n_groups;
}

/* OpenCV's groupRectangles: a group of more than min_neighbors candidates becomes a hit, unless it
 * sits inside a larger, stronger one (a face inside a face is a smaller detection of the same one). */
static void
group (RtfxHaar * h, gint min_neighbors)
{
  const Candidate *cand = (const Candidate *) h->candidates->data;
  const Group *groups;
  guint n_groups;

  g_array_set_size (h->hits, 0);
  if (min_neighbors <= 0) {
    for (guint i = 0; i < h->candidates->len; i++)
      add_hit (h, cand[i].x, cand[i].y, cand[i].width, cand[i].height, 1,
          cand[i].margin);
    return;
  }

  n_groups = merge_candidates (h);
  groups = (const Group *) h->groups->data;
  for (guint i = 0; i < n_groups; i++) {
    const Group *a = &groups[i];
    gboolean inside = FALSE;

    if (a->count <= min_neighbors)
      continue;
    for (guint j = 0; j < n_groups && !inside; j++) {
      const Group *b = &groups[j];
      gint dx, dy;

      if (j == i || b->count <= min_neighbors)
        continue;
      dx = (gint) lrint (b->width * GROUP_EPS);
      dy = (gint) lrint (b->height * GROUP_EPS);
      inside = a->x >= b->x - dx && a->y >= b->y - dy
          && a->x + a->width <= b->x + b->width + dx
          && a->y + a->height <= b->y + b->height + dy
          && (b->count > MAX (3, a->count) || a->count < 3);
    }
    if (!inside)
      add_hit (h, a->x, a->y, a->width, a->height, a->count, a->margin);
  }
}

/* ---------------------------------------------------------------- setup and the entry point */

static void
compile_feature (Feature * out, const RtfxCascadeFeature * f, gint stride,
    gsize tilted_ofs)
{
  memset (out, 0, sizeof (*out));
  for (guint i = 0; i < f->n_rects; i++) {
    const RtfxCascadeRect *r = &f->rects[i];
    gint32 *o = out->ofs[i];

    out->weight[i] = r->weight;
    if (f->tilted) {
      o[0] = (gint32) tilted_ofs + r->y * stride + r->x;
      o[1] = (gint32) tilted_ofs + (r->y + r->height) * stride + r->x -
          r->height;
      o[2] = (gint32) tilted_ofs + (r->y + r->width) * stride + r->x +
          r->width;
      o[3] = (gint32) tilted_ofs + (r->y + r->width + r->height) * stride +
          r->x + r->width - r->height;
    } else {
      o[0] = r->y * stride + r->x;
      o[1] = r->y * stride + r->x + r->width;
      o[2] = (r->y + r->height) * stride + r->x;
      o[3] = (r->y + r->height) * stride + r->x + r->width;
    }
  }
}

static void
scanner_init (Scanner * sc, RtfxHaar * h)
{
  const gsize diagonals = (gsize) h->width + h->height - 1;

  sc->haar = h;
  sc->ii = g_new0 (guint32, h->plane * (h->cascade->has_tilted ? 3 : 2));
  sc->xofs = g_new (gint, h->width);
  sc->xfrac = g_new (guint16, h->width);
  sc->hrow[0] = g_new (guint16, h->width);
  sc->hrow[1] = g_new (guint16, h->width);
  sc->rows[0] = g_new (guint8, h->width);
  sc->rows[1] = g_new (guint8, h->width);
  if (h->cascade->has_tilted) {
    sc->anti = g_new (guint32, diagonals);
    sc->anti_cum = g_new (guint32, diagonals);
    sc->diag = g_new (guint32, diagonals);
  }
  sc->candidates = g_array_sized_new (FALSE, FALSE, sizeof (Candidate), 1024);
}

static void
scanner_clear (Scanner * sc)
{
  g_free (sc->ii);
  g_free (sc->xofs);
  g_free (sc->xfrac);
  g_free (sc->hrow[0]);
  g_free (sc->hrow[1]);
  g_free (sc->rows[0]);
  g_free (sc->rows[1]);
  g_free (sc->anti);
  g_free (sc->anti_cum);
  g_free (sc->diag);
  g_array_unref (sc->candidates);
}

/* Scanner 0 is the caller's; the others get a thread each. A thread that cannot be made leaves
 * fewer scanners (rtfx_haar_threads() tells): slower, not wrong. */
static void
start_scanners (RtfxHaar * h, guint threads)
{
  h->scanners = g_new0 (Scanner, threads);
  scanner_init (&h->scanners[0], h);
  h->n_scanners = 1;
  g_mutex_init (&h->lock);
  g_cond_init (&h->start);
  g_cond_init (&h->done);
  for (guint i = 1; i < threads; i++) {
    Scanner *sc = &h->scanners[i];

    scanner_init (sc, h);
    sc->thread = g_thread_try_new ("rtfxhaar", helper_main, sc, NULL);
    if (sc->thread == NULL) {
      scanner_clear (sc);
      break;
    }
    h->n_scanners++;
  }
}

static void
stop_scanners (RtfxHaar * h)
{
  g_mutex_lock (&h->lock);
  h->quit = TRUE;
  g_cond_broadcast (&h->start);
  g_mutex_unlock (&h->lock);
  for (guint i = 0; i < h->n_scanners; i++) {
    if (h->scanners[i].thread != NULL)
      g_thread_join (h->scanners[i].thread);
    scanner_clear (&h->scanners[i]);
  }
  g_free (h->scanners);
  g_mutex_clear (&h->lock);
  g_cond_clear (&h->start);
  g_cond_clear (&h->done);
}

RtfxHaar *
rtfx_haar_new (const RtfxCascade * cascade, gint width, gint height,
    guint threads)
{
  RtfxHaar *h;

  g_return_val_if_fail (cascade != NULL, NULL);
  g_return_val_if_fail (width > 0 && height > 0, NULL);
  g_return_val_if_fail (threads > 0, NULL);
  /* Feature offsets are 32-bit and reach into the third integral image. */
  g_return_val_if_fail ((gsize) (width + 1) * (height + 1) < G_MAXINT32 / 3,
      NULL);

  h = g_new0 (RtfxHaar, 1);
  h->cascade = cascade;
  h->width = width;
  h->height = height;
  h->istride = width + 1;
  h->plane = (gsize) h->istride * (height + 1);

  /* OpenCV normalises over the window less a one-pixel border. */
  h->norm_ofs[0] = h->istride + 1;
  h->norm_ofs[1] = h->istride + cascade->width - 1;
  h->norm_ofs[2] = (cascade->height - 1) * h->istride + 1;
  h->norm_ofs[3] = (cascade->height - 1) * h->istride + cascade->width - 1;
  h->norm_area = (gdouble) (cascade->width - 2) * (cascade->height - 2);

  if (cascade->max_tree_nodes == 1) {
    h->stumps = g_new (Stump, cascade->n_trees);
    for (guint t = 0; t < cascade->n_trees; t++) {
      const RtfxCascadeTree *tree = &cascade->trees[t];
      const RtfxCascadeNode *node = &cascade->nodes[tree->first_node];
      Stump *s = &h->stumps[t];

      compile_feature (&s->feature, &cascade->features[node->feature],
          h->istride, 2 * h->plane);
      s->threshold = node->threshold;
      /* A stump's two links are leaves 0 and 1, in whichever order the file gives them. */
      s->leaf[1] = cascade->leaves[tree->first_leaf - node->left];
      s->leaf[0] = cascade->leaves[tree->first_leaf - node->right];
    }
  } else {
    h->nodes = g_new (Node, cascade->n_nodes);
    for (guint i = 0; i < cascade->n_nodes; i++) {
      const RtfxCascadeNode *node = &cascade->nodes[i];
      Node *n = &h->nodes[i];

      compile_feature (&n->feature, &cascade->features[node->feature],
          h->istride, 2 * h->plane);
      n->threshold = node->threshold;
      n->next[1] = node->left;
      n->next[0] = node->right;
    }
  }
  h->last_threshold = cascade->stages[cascade->n_stages - 1].threshold;

  h->scales = g_array_new (FALSE, FALSE, sizeof (Scale));
  h->candidates = g_array_sized_new (FALSE, FALSE, sizeof (Candidate), 1024);
  h->parents = g_array_sized_new (FALSE, FALSE, sizeof (gint), 1024);
  h->labels = g_array_sized_new (FALSE, FALSE, sizeof (gint), 1024);
  h->groups = g_array_sized_new (FALSE, FALSE, sizeof (Group), 1024);
  h->hits = g_array_sized_new (FALSE, FALSE, sizeof (RtfxHaarHit), 64);
  start_scanners (h, threads);
  return h;
}

void
rtfx_haar_free (RtfxHaar * h)
{
  if (h == NULL)
    return;
  stop_scanners (h);
  g_free (h->stumps);
  g_free (h->nodes);
  g_array_unref (h->scales);
  g_array_unref (h->candidates);
  g_array_unref (h->parents);
  g_array_unref (h->labels);
  g_array_unref (h->groups);
  g_array_unref (h->hits);
  g_free (h);
}

guint
rtfx_haar_threads (const RtfxHaar * h)
{
  return h->n_scanners;
}

/* The scales detectMultiScale searches with these parameters, smallest factor first. */
static void
plan_scales (RtfxHaar * h, const RtfxHaarParams * params)
{
  const RtfxCascade *c = h->cascade;
  const gint max_w = params->max_width > 0 ? params->max_width : h->width;
  const gint max_h = params->max_height > 0 ? params->max_height : h->height;

  g_array_set_size (h->scales, 0);
  for (gdouble factor = 1.0;; factor *= params->scale_factor) {
    const gint win_w = (gint) lrint (c->width * factor);
    const gint win_h = (gint) lrint (c->height * factor);
    Scale scale = { 0 };

    if (win_w > max_w || win_h > max_h || win_w > h->width
        || win_h > h->height)
      break;
    if (win_w < params->min_width || win_h < params->min_height)
      continue;
    scale.factor = (gfloat) factor;
    scale.width = (gint) lrintf (h->width / scale.factor);
    scale.height = (gint) lrintf (h->height / scale.factor);
    if (scale.width < c->width || scale.height < c->height)
      continue;
    g_array_append_val (h->scales, scale);
  }
}

guint
rtfx_haar_detect (RtfxHaar * h, const guint8 * src, gint stride,
    const RtfxHaarParams * params, const RtfxHaarHit ** hits)
{
  g_return_val_if_fail (params->scale_factor > 1.0, 0);

  plan_scales (h, params);
  h->src = src;
  h->stride = stride;
  search (h);
  group (h, params->min_neighbors);
  *hits = (const RtfxHaarHit *) h->hits->data;
  return h->hits->len;
}
