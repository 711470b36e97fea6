/* The offer/answer exchange with a session's webrtcbin: see negotiation.h. */
#include "negotiation.h"

#include "answer.h"

#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>

struct _RtfxNegotiation
{
  GstElement *webrtc;
  guint start_kbps;
  RtfxNegotiationEvents events;
  gpointer data;

  GMutex lock;                  /* guards what follows, shared with webrtcbin's threads */
  gboolean stopping;
  GPtrArray *promises;          /* of the steps asked of webrtcbin */
};

static RtfxNegotiation *
negotiation_ref (RtfxNegotiation * n)
{
  return g_atomic_rc_box_acquire (n);
}

static void
negotiation_free (RtfxNegotiation * n)
{
  g_ptr_array_unref (n->promises);
  gst_object_unref (n->webrtc);
  g_mutex_clear (&n->lock);
}

static void
negotiation_unref (RtfxNegotiation * n)
{
  g_atomic_rc_box_release_full (n, (GDestroyNotify) negotiation_free);
}

/* Emits one of webrtcbin's negotiation signals (set-remote-description, create-answer,
 * set-local-description) with description (or none) and a promise calling on_reply, unless the
 * negotiation is stopping. Under the lock, so that once stopping is set no step can start after
 * it. Stopping interrupts the promises (interrupt_steps): webrtcbin drops the steps still waiting
 * when it goes to NULL, and a promise freed unanswered is a GStreamer warning (and, held by the
 * caller, was a leak of the whole session). */
static void
negotiate (RtfxNegotiation * n, const gchar * signal,
    GstWebRTCSessionDescription * description, GstPromiseChangeFunc on_reply)
{
  GstPromise *promise;

  g_mutex_lock (&n->lock);
  if (n->stopping) {
    g_mutex_unlock (&n->lock);
    return;
  }
  promise = on_reply ? gst_promise_new_with_change_func (on_reply,
      negotiation_ref (n), (GDestroyNotify) negotiation_unref) :
      gst_promise_new ();
  g_ptr_array_add (n->promises, gst_promise_ref (promise));
  if (description != NULL)
    g_signal_emit_by_name (n->webrtc, signal, description, promise);
  else
    g_signal_emit_by_name (n->webrtc, signal, NULL, promise);
  g_mutex_unlock (&n->lock);
  gst_promise_unref (promise);
}

/* Whether webrtcbin answered the promise (rather than it being interrupted) without an error; its
 * reply, which may be NULL, in *reply. */
static gboolean
succeeded (GstPromise * promise, const GstStructure ** reply)
{
  if (gst_promise_wait (promise) != GST_PROMISE_RESULT_REPLIED)
    return FALSE;
  *reply = gst_promise_get_reply (promise);
  return *reply == NULL || !gst_structure_has_field (*reply, "error");
}

static void
on_answer_created (GstPromise * promise, gpointer user_data)
{
  RtfxNegotiation *n = user_data;
  const GstStructure *reply = NULL;
  GstWebRTCSessionDescription *answer = NULL;

  if (succeeded (promise, &reply) && reply != NULL)
    gst_structure_get (reply, "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION,
        &answer, NULL);
  if (answer == NULL) {
    n->events.failed (RTFX_CODE_OFFER_FAILED,
        "the server could not answer the offer", n->data);
    return;
  }
  /* The answer goes out before set-local-description starts gathering: a candidate the browser
   * gets before the answer is rejected. Events keep their order. */
  n->events.answer (rtfx_answer_text (answer->sdp, n->start_kbps), n->data);
  negotiate (n, "set-local-description", answer, NULL);
  gst_webrtc_session_description_free (answer);
}

static void
on_remote_description_set (GstPromise * promise, gpointer user_data)
{
  RtfxNegotiation *n = user_data;
  const GstStructure *reply = NULL;

  if (!succeeded (promise, &reply)) {
    n->events.failed (RTFX_CODE_OFFER_FAILED,
        "the server could not apply the offer", n->data);
    return;
  }
  negotiate (n, "create-answer", NULL, on_answer_created);
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

/* Waits, at most timeout_us, until webrtcbin has run every negotiation step already asked of it:
 * it runs them in order on a thread of its own, so one asked now runs after all of them. A step
 * still running (set-local-description starts ICE gathering) while the pipeline goes to NULL left
 * the ICE agent alive, with its sockets and thread. The step asked is create-answer, which changes
 * nothing, with no per-session names: get-stats names its structures after SSRCs and ports, which
 * become GQuarks for good. */
static void
finish_steps (GstElement * webrtc, gint64 timeout_us)
{
  const gint64 deadline = g_get_monotonic_time () + timeout_us;
  Barrier *barrier = g_atomic_rc_box_new0 (Barrier);
  GstPromise *promise = gst_promise_new_with_change_func (barrier_reached,
      g_atomic_rc_box_acquire (barrier), (GDestroyNotify) barrier_unref);

  g_mutex_init (&barrier->lock);
  g_cond_init (&barrier->cond);
  g_signal_emit_by_name (webrtc, "create-answer", NULL, promise);
  g_mutex_lock (&barrier->lock);
  while (!barrier->done && g_cond_wait_until (&barrier->cond, &barrier->lock,
          deadline));
  g_mutex_unlock (&barrier->lock);
  /* Out of time: the step may still be dropped, and must not free a pending promise then. */
  gst_promise_interrupt (promise);
  gst_promise_unref (promise);
  barrier_unref (barrier);
}

/* Answered or not, the negotiation is over: a step that outlived finish_steps's bound has its answer
 * ignored, or, dropped by webrtcbin, frees an interrupted promise rather than a pending one (a
 * GStreamer warning). */
static void
interrupt_steps (GPtrArray * promises)
{
  for (guint i = 0; i < promises->len; i++)
    gst_promise_interrupt (g_ptr_array_index (promises, i));
}

RtfxNegotiation *
rtfx_negotiation_start (GstElement * webrtc, const GstSDPMessage * offer,
    guint start_kbps, const RtfxNegotiationEvents * events, gpointer data)
{
  RtfxNegotiation *n = g_atomic_rc_box_new0 (RtfxNegotiation);
  GstWebRTCSessionDescription *description;
  GstSDPMessage *sdp;

  g_mutex_init (&n->lock);
  n->webrtc = gst_object_ref (webrtc);
  n->start_kbps = start_kbps;
  n->events = *events;
  n->data = data;
  n->promises = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_promise_unref);
  gst_sdp_message_copy (offer, &sdp);
  description = gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_OFFER,
      sdp);
  negotiate (n, "set-remote-description", description,
      on_remote_description_set);
  gst_webrtc_session_description_free (description);
  return n;
}

void
rtfx_negotiation_stop (RtfxNegotiation * n, gint64 timeout_us)
{
  g_autoptr (GPtrArray) promises = NULL;

  g_mutex_lock (&n->lock);
  n->stopping = TRUE;
  promises = g_steal_pointer (&n->promises);
  n->promises = g_ptr_array_new ();
  g_mutex_unlock (&n->lock);
  finish_steps (n->webrtc, timeout_us);
  interrupt_steps (promises);
  negotiation_unref (n);
}
