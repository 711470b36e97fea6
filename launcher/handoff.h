/* What GStreamer's threads hand to the main context: events (a kind, a number, a text), delivered
 * there in the order they were posted, and not at all once the receiver has closed the hand-off.
 * webrtcbin calls back on threads of its own; the websocket and the session live in the main
 * context. Used by the session's pipeline and by the test peer. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _RtfxHandoff RtfxHandoff;

/* Called in the main context for each event; number and text mean what the poster's kind says. */
typedef void (*RtfxHandoffFunc) (gint kind, guint number, const gchar * text,
    gpointer data);

RtfxHandoff *rtfx_handoff_new (RtfxHandoffFunc deliver, gpointer data);
RtfxHandoff *rtfx_handoff_ref (RtfxHandoff * handoff);
void rtfx_handoff_unref (RtfxHandoff * handoff);

/* From any thread; text (may be NULL) is taken. */
void rtfx_handoff_post (RtfxHandoff * handoff, gint kind, guint number,
    gchar * text);

/* In the main context: no event is delivered after this, posted or not. */
void rtfx_handoff_close (RtfxHandoff * handoff);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtfxHandoff, rtfx_handoff_unref)

G_END_DECLS
