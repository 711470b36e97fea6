/* Events from GStreamer's threads to the main context: see handoff.h. */
#include "handoff.h"

struct _RtfxHandoff
{
  RtfxHandoffFunc deliver;
  gpointer data;
  gboolean closed;              /* main context only */
};

typedef struct
{
  RtfxHandoff *handoff;
  gint kind;
  guint number;
  gchar *text;
} Event;

RtfxHandoff *
rtfx_handoff_ref (RtfxHandoff * handoff)
{
  return g_atomic_rc_box_acquire (handoff);
}

void
rtfx_handoff_unref (RtfxHandoff * handoff)
{
  g_atomic_rc_box_release (handoff);
}

RtfxHandoff *
rtfx_handoff_new (RtfxHandoffFunc deliver, gpointer data)
{
  RtfxHandoff *handoff = g_atomic_rc_box_new0 (RtfxHandoff);

  handoff->deliver = deliver;
  handoff->data = data;
  return handoff;
}

static gboolean
deliver_event (gpointer data)
{
  Event *e = data;

  if (!e->handoff->closed)
    e->handoff->deliver (e->kind, e->number, e->text, e->handoff->data);
  return G_SOURCE_REMOVE;
}

static void
free_event (gpointer data)
{
  Event *e = data;

  rtfx_handoff_unref (e->handoff);
  g_free (e->text);
  g_free (e);
}

void
rtfx_handoff_post (RtfxHandoff * handoff, gint kind, guint number,
    gchar * text)
{
  Event *e = g_new0 (Event, 1);

  e->handoff = rtfx_handoff_ref (handoff);
  e->kind = kind;
  e->number = number;
  e->text = text;
  g_main_context_invoke_full (NULL, G_PRIORITY_DEFAULT, deliver_event, e,
      free_event);
}

void
rtfx_handoff_close (RtfxHandoff * handoff)
{
  handoff->closed = TRUE;
}
