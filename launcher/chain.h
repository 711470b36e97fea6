/* The processing chain: a gst-launch description turned into a bin with one video input and output
 * (and the parsing it shares with the server-side source, source.c). */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* A new bin (a full reference) from the gst-launch description desc, with ghost its unlinked pads
 * ghosted as "sink" and "src"; or NULL and a one-line error "invalid WHAT 'SHOWN': …". */
GstElement *rtfx_bin_parse (const gchar * desc, gboolean ghost,
    const gchar * what, const gchar * shown, GError ** error);

/* Builds a new bin (a full reference, not floating) from desc with ghost pads "sink" and "src", or NULL and a one-line error. */
GstElement *rtfx_chain_build (const gchar * desc, GError ** error);

/* Takes chain (from rtfx_chain_build, not yet in a pipeline) to READY and back to NULL: elements
 * that check their settings when they start (rtfxpyfilter: its script) refuse here, and error
 * has what they said. */
gboolean rtfx_chain_try_start (GstElement * chain, GError ** error);

/* The chain's elements, from its input to its output (a new array of borrowed elements). */
GPtrArray *rtfx_chain_elements (GstElement * chain);

/* The element's name for the page and --control: the chain's own name= if it gave one, else the
 * factory name, "-2", "-3"… for later ones of the same kind. The same in every session. */
const gchar *rtfx_chain_element_name (GstElement * element);

G_END_DECLS
