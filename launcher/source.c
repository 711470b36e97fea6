/* A session's own instance of --source: built at start-up once only to check it, as chains are (a
 * bad description exits there), then once for each session and again for each loop of a file. */
#include "source.h"

#include "chain.h"

#define OUT_NAME "rtfx-source-out"

/* Stops at an unlinked pad, and says so in unlinked. */
static gboolean
find_unlinked (GstElement * element, GstPad * pad, gpointer unlinked)
{
  *(gboolean *) unlinked = !gst_pad_is_linked (pad);
  return !*(gboolean *) unlinked;
}

/* Whether an element but out waits for input (out's own waits for a pad yet to come). */
static gboolean
takes_input (GstElement * bin, GstElement * out)
{
  GstIterator *it = gst_bin_iterate_elements (GST_BIN (bin));
  GValue item = G_VALUE_INIT;
  gboolean found = FALSE;

  while (!found && gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
    GstElement *element = g_value_get_object (&item);

    if (element != out)
      gst_element_foreach_sink_pad (element, find_unlinked, &found);
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
  out = gst_bin_get_by_name (GST_BIN (bin), OUT_NAME);
  if (takes_input (bin, out)) {
    g_set_error (error, GST_PARSE_ERROR, GST_PARSE_ERROR_LINK,
        "invalid source '%s': it must take no input, like 'videotestsrc "
        "is-live=true' or 'uridecodebin uri=file:///…'", desc);
    return NULL;
  }
  out_src = gst_element_get_static_pad (out, "src");
  gst_element_add_pad (bin, gst_ghost_pad_new ("src", out_src));
  return g_steal_pointer (&bin);
}
