/* rtfx-launch with examples/c-filter's myinvert in a preset: the launcher accepts the chain at
 * start-up, offers the page the element's live property as a control with its range and value,
 * applies a `set` to it, and answers an offer with the chain in the session's pipeline.
 *
 *   run-in-netns.sh myinvert-launch RTFX_LAUNCH OFFER_SDP
 *   (GST_PLUGIN_PATH_1_0 must lead to both the rtfx plugin and the example's build directory)
 *
 * It uses tests/launcher's server harness, whose servers start on HARNESS_CHAIN: the preset
 * switch to the example's chain is what a page does with its preset selector. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "serverharness.h"

#define PRESET "invert"
#define CHAIN "rtfxlatest ! myinvert strength=0.25"

/* The control for element.property in a controls message, or NULL. */
static JsonObject *
find_control (JsonObject * controls, const gchar * element,
    const gchar * property)
{
  JsonArray *list = json_object_get_array_member (controls, "controls");

  for (guint i = 0; i < json_array_get_length (list); i++) {
    JsonObject *control = json_array_get_object_element (list, i);

    if (g_str_equal (json_object_get_string_member (control, "element"),
            element) &&
        g_str_equal (json_object_get_string_member (control, "property"),
            property))
      return control;
  }
  return NULL;
}

static void
test_myinvert_offered (gconstpointer data)
{
  const gchar *offer_sdp = data;
  const gchar *const args[] = { "--preset", PRESET "=" CHAIN, NULL };
  Server server = { 0 };
  Client *page;
  g_autoptr (JsonObject) controls = NULL;
  g_autoptr (JsonObject) value = NULL;
  g_autofree gchar *offer = offer_json (offer_sdp);
  JsonObject *strength;

  server_start (&server, "c-filter", 2, args);
  page = client_connect (&server, "page");
  expect_hello (page);

  client_send (page, "{\"type\":\"preset\",\"name\":\"" PRESET "\"}");
  controls = expect_message (page, "controls", REPLY_TIMEOUT_MS);
  g_assert_cmpstr (json_object_get_string_member (controls, "preset"), ==,
      PRESET);
  g_assert_cmpstr (json_object_get_string_member (controls, "chain"), ==,
      CHAIN);
  strength = find_control (controls, "myinvert", "strength");
  if (strength == NULL)
    g_error ("the controls do not offer myinvert.strength");
  g_assert_cmpstr (json_object_get_string_member (strength, "type"), ==,
      "double");
  g_assert_cmpstr (json_object_get_string_member (strength, "nick"), ==,
      "Strength");
  g_assert_cmpfloat (json_object_get_double_member (strength, "minimum"), ==,
      0.0);
  g_assert_cmpfloat (json_object_get_double_member (strength, "maximum"), ==,
      1.0);
  g_assert_cmpfloat (json_object_get_double_member (strength, "default"), ==,
      1.0);
  g_assert_cmpfloat (json_object_get_double_member (strength, "value"), ==,
      0.25);

  client_send (page, "{\"type\":\"set\",\"element\":\"myinvert\","
      "\"property\":\"strength\",\"value\":0.75}");
  value = expect_message (page, "value", REPLY_TIMEOUT_MS);
  g_assert_cmpfloat (json_object_get_double_member (value, "value"), ==, 0.75);

  client_send (page, offer);
  expect_answer (page);

  client_close (page);
  server_stop (&server);
}

int
main (int argc, char **argv)
{
  g_autofree gchar *offer_sdp = NULL;

  g_test_init (&argc, &argv, NULL);
  offer_sdp = harness_init (argc, argv);
  g_test_add_data_func ("/c-filter/myinvert-offered", offer_sdp,
      test_myinvert_offered);
  return g_test_run ();
}
