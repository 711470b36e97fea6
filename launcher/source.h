/* The server-side source of --mode recvonly: a gst-launch description (a camera, a file, a network
 * stream, a test pattern) as a bin with one raw video output. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* A fresh bin for desc with one src pad of raw video and no sink pad; NULL and a one-line error
 * naming desc when it cannot be built. An element with pads that appear later (uridecodebin,
 * decodebin) is linked once its video pad comes; its other pads (audio) stay unlinked. */
GstElement *rtfx_source_build (const gchar * desc, GError ** error);

G_END_DECLS
