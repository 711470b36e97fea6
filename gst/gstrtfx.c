/* rtfx: real-time video filters for live, browser-fed pipelines.
 *
 * This file only registers the plugin's elements; each element lives in its own gstrtfx*.c file.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>

#include "gstrtfxcartoon.h"
#include "gstrtfxdelay.h"
#include "gstrtfxedges.h"
#include "gstrtfxfacedetect.h"
#include "gstrtfxhdrextplayoutdelay.h"
#include "gstrtfxlatest.h"
#include "gstrtfxrotate.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ret = FALSE;

  ret |= GST_ELEMENT_REGISTER (rtfxcartoon, plugin);
  ret |= GST_ELEMENT_REGISTER (rtfxdelay, plugin);
  ret |= GST_ELEMENT_REGISTER (rtfxedges, plugin);
  ret |= GST_ELEMENT_REGISTER (rtfxfacedetect, plugin);
  ret |= GST_ELEMENT_REGISTER (rtfxhdrextplayoutdelay, plugin);
  ret |= GST_ELEMENT_REGISTER (rtfxlatest, plugin);
  ret |= GST_ELEMENT_REGISTER (rtfxrotate, plugin);

  return ret;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, rtfx,
    "Real-time video filters for live pipelines: edges, cartoon, rotation, face detection, a stand-in delay, latest-frame dropping, WebRTC playout delay",
    plugin_init, VERSION, "LGPL", GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
