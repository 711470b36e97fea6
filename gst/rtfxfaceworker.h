/* rtfxfacedetect's analysis at its own pace: a thread that runs the detector on the newest frame it
 * was given, while the frames themselves go on without waiting. A frame that arrives while another
 * waits replaces it; what the last analysis found can be read at any time. */
#pragma once

#include <gst/gst.h>

#include "rtfxcascade.h"
#include "rtfxhaar.h"

G_BEGIN_DECLS

typedef struct _RtfxFaceWorker RtfxFaceWorker;

/* A frame to analyse: its size, the parameters it is to be searched with, and where it is in the
 * stream, for whoever reports the result. */
typedef struct
{
  gint width, height;
  RtfxHaarParams params;
  GstClockTime pts, duration, stream_time, running_time;
} RtfxFaceJob;

/* Called on the worker's thread when an analysis is done, with its job, what it found and its
 * number (1 for the first analysis of the worker). Not called for a job that was forgotten. */
typedef void (*RtfxFaceWorkerDone) (const RtfxFaceJob * job,
    const RtfxHaarHit * hits, guint n, guint64 analysis, gpointer data);

/* Starts the thread; the cascade must outlive the worker. Each analysis searches on `threads`
 * threads (see rtfx_haar_new()). Returns NULL, with error set, if no thread could be made. */
RtfxFaceWorker *rtfx_face_worker_new (const RtfxCascade * cascade,
    guint threads, RtfxFaceWorkerDone done, gpointer data, GError ** error);

/* Stops the thread, waiting for the analysis under way (whose result is dropped), and frees. */
void rtfx_face_worker_free (RtfxFaceWorker * worker);

/* A plane of width x height bytes (rows of width bytes) for the next job's luma, owned by the
 * caller until rtfx_face_worker_submit(). Only ever one caller thread. */
guint8 *rtfx_face_worker_plane (RtfxFaceWorker * worker, gint width,
    gint height);

/* Hands the plane over, to be analysed with job as soon as the thread is free; a job still
 * waiting is dropped. Never waits for an analysis. Ignored while flushing. */
void rtfx_face_worker_submit (RtfxFaceWorker * worker, const RtfxFaceJob * job);

/* What the newest finished analysis found, copied into hits (an array of RtfxHaarHit); returns
 * how many. Empty until one finishes, and after rtfx_face_worker_forget(). */
guint rtfx_face_worker_latest (RtfxFaceWorker * worker, GArray * hits);

/* Drops the waiting job, the result of the one under way and the latest hits: what comes after
 * belongs to another picture (a new stream, a new size). Wakes rtfx_face_worker_drain(). */
void rtfx_face_worker_forget (RtfxFaceWorker * worker);

/* Forgets, and while flushing refuses jobs and lets nobody wait in rtfx_face_worker_drain(): for
 * a flush, and for stopping, which must not wait for an analysis. */
void rtfx_face_worker_set_flushing (RtfxFaceWorker * worker, gboolean flushing);

/* Waits until every job submitted has been analysed and reported, or forgotten, or the worker
 * is flushing. */
void rtfx_face_worker_drain (RtfxFaceWorker * worker);

G_END_DECLS
