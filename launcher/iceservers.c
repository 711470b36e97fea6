/* STUN and TURN servers for both ends, and time-limited TURN credentials: see iceservers.h. */
#include "iceservers.h"

#include <string.h>

G_DEFINE_QUARK (rtfx-ice-servers-error-quark, rtfx_ice_servers_error)

/* One --stun or --turn URL as an RTCIceServer: {"urls": "stun:HOST:PORT"} or
 * {"urls": "turn:HOST:PORT", "username": …, "credential": …} (no credential with a secret: each
 * session gets its own). */
static gboolean
add_ice_server (JsonArray * servers, const gchar * url, gboolean turn,
    gboolean with_secret, GError ** error)
{
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_HAS_PASSWORD, NULL);
  const gchar *scheme = uri ? g_uri_get_scheme (uri) : NULL;
  const gboolean scheme_ok = turn ? g_strcmp0 (scheme, "turn") == 0 ||
      g_strcmp0 (scheme, "turns") == 0 : g_strcmp0 (scheme, "stun") == 0;
  const gboolean has_user = uri && (g_uri_get_user (uri) != NULL
      || g_uri_get_password (uri) != NULL);
  JsonObject *server;
  gchar *urls;

  if (!scheme_ok || g_uri_get_host (uri) == NULL || g_uri_get_port (uri) <= 0) {
    g_set_error (error, rtfx_ice_servers_error_quark (), 0,
        turn ? (with_secret ? "--turn needs turn://HOST:PORT or "
            "turns://HOST:PORT, not '%s'" : "--turn needs "
            "turn://USER:PASS@HOST:PORT or turns://USER:PASS@HOST:PORT, not '%s'")
        : "--stun needs stun://HOST:PORT, not '%s'", url);
    return FALSE;
  }
  if (turn && with_secret && has_user) {
    g_set_error (error, rtfx_ice_servers_error_quark (), 0, "with "
        "--turn-secret, give --turn without USER:PASS (each session gets its "
        "own from the secret), not '%s'", url);
    return FALSE;
  }
  if (turn && !with_secret && (g_uri_get_user (uri) == NULL
          || g_uri_get_password (uri) == NULL)) {
    g_set_error (error, rtfx_ice_servers_error_quark (), 0, "--turn needs "
        "turn://USER:PASS@HOST:PORT (or --turn-secret), not '%s'", url);
    return FALSE;
  }
  server = json_object_new ();
  urls = g_strdup_printf ("%s:%s:%d", scheme, g_uri_get_host (uri),
      g_uri_get_port (uri));
  json_object_set_string_member (server, "urls", urls);
  g_free (urls);
  if (turn && !with_secret) {
    json_object_set_string_member (server, "username", g_uri_get_user (uri));
    json_object_set_string_member (server, "credential",
        g_uri_get_password (uri));
  }
  json_array_add_object_element (servers, server);
  return TRUE;
}

JsonNode *
rtfx_ice_servers_for_page (const gchar * stun, const gchar * const *turns,
    gboolean with_secret, GError ** error)
{
  JsonArray *servers = json_array_new ();
  JsonNode *node;
  gboolean ok = stun == NULL
      || add_ice_server (servers, stun, FALSE, with_secret, error);

  for (const gchar * const *t = turns; ok && t && *t; t++)
    ok = add_ice_server (servers, *t, TRUE, with_secret, error);
  if (!ok) {
    json_array_unref (servers);
    return NULL;
  }
  node = json_node_new (JSON_NODE_ARRAY);
  json_node_take_array (node, servers);
  return node;
}

void
rtfx_turn_credential (const gchar * secret, gint64 expires_s,
    gchar ** username, gchar ** password)
{
  g_autoptr (GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA1,
      (const guchar *) secret, strlen (secret));
  guint8 digest[20];
  gsize len = sizeof digest;

  /* coturn reads the expiry up to its rest-api-separator (':'); the rest names who it is for. */
  *username = g_strdup_printf ("%" G_GINT64_FORMAT ":rtfx", expires_s);
  g_hmac_update (hmac, (const guchar *) *username, -1);
  g_hmac_get_digest (hmac, digest, &len);
  *password = g_base64_encode (digest, len);
}

/* A copy of server to change: json_node_copy would share its object. Its members are strings. */
static JsonObject *
copy_server (JsonObject * server)
{
  JsonObject *copy = json_object_new ();
  JsonObjectIter iter;
  const gchar *name;
  JsonNode *value;

  json_object_iter_init (&iter, server);
  while (json_object_iter_next (&iter, &name, &value))
    json_object_set_member (copy, name, json_node_copy (value));
  return copy;
}

JsonNode *
rtfx_ice_servers_for_session (JsonNode * servers, const gchar * secret,
    guint ttl_s, gint64 now_s)
{
  JsonArray *given = json_node_get_array (servers);
  JsonArray *array = json_array_new ();
  JsonNode *node = json_node_new (JSON_NODE_ARRAY);
  g_autofree gchar *username = NULL, *password = NULL;

  if (secret != NULL)
    rtfx_turn_credential (secret, now_s + ttl_s, &username, &password);
  for (guint i = 0; i < json_array_get_length (given); i++) {
    JsonObject *server = copy_server (json_array_get_object_element (given,
            i));

    if (secret != NULL && g_str_has_prefix (json_object_get_string_member
            (server, "urls"), "turn")) {
      json_object_set_string_member (server, "username", username);
      json_object_set_string_member (server, "credential", password);
    }
    json_array_add_object_element (array, server);
  }
  json_node_take_array (node, array);
  return node;
}

gchar *
rtfx_turn_url_for_server (const gchar * url, const gchar * secret,
    guint ttl_s, gint64 now_s)
{
  g_autoptr (GUri) uri = NULL;
  g_autofree gchar *username = NULL, *password = NULL;
  g_autofree gchar *user = NULL, *pass = NULL;

  if (secret == NULL)
    return g_strdup (url);
  /* Checked at start-up (rtfx_ice_servers_for_page). */
  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  g_return_val_if_fail (uri != NULL, g_strdup (url));
  rtfx_turn_credential (secret, now_s + ttl_s, &username, &password);
  /* webrtcbin unescapes user and password: the username's ':' and base64's '/', '+' and '=' go
   * escaped. */
  user = g_uri_escape_string (username, NULL, FALSE);
  pass = g_uri_escape_string (password, NULL, FALSE);
  return g_strdup_printf ("%s://%s:%s@%s:%d", g_uri_get_scheme (uri), user,
      pass, g_uri_get_host (uri), g_uri_get_port (uri));
}
