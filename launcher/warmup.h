/* What the first session would otherwise wait for, done at start-up before the server listens: the
 * DTLS certificate every session shares, the plugins of a session's elements loaded, and a frame
 * through each codec's encoder and decoder. */
#pragma once

#include "codec.h"

G_BEGIN_DECLS

/* session_needs: the elements of every session, besides the codecs'. */
void rtfx_warm_up (const RtfxElementNeed * session_needs);

G_END_DECLS
