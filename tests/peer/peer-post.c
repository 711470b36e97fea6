/* peer-post: see peer-post.h. */
#include "peer-post.h"

#include <json-glib/json-glib.h>
#include <string.h>

typedef struct
{
  SoupMessage *msg;
  PeerPostDone done;
  gpointer user_data;
} Post;

static void
post_free (Post * post)
{
  g_object_unref (post->msg);
  g_free (post);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Post, post_free)

/* The answer's SDP in the reply, or NULL with why not in *problem. */
static const gchar *
answer_of (JsonParser * parser, GBytes * body, gchar ** problem)
{
  gsize size;
  const gchar *data = g_bytes_get_data (body, &size);
  g_autoptr (GError) error = NULL;
  JsonNode *root;
  JsonObject *reply;

  if (!json_parser_load_from_data (parser, data, size, &error) ||
      !JSON_NODE_HOLDS_OBJECT (root = json_parser_get_root (parser))) {
    *problem = g_strdup_printf ("the reply is not a JSON object: %.80s",
        error ? error->message : data);
    return NULL;
  }
  reply = json_node_get_object (root);
  if (g_strcmp0 (json_object_get_string_member_with_default (reply, "type",
              ""), "answer") || !json_object_has_member (reply, "sdp")) {
    *problem = g_strdup ("the reply is not an answer with an sdp");
    return NULL;
  }
  return json_object_get_string_member (reply, "sdp");
}

static void
on_replied (GObject * source, GAsyncResult * result, gpointer data)
{
  g_autoptr (Post) post = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION
      (source), result, &error);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree gchar *problem = NULL;
  const guint status = soup_message_get_status (post->msg);
  const gchar *sdp = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (body == NULL)
    problem = g_strdup_printf ("the offer could not be posted: %s",
        error->message);
  else if (status != SOUP_STATUS_OK)
    problem = g_strdup_printf ("the offer was refused: HTTP %u %s", status,
        soup_message_get_reason_phrase (post->msg));
  else
    sdp = answer_of (parser, body, &problem);
  post->done (sdp, problem, post->user_data);
}

void
peer_post_offer (SoupSession * session, const gchar * url,
    const gchar * offer_sdp, const gchar * video_transform,
    GCancellable * cancellable, PeerPostDone done, gpointer user_data)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GBytes) body = NULL;
  Post *post = g_new0 (Post, 1);
  gchar *text;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "sdp");
  json_builder_add_string_value (builder, offer_sdp);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "offer");
  json_builder_set_member_name (builder, "video_transform");
  json_builder_add_string_value (builder, video_transform);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  text = json_to_string (root, FALSE);
  body = g_bytes_new_take (text, strlen (text));

  post->msg = soup_message_new (SOUP_METHOD_POST, url);
  post->done = done;
  post->user_data = user_data;
  soup_message_set_request_body_from_bytes (post->msg, "application/json",
      body);
  soup_session_send_and_read_async (session, post->msg, G_PRIORITY_DEFAULT,
      cancellable, on_replied, post);
}
