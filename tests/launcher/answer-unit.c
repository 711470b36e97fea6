/* answer.c: the answer the browser gets asks it to start its video at the server's start rate, on
 * each picture codec's fmtp line and nowhere else, and leaves webrtcbin's answer as it was.
 *
 *   answer-unit [--tap] */
#include <gst/gst.h>
#include <string.h>

#include "answer.h"

/* As webrtcbin answers a Chromium offer: BUNDLE, VP8 with its retransmissions, Opus, a data
 * channel; an H.264 m-line, and one rejected (port 0). */
static const gchar answer_sdp[] =
    "v=0\r\n"
    "o=- 1 0 IN IP4 0.0.0.0\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE video0 audio1 video2\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=mid:video0\r\n"
    "a=rtpmap:96 VP8/90000\r\n"
    "a=rtcp-fb:96 nack pli\r\n"
    "a=rtpmap:97 rtx/90000\r\n"
    "a=fmtp:97 apt=96\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=mid:audio1\r\n"
    "a=rtpmap:111 OPUS/48000/2\r\n"
    "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 102\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=mid:video2\r\n"
    "a=rtpmap:102 H264/90000\r\n"
    "a=fmtp:102 packetization-mode=1;profile-level-id=42e01f\r\n"
    "m=video 0 UDP/TLS/RTP/SAVPF 96\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=rtpmap:96 VP8/90000\r\n";

static GstSDPMessage *
parse (const gchar * text)
{
  GstSDPMessage *sdp;

  g_assert_cmpint (gst_sdp_message_new_from_text (text, &sdp), ==, GST_SDP_OK);
  return sdp;
}

/* The values of media m's attributes named key, joined by "|". */
static gchar *
values (const GstSDPMessage * sdp, guint m, const gchar * key)
{
  const GstSDPMedia *media = gst_sdp_message_get_media (sdp, m);
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < gst_sdp_media_attributes_len (media); i++) {
    const GstSDPAttribute *a = gst_sdp_media_get_attribute (media, i);
    if (g_strcmp0 (a->key, key) == 0)
      g_string_append_printf (out, "%s%s", out->len ? "|" : "", a->value);
  }
  return g_string_free (out, FALSE);
}

static void
test_picture_codecs_only (void)
{
  GstSDPMessage *answer = parse (answer_sdp);
  g_autofree gchar *text = rtfx_answer_text (answer, 600);
  GstSDPMessage *sent = parse (text);
  g_autofree gchar *vp8 = values (sent, 0, "fmtp");
  g_autofree gchar *opus = values (sent, 1, "fmtp");
  g_autofree gchar *h264 = values (sent, 2, "fmtp");
  g_autofree gchar *rejected = values (sent, 3, "fmtp");

  g_assert_cmpstr (vp8, ==, "97 apt=96|96 x-google-start-bitrate=600");
  g_assert_cmpstr (opus, ==, "111 minptime=10;useinbandfec=1");
  g_assert_cmpstr (h264, ==,
      "102 packetization-mode=1;profile-level-id=42e01f;"
      "x-google-start-bitrate=600");
  g_assert_cmpstr (rejected, ==, "");
  gst_sdp_message_free (sent);
  gst_sdp_message_free (answer);
}

/* webrtcbin sets its own answer locally: that one is not changed. */
static void
test_answer_left_alone (void)
{
  GstSDPMessage *answer = parse (answer_sdp);
  g_autofree gchar *before = gst_sdp_message_as_text (answer);
  g_autofree gchar *text = rtfx_answer_text (answer, 600);
  g_autofree gchar *after = gst_sdp_message_as_text (answer);

  g_assert_cmpstr (before, ==, after);
  g_assert_cmpstr (text, !=, before);
  gst_sdp_message_free (answer);
}

/* A start rate already there is not written twice. */
static void
test_once (void)
{
  g_auto (GStrv) parts = g_strsplit (answer_sdp, "profile-level-id=42e01f", 2);
  g_autofree gchar *with = g_strjoinv ("x-google-start-bitrate=1000", parts);
  GstSDPMessage *answer = parse (with);
  g_autofree gchar *text = rtfx_answer_text (answer, 600);
  GstSDPMessage *sent = parse (text);
  g_autofree gchar *h264 = values (sent, 2, "fmtp");

  g_assert_cmpstr (h264, ==,
      "102 packetization-mode=1;x-google-start-bitrate=1000");
  gst_sdp_message_free (sent);
  gst_sdp_message_free (answer);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/answer/picture-codecs-only", test_picture_codecs_only);
  g_test_add_func ("/answer/answer-left-alone", test_answer_left_alone);
  g_test_add_func ("/answer/once", test_once);
  return g_test_run ();
}
