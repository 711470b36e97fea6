/* Unit tests for launcher/protocol.c against docs/protocol.md: every message the page may send is
 * parsed into the right fields, every malformed one is refused with a sentence that names what was
 * wrong (the page shows it to a person), and what the server writes is JSON that reads back to the
 * same values, whatever characters those values hold. */
#include <json-glib/json-glib.h>
#include <string.h>

#include "launch-config.h"
#include "protocol.h"

#define TEXT_OFFER_SDP "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
#define A_CANDIDATE "candidate:1 1 UDP 2122252543 127.0.0.1 40000 typ host"

/* --- what the page may send ------------------------------------------------------------- */

static void
parse_ok (const gchar * text, RtfxMessage * msg)
{
  g_autoptr (GError) error = NULL;

  if (!rtfx_message_parse (text, strlen (text), msg, &error))
    g_error ("%s was refused: %s", text, error->message);
  g_assert_no_error (error);
}

/* A message that holds nothing to free: refused, cleared, or of a type without members. */
static void
assert_nothing_held (const RtfxMessage * msg)
{
  /* The set members are the union's largest: they cover every other type's. */
  g_assert_null (msg->set.element);
  g_assert_null (msg->set.property);
  g_assert_null (msg->set.value);
}

static void
test_offer (void)
{
  RtfxMessage msg;

  parse_ok
      ("{\"type\":\"offer\",\"sdp\":\"v=0\\r\\no=- 1 2 IN IP4 127.0.0.1\\r\\n"
      "s=-\\r\\nt=0 0\\r\\n\"}", &msg);
  g_assert_cmpint (msg.type, ==, RTFX_MESSAGE_OFFER);
  g_assert_cmpstr (msg.offer.sdp, ==, TEXT_OFFER_SDP);
  rtfx_message_clear (&msg);
  assert_nothing_held (&msg);

  /* Members may come in any order, with whitespace, and JSON escapes are decoded. */
  parse_ok
      (" {\n \"sdp\" : \"a\\u00e9\\ud83c\\udfa5\\\"\\\\\\/\" ,\t\"type\" : \"offer\" } ",
      &msg);
  g_assert_cmpint (msg.type, ==, RTFX_MESSAGE_OFFER);
  g_assert_cmpstr (msg.offer.sdp, ==, "a\xc3\xa9\xf0\x9f\x8e\xa5\"\\/");
  rtfx_message_clear (&msg);

  /* An empty SDP is a string: the parser lets it through, the session refuses it. */
  parse_ok ("{\"type\":\"offer\",\"sdp\":\"\"}", &msg);
  g_assert_cmpstr (msg.offer.sdp, ==, "");
  rtfx_message_clear (&msg);
}

static void
test_ice (void)
{
  RtfxMessage msg;

  parse_ok ("{\"type\":\"ice\",\"candidate\":\"" A_CANDIDATE "\","
      "\"sdpMLineIndex\":0}", &msg);
  g_assert_cmpint (msg.type, ==, RTFX_MESSAGE_ICE);
  g_assert_cmpstr (msg.ice.candidate, ==, A_CANDIDATE);
  g_assert_cmpuint (msg.ice.mline_index, ==, 0);
  rtfx_message_clear (&msg);

  parse_ok ("{\"sdpMLineIndex\":3,\"candidate\":\"" A_CANDIDATE "\","
      "\"type\":\"ice\",\"sdpMid\":\"0\"}", &msg);
  g_assert_cmpint (msg.type, ==, RTFX_MESSAGE_ICE);
  g_assert_cmpuint (msg.ice.mline_index, ==, 3);
  rtfx_message_clear (&msg);

  /* The largest index the parser takes. */
  parse_ok
      ("{\"type\":\"ice\",\"candidate\":\"x\",\"sdpMLineIndex\":2147483647}",
      &msg);
  g_assert_cmpuint (msg.ice.mline_index, ==, G_MAXINT);
  rtfx_message_clear (&msg);
}

static void
test_ice_end_of_candidates (void)
{
  RtfxMessage msg;

  parse_ok ("{\"type\":\"ice\",\"candidate\":\"\",\"sdpMLineIndex\":0}", &msg);
  g_assert_cmpint (msg.type, ==, RTFX_MESSAGE_ICE);
  g_assert_cmpstr (msg.ice.candidate, ==, "");
  g_assert_cmpuint (msg.ice.mline_index, ==, 0);
  rtfx_message_clear (&msg);
}

static void
test_bye (void)
{
  RtfxMessage msg;

  parse_ok ("{\"type\":\"bye\"}", &msg);
  g_assert_cmpint (msg.type, ==, RTFX_MESSAGE_BYE);
  assert_nothing_held (&msg);
  rtfx_message_clear (&msg);

  /* The page may say why; the server does not need to know. */
  parse_ok ("{\"type\":\"bye\",\"reason\":\"tab closed\"}", &msg);
  g_assert_cmpint (msg.type, ==, RTFX_MESSAGE_BYE);
  rtfx_message_clear (&msg);
}

/* A websocket payload need not end in a NUL: only size bytes may be read. */
static void
test_size_is_respected (void)
{
  static const gchar buffer[] = "{\"type\":\"bye\"}\n";
  const gsize size = strlen ("{\"type\":\"bye\"}");
  g_autoptr (GError) error = NULL;
  g_autofree gchar *exact = g_memdup2 (buffer, size);
  RtfxMessage msg;

  g_assert_true (rtfx_message_parse (exact, size, &msg, &error));
  g_assert_no_error (error);
  g_assert_cmpint (msg.type, ==, RTFX_MESSAGE_BYE);
  rtfx_message_clear (&msg);

  /* One byte short: refused, although the whole buffer is a good message. */
  g_assert_false (rtfx_message_parse (buffer, size - 1, &msg, &error));
  g_assert_nonnull (error);
  rtfx_message_clear (&msg);
}

/* --- what must be refused --------------------------------------------------------------- */

typedef struct
{
  const gchar *what;
  const gchar *text;
  const gchar *names;           /* the error message must contain this */
  const gchar *known_bug;       /* if accepted: why, reported as an expected failure */
} BadMessage;

/* json-glib's parser takes these non-JSON texts unless it is strict, which needs json-glib 1.10. */
#define LENIENT_JSON_GLIB \
  "known bug: json-glib's lenient parser takes this; the spec wants an error"

static const BadMessage bad_messages[] = {
  {"not-json/garbage", "hello there", "JSON"},
  {"not-json/truncated", "{\"type\":\"offer\",\"sdp\":\"v=0", "JSON"},
  {"not-json/trailing-comma", "{\"type\":\"bye\",}", "JSON"},
  {"not-json/trailing-word", "{\"type\":\"bye\"} please", "JSON"},
  {"not-json/unquoted-key", "{type:\"bye\"}", "JSON"},
  {"not-json/second-value",
        "{\"type\":\"bye\"}{\"type\":\"offer\",\"sdp\":\"v=0\"}", "JSON",
      LENIENT_JSON_GLIB},
  {"not-json/single-quotes", "{'type':'bye'}", "JSON", LENIENT_JSON_GLIB},
  {"not-json/comment", "/* hi */ {\"type\":\"bye\"}", "JSON",
      LENIENT_JSON_GLIB},
  {"not-json/raw-control-character", "{\"type\":\"offer\",\"sdp\":\"v=0\x01\"}",
      "JSON", LENIENT_JSON_GLIB},
  {"not-json/empty", "", "JSON object"},
  {"not-json/blank", " \r\n", "JSON object"},
  {"not-object/array", "[{\"type\":\"bye\"}]", "JSON object"},
  {"not-object/empty-array", "[]", "JSON object"},
  {"not-object/string", "\"bye\"", "JSON object"},
  {"not-object/number", "42", "JSON object"},
  {"not-object/null", "null", "JSON object"},
  {"not-object/true", "true", "JSON object"},
  {"type/missing", "{\"sdp\":\"v=0\"}", "'type'"},
  {"type/empty-object", "{}", "'type'"},
  {"type/number", "{\"type\":1}", "'type'"},
  {"type/null", "{\"type\":null}", "'type'"},
  {"type/bool", "{\"type\":true}", "'type'"},
  {"type/object", "{\"type\":{\"name\":\"bye\"}}", "'type'"},
  {"type/array", "{\"type\":[\"bye\"]}", "'type'"},
  {"type/unknown", "{\"type\":\"frobnicate\"}", "'frobnicate'"},
  {"type/server-only", "{\"type\":\"answer\",\"sdp\":\"v=0\"}", "'answer'"},
  {"type/wrong-case", "{\"type\":\"Offer\",\"sdp\":\"v=0\"}", "'Offer'"},
  {"type/empty", "{\"type\":\"\"}", "unknown"},
  {"offer/no-sdp", "{\"type\":\"offer\"}", "'sdp'"},
  {"offer/sdp-number", "{\"type\":\"offer\",\"sdp\":0}", "'sdp'"},
  {"offer/sdp-null", "{\"type\":\"offer\",\"sdp\":null}", "'sdp'"},
  {"offer/sdp-object", "{\"type\":\"offer\",\"sdp\":{\"sdp\":\"v=0\"}}",
      "'sdp'"},
  {"offer/sdp-array", "{\"type\":\"offer\",\"sdp\":[\"v=0\"]}", "'sdp'"},
  {"ice/no-candidate", "{\"type\":\"ice\",\"sdpMLineIndex\":0}",
      "'candidate'"},
  {"ice/candidate-number", "{\"type\":\"ice\",\"candidate\":1,"
        "\"sdpMLineIndex\":0}", "'candidate'"},
  {"ice/candidate-null", "{\"type\":\"ice\",\"candidate\":null,"
        "\"sdpMLineIndex\":0}", "'candidate'"},
  {"ice/no-index", "{\"type\":\"ice\",\"candidate\":\"" A_CANDIDATE "\"}",
      "sdpMLineIndex"},
  {"ice/index-negative", "{\"type\":\"ice\",\"candidate\":\"x\","
        "\"sdpMLineIndex\":-1}", "sdpMLineIndex"},
  {"ice/index-float", "{\"type\":\"ice\",\"candidate\":\"x\","
        "\"sdpMLineIndex\":0.5}", "sdpMLineIndex"},
  {"ice/index-integral-float", "{\"type\":\"ice\",\"candidate\":\"x\","
        "\"sdpMLineIndex\":1.0}", "sdpMLineIndex"},
  {"ice/index-string", "{\"type\":\"ice\",\"candidate\":\"x\","
        "\"sdpMLineIndex\":\"0\"}", "sdpMLineIndex"},
  {"ice/index-null", "{\"type\":\"ice\",\"candidate\":\"x\","
        "\"sdpMLineIndex\":null}", "sdpMLineIndex"},
  {"ice/index-bool", "{\"type\":\"ice\",\"candidate\":\"x\","
        "\"sdpMLineIndex\":false}", "sdpMLineIndex"},
  {"ice/index-array", "{\"type\":\"ice\",\"candidate\":\"x\","
        "\"sdpMLineIndex\":[0]}", "sdpMLineIndex"},
  {"ice/index-above-int", "{\"type\":\"ice\",\"candidate\":\"x\","
        "\"sdpMLineIndex\":2147483648}", "sdpMLineIndex"},
  {"ice/index-above-uint", "{\"type\":\"ice\",\"candidate\":\"x\","
        "\"sdpMLineIndex\":4294967296}", "sdpMLineIndex"},
  {"ice/index-above-int64", "{\"type\":\"ice\",\"candidate\":\"x\","
        "\"sdpMLineIndex\":99999999999999999999}", "sdpMLineIndex"},
  {"utf8/invalid-byte", "{\"type\":\"offer\",\"sdp\":\"v=0\xff\"}",
      "UTF-8"},
  {"utf8/overlong", "{\"type\":\"offer\",\"sdp\":\"\xc0\xaf\"}", "UTF-8"},
  {"utf8/surrogate", "{\"type\":\"offer\",\"sdp\":\"\xed\xa0\x80\"}",
      "UTF-8"},
  {"utf8/truncated-sequence", "{\"type\":\"bye\"}\xe2\x82", "UTF-8"},
  {"utf8/in-type", "{\"type\":\"by\xe9\"}", "UTF-8"},
};

static void
test_bad_message (gconstpointer data)
{
  const BadMessage *bad = data;
  g_autoptr (GError) error = NULL;
  RtfxMessage msg;

  if (rtfx_message_parse (bad->text, strlen (bad->text), &msg, &error)) {
    rtfx_message_clear (&msg);
    if (bad->known_bug == NULL)
      g_error ("%s was accepted: %s", bad->what, bad->text);
    g_test_incomplete (bad->known_bug);
    return;
  }
  g_assert_nonnull (error);
  g_assert_nonnull (error->message);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  if (strstr (error->message, bad->names) == NULL)
    g_error ("the error for %s is \"%s\", which does not name %s", bad->what,
        error->message, bad->names);
  /* A refused message leaves nothing to free, and clearing it is still safe. */
  assert_nothing_held (&msg);
  rtfx_message_clear (&msg);
}

/* Too large for an int64: json-glib saturates it, and the message must not quote a number the page
 * never sent. */
static void
test_huge_index_message (void)
{
  static const gchar text[] = "{\"type\":\"ice\",\"candidate\":\"x\","
      "\"sdpMLineIndex\":99999999999999999999}";
  g_autoptr (GError) error = NULL;
  RtfxMessage msg;

  g_assert_false (rtfx_message_parse (text, strlen (text), &msg, &error));
  g_assert_nonnull (strstr (error->message, "sdpMLineIndex"));
  g_assert_null (strstr (error->message, "-1"));
}

/* A JSON object of exactly size bytes: an offer whose SDP is padding. */
static gchar *
offer_of_size (gsize size)
{
  static const gchar head[] = "{\"type\":\"offer\",\"sdp\":\"";
  static const gchar tail[] = "\"}";
  const gsize fixed = strlen (head) + strlen (tail);
  GString *text = g_string_sized_new (size + 1);

  g_assert_cmpuint (size, >, fixed);
  g_string_append (text, head);
  for (gsize i = 0; i < size - fixed; i++)
    g_string_append_c (text, 'a' + i % 26);
  g_string_append (text, tail);
  g_assert_cmpuint (text->len, ==, size);
  return g_string_free (text, FALSE);
}

static void
test_size_limit (void)
{
  g_autofree gchar *at_limit = offer_of_size (RTFX_MESSAGE_MAX_SIZE);
  g_autofree gchar *over_limit = offer_of_size (RTFX_MESSAGE_MAX_SIZE + 1);
  g_autofree gchar *far_over = offer_of_size (70000);
  g_autoptr (GError) error = NULL;
  RtfxMessage msg;

  g_assert_cmpint (RTFX_MESSAGE_MAX_SIZE, ==, 65536);

  g_assert_true (rtfx_message_parse (at_limit, 65536, &msg, &error));
  g_assert_no_error (error);
  g_assert_cmpint (msg.type, ==, RTFX_MESSAGE_OFFER);
  g_assert_cmpuint (strlen (msg.offer.sdp), ==, 65536 - strlen ("{\"type\":\"offer\","
          "\"sdp\":\"\"}"));
  rtfx_message_clear (&msg);

  g_assert_false (rtfx_message_parse (over_limit, 65537, &msg, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "65537"));
  g_assert_nonnull (strstr (error->message, "too large"));
  assert_nothing_held (&msg);
  g_clear_error (&error);

  g_assert_false (rtfx_message_parse (far_over, 70000, &msg, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "too large"));
  assert_nothing_held (&msg);
  g_clear_error (&error);

  /* The size is checked first: bytes that are not even UTF-8 are "too large" at that length. */
  memset (far_over, 0xff, 70000);
  g_assert_false (rtfx_message_parse (far_over, 70000, &msg, &error));
  g_assert_nonnull (strstr (error->message, "too large"));
}

/* --- what the server writes ------------------------------------------------------------- */

/* Values with every character class JSON has to escape or carry: quotes, backslashes, control
 * characters, a solidus, non-ASCII from two to four bytes, and DEL. */
static const gchar *const tricky[] = {
  "",
  "plain",
  "say \"hi\"",
  "C:\\path\\",
  "two\nlines\r\n",
  "tab\there\x01\x1e",
  "</script>",
  "caf\xc3\xa9 \xe6\xbc\xa2\xe5\xad\x97 \xf0\x9f\x8e\xa5 \x7f",
  "\\\"\\n",
};

/* Parses json, checks it is one object of n_members with "type" = type, and returns it. */
static JsonObject *
read_back (const gchar * json, const gchar * type, guint n_members)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  JsonNode *root;
  JsonObject *obj;

  g_assert_true (g_utf8_validate (json, -1, NULL));
  /* Control characters must be escaped: a raw one inside a JSON string is invalid. */
  for (const gchar * p = json; *p; p++)
    if ((guchar) * p < 0x20)
      g_error ("%s holds the raw control character 0x%02x", json, *p);
  if (!json_parser_load_from_data (parser, json, -1, &error))
    g_error ("%s is not JSON: %s", json, error->message);
  root = json_parser_get_root (parser);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  obj = json_node_get_object (root);
  g_assert_cmpuint (json_object_get_size (obj), ==, n_members);
  g_assert_cmpstr (json_object_get_string_member (obj, "type"), ==, type);
  return json_object_ref (obj);
}

static void
assert_string_member (JsonObject * obj, const gchar * name,
    const gchar * expected)
{
  JsonNode *node = json_object_get_member (obj, name);

  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_VALUE (node));
  g_assert_cmpint (json_node_get_value_type (node), ==, G_TYPE_STRING);
  g_assert_cmpstr (json_node_get_string (node), ==, expected);
}

/* JSON forbids U+0000..U+001F raw in a string; a browser's JSON.parse throws on them. The messages
 * the server writes can hold them: an error quotes the page's unknown 'type'. */
static void
test_write_control_characters (void)
{
  GString *raw = g_string_new (NULL);

  for (guint c = 1; c < 0x20; c++) {
    g_autofree gchar *value = g_strdup_printf ("<%c>", c);
    g_autofree gchar *json = rtfx_message_error (RTFX_CODE_BAD_MESSAGE, value);
    g_autoptr (JsonParser) parser = json_parser_new ();

    if (strchr (json, c) != NULL)
      g_string_append_printf (raw, " 0x%02x", c);
    g_assert_true (json_parser_load_from_data (parser, json, -1, NULL));
    g_assert_cmpstr (json_object_get_string_member (json_node_get_object
            (json_parser_get_root (parser)), "message"), ==, value);
  }
  if (raw->len > 0)
    g_error ("control characters written raw:%s", raw->str);
  g_string_free (raw, TRUE);
}

static void
test_write_hello (void)
{
  g_autoptr (JsonNode) none = json_node_new (JSON_NODE_ARRAY);

  json_node_take_array (none, json_array_new ());

  for (guint i = 0; i < G_N_ELEMENTS (tricky); i++) {
    const gchar *chain = tricky[G_N_ELEMENTS (tricky) - 1 - i];
    const RtfxVideoDefaults video = { 320 + i, 240 + i, 15 + i };
    g_autofree gchar *json = rtfx_message_hello (tricky[i], chain, "sendonly",
        i % 2 == 0, &video, none);
    g_autoptr (JsonObject) obj = read_back (json, "hello", 7);
    JsonObject *size = json_object_get_object_member (obj, "video");

    assert_string_member (obj, "version", tricky[i]);
    assert_string_member (obj, "chain", chain);
    assert_string_member (obj, "mode", "sendonly");
    g_assert_true (json_object_get_boolean_member (obj, "audio") == (i % 2 == 0));
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (obj,
                "ice_servers")), ==, 0);
    g_assert_cmpuint (json_object_get_size (size), ==, 3);
    g_assert_cmpint (json_object_get_int_member (size, "width"), ==, 320 + i);
    g_assert_cmpint (json_object_get_int_member (size, "height"), ==, 240 + i);
    g_assert_cmpint (json_object_get_int_member (size, "fps"), ==, 15 + i);
  }
}

/* Every number of the stats, under its name; the picture's size as integers. */
static void
test_write_stats (void)
{
  const RtfxStats stats = { .fps_in = 29.5, .fps_out = 14.25, .dropped = 7,
    .bitrate_kbps = 600, .received_kbps = 580, .queue_ms = 12, .loss = 0.5,
    .width = 1280, .height = 720
  };
  g_autofree gchar *json = rtfx_message_stats (&stats);
  g_autoptr (JsonObject) obj = read_back (json, "stats", 10);

  g_assert_cmpfloat (json_object_get_double_member (obj, "fps_in"), ==, 29.5);
  g_assert_cmpfloat (json_object_get_double_member (obj, "fps_out"), ==, 14.25);
  g_assert_cmpint (json_object_get_int_member (obj, "dropped"), ==, 7);
  g_assert_cmpint (json_object_get_int_member (obj, "bitrate_kbps"), ==, 600);
  g_assert_cmpint (json_object_get_int_member (obj, "received_kbps"), ==, 580);
  g_assert_cmpint (json_object_get_int_member (obj, "queue_ms"), ==, 12);
  g_assert_cmpfloat (json_object_get_double_member (obj, "loss"), ==, 0.5);
  g_assert_cmpint (json_object_get_int_member (obj, "width"), ==, 1280);
  g_assert_cmpint (json_object_get_int_member (obj, "height"), ==, 720);
}

static void
test_write_answer (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (tricky); i++) {
    g_autofree gchar *json = rtfx_message_answer (tricky[i]);
    g_autoptr (JsonObject) obj = read_back (json, "answer", 2);

    assert_string_member (obj, "sdp", tricky[i]);
  }
}

static void
test_write_ice (void)
{
  static const guint indexes[] = { 0, 1, 7, G_MAXINT, G_MAXUINT };

  for (guint i = 0; i < G_N_ELEMENTS (tricky); i++) {
    for (guint j = 0; j < G_N_ELEMENTS (indexes); j++) {
      g_autofree gchar *json = rtfx_message_ice (tricky[i], indexes[j]);
      g_autoptr (JsonObject) obj = read_back (json, "ice", 3);
      JsonNode *index = json_object_get_member (obj, "sdpMLineIndex");

      assert_string_member (obj, "candidate", tricky[i]);
      g_assert_cmpint (json_node_get_value_type (index), ==, G_TYPE_INT64);
      g_assert_cmpint (json_node_get_int (index), ==, (gint64) indexes[j]);
    }
  }
}

/* The page and the server speak the same 'ice': what one writes, the other reads. */
static void
test_ice_round_trip (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (tricky); i++) {
    g_autofree gchar *json = rtfx_message_ice (tricky[i], 2);
    g_autoptr (GError) error = NULL;
    RtfxMessage msg;

    g_assert_true (rtfx_message_parse (json, strlen (json), &msg, &error));
    g_assert_no_error (error);
    g_assert_cmpint (msg.type, ==, RTFX_MESSAGE_ICE);
    g_assert_cmpstr (msg.ice.candidate, ==, tricky[i]);
    g_assert_cmpuint (msg.ice.mline_index, ==, 2);
    rtfx_message_clear (&msg);
  }
}

static void
test_write_error (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (tricky); i++) {
    g_autofree gchar *json = rtfx_message_error (RTFX_CODE_BAD_OFFER,
        tricky[i]);
    g_autoptr (JsonObject) obj = read_back (json, "error", 3);

    assert_string_member (obj, "message", tricky[i]);
    assert_string_member (obj, "code", "bad-offer");
  }
}

static void
test_write_bye (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (tricky); i++) {
    g_autofree gchar *json = rtfx_message_bye (RTFX_CODE_TOKEN_REQUIRED,
        tricky[i]);
    g_autoptr (JsonObject) obj = read_back (json, "bye", 3);
    g_autoptr (GError) error = NULL;
    RtfxMessage msg;

    assert_string_member (obj, "reason", tricky[i]);
    assert_string_member (obj, "code", "token-required");
    g_assert_true (rtfx_message_parse (json, strlen (json), &msg, &error));
    g_assert_cmpint (msg.type, ==, RTFX_MESSAGE_BYE);
    rtfx_message_clear (&msg);
  }
}

/* The session's recordings: each file's direction, link and name, in order. */
static void
test_write_recording (void)
{
  const RtfxRecordingFile files[] = {
    {"in", "recordings/00ff/in", "20261203-051500-3f9c01ab-in.webm"},
    {"out", "recordings/00ff/out", "20261203-051500-3f9c01ab-out.webm"},
  };
  g_autofree gchar *json = rtfx_message_recording (files, 2);
  g_autoptr (JsonObject) obj = read_back (json, "recording", 2);
  JsonArray *list = json_object_get_array_member (obj, "files");

  g_assert_cmpuint (json_array_get_length (list), ==, 2);
  for (guint i = 0; i < 2; i++) {
    JsonObject *file = json_array_get_object_element (list, i);

    g_assert_cmpuint (json_object_get_size (file), ==, 3);
    assert_string_member (file, "direction", files[i].direction);
    assert_string_member (file, "url", files[i].url);
    assert_string_member (file, "name", files[i].name);
  }
}

static void
test_write_recording_failed (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (tricky); i++) {
    g_autofree gchar *json = rtfx_message_recording_failed ("out", tricky[i]);
    g_autoptr (JsonObject) obj = read_back (json, "recording-failed", 3);

    assert_string_member (obj, "direction", "out");
    assert_string_member (obj, "reason", tricky[i]);
  }
}

/* An element message for the page's data channel: nested lists and structures become JSON. */
static void
test_write_structure (void)
{
  GstStructure *face = gst_structure_new ("face", "x", G_TYPE_INT, 10,
      "score", G_TYPE_DOUBLE, 0.5, NULL);
  GValue faces = G_VALUE_INIT, item = G_VALUE_INIT;
  GstStructure *s = gst_structure_new ("rtfx/faces", "timestamp", G_TYPE_UINT64,
      (guint64) 33333333, "label", G_TYPE_STRING, "a \"quoted\" one",
      "found", G_TYPE_BOOLEAN, TRUE, "caps", GST_TYPE_CAPS, NULL, NULL);
  g_autofree gchar *json = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *obj, *first;

  gst_value_list_init (&faces, 1);
  g_value_init (&item, GST_TYPE_STRUCTURE);
  gst_value_set_structure (&item, face);
  gst_value_list_append_and_take_value (&faces, &item);
  gst_structure_take_value (s, "faces", &faces);
  json = rtfx_message_from_structure (s);

  g_assert_true (json_parser_load_from_data (parser, json, -1, NULL));
  obj = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (obj, "type"), ==,
      "rtfx/faces");
  g_assert_cmpint (json_object_get_int_member (obj, "timestamp"), ==, 33333333);
  g_assert_cmpstr (json_object_get_string_member (obj, "label"), ==,
      "a \"quoted\" one");
  g_assert_true (json_object_get_boolean_member (obj, "found"));
  g_assert_false (json_object_has_member (obj, "caps"));   /* not for a page */
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (obj,
              "faces")), ==, 1);
  first = json_array_get_object_element (json_object_get_array_member (obj,
          "faces"), 0);
  g_assert_cmpint (json_object_get_int_member (first, "x"), ==, 10);
  g_assert_cmpfloat (json_object_get_double_member (first, "score"), ==, 0.5);
  gst_structure_free (face);
  gst_structure_free (s);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);

  g_test_add_func ("/protocol/parse/offer", test_offer);
  g_test_add_func ("/protocol/parse/ice", test_ice);
  g_test_add_func ("/protocol/parse/ice-end-of-candidates",
      test_ice_end_of_candidates);
  g_test_add_func ("/protocol/parse/bye", test_bye);
  g_test_add_func ("/protocol/parse/size-is-respected", test_size_is_respected);
  g_test_add_func ("/protocol/parse/size-limit", test_size_limit);
  for (guint i = 0; i < G_N_ELEMENTS (bad_messages); i++) {
    g_autofree gchar *path = g_strconcat ("/protocol/refuse/",
        bad_messages[i].what, NULL);
    g_test_add_data_func (path, &bad_messages[i], test_bad_message);
  }
  g_test_add_func ("/protocol/parse/huge-index-message",
      test_huge_index_message);
  g_test_add_func ("/protocol/write/control-characters",
      test_write_control_characters);
  g_test_add_func ("/protocol/write/hello", test_write_hello);
  g_test_add_func ("/protocol/write/stats", test_write_stats);
  g_test_add_func ("/protocol/write/answer", test_write_answer);
  g_test_add_func ("/protocol/write/ice", test_write_ice);
  g_test_add_func ("/protocol/write/ice-round-trip", test_ice_round_trip);
  g_test_add_func ("/protocol/write/error", test_write_error);
  g_test_add_func ("/protocol/write/bye", test_write_bye);
  g_test_add_func ("/protocol/write/recording", test_write_recording);
  g_test_add_func ("/protocol/write/recording-failed",
      test_write_recording_failed);
  g_test_add_func ("/protocol/write/structure", test_write_structure);
  return g_test_run ();
}
