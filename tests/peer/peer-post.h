/* The signaling of aiortc's example server (python3-aiortc's examples/server/server.py), which
 * rtfx's load tests use as their yardstick: one HTTP POST of the whole offer (candidates in it)
 * as JSON {"sdp", "type", "video_transform"}, and the whole answer in the reply. */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* In the main context: the answer's SDP, or NULL and what went wrong. Not called once cancelled. */
typedef void (*PeerPostDone) (const gchar * answer_sdp, const gchar * error,
    gpointer user_data);

void peer_post_offer (SoupSession * session, const gchar * url,
    const gchar * offer_sdp, const gchar * video_transform,
    GCancellable * cancellable, PeerPostDone done, gpointer user_data);

G_END_DECLS
