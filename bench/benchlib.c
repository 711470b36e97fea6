/* Shared by the `make bench` programs. */
#include "benchlib.h"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/video/video.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define WAIT_LIMIT (300 * GST_SECOND)
#define FRAME_RATE 25

static gboolean
wait_for_eos (GstElement * pipeline)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, WAIT_LIMIT,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  gboolean ok = msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS;

  if (msg != NULL && !ok) {
    GError *err = NULL;
    gst_message_parse_error (msg, &err, NULL);
    g_printerr ("error: %s\n", err->message);
    g_error_free (err);
  } else if (msg == NULL) {
    g_printerr ("error: no EOS after %" GST_TIME_FORMAT "\n",
        GST_TIME_ARGS (WAIT_LIMIT));
  }
  gst_clear_message (&msg);
  gst_object_unref (bus);
  return ok;
}

GPtrArray *
bench_decode_frames (const char *input, guint count, gint width, gint height,
    GstCaps ** caps)
{
  g_autofree gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! decodebin ! "
      "videoconvert ! videoscale ! video/x-raw,format=I420,width=%d,height=%d ! "
      "appsink name=sink sync=false", input, width, height);
  GError *err = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &err);
  GPtrArray *frames = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_buffer_unref);
  GstElement *sink;

  if (pipeline == NULL) {
    g_printerr ("error: %s\n", err->message);
    exit (1);
  }
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  while (frames->len < count) {
    GstSample *sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink),
        WAIT_LIMIT);
    if (sample == NULL)
      break;
    if (*caps == NULL)
      *caps = gst_caps_ref (gst_sample_get_caps (sample));
    /* A deep copy, so no frame shares memory with the decoder's pool. */
    g_ptr_array_add (frames, gst_buffer_copy_deep (gst_sample_get_buffer (sample)));
    gst_sample_unref (sample);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  if (frames->len < count) {
    g_printerr ("error: %s gave %u frames, %u wanted\n", input, frames->len,
        count);
    exit (1);
  }
  return frames;
}

static gdouble
cpu_seconds (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
      (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* "appsrc name=src ! chain ! sink", its appsrc set up for frames; exits with a message when the
 * description does not parse. */
static GstElement *
chain_pipeline (const char *chain, const char *sink, GstCaps * caps,
    GstElement ** src)
{
  g_autofree gchar *desc = g_strdup_printf ("appsrc name=src format=time ! %s ! %s",
      chain, sink);
  GError *err = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &err);

  if (pipeline == NULL) {
    g_printerr ("error: %s: %s\n", chain, err->message);
    exit (1);
  }
  *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  g_object_set (*src, "caps", caps, "max-bytes", (guint64) 0, "block", FALSE,
      NULL);
  return pipeline;
}

/* The first n frames into src, then the end of stream. */
static void
push_frames (GstElement * src, GPtrArray * frames, guint n)
{
  for (guint i = 0; i < n; i++) {
    /* A new buffer on the same memory, with timestamps, so messages carry real times. */
    GstBuffer *buf = gst_buffer_copy (g_ptr_array_index (frames, i));

    GST_BUFFER_PTS (buf) = gst_util_uint64_scale (i, GST_SECOND, FRAME_RATE);
    GST_BUFFER_DURATION (buf) = GST_SECOND / FRAME_RATE;
    gst_app_src_push_buffer (GST_APP_SRC (src), buf);
  }
  gst_app_src_end_of_stream (GST_APP_SRC (src));
}

gdouble
bench_run_chain (const char *chain, GPtrArray * frames, guint n, GstCaps * caps,
    GstBusSyncHandler handler, gpointer data)
{
  GstElement *src;
  GstElement *pipeline = chain_pipeline (chain, "fakesink sync=false", caps,
      &src);
  GstBus *bus = gst_element_get_bus (pipeline);
  gdouble start;
  gboolean ok;

  if (handler != NULL)
    gst_bus_set_sync_handler (bus, handler, data, NULL);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  start = cpu_seconds ();
  push_frames (src, frames, n);
  ok = wait_for_eos (pipeline);
  start = cpu_seconds () - start;
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_bus_set_sync_handler (bus, NULL, NULL, NULL);
  gst_object_unref (bus);
  gst_object_unref (src);
  gst_object_unref (pipeline);
  if (!ok)
    exit (1);
  return start * 1000.0 / n;
}

/* The luma plane of an I420 sample, its rows packed (a frame's rows are padded to its stride). */
static GBytes *
packed_luma (GstSample * sample)
{
  GstVideoInfo info;
  GstVideoFrame frame;
  guint8 *luma;
  gint width, height;

  if (!gst_video_info_from_caps (&info, gst_sample_get_caps (sample)) ||
      !gst_video_frame_map (&frame, &info, gst_sample_get_buffer (sample),
          GST_MAP_READ))
    return NULL;
  width = GST_VIDEO_FRAME_COMP_WIDTH (&frame, 0);
  height = GST_VIDEO_FRAME_COMP_HEIGHT (&frame, 0);
  luma = g_malloc ((gsize) width * height);
  for (gint row = 0; row < height; row++)
    memcpy (luma + (gsize) row * width, (const guint8 *)
        GST_VIDEO_FRAME_COMP_DATA (&frame, 0) +
        (gsize) row * GST_VIDEO_FRAME_COMP_STRIDE (&frame, 0), width);
  gst_video_frame_unmap (&frame);
  return g_bytes_new_take (luma, (gsize) width * height);
}

GPtrArray *
bench_chain_lumas (const char *chain, GPtrArray * frames, guint n,
    GstCaps * caps)
{
  GstElement *src;
  GstElement *pipeline = chain_pipeline (chain,
      "video/x-raw,format=I420 ! appsink name=sink sync=false", caps, &src);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  GPtrArray *lumas = g_ptr_array_new_full (n, (GDestroyNotify) g_bytes_unref);
  GstSample *sample;
  gboolean ended;

  g_ptr_array_set_size (lumas, n);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  push_frames (src, frames, n);
  while ((sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink),
              WAIT_LIMIT)) != NULL) {
    guint64 index = gst_util_uint64_scale_round (GST_BUFFER_PTS
        (gst_sample_get_buffer (sample)), FRAME_RATE, GST_SECOND);

    if (index < n) {
      g_clear_pointer (&g_ptr_array_index (lumas, index), g_bytes_unref);
      g_ptr_array_index (lumas, index) = packed_luma (sample);
    }
    gst_sample_unref (sample);
  }
  ended = gst_app_sink_is_eos (GST_APP_SINK (sink)) || wait_for_eos (pipeline);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (src);
  gst_object_unref (pipeline);
  if (!ended)
    exit (1);
  return lumas;
}
