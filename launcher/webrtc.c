/* What the pipeline asks of webrtcbin besides its signals: see webrtc.h. */
#include "webrtc.h"

/* The servers, addresses and ports ICE may use: --stun and --turn, every local address (or
 * --ice-address), any port (or --ice-ports). */
void
rtfx_webrtc_configure_ice (GstElement * webrtc, const RtfxConfig * config,
    const gchar * peer)
{
  g_autoptr (GObject) agent = NULL;
  g_autoptr (GObject) nice_agent = NULL;

  g_object_get (webrtc, "ice-agent", &agent, NULL);
  /* libnice maps ports on the LAN's router by UPnP unless told not to: a thread and SSDP multicast
   * per session that nobody asked for. */
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (agent), "agent"))
    g_object_get (agent, "agent", &nice_agent, NULL);
  if (nice_agent != NULL)
    g_object_set (nice_agent, "upnp", FALSE, NULL);
  if (config->stun != NULL)
    g_object_set (webrtc, "stun-server", config->stun, NULL);
  for (gchar ** t = config->turns; t && *t; t++) {
    gboolean added = FALSE;
    g_signal_emit_by_name (webrtc, "add-turn-server", *t, &added);
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

typedef struct
{
  GMutex lock;
  GCond cond;
  gboolean done;
} Barrier;

static void
barrier_clear (Barrier * barrier)
{
  g_mutex_clear (&barrier->lock);
  g_cond_clear (&barrier->cond);
}

static void
barrier_unref (Barrier * barrier)
{
  g_atomic_rc_box_release_full (barrier, (GDestroyNotify) barrier_clear);
}

static void
barrier_reached (GstPromise * promise, gpointer data)
{
  Barrier *barrier = data;

  g_mutex_lock (&barrier->lock);
  barrier->done = TRUE;
  g_cond_signal (&barrier->cond);
  g_mutex_unlock (&barrier->lock);
}

/* webrtcbin runs the steps asked of it in order on a thread of its own: a step asked now runs after
 * all the others. get-stats is the one that changes nothing. */
void
rtfx_webrtc_finish_steps (GstElement * webrtc, gint64 timeout_us)
{
  const gint64 deadline = g_get_monotonic_time () + timeout_us;
  Barrier *barrier = g_atomic_rc_box_new0 (Barrier);
  GstPromise *promise = gst_promise_new_with_change_func (barrier_reached,
      g_atomic_rc_box_acquire (barrier), (GDestroyNotify) barrier_unref);

  g_mutex_init (&barrier->lock);
  g_cond_init (&barrier->cond);
  g_signal_emit_by_name (webrtc, "get-stats", NULL, promise);
  g_mutex_lock (&barrier->lock);
  while (!barrier->done && g_cond_wait_until (&barrier->cond, &barrier->lock,
          deadline));
  g_mutex_unlock (&barrier->lock);
  gst_promise_unref (promise);
  barrier_unref (barrier);
}
