/* The page's controls come from the elements' own property specs, with no per-element code: a
 * property flagged GST_PARAM_CONTROLLABLE and GST_PARAM_MUTABLE_PLAYING says it may be tuned live,
 * and its GParamSpec gives the widget (type, range, enum values, default, nick and blurb). A `set`
 * is checked against the same spec before anything changes, so a page can reach nothing else.
 * An element with children of its own (GstChildProxy, not a bin: rtfxpyfilter's `params`) offers
 * its children's properties too, named as gst-launch names them: `child::property`. */
#include "controls.h"
#include "protocol.h"

#include <string.h>

#include "chain.h"

typedef enum
{
  KIND_INT,
  KIND_DOUBLE,
  KIND_BOOLEAN,
  KIND_ENUM,
  KIND_FLAGS,
  KIND_STRING,
  KIND_UNSUPPORTED,
} Kind;

static const gchar *kind_names[] = { "int", "double", "boolean", "enum", "flags",
  "string"
};

typedef struct
{
  GObject *target;              /* owned: the element, or its child */
  gchar *element_name;
  gchar *property;              /* "name", or "child::name" for a child's */
  GParamSpec *pspec;
  Kind kind;
} Control;

struct _RtfxControls
{
  GPtrArray *controls;          /* Control *, in chain order */
};

G_DEFINE_QUARK (rtfx-controls-error-quark, rtfx_controls_error)
#define RTFX_CONTROLS_ERROR rtfx_controls_error_quark ()

static Kind
kind_of (GParamSpec * pspec)
{
  switch (G_TYPE_FUNDAMENTAL (pspec->value_type)) {
    case G_TYPE_INT:
    case G_TYPE_UINT:
    case G_TYPE_LONG:
    case G_TYPE_ULONG:
    case G_TYPE_INT64:
    case G_TYPE_UINT64:
      return KIND_INT;
    case G_TYPE_DOUBLE:
    case G_TYPE_FLOAT:
      return KIND_DOUBLE;
    case G_TYPE_BOOLEAN:
      return KIND_BOOLEAN;
    case G_TYPE_ENUM:
      return KIND_ENUM;
    case G_TYPE_FLAGS:
      return KIND_FLAGS;
    case G_TYPE_STRING:
      return KIND_STRING;
    default:
      return KIND_UNSUPPORTED;
  }
}

static gboolean
is_writable (GParamSpec * pspec)
{
  return (pspec->flags & G_PARAM_WRITABLE) &&
      !(pspec->flags & G_PARAM_CONSTRUCT_ONLY);
}

static gboolean
is_live_tunable (GParamSpec * pspec)
{
  return is_writable (pspec) && (pspec->flags & GST_PARAM_CONTROLLABLE) &&
      (pspec->flags & GST_PARAM_MUTABLE_PLAYING);
}

static gboolean
is_named (const gchar * const *named, const gchar * element,
    const gchar * property)
{
  g_autofree gchar *full = g_strconcat (element, ".", property, NULL);

  return named != NULL && g_strv_contains (named, full);
}

static void
control_free (Control * c)
{
  g_object_unref (c->target);
  g_free (c->element_name);
  g_free (c->property);
  g_free (c);
}

/* Bins are left out: their children are elements of their own, not settings of the bin. */
static gboolean
has_child_settings (GstElement * element)
{
  return GST_IS_CHILD_PROXY (element) && !GST_IS_BIN (element);
}

/* The properties of target (element itself, or its child called child) that are controls. */
static void
add_controls_of (RtfxControls * controls, GObject * target,
    const gchar * element_name, const gchar * child,
    const gchar * const *named, gboolean auto_controls)
{
  guint n_specs;
  g_autofree GParamSpec **specs =
      g_object_class_list_properties (G_OBJECT_GET_CLASS (target), &n_specs);

  for (guint p = 0; p < n_specs; p++) {
    g_autofree gchar *property = child ?
        g_strconcat (child, "::", specs[p]->name, NULL) :
        g_strdup (specs[p]->name);
    Control *c;

    if (kind_of (specs[p]) == KIND_UNSUPPORTED || !is_writable (specs[p]))
      continue;
    if (!(auto_controls && is_live_tunable (specs[p])) &&
        !is_named (named, element_name, property))
      continue;
    c = g_new0 (Control, 1);
    c->target = g_object_ref (target);
    c->element_name = g_strdup (element_name);
    c->property = g_steal_pointer (&property);
    c->pspec = specs[p];
    c->kind = kind_of (specs[p]);
    g_ptr_array_add (controls->controls, c);
  }
}

RtfxControls *
rtfx_controls_new (GstElement * chain, const gchar * const *named,
    gboolean auto_controls)
{
  RtfxControls *controls = g_new0 (RtfxControls, 1);
  g_autoptr (GPtrArray) elements = rtfx_chain_elements (chain);

  controls->controls = g_ptr_array_new_with_free_func ((GDestroyNotify)
      control_free);
  for (guint i = 0; i < elements->len; i++) {
    GstElement *element = g_ptr_array_index (elements, i);
    const gchar *name = rtfx_chain_element_name (element);
    guint n_children;

    add_controls_of (controls, G_OBJECT (element), name, NULL, named,
        auto_controls);
    if (!has_child_settings (element))
      continue;
    n_children = gst_child_proxy_get_children_count (GST_CHILD_PROXY (element));
    for (guint k = 0; k < n_children; k++) {
      g_autoptr (GObject) child =
          gst_child_proxy_get_child_by_index (GST_CHILD_PROXY (element), k);

      /* Only a named child can be reached by `child::property`. */
      if (GST_IS_OBJECT (child))
        add_controls_of (controls, child, name, GST_OBJECT_NAME (child), named,
            auto_controls);
    }
  }
  return controls;
}

void
rtfx_controls_free (RtfxControls * controls)
{
  if (controls == NULL)
    return;
  g_ptr_array_unref (controls->controls);
  g_free (controls);
}

gboolean
rtfx_controls_exists (GstElement * chain, const gchar * name)
{
  g_autoptr (GPtrArray) elements = rtfx_chain_elements (chain);
  const gchar *dot = strrchr (name, '.');

  if (dot == NULL)
    return FALSE;
  for (guint i = 0; i < elements->len; i++) {
    GstElement *element = g_ptr_array_index (elements, i);
    GParamSpec *pspec;

    if (strncmp (rtfx_chain_element_name (element), name, dot - name) != 0 ||
        rtfx_chain_element_name (element)[dot - name] != '\0')
      continue;
    if (has_child_settings (element) && strstr (dot + 1, "::") != NULL) {
      g_autoptr (GObject) target = NULL;
      if (!gst_child_proxy_lookup (GST_CHILD_PROXY (element), dot + 1, &target,
              &pspec))
        continue;
      g_param_spec_unref (pspec);       /* the class still holds it */
    } else {
      pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (element),
          dot + 1);
    }
    if (pspec != NULL && is_writable (pspec) &&
        kind_of (pspec) != KIND_UNSUPPORTED)
      return TRUE;
  }
  return FALSE;
}

/* --- values between GValue and JSON ------------------------------------------------------ */

/* The range of an integer property, as gint64 (uint64 maxima beyond it are clamped). */
static void
int_range (GParamSpec * pspec, gint64 * min, gint64 * max)
{
  if (G_IS_PARAM_SPEC_INT (pspec)) {
    *min = G_PARAM_SPEC_INT (pspec)->minimum;
    *max = G_PARAM_SPEC_INT (pspec)->maximum;
  } else if (G_IS_PARAM_SPEC_UINT (pspec)) {
    *min = G_PARAM_SPEC_UINT (pspec)->minimum;
    *max = G_PARAM_SPEC_UINT (pspec)->maximum;
  } else if (G_IS_PARAM_SPEC_LONG (pspec)) {
    *min = G_PARAM_SPEC_LONG (pspec)->minimum;
    *max = G_PARAM_SPEC_LONG (pspec)->maximum;
  } else if (G_IS_PARAM_SPEC_ULONG (pspec)) {
    *min = G_PARAM_SPEC_ULONG (pspec)->minimum;
    *max = MIN (G_PARAM_SPEC_ULONG (pspec)->maximum, (guint64) G_MAXINT64);
  } else if (G_IS_PARAM_SPEC_INT64 (pspec)) {
    *min = G_PARAM_SPEC_INT64 (pspec)->minimum;
    *max = G_PARAM_SPEC_INT64 (pspec)->maximum;
  } else {
    *min = MIN (G_PARAM_SPEC_UINT64 (pspec)->minimum, (guint64) G_MAXINT64);
    *max = MIN (G_PARAM_SPEC_UINT64 (pspec)->maximum, (guint64) G_MAXINT64);
  }
}

static void
double_range (GParamSpec * pspec, gdouble * min, gdouble * max)
{
  if (G_IS_PARAM_SPEC_DOUBLE (pspec)) {
    *min = G_PARAM_SPEC_DOUBLE (pspec)->minimum;
    *max = G_PARAM_SPEC_DOUBLE (pspec)->maximum;
  } else {
    *min = G_PARAM_SPEC_FLOAT (pspec)->minimum;
    *max = G_PARAM_SPEC_FLOAT (pspec)->maximum;
  }
}

static void
add_choices (JsonBuilder * b, Control * c)
{
  json_builder_set_member_name (b, "values");
  json_builder_begin_array (b);
  if (c->kind == KIND_ENUM) {
    g_autoptr (GEnumClass) klass = g_type_class_ref (c->pspec->value_type);
    for (guint i = 0; i < klass->n_values; i++) {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "nick");
      json_builder_add_string_value (b, klass->values[i].value_nick);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, klass->values[i].value_name);
      json_builder_end_object (b);
    }
  } else {
    g_autoptr (GFlagsClass) klass = g_type_class_ref (c->pspec->value_type);
    for (guint i = 0; i < klass->n_values; i++) {
      if (klass->values[i].value == 0)
        continue;
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "nick");
      json_builder_add_string_value (b, klass->values[i].value_nick);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, klass->values[i].value_name);
      json_builder_end_object (b);
    }
  }
  json_builder_end_array (b);
}

static void
add_range (JsonBuilder * b, Control * c)
{
  if (c->kind == KIND_INT) {
    gint64 min, max;
    int_range (c->pspec, &min, &max);
    json_builder_set_member_name (b, "minimum");
    json_builder_add_int_value (b, min);
    json_builder_set_member_name (b, "maximum");
    json_builder_add_int_value (b, max);
  } else {
    gdouble min, max;
    double_range (c->pspec, &min, &max);
    json_builder_set_member_name (b, "minimum");
    json_builder_add_double_value (b, min);
    json_builder_set_member_name (b, "maximum");
    json_builder_add_double_value (b, max);
  }
}

static JsonNode *
current_value (Control * c)
{
  GValue value = G_VALUE_INIT;
  JsonNode *node;

  g_value_init (&value, c->pspec->value_type);
  g_object_get_property (c->target, c->pspec->name, &value);
  node = rtfx_json_from_value (&value);
  g_value_unset (&value);
  return node;
}

JsonNode *
rtfx_controls_describe (RtfxControls * controls)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_array (b);
  for (guint i = 0; i < controls->controls->len; i++) {
    Control *c = g_ptr_array_index (controls->controls, i);

    json_builder_begin_object (b);
    json_builder_set_member_name (b, "element");
    json_builder_add_string_value (b, c->element_name);
    json_builder_set_member_name (b, "property");
    json_builder_add_string_value (b, c->property);
    json_builder_set_member_name (b, "nick");
    json_builder_add_string_value (b, g_param_spec_get_nick (c->pspec));
    json_builder_set_member_name (b, "blurb");
    json_builder_add_string_value (b, g_param_spec_get_blurb (c->pspec));
    json_builder_set_member_name (b, "type");
    json_builder_add_string_value (b, kind_names[c->kind]);
    if (c->kind == KIND_INT || c->kind == KIND_DOUBLE)
      add_range (b, c);
    if (c->kind == KIND_ENUM || c->kind == KIND_FLAGS)
      add_choices (b, c);
    json_builder_set_member_name (b, "default");
    json_builder_add_value (b, rtfx_json_from_value
        (g_param_spec_get_default_value (c->pspec)));
    json_builder_set_member_name (b, "value");
    json_builder_add_value (b, current_value (c));
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  return json_builder_get_root (b);
}

/* --- set --------------------------------------------------------------------------------- */

static Control *
find_control (RtfxControls * controls, const gchar * element,
    const gchar * property)
{
  for (guint i = 0; i < controls->controls->len; i++) {
    Control *c = g_ptr_array_index (controls->controls, i);
    if (g_str_equal (c->element_name, element) &&
        g_str_equal (c->property, property))
      return c;
  }
  return NULL;
}

static gboolean
element_offered (RtfxControls * controls, const gchar * element)
{
  for (guint i = 0; i < controls->controls->len; i++) {
    Control *c = g_ptr_array_index (controls->controls, i);
    if (g_str_equal (c->element_name, element))
      return TRUE;
  }
  return FALSE;
}

static gboolean
is_json_type (JsonNode * node, GType type)
{
  return node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
      json_node_get_value_type (node) == type;
}

static gboolean
to_int (Control * c, JsonNode * node, GValue * value, GError ** error)
{
  gint64 v, min, max;
  GValue as = G_VALUE_INIT;

  if (!is_json_type (node, G_TYPE_INT64)) {
    g_set_error (error, RTFX_CONTROLS_ERROR, 0, "%s.%s takes an integer",
        c->element_name, c->property);
    return FALSE;
  }
  v = json_node_get_int (node);
  int_range (c->pspec, &min, &max);
  if (v < min || v > max) {
    g_set_error (error, RTFX_CONTROLS_ERROR, 0, "%s.%s: %" G_GINT64_FORMAT
        " is outside %" G_GINT64_FORMAT "–%" G_GINT64_FORMAT, c->element_name,
        c->property, v, min, max);
    return FALSE;
  }
  g_value_init (&as, G_TYPE_INT64);
  g_value_set_int64 (&as, v);
  g_value_transform (&as, value);
  return TRUE;
}

static gboolean
to_double (Control * c, JsonNode * node, GValue * value, GError ** error)
{
  gdouble v, min, max;
  GValue as = G_VALUE_INIT;

  if (!is_json_type (node, G_TYPE_DOUBLE) && !is_json_type (node, G_TYPE_INT64)) {
    g_set_error (error, RTFX_CONTROLS_ERROR, 0, "%s.%s takes a number",
        c->element_name, c->property);
    return FALSE;
  }
  v = json_node_get_double (node);
  double_range (c->pspec, &min, &max);
  if (v < min || v > max) {
    g_set_error (error, RTFX_CONTROLS_ERROR, 0, "%s.%s: %g is outside %g–%g",
        c->element_name, c->property, v, min, max);
    return FALSE;
  }
  g_value_init (&as, G_TYPE_DOUBLE);
  g_value_set_double (&as, v);
  g_value_transform (&as, value);
  return TRUE;
}

/* "a, b, c": the nicks of an enum or flags type, for error messages. */
static gchar *
nick_list (GType type)
{
  g_autoptr (GTypeClass) klass = g_type_class_ref (type);
  GString *list = g_string_new (NULL);

  if (G_IS_ENUM_CLASS (klass)) {
    for (guint i = 0; i < G_ENUM_CLASS (klass)->n_values; i++)
      g_string_append_printf (list, "%s%s", i ? ", " : "",
          G_ENUM_CLASS (klass)->values[i].value_nick);
  } else {
    for (guint i = 0; i < G_FLAGS_CLASS (klass)->n_values; i++)
      g_string_append_printf (list, "%s%s", i ? ", " : "",
          G_FLAGS_CLASS (klass)->values[i].value_nick);
  }
  return g_string_free (list, FALSE);
}

static gboolean
to_enum (Control * c, JsonNode * node, GValue * value, GError ** error)
{
  g_autoptr (GEnumClass) klass = g_type_class_ref (c->pspec->value_type);
  g_autofree gchar *nicks = NULL;
  GEnumValue *v;

  if (!is_json_type (node, G_TYPE_STRING)) {
    nicks = nick_list (c->pspec->value_type);
    g_set_error (error, RTFX_CONTROLS_ERROR, 0, "%s.%s takes one of: %s",
        c->element_name, c->property, nicks);
    return FALSE;
  }
  v = g_enum_get_value_by_nick (klass, json_node_get_string (node));
  if (v == NULL) {
    g_autofree gchar *quoted = rtfx_quote (json_node_get_string (node));
    nicks = nick_list (c->pspec->value_type);
    g_set_error (error, RTFX_CONTROLS_ERROR, 0, "%s.%s has no value '%s' "
        "(one of: %s)", c->element_name, c->property, quoted, nicks);
    return FALSE;
  }
  g_value_set_enum (value, v->value);
  return TRUE;
}

static gboolean
to_flags (Control * c, JsonNode * node, GValue * value, GError ** error)
{
  g_autoptr (GFlagsClass) klass = g_type_class_ref (c->pspec->value_type);
  g_autofree gchar *nicks = nick_list (c->pspec->value_type);
  JsonArray *array;
  guint flags = 0;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node)) {
    g_set_error (error, RTFX_CONTROLS_ERROR, 0, "%s.%s takes an array of "
        "flag names (of: %s)", c->element_name, c->property, nicks);
    return FALSE;
  }
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++) {
    JsonNode *item = json_array_get_element (array, i);
    const gchar *nick = is_json_type (item, G_TYPE_STRING) ?
        json_node_get_string (item) : NULL;
    GFlagsValue *v = nick ? g_flags_get_value_by_nick (klass, nick) : NULL;

    if (v == NULL) {
      g_autofree gchar *quoted = rtfx_quote (nick ? nick : "(not a string)");
      g_set_error (error, RTFX_CONTROLS_ERROR, 0, "%s.%s has no flag '%s' "
          "(flags: %s)", c->element_name, c->property, quoted, nicks);
      return FALSE;
    }
    flags |= v->value;
  }
  g_value_set_flags (value, flags);
  return TRUE;
}

static gboolean
to_gvalue (Control * c, JsonNode * node, GValue * value, GError ** error)
{
  g_value_init (value, c->pspec->value_type);
  switch (c->kind) {
    case KIND_INT:
      return to_int (c, node, value, error);
    case KIND_DOUBLE:
      return to_double (c, node, value, error);
    case KIND_ENUM:
      return to_enum (c, node, value, error);
    case KIND_FLAGS:
      return to_flags (c, node, value, error);
    case KIND_BOOLEAN:
      if (!is_json_type (node, G_TYPE_BOOLEAN))
        break;
      g_value_set_boolean (value, json_node_get_boolean (node));
      return TRUE;
    case KIND_STRING:
      if (!is_json_type (node, G_TYPE_STRING))
        break;
      g_value_set_string (value, json_node_get_string (node));
      return TRUE;
    case KIND_UNSUPPORTED:
      g_assert_not_reached ();
  }
  g_set_error (error, RTFX_CONTROLS_ERROR, 0, "%s.%s takes a %s",
      c->element_name, c->property, kind_names[c->kind]);
  return FALSE;
}

JsonNode *
rtfx_controls_set (RtfxControls * controls, const gchar * element,
    const gchar * property, JsonNode * value, GError ** error)
{
  Control *c = find_control (controls, element, property);
  GValue v = G_VALUE_INIT;

  if (c == NULL) {
    g_autofree gchar *quoted_element = rtfx_quote (element);
    g_autofree gchar *quoted_property = rtfx_quote (property);

    if (!element_offered (controls, element))
      g_set_error (error, RTFX_CONTROLS_ERROR, 0, "the chain has no element "
          "'%s' with controls", quoted_element);
    else
      g_set_error (error, RTFX_CONTROLS_ERROR, 0, "'%s' of %s is not one of "
          "the controls", quoted_property, quoted_element);
    return NULL;
  }
  if (!to_gvalue (c, value, &v, error)) {
    g_value_unset (&v);
    return NULL;
  }
  /* Elements guard their properties themselves (the object lock), so this is safe while the
   * streaming threads run. */
  g_object_set_property (c->target, c->pspec->name, &v);
  g_value_unset (&v);
  return current_value (c);
}
