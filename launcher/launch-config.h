/* What rtfx-launch was asked to do: filled by main.c from the command line, read-only afterwards. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct
{
  gchar *chain;                 /* the chain a session starts with: preset_chains[start_preset] */
  gchar **preset_names;         /* the chains a page may switch between, checked at start-up */
  gchar **preset_chains;
  guint start_preset;
  gchar **controls;             /* "element.property" offered besides (or, without */
  gboolean auto_controls;       /* auto_controls, instead of) the live-tunable ones */
  gchar *bind;
  guint port;
  gchar *web_dir;               /* NULL: serve the page embedded in the binary */
  GTlsCertificate *tls;         /* NULL: plain HTTP and WS; else HTTPS and WSS on the same port */
  guint max_sessions;
  guint latency_ms;             /* webrtcbin's jitterbuffer latency */
  gchar **ice_addresses;        /* local addresses ICE gathers candidates on */
  gchar *stun;                  /* stun://HOST:PORT, or NULL */
  gchar **turns;                /* turn[s]://USER:PASS@HOST:PORT */
  JsonNode *ice_servers;        /* the same for the page's RTCPeerConnection */
  gchar *token;                 /* NULL: no token needed */
  gchar **allowed_origins;      /* NULL: the server's own origin only */
  guint ice_min_port;           /* UDP ports ICE may use; 0 and 0: any */
  guint ice_max_port;
  /* What one peer may hold or do (docs/reliability.md); 0 turns a cap or rate off. */
  guint offer_timeout_s;        /* from hello to the page's offer */
  guint peer_timeout_s;         /* most silence on the websocket, or gap in the page's video */
  guint handshake_timeout_s;    /* from accepting a connection to its request head */
  guint max_connections_per_address;
  guint max_message_rate;       /* messages a second from one page */
  guint max_send_queue_kib;     /* unread output to one page */
} RtfxConfig;

G_END_DECLS
