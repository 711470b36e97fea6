/* The session recordings a page may download: each session's files under a token of its own, an
 * unguessable link that lives from the session's start until RTFX_DOWNLOAD_LIFETIME_S after its
 * end (or until the server stops). Main context only. */
#pragma once

#include "recorder.h"

G_BEGIN_DECLS

#define RTFX_DOWNLOAD_LIFETIME_S 3600

typedef struct _RtfxDownloads RtfxDownloads;

RtfxDownloads *rtfx_downloads_new (void);
void rtfx_downloads_free (RtfxDownloads * downloads);

/* A new token (128 random bits, in hex) for recorders (an array of RtfxRecorder, referenced here),
 * valid until rtfx_downloads_expire and the lifetime after it. */
gchar *rtfx_downloads_add (RtfxDownloads * downloads, GPtrArray * recorders);

/* The session of token has ended: its link lives RTFX_DOWNLOAD_LIFETIME_S more. */
void rtfx_downloads_expire (RtfxDownloads * downloads, const gchar * token);

/* The recorder of token's session for direction ("in", "out"), referenced, or NULL (an unknown or
 * expired token, no such file). */
RtfxRecorder *rtfx_downloads_find (RtfxDownloads * downloads,
    const gchar * token, const gchar * direction);

G_END_DECLS
