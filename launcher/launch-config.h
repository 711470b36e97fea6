/* What rtfx-launch was asked to do: its options, parsed and checked here (launch-config.c), read-only
 * afterwards. (Not config.h: that is the build's.) */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "protocol.h"

G_BEGIN_DECLS

/* Which way video goes, named from the browser's side as streamlit-webrtc names it. */
typedef enum
{
  RTFX_MODE_SENDRECV,           /* the camera in, the chain's output back */
  RTFX_MODE_SENDONLY,           /* the camera in, nothing back but what the chain reports */
  RTFX_MODE_RECVONLY,           /* no camera: the server's --source through the chain to the page */
} RtfxMode;

/* "sendrecv", "sendonly" or "recvonly". */
const gchar *rtfx_mode_name (RtfxMode mode);

typedef struct
{
  gchar *chain;                 /* the chain a session starts with: preset_chains[start_preset] */
  gchar **preset_names;         /* the chains a page may switch between, checked at start-up */
  gchar **preset_chains;
  guint start_preset;
  guint unbuilt_presets;        /* the last this many (default Python ones) are built when used */
  gchar **controls;             /* "element.property" offered besides (or, without */
  gboolean auto_controls;       /* auto_controls, instead of) the live-tunable ones */
  gchar *bind;
  guint port;
  gchar *web_dir;               /* NULL: serve the page embedded in the binary */
  JsonObject *page_texts;       /* --page-texts: texts put over the page's own, or NULL */
  GTlsCertificate *tls;         /* NULL: plain HTTP and WS; else HTTPS and WSS on the same port */
  guint max_sessions;
  guint latency_ms;             /* webrtcbin's jitterbuffer latency */
  guint playout_delay_ms;       /* the most the browser may hold a frame before showing it */
  gchar **ice_addresses;        /* local addresses ICE gathers candidates on */
  gchar *stun;                  /* stun://HOST:PORT, or NULL */
  gchar **turns;                /* turn[s]://USER:PASS@HOST:PORT, or HOST:PORT with turn_secret */
  gchar *turn_secret;           /* coturn's static-auth-secret: per-session credentials, or NULL */
  guint turn_ttl_s;             /* how long those are valid */
  JsonNode *ice_servers;        /* the page's RTCPeerConnection's (iceservers.h), no credentials
                                 * when turn_secret: each session's are added */
  gchar *token;                 /* NULL: no token needed */
  gchar **allowed_origins;      /* NULL: the server's own origin only */
  guint ice_min_port;           /* UDP ports ICE may use; 0 and 0: any */
  guint ice_max_port;
  guint ice_timeout_s;          /* ICE fails this long after its last check did */
  /* What one peer may hold or do (docs/reliability.md); 0 turns a cap or rate off. */
  guint offer_timeout_s;        /* from hello to the page's offer */
  guint peer_timeout_s;         /* most silence on the websocket, or gap in the page's video */
  guint handshake_timeout_s;    /* from accepting a connection to its request head */
  guint max_connections_per_address;
  guint max_message_rate;       /* messages a second from one page */
  guint max_send_queue_kib;     /* unread output to one page */
  /* The video's bitrate, which follows the browser's feedback (twcc.c), in kbit/s. */
  guint min_bitrate_kbps;
  guint start_bitrate_kbps;
  guint max_bitrate_kbps;
  RtfxMode mode;
  gchar *source;                /* recvonly: the server-side source's description */
  gboolean loop_source;         /* restart it at its end rather than end the session */
  guint time_limit_s;           /* the longest a session runs from its offer; 0: no limit */
  gchar *record_in_dir;         /* where each session's video from the page is recorded, or NULL */
  gchar *record_out_dir;        /* where the video sent back is recorded, or NULL */
  gboolean audio;               /* --audio: the page's microphone too (sendrecv, sendonly) */
  /* The picture the page asks its camera for until the person picks another (docs/devices.md). */
  RtfxVideoDefaults video;
  gchar *audio_chain;           /* with audio: what it goes through, unless a preset says */
  gchar **preset_audio_chains;  /* with audio: each preset's, by preset_names' index; else NULL */
  gboolean show_version;        /* --version: print it, do nothing else */
} RtfxConfig;

/* Fills config (zeroed) from the command line, taking the options it knows out of argv. FALSE with a
 * one-line error for a bad option, chain or file (--help is GOption's: it prints and exits). */
gboolean rtfx_config_parse (RtfxConfig * config, int *argc, char ***argv,
    GError ** error);
void rtfx_config_clear (RtfxConfig * config);

/* The index of the preset called name, or -1. */
gint rtfx_config_find_preset (const RtfxConfig * config, const gchar * name);

G_END_DECLS
