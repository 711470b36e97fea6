/* What every `make bench` program does: decode frames into memory once, then time chains on them. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* count frames of input decoded to width x height I420, each a buffer of its own memory; *caps
 * gets their caps. Exits with a message on failure. */
GPtrArray *bench_decode_frames (const char *input, guint count, gint width,
    gint height, GstCaps ** caps);

/* Milliseconds of CPU per frame that "appsrc ! chain ! fakesink" spends on the first n frames
 * (timestamped at 25 fps). handler, if not NULL, sees every bus message on the streaming thread.
 * Exits with a message on failure. */
gdouble bench_run_chain (const char *chain, GPtrArray * frames, guint n,
    GstCaps * caps, GstBusSyncHandler handler, gpointer data);

/* The luma plane of each frame that "appsrc ! chain ! appsink" gives back for the first n frames,
 * rows packed, at the index of the frame it came from (NULL where none came). The chain must end
 * in raw video convertible to I420. Exits with a message on failure. */
GPtrArray *bench_chain_lumas (const char *chain, GPtrArray * frames, guint n,
    GstCaps * caps);

G_END_DECLS
