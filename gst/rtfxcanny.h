/* Canny edge detection on one 8-bit plane, matching OpenCV's cv::Canny (aperture 3, L1 gradient). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _RtfxCanny RtfxCanny;

RtfxCanny *rtfx_canny_new (gint width, gint height);
void       rtfx_canny_free (RtfxCanny * canny);

/* Writes 255 on edge pixels and 0 elsewhere into dst (width x height, dst_stride bytes a row).
 * Thresholds have the meaning of cv::Canny's: a pixel whose L1 gradient magnitude exceeds high starts
 * an edge, one exceeding low continues it. When low > high the two are swapped, as OpenCV does. */
void rtfx_canny_process (RtfxCanny * canny, const guint8 * src, gint src_stride,
    guint8 * dst, gint dst_stride, gdouble low, gdouble high);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtfxCanny, rtfx_canny_free)

G_END_DECLS
