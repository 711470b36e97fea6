/* What a session's pipeline asks of webrtcbin besides its signals: its ICE agent set up from the
 * options, and a wait until it has run the negotiation steps already asked of it. */
#pragma once

#include <gst/gst.h>

#include "launch-config.h"

G_BEGIN_DECLS

/* The servers, addresses and ports ICE may use (--stun, --turn, --ice-address or every local
 * address, --ice-ports), and no UPnP. peer names the session in the log. */
void rtfx_webrtc_configure_ice (GstElement * webrtc, const RtfxConfig * config,
    const gchar * peer);

/* Waits, at most timeout_us, until webrtc has run every step (set-remote-description,
 * create-answer, …) already asked of it. Going to NULL drops the steps still waiting and frees
 * their promises unanswered: a pipeline that asks for no more steps and waits for these first stops
 * with nothing left behind. */
void rtfx_webrtc_finish_steps (GstElement * webrtc, gint64 timeout_us);

G_END_DECLS
