/* libFuzzer target: `set` and `preset` as launcher/session.c handles them, on the controls of real
 * chains of the rtfx plugin (built once at start-up: building one per input would be most of the
 * time spent). An input is a session's messages, separated by NUL bytes (which no message can hold:
 * it would not be valid UTF-8); each is parsed with rtfx_message_parse, a `set` applied with
 * rtfx_controls_set and a `preset` looked up and switched to, and each reply is checked.
 *
 * Every input starts on the first preset with every control at its default: values set by earlier
 * inputs would otherwise change what later ones do (a crash found after a long run would not
 * replay on its own). The defaults are those rtfx_controls_describe offers, set back with
 * rtfx_controls_set, so putting them back checks that the described default is one `set` takes. */
#include "chain.h"
#include "controls.h"
#include "fuzz-common.h"
#include "protocol.h"

#include <string.h>

/* The first has every rtfx element with live controls; rtfxlatest has none but is in every real
 * chain. The last names an element and makes gst-launch number two more of its kind. */
static const gchar *const preset_names[] = { "all", "passthrough", "two-edges",
  NULL
};

static const gchar *const preset_chains[] = {
  "rtfxlatest ! rtfxedges ! rtfxcartoon ! rtfxrotate ! rtfxdelay ! rtfxfacedetect",
  "identity",
  "rtfxedges ! rtfxedges name=second ! rtfxedges",
};

#define N_PRESETS G_N_ELEMENTS (preset_chains)

/* --control: properties offered besides the live ones (a string, booleans of core elements), each
 * naming nothing in some presets. */
static const gchar *const named_controls[] = { "rtfxfacedetect.cascade",
  "rtfxedges-2.qos", "identity.silent", NULL
};

static GstElement *chains[N_PRESETS];
static RtfxControls *preset_controls[N_PRESETS];
static JsonNode *defaults[N_PRESETS];   /* rtfx_controls_describe of each, at start-up */
static gboolean changed;

static RtfxControls *
controls_of (guint preset)
{
  return rtfx_controls_new (chains[preset], named_controls, TRUE);
}

static void
put_defaults_back (void)
{
  for (guint p = 0; p < N_PRESETS; p++) {
    JsonArray *described = json_node_get_array (defaults[p]);

    for (guint i = 0; i < json_array_get_length (described); i++) {
      JsonObject *c = json_array_get_object_element (described, i);
      g_autoptr (GError) error = NULL;
      g_autoptr (JsonNode) applied = rtfx_controls_set (preset_controls[p],
          json_object_get_string_member (c, "element"),
          json_object_get_string_member (c, "property"),
          json_object_get_member (c, "default"), &error);

      if (applied == NULL)
        g_error ("the described default of %s.%s is refused: %s",
            json_object_get_string_member (c, "element"),
            json_object_get_string_member (c, "property"), error->message);
    }
  }
}

void
fuzz_set_up (void)
{
  for (guint p = 0; p < N_PRESETS; p++) {
    g_autoptr (GError) error = NULL;

    chains[p] = rtfx_chain_build (preset_chains[p], &error);
    if (chains[p] == NULL)
      g_error ("%s (is GST_PLUGIN_PATH_1_0 the build's gst/?)", error->message);
    preset_controls[p] = controls_of (p);
    defaults[p] = rtfx_controls_describe (preset_controls[p]);
  }
}

static void
handle_set (RtfxControls * controls, const RtfxMessage * msg)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) applied = rtfx_controls_set (controls,
      msg->set.element, msg->set.property, msg->set.value, &error);

  if (applied != NULL)
    fuzz_check_reply (rtfx_message_value (msg->set.element, msg->set.property,
            applied));
  else
    fuzz_check_reply (rtfx_message_set_error (error->message,
            msg->set.element, msg->set.property));
}

/* As session.c: a name that is no preset is refused; else the chain's controls are offered. */
static void
handle_preset (RtfxControls ** controls, const gchar * name)
{
  g_autoptr (JsonNode) described = NULL;
  guint preset;

  if (!g_strv_contains (preset_names, name)) {
    g_autofree gchar *quoted = rtfx_quote (name);
    fuzz_check_reply (rtfx_message_error (RTFX_CODE_NO_PRESET, quoted));
    return;
  }
  for (preset = 0; !g_str_equal (preset_names[preset], name); preset++);
  rtfx_controls_free (*controls);
  *controls = controls_of (preset);
  described = rtfx_controls_describe (*controls);
  fuzz_check_reply (rtfx_message_controls (name, preset_names,
          preset_chains[preset], described));
}

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  g_autoptr (RtfxControls) controls = NULL;
  const gchar *text = (const gchar *) data;
  const gchar *end = text + size;

  if (changed)
    put_defaults_back ();
  changed = FALSE;
  controls = controls_of (0);
  while (text < end) {
    const gchar *nul = memchr (text, '\0', end - text);
    const gsize length = (nul ? nul : end) - text;
    RtfxMessage msg;

    if (rtfx_message_parse (text, length, &msg, NULL)) {
      if (msg.type == RTFX_MESSAGE_SET) {
        changed = TRUE;
        handle_set (controls, &msg);
      } else if (msg.type == RTFX_MESSAGE_PRESET) {
        handle_preset (&controls, msg.preset.name);
      }
      rtfx_message_clear (&msg);
    }
    text += length + 1;
  }
  return 0;
}
