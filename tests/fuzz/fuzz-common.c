/* See fuzz-common.h. */
#include "fuzz-common.h"

#include <json-glib/json-glib.h>
#include <sanitizer/lsan_interface.h>
#include <stdlib.h>

/* The fixed text of the longest error plus a few names cut to 64 characters. */
#define ERROR_MESSAGE_MAX_CHARS 512

static gboolean started;

/* Defined by the targets that have a set-up of their own. */
void fuzz_set_up (void) __attribute__ ((weak));

void __asan_init (void);

/* LeakSanitizer ignores what the main thread allocates from here to the end of
 * LLVMFuzzerInitialize: the one-time set-up of GLib (whose quark table drops its old block each
 * time it grows, gquark.c), GStreamer and the target (tests/lsan.supp's leak:_dl_init would need
 * the slow unwinder). A .preinit_array function runs before any library's constructor. */
static void
ignore_set_up_allocations (void)
{
  __asan_init ();
  __lsan_disable ();
}

__attribute__ ((section (".preinit_array"), used))
     static void (*const preinit) (void) = ignore_set_up_allocations;

/* GLib ends a program on a fatal message with SIGTRAP, which libFuzzer does not catch: abort()
 * makes it a crash it saves a reproducer of. */
static GLogWriterOutput
write_log (GLogLevelFlags level, const GLogField * fields, gsize n_fields,
    gpointer user_data)
{
  GLogWriterOutput written = g_log_writer_default (level, fields, n_fields,
      user_data);

  if ((level & (G_LOG_LEVEL_ERROR | G_LOG_FLAG_FATAL)) || (started &&
          (level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))))
    abort ();
  return written;
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  /* G_DEBUG=fatal-warnings in the environment would make a warning of GStreamer's start-up (its
   * scan of every installed plugin) abort before the first input: only those after it are fatal. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK);
  g_log_set_writer_func (write_log, NULL, NULL);
  g_setenv ("GST_PLUGIN_PATH_1_0", FUZZ_PLUGIN_DIR, FALSE);
  g_setenv ("GST_REGISTRY_1_0", FUZZ_REGISTRY, FALSE);
  gst_init (NULL, NULL);
  if (fuzz_set_up != NULL)
    fuzz_set_up ();
  __lsan_enable ();
  started = TRUE;
  return 0;
}

void
fuzz_check_reply (gchar * reply)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  JsonNode *root;
  JsonObject *obj;
  const gchar *message;

  if (!g_utf8_validate (reply, -1, NULL))
    g_error ("reply is not valid UTF-8: %s", reply);
  if (!json_parser_load_from_data (parser, reply, -1, NULL) ||
      (root = json_parser_get_root (parser)) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (root))
    g_error ("reply is not a JSON object: %s", reply);
  obj = json_node_get_object (root);
  message = json_object_get_string_member_with_default (obj, "message", NULL);
  if (g_strcmp0 (json_object_get_string_member_with_default (obj, "type",
              NULL), "error") == 0 && (message == NULL ||
          g_utf8_strlen (message, -1) > ERROR_MESSAGE_MAX_CHARS))
    g_error ("error reply without a message, or one of more than %d "
        "characters: %.200s…", ERROR_MESSAGE_MAX_CHARS, reply);
  g_free (reply);
}
