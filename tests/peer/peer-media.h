/* The WebRTC half of rtfx-test-peer: a webrtcbin that offers a live VP8 test pattern (sendrecv) and
 * a data channel, as the page does, and decodes and counts the video that comes back. Options make
 * it a light client for load tests, and a client of servers that take the offer in one piece. */
#pragma once

#include <glib.h>

#include "peer-clip.h"

G_BEGIN_DECLS

typedef struct _PeerMedia PeerMedia;

/* All zero: as the page does. */
typedef struct
{
  /* Frames to send in a loop, 30 a second, instead of encoding a live test pattern; it must
   * outlive the media. */
  const PeerClip *clip;
  /* Count the frames that come back as they arrive, without decoding them. */
  gboolean no_decode;
  /* Deliver the offer once ICE gathering is complete, with its candidates in it, and none on
   * their own. */
  gboolean whole_offer;
} PeerMediaOptions;

/* Called in the main context, in the order webrtcbin produced them. */
typedef struct
{
  /* The offer, to send before any candidate; set-local-description follows it (with
   * whole_offer, precedes it). */
  void (*offer) (const gchar * sdp, gpointer user_data);
  void (*ice) (guint mline_index, const gchar * candidate, gpointer user_data);
  /* Something went wrong in the media (ICE failed, a pipeline error, an SDP refused). */
  void (*failed) (const gchar * message, gpointer user_data);
} PeerMediaCallbacks;

/* Builds and starts the pipeline and creates the offer; NULL with error if it cannot. */
PeerMedia *peer_media_new (const PeerMediaOptions * options,
    const PeerMediaCallbacks * callbacks, gpointer user_data, GError ** error);

void peer_media_set_answer (PeerMedia * media, const gchar * sdp);
void peer_media_add_ice (PeerMedia * media, guint mline_index,
    const gchar * candidate);

/* Frames that came back (decoded, unless no_decode), and when the first one did (monotonic µs, 0
 * if none). */
guint peer_media_frames (PeerMedia * media, gint64 * first_frame_time);
/* Bytes of encoded video that came back. */
guint64 peer_media_bytes (PeerMedia * media);
/* Frames a second over the window_us up to now (or since the first frame, if that is
 * shorter); 0 with fewer than two frames. */
gdouble peer_media_fps (PeerMedia * media, gint64 window_us);

/* Stops the pipeline within timeout_us and frees everything; FALSE (and nothing freed) if the
 * pipeline did not stop in time. No callback runs after this. */
gboolean peer_media_stop (PeerMedia * media, gint64 timeout_us);

G_END_DECLS
