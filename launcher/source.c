/* A session's own instance of --source: built at start-up once only to check it, as chains are (a
 * bad description exits there), then once for each session and again for each loop of a file. */
#include "source.h"

#include "chain.h"

#define OUT_NAME "rtfx-source-out"

/* Whether element's kind has no input: no sink pad template at all. */
static gboolean
makes_video (GstElement * element)
{
  for (GList * t = gst_element_class_get_pad_template_list
      (GST_ELEMENT_GET_CLASS (element)); t != NULL; t = t->next)
    if (GST_PAD_TEMPLATE_DIRECTION (t->data) == GST_PAD_SINK)
      return FALSE;
  return TRUE;
}

/* Whether bin has an element that starts the video. Unlinked sink pads tell nothing: a decoder's
 * input waits for a pad yet to come (rtspsrc ! decodebin) as out's does. */
static gboolean
has_origin (GstElement * bin)
{
  GstIterator *it = gst_bin_iterate_elements (GST_BIN (bin));
  GValue item = G_VALUE_INIT;
  gboolean found = FALSE;

  while (!found && gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
    found = makes_video (g_value_get_object (&item));
    g_value_reset (&item);
  }
  g_value_unset (&item);
  gst_iterator_free (it);
  return found;
}

GstElement *
rtfx_source_build (const gchar * desc, GError ** error)
{
  /* A trailing videoconvert gives the bin a static output to ghost; gst_parse links a decoder's
   * pad to it when the pad appears, and an audio pad cannot link to it. */
  g_autofree gchar *full = g_strdup_printf ("%s ! videoconvert name="
      OUT_NAME, desc);
  g_autoptr (GstElement) bin = rtfx_bin_parse (full, FALSE, "source", desc,
      error);
  g_autoptr (GstElement) out = NULL;
  g_autoptr (GstPad) out_src = NULL;

  if (bin == NULL)
    return NULL;
  if (!has_origin (bin)) {
    g_set_error (error, GST_PARSE_ERROR, GST_PARSE_ERROR_LINK,
        "invalid source '%s': it needs an element that takes no input, like "
        "videotestsrc, uridecodebin, rtspsrc or v4l2src", desc);
    return NULL;
  }
  out = gst_bin_get_by_name (GST_BIN (bin), OUT_NAME);
  out_src = gst_element_get_static_pad (out, "src");
  gst_element_add_pad (bin, gst_ghost_pad_new ("src", out_src));
  return g_steal_pointer (&bin);
}
