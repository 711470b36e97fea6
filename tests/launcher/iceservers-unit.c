/* iceservers.c: --stun and --turn in the browser's RTCIceServer form and in webrtcbin's, malformed
 * URLs refused with a message, and --turn-secret's per-session credentials as coturn checks them. */
#include <glib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "iceservers.h"

static const gchar *
member (JsonArray * servers, guint i, const gchar * name)
{
  JsonObject *server = json_array_get_object_element (servers, i);

  return json_object_has_member (server, name) ?
      json_object_get_string_member (server, name) : NULL;
}

static void
test_static (void)
{
  const gchar *turns[] = { "turn://alice:s%40cret@198.51.100.7:3478",
    "turns://bob:pw@turn.example.org:5349", NULL
  };
  const gchar *bad_turns[][2] = { {"turn://198.51.100.7:3478", NULL},
  {"stun://alice:pw@198.51.100.7:3478", NULL}, {"turn://a:b@host", NULL}
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) node = rtfx_ice_servers_for_page
      ("stun://stun.example.org:3478", turns, FALSE, &error);
  JsonArray *servers;

  g_assert_no_error (error);
  servers = json_node_get_array (node);
  g_assert_cmpuint (json_array_get_length (servers), ==, 3);
  g_assert_cmpstr (member (servers, 0, "urls"), ==,
      "stun:stun.example.org:3478");
  g_assert_cmpstr (member (servers, 1, "urls"), ==, "turn:198.51.100.7:3478");
  g_assert_cmpstr (member (servers, 1, "username"), ==, "alice");
  g_assert_cmpstr (member (servers, 1, "credential"), ==, "s@cret");
  g_assert_cmpstr (member (servers, 2, "urls"), ==,
      "turns:turn.example.org:5349");

  for (guint i = 0; i < G_N_ELEMENTS (bad_turns); i++) {
    g_autoptr (GError) bad = NULL;
    g_assert_null (rtfx_ice_servers_for_page (NULL, bad_turns[i], FALSE,
            &bad));
    g_assert_nonnull (strstr (bad->message, "--turn"));
  }
  g_assert_null (rtfx_ice_servers_for_page ("stun:nohost", NULL, FALSE,
          &error));
  g_assert_nonnull (strstr (error->message, "--stun"));
}

/* Without a secret a session gets the servers as given, and webrtcbin the URL as given. */
static void
test_static_session (void)
{
  const gchar *turns[] = { "turn://alice:pw@198.51.100.7:3478", NULL };
  g_autoptr (JsonNode) page = rtfx_ice_servers_for_page (NULL, turns, FALSE,
      NULL);
  g_autoptr (JsonNode) session = rtfx_ice_servers_for_session (page, NULL,
      3600, 1700000000);
  g_autofree gchar *url = rtfx_turn_url_for_server (turns[0], NULL, 3600,
      1700000000);

  g_assert_true (json_node_equal (page, session));
  g_assert_cmpstr (url, ==, turns[0]);
}

/* The credential coturn's use-auth-secret expects: HMAC-SHA1 of the username under the secret, in
 * base64 (the value below is Python's hmac and base64 on the same input). */
static void
test_credential (void)
{
  g_autofree gchar *username = NULL, *password = NULL;

  rtfx_turn_credential ("s3cret", 1700003600, &username, &password);
  g_assert_cmpstr (username, ==, "1700003600:rtfx");
  g_assert_cmpstr (password, ==, "utNrCHGS65wIuJHYYps239TL9A4=");
}

/* With a secret: the TURN URLs carry no user, each session's copy has a credential expiring ttl
 * after now (STUN servers none), and webrtcbin's URL carries the same one, escaped. */
static void
test_secret_session (void)
{
  const gchar *turns[] = { "turn://198.51.100.7:3478",
    "turns://turn.example.org:5349", NULL
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) page = rtfx_ice_servers_for_page
      ("stun://stun.example.org:3478", turns, TRUE, &error);
  g_autoptr (JsonNode) session = NULL;
  g_autofree gchar *url = NULL;
  JsonArray *servers;

  g_assert_no_error (error);
  servers = json_node_get_array (page);
  g_assert_null (member (servers, 1, "username"));
  g_assert_null (member (servers, 1, "credential"));

  session = rtfx_ice_servers_for_session (page, "s3cret", 3600, 1700000000);
  servers = json_node_get_array (session);
  g_assert_null (member (servers, 0, "username"));
  for (guint i = 1; i <= 2; i++) {
    g_assert_cmpstr (member (servers, i, "username"), ==, "1700003600:rtfx");
    g_assert_cmpstr (member (servers, i, "credential"), ==,
        "utNrCHGS65wIuJHYYps239TL9A4=");
  }
  /* The page's template is not changed by a session. */
  g_assert_null (member (json_node_get_array (page), 1, "username"));

  url = rtfx_turn_url_for_server (turns[0], "s3cret", 3600, 1700000000);
  g_assert_cmpstr (url, ==, "turn://1700003600%3Artfx:"
      "utNrCHGS65wIuJHYYps239TL9A4%3D@198.51.100.7:3478");
}

/* With a secret a URL that also carries USER:PASS is refused (which would the relay check?). */
static void
test_secret_refuses_user (void)
{
  const gchar *turns[] = { "turn://alice:pw@198.51.100.7:3478", NULL };
  g_autoptr (GError) error = NULL;

  g_assert_null (rtfx_ice_servers_for_page (NULL, turns, TRUE, &error));
  g_assert_nonnull (strstr (error->message, "--turn-secret"));
  g_assert_nonnull (strstr (error->message, turns[0]));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/iceservers/static", test_static);
  g_test_add_func ("/iceservers/static-session", test_static_session);
  g_test_add_func ("/iceservers/credential", test_credential);
  g_test_add_func ("/iceservers/secret-session", test_secret_session);
  g_test_add_func ("/iceservers/secret-refuses-user", test_secret_refuses_user);
  return g_test_run ();
}
