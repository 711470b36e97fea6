/* The server's malloc settings: see heap.h.
 *
 * A session's first frame waits for its codecs to set up, and they allocate and clear about 10 MB:
 * libvpx's VP8 encoder alone took 20-30 ms of the first frame at 640x480, nearly all of it page
 * faults (about 3,900 a session; each costs more in a virtual machine). By default glibc serves
 * such large blocks from fresh mmaps, unmapped again when freed, and trimming the heap after each
 * session gives the rest back: every session faults its memory in again. Instead, as real-time
 * Linux programs do, large blocks come from the heap, the heap is not trimmed, and a reserve is
 * touched before the first session: the encoder's set-up then takes about 1 ms, in the first
 * session too. What is freed is reused, so the resident size stays level from session to
 * session, at the most the server has needed at once (docs/deploy.md).
 *
 * One arena: every session runs a dozen threads, and glibc gives threads up to 8 arenas a core;
 * memory freed into them stayed there in pieces (the server grew by 0.5-2.6 MB a session without
 * leaking, and still wandered by 30 % with two arenas). The streaming threads allocate little per
 * frame, so they do not contend for it. */
#include "heap.h"

#include <malloc.h>
#include <string.h>

/* Blocks up to this size come from the heap: codec state and video frames are well below it. */
#define MMAP_THRESHOLD (32 << 20)
/* Free memory at the top of the heap beyond this goes back to the system. */
#define TRIM_THRESHOLD (256 << 20)
/* A 640x480 session grows the heap by about 10 MB: two starting at once find their pages ready. */
#define RESERVE (24 << 20)

void
rtfx_heap_set_up (void)
{
  mallopt (M_ARENA_MAX, 1);
  mallopt (M_MMAP_THRESHOLD, MMAP_THRESHOLD);
  mallopt (M_TRIM_THRESHOLD, TRIM_THRESHOLD);
}

/* After the start-up work, whose freed memory is left in pieces: the reserve is one block at the top
 * of the heap, where a session's large blocks fit. */
void
rtfx_heap_reserve (void)
{
  /* g_malloc and g_free, which the compiler does not know as a pair it may drop. */
  gchar *reserve = g_malloc (RESERVE);

  memset (reserve, 0, RESERVE);
  g_free (reserve);
}
