/* The signaling messages of docs/protocol.md: parsing what the page sends, writing what we send. */
#pragma once

#include <gst/gst.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Messages longer than this get an error reply rather than a parse. */
#define RTFX_MESSAGE_MAX_SIZE 65536

typedef enum
{
  RTFX_MESSAGE_OFFER,
  RTFX_MESSAGE_ICE,
  RTFX_MESSAGE_BYE,
  RTFX_MESSAGE_SET,
  RTFX_MESSAGE_PRESET,
} RtfxMessageType;

typedef struct
{
  RtfxMessageType type;
  gchar *sdp;                   /* offer */
  gchar *candidate;             /* ice */
  guint mline_index;            /* ice */
  gchar *element;               /* set */
  gchar *property;              /* set */
  JsonNode *value;              /* set; checked against the control, not here */
  gchar *name;                  /* preset */
} RtfxMessage;

/* Fills msg from one websocket text frame. On failure sets error with a sentence for the page. */
gboolean rtfx_message_parse (const gchar * data, gsize size, RtfxMessage * msg,
    GError ** error);
void rtfx_message_clear (RtfxMessage * msg);

/* A name the page sent, fit to quote in a reply: valid UTF-8 (even when the page's JSON escapes made
 * it otherwise) and at most RTFX_QUOTE_MAX_CHARS characters, ending with "…" when cut. */
#define RTFX_QUOTE_MAX_CHARS 64
gchar *rtfx_quote (const gchar * text);

/* JSON text of root that every browser's JSON.parse accepts. */
gchar *rtfx_json_write (JsonNode * root);

/* Each returns a newly allocated JSON text. */
/* ice_servers: the page's RTCPeerConnection iceServers (rtfx_ice_servers_for_page). */
gchar *rtfx_message_hello (const gchar * version, const gchar * chain,
    JsonNode * ice_servers);

gchar *rtfx_message_answer (const gchar * sdp);
gchar *rtfx_message_ice (const gchar * candidate, guint mline_index);
gchar *rtfx_message_error (const gchar * message);
gchar *rtfx_message_bye (const gchar * reason);
/* An error about a `set`, naming the control so the page can show it there. */
gchar *rtfx_message_set_error (const gchar * message, const gchar * element,
    const gchar * property);
gchar *rtfx_message_value (const gchar * element, const gchar * property,
    JsonNode * value);
gchar *rtfx_message_controls (const gchar * preset,
    const gchar * const *presets, const gchar * chain, JsonNode * controls);
gchar *rtfx_message_stats (gdouble fps_in, gdouble fps_out, guint64 dropped);

/* An element message (a structure named rtfx/…) for the page's data channel: {"type": its name,
 * then its fields}, lists and arrays as JSON arrays, nested structures as objects; fields of
 * other types are left out. */
gchar *rtfx_message_from_structure (const GstStructure * s);

G_END_DECLS
