/* One session: a page's websocket, its messages, and the pipeline that serves it (pipeline.c).
 * Everything here runs in the main context. A session lives from the websocket's hello to its end
 * (a bye either way, a closed websocket, a failure, a limit of wsguard.c); its controls are those of
 * its newest chain, and the presets it switches between come from the configuration. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "session.h"

#include <string.h>

#include "chain.h"
#include "controls.h"
#include "iceservers.h"
#include "offer.h"
#include "pipeline.h"
#include "protocol.h"
#include "trace.h"
#include "wsguard.h"

struct _RtfxSession
{
  gchar *peer;                  /* remote address, for the log */
  gchar *id;                    /* random, in its recordings' names */
  const RtfxConfig *config;
  RtfxTeardowns *teardowns;
  RtfxDownloads *downloads;
  gchar *download_token;        /* of its recordings, if any */
  RtfxSessionEndedFunc on_ended;
  gpointer on_ended_data;

  SoupWebsocketConnection *ws;
  RtfxWsGuard *guard;           /* its limits: rate, unread output, silence */
  RtfxTrace *trace;             /* the steps to the first frame, for the debug log */
  gboolean got_offer;
  gboolean ended;
  guint offer_timer;
  guint tick_timer;             /* every second: liveness, then stats */
  guint time_limit_timer;       /* --time-limit, from the offer */
  guint wanted_preset;          /* the last preset asked for, */
  guint preset_idle;            /* until apply_preset puts it in force */

  RtfxPipeline *pipeline;       /* from the offer to the end */
  GstElement *chain;            /* the newest chain: the pipeline's, or the one to start it with */
  guint preset;                 /* index in config->preset_names */
  RtfxControls *controls;       /* of the newest chain */
  gint64 stats_time;
  guint stats_in, stats_out;    /* frame counts at stats_time */
  gint64 video_time;            /* when frames_in last grew (or the offer came) */
};

static void end_session (RtfxSession * session, RtfxCode code,
    const gchar * reason, gboolean page_reads);

RtfxSession *
rtfx_session_ref (RtfxSession * session)
{
  return g_atomic_rc_box_acquire (session);
}

static void
session_free (RtfxSession * session)
{
  g_clear_pointer (&session->guard, rtfx_ws_guard_free);
  g_clear_object (&session->ws);
  gst_clear_object (&session->chain);
  g_clear_pointer (&session->controls, rtfx_controls_free);
  rtfx_teardowns_unref (session->teardowns);
  rtfx_trace_unref (session->trace);
  g_free (session->download_token);
  g_free (session->id);
  g_free (session->peer);
}

void
rtfx_session_unref (RtfxSession * session)
{
  g_atomic_rc_box_release_full (session, (GDestroyNotify) session_free);
}

/* A page that leaves what we send unread is cut off, not buffered for without end. */
static void
send_now (RtfxSession * session, gchar * json)
{
  if (!session->ended && soup_websocket_connection_get_state (session->ws) ==
      SOUP_WEBSOCKET_STATE_OPEN) {
    if (rtfx_ws_guard_may_send (session->guard, strlen (json)))
      soup_websocket_connection_send_text (session->ws, json);
    else
      end_session (session, 0, "the page does not read what the server "
          "sends", FALSE);
  }
  g_free (json);
}

static void
reply_error (RtfxSession * session, RtfxCode code, const gchar * message)
{
  g_message ("session %s: error: %s", session->peer, message);
  send_now (session, rtfx_message_error (code, message));
}

/* --- presets, controls and stats -------------------------------------------------------- */

static void
send_stats (RtfxSession * session, guint in, guint out, guint64 dropped,
    gint64 now)
{
  const gdouble seconds = (now - session->stats_time) / (gdouble) G_USEC_PER_SEC;
  RtfxRateState rate;
  guint width, height;

  if (in > 0) {                 /* from the first frame on */
    rtfx_pipeline_send_rate (session->pipeline, &rate);
    rtfx_pipeline_video_size (session->pipeline, &width, &height);
    send_now (session, rtfx_message_stats (&(RtfxStats) {
              .fps_in = (in - session->stats_in) / seconds,
              .fps_out = (out - session->stats_out) / seconds,
              .dropped = dropped,
              .bitrate_kbps = rate.target_bps / 1000,
              .received_kbps = rate.acked_bps / 1000,
              .queue_ms = rate.queue_delay_ms,
              .loss = rate.loss,
              .width = width,
              .height = height}));
  }
  session->stats_time = now;
  session->stats_in = in;
  session->stats_out = out;
}

/* Every second: a page that has gone silent, or whose video has stopped, is ended (a frozen or
 * vanished peer must not keep its slot and pipeline); else the page gets its stats. */
static gboolean
tick (gpointer data)
{
  RtfxSession *session = data;
  const gint64 now = g_get_monotonic_time ();
  const guint timeout = session->config->peer_timeout_s;
  g_autofree gchar *reason = NULL;
  guint in, out;
  guint64 dropped;

  if (rtfx_ws_guard_is_silent (session->guard)) {
    session->tick_timer = 0;
    reason = g_strdup_printf ("the page stopped answering for %u s", timeout);
    end_session (session, 0, reason, FALSE);
    return G_SOURCE_REMOVE;
  }
  if (session->pipeline == NULL)
    return G_SOURCE_CONTINUE;
  rtfx_pipeline_counts (session->pipeline, &in, &out, &dropped);
  if (in != session->stats_in)
    session->video_time = now;
  if (now - session->video_time > timeout * G_USEC_PER_SEC) {
    session->tick_timer = 0;
    reason = session->config->mode == RTFX_MODE_RECVONLY ?
        g_strdup_printf ("no video from the server's source for %u s",
        timeout) : g_strdup_printf ("no video from the page for %u s (its "
        "network path may be lost)", timeout);
    rtfx_session_end (session, RTFX_CODE_NO_VIDEO, reason);
    return G_SOURCE_REMOVE;
  }
  send_stats (session, in, out, dropped, now);
  return G_SOURCE_CONTINUE;
}

static gboolean
offer_timed_out (gpointer data)
{
  RtfxSession *session = data;
  g_autofree gchar *reason = g_strdup_printf ("no offer within %u s of "
      "connecting", session->config->offer_timeout_s);

  session->offer_timer = 0;
  rtfx_session_end (session, RTFX_CODE_NO_OFFER, reason);
  return G_SOURCE_REMOVE;
}

static gboolean
time_is_up (gpointer data)
{
  RtfxSession *session = data;
  g_autofree gchar *reason = g_strdup_printf ("the session reached the "
      "server's time limit of %u s", session->config->time_limit_s);

  session->time_limit_timer = 0;
  rtfx_session_end (session, RTFX_CODE_TIME_LIMIT, reason);
  return G_SOURCE_REMOVE;
}

static void
send_controls (RtfxSession * session)
{
  g_autoptr (JsonNode) controls = rtfx_controls_describe (session->controls);

  send_now (session, rtfx_message_controls (session->config->preset_names
          [session->preset], (const gchar * const *) session->config->preset_names,
          session->config->preset_chains[session->preset], controls));
}

/* Offers the page the controls of chain, preset's newest instance, and says so. */
static void
offer_controls (RtfxSession * session, guint preset, GstElement * chain)
{
  session->preset = preset;
  g_clear_pointer (&session->controls, rtfx_controls_free);
  session->controls = rtfx_controls_new (chain,
      (const gchar * const *) session->config->controls,
      session->config->auto_controls);
  send_controls (session);
}

/* Puts the preset last asked for in force: its chain, built now, gets the controls at once and joins
 * the pipeline with the next frame. Runs when the main loop is idle, so a burst of presets makes one
 * switch and one controls message, not one each. */
static gboolean
apply_preset (gpointer data)
{
  RtfxSession *session = data;
  const RtfxConfig *config = session->config;
  g_autoptr (GError) error = NULL;
  const guint preset = session->wanted_preset;
  GstElement *chain;

  session->preset_idle = 0;
  chain = rtfx_chain_build (config->preset_chains[preset], &error);
  if (chain == NULL) {
    reply_error (session, RTFX_CODE_NO_PRESET, error->message);
    return G_SOURCE_REMOVE;
  }
  g_message ("session %s: preset %s", session->peer,
      config->preset_names[preset]);
  gst_object_replace ((GstObject **) & session->chain, GST_OBJECT (chain));
  if (session->pipeline != NULL) {
    rtfx_pipeline_switch_chain (session->pipeline, chain);
    if (config->audio)
      rtfx_pipeline_switch_audio_chain (session->pipeline,
          config->preset_audio_chains[preset]);
  }
  offer_controls (session, preset, chain);
  gst_object_unref (chain);
  return G_SOURCE_REMOVE;
}

static void
handle_preset (RtfxSession * session, const gchar * name)
{
  const gint preset = rtfx_config_find_preset (session->config, name);

  if (preset < 0) {
    g_autofree gchar *quoted = rtfx_quote (name);
    g_autofree gchar *message = g_strdup_printf ("there is no preset '%s'",
        quoted);
    reply_error (session, RTFX_CODE_NO_PRESET, message);
    return;
  }
  session->wanted_preset = (guint) preset;
  if (session->preset_idle == 0)
    session->preset_idle = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE,
        apply_preset, rtfx_session_ref (session),
        (GDestroyNotify) rtfx_session_unref);
}

static void
handle_set (RtfxSession * session, const RtfxMessage * msg)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) applied = rtfx_controls_set (session->controls,
      msg->set.element, msg->set.property, msg->set.value, &error);

  if (applied == NULL) {
    g_message ("session %s: set refused: %s", session->peer, error->message);
    send_now (session, rtfx_message_set_error (error->message,
            msg->set.element, msg->set.property));
    return;
  }
  send_now (session, rtfx_message_value (msg->set.element, msg->set.property,
          applied));
}

/* --- the page's messages ----------------------------------------------------------------- */

static void
on_answer (const gchar * sdp, gpointer data)
{
  RtfxSession *session = data;

  rtfx_trace_step (session->trace, RTFX_TRACE_ANSWER_SENT);
  send_now (session, rtfx_message_answer (sdp));
}

static void
on_ice_candidate (guint mline_index, const gchar * candidate, gpointer data)
{
  RtfxSession *session = data;

  send_now (session, rtfx_message_ice (candidate, mline_index));
}

static void
on_pipeline_failed (RtfxCode code, const gchar * reason, gpointer data)
{
  rtfx_session_end (data, code, reason);
}

static void
on_recording_failed (const gchar * direction, const gchar * reason,
    gpointer data)
{
  send_now (data, rtfx_message_recording_failed (direction, reason));
}

static const RtfxPipelineEvents pipeline_events = {
  .answer = on_answer,
  .ice_candidate = on_ice_candidate,
  .failed = on_pipeline_failed,
  .recording_failed = on_recording_failed,
};

/* The recordings' files: named by the session's start (UTC) and id, and offered to the page under
 * a download token of the session's own. */
static gchar *
recording_name (RtfxSession * session)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree gchar *start = g_date_time_format (now, "%Y%m%d-%H%M%S");

  return g_strdup_printf ("%s-%s", start, session->id);
}

static void
offer_recordings (RtfxSession * session)
{
  g_autoptr (GPtrArray) recorders = rtfx_pipeline_recorders
      (session->pipeline);
  g_autoptr (GPtrArray) urls = g_ptr_array_new_with_free_func (g_free);
  g_autofree RtfxRecordingFile *files = g_new0 (RtfxRecordingFile,
      recorders->len);

  if (recorders->len == 0)
    return;
  session->download_token = rtfx_downloads_add (session->downloads,
      recorders);
  for (guint i = 0; i < recorders->len; i++) {
    RtfxRecorder *r = g_ptr_array_index (recorders, i);
    gchar *url = g_strdup_printf ("recordings/%s/%s", session->download_token,
        rtfx_recorder_direction (r));

    g_ptr_array_add (urls, url);
    files[i].direction = rtfx_recorder_direction (r);
    files[i].url = url;
    files[i].name = rtfx_recorder_name (r);
    g_message ("session %s: recording to %s", session->peer,
        rtfx_recorder_path (r));
  }
  send_now (session, rtfx_message_recording (files, recorders->len));
}

static void
handle_offer (RtfxSession * session, const gchar * text)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *name = NULL;
  RtfxOffer offer;

  rtfx_trace_step (session->trace, RTFX_TRACE_OFFER_RECEIVED);
  if (!rtfx_offer_read (text, rtfx_codec_usable, &offer, &error)) {
    reply_error (session, error->code, error->message);
    return;
  }
  session->got_offer = TRUE;
  g_clear_handle_id (&session->offer_timer, g_source_remove);
  g_message ("session %s: offer with %s, payload type %d", session->peer,
      offer.codec->display_name, offer.pt);
  name = recording_name (session);
  session->pipeline = rtfx_pipeline_start (session->config, &offer,
      session->chain, session->config->preset_chains[session->preset],
      session->config->audio ?
      session->config->preset_audio_chains[session->preset] : NULL,
      session->peer, name, &pipeline_events, session, session->teardowns,
      session->trace, &error);
  rtfx_offer_clear (&offer);
  if (session->pipeline == NULL) {
    rtfx_session_end (session, RTFX_CODE_OFFER_FAILED, error->message);
    return;
  }
  offer_recordings (session);
  session->stats_time = session->video_time = g_get_monotonic_time ();
  if (session->config->time_limit_s > 0)
    session->time_limit_timer = g_timeout_add (session->config->time_limit_s
        * 1000, time_is_up, session);
}

static void
handle_ice (RtfxSession * session, const gchar * candidate, guint mline_index)
{
  if (!session->got_offer) {
    reply_error (session, RTFX_CODE_OUT_OF_ORDER, "'ice' before 'offer'");
    return;
  }
  if (candidate[0] == '\0')
    return;                     /* end of candidates */
  rtfx_trace_step (session->trace, RTFX_TRACE_FIRST_REMOTE_CANDIDATE);
  rtfx_pipeline_add_ice_candidate (session->pipeline, mline_index, candidate);
}

static void
on_ws_message (SoupWebsocketConnection * ws, gint type, GBytes * message,
    gpointer user_data)
{
  RtfxSession *session = user_data;
  g_autoptr (GError) error = NULL;
  RtfxMessage msg;
  gsize size;
  const gchar *data = g_bytes_get_data (message, &size);

  if (session->ended)
    return;
  if (!rtfx_ws_guard_take_message (session->guard)) {
    g_autofree gchar *reason = g_strdup_printf ("the page sent more than %u "
        "messages a second", session->config->max_message_rate);
    rtfx_session_end (session, RTFX_CODE_TOO_MANY_MESSAGES, reason);
    return;
  }
  if (type != SOUP_WEBSOCKET_DATA_TEXT) {
    reply_error (session, RTFX_CODE_BAD_MESSAGE,
        "binary messages are not part of the protocol");
    return;
  }
  if (!rtfx_message_parse (data, size, &msg, &error)) {
    reply_error (session, error->code, error->message);
    return;
  }
  switch (msg.type) {
    case RTFX_MESSAGE_OFFER:
      if (session->got_offer)
        reply_error (session, RTFX_CODE_OUT_OF_ORDER,
            "a second 'offer': one session takes one offer");
      else
        handle_offer (session, msg.offer.sdp);
      break;
    case RTFX_MESSAGE_ICE:
      handle_ice (session, msg.ice.candidate, msg.ice.mline_index);
      break;
    case RTFX_MESSAGE_BYE:
      rtfx_session_end (session, RTFX_CODE_PAGE_BYE, "the page said bye");
      break;
    case RTFX_MESSAGE_SET:
      handle_set (session, &msg);
      break;
    case RTFX_MESSAGE_PRESET:
      handle_preset (session, msg.preset.name);
      break;
  }
  rtfx_message_clear (&msg);
}

static void
on_ws_closed (SoupWebsocketConnection * ws, gpointer user_data)
{
  /* Nothing goes out on a closed websocket: the code is never sent. */
  end_session (user_data, RTFX_CODE_PAGE_BYE, "the page closed the connection",
      FALSE);
}

/* --- life and death ---------------------------------------------------------------------- */

RtfxSession *
rtfx_session_new (SoupWebsocketConnection * ws, GSocket * socket,
    const gchar * peer, const RtfxConfig * config, RtfxTeardowns * teardowns,
    RtfxDownloads * downloads, RtfxSessionEndedFunc on_ended,
    gpointer user_data)
{
  RtfxSession *session = g_atomic_rc_box_new0 (RtfxSession);
  g_autoptr (JsonNode) ice_servers = NULL;

  session->trace = rtfx_trace_new (peer);
  session->teardowns = rtfx_teardowns_ref (teardowns);
  session->downloads = downloads;
  session->id = g_strdup_printf ("%08x", g_random_int ());
  session->ws = g_object_ref (ws);
  session->guard = rtfx_ws_guard_new (ws, socket, config->peer_timeout_s,
      config->max_message_rate, config->max_send_queue_kib);
  session->peer = g_strdup (peer);
  session->config = config;
  session->on_ended = on_ended;
  session->on_ended_data = user_data;
  g_signal_connect (ws, "message", G_CALLBACK (on_ws_message), session);
  g_signal_connect (ws, "closed", G_CALLBACK (on_ws_closed), session);
  session->offer_timer = g_timeout_add_seconds (config->offer_timeout_s,
      offer_timed_out, session);
  session->tick_timer = g_timeout_add_seconds (1, tick, session);
  g_message ("session %s: connected", peer);
  rtfx_trace_step (session->trace, RTFX_TRACE_HELLO_SENT);
  ice_servers = rtfx_ice_servers_for_session (config->ice_servers,
      config->turn_secret, config->turn_ttl_s, g_get_real_time () / G_USEC_PER_SEC);
  send_now (session, rtfx_message_hello (VERSION, config->chain,
          rtfx_mode_name (config->mode), config->audio, &config->video,
          ice_servers));
  /* The presets were all built once at start-up, so this only fails if memory does. */
  session->chain = rtfx_chain_build (config->chain, NULL);
  offer_controls (session, config->start_preset, session->chain);
  return session;
}

/* Ends the session; a page that reads nothing (page_reads FALSE) gets no bye (code is not used) and
 * no close handshake but a cut connection. */
static void
end_session (RtfxSession * session, RtfxCode code, const gchar * reason,
    gboolean page_reads)
{
  if (session->ended)
    return;
  g_message ("session %s: ended: %s", session->peer, reason);
  if (soup_websocket_connection_get_state (session->ws) ==
      SOUP_WEBSOCKET_STATE_OPEN) {
    g_autofree gchar *bye = rtfx_message_bye (code, reason);

    if (page_reads && rtfx_ws_guard_may_send (session->guard, strlen (bye)))
      rtfx_ws_close_with_bye (session->ws, bye);
    else
      rtfx_ws_guard_cut (session->guard);
  }
  session->ended = TRUE;
  g_signal_handlers_disconnect_by_data (session->ws, session);
  g_clear_handle_id (&session->tick_timer, g_source_remove);
  g_clear_handle_id (&session->offer_timer, g_source_remove);
  g_clear_handle_id (&session->time_limit_timer, g_source_remove);
  g_clear_handle_id (&session->preset_idle, g_source_remove);

  if (session->pipeline != NULL)
    rtfx_pipeline_stop (g_steal_pointer (&session->pipeline));
  if (session->download_token != NULL)
    rtfx_downloads_expire (session->downloads, session->download_token);
  session->on_ended (session, session->on_ended_data);
}

void
rtfx_session_end (RtfxSession * session, RtfxCode code, const gchar * reason)
{
  end_session (session, code, reason, TRUE);
}
