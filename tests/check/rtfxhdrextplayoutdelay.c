/* Unit tests for rtfxhdrextplayoutdelay: the three bytes it writes (12 bits of smallest and 12 of
 * largest delay, in 10 ms units), the delays it reads back, a largest delay below the smallest, a
 * short extension refused; and a payloader whose caps carry the extension (as webrtcbin's do when
 * the browser offers it) finds the element by its uri and puts it on every packet. */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/rtp/rtp.h>

#define URI "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay"
#define EXT_ID 5
#define SIZE 3

static GstRTPHeaderExtension *
new_extension (guint min_ms, guint max_ms)
{
  GstRTPHeaderExtension *ext = gst_rtp_header_extension_create_from_uri (URI);

  fail_unless (ext != NULL, "no element for %s", URI);
  gst_rtp_header_extension_set_id (ext, EXT_ID);
  g_object_set (ext, "min-delay-ms", min_ms, "max-delay-ms", max_ms, NULL);
  return ext;
}

static void
write_bytes (GstRTPHeaderExtension * ext, guint8 * data)
{
  GstBuffer *input = gst_buffer_new ();
  GstBuffer *output = gst_buffer_new ();

  fail_unless_equals_int (gst_rtp_header_extension_get_max_size (ext, input),
      SIZE);
  fail_unless_equals_int (gst_rtp_header_extension_write (ext, input,
          GST_RTP_HEADER_EXTENSION_ONE_BYTE, output, data, SIZE), SIZE);
  gst_buffer_unref (input);
  gst_buffer_unref (output);
}

GST_START_TEST (test_write)
{
  GstRTPHeaderExtension *ext = new_extension (100, 40950);
  guint8 data[SIZE];

  /* 10 units (0x00a) and 4095 (0xfff) */
  write_bytes (ext, data);
  fail_unless_equals_int (data[0], 0x00);
  fail_unless_equals_int (data[1], 0xaf);
  fail_unless_equals_int (data[2], 0xff);

  /* the default: show every frame at once */
  g_object_set (ext, "min-delay-ms", 0, "max-delay-ms", 0, NULL);
  write_bytes (ext, data);
  fail_unless (data[0] == 0 && data[1] == 0 && data[2] == 0);

  /* below 10 ms rounds down; a largest delay below the smallest is the smallest */
  g_object_set (ext, "min-delay-ms", 259, "max-delay-ms", 9, NULL);
  write_bytes (ext, data);
  fail_unless_equals_int (data[0], 0x01);
  fail_unless_equals_int (data[1], 0x90);
  fail_unless_equals_int (data[2], 0x19);
  gst_object_unref (ext);
}

GST_END_TEST;

GST_START_TEST (test_read)
{
  GstRTPHeaderExtension *ext = new_extension (0, 0);
  const guint8 data[SIZE] = { 0x01, 0x23, 0x45 };     /* 0x012 and 0x345 units */
  GstBuffer *buffer = gst_buffer_new ();
  guint min_ms, max_ms;

  fail_unless (gst_rtp_header_extension_read (ext,
          GST_RTP_HEADER_EXTENSION_ONE_BYTE, data, SIZE, buffer));
  g_object_get (ext, "min-delay-ms", &min_ms, "max-delay-ms", &max_ms, NULL);
  fail_unless_equals_int (min_ms, 0x012 * 10);
  fail_unless_equals_int (max_ms, 0x345 * 10);

  fail_if (gst_rtp_header_extension_read (ext,
          GST_RTP_HEADER_EXTENSION_ONE_BYTE, data, SIZE - 1, buffer));
  g_object_get (ext, "min-delay-ms", &min_ms, NULL);
  fail_unless_equals_int (min_ms, 0x012 * 10);
  gst_buffer_unref (buffer);
  gst_object_unref (ext);
}

GST_END_TEST;

/* What rtfx-launch relies on: the caps webrtcbin gives the payloader name the extension, and the
 * payloader adds it by itself. */
GST_START_TEST (test_payloader_adds_it)
{
  GstHarness *h = gst_harness_new_parse ("vp8enc deadline=1 ! rtpvp8pay ! "
      "capsfilter caps=\"application/x-rtp,extmap-5=(string)" URI "\"");
  GstBuffer *packet;
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  gpointer data;
  guint size;

  gst_harness_add_src_parse (h, "videotestsrc num-buffers=1 ! capsfilter "
      "caps=video/x-raw,format=I420,width=64,height=48,framerate=30/1", FALSE);
  gst_harness_push_from_src (h);
  packet = gst_harness_pull (h);
  fail_unless (packet != NULL);
  fail_unless (gst_rtp_buffer_map (packet, GST_MAP_READ, &rtp));
  fail_unless (gst_rtp_buffer_get_extension_onebyte_header (&rtp, EXT_ID, 0,
          &data, &size), "the packet has no extension %d", EXT_ID);
  fail_unless_equals_int (size, SIZE);
  fail_unless (memcmp (data, "\0\0\0", SIZE) == 0);
  gst_rtp_buffer_unmap (&rtp);
  gst_buffer_unref (packet);
  gst_harness_teardown (h);
}

GST_END_TEST;

static Suite *
rtfxhdrextplayoutdelay_suite (void)
{
  Suite *s = suite_create ("rtfxhdrextplayoutdelay");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_write);
  tcase_add_test (tc, test_read);
  tcase_add_test (tc, test_payloader_adds_it);
  return s;
}

GST_CHECK_MAIN (rtfxhdrextplayoutdelay);
