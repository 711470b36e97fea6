/* Shared by the `make bench` programs. */
#include "benchlib.h"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <stdlib.h>
#include <sys/resource.h>

#define WAIT_LIMIT (300 * GST_SECOND)

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

gdouble
bench_run_chain (const char *chain, GPtrArray * frames, guint n, GstCaps * caps,
    GstBusSyncHandler handler, gpointer data)
{
  g_autofree gchar *desc = g_strdup_printf ("appsrc name=src format=time ! %s ! "
      "fakesink sync=false", chain);
  GError *err = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &err);
  GstElement *src;
  GstBus *bus;
  gdouble start;
  gboolean ok;

  if (pipeline == NULL) {
    g_printerr ("error: %s: %s\n", chain, err->message);
    exit (1);
  }
  bus = gst_element_get_bus (pipeline);
  if (handler != NULL)
    gst_bus_set_sync_handler (bus, handler, data, NULL);
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  g_object_set (src, "caps", caps, "max-bytes", (guint64) 0, "block", FALSE,
      NULL);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  start = cpu_seconds ();
  for (guint i = 0; i < n; i++) {
    /* A new buffer on the same memory, with timestamps, so messages carry real times. */
    GstBuffer *buf = gst_buffer_copy (g_ptr_array_index (frames, i));

    GST_BUFFER_PTS (buf) = gst_util_uint64_scale (i, GST_SECOND, 25);
    GST_BUFFER_DURATION (buf) = GST_SECOND / 25;
    gst_app_src_push_buffer (GST_APP_SRC (src), buf);
  }
  gst_app_src_end_of_stream (GST_APP_SRC (src));
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
