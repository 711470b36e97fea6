/* How the server's process keeps its memory (glibc malloc): in one arena, with what a stopped
 * session frees kept for the next one, and a reserve of pages touched before the first. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* First thing in main(), before any thread. */
void rtfx_heap_set_up (void);

/* Once the start-up work is done (warmup.c), before the first session. */
void rtfx_heap_reserve (void);

G_END_DECLS
