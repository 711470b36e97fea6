/* The server's side of one page's websocket: the limits that keep a page from holding a slot while
 * silent or making the server work or buffer without bound (its message rate, the output it leaves
 * unread, its silence: pings it does not answer), and how it is closed. See docs/reliability.md. */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct _RtfxWsGuard RtfxWsGuard;

/* Pings ws every max (1, peer_timeout_s / 2) seconds. socket is the connection's TCP socket (it may
 * be NULL: then output is not bounded). max_message_rate 0 means no rate limit. */
RtfxWsGuard *rtfx_ws_guard_new (SoupWebsocketConnection * ws, GSocket * socket,
    guint peer_timeout_s, guint max_message_rate, guint max_send_queue_kib);
void rtfx_ws_guard_free (RtfxWsGuard * guard);

/* Counts one message from the page: FALSE when it is over its rate (a bucket of 2 × the rate,
 * refilled at the rate). */
gboolean rtfx_ws_guard_take_message (RtfxWsGuard * guard);

/* Before size more bytes go to the page: FALSE when the page has stopped reading, i.e. more than the
 * limit has been queued since its socket last had room. */
gboolean rtfx_ws_guard_may_send (RtfxWsGuard * guard, gsize size);

/* Whether nothing (no message, no pong) has come from the page for the peer timeout. */
gboolean rtfx_ws_guard_is_silent (RtfxWsGuard * guard);

/* Sends bye (a message's text) and closes ws, which is kept until the page has closed its side. */
void rtfx_ws_close_with_bye (SoupWebsocketConnection * ws, const gchar * bye);

/* Ends the connection at once, for a page that reads nothing: no close handshake waits on it. */
void rtfx_ws_guard_cut (RtfxWsGuard * guard);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtfxWsGuard, rtfx_ws_guard_free)

G_END_DECLS
