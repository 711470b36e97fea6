/* Limits on one page's websocket: see wsguard.h. */
#include "wsguard.h"

struct _RtfxWsGuard
{
  SoupWebsocketConnection *ws;
  GSocket *socket;
  gulong pong_handler;

  gint64 peer_timeout_us;
  gint64 last_heard;            /* monotonic time of the page's last message or pong */

  gdouble rate;                 /* messages a second; 0: no limit */
  gdouble tokens;               /* what the page may still send at once */
  gint64 refilled;

  gsize max_queued;             /* bytes; 0 or no socket: no limit */
  gsize queued;                 /* sent since libsoup could last write it all out */
  guint drained_check;
};

static void
on_pong (SoupWebsocketConnection * ws, GBytes * message, gpointer data)
{
  RtfxWsGuard *guard = data;

  guard->last_heard = g_get_monotonic_time ();
}

RtfxWsGuard *
rtfx_ws_guard_new (SoupWebsocketConnection * ws, GSocket * socket,
    guint peer_timeout_s, guint max_message_rate, guint max_send_queue_kib)
{
  RtfxWsGuard *guard = g_new0 (RtfxWsGuard, 1);

  guard->ws = g_object_ref (ws);
  guard->socket = socket ? g_object_ref (socket) : NULL;
  guard->peer_timeout_us = peer_timeout_s * G_USEC_PER_SEC;
  guard->last_heard = guard->refilled = g_get_monotonic_time ();
  guard->rate = max_message_rate;
  guard->tokens = 2.0 * max_message_rate;
  guard->max_queued = (gsize) max_send_queue_kib * 1024;
  /* Browsers answer pings by themselves, so a page that does not is frozen or gone. */
  soup_websocket_connection_set_keepalive_interval (ws, MAX (1,
          peer_timeout_s / 2));
  guard->pong_handler = g_signal_connect (ws, "pong", G_CALLBACK (on_pong),
      guard);
  return guard;
}

void
rtfx_ws_guard_free (RtfxWsGuard * guard)
{
  g_clear_handle_id (&guard->drained_check, g_source_remove);
  g_signal_handler_disconnect (guard->ws, guard->pong_handler);
  soup_websocket_connection_set_keepalive_interval (guard->ws, 0);
  g_object_unref (guard->ws);
  g_clear_object (&guard->socket);
  g_free (guard);
}

gboolean
rtfx_ws_guard_take_message (RtfxWsGuard * guard)
{
  const gint64 now = g_get_monotonic_time ();

  guard->last_heard = now;
  if (guard->rate == 0)
    return TRUE;
  guard->tokens = MIN (2.0 * guard->rate, guard->tokens +
      guard->rate * (now - guard->refilled) / G_USEC_PER_SEC);
  guard->refilled = now;
  if (guard->tokens < 1.0)
    return FALSE;
  guard->tokens -= 1.0;
  return TRUE;
}

/* libsoup keeps what we send in a queue of its own that we cannot see, and writes it out from the
 * main loop whenever the socket has room. So once the main loop has turned (this idle source runs
 * after libsoup's, which have a higher priority) with room in the socket, that queue is empty;
 * until then, everything sent counts: a page that does not read fills the socket, and one that
 * floods keeps libsoup reading its messages in one loop, during which nothing is written. */
static gboolean
check_drained (gpointer data)
{
  RtfxWsGuard *guard = data;

  guard->drained_check = 0;
  if (g_socket_condition_check (guard->socket, G_IO_OUT) & G_IO_OUT)
    guard->queued = 0;
  return G_SOURCE_REMOVE;
}

gboolean
rtfx_ws_guard_may_send (RtfxWsGuard * guard, gsize size)
{
  if (guard->max_queued == 0 || guard->socket == NULL)
    return TRUE;
  guard->queued += size;
  if (guard->drained_check == 0)
    guard->drained_check = g_idle_add (check_drained, guard);
  return guard->queued <= guard->max_queued;
}

gboolean
rtfx_ws_guard_is_silent (RtfxWsGuard * guard)
{
  return g_get_monotonic_time () - guard->last_heard > guard->peer_timeout_us;
}

void
rtfx_ws_guard_cut (RtfxWsGuard * guard)
{
  if (guard->socket != NULL)
    g_socket_shutdown (guard->socket, TRUE, TRUE, NULL);
  else
    soup_websocket_connection_close (guard->ws, SOUP_WEBSOCKET_CLOSE_GOING_AWAY,
        NULL);
}

static void
release_when_closed (SoupWebsocketConnection * ws, gpointer unused)
{
  g_object_unref (ws);
}

void
rtfx_ws_close_with_bye (SoupWebsocketConnection * ws, const gchar * bye)
{
  soup_websocket_connection_send_text (ws, bye);
  /* Until the close handshake is over: dropped before, the connection would be reset while the
   * page's own messages are still unread, and a reset can lose the bye on its way. */
  g_signal_connect (g_object_ref (ws), "closed",
      G_CALLBACK (release_when_closed), NULL);
  soup_websocket_connection_close (ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
}
