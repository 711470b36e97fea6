/* The machine's own addresses, for ICE. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Every address of every interface that is up, loopback included, as strings (NULL-terminated).
 * libnice skips loopback when it gathers by itself; naming the addresses keeps it, which is what
 * a browser on the same machine (or a test in a loopback-only namespace) needs. */
gchar **rtfx_local_addresses (void);

G_END_DECLS
