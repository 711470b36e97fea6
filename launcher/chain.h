/* The processing chain: a gst-launch description turned into a bin with one video input and output. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* Builds a new bin (a full reference, not floating) from desc with ghost pads "sink" and "src", or NULL and a one-line error. */
GstElement *rtfx_chain_build (const gchar * desc, GError ** error);

G_END_DECLS
