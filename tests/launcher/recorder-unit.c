/* Unit tests for launcher/recorder.c (docs/recording.md): an encoder's output tapped into a file that
 * a demuxer and a decoder read back to its last frame, with the duration of what was recorded; VP8
 * into WebM, H.264 into Matroska; a file that cannot be opened fails the recording once; a
 * recording with no frame leaves no file. Real GStreamer elements, no network. */
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <string.h>

#include "recorder.h"

#define FRAMES 60
#define FPS 30
#define AUDIO_FRAMES 100        /* of 20 ms: 2 s, as the video */
#define WAIT_US (5 * G_USEC_PER_SEC)

typedef struct
{
  GMutex lock;
  GCond cond;
  gboolean done;
} Flag;

static GstPadProbeReturn
raise_on_eos (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Flag *flag = data;

  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_EOS) {
    g_mutex_lock (&flag->lock);
    flag->done = TRUE;
    g_cond_broadcast (&flag->cond);
    g_mutex_unlock (&flag->lock);
  }
  return GST_PAD_PROBE_OK;
}

static void
wait_for (Flag * flag)
{
  const gint64 deadline = g_get_monotonic_time () + WAIT_US;

  g_mutex_lock (&flag->lock);
  while (!flag->done && g_cond_wait_until (&flag->cond, &flag->lock,
          deadline));
  g_assert_true (flag->done);
  g_mutex_unlock (&flag->lock);
}

/* FRAMES frames of "videotestsrc ! ENCODER ! fakesink", the first late (in running time, as when a
 * session takes that long to connect), ENCODER's output recorded as media into dir, with a track of
 * silent_media (or NULL) declared too and never fed; returns the recorder, closed. */
static RtfxRecorder *
record (const gchar * encoder, const gchar * media, const gchar * silent_media,
    GstClockTime late, const gchar * dir)
{
  g_autofree gchar *desc = g_strdup_printf ("videotestsrc num-buffers=%d "
      "pattern=ball timestamp-offset=%" G_GUINT64_FORMAT " ! "
      "video/x-raw,width=320,height=240,framerate=%d/1 ! %s "
      "name=encoder ! fakesink name=sink", FRAMES, late, FPS, encoder);
  g_autoptr (GstElement) pipeline = gst_parse_launch (desc, NULL);
  g_autoptr (GstElement) enc = gst_bin_get_by_name (GST_BIN (pipeline),
      "encoder");
  g_autoptr (GstElement) sink = gst_bin_get_by_name (GST_BIN (pipeline),
      "sink");
  g_autoptr (GstPad) encoded = gst_element_get_static_pad (enc, "src");
  g_autoptr (GstPad) sink_pad = gst_element_get_static_pad (sink, "sink");
  RtfxRecorder *r = rtfx_recorder_new (pipeline, dir, "test", "out");
  Flag flag = { 0 };
  gint stream;

  stream = rtfx_recorder_add_stream (r, media, NULL);
  g_assert_cmpint (stream, ==, 0);
  rtfx_recorder_tap (r, stream, encoded);
  if (silent_media != NULL)
    g_assert_cmpint (rtfx_recorder_add_stream (r, silent_media, NULL), ==, 1);
  gst_pad_add_probe (sink_pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      raise_on_eos, &flag, NULL);
  /* Started with the pipeline, not after (as sessions do, before any frame comes): this source's
   * first frame, the only keyframe, comes at once. */
  g_assert_true (rtfx_recorder_start (r, NULL));
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);
  wait_for (&flag);             /* every frame has passed the tap */
  rtfx_recorder_end (r);
  g_assert_true (rtfx_recorder_wait (r, g_get_monotonic_time () + WAIT_US));
  gst_element_set_state (pipeline, GST_STATE_NULL);
  rtfx_recorder_close (r);
  return r;
}

/* Buffers sink has rendered. */
static guint
rendered (GstElement * sink)
{
  GstStructure *stats = NULL;
  guint64 frames = 0;

  g_object_get (sink, "stats", &stats, NULL);
  gst_structure_get_uint64 (stats, "rendered", &frames);
  gst_structure_free (stats);
  return (guint) frames;
}

/* Frames decoded from file by "filesrc ! DEMUX ! DECODER ! fakesink", and the stream's duration. */
static guint
decode (const gchar * file, const gchar * decoder, GstClockTime * duration)
{
  g_autofree gchar *desc = g_strdup_printf ("filesrc location=%s ! "
      "matroskademux ! %s ! fakesink name=sink", file, decoder);
  g_autoptr (GstElement) pipeline = gst_parse_launch (desc, NULL);
  g_autoptr (GstElement) sink = gst_bin_get_by_name (GST_BIN (pipeline),
      "sink");
  g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);
  g_autoptr (GstMessage) msg = NULL;
  guint frames;
  gint64 length = -1;

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 10 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  g_assert_nonnull (msg);
  g_assert_cmpint (GST_MESSAGE_TYPE (msg), ==, GST_MESSAGE_EOS);
  g_assert_true (gst_element_query_duration (pipeline, GST_FORMAT_TIME,
          &length));
  frames = rendered (sink);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  *duration = (GstClockTime) length;
  return frames;
}

static void
check_file (const gchar * encoder, const gchar * media, const gchar * silent,
    GstClockTime late, const gchar * decoder, const gchar * suffix, const gchar * content_type)
{
  g_autofree gchar *dir = g_dir_make_tmp ("rtfx-recorder-XXXXXX", NULL);
  g_autofree gchar *factory = g_strndup (encoder, strcspn (encoder, " "));
  g_autoptr (RtfxRecorder) r = NULL;
  g_autofree gchar *expected = NULL;
  GstClockTime duration;
  guint frames;

  if (!gst_registry_check_feature_version (gst_registry_get (), factory, 1, 0,
          0)) {
    g_test_skip ("the encoder is not installed");
    return;
  }
  r = record (encoder, media, silent, late, dir);
  expected = g_strconcat ("test-out", suffix, NULL);
  g_assert_cmpstr (rtfx_recorder_name (r), ==, expected);
  g_assert_cmpstr (rtfx_recorder_content_type (r), ==, content_type);
  g_assert_cmpint (rtfx_recorder_state (r), ==, RTFX_RECORDING_READY);
  frames = decode (rtfx_recorder_path (r), decoder, &duration);
  g_test_message ("%s: %u frames, %" GST_TIME_FORMAT, rtfx_recorder_path (r),
      frames, GST_TIME_ARGS (duration));
  g_assert_cmpuint (frames, ==, FRAMES);
  /* The muxer wrote the duration at the end of stream: the frames', within one frame, from the
   * first (not from the session's start). */
  g_assert_cmpuint (duration, >=, (FRAMES - 1) * GST_SECOND / FPS);
  g_assert_cmpuint (duration, <=, (FRAMES + 1) * GST_SECOND / FPS);
  g_unlink (rtfx_recorder_path (r));
  g_rmdir (dir);
}

static void
test_vp8_webm (void)
{
  check_file ("vp8enc deadline=1", "video/x-vp8", NULL, 0, "vp8dec", ".webm",
      "video/webm");
}

/* The first frame 3 s into the session (a slow connection): the file lasts as long as its frames,
 * the wait before them not counted. */
static void
test_late_first_frame (void)
{
  check_file ("vp8enc deadline=1", "video/x-vp8", NULL, 3 * GST_SECOND,
      "vp8dec", ".webm", "video/webm");
}

/* A track declared (audio, say) that never comes: the muxer waits for it, and the end of stream
 * still writes the video out. */
static void
test_track_never_fed (void)
{
  check_file ("vp8enc deadline=1", "video/x-vp8", "audio/x-opus", 0, "vp8dec",
      ".webm", "video/webm");
}

static void
test_h264_matroska (void)
{
  check_file ("x264enc tune=zerolatency speed-preset=ultrafast", "video/x-h264",
      NULL, 0, "avdec_h264", ".mkv", "video/x-matroska");
}

/* Two tracks in one file, as a session with audio makes them: VP8 from an encoder and Opus as a
 * depayloader gives it (what --record-in taps), both read back to their last frame. */
static void
test_video_and_opus (void)
{
  g_autofree gchar *dir = g_dir_make_tmp ("rtfx-recorder-XXXXXX", NULL);
  g_autofree gchar *desc = g_strdup_printf ("videotestsrc num-buffers=%d "
      "! video/x-raw,width=320,height=240,framerate=%d/1 ! vp8enc deadline=1 "
      "name=venc ! fakesink name=vsink audiotestsrc num-buffers=%d "
      "samplesperbuffer=960 ! audio/x-raw,rate=48000,channels=2 ! opusenc ! "
      "rtpopuspay ! rtpopusdepay name=adepay ! fakesink name=asink", FRAMES,
      FPS, AUDIO_FRAMES);
  g_autoptr (GstElement) pipeline = gst_parse_launch (desc, NULL);
  g_autoptr (RtfxRecorder) r = rtfx_recorder_new (pipeline, dir, "test",
      "in");
  const gchar *taps[] = { "venc", "adepay" };
  const gchar *sinks[] = { "vsink", "asink" };
  const gchar *media[] = { "video/x-vp8", "audio/x-opus" };
  Flag flags[2] = { 0 };
  g_autofree gchar *check = NULL;
  g_autoptr (GstElement) reader = NULL;
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GstMessage) msg = NULL;

  for (guint i = 0; i < 2; i++) {
    g_autoptr (GstElement) tapped = gst_bin_get_by_name (GST_BIN (pipeline),
        taps[i]);
    g_autoptr (GstElement) sink = gst_bin_get_by_name (GST_BIN (pipeline),
        sinks[i]);
    g_autoptr (GstPad) src = gst_element_get_static_pad (tapped, "src");
    g_autoptr (GstPad) sink_pad = gst_element_get_static_pad (sink, "sink");

    g_assert_cmpint (rtfx_recorder_add_stream (r, media[i], NULL), ==, i);
    rtfx_recorder_tap (r, i, src);
    gst_pad_add_probe (sink_pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
        raise_on_eos, &flags[i], NULL);
  }
  g_assert_true (rtfx_recorder_start (r, NULL));
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  wait_for (&flags[0]);
  wait_for (&flags[1]);
  rtfx_recorder_end (r);
  g_assert_true (rtfx_recorder_wait (r, g_get_monotonic_time () + WAIT_US));
  gst_element_set_state (pipeline, GST_STATE_NULL);
  rtfx_recorder_close (r);
  g_assert_cmpstr (rtfx_recorder_name (r), ==, "test-in.webm");

  check = g_strdup_printf ("filesrc location=%s ! matroskademux name=d "
      "d.video_0 ! queue ! vp8dec ! fakesink name=v "
      "d.audio_0 ! queue ! opusdec ! fakesink name=a", rtfx_recorder_path (r));
  reader = gst_parse_launch (check, NULL);
  bus = gst_element_get_bus (reader);
  gst_element_set_state (reader, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 10 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  g_assert_nonnull (msg);
  g_assert_cmpint (GST_MESSAGE_TYPE (msg), ==, GST_MESSAGE_EOS);
  {
    g_autoptr (GstElement) v = gst_bin_get_by_name (GST_BIN (reader), "v");
    g_autoptr (GstElement) a = gst_bin_get_by_name (GST_BIN (reader), "a");

    g_test_message ("%s: %u video frames, %u audio frames",
        rtfx_recorder_path (r), rendered (v), rendered (a));
    g_assert_cmpuint (rendered (v), ==, FRAMES);
    /* opusenc flushes its look-ahead as one more frame at the end. */
    g_assert_cmpuint (rendered (a), >=, AUDIO_FRAMES);
    g_assert_cmpuint (rendered (a), <=, AUDIO_FRAMES + 1);
  }
  gst_element_set_state (reader, GST_STATE_NULL);
  g_unlink (rtfx_recorder_path (r));
  g_rmdir (dir);
}

/* A folder that is not there: the file cannot be opened, the recording fails (once), and the rest
 * of the pipeline plays on. */
static void
test_cannot_open (void)
{
  g_autoptr (GstElement) pipeline = gst_parse_launch ("videotestsrc "
      "is-live=true ! vp8enc deadline=1 name=encoder ! fakesink name=sink",
      NULL);
  g_autoptr (GstElement) sink = gst_bin_get_by_name (GST_BIN (pipeline),
      "sink");
  g_autoptr (RtfxRecorder) r = rtfx_recorder_new (pipeline,
      "/nonexistent/rtfx", "test", "in");
  g_autoptr (GError) error = NULL;
  guint before;

  g_assert_cmpint (rtfx_recorder_add_stream (r, "video/x-vp8", NULL), ==, 0);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);
  g_assert_false (rtfx_recorder_start (r, &error));
  g_test_message ("%s", error->message);
  g_assert_nonnull (g_strstr_len (error->message, -1, "/nonexistent/rtfx"));
  g_assert_true (rtfx_recorder_fail (r));
  g_assert_false (rtfx_recorder_fail (r));
  before = rendered (sink);
  g_usleep (G_USEC_PER_SEC / 2);
  g_assert_cmpuint (rendered (sink), >, before);
  rtfx_recorder_end (r);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  rtfx_recorder_close (r);
  g_assert_cmpint (rtfx_recorder_state (r), ==, RTFX_RECORDING_NONE);
}

/* Started, never fed: nothing to finish, no file left. */
static void
test_empty (void)
{
  g_autofree gchar *dir = g_dir_make_tmp ("rtfx-recorder-XXXXXX", NULL);
  g_autoptr (GstElement) pipeline = gst_pipeline_new (NULL);
  g_autoptr (RtfxRecorder) r = rtfx_recorder_new (pipeline, dir, "test",
      "in");

  g_assert_cmpint (rtfx_recorder_add_stream (r, "video/x-vp8", NULL), ==, 0);
  g_assert_cmpint (rtfx_recorder_add_stream (r, "audio/x-opus", NULL), ==, 1);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  g_assert_true (rtfx_recorder_start (r, NULL));
  g_assert_true (g_file_test (rtfx_recorder_path (r), G_FILE_TEST_EXISTS));
  rtfx_recorder_end (r);
  g_assert_true (rtfx_recorder_wait (r, g_get_monotonic_time ()));
  gst_element_set_state (pipeline, GST_STATE_NULL);
  rtfx_recorder_close (r);
  g_assert_cmpint (rtfx_recorder_state (r), ==, RTFX_RECORDING_NONE);
  g_assert_false (g_file_test (rtfx_recorder_path (r), G_FILE_TEST_EXISTS));
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

/* WebM takes VP8 and Opus, not H.264: a VP8 file refuses an H.264 track. */
static void
test_refuses_format (void)
{
  g_autoptr (GstElement) pipeline = gst_pipeline_new (NULL);
  g_autoptr (RtfxRecorder) r = rtfx_recorder_new (pipeline, "/tmp", "test",
      "in");
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (rtfx_recorder_add_stream (r, "video/x-vp8", NULL), ==, 0);
  g_assert_cmpint (rtfx_recorder_add_stream (r, "video/x-h264", &error), ==,
      -1);
  g_assert_nonnull (error);
  g_assert_nonnull (g_strstr_len (error->message, -1, "video/x-h264"));
  rtfx_recorder_close (r);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/recorder/vp8-webm", test_vp8_webm);
  g_test_add_func ("/recorder/late-first-frame", test_late_first_frame);
  g_test_add_func ("/recorder/h264-matroska", test_h264_matroska);
  g_test_add_func ("/recorder/track-never-fed", test_track_never_fed);
  g_test_add_func ("/recorder/video-and-opus", test_video_and_opus);
  g_test_add_func ("/recorder/cannot-open", test_cannot_open);
  g_test_add_func ("/recorder/empty", test_empty);
  g_test_add_func ("/recorder/refuses-format", test_refuses_format);
  return g_test_run ();
}
