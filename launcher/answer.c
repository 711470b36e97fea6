/* The answer as the browser gets it: see answer.h.
 *
 * Chromium starts the camera's stream at 300 kbit/s unless the answer says otherwise, and at that
 * rate its pacer spreads the first keyframe's packets over 15-20 ms and its first frame leaves
 * later (docs/performance.md, "First frame"). The server starts its own stream at --start-bitrate
 * and asks the browser to start there too; both then follow the feedback. */
#include "answer.h"

#include <string.h>

/* Payload formats that carry no picture of their own. */
static const gchar *const helpers[] = { "rtx", "red", "ulpfec", "flexfec-03",
  NULL
};

/* The value of media's attribute key that is for payload type pt ("PT rest"), and its index. */
static const gchar *
attribute_for (const GstSDPMedia * media, const gchar * key, const gchar * pt,
    guint * index)
{
  gsize len = strlen (pt);

  for (guint i = 0; i < gst_sdp_media_attributes_len (media); i++) {
    const GstSDPAttribute *a = gst_sdp_media_get_attribute (media, i);
    if (g_strcmp0 (a->key, key) == 0 && a->value != NULL &&
        strncmp (a->value, pt, len) == 0 && a->value[len] == ' ') {
      *index = i;
      return a->value + len + 1;
    }
  }
  return NULL;
}

static gboolean
is_picture_codec (const GstSDPMedia * media, const gchar * pt)
{
  guint index;
  const gchar *rtpmap = attribute_for (media, "rtpmap", pt, &index);
  g_autofree gchar *name = NULL;

  if (rtpmap == NULL)
    return FALSE;
  name = g_ascii_strdown (rtpmap, strcspn (rtpmap, "/"));
  return !g_strv_contains (helpers, name);
}

static void
ask_start_bitrate (GstSDPMedia * media, guint start_kbps)
{
  for (guint i = 0; i < gst_sdp_media_formats_len (media); i++) {
    const gchar *pt = gst_sdp_media_get_format (media, i);
    const gchar *fmtp;
    g_autofree gchar *value = NULL;
    guint index;

    if (!is_picture_codec (media, pt))
      continue;
    fmtp = attribute_for (media, "fmtp", pt, &index);
    if (fmtp == NULL) {
      value = g_strdup_printf ("%s x-google-start-bitrate=%u", pt, start_kbps);
      gst_sdp_media_add_attribute (media, "fmtp", value);
    } else if (strstr (fmtp, "x-google-start-bitrate") == NULL) {
      GstSDPAttribute replaced;

      value = g_strdup_printf ("%s %s;x-google-start-bitrate=%u", pt, fmtp,
          start_kbps);
      gst_sdp_attribute_set (&replaced, "fmtp", value);
      gst_sdp_media_replace_attribute (media, index, &replaced);
    }
  }
}

gchar *
rtfx_answer_text (const GstSDPMessage * answer, guint start_kbps)
{
  GstSDPMessage *copy;
  gchar *text;

  gst_sdp_message_copy (answer, &copy);
  for (guint m = 0; m < gst_sdp_message_medias_len (copy); m++) {
    /* The copy is ours: its media may be changed in place. */
    GstSDPMedia *media = (GstSDPMedia *) gst_sdp_message_get_media (copy, m);

    if (g_strcmp0 (gst_sdp_media_get_media (media), "video") == 0 &&
        gst_sdp_media_get_port (media) != 0)
      ask_start_bitrate (media, start_kbps);
  }
  text = gst_sdp_message_as_text (copy);
  gst_sdp_message_free (copy);
  return text;
}
