/* What a session's pipeline asks of webrtcbin besides its signals: its ICE agent set up from the
 * options. */
#pragma once

#include <gst/gst.h>

#include "launch-config.h"

G_BEGIN_DECLS

/* The servers, addresses and ports ICE may use (--stun, --turn, --ice-address or every local
 * address, --ice-ports), how soon it gives up (--ice-timeout), and no UPnP. peer names the session
 * in the log. */
void rtfx_ice_configure (GstElement * webrtc, const RtfxConfig * config,
    const gchar * peer);

G_END_DECLS
