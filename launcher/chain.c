/* The same description builds a fresh bin for every session; main() builds one at start-up only to
 * check it, so a bad chain fails there rather than when the first browser arrives. */
#include "chain.h"

#include <string.h>

#define NAME_KEY "rtfx-chain-name"

/* The element linked downstream of element inside chain, or NULL. */
static GstElement *
next_in_chain (GstElement * chain, GstElement * element)
{
  g_autoptr (GstPad) src = gst_element_get_static_pad (element, "src");
  g_autoptr (GstPad) peer = src ? gst_pad_get_peer (src) : NULL;
  GstElement *next = peer ? gst_pad_get_parent_element (peer) : NULL;

  if (next != NULL) {
    gst_object_unref (next);    /* the chain holds it */
    if (GST_OBJECT_PARENT (next) != GST_OBJECT (chain))
      next = NULL;
  }
  return next;
}

static void
add_child (const GValue * item, gpointer data)
{
  GPtrArray *elements = data;
  GstElement *element = g_value_get_object (item);

  if (!g_ptr_array_find (elements, element, NULL))
    g_ptr_array_add (elements, element);
}

GPtrArray *
rtfx_chain_elements (GstElement * chain)
{
  GPtrArray *elements = g_ptr_array_new ();
  g_autoptr (GstPad) sink = gst_element_get_static_pad (chain, "sink");
  g_autoptr (GstPad) target = sink ?
      gst_ghost_pad_get_target (GST_GHOST_PAD (sink)) : NULL;
  GstElement *element = target ? GST_ELEMENT (GST_OBJECT_PARENT (target)) : NULL;
  GstIterator *it;

  /* Follow the links from the input; then whatever is not on that path (a branch), in bin order. */
  for (; element != NULL && !g_ptr_array_find (elements, element, NULL);
      element = next_in_chain (chain, element))
    g_ptr_array_add (elements, element);
  it = gst_bin_iterate_elements (GST_BIN (chain));
  while (gst_iterator_foreach (it, add_child, elements) == GST_ITERATOR_RESYNC)
    gst_iterator_resync (it);
  gst_iterator_free (it);
  return elements;
}

const gchar *
rtfx_chain_element_name (GstElement * element)
{
  const gchar *name = g_object_get_data (G_OBJECT (element), NAME_KEY);

  return name ? name : GST_ELEMENT_NAME (element);
}

/* gst_parse names elements it was not given a name for "<factory><global counter>", which differs
 * between sessions; give those a name that does not. */
static void
name_elements (GstElement * chain)
{
  g_autoptr (GPtrArray) elements = rtfx_chain_elements (chain);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < elements->len; i++) {
    GstElement *element = g_ptr_array_index (elements, i);
    GstElementFactory *factory = gst_element_get_factory (element);
    const gchar *kind = factory ? GST_OBJECT_NAME (factory) : NULL;
    const gchar *name = GST_ELEMENT_NAME (element);
    gsize n = kind ? strlen (kind) : 0;
    guint count;

    if (kind == NULL || strncmp (name, kind, n) != 0 || name[n] == '\0' ||
        strspn (name + n, "0123456789") != strlen (name + n))
      continue;                 /* named in the description */
    count = GPOINTER_TO_UINT (g_hash_table_lookup (seen, kind)) + 1;
    g_hash_table_insert (seen, (gpointer) kind, GUINT_TO_POINTER (count));
    g_object_set_data_full (G_OBJECT (element), NAME_KEY, count == 1 ?
        g_strdup (kind) : g_strdup_printf ("%s-%u", kind, count), g_free);
  }
}

GstElement *
rtfx_bin_parse (const gchar * desc, gboolean ghost, const gchar * what,
    const gchar * shown, GError ** error)
{
  GstElement *bin;
  GError *parse_error = NULL;

  /* Fatal errors: without the flag a wrong property or a missing element only warns. */
  bin = gst_parse_bin_from_description_full (desc, ghost, NULL,
      GST_PARSE_FLAG_FATAL_ERRORS | GST_PARSE_FLAG_PLACE_IN_BIN, &parse_error);
  if (bin != NULL)
    gst_object_ref_sink (bin);
  if (bin == NULL || parse_error != NULL) {
    g_set_error (error, GST_PARSE_ERROR, parse_error ? parse_error->code : 0,
        "invalid %s '%s': %s", what, shown,
        parse_error ? parse_error->message : "cannot be built");
    g_clear_error (&parse_error);
    gst_clear_object (&bin);
  }
  return bin;
}

GstElement *
rtfx_filter_build (const gchar * desc, const gchar * what, const gchar * media,
    const gchar * example, GError ** error)
{
  g_autoptr (GstElement) bin = rtfx_bin_parse (desc, TRUE, what, desc, error);
  g_autoptr (GstPad) sink = NULL;
  g_autoptr (GstPad) src = NULL;

  if (bin == NULL)
    return NULL;
  sink = gst_element_get_static_pad (bin, "sink");
  src = gst_element_get_static_pad (bin, "src");
  if (sink == NULL || src == NULL) {
    g_set_error (error, GST_PARSE_ERROR, GST_PARSE_ERROR_LINK,
        "invalid %s '%s': it needs one unlinked %s input and one unlinked "
        "%s output, like '%s'", what, desc, media, media, example);
    return NULL;
  }
  return g_steal_pointer (&bin);
}

GstElement *
rtfx_chain_build (const gchar * desc, GError ** error)
{
  GstElement *bin = rtfx_filter_build (desc, "chain", "video",
      "rtfxlatest ! rtfxedges", error);

  if (bin != NULL)
    name_elements (bin);
  return bin;
}

static void
stop_element (GstElement * element, gpointer unused)
{
  gst_element_set_state (element, GST_STATE_NULL);
}

void
rtfx_element_stop_later (GstElement * element)
{
  gst_element_call_async (element, stop_element, NULL, NULL);
}

void
rtfx_chain_replace (GstElement * bin, GstElement * head, GstElement * old,
    GstElement * chain, GstElement * tail)
{
  gst_element_unlink_many (head, old, tail, NULL);
  gst_element_set_locked_state (old, TRUE);
  gst_bin_remove (GST_BIN (bin), old);
  gst_bin_add (GST_BIN (bin), chain);
  gst_element_link_many (head, chain, tail, NULL);
  gst_element_sync_state_with_parent (chain);
  rtfx_element_stop_later (old);
  gst_element_post_message (bin, gst_message_new_latency (GST_OBJECT (bin)));
}

gboolean
rtfx_chain_try_start (GstElement * chain, GError ** error)
{
  g_autoptr (GstBus) bus = gst_bus_new ();
  g_autoptr (GstMessage) msg = NULL;
  GstStateChangeReturn ret;

  gst_element_set_bus (chain, bus);
  ret = gst_element_set_state (chain, GST_STATE_READY);
  gst_element_set_state (chain, GST_STATE_NULL);
  gst_element_set_bus (chain, NULL);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  if (msg != NULL) {
    gst_message_parse_error (msg, error, NULL);
    return FALSE;
  }
  if (ret == GST_STATE_CHANGE_FAILURE) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_STATE_CHANGE,
        "its elements cannot start");
    return FALSE;
  }
  return TRUE;
}
