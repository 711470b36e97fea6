/* Limits on the server's connections: see connguard.h.
 *
 * libsoup emits request-started for each request a connection is about to read, the first one
 * before the TLS handshake. Each starts a deadline that the request's complete head (got-headers)
 * stops; a connection that misses it is shut down, which also wakes a handshake thread blocked on
 * it. Connections are not kept alive between requests (on_got_headers says why). A connection is
 * known by its GSocket and forgotten once the socket is closed: libsoup 3.2 keeps
 * the GSocket object of an upgraded websocket alive after closing it, so its finalization cannot be
 * what ends the count. */
#include "connguard.h"

/* The soup server's data that leads a message's handler to the guard, while there is one. */
#define GUARD_KEY "rtfx-conn-guard"

struct _RtfxConnGuard
{
  SoupServer *soup;
  gulong started_handler;
  guint timeout_s;
  guint max_per_address;
  GHashTable *connections;      /* GSocket * (weak) -> Connection * */
  GHashTable *per_address;      /* address text -> count */
};

typedef struct
{
  RtfxConnGuard *guard;
  GSocket *socket;              /* weak: the connection ends with it */
  gchar *address;
  guint deadline;
} Connection;

static void
connection_free (Connection * c)
{
  g_clear_handle_id (&c->deadline, g_source_remove);
  g_free (c->address);
  g_free (c);
}

/* When the socket is closed or finalized, or the connection is shut by us (it is over then, whenever
 * libsoup lets go of the socket). */
static void
forget_connection (gpointer data, GObject * gone_socket)
{
  Connection *c = data;
  RtfxConnGuard *guard = c->guard;
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (guard->per_address,
          c->address));

  if (n > 1)
    g_hash_table_insert (guard->per_address, g_strdup (c->address),
        GUINT_TO_POINTER (n - 1));
  else
    g_hash_table_remove (guard->per_address, c->address);
  g_hash_table_remove (guard->connections, gone_socket);
}

static void
drop_connection (Connection * c)
{
  GSocket *socket = c->socket;

  g_object_weak_unref (G_OBJECT (socket), forget_connection, c);
  forget_connection (c, G_OBJECT (socket));
}

static gboolean
on_deadline (gpointer data)
{
  Connection *c = data;

  c->deadline = 0;
  g_message ("closed a connection from %s: no request within %u s",
      c->address, c->guard->timeout_s);
  g_socket_shutdown (c->socket, TRUE, TRUE, NULL);
  drop_connection (c);
  return G_SOURCE_REMOVE;
}

/* Forgets the connections that have been closed since. */
static void
sweep_closed (RtfxConnGuard * guard)
{
  g_autoptr (GPtrArray) closed = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer socket, c;

  g_hash_table_iter_init (&iter, guard->connections);
  while (g_hash_table_iter_next (&iter, &socket, &c))
    if (g_socket_is_closed (socket))
      g_ptr_array_add (closed, c);
  for (guint i = 0; i < closed->len; i++)
    drop_connection (g_ptr_array_index (closed, i));
}

static gchar *
remote_address (GSocket * socket)
{
  g_autoptr (GSocketAddress) remote = g_socket_get_remote_address (socket,
      NULL);

  if (!G_IS_INET_SOCKET_ADDRESS (remote))
    return g_strdup ("unknown address");
  return g_inet_address_to_string (g_inet_socket_address_get_address
      (G_INET_SOCKET_ADDRESS (remote)));
}

/* The record of a connection seen for the first time; NULL (and the connection shut) when its
 * address already holds the most connections allowed. */
static Connection *
add_connection (RtfxConnGuard * guard, GSocket * socket)
{
  g_autofree gchar *address = remote_address (socket);
  Connection *c;
  guint n;

  sweep_closed (guard);
  n = GPOINTER_TO_UINT (g_hash_table_lookup (guard->per_address, address));
  if (guard->max_per_address != 0 && n >= guard->max_per_address) {
    g_message ("closed a connection from %s: it already has %u open", address,
        n);
    g_socket_shutdown (socket, TRUE, TRUE, NULL);
    return NULL;
  }
  c = g_new0 (Connection, 1);
  c->guard = guard;
  c->socket = socket;
  c->address = g_steal_pointer (&address);
  g_hash_table_insert (guard->per_address, g_strdup (c->address),
      GUINT_TO_POINTER (n + 1));
  g_hash_table_insert (guard->connections, socket, c);
  g_object_weak_ref (G_OBJECT (socket), forget_connection, c);
  return c;
}

/* The request head is complete: the connection is in time. It is closed after the response (unless
 * it becomes a websocket): libsoup 3.2 neither notices an idle keep-alive connection that the client
 * closed (the socket stays in CLOSE_WAIT for good) nor reads the next request against any
 * deadline. A page loads a handful of files once, so keep-alive saves little. */
static void
on_got_headers (SoupServerMessage * msg, gpointer soup)
{
  RtfxConnGuard *guard = g_object_get_data (soup, GUARD_KEY);
  GSocket *socket = soup_server_message_get_socket (msg);
  Connection *c = guard && socket ?
      g_hash_table_lookup (guard->connections, socket) : NULL;

  if (c != NULL)
    g_clear_handle_id (&c->deadline, g_source_remove);
  if (soup_message_headers_get_one (soup_server_message_get_request_headers
          (msg), "Upgrade") == NULL)
    soup_message_headers_replace (soup_server_message_get_response_headers
        (msg), "Connection", "close");
}

static void
on_request_started (SoupServer * soup, SoupServerMessage * msg, gpointer data)
{
  RtfxConnGuard *guard = data;
  GSocket *socket = soup_server_message_get_socket (msg);
  Connection *c;

  if (socket == NULL)
    return;
  c = g_hash_table_lookup (guard->connections, socket);
  if (c == NULL && (c = add_connection (guard, socket)) == NULL)
    return;
  g_clear_handle_id (&c->deadline, g_source_remove);
  c->deadline = g_timeout_add_seconds (guard->timeout_s, on_deadline, c);
  g_signal_connect_object (msg, "got-headers", G_CALLBACK (on_got_headers),
      soup, G_CONNECT_DEFAULT);
}

RtfxConnGuard *
rtfx_conn_guard_new (SoupServer * soup, guint handshake_timeout_s,
    guint max_per_address)
{
  RtfxConnGuard *guard = g_new0 (RtfxConnGuard, 1);

  guard->soup = soup;
  guard->timeout_s = handshake_timeout_s;
  guard->max_per_address = max_per_address;
  guard->connections = g_hash_table_new_full (NULL, NULL, NULL,
      (GDestroyNotify) connection_free);
  guard->per_address = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      NULL);
  guard->started_handler = g_signal_connect (soup, "request-started",
      G_CALLBACK (on_request_started), guard);
  g_object_set_data (G_OBJECT (soup), GUARD_KEY, guard);
  return guard;
}

void
rtfx_conn_guard_free (RtfxConnGuard * guard)
{
  GHashTableIter iter;
  gpointer socket, c;

  g_signal_handler_disconnect (guard->soup, guard->started_handler);
  g_object_set_data (G_OBJECT (guard->soup), GUARD_KEY, NULL);
  g_hash_table_iter_init (&iter, guard->connections);
  while (g_hash_table_iter_next (&iter, &socket, &c))
    g_object_weak_unref (socket, forget_connection, c);
  g_hash_table_destroy (guard->connections);
  g_hash_table_destroy (guard->per_address);
  g_free (guard);
}
