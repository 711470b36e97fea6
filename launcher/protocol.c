/* Parsing and writing the JSON signaling messages; see docs/protocol.md. Every rejection carries a
 * message that names what was wrong, since the page shows it to a person. */
#include "protocol.h"

#include <json-glib/json-glib.h>
#include <string.h>

G_DEFINE_QUARK (rtfx-protocol-error-quark, rtfx_protocol_error)

static const gchar *code_names[] = {
  [RTFX_CODE_BAD_MESSAGE] = "bad-message",
  [RTFX_CODE_UNKNOWN_TYPE] = "unknown-type",
  [RTFX_CODE_OUT_OF_ORDER] = "out-of-order",
  [RTFX_CODE_BAD_OFFER] = "bad-offer",
  [RTFX_CODE_NO_CODEC] = "no-codec",
  [RTFX_CODE_BAD_CONTROL] = "bad-control",
  [RTFX_CODE_NO_PRESET] = "no-preset",
  [RTFX_CODE_PAGE_BYE] = "page-bye",
  [RTFX_CODE_BUSY] = "busy",
  [RTFX_CODE_FORBIDDEN_ORIGIN] = "forbidden-origin",
  [RTFX_CODE_TOKEN_REQUIRED] = "token-required",
  [RTFX_CODE_NO_OFFER] = "no-offer",
  [RTFX_CODE_NO_VIDEO] = "no-video",
  [RTFX_CODE_TOO_MANY_MESSAGES] = "too-many-messages",
  [RTFX_CODE_OFFER_FAILED] = "offer-failed",
  [RTFX_CODE_ICE_FAILED] = "ice-failed",
  [RTFX_CODE_PIPELINE_ERROR] = "pipeline-error",
  [RTFX_CODE_SHUTDOWN] = "shutdown",
  [RTFX_CODE_SOURCE_ENDED] = "source-ended",
  [RTFX_CODE_SOURCE_FAILED] = "source-failed",
  [RTFX_CODE_TIME_LIMIT] = "time-limit",
};

const gchar *
rtfx_code_name (RtfxCode code)
{
  return code_names[code];
}

static gboolean
fail (GError ** error, RtfxCode code, const gchar * format, ...)
    G_GNUC_PRINTF (3, 4);

static gboolean
fail (GError ** error, RtfxCode code, const gchar * format, ...)
{
  va_list args;

  va_start (args, format);
  g_propagate_error (error, g_error_new_valist (RTFX_PROTOCOL_ERROR, code,
          format, args));
  va_end (args);
  return FALSE;
}

static const gchar *
get_string_member (JsonObject * obj, const gchar * type, const gchar * name,
    GError ** error)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING) {
    fail (error, RTFX_CODE_BAD_MESSAGE,
        "'%s' message needs a string member '%s'", type, name);
    return NULL;
  }
  return json_node_get_string (node);
}

static gboolean
parse_offer (JsonObject * obj, RtfxMessage * msg, GError ** error)
{
  const gchar *sdp = get_string_member (obj, "offer", "sdp", error);

  if (sdp == NULL)
    return FALSE;
  msg->offer.sdp = g_strdup (sdp);
  return TRUE;
}

static gboolean
parse_ice (JsonObject * obj, RtfxMessage * msg, GError ** error)
{
  const gchar *candidate = get_string_member (obj, "ice", "candidate", error);
  JsonNode *index = json_object_get_member (obj, "sdpMLineIndex");
  gint64 value;

  if (candidate == NULL)
    return FALSE;
  if (index == NULL || !JSON_NODE_HOLDS_VALUE (index) ||
      json_node_get_value_type (index) != G_TYPE_INT64)
    return fail (error, RTFX_CODE_BAD_MESSAGE,
        "'ice' message needs an integer member 'sdpMLineIndex'");
  value = json_node_get_int (index);
  /* (json-glib saturates numbers beyond 64 bits, so the value itself is not worth quoting) */
  if (value < 0 || value > G_MAXINT)
    return fail (error, RTFX_CODE_BAD_MESSAGE,
        "'sdpMLineIndex' must be an integer from 0 to %d", G_MAXINT);
  msg->ice.candidate = g_strdup (candidate);
  msg->ice.mline_index = (guint) value;
  return TRUE;
}

static gboolean
parse_bye (JsonObject * obj, RtfxMessage * msg, GError ** error)
{
  return TRUE;
}

static gboolean
parse_set (JsonObject * obj, RtfxMessage * msg, GError ** error)
{
  const gchar *element = get_string_member (obj, "set", "element", error);
  const gchar *property = element ?
      get_string_member (obj, "set", "property", error) : NULL;

  if (property == NULL)
    return FALSE;
  if (!json_object_has_member (obj, "value"))
    return fail (error, RTFX_CODE_BAD_MESSAGE,
        "'set' message needs a member 'value'");
  msg->set.element = g_strdup (element);
  msg->set.property = g_strdup (property);
  msg->set.value = json_node_copy (json_object_get_member (obj, "value"));
  return TRUE;
}

static gboolean
parse_preset (JsonObject * obj, RtfxMessage * msg, GError ** error)
{
  const gchar *name = get_string_member (obj, "preset", "name", error);

  if (name == NULL)
    return FALSE;
  msg->preset.name = g_strdup (name);
  return TRUE;
}

/* Each message type the page may send, and what reads its members. */
static const struct
{
  const gchar *name;
  RtfxMessageType type;
  gboolean (*parse) (JsonObject * obj, RtfxMessage * msg, GError ** error);
} message_types[] = {
  {"offer", RTFX_MESSAGE_OFFER, parse_offer},
  {"ice", RTFX_MESSAGE_ICE, parse_ice},
  {"bye", RTFX_MESSAGE_BYE, parse_bye},
  {"set", RTFX_MESSAGE_SET, parse_set},
  {"preset", RTFX_MESSAGE_PRESET, parse_preset},
};

gboolean
rtfx_message_parse (const gchar * data, gsize size, RtfxMessage * msg,
    GError ** error)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (GError) json_error = NULL;
  g_autofree gchar *quoted = NULL;
  JsonNode *root;
  JsonObject *obj;
  const gchar *type;

  memset (msg, 0, sizeof (*msg));
  if (size > RTFX_MESSAGE_MAX_SIZE)
    return fail (error, RTFX_CODE_BAD_MESSAGE,
        "message of %" G_GSIZE_FORMAT " bytes is too large "
        "(the limit is %d)", size, RTFX_MESSAGE_MAX_SIZE);
  if (!g_utf8_validate (data, size, NULL))
    return fail (error, RTFX_CODE_BAD_MESSAGE, "message is not valid UTF-8");
  /* json-glib's message quotes the bad token, which may be invalid UTF-8 or cut in a character. */
  if (!json_parser_load_from_data (parser, data, size, &json_error)) {
    quoted = rtfx_quote (json_error->message);
    return fail (error, RTFX_CODE_BAD_MESSAGE, "message is not valid JSON: %s",
        quoted);
  }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return fail (error, RTFX_CODE_BAD_MESSAGE, "message is not a JSON object");
  obj = json_node_get_object (root);
  if (!json_object_has_member (obj, "type") ||
      json_node_get_value_type (json_object_get_member (obj, "type")) !=
      G_TYPE_STRING)
    return fail (error, RTFX_CODE_BAD_MESSAGE,
        "message has no string member 'type'");
  type = json_object_get_string_member (obj, "type");
  for (guint i = 0; i < G_N_ELEMENTS (message_types); i++) {
    if (g_str_equal (type, message_types[i].name)) {
      msg->type = message_types[i].type;
      return message_types[i].parse (obj, msg, error);
    }
  }
  quoted = rtfx_quote (type);
  return fail (error, RTFX_CODE_UNKNOWN_TYPE, "unknown message type '%s'",
      quoted);
}

gchar *
rtfx_quote (const gchar * text)
{
  g_autofree gchar *valid = g_utf8_make_valid (text, -1);
  GString *quoted;

  if (g_utf8_strlen (valid, -1) <= RTFX_QUOTE_MAX_CHARS)
    return g_steal_pointer (&valid);
  quoted = g_string_new_len (valid, g_utf8_offset_to_pointer (valid,
          RTFX_QUOTE_MAX_CHARS - 1) - valid);
  g_string_append (quoted, "…");
  return g_string_free (quoted, FALSE);
}

void
rtfx_message_clear (RtfxMessage * msg)
{
  switch (msg->type) {
    case RTFX_MESSAGE_OFFER:
      g_free (msg->offer.sdp);
      break;
    case RTFX_MESSAGE_ICE:
      g_free (msg->ice.candidate);
      break;
    case RTFX_MESSAGE_BYE:
      break;
    case RTFX_MESSAGE_SET:
      g_free (msg->set.element);
      g_free (msg->set.property);
      g_clear_pointer (&msg->set.value, json_node_unref);
      break;
    case RTFX_MESSAGE_PRESET:
      g_free (msg->preset.name);
      break;
  }
  memset (msg, 0, sizeof (*msg));
}

/* Outgoing messages: begin_message, then members, then finish_message. */
static JsonBuilder *
begin_message (const gchar * type)
{
  JsonBuilder *builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, type);
  return builder;
}

static void
add_string (JsonBuilder * builder, const gchar * name, const gchar * value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, value);
}

static void
add_int (JsonBuilder * builder, const gchar * name, gint64 value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

static void
add_double (JsonBuilder * builder, const gchar * name, gdouble value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_double_value (builder, value);
}

gchar *
rtfx_json_write (JsonNode * root)
{
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autofree gchar *text = NULL;
  GString *out;

  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);
  /* json-glib 1.6 escapes control characters below 0x1f only, and a raw 0x1f makes the browser's
   * JSON.parse throw. In generated JSON that byte can only be inside a string. */
  if (strchr (text, 0x1f) == NULL)
    return g_steal_pointer (&text);
  out = g_string_new (NULL);
  for (const gchar * c = text; *c; c++) {
    if (*c == 0x1f)
      g_string_append (out, "\\u001f");
    else
      g_string_append_c (out, *c);
  }
  return g_string_free (out, FALSE);
}

static gchar *
finish_message (JsonBuilder * builder)
{
  g_autoptr (JsonNode) root = NULL;

  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  g_object_unref (builder);
  return rtfx_json_write (root);
}

void
rtfx_json_add_video_defaults (JsonBuilder * builder,
    const RtfxVideoDefaults * video)
{
  json_builder_set_member_name (builder, "video");
  json_builder_begin_object (builder);
  add_int (builder, "width", video->width);
  add_int (builder, "height", video->height);
  add_int (builder, "fps", video->fps);
  json_builder_end_object (builder);
}

gchar *
rtfx_message_hello (const gchar * version, const gchar * chain,
    const gchar * mode, gboolean audio, const RtfxVideoDefaults * video,
    JsonNode * ice_servers)
{
  JsonBuilder *builder = begin_message ("hello");

  add_string (builder, "version", version);
  add_string (builder, "chain", chain);
  add_string (builder, "mode", mode);
  json_builder_set_member_name (builder, "audio");
  json_builder_add_boolean_value (builder, audio);
  rtfx_json_add_video_defaults (builder, video);
  json_builder_set_member_name (builder, "ice_servers");
  json_builder_add_value (builder, json_node_copy (ice_servers));
  return finish_message (builder);
}

gchar *
rtfx_message_answer (const gchar * sdp)
{
  JsonBuilder *builder = begin_message ("answer");

  add_string (builder, "sdp", sdp);
  return finish_message (builder);
}

gchar *
rtfx_message_ice (const gchar * candidate, guint mline_index)
{
  JsonBuilder *builder = begin_message ("ice");

  add_string (builder, "candidate", candidate);
  add_int (builder, "sdpMLineIndex", mline_index);
  return finish_message (builder);
}

gchar *
rtfx_message_recording (const RtfxRecordingFile * files, guint n)
{
  JsonBuilder *builder = begin_message ("recording");

  json_builder_set_member_name (builder, "files");
  json_builder_begin_array (builder);
  for (guint i = 0; i < n; i++) {
    json_builder_begin_object (builder);
    add_string (builder, "direction", files[i].direction);
    add_string (builder, "url", files[i].url);
    add_string (builder, "name", files[i].name);
    json_builder_end_object (builder);
  }
  json_builder_end_array (builder);
  return finish_message (builder);
}

gchar *
rtfx_message_recording_failed (const gchar * direction, const gchar * reason)
{
  JsonBuilder *builder = begin_message ("recording-failed");

  add_string (builder, "direction", direction);
  add_string (builder, "reason", reason);
  return finish_message (builder);
}

gchar *
rtfx_message_error (RtfxCode code, const gchar * message)
{
  JsonBuilder *builder = begin_message ("error");

  add_string (builder, "code", rtfx_code_name (code));
  add_string (builder, "message", message);
  return finish_message (builder);
}

gchar *
rtfx_message_bye (RtfxCode code, const gchar * reason)
{
  JsonBuilder *builder = begin_message ("bye");

  add_string (builder, "code", rtfx_code_name (code));
  add_string (builder, "reason", reason);
  return finish_message (builder);
}

gchar *
rtfx_message_set_error (const gchar * message, const gchar * element,
    const gchar * property)
{
  JsonBuilder *builder = begin_message ("error");
  g_autofree gchar *quoted_element = rtfx_quote (element);
  g_autofree gchar *quoted_property = rtfx_quote (property);

  add_string (builder, "code", rtfx_code_name (RTFX_CODE_BAD_CONTROL));
  add_string (builder, "message", message);
  add_string (builder, "element", quoted_element);
  add_string (builder, "property", quoted_property);
  return finish_message (builder);
}

gchar *
rtfx_message_value (const gchar * element, const gchar * property,
    JsonNode * value)
{
  JsonBuilder *builder = begin_message ("value");

  add_string (builder, "element", element);
  add_string (builder, "property", property);
  json_builder_set_member_name (builder, "value");
  json_builder_add_value (builder, json_node_copy (value));
  return finish_message (builder);
}

gchar *
rtfx_message_controls (const gchar * preset, const gchar * const *presets,
    const gchar * chain, JsonNode * controls)
{
  JsonBuilder *builder = begin_message ("controls");

  add_string (builder, "preset", preset);
  json_builder_set_member_name (builder, "presets");
  json_builder_begin_array (builder);
  for (const gchar * const *p = presets; *p; p++)
    json_builder_add_string_value (builder, *p);
  json_builder_end_array (builder);
  add_string (builder, "chain", chain);
  json_builder_set_member_name (builder, "controls");
  json_builder_add_value (builder, json_node_copy (controls));
  return finish_message (builder);
}

gchar *
rtfx_message_stats (const RtfxStats * stats)
{
  JsonBuilder *builder = begin_message ("stats");

  add_double (builder, "fps_in", stats->fps_in);
  add_double (builder, "fps_out", stats->fps_out);
  add_int (builder, "dropped", (gint64) stats->dropped);
  add_int (builder, "bitrate_kbps", stats->bitrate_kbps);
  add_int (builder, "received_kbps", stats->received_kbps);
  add_int (builder, "queue_ms", stats->queue_ms);
  add_double (builder, "loss", stats->loss);
  add_int (builder, "width", stats->width);
  add_int (builder, "height", stats->height);
  return finish_message (builder);
}

static void
add_fields (JsonObject * obj, const GstStructure * s)
{
  for (gint i = 0; i < gst_structure_n_fields (s); i++) {
    const gchar *name = gst_structure_nth_field_name (s, i);
    JsonNode *node = rtfx_json_from_value (gst_structure_get_value (s, name));

    if (node != NULL)
      json_object_set_member (obj, name, node);
  }
}

static JsonNode *
flag_nicks (GType type, guint flags)
{
  g_autoptr (GFlagsClass) klass = g_type_class_ref (type);
  JsonArray *nicks = json_array_new ();

  for (guint i = 0; i < klass->n_values; i++) {
    const GFlagsValue *v = &klass->values[i];
    /* Only flags wholly set; a zero "none" value is the empty array. */
    if (v->value != 0 && (flags & v->value) == v->value)
      json_array_add_string_element (nicks, v->value_nick);
  }
  return json_node_init_array (json_node_alloc (), nicks);
}

static JsonNode *
enum_nick (const GValue * value)
{
  g_autoptr (GEnumClass) klass = g_type_class_ref (G_VALUE_TYPE (value));
  GEnumValue *v = g_enum_get_value (klass, g_value_get_enum (value));

  return json_node_init_string (json_node_alloc (), v ? v->value_nick : "");
}

static JsonNode *
list_to_json (const GValue * value)
{
  const gboolean list = GST_VALUE_HOLDS_LIST (value);
  const guint n = list ? gst_value_list_get_size (value) :
      gst_value_array_get_size (value);
  JsonArray *array = json_array_new ();

  for (guint i = 0; i < n; i++) {
    JsonNode *child = rtfx_json_from_value (list ?
        gst_value_list_get_value (value, i) :
        gst_value_array_get_value (value, i));
    if (child != NULL)
      json_array_add_element (array, child);
  }
  return json_node_init_array (json_node_alloc (), array);
}

JsonNode *
rtfx_json_from_value (const GValue * value)
{
  GValue as = G_VALUE_INIT;
  JsonNode *node = NULL;

  if (GST_VALUE_HOLDS_LIST (value) || GST_VALUE_HOLDS_ARRAY (value))
    return list_to_json (value);
  if (GST_VALUE_HOLDS_STRUCTURE (value)) {
    JsonObject *obj = json_object_new ();

    add_fields (obj, gst_value_get_structure (value));
    return json_node_init_object (json_node_alloc (), obj);
  }
  if (G_VALUE_HOLDS_STRING (value))
    return json_node_init_string (json_node_alloc (),
        g_value_get_string (value) ? g_value_get_string (value) : "");
  if (G_VALUE_HOLDS_BOOLEAN (value))
    return json_node_init_boolean (json_node_alloc (),
        g_value_get_boolean (value));
  if (G_VALUE_HOLDS_ENUM (value))
    return enum_nick (value);
  if (G_VALUE_HOLDS_FLAGS (value))
    return flag_nicks (G_VALUE_TYPE (value), g_value_get_flags (value));
  /* JSON integers are 64-bit and signed: larger ones keep the largest. */
  if (G_VALUE_HOLDS_UINT64 (value))
    return json_node_init_int (json_node_alloc (),
        (gint64) MIN (g_value_get_uint64 (value), (guint64) G_MAXINT64));
  if (G_VALUE_HOLDS_DOUBLE (value) || G_VALUE_HOLDS_FLOAT (value)) {
    g_value_init (&as, G_TYPE_DOUBLE);
    g_value_transform (value, &as);
    node = json_node_init_double (json_node_alloc (), g_value_get_double (&as));
  } else if (g_value_type_transformable (G_VALUE_TYPE (value), G_TYPE_INT64)
      && G_TYPE_IS_FUNDAMENTAL (G_VALUE_TYPE (value))) {
    g_value_init (&as, G_TYPE_INT64);
    g_value_transform (value, &as);
    node = json_node_init_int (json_node_alloc (), g_value_get_int64 (&as));
  }
  if (G_IS_VALUE (&as))
    g_value_unset (&as);
  return node;
}

gchar *
rtfx_message_from_structure (const GstStructure * s)
{
  JsonObject *obj = json_object_new ();
  g_autoptr (JsonNode) root = NULL;

  json_object_set_string_member (obj, "type", gst_structure_get_name (s));
  add_fields (obj, s);
  root = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (root, obj);
  return rtfx_json_write (root);
}
