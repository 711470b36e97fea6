/* The page's texts (web/texts.json) replaced by a deployment's file (--page-texts FILE.json):
 * read and checked at start-up, laid over the built-in table when the page asks for it. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The file's table: a JSON object of strings. NULL and a one-line error naming the file and what is
 * wrong with it. */
JsonObject *rtfx_page_texts_load (const gchar * path, GError ** error);

/* builtin (the page's texts.json) with every member of replacements put over it, as JSON text. A
 * key replacements has and builtin lacks is kept, and named in *unknown (NULL-terminated, or NULL
 * when there is none). NULL when builtin is not a JSON object. */
GBytes *rtfx_page_texts_merge (GBytes * builtin, JsonObject * replacements,
    gchar *** unknown);

G_END_DECLS
