/* One recording file of a session (--record-in, --record-out): encoded streams, as they pass where
 * the pipeline already has them (a depayloader's output, an encoder's), written without another
 * encode into a WebM file (VP8, Opus) or a Matroska one (H.264), apart from the session's data
 * path: a recording that fails or stalls never holds up the video. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct _RtfxRecorder RtfxRecorder;

/* A recording into DIR/NAME-DIRECTION.webm (or .mkv), its elements to be added to pipeline (which
 * must outlive the recording's use of it: until rtfx_recorder_close). No file until the first
 * stream is added, nothing written until rtfx_recorder_start. Main context, as all that follows
 * but tapping. */
RtfxRecorder *rtfx_recorder_new (GstElement * pipeline, const gchar * dir,
    const gchar * name, const gchar * direction);
RtfxRecorder *rtfx_recorder_ref (RtfxRecorder * recorder);
void rtfx_recorder_unref (RtfxRecorder * recorder);

/* Adds a track of media (a caps name: "video/x-vp8", "video/x-h264", "audio/x-opus"), its number
 * returned, or -1 and an error when the file cannot take it. Every stream is added before the
 * first buffer of any passes (a muxer fixes its tracks when it starts writing): at build time, or
 * in pad-added before that pad is linked. The first stream picks the container (WebM when it
 * takes that format, else Matroska): add the video first. */
gint rtfx_recorder_add_stream (RtfxRecorder * recorder, const gchar * media,
    GError ** error);

/* Writes what passes pad (an encoded stream's source pad) as stream number stream, from its first
 * keyframe on, with the caps it has then; any thread. A pad per stream. */
void rtfx_recorder_tap (RtfxRecorder * recorder, guint stream, GstPad * pad);

/* Creates the file and starts writing, once the pipeline plays (or with it); FALSE and why when
 * it cannot (then rtfx_recorder_fail). */
gboolean rtfx_recorder_start (RtfxRecorder * recorder, GError ** error);

/* Whether object (an element, a pad) is part of recorder: its errors are the recording's, not the
 * session's. */
gboolean rtfx_recorder_owns (RtfxRecorder * recorder, GstObject * object);

/* Gives up the recording after an error (a full disk): its elements leave the pipeline and the
 * session goes on. TRUE the first time, so that the page is told once. */
gboolean rtfx_recorder_fail (RtfxRecorder * recorder);

/* Ending, on the thread that stops the session while its pipeline still plays: end of stream
 * into every track, which the muxer finishes the file with (its duration and index); then wait
 * for it to reach the file, until deadline (monotonic time): FALSE if it did not. */
void rtfx_recorder_end (RtfxRecorder * recorder);
gboolean rtfx_recorder_wait (RtfxRecorder * recorder, gint64 deadline);

/* Once the pipeline is stopped (the file closed): the file may be downloaded, or, when nothing was
 * written, it is removed. */
void rtfx_recorder_close (RtfxRecorder * recorder);

/* What there is to download. */
typedef enum
{
  RTFX_RECORDING_WRITING,       /* not yet closed */
  RTFX_RECORDING_READY,         /* complete and closed (frames in it, no failure) */
  RTFX_RECORDING_NONE,          /* failed, or nothing was written */
} RtfxRecordingState;

RtfxRecordingState rtfx_recorder_state (RtfxRecorder * recorder);

/* "in" or "out", the file's path, its name (the path's last part), its MIME type. */
const gchar *rtfx_recorder_direction (RtfxRecorder * recorder);
const gchar *rtfx_recorder_path (RtfxRecorder * recorder);
const gchar *rtfx_recorder_name (RtfxRecorder * recorder);
const gchar *rtfx_recorder_content_type (RtfxRecorder * recorder);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtfxRecorder, rtfx_recorder_unref)

G_END_DECLS
