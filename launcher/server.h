/* The HTTP side of rtfx-launch: the page, /status and the /ws signaling websocket. */
#pragma once

#include "launch-config.h"

G_BEGIN_DECLS

typedef struct _RtfxServer RtfxServer;

/* Starts listening on config's address and port, or returns NULL with a one-line error. */
RtfxServer *rtfx_server_new (const RtfxConfig * config, GError ** error);

/* Stops listening and ends every session; their pipelines are freed in the background. */
void rtfx_server_shutdown (RtfxServer * server);
/* Waits until the pipelines of every ended session are freed, at most timeout_us; FALSE if not. */
gboolean rtfx_server_wait_for_teardowns (RtfxServer * server,
    gint64 timeout_us);
void rtfx_server_free (RtfxServer * server);

G_END_DECLS
