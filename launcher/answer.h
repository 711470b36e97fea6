/* What the launcher adds to webrtcbin's answer before it goes to the browser. */
#pragma once

#include <gst/sdp/sdp.h>

G_BEGIN_DECLS

/* The answer's text for the browser: answer, with each video codec's fmtp asking the browser to
 * start sending at start_kbps (x-google-start-bitrate, which Chromium reads and other browsers
 * ignore). The answer itself is left as it is, for webrtcbin. */
gchar *rtfx_answer_text (const GstSDPMessage * answer, guint start_kbps);

G_END_DECLS
