/* The properties of a chain that a page may change: their description for the page, and `set`. */
#pragma once

#include <gst/gst.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _RtfxControls RtfxControls;

/* The controls of chain (a bin from rtfx_chain_build): every writable property flagged controllable
 * and mutable in PLAYING when auto_controls, plus each "element.property" of named that exists in
 * this chain (names that match nothing here are skipped: they may belong to another preset). */
RtfxControls *rtfx_controls_new (GstElement * chain, const gchar * const *named,
    gboolean auto_controls);
void rtfx_controls_free (RtfxControls * controls);

/* A JSON array with one object per control, values read now (docs/protocol.md, Live controls). */
JsonNode *rtfx_controls_describe (RtfxControls * controls);

/* Checks value against the control element.property and applies it. Returns the value then in
 * force (a new JSON node), or NULL with an error a person can read. */
JsonNode *rtfx_controls_set (RtfxControls * controls, const gchar * element,
    const gchar * property, JsonNode * value, GError ** error);

/* Whether "element.property" names a writable property in chain (for checking --control). */
gboolean rtfx_controls_exists (GstElement * chain, const gchar * name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtfxControls, rtfx_controls_free)

G_END_DECLS
