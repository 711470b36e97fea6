/* The STUN and TURN servers both ends of a session use (--stun, --turn), in the browser's form and in
 * webrtcbin's, and the time-limited TURN credentials --turn-secret gives each session instead of a
 * permanent password: coturn's REST API scheme (its use-auth-secret and static-auth-secret). */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The browser's form of --stun and --turn URLs (stun://HOST:PORT, turn[s]://USER:PASS@HOST:PORT, or
 * turn[s]://HOST:PORT when with_secret): a JSON array of RTCIceServer objects, the TURN ones without
 * username and credential when with_secret. NULL and a one-line error naming the option if a URL is
 * bad. */
JsonNode *rtfx_ice_servers_for_page (const gchar * stun,
    const gchar * const *turns, gboolean with_secret, GError ** error);

/* One session's copy of servers (from rtfx_ice_servers_for_page): with a secret, every TURN server
 * gets a credential that expires ttl_s seconds after now_s (Unix time). */
JsonNode *rtfx_ice_servers_for_session (JsonNode * servers,
    const gchar * secret, guint ttl_s, gint64 now_s);

/* A --turn URL as webrtcbin's add-turn-server takes it: as given without a secret; with one, a fresh
 * credential (expiring ttl_s after now_s) escaped into its user info. */
gchar *rtfx_turn_url_for_server (const gchar * url, const gchar * secret,
    guint ttl_s, gint64 now_s);

/* coturn's REST API credential valid until expires_s (Unix time): username "EXPIRES:rtfx", password
 * the base64 of HMAC-SHA1(secret, username). */
void rtfx_turn_credential (const gchar * secret, gint64 expires_s,
    gchar ** username, gchar ** password);

G_END_DECLS
