/* The pipelines still stopping in the background, counted so that the server can wait for them
 * before it exits. Shared by the server and its sessions' pipelines, which may outlive it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _RtfxTeardowns RtfxTeardowns;

RtfxTeardowns *rtfx_teardowns_new (void);
RtfxTeardowns *rtfx_teardowns_ref (RtfxTeardowns * teardowns);
void rtfx_teardowns_unref (RtfxTeardowns * teardowns);

/* One more pipeline stopping (n = 1), or one fewer (n = -1). */
void rtfx_teardowns_add (RtfxTeardowns * teardowns, gint n);

/* Waits until none is left, at most timeout_us; FALSE if some still are. */
gboolean rtfx_teardowns_wait (RtfxTeardowns * teardowns, gint64 timeout_us);

G_END_DECLS
