/* Download links of recordings: see downloads.h. The token is the only thing a link carries that
 * the server looks up; the file's path comes from the recorder, never from the URL. */
#include "downloads.h"

#include <gnutls/crypto.h>

#define TOKEN_BYTES 16

typedef struct
{
  GPtrArray *recorders;
  gint64 expires;               /* monotonic time; G_MAXINT64 while the session runs */
} Entry;

struct _RtfxDownloads
{
  GHashTable *entries;          /* token -> Entry */
};

static void
entry_free (Entry * entry)
{
  g_ptr_array_unref (entry->recorders);
  g_free (entry);
}

RtfxDownloads *
rtfx_downloads_new (void)
{
  RtfxDownloads *d = g_new0 (RtfxDownloads, 1);

  d->entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) entry_free);
  return d;
}

void
rtfx_downloads_free (RtfxDownloads * d)
{
  g_hash_table_destroy (d->entries);
  g_free (d);
}

/* Forgets the links whose time is up. */
static void
purge (RtfxDownloads * d)
{
  const gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  Entry *entry;

  g_hash_table_iter_init (&iter, d->entries);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) & entry))
    if (entry->expires <= now)
      g_hash_table_iter_remove (&iter);
}

/* From the system's cryptographic generator (GnuTLS's, seeded by the kernel): a link is a secret. */
static gchar *
new_token (void)
{
  guint8 bytes[TOKEN_BYTES];
  GString *hex = g_string_sized_new (2 * TOKEN_BYTES);

  if (gnutls_rnd (GNUTLS_RND_KEY, bytes, sizeof (bytes)) != 0)
    g_error ("no random bytes for a download token");
  for (guint i = 0; i < TOKEN_BYTES; i++)
    g_string_append_printf (hex, "%02x", bytes[i]);
  return g_string_free (hex, FALSE);
}

gchar *
rtfx_downloads_add (RtfxDownloads * d, GPtrArray * recorders)
{
  Entry *entry = g_new0 (Entry, 1);
  gchar *token = new_token ();

  purge (d);
  entry->recorders = g_ptr_array_new_with_free_func ((GDestroyNotify)
      rtfx_recorder_unref);
  for (guint i = 0; i < recorders->len; i++)
    g_ptr_array_add (entry->recorders,
        rtfx_recorder_ref (g_ptr_array_index (recorders, i)));
  entry->expires = G_MAXINT64;
  g_hash_table_insert (d->entries, g_strdup (token), entry);
  return token;
}

void
rtfx_downloads_expire (RtfxDownloads * d, const gchar * token)
{
  Entry *entry = g_hash_table_lookup (d->entries, token);

  if (entry != NULL)
    entry->expires = g_get_monotonic_time () +
        (gint64) RTFX_DOWNLOAD_LIFETIME_S * G_USEC_PER_SEC;
}

RtfxRecorder *
rtfx_downloads_find (RtfxDownloads * d, const gchar * token,
    const gchar * direction)
{
  Entry *entry;

  purge (d);
  entry = g_hash_table_lookup (d->entries, token);
  for (guint i = 0; entry != NULL && i < entry->recorders->len; i++) {
    RtfxRecorder *r = g_ptr_array_index (entry->recorders, i);

    if (g_str_equal (rtfx_recorder_direction (r), direction))
      return rtfx_recorder_ref (r);
  }
  return NULL;
}
