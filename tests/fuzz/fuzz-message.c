/* libFuzzer target: one websocket text frame from a page, as launcher/session.c takes it —
 * rtfx_message_parse on the raw bytes (not NUL-terminated, any size), the `error` reply a refusal
 * gets, and rtfx_message_clear. */
#include "fuzz-common.h"
#include "protocol.h"

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  g_autoptr (GError) error = NULL;
  RtfxMessage msg;

  if (rtfx_message_parse ((const gchar *) data, size, &msg, &error)) {
    g_assert_no_error (error);
    rtfx_message_clear (&msg);
  } else {
    g_assert_nonnull (error);
    fuzz_check_reply (rtfx_message_error (error->code, error->message));
  }
  return 0;
}
