/* The same description builds a fresh bin for every session; main() builds one at start-up only to
 * check it, so a bad chain fails there rather than when the first browser arrives. */
#include "chain.h"

GstElement *
rtfx_chain_build (const gchar * desc, GError ** error)
{
  g_autoptr (GstElement) bin = NULL;
  g_autoptr (GstPad) sink = NULL;
  g_autoptr (GstPad) src = NULL;
  GError *parse_error = NULL;

  /* Fatal errors: without the flag a wrong property or a missing element only warns. */
  bin = gst_parse_bin_from_description_full (desc, TRUE, NULL,
      GST_PARSE_FLAG_FATAL_ERRORS | GST_PARSE_FLAG_PLACE_IN_BIN, &parse_error);
  if (bin != NULL)
    gst_object_ref_sink (bin);
  if (bin == NULL || parse_error != NULL) {
    g_set_error (error, GST_PARSE_ERROR, parse_error ? parse_error->code : 0,
        "invalid chain '%s': %s", desc,
        parse_error ? parse_error->message : "cannot be built");
    g_clear_error (&parse_error);
    return NULL;
  }
  sink = gst_element_get_static_pad (bin, "sink");
  src = gst_element_get_static_pad (bin, "src");
  if (sink == NULL || src == NULL) {
    g_set_error (error, GST_PARSE_ERROR, GST_PARSE_ERROR_LINK,
        "invalid chain '%s': it needs one unlinked video input and one unlinked "
        "video output, like 'rtfxlatest ! rtfxedges'", desc);
    return NULL;
  }
  return g_steal_pointer (&bin);
}
