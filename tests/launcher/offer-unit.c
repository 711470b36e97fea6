/* offer.c: what the server keeps of a browser's offer. The real Chromium offer of the fixture is
 * answered with VP8 as before, its microphone's Opus is found when it has one, and the names a page may invent (attributes, fmtp parameters,
 * rtcp-fb types, ssrc attributes) never become GQuarks, which GStreamer would keep for good.
 *
 *   offer-unit OFFER_SDP [--tap] */
#include <gst/gst.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "offer.h"

static gchar *fixture;

static gboolean
every_codec (const RtfxCodec * codec)
{
  return TRUE;
}

/* The fixture with extra lines inserted after its video m-line's rtpmap of payload type 96. */
static gchar *
fixture_with (const gchar * lines)
{
  const gchar *at = strstr (fixture, "a=rtpmap:96 VP8/90000\r\n");
  gsize head;

  g_assert_nonnull (at);
  head = at - fixture + strlen ("a=rtpmap:96 VP8/90000\r\n");
  return g_strdup_printf ("%.*s%s%s", (int) head, fixture, lines,
      fixture + head);
}

static void
test_chromium_offer (void)
{
  g_autoptr (GError) error = NULL;
  RtfxOffer offer;

  g_assert_true (rtfx_offer_read (fixture, every_codec, &offer, &error));
  g_assert_cmpstr (offer.codec->encoding_name, ==, "VP8");
  g_assert_cmpint (offer.pt, ==, 96);
  /* What the browser needs in the answer is still there. */
  g_assert_nonnull (gst_sdp_media_get_attribute_val (offer.video, "ice-ufrag"));
  g_assert_nonnull (gst_sdp_media_get_attribute_val (offer.video, "mid"));
  /* The extensions the answer takes: transport-wide congestion control and playout delay, under
   * the ids the offer gave them; no other. */
  g_assert_cmpstr (gst_structure_get_string (gst_caps_get_structure
          (offer.preferences, 0), "extmap-4"), ==,
      "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01");
  g_assert_cmpstr (gst_structure_get_string (gst_caps_get_structure
          (offer.preferences, 0), "extmap-5"), ==, RTFX_PLAYOUT_DELAY_URI);
  g_assert_null (gst_structure_get_string (gst_caps_get_structure
          (offer.preferences, 0), "extmap-2"));
  rtfx_offer_clear (&offer);
}

/* An audio section as Chromium offers its microphone (RED first, then Opus, then the rest), with
 * the formats given, after the fixture's video. */
static gchar *
fixture_with_audio (const gchar * formats, const gchar * rtpmaps)
{
  return g_strdup_printf ("%sm=audio 9 UDP/TLS/RTP/SAVPF %s\r\n"
      "c=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\na=ice-ufrag:4CNS\r\n"
      "a=ice-pwd:A4KX4Pp91ar0vZoaQkwKR7g1\r\na=ice-options:trickle\r\n"
      "a=setup:actpass\r\na=mid:1\r\n"
      "a=extmap:14 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
      "a=extmap:4 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
      "a=sendrecv\r\na=msid:- 0b6e3e36-6f2b-4c1e-a3c3-3a8d9a3c9c21\r\na=rtcp-mux\r\n%s",
      fixture, formats, rtpmaps);
}

static void
test_microphone (void)
{
  g_autofree gchar *text = fixture_with_audio ("63 111 9 0",
      "a=rtpmap:63 red/48000/2\r\na=fmtp:63 111/111\r\n"
      "a=rtpmap:111 opus/48000/2\r\na=rtcp-fb:111 transport-cc\r\n"
      "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
      "a=rtpmap:9 G722/8000\r\na=rtpmap:0 PCMU/8000\r\n");
  g_autoptr (GError) error = NULL;
  const GstStructure *s;
  RtfxOffer offer;

  g_assert_true (rtfx_offer_read (text, every_codec, &offer, &error));
  g_assert_cmpint (offer.pt, ==, 96);
  g_assert_cmpint (offer.audio_pt, ==, 111);
  s = gst_caps_get_structure (offer.audio_preferences, 0);
  g_assert_true (gst_structure_has_name (s, "application/x-rtp"));
  g_assert_cmpstr (gst_structure_get_string (s, "media"), ==, "audio");
  g_assert_cmpstr (gst_structure_get_string (s, "encoding-name"), ==, "OPUS");
  g_assert_cmpstr (gst_structure_get_string (s, "useinbandfec"), ==, "1");
  rtfx_offer_clear (&offer);
  g_assert_null (offer.audio_preferences);
}

/* No audio section, or one without Opus: no audio, and the video as before. */
static void
test_no_microphone (void)
{
  g_autofree gchar *pcmu = fixture_with_audio ("0 8",
      "a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n");
  const gchar *texts[] = { fixture, pcmu };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++) {
    g_autoptr (GError) error = NULL;
    RtfxOffer offer;

    g_assert_true (rtfx_offer_read (texts[i], every_codec, &offer, &error));
    g_assert_cmpint (offer.pt, ==, 96);
    g_assert_cmpint (offer.audio_pt, ==, -1);
    g_assert_null (offer.audio_preferences);
    rtfx_offer_clear (&offer);
  }
}

/* Read the offer as the server does, then make caps of every part of it as webrtcbin does. */
static void
read_and_make_caps (const gchar * text)
{
  g_autoptr (GError) error = NULL;
  RtfxOffer offer;

  g_assert_true (rtfx_offer_read (text, every_codec, &offer, &error));
  for (guint i = 0; i < gst_sdp_message_medias_len (offer.sdp); i++) {
    const GstSDPMedia *m = gst_sdp_message_get_media (offer.sdp, i);
    g_autoptr (GstCaps) caps = gst_caps_new_empty_simple ("application/x-rtp");

    for (guint f = 0; f < gst_sdp_media_formats_len (m); f++) {
      g_autoptr (GstCaps) format = gst_sdp_media_get_caps_from_media (m,
          atoi (gst_sdp_media_get_format (m, f)));
    }
    gst_sdp_media_attributes_to_caps (m, caps);
    gst_sdp_message_attributes_to_caps (offer.sdp, caps);
  }
  rtfx_offer_clear (&offer);
}

static void
test_invented_names (void)
{
  g_autofree gchar *text = fixture_with
      ("a=rtfxtest-invented-attribute:1\r\n"
      "a=fmtp:96 rtfxtest-invented-parameter=1;max-fs=12288\r\n"
      "a=rtcp-fb:96 rtfxtest-invented-feedback\r\n"
      "a=ssrc:1234 rtfxtest-invented-ssrc-attribute:x\r\n"
      "a=extmap:rtfxtest-invented-id urn:x\r\n");
  static const gchar *names[] = {
    "a-rtfxtest-invented-attribute", "rtfxtest-invented-parameter",
    "rtcp-fb-rtfxtest-invented-feedback", "ssrc-1234-rtfxtest-invented-ssrc-attribute",
    "extmap-rtfxtest-invented-id",
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_assert_cmpuint (g_quark_try_string (names[i]), ==, 0);
  read_and_make_caps (text);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_quark_try_string (names[i]) != 0)
      g_error ("the page's name '%s' became a GQuark", names[i]);
  /* The known parameter of that fmtp line stays. */
  g_assert_cmpuint (g_quark_try_string ("max-fs"), !=, 0);
}

/* Many ssrc lines: only the first few are kept. */
static void
test_ssrc_lines (void)
{
  GString *lines = g_string_new (NULL);
  g_autofree gchar *text = NULL;
  g_autoptr (GError) error = NULL;
  RtfxOffer offer;
  guint ssrc = 0;

  for (guint i = 0; i < 100; i++)
    g_string_append_printf (lines, "a=ssrc:%u cname:x\r\n", 7000 + i);
  text = fixture_with (lines->str);
  g_string_free (lines, TRUE);
  g_assert_true (rtfx_offer_read (text, every_codec, &offer, &error));
  for (guint i = 0; i < gst_sdp_media_attributes_len (offer.video); i++)
    ssrc += g_str_equal (gst_sdp_media_get_attribute (offer.video, i)->key,
        "ssrc");
  g_assert_cmpuint (ssrc, <=, 8);
  rtfx_offer_clear (&offer);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;

  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  if (argc < 2 || !g_file_get_contents (argv[1], &fixture, NULL, &error))
    g_error ("usage: offer-unit OFFER_SDP [--tap]: %s",
        error ? error->message : "no offer");
  g_test_add_func ("/launcher/offer/chromium", test_chromium_offer);
  g_test_add_func ("/launcher/offer/microphone", test_microphone);
  g_test_add_func ("/launcher/offer/no-microphone", test_no_microphone);
  g_test_add_func ("/launcher/offer/invented-names", test_invented_names);
  g_test_add_func ("/launcher/offer/ssrc-lines", test_ssrc_lines);
  return g_test_run ();
}
