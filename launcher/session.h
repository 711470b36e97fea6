/* One browser's session: its websocket and the pipeline that answers its WebRTC offer. */
#pragma once

#include <libsoup/soup.h>

#include "downloads.h"
#include "launch-config.h"
#include "pipeline.h"
#include "protocol.h"

G_BEGIN_DECLS

typedef struct _RtfxSession RtfxSession;

/* Called once, in the main context, when the session has ended (its pipeline is then being torn down
 * in the background, counted in the session's teardowns). */
typedef void (*RtfxSessionEndedFunc) (RtfxSession * session, gpointer user_data);

/* socket: the websocket's TCP connection, to notice a page that reads nothing (NULL: not checked);
 * downloads: where the session's recordings are offered (the server's, outliving the session). */
RtfxSession *rtfx_session_new (SoupWebsocketConnection * ws, GSocket * socket,
    const gchar * peer, const RtfxConfig * config, RtfxTeardowns * teardowns,
    RtfxDownloads * downloads, RtfxSessionEndedFunc on_ended,
    gpointer user_data);
RtfxSession *rtfx_session_ref (RtfxSession * session);
void rtfx_session_unref (RtfxSession * session);

/* Ends the session: tells the page why with a bye (code for the page, reason for people), closes the
 * websocket, stops the pipeline. */
void rtfx_session_end (RtfxSession * session, RtfxCode code,
    const gchar * reason);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtfxSession, rtfx_session_unref)

G_END_DECLS
