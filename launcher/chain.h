/* The processing chain: a gst-launch description turned into a bin with one video input and output
 * (and the parsing it shares with the server-side source, source.c, and the audio chain, audio.c). */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* A new bin (a full reference) from the gst-launch description desc, with ghost its unlinked pads
 * ghosted as "sink" and "src"; or NULL and a one-line error "invalid WHAT 'SHOWN': …". */
GstElement *rtfx_bin_parse (const gchar * desc, gboolean ghost,
    const gchar * what, const gchar * shown, GError ** error);

/* A new bin (a full reference, not floating) from desc with its one unlinked input and output
 * ghosted as "sink" and "src", or NULL and a one-line error "invalid WHAT '…': …" that says it
 * needs one MEDIA input and output, like EXAMPLE. */
GstElement *rtfx_filter_build (const gchar * desc, const gchar * what,
    const gchar * media, const gchar * example, GError ** error);

/* The video chain: rtfx_filter_build, and its elements named for the page (rtfx_chain_element_name). */
GstElement *rtfx_chain_build (const gchar * desc, GError ** error);

/* Takes chain (from rtfx_chain_build, not yet in a pipeline) to READY and back to NULL: elements
 * that check their settings when they start (rtfxpyfilter: its script) refuse here, and error
 * has what they said. */
gboolean rtfx_chain_try_start (GstElement * chain, GError ** error);

/* Takes element (out of its pipeline, locked) to NULL on a thread of its own: a streaming thread
 * that replaced it is not held up. */
void rtfx_element_stop_later (GstElement * element);

/* Puts chain (a full reference, kept) where old is, between head and tail in bin, while the stream
 * flows: call it with the stream held at head's input or output (a blocking probe). old leaves bin (the
 * caller's reference to it stays) and is stopped on another thread; the pipeline then recomputes
 * its latency. */
void rtfx_chain_replace (GstElement * bin, GstElement * head, GstElement * old,
    GstElement * chain, GstElement * tail);

/* The chain's elements, from its input to its output (a new array of borrowed elements). */
GPtrArray *rtfx_chain_elements (GstElement * chain);

/* The element's name for the page and --control: the chain's own name= if it gave one, else the
 * factory name, "-2", "-3"… for later ones of the same kind. The same in every session. */
const gchar *rtfx_chain_element_name (GstElement * element);

G_END_DECLS
