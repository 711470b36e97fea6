/* The cartoon effect on one 4:2:0 YUV picture: colours flattened by an edge-preserving filter on a
 * half-size copy, dark lines where the luma is darker than its neighbourhood (adaptive threshold). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define RTFX_CARTOON_MIN_BLOCK_SIZE 3
#define RTFX_CARTOON_MAX_BLOCK_SIZE 51
#define RTFX_CARTOON_MAX_THRESHOLD 255.0

typedef struct _RtfxCartoon RtfxCartoon;

/* A 4:2:0 picture: full-size luma, and chroma planes of half the width and height rounded up whose
 * samples are pstride bytes apart (1 for I420, 2 for NV12's interleaved chroma). A source picture is
 * only read. */
typedef struct
{
  guint8 *y;
  guint8 *u;
  guint8 *v;
  gint y_stride;
  gint uv_stride;
  gint uv_pstride;
} RtfxYuv420;

typedef struct
{
  guint passes;                 /* bilateral passes on the half-size picture; 0 just halves and doubles it */
  guint block_size;             /* side of the box the threshold's mean is taken over; made odd */
  gdouble threshold;            /* how far below that mean a pixel must be to be an edge (cv's C) */
  gdouble edge_strength;        /* 0: no lines; 1: lines at the black level */
  guint8 black;                 /* 16 for limited-range video, 0 for full range */
} RtfxCartoonParams;

RtfxCartoon *rtfx_cartoon_new (gint width, gint height);
void         rtfx_cartoon_free (RtfxCartoon * cartoon);

/* Writes the cartoon of src (width x height, as given to rtfx_cartoon_new) into dst. */
void rtfx_cartoon_process (RtfxCartoon * cartoon, const RtfxCartoonParams * params,
    const RtfxYuv420 * src, const RtfxYuv420 * dst);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtfxCartoon, rtfx_cartoon_free)

G_END_DECLS
