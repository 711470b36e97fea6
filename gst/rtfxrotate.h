/* Rotation of one plane of a picture about the picture's centre, bilinear, with a constant fill
 * where the rotated picture does not reach: cv::warpAffine's INTER_LINEAR and BORDER_CONSTANT. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Where a plane's samples sit in its picture. Chroma planes are rotated in the picture's geometry,
 * so that chroma stays on its luma. */
typedef struct
{
  gint picture_width;           /* the picture, in luma pixels: it turns about its centre */
  gint picture_height;
  gint width;                   /* the plane, in its own samples */
  gint height;
  guint w_sub;                  /* log2 of the plane's subsampling: 0 for luma, 1 for 4:2:0 chroma */
  guint h_sub;
  gboolean h_cosited;           /* sample 0 sits on luma pixel 0 rather than between the pixels it covers */
  gboolean v_cosited;
} RtfxRotatePlane;

/* Writes into dst plane turned counter-clockwise on screen by degrees: each sample the bilinear
 * interpolation of src, samples outside src counting as fill. Samples are pstride bytes apart in
 * a row (1 planar, 2 for NV12's interleaved chroma), rows stride bytes apart. */
void rtfx_rotate_plane (const RtfxRotatePlane * plane, gdouble degrees,
    const guint8 * src, gint src_stride, gint src_pstride,
    guint8 * dst, gint dst_stride, gint dst_pstride, guint8 fill);

G_END_DECLS
