/* A VP8 clip held in memory, for a peer that sends video without encoding it: load tests want
 * their clients to cost far less than the server they measure. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct
{
  GstCaps *caps;                /* video/x-vp8 with the clip's size */
  GPtrArray *frames;            /* GstBuffer, one encoded frame each, the first a keyframe */
} PeerClip;

/* Reads every VP8 frame of a WebM or IVF file; NULL with error if there are none, or the first is
 * not a keyframe. */
PeerClip *peer_clip_load (const gchar * path, GError ** error);
void peer_clip_free (PeerClip * clip);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PeerClip, peer_clip_free)

G_END_DECLS
