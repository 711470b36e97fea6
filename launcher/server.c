/* HTTP and websocket serving with libsoup 3. The page comes from the GResource built from web/
 * (or from --web-dir while developing it); every websocket on /ws becomes one RtfxSession. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "server.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "connguard.h"
#include "downloads.h"
#include "netaddr.h"
#include "pagetexts.h"
#include "protocol.h"
#include "session.h"
#include "wsguard.h"

#define RESOURCE_PREFIX "/rtfx/web/"
/* Frames above RTFX_MESSAGE_MAX_SIZE get an error reply; this far larger limit only stops a client
 * from making the server buffer without bound. */
#define WEBSOCKET_MAX_PAYLOAD (1024 * 1024)

struct _RtfxServer
{
  const RtfxConfig *config;
  SoupServer *soup;
  RtfxConnGuard *conn_guard;
  RtfxTeardowns *teardowns;     /* of the sessions' pipelines */
  RtfxDownloads *downloads;     /* the sessions' recordings */
  gchar **own_origins;          /* of this server's pages, for the Origin check */
  GBytes *page_texts;           /* texts.json with --page-texts over it, or NULL */
  GHashTable *sessions;         /* RtfxSession * -> itself, owned */
};

static const struct
{
  const gchar *suffix;
  const gchar *type;
} content_types[] = {
  {".html", "text/html; charset=utf-8"},
  {".js", "text/javascript; charset=utf-8"},
  {".css", "text/css; charset=utf-8"},
  {".svg", "image/svg+xml"},
  {".png", "image/png"},
  {".ico", "image/x-icon"},
  {".json", "application/json"},
};

static const gchar *
content_type_for (const gchar * name)
{
  for (guint i = 0; i < G_N_ELEMENTS (content_types); i++)
    if (g_str_has_suffix (name, content_types[i].suffix))
      return content_types[i].type;
  return "application/octet-stream";
}

/* The page's file for a request path, from --web-dir or the embedded copy; NULL if none. */
static GBytes *
load_page_file (const RtfxConfig * config, const gchar * name)
{
  if (config->web_dir != NULL) {
    g_autofree gchar *file = g_build_filename (config->web_dir, name, NULL);
    gchar *contents;
    gsize size;

    if (!g_file_get_contents (file, &contents, &size, NULL))
      return NULL;
    return g_bytes_new_take (contents, size);
  } else {
    g_autofree gchar *path = g_strconcat (RESOURCE_PREFIX, name, NULL);
    return g_resources_lookup_data (path, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  }
}

static gboolean
is_safe_name (const gchar * name)
{
  /* One plain file name: no folders, no "..", nothing hidden. */
  return name[0] != '\0' && name[0] != '.' && strchr (name, '/') == NULL &&
      strchr (name, '\\') == NULL;
}

/* Everything the server serves is read-only: other methods get 405. FALSE when refused. */
static gboolean
method_allowed (SoupServerMessage * msg)
{
  const gchar *method = soup_server_message_get_method (msg);

  if (method == SOUP_METHOD_GET || method == SOUP_METHOD_HEAD)
    return TRUE;
  soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
  soup_message_headers_replace (soup_server_message_get_response_headers
      (msg), "Allow", "GET, HEAD");
  return FALSE;
}

static void
not_found (SoupServerMessage * msg)
{
  soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC,
      "not found\n", 10);
}

static void
serve_page (SoupServer * soup, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer user_data)
{
  RtfxServer *server = user_data;
  const gchar *name = g_str_equal (path, "/") ? "index.html" : path + 1;
  g_autoptr (GBytes) body = NULL;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  if (!method_allowed (msg))
    return;
  if (server->page_texts != NULL && g_str_equal (name, "texts.json"))
    body = g_bytes_ref (server->page_texts);
  else if (is_safe_name (name))
    body = load_page_file (server->config, name);
  if (body == NULL) {
    not_found (msg);
    return;
  }
  soup_message_headers_replace (headers, "Cache-Control", "no-cache");
  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, content_type_for (name),
      SOUP_MEMORY_COPY, g_bytes_get_data (body, NULL), g_bytes_get_size (body));
}

static void
serve_status (SoupServer * soup, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer user_data)
{
  RtfxServer *server = user_data;
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  gchar *text;

  if (!method_allowed (msg))
    return;
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "sessions");
  json_builder_add_int_value (builder, g_hash_table_size (server->sessions));
  json_builder_set_member_name (builder, "max_sessions");
  json_builder_add_int_value (builder, server->config->max_sessions);
  json_builder_set_member_name (builder, "version");
  json_builder_add_string_value (builder, VERSION);
  json_builder_set_member_name (builder, "chain");
  json_builder_add_string_value (builder, server->config->chain);
  json_builder_set_member_name (builder, "mode");
  json_builder_add_string_value (builder, rtfx_mode_name (server->config->mode));
  json_builder_set_member_name (builder, "audio");
  json_builder_add_boolean_value (builder, server->config->audio);
  rtfx_json_add_video_defaults (builder, &server->config->video);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  text = rtfx_json_write (root);

  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
      "Cache-Control", "no-cache");
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/json",
      SOUP_MEMORY_TAKE, text, strlen (text));
}

/* GET /recordings/TOKEN/DIRECTION: a file a session recorded, to the holder of its token only. The
 * URL chooses among the files the server made for that token, never a path; anything else,
 * listings included, is 404. A file still being written is 503, to ask again shortly. */
static void
serve_recording (SoupServer * soup, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer user_data)
{
  RtfxServer *server = user_data;
  g_auto (GStrv) parts = g_strsplit (path, "/", -1);
  g_autoptr (RtfxRecorder) recorder = NULL;
  g_autoptr (GMappedFile) file = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autofree gchar *disposition = NULL;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  if (!method_allowed (msg))
    return;
  /* "", "recordings", TOKEN, DIRECTION */
  if (g_strv_length (parts) == 4)
    recorder = rtfx_downloads_find (server->downloads, parts[2], parts[3]);
  if (recorder == NULL || rtfx_recorder_state (recorder) ==
      RTFX_RECORDING_NONE) {
    not_found (msg);
    return;
  }
  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  if (rtfx_recorder_state (recorder) == RTFX_RECORDING_WRITING) {
    soup_message_headers_replace (headers, "Retry-After", "1");
    soup_server_message_set_status (msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
        NULL);
    soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC,
        "still being written\n", 20);
    return;
  }
  file = g_mapped_file_new (rtfx_recorder_path (recorder), FALSE, NULL);
  if (file == NULL) {
    not_found (msg);            /* removed from the folder since */
    return;
  }
  /* The name is the server's own (digits, hex and dashes): nothing to quote. */
  disposition = g_strdup_printf ("attachment; filename=\"%s\"",
      rtfx_recorder_name (recorder));
  soup_message_headers_replace (headers, "Content-Type",
      rtfx_recorder_content_type (recorder));
  soup_message_headers_replace (headers, "Content-Disposition", disposition);
  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
  body = g_mapped_file_get_bytes (file);
  soup_message_body_append_bytes (soup_server_message_get_response_body (msg),
      body);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
}

static void
on_session_ended (RtfxSession * session, gpointer user_data)
{
  RtfxServer *server = user_data;

  g_hash_table_remove (server->sessions, session);
}

static gchar *
describe_peer (SoupServerMessage * msg)
{
  GSocketAddress *addr = soup_server_message_get_remote_address (msg);

  if (G_IS_INET_SOCKET_ADDRESS (addr)) {
    g_autofree gchar *host = g_inet_address_to_string
        (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (addr)));
    return g_strdup_printf ("%s:%u", host,
        g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (addr)));
  }
  return g_strdup ("unknown peer");
}

/* Tells the page why it is refused (a bye, which the page shows), logs it, and closes. */
static void
refuse (SoupWebsocketConnection * ws, const gchar * peer, RtfxCode code,
    const gchar * reason)
{
  g_autofree gchar *bye = rtfx_message_bye (code, reason);

  g_message ("refused %s: %s", peer, reason);
  rtfx_ws_close_with_bye (ws, bye);
}

static void
add_origin (GPtrArray * origins, const gchar * scheme, const gchar * host,
    guint port)
{
  const gboolean default_port = port == (g_str_equal (scheme, "https") ?
      443 : 80);
  const gchar *open = strchr (host, ':') ? "[" : "";   /* IPv6 */
  const gchar *close = open[0] ? "]" : "";

  /* Browsers leave the scheme's own port out of an origin. */
  if (default_port)
    g_ptr_array_add (origins, g_strdup_printf ("%s://%s%s%s", scheme, open,
            host, close));
  else
    g_ptr_array_add (origins, g_strdup_printf ("%s://%s%s%s:%u", scheme, open,
            host, close, port));
}

/* The origins of this server's own pages: its scheme with the address it listens on (each local
 * address when it listens on all), localhost when that reaches it, and the names its certificate
 * is for. Not the request's Host header: a page on a rebinding DNS name chooses that one. */
static gchar **
own_origins (const RtfxConfig * config)
{
  const gchar *scheme = config->tls ? "https" : "http";
  g_autoptr (GInetAddress) bind = g_inet_address_new_from_string
      (config->bind);
  const gboolean any = g_inet_address_get_is_any (bind);
  g_autoptr (GPtrArray) origins = g_ptr_array_new ();
  g_auto (GStrv) addresses = any ? rtfx_local_addresses () :
      g_new0 (gchar *, 2);

  if (!any)
    addresses[0] = g_inet_address_to_string (bind);
  for (gchar ** a = addresses; *a; a++)
    add_origin (origins, scheme, *a, config->port);
  if (any || g_inet_address_get_is_loopback (bind))
    add_origin (origins, scheme, "localhost", config->port);
  if (config->tls != NULL) {
    g_autoptr (GPtrArray) names = g_tls_certificate_get_dns_names
        (config->tls);
    for (guint i = 0; names && i < names->len; i++) {
      GBytes *name = g_ptr_array_index (names, i);
      g_autofree gchar *host = g_strndup (g_bytes_get_data (name, NULL),
          g_bytes_get_size (name));
      add_origin (origins, scheme, host, config->port);
    }
  }
  g_ptr_array_add (origins, NULL);
  return (gchar **) g_ptr_array_steal (origins, NULL);
}

static gboolean
origin_listed (const gchar * const *origins, const gchar * origin)
{
  for (const gchar * const *o = origins; *o; o++)
    if (g_ascii_strcasecmp (*o, origin) == 0)
      return TRUE;
  return FALSE;
}

/* A browser always says which page opens the websocket. Without --allowed-origin only this server's
 * own pages may; clients that are not browsers send no Origin and are let through. */
static gboolean
origin_allowed (RtfxServer * server, SoupServerMessage * msg)
{
  const gchar *origin = soup_message_headers_get_one
      (soup_server_message_get_request_headers (msg), "Origin");

  if (origin == NULL)
    return TRUE;
  return origin_listed ((const gchar * const *) (server->config->
          allowed_origins ? server->config->allowed_origins :
          server->own_origins), origin);
}

/* With --token, the websocket's URL must carry ?token=SECRET (the page copies it from its own). */
static gboolean
token_valid (const RtfxConfig * config, SoupServerMessage * msg)
{
  const gchar *query = g_uri_get_query (soup_server_message_get_uri (msg));
  g_autoptr (GHashTable) params = NULL;
  const gchar *token;

  if (config->token == NULL)
    return TRUE;
  if (query == NULL)
    return FALSE;
  params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_NONE, NULL);
  token = params ? g_hash_table_lookup (params, "token") : NULL;
  return token != NULL && g_str_equal (token, config->token);
}

static gboolean
full (const RtfxServer * server)
{
  return g_hash_table_size (server->sessions) >= server->config->max_sessions;
}

/* Runs before the websocket handshake. A full server refuses the upgrade with 503 when the request
 * asks for it with "X-Rtfx-If-Full: 503": a load balancer that moves a refused request on to the
 * next server (deploy/nginx-rtfx-cluster.conf) sets that header. Anyone else is let through the
 * upgrade and told it is busy in a bye, which the page shows. */
static void
refuse_upgrade_when_full (SoupServer * soup, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer user_data)
{
  RtfxServer *server = user_data;
  const gchar *ask = soup_message_headers_get_one
      (soup_server_message_get_request_headers (msg), "X-Rtfx-If-Full");
  g_autofree gchar *peer = NULL;

  if (ask == NULL || !g_str_equal (ask, "503") || !full (server))
    return;
  peer = describe_peer (msg);
  g_message ("refused %s before its upgrade: server busy", peer);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
      "Retry-After", "5");
  soup_server_message_set_status (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, NULL);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC,
      "server busy\n", 12);
}

static void
on_websocket (SoupServer * soup, SoupServerMessage * msg, const char *path,
    SoupWebsocketConnection * ws, gpointer user_data)
{
  RtfxServer *server = user_data;
  const RtfxConfig *config = server->config;
  g_autofree gchar *peer = describe_peer (msg);
  RtfxSession *session;

  g_object_set (ws, "max-incoming-payload-size", (guint64)
      WEBSOCKET_MAX_PAYLOAD, NULL);
  if (!origin_allowed (server, msg)) {
    refuse (ws, peer, RTFX_CODE_FORBIDDEN_ORIGIN, "this server does not take "
        "pages from other sites (see --allowed-origin)");
    return;
  }
  if (!token_valid (config, msg)) {
    refuse (ws, peer, RTFX_CODE_TOKEN_REQUIRED, "this server needs an access "
        "token: open the page with ?token=… added to its address");
    return;
  }
  if (full (server)) {
    g_autofree gchar *reason = g_strdup_printf ("server busy: it serves at "
        "most %u sessions at once, try again later", config->max_sessions);
    refuse (ws, peer, RTFX_CODE_BUSY, reason);
    return;
  }
  session = rtfx_session_new (ws, soup_server_message_get_socket (msg), peer,
      config, server->teardowns, server->downloads, on_session_ended, server);
  g_hash_table_add (server->sessions, session);
}

/* texts.json with --page-texts laid over it, once for the server's life; a key the page does not
 * have is only warned about (a typo, or a text of another version of the page). */
static gboolean
merge_page_texts (RtfxServer * server, GError ** error)
{
  g_autoptr (GBytes) builtin = load_page_file (server->config, "texts.json");
  g_auto (GStrv) unknown = NULL;

  if (builtin != NULL)
    server->page_texts = rtfx_page_texts_merge (builtin,
        server->config->page_texts, &unknown);
  if (server->page_texts == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "--page-texts: "
        "the page has no texts.json of its own to lay the file over");
    return FALSE;
  }
  for (gchar ** k = unknown; k && *k; k++)
    g_printerr ("rtfx-launch: warning: --page-texts: the page has no text "
        "\"%s\"; it is served but not shown\n", *k);
  return TRUE;
}

RtfxServer *
rtfx_server_new (const RtfxConfig * config, GError ** error)
{
  RtfxServer *server = g_new0 (RtfxServer, 1);
  g_autoptr (GInetAddress) address = g_inet_address_new_from_string
      (config->bind);
  g_autoptr (GSocketAddress) socket_address = NULL;
  GError *listen_error = NULL;

  server->config = config;
  server->sessions = g_hash_table_new_full (NULL, NULL,
      (GDestroyNotify) rtfx_session_unref, NULL);
  server->soup = soup_server_new ("server-header", "rtfx-launch/" VERSION " ",
      NULL);
  server->teardowns = rtfx_teardowns_new ();
  server->downloads = rtfx_downloads_new ();
  server->conn_guard = rtfx_conn_guard_new (server->soup,
      config->handshake_timeout_s, config->max_connections_per_address);
  server->own_origins = own_origins (config);
  if (config->page_texts != NULL && !merge_page_texts (server, error)) {
    rtfx_server_free (server);
    return NULL;
  }
  soup_server_add_handler (server->soup, NULL, serve_page, server, NULL);
  soup_server_add_handler (server->soup, "/status", serve_status, server,
      NULL);
  soup_server_add_handler (server->soup, "/recordings/", serve_recording,
      server, NULL);
  /* On the same path: libsoup calls the plain handler first, and upgrades only if it set no
   * status. */
  soup_server_add_handler (server->soup, "/ws", refuse_upgrade_when_full, server,
      NULL);
  soup_server_add_websocket_handler (server->soup, "/ws", NULL, NULL,
      on_websocket, server, NULL);

  if (config->tls != NULL)
    g_object_set (server->soup, "tls-certificate", config->tls, NULL);
  socket_address = g_inet_socket_address_new (address, config->port);
  if (!soup_server_listen (server->soup, socket_address, config->tls ?
          SOUP_SERVER_LISTEN_HTTPS : 0, &listen_error)) {
    g_set_error (error, listen_error->domain, listen_error->code,
        "cannot listen on %s port %u: %s", config->bind, config->port,
        listen_error->message);
    g_error_free (listen_error);
    rtfx_server_free (server);
    return NULL;
  }
  return server;
}

void
rtfx_server_shutdown (RtfxServer * server)
{
  GHashTableIter iter;
  gpointer session;

  soup_server_disconnect (server->soup);
  /* Ending a session removes it from the table: take them all out first. */
  g_hash_table_iter_init (&iter, server->sessions);
  while (g_hash_table_iter_next (&iter, &session, NULL)) {
    g_hash_table_iter_steal (&iter);
    rtfx_session_end (session, RTFX_CODE_SHUTDOWN,
        "the server is shutting down");
    rtfx_session_unref (session);
  }
}

gboolean
rtfx_server_wait_for_teardowns (RtfxServer * server, gint64 timeout_us)
{
  return rtfx_teardowns_wait (server->teardowns, timeout_us);
}

void
rtfx_server_free (RtfxServer * server)
{
  g_clear_pointer (&server->conn_guard, rtfx_conn_guard_free);
  g_clear_pointer (&server->teardowns, rtfx_teardowns_unref);
  g_clear_object (&server->soup);
  g_strfreev (server->own_origins);
  g_clear_pointer (&server->page_texts, g_bytes_unref);
  g_hash_table_destroy (server->sessions);
  g_clear_pointer (&server->downloads, rtfx_downloads_free);
  g_free (server);
}
