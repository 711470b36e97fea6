/* The ICE agent of a session's webrtcbin: see ice.h. */
#include "ice.h"

#include "iceservers.h"

/* The servers, addresses and ports ICE may use: --stun and --turn, every local address (or
 * --ice-address), any port (or --ice-ports); and how soon it gives up (--ice-timeout). */
void
rtfx_ice_configure (GstElement * webrtc, const RtfxConfig * config,
    const gchar * peer)
{
  g_autoptr (GObject) agent = NULL;
  g_autoptr (GObject) nice_agent = NULL;

  g_object_get (webrtc, "ice-agent", &agent, NULL);
  /* libnice maps ports on the LAN's router by UPnP unless told not to: a thread and SSDP multicast
   * per session that nobody asked for. */
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (agent), "agent"))
    g_object_get (agent, "agent", &nice_agent, NULL);
  /* The failure verdict of a dead path is libnice's checks (retransmitted from a 500 ms timeout up:
   * about 2.5 s measured) and then its idle-timeout, which waits for candidates that may still
   * come. Nothing waits for gathering: both ends trickle (docs/deploy.md, "When the page does not
   * connect"). */
  if (nice_agent != NULL)
    g_object_set (nice_agent, "upnp", FALSE, "idle-timeout",
        config->ice_timeout_s * 1000, NULL);
  if (config->stun != NULL)
    g_object_set (webrtc, "stun-server", config->stun, NULL);
  for (gchar ** t = config->turns; t && *t; t++) {
    g_autofree gchar *url = rtfx_turn_url_for_server (*t, config->turn_secret,
        config->turn_ttl_s, g_get_real_time () / G_USEC_PER_SEC);
    gboolean added = FALSE;

    g_signal_emit_by_name (webrtc, "add-turn-server", url, &added);
  }
  if (config->ice_max_port != 0)
    g_object_set (agent, "min-rtp-port", config->ice_min_port,
        "max-rtp-port", config->ice_max_port, NULL);
  for (gchar ** a = config->ice_addresses; a && *a; a++) {
    gboolean added = FALSE;
    g_signal_emit_by_name (agent, "add-local-ip-address", *a, &added);
    if (!added)
      g_message ("session %s: ICE cannot use the local address %s", peer, *a);
  }
}
