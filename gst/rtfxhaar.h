/* Multi-scale Haar-cascade object detection on one 8-bit plane, with the algorithm and the results of
 * OpenCV's cv::CascadeClassifier::detectMultiScale (default flags, grouping eps 0.2). */
#pragma once

#include <glib.h>

#include "rtfxcascade.h"

G_BEGIN_DECLS

typedef struct _RtfxHaar RtfxHaar;

typedef struct
{
  gint x, y, width, height;     /* in pixels of the plane searched */
  /* How many raw window hits were merged into this detection: what min-neighbors is compared to. */
  gint neighbors;
  /* How far the best of those windows cleared the cascade's last stage: its sum of leaf values
   * minus the stage threshold, >= 0. Only comparable between detections of the same cascade. */
  gdouble score;
} RtfxHaarHit;

typedef struct
{
  gdouble scale_factor;         /* > 1: the window grows by this much from one scale to the next */
  gint min_neighbors;           /* a detection needs more raw hits than this; 0 keeps every raw hit */
  gint min_width, min_height;   /* smallest window searched, in pixels of the plane */
  gint max_width, max_height;   /* largest; 0 for no limit but the plane's size */
} RtfxHaarParams;

/* A detector for planes of width x height; the cascade must outlive it. It searches the scales of a
 * plane on `threads` threads, the caller's and threads - 1 of its own (fewer if the system will not
 * make them), with the same result whatever their number. All scratch memory is allocated here,
 * none per frame once the lists of hits have reached their working size. */
RtfxHaar *rtfx_haar_new (const RtfxCascade * cascade, gint width, gint height,
    guint threads);
void      rtfx_haar_free (RtfxHaar * haar);

/* How many threads it searches with. */
guint     rtfx_haar_threads (const RtfxHaar * haar);

/* Finds the objects in src (width x height bytes, stride bytes a row). Returns how many; *hits
 * points to them, valid until the next call or rtfx_haar_free(). */
guint rtfx_haar_detect (RtfxHaar * haar, const guint8 * src, gint stride,
    const RtfxHaarParams * params, const RtfxHaarHit ** hits);

/* Building blocks, exposed for the tests. Integral images of a width x height plane are
 * (width + 1) x (height + 1), dst_stride elements a row, with OpenCV's definitions:
 * sum(X, Y) = Σ src(x, y) over x < X, y < Y; sqsum likewise of the squares (modulo 2^32, exact for
 * the differences a window needs); tilted(X, Y) = Σ src(x, y) over y < Y, |x - X + 1| <= Y - 1 - y. */
void rtfx_haar_integral (const guint8 * src, gint stride, gint width,
    gint height, guint32 * sum, guint32 * sqsum, guint32 * tilted,
    gint dst_stride);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtfxHaar, rtfx_haar_free)

G_END_DECLS
