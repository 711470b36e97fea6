/* A recording file of a session: see recorder.h.
 *
 *   (tapped pad) ─probe─▶ appsrc [! parser] ─┐
 *   (tapped pad) ─probe─▶ appsrc ────────────┴─▶ webmmux|matroskamux ! fdsink
 *
 * Each stream's buffers are copied (their memory shared) off a pad probe into an appsrc, whose own
 * thread feeds the muxer: the session's threads never wait for the disk, and a recording that
 * stops (a full disk, a stuck file system) drops what its bounded queue cannot hold. Timestamps are
 * the pipeline's running time, one clock for every stream of the file; the muxer starts the file at
 * zero. The recorder opens the file itself (a failure is then no element's failed state change,
 * which would upset the pipeline's), and its elements stay out of the pipeline's state changes
 * until rtfx_recorder_start. */
#include "recorder.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <unistd.h>

/* What one stream may queue while the file cannot keep up: about 25 s of video at the highest
 * --max-bitrate default. */
#define QUEUE_BYTES (8 * 1024 * 1024)

/* A track that has had nothing this long after the file's first frame is ended, so that the muxer,
 * which waits for every track, writes the others: a page that offers a microphone it does not have,
 * say. */
#define SILENT_TRACK_LIMIT (2 * GST_SECOND)

typedef enum
{
  STATE_NEW,                    /* built, not started */
  STATE_WRITING,
  STATE_ENDING,                 /* end of stream sent, the file not yet closed */
  STATE_READY,                  /* closed with frames in it */
  STATE_EMPTY,                  /* closed with nothing written: removed */
  STATE_FAILED,
} State;

/* Formats that need a parser before the muxer: a stream-format it takes (H.264 byte-stream from an
 * encoder, avc for Matroska). */
static const struct
{
  const gchar *media;
  const gchar *parser;
} parsers[] = {
  {"video/x-h264", "h264parse"},
};

typedef struct
{
  RtfxRecorder *recorder;
  GstElement *src;              /* the appsrc */
  gboolean started;             /* its first keyframe went in (the tapped pad's thread only) */
  gboolean pushed;              /* under the recorder's lock: a buffer went in */
  gboolean given_up;            /* under the recorder's lock: ended for its silence */
} Stream;

struct _RtfxRecorder
{
  GstBin *pipeline;             /* not owned: it outlives the recording's use of it */
  gchar *dir;
  gchar *name;                  /* of the file, from the first stream */
  gchar *direction;
  gchar *stem;                  /* NAME-DIRECTION */
  gchar *path;
  const gchar *content_type;
  const gchar *mux_factory;
  GstElement *mux;
  GstElement *sink;
  gint fd;                      /* the file's, from rtfx_recorder_start to close; else -1 */
  GPtrArray *elements;          /* in the pipeline, downstream first */
  GPtrArray *streams;           /* Stream */

  GMutex lock;                  /* guards what follows, shared with the streaming threads */
  GCond cond;
  State state;
  gboolean wrote;               /* a buffer went in */
  GstClockTime first_time;      /* the running time of the first: the file's 0 */
  gboolean ended;               /* the end of stream reached the file */
};

RtfxRecorder *
rtfx_recorder_new (GstElement * pipeline, const gchar * dir,
    const gchar * name, const gchar * direction)
{
  RtfxRecorder *r = g_atomic_rc_box_new0 (RtfxRecorder);

  r->pipeline = GST_BIN (pipeline);
  r->dir = g_strdup (dir);
  r->direction = g_strdup (direction);
  r->stem = g_strdup_printf ("%s-%s", name, direction);
  r->elements = g_ptr_array_new_with_free_func (gst_object_unref);
  r->streams = g_ptr_array_new_with_free_func (g_free);
  r->fd = -1;
  r->first_time = GST_CLOCK_TIME_NONE;
  g_mutex_init (&r->lock);
  g_cond_init (&r->cond);
  return r;
}

RtfxRecorder *
rtfx_recorder_ref (RtfxRecorder * r)
{
  return g_atomic_rc_box_acquire (r);
}

static void
recorder_free (RtfxRecorder * r)
{
  g_ptr_array_unref (r->streams);
  g_ptr_array_unref (r->elements);
  gst_clear_object (&r->mux);
  gst_clear_object (&r->sink);
  g_mutex_clear (&r->lock);
  g_cond_clear (&r->cond);
  g_free (r->dir);
  g_free (r->name);
  g_free (r->direction);
  g_free (r->stem);
  g_free (r->path);
}

void
rtfx_recorder_unref (RtfxRecorder * r)
{
  g_atomic_rc_box_release_full (r, (GDestroyNotify) recorder_free);
}

/* --- building ---------------------------------------------------------------------------- */

/* The muxer's request pad template for media: its kind of track. */
static const gchar *
track_template (const gchar * media)
{
  return g_str_has_prefix (media, "video/") ? "video_%u" : "audio_%u";
}

/* Whether factory's template takes media. */
static gboolean
takes (const gchar * factory, const gchar * media)
{
  g_autoptr (GstElementFactory) f = gst_element_factory_find (factory);
  g_autoptr (GstCaps) caps = gst_caps_from_string (media);
  const gchar *name = track_template (media);

  if (f == NULL || caps == NULL)
    return FALSE;
  for (const GList * t = gst_element_factory_get_static_pad_templates (f); t;
      t = t->next) {
    GstStaticPadTemplate *templ = t->data;
    g_autoptr (GstCaps) accepted = NULL;

    if (!g_str_equal (templ->name_template, name))
      continue;
    accepted = gst_static_caps_get (&templ->static_caps);
    return gst_caps_can_intersect (caps, accepted);
  }
  return FALSE;
}

/* Adds element to the pipeline, kept out of its state changes until rtfx_recorder_start. */
static void
add_element (RtfxRecorder * r, GstElement * element)
{
  gst_element_set_locked_state (element, TRUE);
  gst_bin_add (r->pipeline, element);
  g_ptr_array_add (r->elements, gst_object_ref (element));
}

static GstPadProbeReturn
note_end (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  RtfxRecorder *r = data;

  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_EOS) {
    g_mutex_lock (&r->lock);
    r->ended = TRUE;
    g_cond_broadcast (&r->cond);
    g_mutex_unlock (&r->lock);
  }
  return GST_PAD_PROBE_OK;
}

/* The muxer for media's container and the file it writes. */
static gboolean
make_file (RtfxRecorder * r, const gchar * media, GError ** error)
{
  const gboolean webm = takes ("webmmux", media);
  g_autoptr (GstPad) sink_pad = NULL;

  r->name = g_strconcat (r->stem, webm ? ".webm" : ".mkv", NULL);
  r->path = g_build_filename (r->dir, r->name, NULL);
  r->content_type = webm ? "video/webm" : "video/x-matroska";
  r->mux_factory = webm ? "webmmux" : "matroskamux";
  r->mux = gst_element_factory_make (r->mux_factory, NULL);
  r->sink = gst_element_factory_make ("fdsink", NULL);
  if (r->mux == NULL || r->sink == NULL) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "recording needs the GStreamer elements '%s' (Debian package "
        "gstreamer1.0-plugins-good) and 'fdsink'", r->mux_factory);
    return FALSE;
  }
  gst_object_ref_sink (r->mux);
  gst_object_ref_sink (r->sink);
  /* fdsink writes every buffer as it comes (no buffering of its own): a full disk fails the write
   * that does not fit, and what the muxer wrote before its end of stream is in the file when the
   * end reaches it. */
  g_object_set (r->sink, "sync", FALSE, "async", FALSE, NULL);
  g_object_set (r->mux, "offset-to-zero", TRUE, NULL);
  add_element (r, r->sink);
  add_element (r, r->mux);
  gst_element_link (r->mux, r->sink);
  sink_pad = gst_element_get_static_pad (r->sink, "sink");
  gst_pad_add_probe (sink_pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, note_end,
      rtfx_recorder_ref (r), (GDestroyNotify) rtfx_recorder_unref);
  return TRUE;
}

static const gchar *
parser_for (const gchar * media)
{
  for (guint i = 0; i < G_N_ELEMENTS (parsers); i++)
    if (g_str_equal (parsers[i].media, media))
      return parsers[i].parser;
  return NULL;
}

gint
rtfx_recorder_add_stream (RtfxRecorder * r, const gchar * media,
    GError ** error)
{
  const gchar *parser_name = parser_for (media);
  GstElement *src, *parser = NULL, *last;
  g_autoptr (GstPad) last_src = NULL;
  g_autoptr (GstPad) track = NULL;
  Stream *stream;

  if (r->mux == NULL && !make_file (r, media, error))
    return -1;
  track = gst_element_request_pad_simple (r->mux, track_template (media));
  if (track == NULL || !takes (r->mux_factory, media)) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
        "the recording %s cannot take %s", r->name, media);
    if (track != NULL)
      gst_element_release_request_pad (r->mux, track);
    return -1;
  }
  src = gst_element_factory_make ("appsrc", NULL);
  g_object_set (src, "format", GST_FORMAT_TIME, "is-live", TRUE, "max-bytes",
      (guint64) QUEUE_BYTES, NULL);
  gst_util_set_object_arg (G_OBJECT (src), "leaky-type", "upstream");
  if (parser_name != NULL)
    parser = gst_element_factory_make (parser_name, NULL);
  if (parser != NULL)
    add_element (r, parser);
  add_element (r, src);
  last = src;
  if (parser != NULL) {
    gst_element_link (src, parser);
    last = parser;
  }
  last_src = gst_element_get_static_pad (last, "src");
  gst_pad_link (last_src, track);

  stream = g_new0 (Stream, 1);
  stream->recorder = r;
  stream->src = src;
  g_ptr_array_add (r->streams, stream);
  return (gint) r->streams->len - 1;
}

/* --- writing ----------------------------------------------------------------------------- */

/* A copy of buffer (its memory shared) stamped with its running time on pad; NULL without one. */
static GstBuffer *
at_running_time (GstPad * pad, GstBuffer * buffer)
{
  g_autoptr (GstEvent) event = gst_pad_get_sticky_event (pad,
      GST_EVENT_SEGMENT, 0);
  const GstSegment *segment = NULL;
  GstClockTime time;
  GstBuffer *copy;

  if (event == NULL)
    return NULL;
  gst_event_parse_segment (event, &segment);
  time = gst_segment_to_running_time (segment, GST_FORMAT_TIME,
      GST_BUFFER_PTS (buffer));
  if (!GST_CLOCK_TIME_IS_VALID (time))
    return NULL;
  copy = gst_buffer_copy (buffer);
  GST_BUFFER_PTS (copy) = GST_BUFFER_DTS (copy) = time;
  return copy;
}

/* rtpopusdepay's caps have no rate, which the muxers need: Opus over RTP is always 48 kHz
 * (RFC 7587). */
static GstCaps *
with_opus_rate (GstCaps * caps)
{
  GstStructure *s = gst_caps_get_structure (caps, 0);

  if (!gst_structure_has_name (s, "audio/x-opus") ||
      gst_structure_has_field (s, "rate"))
    return caps;
  caps = gst_caps_make_writable (caps);
  gst_caps_set_simple (caps, "rate", G_TYPE_INT, 48000, NULL);
  return caps;
}

/* Under the lock, once the file has gone on for SILENT_TRACK_LIMIT: ends the tracks that had nothing. */
static void
give_up_silent_streams (RtfxRecorder * r)
{
  for (guint i = 0; i < r->streams->len; i++) {
    Stream *stream = g_ptr_array_index (r->streams, i);
    GstFlowReturn ret;

    if (stream->pushed || stream->given_up)
      continue;
    stream->given_up = TRUE;
    g_signal_emit_by_name (stream->src, "end-of-stream", &ret);
  }
}

/* On the tapped pad's thread. A stream starts at a keyframe, with the caps the pad has then (later
 * changes go no further: a Matroska track's format is fixed, and VP8 and H.264 frames carry their
 * own size). */
static GstPadProbeReturn
tap_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Stream *stream = data;
  RtfxRecorder *r = stream->recorder;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  GstBuffer *copy;
  GstFlowReturn ret;
  gboolean writing;

  g_mutex_lock (&r->lock);
  writing = r->state == STATE_WRITING;
  g_mutex_unlock (&r->lock);
  if (!writing)
    return GST_PAD_PROBE_OK;
  if (!stream->started) {
    g_autoptr (GstCaps) caps = NULL;

    if (GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT))
      return GST_PAD_PROBE_OK;
    caps = gst_pad_get_current_caps (pad);
    if (caps == NULL)
      return GST_PAD_PROBE_OK;
    caps = with_opus_rate (caps);
    g_object_set (stream->src, "caps", caps, NULL);
    stream->started = TRUE;
  }
  copy = at_running_time (pad, buffer);
  if (copy == NULL)
    return GST_PAD_PROBE_OK;
  /* Under the lock rtfx_recorder_end takes, so that every buffer goes in before the end of stream
   * (appsrc only queues it). */
  g_mutex_lock (&r->lock);
  if (!GST_CLOCK_TIME_IS_VALID (r->first_time))
    r->first_time = GST_BUFFER_PTS (copy);
  /* The file starts at its first frame, however long the session took to connect. Another
   * stream's first frames may be a little older: they start at 0 too, not dropped (a keyframe
   * must go in). */
  if (r->state == STATE_WRITING && !stream->given_up) {
    if (GST_BUFFER_PTS (copy) > r->first_time + SILENT_TRACK_LIMIT)
      give_up_silent_streams (r);
    GST_BUFFER_PTS (copy) = GST_BUFFER_DTS (copy) =
        GST_BUFFER_PTS (copy) > r->first_time ?
        GST_BUFFER_PTS (copy) - r->first_time : 0;
    r->wrote = stream->pushed = TRUE;
    g_signal_emit_by_name (stream->src, "push-buffer", copy, &ret);
  }
  g_mutex_unlock (&r->lock);
  gst_buffer_unref (copy);
  return GST_PAD_PROBE_OK;
}

/* The stream is the recorder's: its probe keeps the recorder. */
static void
release_stream (gpointer data)
{
  Stream *stream = data;

  rtfx_recorder_unref (stream->recorder);
}

void
rtfx_recorder_tap (RtfxRecorder * r, guint stream, GstPad * pad)
{
  g_return_if_fail (stream < r->streams->len);
  rtfx_recorder_ref (r);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, tap_buffer,
      g_ptr_array_index (r->streams, stream), release_stream);
}

gboolean
rtfx_recorder_start (RtfxRecorder * r, GError ** error)
{
  gboolean started = TRUE;
  gint saved;

  if (r->mux == NULL)
    return TRUE;
  /* A new file: never one that is there already. */
  r->fd = g_open (r->path, O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (r->fd < 0) {
    saved = errno;
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
        "cannot create %s: %s", r->path, g_strerror (saved));
    return FALSE;
  }
  g_object_set (r->sink, "fd", r->fd, NULL);
  g_mutex_lock (&r->lock);
  r->state = STATE_WRITING;
  g_mutex_unlock (&r->lock);
  for (guint i = 0; i < r->elements->len && started; i++) {
    GstElement *element = g_ptr_array_index (r->elements, i);

    gst_element_set_locked_state (element, FALSE);
    started = gst_element_sync_state_with_parent (element);
  }
  if (!started)
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_STATE_CHANGE,
        "the recording %s cannot start", r->path);
  return started;
}

/* Once its sink has stopped. */
static void
close_file (RtfxRecorder * r)
{
  if (r->fd >= 0)
    close (r->fd);
  r->fd = -1;
}

gboolean
rtfx_recorder_owns (RtfxRecorder * r, GstObject * object)
{
  for (guint i = 0; i < r->elements->len; i++) {
    GstObject *element = g_ptr_array_index (r->elements, i);

    if (object == element || gst_object_has_as_ancestor (object, element))
      return TRUE;
  }
  return FALSE;
}

gboolean
rtfx_recorder_fail (RtfxRecorder * r)
{
  gboolean first;

  g_mutex_lock (&r->lock);
  first = r->state != STATE_FAILED;
  r->state = STATE_FAILED;
  g_mutex_unlock (&r->lock);
  if (!first)
    return FALSE;
  /* The muxer before its sources: it lets go of a source's thread that waits for another track. */
  for (guint i = 0; i < r->elements->len; i++) {
    GstElement *element = g_ptr_array_index (r->elements, i);

    gst_element_set_locked_state (element, TRUE);
    gst_element_set_state (element, GST_STATE_NULL);
    gst_bin_remove (r->pipeline, element);
  }
  close_file (r);
  return TRUE;
}

/* --- ending ------------------------------------------------------------------------------ */

void
rtfx_recorder_end (RtfxRecorder * r)
{
  gboolean wrote;

  g_mutex_lock (&r->lock);
  if (r->state != STATE_WRITING) {
    g_mutex_unlock (&r->lock);
    return;
  }
  r->state = STATE_ENDING;
  wrote = r->wrote;
  g_mutex_unlock (&r->lock);
  /* A muxer with no data would have no track to write: there is no file to finish. */
  if (!wrote)
    return;
  for (guint i = 0; i < r->streams->len; i++) {
    Stream *stream = g_ptr_array_index (r->streams, i);
    GstFlowReturn ret;

    /* given_up is only set while WRITING, under the lock: no longer. */
    if (!stream->given_up)
      g_signal_emit_by_name (stream->src, "end-of-stream", &ret);
  }
}

gboolean
rtfx_recorder_wait (RtfxRecorder * r, gint64 deadline)
{
  gboolean done;

  g_mutex_lock (&r->lock);
  while (r->state == STATE_ENDING && r->wrote && !r->ended &&
      g_cond_wait_until (&r->cond, &r->lock, deadline));
  done = r->state != STATE_ENDING || !r->wrote || r->ended;
  g_mutex_unlock (&r->lock);
  return done;
}

void
rtfx_recorder_close (RtfxRecorder * r)
{
  gboolean empty = FALSE;

  g_mutex_lock (&r->lock);
  if (r->state != STATE_FAILED) {
    empty = !r->wrote;
    r->state = empty ? STATE_EMPTY : STATE_READY;
  }
  g_mutex_unlock (&r->lock);
  close_file (r);
  if (empty && r->path != NULL)
    g_unlink (r->path);
  /* The pipeline is stopped: nothing is pushed or asked of the elements any more, and a download
   * link keeps the recording for a while without them. */
  g_ptr_array_set_size (r->elements, 0);
  gst_clear_object (&r->mux);
  gst_clear_object (&r->sink);
}

RtfxRecordingState
rtfx_recorder_state (RtfxRecorder * r)
{
  RtfxRecordingState state = RTFX_RECORDING_WRITING;

  g_mutex_lock (&r->lock);
  if (r->state == STATE_READY)
    state = RTFX_RECORDING_READY;
  else if (r->state == STATE_EMPTY || r->state == STATE_FAILED)
    state = RTFX_RECORDING_NONE;
  g_mutex_unlock (&r->lock);
  return state;
}

const gchar *
rtfx_recorder_direction (RtfxRecorder * r)
{
  return r->direction;
}

const gchar *
rtfx_recorder_path (RtfxRecorder * r)
{
  return r->path;
}

const gchar *
rtfx_recorder_name (RtfxRecorder * r)
{
  return r->name;
}

const gchar *
rtfx_recorder_content_type (RtfxRecorder * r)
{
  return r->content_type;
}
