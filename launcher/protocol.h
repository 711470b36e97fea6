/* The signaling messages of docs/protocol.md: parsing what the page sends, writing what we send. */
#pragma once

#include <gst/gst.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* What went wrong, for the page's code (the `code` of `error` and `bye`, docs/protocol.md): the page
 * acts on these, people read the sentence beside them. */
typedef enum
{
  /* error: the message is refused, the session goes on */
  RTFX_CODE_BAD_MESSAGE,        /* not text, JSON, an object; a member missing or of a wrong type */
  RTFX_CODE_UNKNOWN_TYPE,
  RTFX_CODE_OUT_OF_ORDER,       /* ice before offer, a second offer */
  RTFX_CODE_BAD_OFFER,          /* the SDP cannot be parsed, has no video, a bad payload type */
  RTFX_CODE_NO_CODEC,           /* no video format the server can answer with */
  RTFX_CODE_BAD_CONTROL,        /* a set that was refused */
  RTFX_CODE_NO_PRESET,
  /* bye: the session ends */
  RTFX_CODE_PAGE_BYE,           /* the page said bye */
  RTFX_CODE_BUSY,
  RTFX_CODE_FORBIDDEN_ORIGIN,
  RTFX_CODE_TOKEN_REQUIRED,
  RTFX_CODE_NO_OFFER,
  RTFX_CODE_NO_VIDEO,
  RTFX_CODE_TOO_MANY_MESSAGES,
  RTFX_CODE_OFFER_FAILED,       /* the server could not apply or answer a valid offer */
  RTFX_CODE_ICE_FAILED,
  RTFX_CODE_PIPELINE_ERROR,     /* an element of the session's pipeline failed */
  RTFX_CODE_SHUTDOWN,
  RTFX_CODE_SOURCE_ENDED,       /* the server's --source came to its end (no --loop) */
  RTFX_CODE_SOURCE_FAILED,      /* an element of the server's --source failed */
  RTFX_CODE_TIME_LIMIT,         /* the session ran for --time-limit */
} RtfxCode;

/* The code as the page sees it: "bad-message", "token-required", … */
const gchar *rtfx_code_name (RtfxCode code);

/* Errors of rtfx_message_parse (and of the offer, offer.c) carry an RtfxCode as their code. */
#define RTFX_PROTOCOL_ERROR rtfx_protocol_error_quark ()
GQuark rtfx_protocol_error_quark (void);

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

/* One message from the page: its type, and the members of that type. */
typedef struct
{
  RtfxMessageType type;
  union
  {
    struct
    {
      gchar *sdp;
    } offer;
    struct
    {
      gchar *candidate;
      guint mline_index;
    } ice;
    struct
    {
      gchar *element;
      gchar *property;
      JsonNode *value;          /* checked against the control, not here */
    } set;
    struct
    {
      gchar *name;
    } preset;
  };
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

/* The camera picture the page asks for until the person picks another (--video-size, --video-fps). */
typedef struct
{
  guint width, height, fps;
} RtfxVideoDefaults;

/* Adds the member "video": {"width", "height", "fps"} to the object being built (hello, /status). */
void rtfx_json_add_video_defaults (JsonBuilder * builder,
    const RtfxVideoDefaults * video);

/* Each returns a newly allocated JSON text. */
/* mode: sendrecv, sendonly or recvonly (rtfx_mode_name); audio: whether the page is to send its
 * microphone (--audio); video: the camera picture it asks for by default; ice_servers: the page's
 * RTCPeerConnection iceServers, with this session's own TURN credentials when there is a secret
 * (rtfx_ice_servers_for_session). */
gchar *rtfx_message_hello (const gchar * version, const gchar * chain,
    const gchar * mode, gboolean audio, const RtfxVideoDefaults * video,
    JsonNode * ice_servers);

gchar *rtfx_message_answer (const gchar * sdp);
gchar *rtfx_message_ice (const gchar * candidate, guint mline_index);
gchar *rtfx_message_error (RtfxCode code, const gchar * message);
gchar *rtfx_message_bye (RtfxCode code, const gchar * reason);
/* An error about a `set` (code bad-control), naming the control so the page can show it there. */
gchar *rtfx_message_set_error (const gchar * message, const gchar * element,
    const gchar * property);
gchar *rtfx_message_value (const gchar * element, const gchar * property,
    JsonNode * value);
gchar *rtfx_message_controls (const gchar * preset,
    const gchar * const *presets, const gchar * chain, JsonNode * controls);
/* One of a session's recordings, for the page: "in" or "out", its download link (relative to the
 * page's address), its file's name. */
typedef struct
{
  const gchar *direction;
  const gchar *url;
  const gchar *name;
} RtfxRecordingFile;
gchar *rtfx_message_recording (const RtfxRecordingFile * files, guint n);
gchar *rtfx_message_recording_failed (const gchar * direction,
    const gchar * reason);
/* The session's numbers of the last second (docs/protocol.md, `stats`). */
typedef struct
{
  gdouble fps_in, fps_out;      /* frames into and out of the chain */
  guint64 dropped;              /* by the chain's rtfxlatest, since the start */
  guint bitrate_kbps;           /* the video's bitrate now */
  guint received_kbps;          /* what reached the browser, from its feedback */
  guint queue_ms;               /* how long the path queues packets now */
  gdouble loss;                 /* the fraction of packets lost */
  guint width, height;          /* of the picture entering the chain; 0 while unknown */
} RtfxStats;
gchar *rtfx_message_stats (const RtfxStats * stats);

/* The JSON form of a GValue, as the page sees values: numbers, strings (NULL as ""), booleans, enums
 * by nick, flags as an array of nicks, lists and arrays as arrays, structures as objects; NULL for
 * a type a page cannot use. A new node. */
JsonNode *rtfx_json_from_value (const GValue * value);

/* An element message (a structure named rtfx/…) for the page's data channel: {"type": its name,
 * then its fields}, lists and arrays as JSON arrays, nested structures as objects; fields of
 * other types are left out. */
gchar *rtfx_message_from_structure (const GstStructure * s);

G_END_DECLS
