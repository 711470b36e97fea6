/* The plugin "myfilters": registers its elements, and does nothing else. */
#include "gstmyinvert.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  return GST_ELEMENT_REGISTER (myinvert, plugin);
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, myfilters,
    "My video filters", plugin_init, VERSION, "LGPL", PACKAGE,
    "https://example.org/myfilters")
