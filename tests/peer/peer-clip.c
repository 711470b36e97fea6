/* peer-clip: see peer-clip.h. The file is demuxed and parsed once, before the session starts. */
#include "peer-clip.h"

#include <gst/app/gstappsink.h>

#define READ_PIPELINE \
  "filesrc name=file ! parsebin ! appsink name=sink caps=video/x-vp8 sync=false"
#define PULL_TIMEOUT (100 * GST_MSECOND)
#define READ_LIMIT_US (30 * G_USEC_PER_SEC)     /* a few seconds of video, from a local file */

void
peer_clip_free (PeerClip * clip)
{
  gst_clear_caps (&clip->caps);
  g_ptr_array_unref (clip->frames);
  g_free (clip);
}

/* The pipeline's error, if it posted one. */
static gboolean
read_failed (GstElement * pipeline, GError ** error)
{
  g_autoptr (GstBus) bus = gst_pipeline_get_bus (GST_PIPELINE (pipeline));
  g_autoptr (GstMessage) msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  g_autoptr (GError) cause = NULL;

  if (msg == NULL)
    return FALSE;
  gst_message_parse_error (msg, &cause, NULL);
  g_set_error (error, cause->domain, cause->code, "%s", cause->message);
  return TRUE;
}

static gboolean
read_frames (GstElement * pipeline, PeerClip * clip, GError ** error)
{
  g_autoptr (GstElement) sink = gst_bin_get_by_name (GST_BIN (pipeline),
      "sink");
  const gint64 deadline = g_get_monotonic_time () + READ_LIMIT_US;

  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    if (!read_failed (pipeline, error))
      g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_STATE_CHANGE,
          "cannot start reading");
    return FALSE;
  }
  while (!gst_app_sink_is_eos (GST_APP_SINK (sink))) {
    g_autoptr (GstSample) sample =
        gst_app_sink_try_pull_sample (GST_APP_SINK (sink), PULL_TIMEOUT);

    if (sample != NULL) {
      if (clip->caps == NULL)
        clip->caps = gst_caps_copy (gst_sample_get_caps (sample));
      g_ptr_array_add (clip->frames,
          gst_buffer_ref (gst_sample_get_buffer (sample)));
    } else if (read_failed (pipeline, error)) {
      return FALSE;
    } else if (g_get_monotonic_time () > deadline) {
      g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_FAILED,
          "still reading after %d s", (gint) (READ_LIMIT_US / G_USEC_PER_SEC));
      return FALSE;
    }
  }
  return TRUE;
}

PeerClip *
peer_clip_load (const gchar * path, GError ** error)
{
  g_autoptr (GstElement) pipeline = gst_parse_launch (READ_PIPELINE, error);
  g_autoptr (GstElement) file = NULL;
  g_autoptr (PeerClip) clip = g_new0 (PeerClip, 1);
  gboolean read;

  clip->frames = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  if (pipeline == NULL)
    return NULL;
  file = gst_bin_get_by_name (GST_BIN (pipeline), "file");
  g_object_set (file, "location", path, NULL);
  read = read_frames (pipeline, clip, error);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  if (!read) {
    g_prefix_error (error, "cannot read the clip %s: ", path);
    return NULL;
  }
  if (clip->frames->len == 0 || GST_BUFFER_FLAG_IS_SET (g_ptr_array_index
          (clip->frames, 0), GST_BUFFER_FLAG_DELTA_UNIT)) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
        "the clip %s %s", path, clip->frames->len == 0 ?
        "has no VP8 frame" : "does not start with a keyframe");
    return NULL;
  }
  return g_steal_pointer (&clip);
}
