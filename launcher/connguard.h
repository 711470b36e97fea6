/* Limits on the server's TCP connections, before any request is read: how many one address may
 * hold at once, and how long a connection may take to finish its TLS handshake and send a request
 * head. Without them a few silent connections hold HTTPS hostage (each stalled handshake holds a
 * worker thread). See docs/reliability.md. */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct _RtfxConnGuard RtfxConnGuard;

/* Watches every connection soup accepts. max_per_address 0: no cap. */
RtfxConnGuard *rtfx_conn_guard_new (SoupServer * soup,
    guint handshake_timeout_s, guint max_per_address);
void rtfx_conn_guard_free (RtfxConnGuard * guard);

G_END_DECLS
