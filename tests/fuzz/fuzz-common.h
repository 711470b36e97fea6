/* What the fuzz targets share: start-up inside libFuzzer, and the checks every reply to a page
 * must pass whatever the page sent (docs/protocol.md; issue 10, points 5 and 7). */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* LLVMFuzzerInitialize, in fuzz-common.c, points GStreamer at this build's rtfx plugin and a
 * registry inside the build tree (unless the environment already says where), initialises it and
 * calls the target's fuzz_set_up if it has one: its allocations are not leaks. Then GLib criticals
 * and warnings end the run as a crash: from then on one means a page's bytes reached a library
 * call unchecked. */
void fuzz_set_up (void);

/* Aborts unless reply (a JSON text we would send to the page; freed here) is valid UTF-8 and a JSON
 * object, and an `error` reply's message is short: it may quote at most 64 characters of any name
 * the page sent, so its length cannot grow with what the page sent. */
void fuzz_check_reply (gchar * reply);

G_END_DECLS
