/* The server's TLS certificate: from files, or made up at start-up. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A self-signed certificate (ECDSA P-256, a year, for localhost and 127.0.0.1), held in memory. */
GTlsCertificate *rtfx_tls_self_signed (GError ** error);

/* "AA:BB:…", the SHA-256 fingerprint browsers show for the certificate. */
gchar *rtfx_tls_fingerprint (GTlsCertificate * certificate);

G_END_DECLS
