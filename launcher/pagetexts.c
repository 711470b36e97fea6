/* The page's texts replaced by a deployment's file: see pagetexts.h and docs/page-texts.md. */
#include "pagetexts.h"

#include <string.h>

#include "protocol.h"

G_DEFINE_QUARK (rtfx-page-texts-error-quark, rtfx_page_texts_error)

static JsonObject *
fail (GError ** error, const gchar * path, const gchar * what)
{
  g_set_error (error, rtfx_page_texts_error_quark (), 0, "--page-texts %s: %s",
      path, what);
  return NULL;
}

JsonObject *
rtfx_page_texts_load (const gchar * path, GError ** error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) parse_error = NULL;
  g_autoptr (GList) members = NULL;
  JsonNode *root;
  JsonObject *table;

  if (!json_parser_load_from_file (parser, path, &parse_error)) {
    /* json-glib's parse errors start with the file's name again, and some run over lines. */
    const gchar *what = parse_error->message;
    g_autofree gchar *one_line = NULL;

    if (g_str_has_prefix (what, path) && what[strlen (path)] == ':')
      what += strlen (path) + 1;
    one_line = g_strdelimit (g_strdup (what), "\n", ' ');
    return fail (error, path, one_line);
  }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return fail (error, path, "needs a JSON object of texts, such as "
        "{\"button.start\": \"Démarrer\"} (docs/page-texts.md)");
  table = json_node_get_object (root);
  members = json_object_get_members (table);
  for (GList * m = members; m != NULL; m = m->next) {
    JsonNode *value = json_object_get_member (table, m->data);

    if (!JSON_NODE_HOLDS_VALUE (value) ||
        json_node_get_value_type (value) != G_TYPE_STRING) {
      g_autofree gchar *what = g_strdup_printf ("the value of \"%s\" is not a "
          "string", (const gchar *) m->data);
      return fail (error, path, what);
    }
  }
  return json_object_ref (table);
}

GBytes *
rtfx_page_texts_merge (GBytes * builtin, JsonObject * replacements,
    gchar *** unknown)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GList) members = json_object_get_members (replacements);
  g_autoptr (GPtrArray) missing = g_ptr_array_new_with_free_func (g_free);
  JsonNode *root;
  JsonObject *table;
  gchar *text;

  *unknown = NULL;
  if (!json_parser_load_from_data (parser, g_bytes_get_data (builtin, NULL),
          g_bytes_get_size (builtin), NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  table = json_node_get_object (root);
  for (GList * m = members; m != NULL; m = m->next) {
    if (!json_object_has_member (table, m->data))
      g_ptr_array_add (missing, g_strdup (m->data));
    json_object_set_member (table, m->data,
        json_node_copy (json_object_get_member (replacements, m->data)));
  }
  if (missing->len > 0) {
    g_ptr_array_add (missing, NULL);
    *unknown = (gchar **) g_ptr_array_steal (missing, NULL);
  }
  text = rtfx_json_write (root);
  return g_bytes_new_take (text, strlen (text));
}
