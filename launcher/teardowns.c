/* Pipelines still stopping: see teardowns.h. */
#include "teardowns.h"

struct _RtfxTeardowns
{
  GMutex lock;
  GCond cond;
  gint pending;
};

RtfxTeardowns *
rtfx_teardowns_new (void)
{
  RtfxTeardowns *teardowns = g_atomic_rc_box_new0 (RtfxTeardowns);

  g_mutex_init (&teardowns->lock);
  g_cond_init (&teardowns->cond);
  return teardowns;
}

RtfxTeardowns *
rtfx_teardowns_ref (RtfxTeardowns * teardowns)
{
  return g_atomic_rc_box_acquire (teardowns);
}

static void
teardowns_clear (RtfxTeardowns * teardowns)
{
  g_mutex_clear (&teardowns->lock);
  g_cond_clear (&teardowns->cond);
}

void
rtfx_teardowns_unref (RtfxTeardowns * teardowns)
{
  g_atomic_rc_box_release_full (teardowns, (GDestroyNotify) teardowns_clear);
}

void
rtfx_teardowns_add (RtfxTeardowns * teardowns, gint n)
{
  g_mutex_lock (&teardowns->lock);
  teardowns->pending += n;
  g_cond_broadcast (&teardowns->cond);
  g_mutex_unlock (&teardowns->lock);
}

gboolean
rtfx_teardowns_wait (RtfxTeardowns * teardowns, gint64 timeout_us)
{
  const gint64 deadline = g_get_monotonic_time () + timeout_us;
  gboolean done;

  g_mutex_lock (&teardowns->lock);
  while (teardowns->pending > 0 && g_cond_wait_until (&teardowns->cond,
          &teardowns->lock, deadline));
  done = teardowns->pending == 0;
  g_mutex_unlock (&teardowns->lock);
  return done;
}
