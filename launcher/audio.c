/* The microphone's path (see audio.h):
 *
 *   webrtcbin ─(pad-added)─▶ rtpopusdepay ! opusdec ! audioconvert ! audioresample ! level ─┐
 *                             (received Opus)                                                 │
 *                                                                          audioconvert (head)
 *                                                                                AUDIO CHAIN
 *   webrtcbin ◀─ rtpopuspay ◀─ opusenc ◀─ audioresample ◀─ audioconvert (tail) ◀──────────────┘
 *                               (sent Opus)
 *
 * --mode sendonly ends at a fakesink after tail, and webrtcbin only receives. Everything is built
 * before the offer is applied, so that webrtcbin answers the audio section sendrecv; the incoming
 * pad is linked in pad-added, on the streaming thread, as the video's is. level measures the
 * microphone as the server hears it, before the chain, ten times a second. The chain is switched
 * (a preset's, --audio-preset) with the next buffer held in a blocking probe before head, which then
 * converts it to what the new chain takes: held after head, the buffer would go to the new chain in
 * the format the old one took (S16 into audioecho, which takes only floats: not-negotiated). */
#include "audio.h"

#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>

#include "chain.h"

/* How often the page's meter moves: level's interval, in nanoseconds (10 a second). */
#define LEVEL_INTERVAL (GST_SECOND / 10)
/* Silence, in dBFS: level says -inf (or -700) for digital zero, which JSON cannot carry. */
#define LEVEL_FLOOR_DB -100.0

const RtfxElementNeed rtfx_audio_needs[] = {
  {"rtpopusdepay", "gstreamer1.0-plugins-good"},
  {"opusdec", "gstreamer1.0-plugins-base"},
  {"audioconvert", "gstreamer1.0-plugins-base"},
  {"audioresample", "gstreamer1.0-plugins-base"},
  {"level", "gstreamer1.0-plugins-good"},
  {"opusenc", "gstreamer1.0-plugins-base"},
  {"rtpopuspay", "gstreamer1.0-plugins-good"},
  {NULL, NULL},
};

struct _RtfxAudio
{
  GstElement *pipeline;
  GstElement *depay;            /* the received Opus leaves it */
  GstElement *level;
  GstElement *head;             /* the chain sits between head and tail */
  GstElement *tail;
  GstElement *encoder;          /* opusenc: the sent Opus leaves it; NULL in sendonly */

  GMutex lock;                  /* guards what follows, shared with the streaming threads */
  gboolean stopping;
  GstPad *incoming;             /* webrtcbin's pad linked to depay; unlinked to stop */
  GstElement *chain;            /* the chain in the pipeline, */
  gchar *desc;                  /* its description */
  GstElement *next_chain;       /* the newest one asked for, until the next buffer */
  gchar *next_desc;
};

/* --- checking and building a chain ------------------------------------------------------- */

static GstElement *
build_chain (const gchar * desc, GError ** error)
{
  return rtfx_filter_build (desc, "audio chain", "audio",
      "audioecho delay=250000000 intensity=0.5", error);
}

/* audioconvert ! CHAIN ! audioconvert in bin: whether the chain takes and gives raw audio. */
static gboolean
link_between_converters (GstElement * bin, GstElement * chain,
    const gchar * desc, GError ** error)
{
  GstElement *in = gst_element_factory_make ("audioconvert", NULL);
  GstElement *out = gst_element_factory_make ("audioconvert", NULL);

  gst_bin_add_many (GST_BIN (bin), in, chain, out, NULL);
  if (gst_element_link_many (in, chain, out, NULL))
    return TRUE;
  g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
      "invalid audio chain '%s': it does not take and give raw audio", desc);
  return FALSE;
}

gboolean
rtfx_audio_chain_check (const gchar * desc, GError ** error)
{
  g_autoptr (GstElement) chain = build_chain (desc, error);
  g_autoptr (GstElement) bin = NULL;
  g_autoptr (GError) start_error = NULL;

  if (chain == NULL)
    return FALSE;
  bin = gst_object_ref_sink (gst_bin_new (NULL));
  if (!link_between_converters (bin, chain, desc, error))
    return FALSE;
  if (!rtfx_chain_try_start (bin, &start_error)) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_STATE_CHANGE,
        "invalid audio chain '%s': %s", desc, start_error->message);
    return FALSE;
  }
  return TRUE;
}

/* --- life -------------------------------------------------------------------------------- */

/* After the pipeline has stopped (the path's probes hold no reference: no buffer comes then). */
void
rtfx_audio_free (RtfxAudio * a)
{
  gst_clear_object (&a->pipeline);
  gst_clear_object (&a->depay);
  gst_clear_object (&a->level);
  gst_clear_object (&a->head);
  gst_clear_object (&a->tail);
  gst_clear_object (&a->encoder);
  gst_clear_object (&a->incoming);
  gst_clear_object (&a->chain);
  gst_clear_object (&a->next_chain);
  g_free (a->desc);
  g_free (a->next_desc);
  g_mutex_clear (&a->lock);
  g_free (a);
}

/* A new element of factory, added to the path's pipeline; the path keeps a reference if keep. */
static GstElement *
add (RtfxAudio * a, const gchar * factory, gboolean keep)
{
  GstElement *element = gst_element_factory_make (factory, NULL);

  gst_bin_add (GST_BIN (a->pipeline), element);
  return keep ? gst_object_ref (element) : element;
}

/* --- building ---------------------------------------------------------------------------- */

/* rtpopusdepay ! opusdec ! audioconvert ! audioresample ! level ! audioconvert (head). */
static void
build_receiving (RtfxAudio * a)
{
  GstElement *decoder, *convert, *resample;

  a->depay = add (a, "rtpopusdepay", TRUE);
  decoder = add (a, "opusdec", FALSE);
  convert = add (a, "audioconvert", FALSE);
  resample = add (a, "audioresample", FALSE);
  a->level = add (a, "level", TRUE);
  g_object_set (a->level, "interval", (guint64) LEVEL_INTERVAL,
      "post-messages", TRUE, NULL);
  a->head = add (a, "audioconvert", TRUE);
  gst_element_link_many (a->depay, decoder, convert, resample, a->level,
      a->head, NULL);
}

/* tail ! audioresample ! opusenc ! rtpopuspay ! webrtcbin, its transceiver sending and
 * receiving the offer's Opus. */
static gboolean
build_sending (RtfxAudio * a, GstElement * webrtc, const RtfxOffer * offer,
    GError ** error)
{
  GstElement *resample = add (a, "audioresample", FALSE);
  GstElement *pay;
  g_autoptr (GstPad) pay_src = NULL;
  g_autoptr (GstPad) webrtc_sink = NULL;
  GstWebRTCRTPTransceiver *transceiver = NULL;

  a->encoder = add (a, "opusenc", TRUE);
  pay = add (a, "rtpopuspay", FALSE);
  g_object_set (pay, "pt", (guint) offer->audio_pt, NULL);
  gst_element_link_many (a->tail, resample, a->encoder, pay, NULL);
  webrtc_sink = gst_element_request_pad_simple (webrtc, "sink_%u");
  pay_src = gst_element_get_static_pad (pay, "src");
  if (gst_pad_link (pay_src, webrtc_sink) != GST_PAD_LINK_OK) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_PAD,
        "cannot link the audio encoder to webrtcbin");
    return FALSE;
  }
  g_object_get (webrtc_sink, "transceiver", &transceiver, NULL);
  g_object_set (transceiver, "direction",
      GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDRECV, "codec-preferences",
      offer->audio_preferences, NULL);
  gst_object_unref (transceiver);
  return TRUE;
}

/* sendonly: the processed audio ends at tail, and webrtcbin only receives the offer's Opus. */
static void
build_sink (RtfxAudio * a, GstElement * webrtc, const RtfxOffer * offer)
{
  GstElement *sink = add (a, "fakesink", FALSE);
  GstWebRTCRTPTransceiver *transceiver = NULL;

  g_object_set (sink, "sync", FALSE, "async", FALSE, "enable-last-sample",
      FALSE, NULL);
  gst_element_link (a->tail, sink);
  g_signal_emit_by_name (webrtc, "add-transceiver",
      GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, offer->audio_preferences,
      &transceiver);
  gst_clear_object (&transceiver);
}

RtfxAudio *
rtfx_audio_build (GstElement * pipeline, GstElement * webrtc, RtfxMode mode,
    const RtfxOffer * offer, const gchar * desc, GError ** error)
{
  RtfxAudio *a;
  GstElement *chain = build_chain (desc, error);

  if (chain == NULL)
    return NULL;
  a = g_new0 (RtfxAudio, 1);
  g_mutex_init (&a->lock);
  a->pipeline = gst_object_ref (pipeline);
  a->chain = chain;
  a->desc = g_strdup (desc);
  build_receiving (a);
  a->tail = add (a, "audioconvert", TRUE);
  gst_bin_add (GST_BIN (pipeline), chain);
  if (!gst_element_link_many (a->head, chain, a->tail, NULL)) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
        "the audio chain '%s' does not take and give raw audio", desc);
    rtfx_audio_free (a);
    return NULL;
  }
  if (mode == RTFX_MODE_SENDONLY) {
    build_sink (a, webrtc, offer);
  } else if (!build_sending (a, webrtc, offer, error)) {
    rtfx_audio_free (a);
    return NULL;
  }
  return a;
}

/* --- the incoming stream ----------------------------------------------------------------- */

gboolean
rtfx_audio_take_incoming (RtfxAudio * a, GstPad * pad, const gchar * encoding)
{
  g_autoptr (GstPad) sink = NULL;
  gboolean taken = FALSE;

  if (g_strcmp0 (encoding, "OPUS") != 0)
    return FALSE;
  sink = gst_element_get_static_pad (a->depay, "sink");
  g_mutex_lock (&a->lock);
  if (!a->stopping && a->incoming == NULL &&
      gst_pad_link (pad, sink) == GST_PAD_LINK_OK) {
    a->incoming = gst_object_ref (pad);
    taken = TRUE;
  }
  g_mutex_unlock (&a->lock);
  return taken;
}

void
rtfx_audio_encoded_pads (RtfxAudio * a, GstPad ** received, GstPad ** sent)
{
  *received = gst_element_get_static_pad (a->depay, "src");
  *sent = a->encoder ? gst_element_get_static_pad (a->encoder, "src") : NULL;
}

/* --- the chain --------------------------------------------------------------------------- */

/* With the next buffer held at head's input: the newest chain asked for goes in. */
static GstPadProbeReturn
swap_chain (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  RtfxAudio *a = data;
  GstElement *old;

  g_mutex_lock (&a->lock);
  if (a->stopping || a->next_chain == NULL) {
    g_mutex_unlock (&a->lock);
    return GST_PAD_PROBE_REMOVE;
  }
  old = g_steal_pointer (&a->chain);
  a->chain = g_steal_pointer (&a->next_chain);
  g_free (a->desc);
  a->desc = g_steal_pointer (&a->next_desc);
  rtfx_chain_replace (a->pipeline, a->head, old, a->chain, a->tail);
  g_mutex_unlock (&a->lock);
  gst_object_unref (old);
  return GST_PAD_PROBE_REMOVE;
}

void
rtfx_audio_switch_chain (RtfxAudio * a, const gchar * desc, const gchar * peer)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) chain = NULL;
  gboolean same, probe_needed;

  g_mutex_lock (&a->lock);
  same = g_strcmp0 (a->next_desc ? a->next_desc : a->desc, desc) == 0;
  g_mutex_unlock (&a->lock);
  if (same)
    return;
  /* Checked at start-up: only memory can fail here. */
  chain = build_chain (desc, &error);
  if (chain == NULL) {
    g_message ("session %s: %s", peer, error->message);
    return;
  }
  g_mutex_lock (&a->lock);
  probe_needed = a->next_chain == NULL;
  gst_object_replace ((GstObject **) & a->next_chain, GST_OBJECT (chain));
  g_free (a->next_desc);
  a->next_desc = g_strdup (desc);
  g_mutex_unlock (&a->lock);
  if (probe_needed) {
    g_autoptr (GstPad) head_sink = gst_element_get_static_pad (a->head,
        "sink");
    gst_pad_add_probe (head_sink, GST_PAD_PROBE_TYPE_BLOCK |
        GST_PAD_PROBE_TYPE_BUFFER, swap_chain, a, NULL);
  }
}

/* --- the level, for the page's meter ----------------------------------------------------- */

/* The loudest channel of level's field (an array of dB values, one a channel), in dBFS from
 * LEVEL_FLOOR_DB to 0. */
static gdouble
loudest (const GstStructure * s, const gchar * field)
{
  const GValue *value = gst_structure_get_value (s, field);
  gdouble db = LEVEL_FLOOR_DB;
  GValueArray *channels;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  if (value == NULL || !G_VALUE_HOLDS (value, g_value_array_get_type ()))
    return db;
  channels = g_value_get_boxed (value);
  for (guint i = 0; channels != NULL && i < channels->n_values; i++)
    if (G_VALUE_HOLDS_DOUBLE (&channels->values[i]))
      db = MAX (db, g_value_get_double (&channels->values[i]));
  G_GNUC_END_IGNORE_DEPRECATIONS
  return MIN (db, 0.0);
}

GstStructure *
rtfx_audio_level_message (RtfxAudio * a, GstMessage * msg)
{
  const GstStructure *s = gst_message_get_structure (msg);

  if (GST_MESSAGE_SRC (msg) != GST_OBJECT (a->level) || s == NULL ||
      !gst_structure_has_name (s, "level"))
    return NULL;
  return gst_structure_new ("rtfx/audio-level", "rms", G_TYPE_DOUBLE,
      loudest (s, "rms"), "peak", G_TYPE_DOUBLE, loudest (s, "peak"), NULL);
}

/* --- stopping ---------------------------------------------------------------------------- */

void
rtfx_audio_stop (RtfxAudio * a)
{
  g_mutex_lock (&a->lock);
  a->stopping = TRUE;
  if (a->incoming != NULL)
    gst_pad_unlink (a->incoming, GST_PAD_PEER (a->incoming));
  g_mutex_unlock (&a->lock);
  /* A buffer may wait in webrtcbin's full send queue once the network side stops first. */
  if (a->encoder != NULL) {
    g_autoptr (GstPad) src = gst_element_get_static_pad (a->encoder, "src");
    gst_pad_push_event (src, gst_event_new_flush_start ());
  }
}
