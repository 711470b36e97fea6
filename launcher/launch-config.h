/* What rtfx-launch was asked to do: filled by main.c from the command line, read-only afterwards. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  gchar *chain;                 /* gst-launch description of the processing, checked at start-up */
  gchar *bind;
  guint port;
  gchar *web_dir;               /* NULL: serve the page embedded in the binary */
  guint max_sessions;
  guint latency_ms;             /* webrtcbin's jitterbuffer latency */
  gchar **ice_addresses;        /* local addresses ICE gathers candidates on */
} RtfxConfig;

G_END_DECLS
