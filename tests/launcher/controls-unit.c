/* Unit tests for launcher/controls.c against docs/protocol.md ("Live controls and presets"): which
 * properties of a chain are offered, under which element names, described with which JSON members
 * and types; and `set`, which must apply a value of the right type and range and refuse everything
 * else with a sentence naming what was wrong, leaving every property of the chain as it was.
 *
 * Each description is checked twice: against literal expectations for the elements this project
 * makes (rtfxedges), and against the GParamSpec of the property it names, so that a type, a range,
 * a default or an enum value list read from the wrong place cannot pass. */
#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "chain.h"
#include "controls.h"

/* --- chains ----------------------------------------------------------------------------- */

static GstElement *
build (const gchar * desc)
{
  g_autoptr (GError) error = NULL;
  GstElement *chain = rtfx_chain_build (desc, &error);

  if (chain == NULL)
    g_error ("cannot build '%s': %s", desc, error->message);
  return chain;
}

static GstElement *
parent_element (GstPad * pad)
{
  GstObject *parent = pad ? gst_pad_get_parent (pad) : NULL;

  if (parent != NULL && !GST_IS_ELEMENT (parent))
    g_clear_object (&parent);
  return (GstElement *) parent;
}

/* The chain's elements from input to output (not references), following the links: the order in
 * which "a second and a third of the same kind" are counted. */
static GPtrArray *
chain_elements (GstElement * chain)
{
  GPtrArray *elements = g_ptr_array_new ();
  g_autoptr (GstPad) ghost = gst_element_get_static_pad (chain, "sink");
  g_autoptr (GstPad) target = gst_ghost_pad_get_target (GST_GHOST_PAD (ghost));
  GstElement *e = parent_element (target);

  while (e != NULL) {
    GstElement *next = NULL;
    GstIterator *it = gst_element_iterate_src_pads (e);
    GValue item = G_VALUE_INIT;

    g_ptr_array_add (elements, e);
    gst_object_unref (e);       /* the bin keeps it */
    while (next == NULL && gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
      g_autoptr (GstPad) peer = gst_pad_get_peer (g_value_get_object (&item));

      /* The last element's peer is the inside of the bin's "src" ghost pad: no element. */
      next = parent_element (peer);
      if (next == chain)
        g_clear_object (&next);
      g_value_reset (&item);
    }
    g_value_unset (&item);
    gst_iterator_free (it);
    e = next;
  }
  return elements;
}

static const gchar *
factory_name (GstElement * e)
{
  return GST_OBJECT_NAME (gst_element_get_factory (e));
}

/* Whether the chain's description named e (name=…) rather than gst_parse giving it "factoryN". */
static gboolean
named_by_user (GstElement * e)
{
  const gchar *name = GST_OBJECT_NAME (e);
  const gchar *factory = factory_name (e);
  gsize len = strlen (factory);

  if (!g_str_has_prefix (name, factory) || name[len] == '\0')
    return TRUE;
  for (const gchar * p = name + len; *p; p++)
    if (!g_ascii_isdigit (*p))
      return TRUE;
  return FALSE;
}

/* The element the protocol calls `name` in chain (docs/protocol.md: factory name, then -2, -3, …
 * in chain order, or the chain's own name=), or NULL. */
static GstElement *
element_called (GstElement * chain, const gchar * name)
{
  g_autoptr (GPtrArray) elements = chain_elements (chain);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < elements->len; i++) {
    GstElement *e = g_ptr_array_index (elements, i);
    g_autofree gchar *called = NULL;

    if (named_by_user (e)) {
      called = g_strdup (GST_OBJECT_NAME (e));
    } else {
      guint n = GPOINTER_TO_UINT (g_hash_table_lookup (seen,
              factory_name (e))) + 1;

      g_hash_table_insert (seen, (gpointer) factory_name (e),
          GUINT_TO_POINTER (n));
      called = n == 1 ? g_strdup (factory_name (e)) :
          g_strdup_printf ("%s-%u", factory_name (e), n);
    }
    if (g_str_equal (called, name))
      return e;
  }
  return NULL;
}

static GParamSpec *
pspec_of (GstElement * e, const gchar * property)
{
  return g_object_class_find_property (G_OBJECT_GET_CLASS (e), property);
}

/* Every readable property of every element of chain, as text: what a refused set must not change.
 * skip ("element.property", may be NULL) leaves out the one an accepted set changes. */
static gchar *
snapshot (GstElement * chain, const gchar * skip_element,
    const gchar * skip_property)
{
  g_autoptr (GPtrArray) elements = chain_elements (chain);
  GstElement *skipped = skip_element ? element_called (chain, skip_element) : NULL;
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < elements->len; i++) {
    GstElement *e = g_ptr_array_index (elements, i);
    guint n;
    g_autofree GParamSpec **specs =
        g_object_class_list_properties (G_OBJECT_GET_CLASS (e), &n);

    for (guint j = 0; j < n; j++) {
      GValue v = G_VALUE_INIT;
      g_autofree gchar *text = NULL;

      if (!(specs[j]->flags & G_PARAM_READABLE))
        continue;
      if (e == skipped && g_str_equal (specs[j]->name, skip_property))
        continue;
      g_value_init (&v, specs[j]->value_type);
      g_object_get_property (G_OBJECT (e), specs[j]->name, &v);
      text = g_strdup_value_contents (&v);
      g_string_append_printf (s, "%s.%s=%s\n", GST_OBJECT_NAME (e),
          specs[j]->name, text);
      g_value_unset (&v);
    }
  }
  return g_string_free (s, FALSE);
}

/* --- descriptions ----------------------------------------------------------------------- */

static JsonArray *
describe (RtfxControls * controls)
{
  g_autoptr (JsonNode) node = rtfx_controls_describe (controls);

  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (node));
  /* Through text and back: what the page gets is what json-glib writes. */
  {
    g_autofree gchar *text = json_to_string (node, FALSE);
    g_autoptr (GError) error = NULL;
    g_autoptr (JsonNode) again = json_from_string (text, &error);

    g_assert_no_error (error);
    g_assert_true (JSON_NODE_HOLDS_ARRAY (again));
    return json_array_ref (json_node_get_array (again));
  }
}

static JsonObject *
find_control (JsonArray * controls, const gchar * element,
    const gchar * property)
{
  JsonObject *found = NULL;

  for (guint i = 0; i < json_array_get_length (controls); i++) {
    JsonObject *o = json_array_get_object_element (controls, i);

    g_assert_nonnull (o);
    if (g_strcmp0 (json_object_get_string_member_with_default (o, "element",
                NULL), element) == 0
        && g_strcmp0 (json_object_get_string_member_with_default (o,
                "property", NULL), property) == 0) {
      if (found != NULL)
        g_error ("%s.%s is offered twice", element, property);
      found = o;
    }
  }
  return found;
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const gchar * const *) a, *(const gchar * const *) b);
}

static gchar *
sorted_join (GPtrArray * strings)
{
  g_ptr_array_sort (strings, compare_strings);
  g_ptr_array_add (strings, NULL);
  {
    gchar *joined = g_strjoinv (",", (gchar **) strings->pdata);

    g_ptr_array_remove_index (strings, strings->len - 1);
    return joined;
  }
}

/* The controls as a sorted "element.property,element.property" list, for exact comparisons. */
static gchar *
control_names (JsonArray * controls)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < json_array_get_length (controls); i++) {
    JsonObject *o = json_array_get_object_element (controls, i);

    g_ptr_array_add (names, g_strdup_printf ("%s.%s",
            json_object_get_string_member_with_default (o, "element", "?"),
            json_object_get_string_member_with_default (o, "property", "?")));
  }
  return sorted_join (names);
}

static void
assert_controls (JsonArray * controls, const gchar * expected)
{
  g_autofree gchar *names = control_names (controls);

  g_assert_cmpstr (names, ==, expected);
}

static JsonNode *
member (JsonObject * o, const gchar * name)
{
  JsonNode *n = json_object_get_member (o, name);

  if (n == NULL)
    g_error ("control %s.%s has no '%s'",
        json_object_get_string_member_with_default (o, "element", "?"),
        json_object_get_string_member_with_default (o, "property", "?"), name);
  return n;
}

static gboolean
is_integer (JsonNode * n)
{
  return JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_INT64;
}

static gboolean
is_number (JsonNode * n)
{
  return JSON_NODE_HOLDS_VALUE (n) && (json_node_get_value_type (n) ==
      G_TYPE_INT64 || json_node_get_value_type (n) == G_TYPE_DOUBLE);
}

static gboolean
is_string (JsonNode * n)
{
  return JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING;
}

static gboolean
is_boolean (JsonNode * n)
{
  return JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_BOOLEAN;
}

static void
assert_member_integer (JsonObject * o, const gchar * name, gint64 expected)
{
  JsonNode *n = member (o, name);

  if (!is_integer (n))
    g_error ("'%s' of %s is %s, not a JSON integer", name,
        json_object_get_string_member (o, "property"), json_node_type_name (n));
  g_assert_cmpint (json_node_get_int (n), ==, expected);
}

static void
assert_member_number (JsonObject * o, const gchar * name, gdouble expected)
{
  JsonNode *n = member (o, name);

  if (!is_number (n))
    g_error ("'%s' of %s is %s, not a JSON number", name,
        json_object_get_string_member (o, "property"), json_node_type_name (n));
  g_assert_cmpfloat_with_epsilon (json_node_get_double (n), expected,
      fabs (expected) * 1e-12 + 1e-300);
}

static void
assert_member_string (JsonObject * o, const gchar * name, const gchar * expected)
{
  JsonNode *n = member (o, name);

  if (!is_string (n))
    g_error ("'%s' of %s is %s, not a JSON string", name,
        json_object_get_string_member (o, "property"), json_node_type_name (n));
  g_assert_cmpstr (json_node_get_string (n), ==, expected);
}

static void
assert_member_boolean (JsonObject * o, const gchar * name, gboolean expected)
{
  JsonNode *n = member (o, name);

  if (!is_boolean (n))
    g_error ("'%s' of %s is %s, not true or false", name,
        json_object_get_string_member (o, "property"), json_node_type_name (n));
  g_assert_cmpint (json_node_get_boolean (n), ==, expected);
}

/* Flags as the protocol writes them: the nicks of the set bits, in any order, each once. */
static gchar *
nicks_of_flags (GType type, guint flags)
{
  g_autoptr (GFlagsClass) klass = g_type_class_ref (type);
  g_autoptr (GPtrArray) nicks = g_ptr_array_new ();

  for (guint i = 0; i < klass->n_values; i++) {
    guint bit = klass->values[i].value;

    if (bit != 0 && (flags & bit) == bit)
      g_ptr_array_add (nicks, (gpointer) klass->values[i].value_nick);
  }
  return sorted_join (nicks);
}

static gchar *
nicks_of_array (JsonNode * n, const gchar * what)
{
  g_autoptr (GPtrArray) nicks = g_ptr_array_new ();
  JsonArray *a;

  if (!JSON_NODE_HOLDS_ARRAY (n))
    g_error ("%s is %s, not an array of nicks", what, json_node_type_name (n));
  a = json_node_get_array (n);
  for (guint i = 0; i < json_array_get_length (a); i++) {
    JsonNode *e = json_array_get_element (a, i);

    if (!is_string (e))
      g_error ("%s has a %s, not a nick", what, json_node_type_name (e));
    g_ptr_array_add (nicks, (gpointer) json_node_get_string (e));
  }
  return sorted_join (nicks);
}

/* `values` of an enum or flags control: every value of the type, as {nick, name}, each once. A
 * flags type's zero value ("none"), which is no flag to choose, may be left out. */
static void
assert_values_member (JsonObject * o, GEnumValue * values, guint n_values,
    gboolean flags)
{
  JsonNode *n = member (o, "values");
  JsonArray *a;
  guint zeros = 0;

  g_assert_true (JSON_NODE_HOLDS_ARRAY (n));
  a = json_node_get_array (n);
  for (guint i = 0; flags && i < n_values; i++)
    zeros += values[i].value == 0;
  if (json_array_get_length (a) != n_values)
    g_assert_cmpuint (json_array_get_length (a), ==, n_values - zeros);
  for (guint i = 0; i < n_values; i++) {
    gboolean found = FALSE;

    if (flags && values[i].value == 0)
      continue;

    for (guint j = 0; j < json_array_get_length (a) && !found; j++) {
      JsonObject *v = json_array_get_object_element (a, j);

      g_assert_nonnull (v);
      g_assert_true (is_string (member (v, "nick")));
      g_assert_true (is_string (member (v, "name")));
      found = g_str_equal (json_object_get_string_member (v, "nick"),
          values[i].value_nick);
      if (found)
        g_assert_cmpstr (json_object_get_string_member (v, "name"), ==,
            values[i].value_name);
    }
    if (!found)
      g_error ("'values' of %s lacks '%s'",
          json_object_get_string_member (o, "property"), values[i].value_nick);
  }
}

/* The limits of an integer pspec, widened to what a JSON integer (gint64) can hold. */
static void
int_limits (GParamSpec * p, gint64 * min, gint64 * max, gint64 * def)
{
  switch (G_TYPE_FUNDAMENTAL (p->value_type)) {
#define LIMITS(T, SPEC) case T: *min = SPEC (p)->minimum; *max = SPEC (p)->maximum; \
      *def = SPEC (p)->default_value; break
      LIMITS (G_TYPE_INT, G_PARAM_SPEC_INT);
      LIMITS (G_TYPE_UINT, G_PARAM_SPEC_UINT);
      LIMITS (G_TYPE_LONG, G_PARAM_SPEC_LONG);
      LIMITS (G_TYPE_INT64, G_PARAM_SPEC_INT64);
#undef LIMITS
    case G_TYPE_ULONG:
      *min = G_PARAM_SPEC_ULONG (p)->minimum;
      *max = MIN (G_PARAM_SPEC_ULONG (p)->maximum, (gulong) G_MAXINT64);
      *def = G_PARAM_SPEC_ULONG (p)->default_value;
      break;
    case G_TYPE_UINT64:
      *min = G_PARAM_SPEC_UINT64 (p)->minimum;
      *max = MIN (G_PARAM_SPEC_UINT64 (p)->maximum, (guint64) G_MAXINT64);
      *def = G_PARAM_SPEC_UINT64 (p)->default_value;
      break;
    default:
      g_assert_not_reached ();
  }
}

static gint64
int_value (GValue * v)
{
  switch (G_TYPE_FUNDAMENTAL (G_VALUE_TYPE (v))) {
    case G_TYPE_INT:
      return g_value_get_int (v);
    case G_TYPE_UINT:
      return g_value_get_uint (v);
    case G_TYPE_LONG:
      return g_value_get_long (v);
    case G_TYPE_ULONG:
      return (gint64) g_value_get_ulong (v);
    case G_TYPE_INT64:
      return g_value_get_int64 (v);
    case G_TYPE_UINT64:
      return (gint64) g_value_get_uint64 (v);
    default:
      g_assert_not_reached ();
  }
}

/* One control checked against the property it names: nick, blurb, type, limits, default, the value
 * the element has now, and for enums and flags every value of the type. */
static void
check_against_pspec (GstElement * chain, JsonObject * o)
{
  const gchar *element = json_object_get_string_member_with_default (o,
      "element", NULL);
  const gchar *property = json_object_get_string_member_with_default (o,
      "property", NULL);
  GstElement *e;
  GParamSpec *p;
  GValue now = G_VALUE_INIT;

  g_assert_nonnull (element);
  g_assert_nonnull (property);
  e = element_called (chain, element);
  if (e == NULL)
    g_error ("control %s.%s: the chain has no element called '%s'", element,
        property, element);
  p = pspec_of (e, property);
  g_assert_nonnull (p);
  assert_member_string (o, "nick", g_param_spec_get_nick (p));
  assert_member_string (o, "blurb", g_param_spec_get_blurb (p));
  g_value_init (&now, p->value_type);
  g_object_get_property (G_OBJECT (e), property, &now);

  switch (G_TYPE_FUNDAMENTAL (p->value_type)) {
    case G_TYPE_INT:
    case G_TYPE_UINT:
    case G_TYPE_LONG:
    case G_TYPE_ULONG:
    case G_TYPE_INT64:
    case G_TYPE_UINT64:{
      gint64 min, max, def;
      JsonNode *maximum = member (o, "maximum");

      int_limits (p, &min, &max, &def);
      assert_member_string (o, "type", "int");
      assert_member_integer (o, "minimum", min);
      /* A uint64 maximum above G_MAXINT64 has no JSON integer in json-glib: clamped is right,
       * wrapped to a negative number is not. */
      g_assert_true (is_number (maximum));
      if (is_integer (maximum))
        g_assert_cmpint (json_node_get_int (maximum), ==, max);
      else
        g_assert_cmpfloat (json_node_get_double (maximum), >=, (gdouble) max);
      assert_member_integer (o, "default", def);
      assert_member_integer (o, "value", int_value (&now));
      break;
    }
    case G_TYPE_DOUBLE:
      assert_member_string (o, "type", "double");
      assert_member_number (o, "minimum", G_PARAM_SPEC_DOUBLE (p)->minimum);
      assert_member_number (o, "maximum", G_PARAM_SPEC_DOUBLE (p)->maximum);
      assert_member_number (o, "default",
          G_PARAM_SPEC_DOUBLE (p)->default_value);
      assert_member_number (o, "value", g_value_get_double (&now));
      break;
    case G_TYPE_FLOAT:
      assert_member_string (o, "type", "double");
      assert_member_number (o, "minimum", G_PARAM_SPEC_FLOAT (p)->minimum);
      assert_member_number (o, "maximum", G_PARAM_SPEC_FLOAT (p)->maximum);
      assert_member_number (o, "default", G_PARAM_SPEC_FLOAT (p)->default_value);
      assert_member_number (o, "value", g_value_get_float (&now));
      break;
    case G_TYPE_BOOLEAN:
      assert_member_string (o, "type", "boolean");
      assert_member_boolean (o, "default",
          G_PARAM_SPEC_BOOLEAN (p)->default_value);
      assert_member_boolean (o, "value", g_value_get_boolean (&now));
      break;
    case G_TYPE_ENUM:{
      GEnumClass *klass = G_PARAM_SPEC_ENUM (p)->enum_class;

      assert_member_string (o, "type", "enum");
      assert_member_string (o, "default", g_enum_get_value (klass,
              G_PARAM_SPEC_ENUM (p)->default_value)->value_nick);
      assert_member_string (o, "value", g_enum_get_value (klass,
              g_value_get_enum (&now))->value_nick);
      assert_values_member (o, klass->values, klass->n_values, FALSE);
      break;
    }
    case G_TYPE_FLAGS:{
      GFlagsClass *klass = G_PARAM_SPEC_FLAGS (p)->flags_class;
      g_autofree gchar *def = nicks_of_array (member (o, "default"), "default");
      g_autofree gchar *value = nicks_of_array (member (o, "value"), "value");
      g_autofree gchar *want_def = nicks_of_flags (p->value_type,
          G_PARAM_SPEC_FLAGS (p)->default_value);
      g_autofree gchar *want_value = nicks_of_flags (p->value_type,
          g_value_get_flags (&now));

      assert_member_string (o, "type", "flags");
      g_assert_cmpstr (def, ==, want_def);
      g_assert_cmpstr (value, ==, want_value);
      /* GFlagsValue and GEnumValue have the same layout: value, name, nick. */
      assert_values_member (o, (GEnumValue *) klass->values, klass->n_values,
          TRUE);
      break;
    }
    case G_TYPE_STRING:{
      const gchar *def = G_PARAM_SPEC_STRING (p)->default_value;
      const gchar *value = g_value_get_string (&now);

      assert_member_string (o, "type", "string");
      assert_member_string (o, "default", def ? def : "");
      assert_member_string (o, "value", value ? value : "");
      break;
    }
    default:
      g_error ("%s.%s (%s) is offered, but the protocol has no type for it",
          element, property, g_type_name (p->value_type));
  }
  g_value_unset (&now);
}

/* Whether the protocol's type table has a row for the property's type. */
static gboolean
has_protocol_type (GParamSpec * p)
{
  switch (G_TYPE_FUNDAMENTAL (p->value_type)) {
    case G_TYPE_INT:
    case G_TYPE_UINT:
    case G_TYPE_LONG:
    case G_TYPE_ULONG:
    case G_TYPE_INT64:
    case G_TYPE_UINT64:
    case G_TYPE_DOUBLE:
    case G_TYPE_FLOAT:
    case G_TYPE_BOOLEAN:
    case G_TYPE_ENUM:
    case G_TYPE_FLAGS:
    case G_TYPE_STRING:
      return TRUE;
    default:
      return FALSE;
  }
}

/* The properties the protocol wants offered without --control: writable, controllable and mutable
 * in PLAYING, as "element.property" in the protocol's element names, sorted and joined. */
static gchar *
expected_auto (GstElement * chain)
{
  g_autoptr (GPtrArray) elements = chain_elements (chain);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const GParamFlags wanted = G_PARAM_WRITABLE | GST_PARAM_CONTROLLABLE |
      GST_PARAM_MUTABLE_PLAYING;

  for (guint i = 0; i < elements->len; i++) {
    GstElement *e = g_ptr_array_index (elements, i);
    const gchar *called = NULL;
    g_autofree gchar *candidate = NULL;
    guint n;
    g_autofree GParamSpec **specs = NULL;

    if (named_by_user (e)) {
      called = GST_OBJECT_NAME (e);
    } else {
      for (guint k = 1; called == NULL && k <= elements->len; k++) {
        g_free (candidate);
        candidate = k == 1 ? g_strdup (factory_name (e)) :
            g_strdup_printf ("%s-%u", factory_name (e), k);
        if (element_called (chain, candidate) == e)
          called = candidate;
      }
    }
    g_assert_nonnull (called);
    specs = g_object_class_list_properties (G_OBJECT_GET_CLASS (e), &n);
    for (guint j = 0; j < n; j++)
      if ((specs[j]->flags & wanted) == wanted && has_protocol_type (specs[j]))
        g_ptr_array_add (names, g_strdup_printf ("%s.%s", called,
                specs[j]->name));
  }
  return sorted_join (names);
}

/* Every control of the description matches its pspec. */
static void
check_all_against_pspecs (GstElement * chain, JsonArray * controls)
{
  for (guint i = 0; i < json_array_get_length (controls); i++)
    check_against_pspec (chain, json_array_get_object_element (controls, i));
}

/* --- what is offered -------------------------------------------------------------------- */

/* The default chain: rtfxedges' three tunables and nothing of rtfxlatest, whose properties are
 * read-only counters; the literal values are those of docs/protocol.md's example. */
static void
test_schema_default_chain (void)
{
  g_autoptr (GstElement) chain = build ("rtfxlatest ! rtfxedges");
  g_autoptr (RtfxControls) controls = rtfx_controls_new (chain, NULL, TRUE);
  g_autoptr (JsonArray) described = describe (controls);
  JsonObject *high, *low, *mode;
  JsonArray *values;

  assert_controls (described, "rtfxedges.high-threshold,"
      "rtfxedges.low-threshold,rtfxedges.mode");
  check_all_against_pspecs (chain, described);

  high = find_control (described, "rtfxedges", "high-threshold");
  assert_member_string (high, "type", "double");
  assert_member_string (high, "nick", "High threshold");
  g_assert_true (strstr (json_object_get_string_member (high, "blurb"),
          "Upper hysteresis threshold") != NULL);
  assert_member_number (high, "minimum", 0);
  assert_member_number (high, "maximum", 2040);
  assert_member_number (high, "default", 200);
  assert_member_number (high, "value", 200);

  low = find_control (described, "rtfxedges", "low-threshold");
  assert_member_string (low, "type", "double");
  assert_member_number (low, "default", 100);
  assert_member_number (low, "value", 100);

  mode = find_control (described, "rtfxedges", "mode");
  assert_member_string (mode, "type", "enum");
  assert_member_string (mode, "default", "edges");
  assert_member_string (mode, "value", "edges");
  values = json_object_get_array_member (mode, "values");
  g_assert_cmpuint (json_array_get_length (values), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element
          (values, 0), "nick"), ==, "edges");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element
          (values, 0), "name"), ==, "White edges on black");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element
          (values, 1), "nick"), ==, "overlay");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element
          (values, 1), "name"), ==,
      "White edges drawn over the original picture");
}

/* Values are read when the description is made, not when the controls are. */
static void
test_schema_values_read_now (void)
{
  g_autoptr (GstElement) chain = build ("rtfxlatest ! rtfxedges");
  g_autoptr (RtfxControls) controls = rtfx_controls_new (chain, NULL, TRUE);
  GstElement *edges = element_called (chain, "rtfxedges");
  g_autoptr (JsonArray) described = NULL;
  JsonObject *high, *mode;

  g_object_set (edges, "high-threshold", 321.5, NULL);
  gst_util_set_object_arg (G_OBJECT (edges), "mode", "overlay");
  described = describe (controls);
  high = find_control (described, "rtfxedges", "high-threshold");
  assert_member_number (high, "value", 321.5);
  assert_member_number (high, "default", 200);
  mode = find_control (described, "rtfxedges", "mode");
  assert_member_string (mode, "value", "overlay");
  assert_member_string (mode, "default", "edges");
  check_all_against_pspecs (chain, described);
}

/* videobalance's properties are controllable but not mutable in PLAYING (gst-inspect-1.0 shows no
 * "changeable in … PLAYING"): not offered unless named. */
static void
test_schema_videobalance_not_offered (void)
{
  g_autoptr (GstElement) chain = build ("rtfxedges ! videobalance");
  g_autoptr (RtfxControls) controls = rtfx_controls_new (chain, NULL, TRUE);
  g_autoptr (JsonArray) described = describe (controls);
  GstElement *balance = element_called (chain, "videobalance");
  GParamSpec *hue = pspec_of (balance, "hue");

  /* The premise, so a newer videobalance that becomes mutable fails here, not below. */
  g_assert_true (hue->flags & GST_PARAM_CONTROLLABLE);
  g_assert_false (hue->flags & GST_PARAM_MUTABLE_PLAYING);
  assert_controls (described, "rtfxedges.high-threshold,"
      "rtfxedges.low-threshold,rtfxedges.mode");
  check_all_against_pspecs (chain, described);
}

static void
test_schema_nothing_tunable (void)
{
  const gchar *chains[] = { "videoconvert ! identity", "rtfxlatest",
    "identity ! rtfxlatest ! videoconvert"
  };

  for (guint i = 0; i < G_N_ELEMENTS (chains); i++) {
    g_autoptr (GstElement) chain = build (chains[i]);
    g_autoptr (RtfxControls) controls = rtfx_controls_new (chain, NULL, TRUE);
    g_autoptr (JsonArray) described = describe (controls);

    g_test_message ("%s", chains[i]);
    assert_controls (described, "");
  }
}

/* Elements other than ours, checked against the rule itself: videoflip has two mutable enums. */
static void
test_schema_follows_the_flags (void)
{
  const gchar *chains[] = { "videoflip ! rtfxedges",
    "rtfxlatest ! videobalance ! videoflip ! identity ! rtfxedges mode=overlay",
  };

  for (guint i = 0; i < G_N_ELEMENTS (chains); i++) {
    g_autoptr (GstElement) chain = build (chains[i]);
    g_autoptr (RtfxControls) controls = rtfx_controls_new (chain, NULL, TRUE);
    g_autoptr (JsonArray) described = describe (controls);
    g_autofree gchar *expected = expected_auto (chain);

    g_test_message ("%s: %s", chains[i], expected);
    assert_controls (described, expected);
    check_all_against_pspecs (chain, described);
  }
  {
    g_autoptr (GstElement) chain = build ("videoflip");
    g_autoptr (RtfxControls) controls = rtfx_controls_new (chain, NULL, TRUE);
    g_autoptr (JsonArray) described = describe (controls);

    assert_controls (described, "videoflip.method,videoflip.video-direction");
    assert_member_string (find_control (described, "videoflip", "method"),
        "type", "enum");
  }
}

/* A second and third of a kind get -2 and -3 in chain order; the values show which is which. */
static void
test_schema_element_names (void)
{
  g_autoptr (GstElement) chain = build ("rtfxedges low-threshold=10 ! rtfxlatest"
      " ! rtfxedges low-threshold=20 ! rtfxedges low-threshold=30");
  g_autoptr (RtfxControls) controls = rtfx_controls_new (chain, NULL, TRUE);
  g_autoptr (JsonArray) described = describe (controls);

  assert_controls (described, "rtfxedges-2.high-threshold,"
      "rtfxedges-2.low-threshold,rtfxedges-2.mode,"
      "rtfxedges-3.high-threshold,rtfxedges-3.low-threshold,rtfxedges-3.mode,"
      "rtfxedges.high-threshold,rtfxedges.low-threshold,rtfxedges.mode");
  assert_member_number (find_control (described, "rtfxedges", "low-threshold"),
      "value", 10);
  assert_member_number (find_control (described, "rtfxedges-2",
          "low-threshold"), "value", 20);
  assert_member_number (find_control (described, "rtfxedges-3",
          "low-threshold"), "value", 30);
  check_all_against_pspecs (chain, described);
}

/* Names the chain gives are kept as they are. */
static void
test_schema_user_names (void)
{
  g_autoptr (GstElement) chain =
      build ("rtfxedges name=before ! rtfxlatest ! rtfxedges name=after");
  g_autoptr (RtfxControls) controls = rtfx_controls_new (chain, NULL, TRUE);
  g_autoptr (JsonArray) described = describe (controls);

  assert_controls (described, "after.high-threshold,after.low-threshold,"
      "after.mode,before.high-threshold,before.low-threshold,before.mode");
  check_all_against_pspecs (chain, described);
}

/* One named, one not: the named one keeps its name, the other is still told apart from it. */
static void
test_schema_mixed_names (void)
{
  g_autoptr (GstElement) chain =
      build ("rtfxedges name=mine low-threshold=11 ! rtfxedges low-threshold=22");
  g_autoptr (RtfxControls) controls = rtfx_controls_new (chain, NULL, TRUE);
  g_autoptr (JsonArray) described = describe (controls);
  JsonObject *mine = find_control (described, "mine", "low-threshold");
  JsonObject *other = find_control (described, "rtfxedges", "low-threshold");

  /* Whether the unnamed one counts as the first or second of its kind is not specified. */
  if (other == NULL)
    other = find_control (described, "rtfxedges-2", "low-threshold");
  g_assert_nonnull (mine);
  g_assert_nonnull (other);
  assert_member_number (mine, "value", 11);
  assert_member_number (other, "value", 22);
  g_assert_cmpuint (json_array_get_length (described), ==, 6);
}

#define IDENTITY_NAMED "identity.datarate,identity.drop-buffer-flags," \
  "identity.drop-probability,identity.eos-after,identity.silent," \
  "identity.sleep-time,identity.ts-offset"

/* --control adds writable properties of any type the protocol knows, next to the automatic ones. */
static void
test_schema_named (void)
{
  const gchar *named[] = { "identity.sleep-time", "identity.silent",
    "identity.drop-buffer-flags", "identity.drop-probability",
    "identity.ts-offset", "identity.eos-after", "identity.datarate",
    "progressreport.format", "queue.max-size-time", "videobalance.hue", NULL
  };
  g_autoptr (GstElement) chain = build ("rtfxlatest ! rtfxedges ! videobalance"
      " ! identity drop-buffer-flags=live+gap sleep-time=7 ! progressreport"
      " format=percent ! queue");
  g_autoptr (RtfxControls) controls = rtfx_controls_new (chain, named, TRUE);
  g_autoptr (JsonArray) described = describe (controls);
  JsonObject *o;

  assert_controls (described, IDENTITY_NAMED ",progressreport.format,"
      "queue.max-size-time,rtfxedges.high-threshold,rtfxedges.low-threshold,"
      "rtfxedges.mode,videobalance.hue");
  check_all_against_pspecs (chain, described);

  o = find_control (described, "identity", "sleep-time");      /* guint */
  assert_member_string (o, "type", "int");
  assert_member_integer (o, "minimum", 0);
  assert_member_integer (o, "maximum", G_MAXUINT32);
  assert_member_integer (o, "default", 0);
  assert_member_integer (o, "value", 7);
  o = find_control (described, "identity", "ts-offset");       /* gint64 */
  assert_member_integer (o, "minimum", G_MININT64);
  assert_member_integer (o, "maximum", G_MAXINT64);
  o = find_control (described, "identity", "eos-after");       /* gint */
  assert_member_integer (o, "minimum", -1);
  assert_member_integer (o, "default", -1);
  o = find_control (described, "identity", "drop-probability");        /* gfloat */
  assert_member_string (o, "type", "double");
  assert_member_number (o, "maximum", 1);
  o = find_control (described, "identity", "silent");
  assert_member_string (o, "type", "boolean");
  assert_member_boolean (o, "value", TRUE);
  o = find_control (described, "identity", "drop-buffer-flags");
  assert_member_string (o, "type", "flags");
  {
    g_autofree gchar *value = nicks_of_array (member (o, "value"), "value");
    g_autofree gchar *def = nicks_of_array (member (o, "default"), "default");

    g_assert_cmpstr (value, ==, "gap,live");
    g_assert_cmpstr (def, ==, "");
  }
  o = find_control (described, "progressreport", "format");
  assert_member_string (o, "type", "string");
  assert_member_string (o, "default", "auto");
  assert_member_string (o, "value", "percent");
  o = find_control (described, "queue", "max-size-time");      /* guint64, maximum G_MAXUINT64 */
  assert_member_string (o, "type", "int");
  assert_member_integer (o, "default", GST_SECOND);
  o = find_control (described, "videobalance", "hue");
  assert_member_number (o, "minimum", -1);
  assert_member_number (o, "maximum", 1);
}

/* Named properties the chain does not have are skipped (they may be another preset's), and so are
 * those that cannot be written; an automatic one named again is offered once. */
static void
test_schema_named_skipped (void)
{
  const gchar *named[] = { "videobalance.hue", "identity.nope",
    "nosuchelement.sleep-time", "rtfxlatest.dropped", "rtfxedges.mode",
    "rtfxedges-2.mode", "rtfxedges", "", ".", "rtfxedges.", ".mode", NULL
  };
  g_autoptr (GstElement) chain = build ("rtfxlatest ! rtfxedges");
  g_autoptr (RtfxControls) controls = rtfx_controls_new (chain, named, TRUE);
  g_autoptr (JsonArray) described = describe (controls);

  assert_controls (described, "rtfxedges.high-threshold,"
      "rtfxedges.low-threshold,rtfxedges.mode");
}

/* --no-auto-controls: the named ones only, however tunable the others are. */
static void
test_schema_no_auto (void)
{
  const gchar *named[] = { "rtfxedges-2.high-threshold", "identity.sleep-time",
    "videobalance.hue", NULL
  };
  g_autoptr (GstElement) chain =
      build ("rtfxedges ! identity ! rtfxedges high-threshold=300");

  {
    g_autoptr (RtfxControls) controls = rtfx_controls_new (chain, named, FALSE);
    g_autoptr (JsonArray) described = describe (controls);

    assert_controls (described,
        "identity.sleep-time,rtfxedges-2.high-threshold");
    assert_member_number (find_control (described, "rtfxedges-2",
            "high-threshold"), "value", 300);
    check_all_against_pspecs (chain, described);
  }
  {
    g_autoptr (RtfxControls) controls = rtfx_controls_new (chain, NULL, FALSE);
    g_autoptr (JsonArray) described = describe (controls);

    assert_controls (described, "");
  }
}

static void
test_exists (void)
{
  g_autoptr (GstElement) chain = build ("rtfxlatest ! rtfxedges ! identity ! "
      "rtfxedges name=last");
  const struct
  {
    const gchar *name;
    gboolean exists;
  } cases[] = {
    {"rtfxedges.high-threshold", TRUE},
    {"rtfxedges.mode", TRUE},
    {"rtfxedges.qos", TRUE},    /* writable, although not offered by default */
    {"identity.sleep-time", TRUE},
    {"last.low-threshold", TRUE},
    {"rtfxedges-2.mode", FALSE},        /* the second is called "last" */
    {"rtfxlatest.dropped", FALSE},      /* read-only */
    {"identity.last-message", FALSE},   /* read-only */
    {"identity.nope", FALSE},
    {"nosuchelement.mode", FALSE},
    {"videobalance.hue", FALSE},
    {"rtfxedges", FALSE},
    {"rtfxedges.", FALSE},
    {".mode", FALSE},
    {"", FALSE},
    {"rtfxedges.mode.extra", FALSE},
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_test_message ("%s", cases[i].name);
    g_assert_cmpint (rtfx_controls_exists (chain, cases[i].name), ==,
        cases[i].exists);
  }
  {
    g_autoptr (GstElement) two = build ("rtfxedges ! rtfxedges");

    g_assert_true (rtfx_controls_exists (two, "rtfxedges-2.mode"));
    g_assert_false (rtfx_controls_exists (two, "rtfxedges-3.mode"));
  }
}

/* An element with children of its own (GstChildProxy, not a bin) offers its children's
 * properties as `child::property`, as gst-launch names them; compositor's sink pads are such
 * children, and their properties are controllable but not flagged mutable in PLAYING. */
static void
test_child_settings (void)
{
  const gchar *named[] = { "compositor.sink_0::alpha", "compositor.sink_0::nope",
    "compositor.sink_9::alpha", NULL
  };
  g_autoptr (GstElement) chain = build ("identity ! compositor");
  GstElement *compositor = element_called (chain, "compositor");
  g_autoptr (GstPad) pad = gst_element_get_static_pad (compositor, "sink_0");
  g_autoptr (RtfxControls) controls = rtfx_controls_new (chain, named, FALSE);
  g_autoptr (JsonArray) described = describe (controls);
  g_autoptr (JsonNode) half = json_from_string ("0.25", NULL);
  g_autoptr (JsonNode) too_much = json_from_string ("2", NULL);
  g_autoptr (JsonNode) in_force = NULL;
  g_autoptr (GError) error = NULL;
  JsonObject *alpha;
  gdouble value;

  assert_controls (described, "compositor.sink_0::alpha");
  alpha = find_control (described, "compositor", "sink_0::alpha");
  assert_member_string (alpha, "type", "double");
  assert_member_number (alpha, "maximum", 1);
  assert_member_number (alpha, "value", 1);

  in_force = rtfx_controls_set (controls, "compositor", "sink_0::alpha", half,
      &error);
  g_assert_no_error (error);
  g_object_get (pad, "alpha", &value, NULL);
  g_assert_cmpfloat (value, ==, 0.25);
  g_assert_null (rtfx_controls_set (controls, "compositor", "sink_0::alpha",
          too_much, &error));
  g_assert_nonnull (strstr (error->message, "compositor.sink_0::alpha"));
  g_clear_error (&error);
  g_assert_null (rtfx_controls_set (controls, "compositor", "alpha", half,
          &error));
  g_clear_error (&error);
  g_object_get (pad, "alpha", &value, NULL);
  g_assert_cmpfloat (value, ==, 0.25);

  g_assert_true (rtfx_controls_exists (chain, "compositor.sink_0::alpha"));
  g_assert_false (rtfx_controls_exists (chain, "compositor.sink_0::nope"));
  g_assert_false (rtfx_controls_exists (chain, "compositor.sink_9::alpha"));
  g_assert_false (rtfx_controls_exists (chain, "compositor.sink_0::"));
  g_assert_false (rtfx_controls_exists (chain, "compositor.::alpha"));
}

/* The controls hold no reference once freed: the session drops the chain on a preset switch. */
static void
test_frees_what_it_takes (void)
{
  const gchar *named[] = { "identity.sleep-time", NULL };
  GstElement *chain = build ("rtfxlatest ! rtfxedges ! identity");
  g_autoptr (GPtrArray) elements = chain_elements (chain);
  RtfxControls *controls = rtfx_controls_new (chain, named, TRUE);
  g_autoptr (JsonNode) value = json_from_string ("300", NULL);
  g_autoptr (JsonNode) in_force = NULL;
  g_autoptr (JsonNode) described = rtfx_controls_describe (controls);
  g_autoptr (GError) error = NULL;

  in_force = rtfx_controls_set (controls, "rtfxedges", "high-threshold", value,
      &error);
  g_assert_no_error (error);
  rtfx_controls_free (controls);
  g_assert_cmpint (GST_OBJECT_REFCOUNT_VALUE (chain), ==, 1);
  for (guint i = 0; i < elements->len; i++)
    g_assert_cmpint (GST_OBJECT_REFCOUNT_VALUE (g_ptr_array_index (elements,
                i)), ==, 1);
  gst_object_unref (chain);
}

/* --- set -------------------------------------------------------------------------------- */

/* One chain for every set: ours, an element that is only partly offered (videobalance), and named
 * properties of each JSON type. */
#define SET_CHAIN "rtfxlatest ! rtfxedges ! videobalance ! identity ! " \
  "progressreport ! queue"
static const gchar *set_named[] = { "identity.sleep-time", "identity.silent",
  "identity.drop-buffer-flags", "identity.drop-probability",
  "identity.ts-offset", "identity.eos-after", "progressreport.format",
  "queue.max-size-time", "videobalance.brightness", NULL
};

typedef struct
{
  const gchar *what;
  const gchar *element;
  const gchar *property;
  const gchar *json;            /* the value sent */
  const gchar *in_force;        /* accepted: the value expected back (NULL: refused) */
  const gchar *names;           /* refused: the error names this (alternatives split by |) */
  const gchar *also;            /* and this: what a person needs to do better (alternatives) */
} SetCase;

#define OK(w, e, p, json, back) {w, e, p, json, back, NULL, NULL}
#define NO(w, e, p, json, names) {w, e, p, json, NULL, names, NULL}
/* Refused, and the error also says what would do: the limits, or the nicks there are. */
#define NO_BUT(w, e, p, json, names, also) {w, e, p, json, NULL, names, also}

static const SetCase set_cases[] = {
  OK ("double/integer", "rtfxedges", "high-threshold", "300", "300"),
  OK ("double/fraction", "rtfxedges", "high-threshold", "123.25", "123.25"),
  OK ("double/minimum", "rtfxedges", "high-threshold", "0", "0"),
  OK ("double/maximum", "rtfxedges", "high-threshold", "2040", "2040"),
  OK ("double/exponent", "rtfxedges", "low-threshold", "1.5e2", "150"),
  OK ("double/named", "videobalance", "brightness", "-1", "-1"),
  OK ("float", "identity", "drop-probability", "0.5", "0.5"),
  OK ("float/integer", "identity", "drop-probability", "1", "1"),
  OK ("enum", "rtfxedges", "mode", "\"overlay\"", "\"overlay\""),
  OK ("enum/default", "rtfxedges", "mode", "\"edges\"", "\"edges\""),
  OK ("uint", "identity", "sleep-time", "5", "5"),
  OK ("uint/maximum", "identity", "sleep-time", "4294967295", "4294967295"),
  OK ("int", "identity", "eos-after", "42", "42"),
  OK ("int/negative", "identity", "eos-after", "-1", "-1"),
  OK ("int64/minimum", "identity", "ts-offset", "-9223372036854775808",
      "-9223372036854775808"),
  OK ("int64/maximum", "identity", "ts-offset", "9223372036854775807",
      "9223372036854775807"),
  OK ("uint64", "queue", "max-size-time", "0", "0"),
  OK ("uint64/large", "queue", "max-size-time", "5000000000000",
      "5000000000000"),
  OK ("boolean", "identity", "silent", "false", "false"),
  OK ("flags", "identity", "drop-buffer-flags", "[\"live\",\"gap\"]",
      "[\"gap\",\"live\"]"),
  OK ("flags/one", "identity", "drop-buffer-flags", "[\"header\"]",
      "[\"header\"]"),
  OK ("flags/none", "identity", "drop-buffer-flags", "[]", "[]"),
  OK ("string", "progressreport", "format", "\"percent\"", "\"percent\""),
  OK ("string/empty", "progressreport", "format", "\"\"", "\"\""),
  OK ("string/unicode", "progressreport", "format", "\"\\u00e9t\\u00e9\"",
      "\"\xc3\xa9t\xc3\xa9\""),

  NO ("unknown-element", "nosuchelement", "high-threshold", "300",
      "nosuchelement"),
  NO ("unknown-element/empty", "", "high-threshold", "300", "high-threshold|element"),
  NO ("unknown-element/wrong-case", "RtfxEdges", "high-threshold", "300",
      "RtfxEdges"),
  NO ("unknown-element/second", "rtfxedges-2", "high-threshold", "300",
      "rtfxedges-2"),
  NO ("unknown-property", "rtfxedges", "threshold", "300", "threshold"),
  NO ("unknown-property/empty", "rtfxedges", "", "300", "rtfxedges|property"),
  NO ("unknown-property/other-element", "rtfxlatest", "high-threshold", "300",
      "rtfxlatest|high-threshold"),
  NO ("not-offered/name", "rtfxedges", "name", "\"renamed\"", "name"),
  NO ("not-offered/qos", "rtfxedges", "qos", "false", "qos"),
  NO ("not-offered/read-only", "rtfxlatest", "dropped", "0",
      "rtfxlatest|dropped"),
  NO ("not-offered/not-mutable", "videobalance", "hue", "0.5", "hue"),
  NO ("not-offered/not-named", "identity", "dump", "true", "dump"),
  NO ("not-offered/parent", "identity", "parent", "null", "parent"),
  NO ("type/string-for-double", "rtfxedges", "high-threshold", "\"300\"",
      "high-threshold"),
  NO ("type/boolean-for-double", "rtfxedges", "high-threshold", "true",
      "high-threshold"),
  NO ("type/float-for-int", "identity", "sleep-time", "5.5", "sleep-time"),
  NO ("type/integral-float-for-int", "identity", "sleep-time", "5.0",
      "sleep-time"),
  NO ("type/huge-for-int", "identity", "eos-after", "1e20", "eos-after"),
  NO ("type/string-for-int", "identity", "sleep-time", "\"5\"", "sleep-time"),
  NO ("type/boolean-for-int", "identity", "eos-after", "true", "eos-after"),
  NO ("type/number-for-enum", "rtfxedges", "mode", "1", "mode"),
  NO ("type/boolean-for-enum", "rtfxedges", "mode", "true", "mode"),
  NO ("type/number-for-boolean", "identity", "silent", "1", "silent"),
  NO ("type/string-for-boolean", "identity", "silent", "\"false\"", "silent"),
  NO ("type/string-for-flags", "identity", "drop-buffer-flags", "\"live\"",
      "drop-buffer-flags"),
  NO ("type/number-for-flags", "identity", "drop-buffer-flags", "16",
      "drop-buffer-flags"),
  NO ("type/numbers-in-flags", "identity", "drop-buffer-flags", "[16]",
      "drop-buffer-flags"),
  NO ("type/number-for-string", "progressreport", "format", "5", "format"),
  NO ("type/boolean-for-string", "progressreport", "format", "false",
      "format"),
  NO_BUT ("range/below-minimum", "rtfxedges", "high-threshold", "-1",
      "high-threshold", "2040"),
  NO_BUT ("range/above-maximum", "rtfxedges", "high-threshold", "2040.5",
      "high-threshold", "2040"),
  NO ("range/huge", "rtfxedges", "low-threshold", "1e300", "low-threshold"),
  NO ("range/named-double", "videobalance", "brightness", "1.01",
      "brightness"),
  NO_BUT ("range/float-above", "identity", "drop-probability", "1.5",
      "drop-probability", "1"),
  NO ("range/float-below", "identity", "drop-probability", "-0.1",
      "drop-probability"),
  NO ("range/uint-negative", "identity", "sleep-time", "-1", "sleep-time"),
  NO_BUT ("range/uint-above", "identity", "sleep-time", "4294967296",
      "sleep-time", "4294967295"),
  NO ("range/int-below", "identity", "eos-after", "-2", "eos-after"),
  NO ("range/int-above", "identity", "eos-after", "2147483648", "eos-after"),
  NO ("range/uint64-negative", "queue", "max-size-time", "-1",
      "max-size-time"),
  NO_BUT ("malformed/unknown-nick", "rtfxedges", "mode", "\"sideways\"", "mode",
      "overlay"),
  NO_BUT ("malformed/nick-case", "rtfxedges", "mode", "\"EDGES\"", "mode",
      "overlay"),
  NO ("malformed/name-not-nick", "rtfxedges", "mode",
      "\"White edges on black\"", "mode"),
  NO ("malformed/empty-nick", "rtfxedges", "mode", "\"\"", "mode"),
  NO_BUT ("malformed/unknown-flag", "identity", "drop-buffer-flags",
      "[\"live\",\"bogus\"]", "drop-buffer-flags", "bogus|decode-only"),
  NO ("malformed/null-in-flags", "identity", "drop-buffer-flags",
      "[\"live\",null]", "drop-buffer-flags"),
  NO ("malformed/null-double", "rtfxedges", "high-threshold", "null",
      "high-threshold"),
  NO ("malformed/null-enum", "rtfxedges", "mode", "null", "mode"),
  NO ("malformed/null-int", "identity", "sleep-time", "null", "sleep-time"),
  NO ("malformed/null-boolean", "identity", "silent", "null", "silent"),
  NO ("malformed/null-string", "progressreport", "format", "null", "format"),
  NO ("malformed/null-flags", "identity", "drop-buffer-flags", "null",
      "drop-buffer-flags"),
  NO ("malformed/object", "rtfxedges", "high-threshold", "{\"value\":300}",
      "high-threshold"),
  NO ("malformed/array", "rtfxedges", "high-threshold", "[300]",
      "high-threshold"),
  NO ("malformed/object-for-enum", "rtfxedges", "mode",
      "{\"nick\":\"overlay\"}", "mode"),
  NO ("malformed/object-for-flags", "identity", "drop-buffer-flags",
      "{\"live\":true}", "drop-buffer-flags"),
  NO ("malformed/array-for-string", "progressreport", "format",
      "[\"percent\"]", "format"),
};

static gboolean
names_one_of (const gchar * message, const gchar * alternatives)
{
  g_auto (GStrv) names = g_strsplit (alternatives, "|", -1);

  for (guint i = 0; names[i]; i++)
    if (strstr (message, names[i]) != NULL)
      return TRUE;
  return FALSE;
}

/* Two JSON values are the same to the page: numbers by value, flags arrays in any order. */
static void
assert_json_equal (JsonNode * got, const gchar * expected_text)
{
  g_autoptr (JsonNode) expected = json_from_string (expected_text, NULL);
  g_autofree gchar *got_text = json_to_string (got, FALSE);

  g_assert_nonnull (expected);
  if (is_number (expected)) {
    if (!is_number (got))
      g_error ("got %s, expected the number %s", got_text, expected_text);
    if (is_integer (expected) && is_integer (got))
      g_assert_cmpint (json_node_get_int (got), ==, json_node_get_int (expected));
    else
      g_assert_cmpfloat (json_node_get_double (got), ==,
          json_node_get_double (expected));
  } else if (JSON_NODE_HOLDS_ARRAY (expected)) {
    g_autofree gchar *a = nicks_of_array (got, "the value in force");
    g_autofree gchar *b = nicks_of_array (expected, "expected");

    g_assert_cmpstr (a, ==, b);
  } else if (!json_node_equal (got, expected)) {
    g_error ("got %s, expected %s", got_text, expected_text);
  }
}

/* The element's property, written as the protocol would: what g_object_get says is in force. */
static void
assert_property_is (GstElement * e, const gchar * property, const gchar * json)
{
  GParamSpec *p = pspec_of (e, property);
  g_autoptr (JsonNode) expected = json_from_string (json, NULL);
  GValue v = G_VALUE_INIT;

  g_value_init (&v, p->value_type);
  g_object_get_property (G_OBJECT (e), property, &v);
  switch (G_TYPE_FUNDAMENTAL (p->value_type)) {
    case G_TYPE_DOUBLE:
      g_assert_cmpfloat (g_value_get_double (&v), ==,
          json_node_get_double (expected));
      break;
    case G_TYPE_FLOAT:
      g_assert_cmpfloat (g_value_get_float (&v), ==,
          (gfloat) json_node_get_double (expected));
      break;
    case G_TYPE_BOOLEAN:
      g_assert_cmpint (g_value_get_boolean (&v), ==,
          json_node_get_boolean (expected));
      break;
    case G_TYPE_ENUM:
      g_assert_cmpstr (g_enum_get_value (G_PARAM_SPEC_ENUM (p)->enum_class,
              g_value_get_enum (&v))->value_nick, ==,
          json_node_get_string (expected));
      break;
    case G_TYPE_FLAGS:{
      g_autofree gchar *got = nicks_of_flags (p->value_type,
          g_value_get_flags (&v));
      g_autofree gchar *want = nicks_of_array (expected, "expected");

      g_assert_cmpstr (got, ==, want);
      break;
    }
    case G_TYPE_STRING:
      g_assert_cmpstr (g_value_get_string (&v), ==,
          json_node_get_string (expected));
      break;
    default:
      g_assert_cmpint (int_value (&v), ==, json_node_get_int (expected));
  }
  g_value_unset (&v);
}

static void
test_set (gconstpointer data)
{
  const SetCase *c = data;
  g_autoptr (GstElement) chain = build (SET_CHAIN);
  g_autoptr (RtfxControls) controls = rtfx_controls_new (chain, set_named,
      TRUE);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) value = NULL;
  g_autoptr (JsonNode) in_force = NULL;
  g_autofree gchar *before = NULL;
  g_autofree gchar *after = NULL;

  value = json_from_string (c->json, &error);
  g_assert_no_error (error);
  g_assert_nonnull (value);     /* json-glib parses bare scalars, null included */

  /* A wrong answer fails this case only (g_test_fail_printf), so one run reports every case. */
  if (c->in_force == NULL) {
    before = snapshot (chain, NULL, NULL);
    in_force = rtfx_controls_set (controls, c->element, c->property, value,
        &error);
    if (in_force != NULL) {
      g_autofree gchar *text = json_to_string (in_force, FALSE);

      g_test_fail_printf ("%s.%s = %s was accepted (value in force: %s)",
          c->element, c->property, c->json, text);
    } else if (error == NULL) {
      g_test_fail_printf ("%s.%s = %s: refused without an error", c->element,
          c->property, c->json);
    } else {
      g_test_message ("%s.%s = %s: %s", c->element, c->property, c->json,
          error->message);
      if (error->message[0] == '\0' || strstr (error->message, "(null)"))
        g_test_fail_printf ("the error \"%s\" says nothing", error->message);
      else if (!names_one_of (error->message, c->names))
        g_test_fail_printf ("the error \"%s\" does not name %s",
            error->message, c->names);
      else if (c->also != NULL && !names_one_of (error->message, c->also))
        g_test_fail_printf ("the error \"%s\" does not say %s, which a person "
            "needs to choose a value that works", error->message, c->also);
    }
    after = snapshot (chain, NULL, NULL);
    g_assert_cmpstr (after, ==, before);
    return;
  }

  before = snapshot (chain, c->element, c->property);
  in_force = rtfx_controls_set (controls, c->element, c->property, value,
      &error);
  if (error != NULL) {
    g_test_fail_printf ("%s.%s = %s was refused: %s", c->element, c->property,
        c->json, error->message);
    return;
  }
  g_assert_nonnull (in_force);
  assert_json_equal (in_force, c->in_force);
  assert_property_is (element_called (chain, c->element), c->property,
      c->in_force);
  /* Only that property changed, and the description shows its new value. */
  after = snapshot (chain, c->element, c->property);
  g_assert_cmpstr (after, ==, before);
  {
    g_autoptr (JsonArray) described = describe (controls);
    JsonObject *o = find_control (described, c->element, c->property);

    g_assert_nonnull (o);
    assert_json_equal (member (o, "value"), c->in_force);
    check_all_against_pspecs (chain, described);
  }
}

/* The -2 of the protocol is not GStreamer's own name, which a page never sees. */
static void
test_set_by_gstreamer_name (void)
{
  g_autoptr (GstElement) chain = build ("rtfxedges ! rtfxedges");
  g_autoptr (RtfxControls) controls = rtfx_controls_new (chain, NULL, TRUE);
  g_autoptr (JsonNode) value = json_from_string ("300", NULL);
  GstElement *second = element_called (chain, "rtfxedges-2");
  GstElement *first = element_called (chain, "rtfxedges");
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) in_force = NULL;
  gdouble high;

  g_assert_true (first != second);
  in_force = rtfx_controls_set (controls, GST_OBJECT_NAME (second),
      "high-threshold", value, &error);
  g_assert_null (in_force);
  g_assert_nonnull (error);
  g_clear_error (&error);

  /* And the protocol's names reach the right element. */
  in_force = rtfx_controls_set (controls, "rtfxedges-2", "high-threshold",
      value, &error);
  g_assert_no_error (error);
  g_assert_nonnull (in_force);
  g_object_get (second, "high-threshold", &high, NULL);
  g_assert_cmpfloat (high, ==, 300);
  g_object_get (first, "high-threshold", &high, NULL);
  g_assert_cmpfloat (high, ==, 200);
}

/* With --no-auto-controls, an automatic property that was not named cannot be set either. */
static void
test_set_no_auto (void)
{
  const gchar *named[] = { "rtfxedges.low-threshold", NULL };
  g_autoptr (GstElement) chain = build ("rtfxlatest ! rtfxedges");
  g_autoptr (RtfxControls) controls = rtfx_controls_new (chain, named, FALSE);
  g_autoptr (JsonNode) value = json_from_string ("300", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) in_force = NULL;
  gdouble high;

  in_force = rtfx_controls_set (controls, "rtfxedges", "high-threshold", value,
      &error);
  g_assert_null (in_force);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "high-threshold"));
  g_object_get (element_called (chain, "rtfxedges"), "high-threshold", &high,
      NULL);
  g_assert_cmpfloat (high, ==, 200);
  g_clear_error (&error);

  in_force = rtfx_controls_set (controls, "rtfxedges", "low-threshold", value,
      &error);
  g_assert_no_error (error);
  assert_json_equal (in_force, "300");
}

/* A set is checked against the controls of its own chain: another chain's elements are untouched. */
static void
test_set_own_chain_only (void)
{
  g_autoptr (GstElement) a = build ("rtfxlatest ! rtfxedges");
  g_autoptr (GstElement) b = build ("rtfxlatest ! rtfxedges");
  g_autoptr (RtfxControls) ca = rtfx_controls_new (a, NULL, TRUE);
  g_autoptr (RtfxControls) cb = rtfx_controls_new (b, NULL, TRUE);
  g_autoptr (JsonNode) value = json_from_string ("2040", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) in_force = NULL;
  gdouble high;

  in_force = rtfx_controls_set (ca, "rtfxedges", "high-threshold", value,
      &error);
  g_assert_no_error (error);
  g_object_get (element_called (a, "rtfxedges"), "high-threshold", &high, NULL);
  g_assert_cmpfloat (high, ==, 2040);
  g_object_get (element_called (b, "rtfxedges"), "high-threshold", &high, NULL);
  g_assert_cmpfloat (high, ==, 200);
  {
    g_autoptr (JsonArray) described = describe (cb);

    assert_member_number (find_control (described, "rtfxedges",
            "high-threshold"), "value", 200);
  }
}

/* A property of a running chain changes while frames flow (what MUTABLE_PLAYING promises). */
static void
test_set_while_playing (void)
{
  g_autoptr (GstElement) pipeline = gst_pipeline_new (NULL);
  GstElement *src = gst_element_factory_make ("videotestsrc", NULL);
  GstElement *chain = build ("rtfxlatest ! rtfxedges");
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  g_autoptr (RtfxControls) controls = NULL;
  g_autoptr (JsonNode) value = json_from_string ("\"overlay\"", NULL);
  g_autoptr (JsonNode) in_force = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GstMessage) msg = NULL;
  gint mode;

  g_assert_nonnull (src);
  g_assert_nonnull (sink);
  g_object_set (src, "is-live", TRUE, NULL);
  gst_bin_add_many (GST_BIN (pipeline), src, chain, sink, NULL);
  gst_object_unref (chain);     /* build() gave a full reference; the pipeline has its own */
  g_assert_true (gst_element_link_many (src, chain, sink, NULL));
  controls = rtfx_controls_new (chain, NULL, TRUE);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);
  g_assert_cmpint (gst_element_get_state (pipeline, NULL, NULL, 5 * GST_SECOND),
      ==, GST_STATE_CHANGE_SUCCESS);
  in_force = rtfx_controls_set (controls, "rtfxedges", "mode", value, &error);
  g_assert_no_error (error);
  assert_json_equal (in_force, "\"overlay\"");
  g_object_get (element_called (chain, "rtfxedges"), "mode", &mode, NULL);
  g_assert_cmpint (mode, ==, 1);
  msg = gst_bus_poll (GST_ELEMENT_BUS (pipeline), GST_MESSAGE_ERROR, 0);
  g_assert_null (msg);
  g_clear_pointer (&controls, rtfx_controls_free);
  gst_element_set_state (pipeline, GST_STATE_NULL);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/controls/schema/default-chain", test_schema_default_chain);
  g_test_add_func ("/controls/schema/values-read-now",
      test_schema_values_read_now);
  g_test_add_func ("/controls/schema/videobalance-not-offered",
      test_schema_videobalance_not_offered);
  g_test_add_func ("/controls/schema/nothing-tunable",
      test_schema_nothing_tunable);
  g_test_add_func ("/controls/schema/follows-the-flags",
      test_schema_follows_the_flags);
  g_test_add_func ("/controls/schema/element-names", test_schema_element_names);
  g_test_add_func ("/controls/schema/user-names", test_schema_user_names);
  g_test_add_func ("/controls/schema/mixed-names", test_schema_mixed_names);
  g_test_add_func ("/controls/schema/named", test_schema_named);
  g_test_add_func ("/controls/schema/named-skipped", test_schema_named_skipped);
  g_test_add_func ("/controls/schema/no-auto", test_schema_no_auto);
  g_test_add_func ("/controls/exists", test_exists);
  g_test_add_func ("/controls/child-settings", test_child_settings);
  g_test_add_func ("/controls/frees-what-it-takes", test_frees_what_it_takes);
  for (guint i = 0; i < G_N_ELEMENTS (set_cases); i++) {
    g_autofree gchar *path = g_strconcat (set_cases[i].in_force ?
        "/controls/set/accept/" : "/controls/set/refuse/", set_cases[i].what,
        NULL);
    g_test_add_data_func (path, &set_cases[i], test_set);
  }
  g_test_add_func ("/controls/set/gstreamer-name-refused",
      test_set_by_gstreamer_name);
  g_test_add_func ("/controls/set/no-auto", test_set_no_auto);
  g_test_add_func ("/controls/set/own-chain-only", test_set_own_chain_only);
  g_test_add_func ("/controls/set/while-playing", test_set_while_playing);
  return g_test_run ();
}
