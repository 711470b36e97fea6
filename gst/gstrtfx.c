/* rtfx: real-time video filters for live, browser-fed pipelines.
 *
 * This file only registers the plugin's elements; each element lives in its own gstrtfx*.c file.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>

#include "gstrtfxedges.h"
#include "gstrtfxlatest.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ret = FALSE;

  ret |= GST_ELEMENT_REGISTER (rtfxedges, plugin);
  ret |= GST_ELEMENT_REGISTER (rtfxlatest, plugin);

  return ret;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, rtfx,
    "Real-time video filters for live pipelines: edge detection, latest-frame dropping",
    plugin_init, VERSION, "LGPL", GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
