/* libFuzzer target: a page's offer, before any pipeline exists. The first byte chooses whether
 * H.264 is usable (the server's encoder is installed or not); the rest is the SDP text, cut at its
 * first NUL as the JSON string it arrives in would be, and like it valid UTF-8 (other text cannot
 * reach the offer: rtfx_message_parse refuses it). A refusal's `error` reply is checked too. */
#include "fuzz-common.h"
#include "offer.h"
#include "protocol.h"

static gboolean h264_usable;

/* Every codec but H.264 is usable; H.264 when the input's first byte says so. */
static gboolean
usable (const RtfxCodec * codec)
{
  return h264_usable || codec != rtfx_codec_find ("H264");
}

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *text = NULL;
  RtfxOffer offer;

  if (size == 0)
    return 0;
  h264_usable = data[0] & 1;
  text = g_strndup ((const gchar *) data + 1, size - 1);
  if (!g_utf8_validate (text, -1, NULL))
    return 0;
  if (rtfx_offer_read (text, usable, &offer, &error)) {
    g_assert_no_error (error);
    g_assert_nonnull (offer.video);
    g_assert_cmpint (offer.pt, >=, 0);
    g_assert_cmpint (offer.pt, <=, 127);
    g_assert_true (usable (offer.codec));
    g_assert_true (GST_IS_CAPS (offer.preferences) &&
        gst_caps_get_size (offer.preferences) == 1);
    /* The microphone's Opus, when there is one. */
    g_assert_cmpint (offer.audio_pt, >=, -1);
    g_assert_cmpint (offer.audio_pt, <=, 127);
    g_assert_true ((offer.audio_pt >= 0) == (offer.audio_preferences != NULL));
    g_assert_true (offer.audio_preferences == NULL ||
        gst_caps_get_size (offer.audio_preferences) == 1);
  } else {
    g_assert_nonnull (error);
    g_assert_null (offer.sdp);
    g_assert_null (offer.preferences);
    g_assert_null (offer.audio_preferences);
    fuzz_check_reply (rtfx_message_error (error->code, error->message));
  }
  rtfx_offer_clear (&offer);
  return 0;
}
