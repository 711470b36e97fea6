/* Three planes change hands so that neither thread copies under the lock or waits for the other:
 * the caller fills `spare` and swaps it with `pending`; the worker swaps `pending` with `working`
 * and analyses that. A job that was still pending when the next came is thus recycled as the spare,
 * and nothing is allocated per frame once the planes have the frame's size. */
/* for getpriority () and setpriority () */
#define _GNU_SOURCE

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "rtfxfaceworker.h"

#include <string.h>
#include <sys/resource.h>

/* How much nicer than the streaming threads the analysis runs: when the CPU is short, the video
 * keeps its rate and the analyses slow down. */
#define ANALYSIS_NICE 10

typedef struct
{
  guint8 *plane;
  gsize size;
  RtfxFaceJob job;
  guint epoch;                  /* the worker's epoch when the job was submitted */
} Slot;

struct _RtfxFaceWorker
{
  const RtfxCascade *cascade;
  guint threads;
  RtfxFaceWorkerDone done;
  gpointer data;
  GThread *thread;

  Slot slots[3];
  Slot *spare;                  /* the caller's */
  Slot *working;                /* the worker thread's */

  /* the detector, made by the worker thread for the size of the frames it gets */
  RtfxHaar *haar;
  gint haar_width, haar_height;

  GMutex lock;                  /* guards everything below */
  GCond work;                   /* a job is pending, or quit */
  GCond idle;                   /* the worker finished a job, or forgot, or quit */
  Slot *pending;
  gboolean has_pending;
  gboolean busy;                /* the worker is analysing or reporting */
  gboolean flushing;            /* jobs are refused and nobody waits for the worker */
  gboolean quit;
  guint epoch;                  /* bumped by forgetting: results of older jobs are dropped */
  guint64 analyses;
  GArray *latest;               /* RtfxHaarHit */
};

/* Runs the detector on the working slot, remaking it when the frame size changed. */
static guint
analyse (RtfxFaceWorker * w, const RtfxHaarHit ** hits)
{
  const RtfxFaceJob *job = &w->working->job;

  if (w->haar == NULL || w->haar_width != job->width
      || w->haar_height != job->height) {
    g_clear_pointer (&w->haar, rtfx_haar_free);
    w->haar = rtfx_haar_new (w->cascade, job->width, job->height, w->threads);
    w->haar_width = job->width;
    w->haar_height = job->height;
  }
  *hits = NULL;
  if (w->haar == NULL)
    return 0;
  return rtfx_haar_detect (w->haar, w->working->plane, job->width,
      &job->params, hits);
}

static gpointer
worker_main (gpointer data)
{
  RtfxFaceWorker *w = data;

#ifdef __linux__
  /* Linux keeps a nice value per thread, "process" 0 being the calling one; the detector's helper
   * threads, made from this one, inherit it. Refused, the analysis runs as the video does. */
  setpriority (PRIO_PROCESS, 0, getpriority (PRIO_PROCESS, 0) + ANALYSIS_NICE);
#endif
  g_mutex_lock (&w->lock);
  for (;;) {
    Slot *slot;
    const RtfxHaarHit *hits;
    guint n;
    guint64 analysis = 0;

    while (!w->has_pending && !w->quit)
      g_cond_wait (&w->work, &w->lock);
    if (w->quit)
      break;
    slot = w->pending;
    w->pending = w->working;
    w->working = slot;
    w->has_pending = FALSE;
    w->busy = TRUE;
    g_mutex_unlock (&w->lock);

    n = analyse (w, &hits);

    g_mutex_lock (&w->lock);
    if (!w->quit && slot->epoch == w->epoch) {
      g_array_set_size (w->latest, 0);
      g_array_append_vals (w->latest, hits, n);
      analysis = ++w->analyses;
    }
    g_mutex_unlock (&w->lock);

    /* Outside the lock: the callback posts a message, and bus handlers may call back in. */
    if (analysis > 0)
      w->done (&slot->job, hits, n, analysis, w->data);

    g_mutex_lock (&w->lock);
    w->busy = FALSE;
    g_cond_broadcast (&w->idle);
  }
  g_mutex_unlock (&w->lock);
  return NULL;
}

RtfxFaceWorker *
rtfx_face_worker_new (const RtfxCascade * cascade, guint threads,
    RtfxFaceWorkerDone done, gpointer data, GError ** error)
{
  RtfxFaceWorker *w = g_new0 (RtfxFaceWorker, 1);

  w->cascade = cascade;
  w->threads = threads;
  w->done = done;
  w->data = data;
  w->spare = &w->slots[0];
  w->pending = &w->slots[1];
  w->working = &w->slots[2];
  w->latest = g_array_new (FALSE, FALSE, sizeof (RtfxHaarHit));
  g_mutex_init (&w->lock);
  g_cond_init (&w->work);
  g_cond_init (&w->idle);
  w->thread = g_thread_try_new ("rtfxfacedetect", worker_main, w, error);
  if (w->thread == NULL) {
    rtfx_face_worker_free (w);
    return NULL;
  }
  return w;
}

void
rtfx_face_worker_free (RtfxFaceWorker * w)
{
  if (w == NULL)
    return;
  if (w->thread != NULL) {
    g_mutex_lock (&w->lock);
    w->quit = TRUE;
    g_cond_broadcast (&w->work);
    g_cond_broadcast (&w->idle);
    g_mutex_unlock (&w->lock);
    g_thread_join (w->thread);
  }
  g_clear_pointer (&w->haar, rtfx_haar_free);
  for (guint i = 0; i < G_N_ELEMENTS (w->slots); i++)
    g_free (w->slots[i].plane);
  g_array_unref (w->latest);
  g_mutex_clear (&w->lock);
  g_cond_clear (&w->work);
  g_cond_clear (&w->idle);
  g_free (w);
}

guint8 *
rtfx_face_worker_plane (RtfxFaceWorker * w, gint width, gint height)
{
  const gsize size = (gsize) width * height;

  if (w->spare->size < size) {
    g_free (w->spare->plane);
    w->spare->plane = g_malloc (size);
    w->spare->size = size;
  }
  return w->spare->plane;
}

void
rtfx_face_worker_submit (RtfxFaceWorker * w, const RtfxFaceJob * job)
{
  Slot *slot = w->spare;

  slot->job = *job;
  g_mutex_lock (&w->lock);
  if (w->flushing) {
    g_mutex_unlock (&w->lock);
    return;
  }
  slot->epoch = w->epoch;
  w->spare = w->pending;
  w->pending = slot;
  w->has_pending = TRUE;
  g_cond_signal (&w->work);
  g_mutex_unlock (&w->lock);
}

guint
rtfx_face_worker_latest (RtfxFaceWorker * w, GArray * hits)
{
  guint n;

  g_mutex_lock (&w->lock);
  n = w->latest->len;
  g_array_set_size (hits, n);
  memcpy (hits->data, w->latest->data, n * sizeof (RtfxHaarHit));
  g_mutex_unlock (&w->lock);
  return n;
}

static void
forget_locked (RtfxFaceWorker * w)
{
  w->epoch++;
  w->has_pending = FALSE;
  g_array_set_size (w->latest, 0);
  g_cond_broadcast (&w->idle);
}

void
rtfx_face_worker_forget (RtfxFaceWorker * w)
{
  g_mutex_lock (&w->lock);
  forget_locked (w);
  g_mutex_unlock (&w->lock);
}

void
rtfx_face_worker_set_flushing (RtfxFaceWorker * w, gboolean flushing)
{
  g_mutex_lock (&w->lock);
  w->flushing = flushing;
  forget_locked (w);
  g_mutex_unlock (&w->lock);
}

void
rtfx_face_worker_drain (RtfxFaceWorker * w)
{
  guint epoch;

  g_mutex_lock (&w->lock);
  epoch = w->epoch;
  while ((w->has_pending || w->busy) && w->epoch == epoch && !w->flushing
      && !w->quit)
    g_cond_wait (&w->idle, &w->lock);
  g_mutex_unlock (&w->lock);
}
