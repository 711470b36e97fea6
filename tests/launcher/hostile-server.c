/* rtfx-launch against hostile pages and clients (issue 10): none may crash it, hold it hostage,
 * make it grow without bound or make it send what a browser cannot read.
 *
 *   run-in-netns.sh hostile-server RTFX_LAUNCH OFFER_SDP [--tap]
 *   (or RTFX_LAUNCH and RTFX_OFFER_SDP in the environment; GST_PLUGIN_PATH_1_0 must lead the
 *   launcher to the rtfx plugin)
 *
 * Every test runs in a child process of its own with a server of its own (the options differ from
 * test to test), so one that fails or hangs cannot take the next ones down; each ends with SIGTERM
 * and checks the exit status, which LeakSanitizer makes non-zero on a leak. Besides libsoup's
 * websocket client, some tests speak raw TCP: a websocket opened by hand, which can stop reading or
 * answering pings, or a connection that never finishes its request. OFFER_SDP is a real browser
 * offer (see protocol-server.c). Every wait is bounded. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <string.h>

#include "serverharness.h"

#define MAX_SESSIONS 4
/* What each test's child process may take, all waits included. */
#define TEST_TIMEOUT_MS (60 * 1000)
#define CONNECT_TIMEOUT_S 2
#define SERVER_CLOSE_TIMEOUT_MS 2000

/* A text frame's payload as a websocket client sends it: masked (RFC 6455 5.3). */
static const guint8 frame_mask[4] = { 0x37, 0xfa, 0x21, 0x3d };

#define TLS_STALLED_CONNECTIONS 20
#define TLS_HANDSHAKE_TIMEOUT_S 2
/* A TLS record header announcing a ClientHello of 512 bytes that never come. */
static const guint8 client_hello_start[] = { 0x16, 0x03, 0x01, 0x02, 0x00 };

#define OFFER_TIMEOUT_S 2
#define PEER_TIMEOUT_S 2
#define PER_ADDRESS_CAP 4
#define KEEP_ALIVE_TIMEOUT_S 2
#define MESSAGE_RATE 20
#define FLOOD_MESSAGES 200
#define SEND_QUEUE_KIB 256
#define RSS_GROWTH_MAX_KIB (64 * 1024)
#define LONG_NAME_CHARACTERS 100
#define QUOTED_NAME_MAX 64

#define SET_HIGH_THRESHOLD \
  "{\"type\":\"set\",\"element\":\"rtfxedges\",\"property\":\"high-threshold\"," \
  "\"value\":100}"

static struct
{
  gchar *offer_sdp;             /* the fixture, CRLF line ends */
} t;

/* --- raw TCP ----------------------------------------------------------------------------- */

typedef struct
{
  GSocketConnection *connection;
  GSocket *socket;
  GByteArray *in;               /* read, not yet taken */
  gint64 opened;                /* monotonic time */
} Raw;

typedef enum
{
  RAW_DATA,
  RAW_CLOSED,                   /* end of stream, or reset */
  RAW_SILENT,                   /* nothing came in time */
} RawRead;

static Raw *
raw_connect (const Server * server)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GError) error = NULL;
  Raw *raw = g_new0 (Raw, 1);

  g_socket_client_set_enable_proxy (client, FALSE);
  g_socket_client_set_timeout (client, CONNECT_TIMEOUT_S);
  raw->connection = g_socket_client_connect_to_host (client, "127.0.0.1",
      server->port, NULL, &error);
  if (raw->connection == NULL)
    g_error ("cannot connect to port %u: %s", server->port, error->message);
  raw->socket = g_socket_connection_get_socket (raw->connection);
  /* The connect timeout would also cut every wait on the socket short. */
  g_socket_set_timeout (raw->socket, 0);
  raw->in = g_byte_array_new ();
  raw->opened = g_get_monotonic_time ();
  return raw;
}

static void
raw_free (Raw * raw)
{
  g_object_unref (raw->connection);
  g_byte_array_unref (raw->in);
  g_free (raw);
}

static void
raw_send (Raw * raw, const void *data, gsize size)
{
  g_autoptr (GError) error = NULL;

  if (!g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM
              (raw->connection)), data, size, NULL, NULL, &error))
    g_error ("raw send of %" G_GSIZE_FORMAT " bytes: %s", size, error->message);
}

/* Reads what comes before deadline (a monotonic time) into raw->in. */
static RawRead
raw_read (Raw * raw, gint64 deadline)
{
  guint8 buffer[16384];
  g_autoptr (GError) error = NULL;
  gssize got;

  if (!g_socket_condition_timed_wait (raw->socket, G_IO_IN,
          MAX (deadline - g_get_monotonic_time (), 0), NULL, &error)) {
    if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
      return RAW_SILENT;
    g_error ("waiting on a raw connection: %s", error->message);
  }
  got = g_socket_receive_with_blocking (raw->socket, (gchar *) buffer,
      sizeof (buffer), FALSE, NULL, &error);
  if (got < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    return RAW_DATA;            /* woken for nothing: the caller reads again */
  if (got <= 0)
    return RAW_CLOSED;
  g_byte_array_append (raw->in, buffer, got);
  return RAW_DATA;
}

/* TRUE when the server closes the connection within timeout_ms (what it sends first is read and
 * dropped); FALSE when it is still open then. */
static gboolean
raw_closed_within (Raw * raw, guint timeout_ms)
{
  const gint64 deadline = g_get_monotonic_time () +
      timeout_ms * G_TIME_SPAN_MILLISECOND;

  for (;;) {
    switch (raw_read (raw, deadline)) {
      case RAW_CLOSED:
        return TRUE;
      case RAW_SILENT:
        return FALSE;
      case RAW_DATA:
        g_byte_array_set_size (raw->in, 0);
        break;
    }
  }
}

/* --- websockets by hand ------------------------------------------------------------------ */

/* Opens /ws with these Origin (none if NULL) and Host headers and reads the 101. */
static Raw *
raw_websocket_open (const Server * server, const gchar * origin,
    const gchar * host)
{
  Raw *raw = raw_connect (server);
  g_autofree gchar *origin_line = origin ?
      g_strdup_printf ("Origin: %s\r\n", origin) : g_strdup ("");
  g_autofree gchar *request = g_strdup_printf ("GET /ws HTTP/1.1\r\n"
      "Host: %s\r\n"
      "Upgrade: websocket\r\n"
      "Connection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "Sec-WebSocket-Version: 13\r\n" "%s\r\n", host, origin_line);
  const gint64 deadline = g_get_monotonic_time () +
      REPLY_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;
  const gchar *status = "HTTP/1.1 101 ";
  const gchar *end;

  raw_send (raw, request, strlen (request));
  while (raw->in->len == 0 || (end = g_strstr_len ((const gchar *)
              raw->in->data, raw->in->len, "\r\n\r\n")) == NULL)
    if (raw_read (raw, deadline) != RAW_DATA)
      g_error ("no reply to a websocket handshake within %d ms",
          REPLY_TIMEOUT_MS);
  if (raw->in->len < strlen (status) ||
      memcmp (raw->in->data, status, strlen (status)) != 0)
    g_error ("the server refused a websocket handshake: %.*s",
        (int) (end - (const gchar *) raw->in->data), raw->in->data);
  g_byte_array_remove_range (raw->in, 0,
      end + 4 - (const gchar *) raw->in->data);
  return raw;
}

static Raw *
raw_websocket_open_plain (const Server * server)
{
  g_autofree gchar *host = g_strdup_printf ("127.0.0.1:%u", server->port);

  return raw_websocket_open (server, NULL, host);
}

/* The next text frame from the server (pings and the like skipped); NULL when its close frame or
 * the end of the connection comes first. Server frames are unmasked and, here, unfragmented. */
static gchar *
raw_websocket_read_text (Raw * raw, guint timeout_ms)
{
  const gint64 deadline = g_get_monotonic_time () +
      timeout_ms * G_TIME_SPAN_MILLISECOND;

  for (;;) {
    const guint8 *d = raw->in->data;
    const gsize have = raw->in->len;
    gsize head = 2;
    guint64 size = have >= 2 ? d[1] & 0x7f : 0;

    if (size == 126) {
      head = 4;
      size = have >= head ? (d[2] << 8) | d[3] : 0;
    } else if (size == 127) {
      head = 10;
      size = 0;
      for (guint i = 2; i < head && have >= head; i++)
        size = size << 8 | d[i];
    }
    if (have >= head && have - head >= size) {
      const guint opcode = d[0] & 0x0f;
      gchar *payload = g_strndup ((const gchar *) d + head, size);

      g_byte_array_remove_range (raw->in, 0, head + size);
      if (opcode == 0x1)
        return payload;
      g_free (payload);
      if (opcode == 0x8)
        return NULL;
      continue;
    }
    switch (raw_read (raw, deadline)) {
      case RAW_CLOSED:
        return NULL;
      case RAW_SILENT:
        g_error ("no websocket frame within %u ms", timeout_ms);
      case RAW_DATA:
        break;
    }
  }
}

/* The type of the next message, which must be a JSON object with a string type. */
static gchar *
raw_websocket_read_type (Raw * raw)
{
  g_autofree gchar *text = raw_websocket_read_text (raw, REPLY_TIMEOUT_MS);
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (text == NULL)
    g_error ("the websocket closed without a message");
  if (!json_parser_load_from_data (parser, text, -1, NULL) ||
      (root = json_parser_get_root (parser)) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (root))
    g_error ("the server sent %s, not a JSON object", text);
  return g_strdup (json_object_get_string_member_with_default
      (json_node_get_object (root), "type", ""));
}

/* A text frame as a client sends it, masked. */
static GBytes *
text_frame (const gchar * text)
{
  const gsize size = strlen (text);
  GByteArray *frame = g_byte_array_sized_new (size + 8);
  guint8 head[4] = { 0x81 };    /* FIN, text */
  gsize head_size = 2;
  guint8 *payload;

  g_assert_cmpuint (size, <=, G_MAXUINT16);
  if (size < 126) {
    head[1] = 0x80 | size;
  } else {
    head[1] = 0x80 | 126;
    head[2] = size >> 8;
    head[3] = size & 0xff;
    head_size = 4;
  }
  g_byte_array_append (frame, head, head_size);
  g_byte_array_append (frame, frame_mask, sizeof (frame_mask));
  g_byte_array_append (frame, (const guint8 *) text, size);
  payload = frame->data + head_size + sizeof (frame_mask);
  for (gsize i = 0; i < size; i++)
    payload[i] ^= frame_mask[i % 4];
  return g_byte_array_free_to_bytes (frame);
}

/* --- what the server holds --------------------------------------------------------------- */

/* The TCP connections the server has not closed on its side (established, or closed by the client
 * only), from the kernel's table of this network namespace. */
static guint
server_side_connections (const Server * server)
{
  g_autofree gchar *table = NULL;
  g_auto (GStrv) lines = NULL;
  guint n = 0;

  if (!g_file_get_contents ("/proc/net/tcp", &table, NULL, NULL))
    g_error ("cannot read /proc/net/tcp");
  lines = g_strsplit (table, "\n", -1);
  for (guint i = 1; lines[i] != NULL; i++) {
    guint port, state;

    /* "sl: LOCAL_ADDR:PORT REMOTE_ADDR:PORT STATE ...", hexadecimal; 01 established, 08 close wait */
    if (sscanf (lines[i], " %*u: %*x:%x %*x:%*x %x", &port, &state) == 2 &&
        port == server->port && (state == 0x01 || state == 0x08))
      n++;
  }
  return n;
}

static void
assert_server_side_connections_become (const Server * server, guint n,
    guint timeout_ms)
{
  const gint64 end = g_get_monotonic_time () +
      timeout_ms * G_TIME_SPAN_MILLISECOND;

  while (server_side_connections (server) > n) {
    if (g_get_monotonic_time () > end)
      g_error ("%s server: still holds %u connections, not %u, after %u ms",
          server->name, server_side_connections (server), n, timeout_ms);
    pause_ms (POLL_INTERVAL_MS);
  }
}

/* The server's resident memory, from /proc. */
static guint64
server_rss_kib (const Server * server)
{
  g_autofree gchar *path = g_strdup_printf ("/proc/%s/status",
      g_subprocess_get_identifier (server->proc));
  g_autofree gchar *status = NULL;
  const gchar *line;

  if (!g_file_get_contents (path, &status, NULL, NULL) ||
      (line = strstr (status, "\nVmRSS:")) == NULL)
    g_error ("%s server: no VmRSS in %s", server->name, path);
  return g_ascii_strtoull (line + strlen ("\nVmRSS:"), NULL, 10);
}

/* --- common checks ----------------------------------------------------------------------- */

/* After what another page did, the server still runs, still answers this page and /status. */
static void
check_witness (Server * server, Client * witness)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) status = NULL;

  server_assert_running (server);
  client_send (witness, "{\"type\":\"witness-check\"}");
  expect_error (witness, "witness-check");
  status = get_status (server, &error);
  g_assert_no_error (error);
}

/* token is in text, and not as part of a longer word or number. */
static gboolean
names_token (const gchar * text, const gchar * token)
{
  const gsize length = strlen (token);

  for (const gchar * p = strstr (text, token); p != NULL;
      p = strstr (p + 1, token))
    if ((p == text || !g_ascii_isalnum (p[-1])) && !g_ascii_isalnum (p[length]))
      return TRUE;
  return FALSE;
}

/* The fixture with line inserted at the end of the video section's transport (after a=mid:), and
 * extra formats, if any, put first on its m= line. */
static gchar *
offer_with (const gchar * line, const gchar * first_formats)
{
  const gchar *m_line = "m=video 9 UDP/TLS/RTP/SAVPF ";
  g_autoptr (GString) sdp = g_string_new (t.offer_sdp);
  const gchar *m = strstr (sdp->str, m_line);
  const gchar *mid = m ? strstr (m, "\r\na=mid:") : NULL;
  gssize formats_at, line_at;

  g_assert_nonnull (mid);
  formats_at = m + strlen (m_line) - sdp->str;
  line_at = strstr (mid + 2, "\r\n") + 2 - sdp->str;
  /* The later position first, so the earlier one stays where it is. */
  g_string_insert (sdp, line_at, line);
  if (first_formats != NULL)
    g_string_insert (sdp, formats_at, first_formats);
  return offer_json (sdp->str);
}

/* --- defect 1: a=extmap: lines that are empty or garbage --------------------------------- */

static void
test_extmap (gconstpointer data)
{
  const gchar *line = data;
  Server server = { 0 };
  g_autofree gchar *offer = NULL;
  Client *witness, *client;

  if (!run_in_child (TEST_TIMEOUT_MS))
    return;
  server_start (&server, "extmap", MAX_SESSIONS, NULL);
  witness = client_connect (&server, "extmap/witness");
  expect_hello (witness);
  client = client_connect (&server, "extmap/offer");
  expect_hello (client);
  offer = offer_with (line, NULL);
  client_send (client, offer);
  expect_answer (client);
  check_witness (&server, witness);
  client_close (client);
  client_close (witness);
  assert_sessions_become (&server, 0, DRAIN_TIMEOUT_MS);
  server_stop (&server);
}

/* --- defect 2: TLS handshakes that never finish ------------------------------------------ */

static void
test_tls_stalled_client_hello (void)
{
  const gchar *const args[] = { "--tls-self-signed", "--handshake-timeout",
    G_STRINGIFY (TLS_HANDSHAKE_TIMEOUT_S), NULL
  };
  /* The handshake timeout, and some slack for a busy machine. */
  const guint close_bound_ms = (TLS_HANDSHAKE_TIMEOUT_S + 3) * 1000;
  Server server = { 0 };
  Raw *stalled[TLS_STALLED_CONNECTIONS];
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) status = NULL;

  if (!run_in_child (TEST_TIMEOUT_MS))
    return;
  server_start (&server, "tls", MAX_SESSIONS, args);
  for (guint i = 0; i < TLS_STALLED_CONNECTIONS; i++) {
    stalled[i] = raw_connect (&server);
    raw_send (stalled[i], client_hello_start, sizeof (client_hello_start));
  }
  /* They must not keep a real client from being served meanwhile. */
  status = get_status (&server, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < TLS_STALLED_CONNECTIONS; i++) {
    const gint64 waited_ms = (g_get_monotonic_time () - stalled[i]->opened) /
        G_TIME_SPAN_MILLISECOND;

    if (!raw_closed_within (stalled[i], MAX (close_bound_ms - waited_ms, 0)))
      g_error ("stalled TLS connection %u still open %" G_GINT64_FORMAT
          " ms after it connected", i, (g_get_monotonic_time () -
              stalled[i]->opened) / G_TIME_SPAN_MILLISECOND);
    raw_free (stalled[i]);
  }
  server_stop (&server);
}

/* --- defect 3: pages that never offer, or stop answering -------------------------------- */

static void
test_offer_timeout (void)
{
  const gchar *const args[] = { "--offer-timeout",
    G_STRINGIFY (OFFER_TIMEOUT_S), NULL
  };
  Server server = { 0 };
  Client *idle;

  if (!run_in_child (TEST_TIMEOUT_MS))
    return;
  server_start (&server, "offer-timeout", MAX_SESSIONS, args);
  idle = client_connect (&server, "offer-timeout/idle");
  expect_hello (idle);
  expect_bye_and_close_within (idle, "no offer",
      (OFFER_TIMEOUT_S + 3) * 1000);
  client_free (idle);
  assert_sessions_become (&server, 0, DRAIN_TIMEOUT_MS);
  server_stop (&server);
}

/* Pages that never offer must not keep the server busy for good. */
static void
test_offer_timeout_frees_sessions (void)
{
  const gchar *const args[] = { "--offer-timeout",
    G_STRINGIFY (OFFER_TIMEOUT_S), NULL
  };
  Server server = { 0 };
  Client *idle[2], *refused, *later;

  if (!run_in_child (TEST_TIMEOUT_MS))
    return;
  server_start (&server, "offer-timeout-busy", G_N_ELEMENTS (idle), args);
  for (guint i = 0; i < G_N_ELEMENTS (idle); i++) {
    idle[i] = client_connect (&server, "offer-timeout-busy/idle");
    expect_hello (idle[i]);
  }
  refused = client_connect (&server, "offer-timeout-busy/refused");
  expect_bye_and_close (refused, "busy");
  client_free (refused);
  for (guint i = 0; i < G_N_ELEMENTS (idle); i++) {
    expect_bye_and_close_within (idle[i], "no offer",
        (OFFER_TIMEOUT_S + 3) * 1000);
    client_free (idle[i]);
  }
  later = client_connect (&server, "offer-timeout-busy/later");
  expect_hello (later);
  client_close (later);
  assert_sessions_become (&server, 0, DRAIN_TIMEOUT_MS);
  server_stop (&server);
}

/* A page gone without closing its connection (a laptop lid shut): it neither reads nor answers the
 * server's pings. */
static void
test_peer_timeout (void)
{
  const gchar *const args[] = { "--peer-timeout",
    G_STRINGIFY (PEER_TIMEOUT_S), NULL
  };
  Server server = { 0 };
  Raw *gone;

  if (!run_in_child (TEST_TIMEOUT_MS))
    return;
  server_start (&server, "peer-timeout", MAX_SESSIONS, args);
  gone = raw_websocket_open_plain (&server);
  assert_sessions_become (&server, 1, DRAIN_TIMEOUT_MS);
  assert_sessions_become (&server, 0, (PEER_TIMEOUT_S + 4) * 1000);
  /* And its connection is cut (what it left unread is read and dropped here). */
  if (!raw_closed_within (gone, CLOSE_TIMEOUT_MS))
    g_error ("the session ended, but its connection is still open %d ms on",
        CLOSE_TIMEOUT_MS);
  raw_free (gone);
  server_stop (&server);
}

/* --- connections per address ------------------------------------------------------------- */

static void
test_connections_per_address (void)
{
  const gchar *const args[] = { "--max-connections-per-address",
    G_STRINGIFY (PER_ADDRESS_CAP), NULL
  };
  Server server = { 0 };
  Raw *held[PER_ADDRESS_CAP], *over;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) status = NULL;

  if (!run_in_child (TEST_TIMEOUT_MS))
    return;
  server_start (&server, "per-address", MAX_SESSIONS, args);
  /* The start-up's last /status request is over. */
  assert_server_side_connections_become (&server, 0, SERVER_CLOSE_TIMEOUT_MS);
  for (guint i = 0; i < PER_ADDRESS_CAP; i++)
    held[i] = raw_connect (&server);
  over = raw_connect (&server);
  if (!raw_closed_within (over, SERVER_CLOSE_TIMEOUT_MS))
    g_error ("connection %u from one address still open after %d ms",
        PER_ADDRESS_CAP + 1, SERVER_CLOSE_TIMEOUT_MS);
  raw_free (over);
  for (guint i = 0; i < PER_ADDRESS_CAP; i++)
    if (raw_closed_within (held[i], 0))
      g_error ("connection %u of %u from one address was closed", i + 1,
          PER_ADDRESS_CAP);
  /* One gone, one more may come. */
  raw_free (held[0]);
  assert_server_side_connections_become (&server, PER_ADDRESS_CAP - 1,
      SERVER_CLOSE_TIMEOUT_MS);
  status = get_status (&server, &error);
  g_assert_no_error (error);
  for (guint i = 1; i < PER_ADDRESS_CAP; i++)
    raw_free (held[i]);
  server_stop (&server);
}

/* GET /status on raw, keeping the connection open for more (as browsers do) or asking the server
 * to close it after the response (close); TRUE once the whole response is read, FALSE if the
 * connection ends or HTTP_TIMEOUT_MS pass first. */
static gboolean
raw_get_status (Raw * raw, const Server * server, gboolean close)
{
  g_autofree gchar *request = g_strdup_printf ("GET /status HTTP/1.1\r\n"
      "Host: 127.0.0.1:%u\r\n%s\r\n", server->port,
      close ? "Connection: close\r\n" : "");
  const gint64 deadline = g_get_monotonic_time () +
      HTTP_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;
  const gchar *end = NULL, *length;

  raw_send (raw, request, strlen (request));
  g_byte_array_set_size (raw->in, 0);
  for (;;) {
    g_byte_array_append (raw->in, (const guint8 *) "", 1);      /* for strstr */
    end = strstr ((const gchar *) raw->in->data, "\r\n\r\n");
    length = strstr ((const gchar *) raw->in->data, "Content-Length: ");
    g_byte_array_set_size (raw->in, raw->in->len - 1);
    if (end != NULL && length != NULL && raw->in->len >=
        end + 4 - (const gchar *) raw->in->data +
        g_ascii_strtoull (length + strlen ("Content-Length: "), NULL, 10))
      return TRUE;
    if (raw_read (raw, deadline) != RAW_DATA)
      return FALSE;
  }
}

/* Between requests on a keep-alive connection the deadline runs too, and connections the client
 * has closed stop counting against the per-address cap. */
static void
test_keep_alive (void)
{
  const gchar *const args[] = { "--handshake-timeout",
    G_STRINGIFY (KEEP_ALIVE_TIMEOUT_S), "--max-connections-per-address",
    G_STRINGIFY (PER_ADDRESS_CAP), NULL
  };
  const guint bound_ms = (KEEP_ALIVE_TIMEOUT_S + 3) * 1000;
  Server server = { 0 };
  Raw *idle;
  gint64 end;

  if (!run_in_child (TEST_TIMEOUT_MS))
    return;
  server_start (&server, "keep-alive", MAX_SESSIONS, args);
  idle = raw_connect (&server);
  g_assert_true (raw_get_status (idle, &server, FALSE));
  if (!raw_closed_within (idle, bound_ms))
    g_error ("an idle keep-alive connection is still open %u ms after its "
        "response", bound_ms);
  raw_free (idle);

  for (guint i = 0; i < PER_ADDRESS_CAP; i++) {
    Raw *raw = raw_connect (&server);

    g_assert_true (raw_get_status (raw, &server, FALSE));
    raw_free (raw);
  }
  end = g_get_monotonic_time () + bound_ms * G_TIME_SPAN_MILLISECOND;
  for (;;) {
    g_autoptr (GError) error = NULL;
    g_autoptr (JsonObject) status = get_status (&server, &error);

    if (status != NULL)
      break;
    if (g_get_monotonic_time () > end)
      g_error ("%s server: %u ms after %u keep-alive connections were closed "
          "by their client, a new one is still refused: %s", server.name,
          bound_ms, PER_ADDRESS_CAP, error->message);
    pause_ms (250);
  }
  server_stop (&server);
}

/* A connection over is no longer open, whoever closed it: one request after the other, each on a
 * connection of its own, never meets the cap. */
static void
test_closed_connections (void)
{
  const gchar *const args[] = { "--max-connections-per-address",
    G_STRINGIFY (PER_ADDRESS_CAP), NULL
  };
  Server server = { 0 };

  if (!run_in_child (TEST_TIMEOUT_MS))
    return;
  server_start (&server, "closed-connections", MAX_SESSIONS, args);
  for (guint i = 0; i < 3 * PER_ADDRESS_CAP; i++) {
    Raw *raw = raw_connect (&server);

    if (!raw_get_status (raw, &server, TRUE))
      g_error ("request %u (each after the last one's connection is closed): "
          "no response", i + 1);
    if (!raw_closed_within (raw, SERVER_CLOSE_TIMEOUT_MS))
      g_error ("request %u: the server did not close the connection after its "
          "response", i + 1);
    raw_free (raw);
  }
  server_stop (&server);
}

/* --- defect 5: floods -------------------------------------------------------------------- */

static void
test_message_rate (void)
{
  const gchar *const args[] = { "--max-message-rate",
    G_STRINGIFY (MESSAGE_RATE), NULL
  };
  const gint64 deadline = g_get_monotonic_time () +
      5 * G_TIME_SPAN_SECOND;
  Server server = { 0 };
  Client *witness, *flood;
  guint values = 0;

  if (!run_in_child (TEST_TIMEOUT_MS))
    return;
  server_start (&server, "message-rate", MAX_SESSIONS, args);
  witness = client_connect (&server, "message-rate/witness");
  expect_hello (witness);
  flood = client_connect (&server, "message-rate/flood");
  expect_hello (flood);
  /* Until the server cuts the connection, which may come before the last. */
  for (guint i = 0; i < FLOOD_MESSAGES && soup_websocket_connection_get_state
      (flood->ws) == SOUP_WEBSOCKET_STATE_OPEN; i++)
    soup_websocket_connection_send_text (flood->ws, SET_HIGH_THRESHOLD);
  /* Replies to what came within the rate, then the bye. */
  for (;;) {
    const gint64 left_ms = (deadline - g_get_monotonic_time ()) /
        G_TIME_SPAN_MILLISECOND;
    g_autofree gchar *text = next_text (flood, "bye", MAX (left_ms, 1));
    g_autoptr (JsonObject) msg = parse_server_message (flood, text);
    const gchar *type = json_object_get_string_member (msg, "type");

    if (g_str_equal (type, "bye")) {
      g_assert_nonnull (strstr (json_object_get_string_member (msg, "reason"),
              "messages a second"));
      break;
    }
    if (!g_str_equal (type, "value"))
      g_error ("%s: expected 'value' or 'bye', got %s", flood->name, text);
    if (++values == FLOOD_MESSAGES)
      g_error ("%s: all %u messages were applied, no bye", flood->name,
          FLOOD_MESSAGES);
  }
  g_assert_cmpuint (values, <, FLOOD_MESSAGES);
  expect_closed (flood);
  client_free (flood);
  check_witness (&server, witness);
  assert_sessions_become (&server, 1, DRAIN_TIMEOUT_MS);
  client_close (witness);
  server_stop (&server);
}

typedef struct
{
  GSocket *socket;
  GBytes *frame;
  gint64 deadline;
  gint done;                    /* atomic */
  gchar *failure;               /* why a send failed: the server dropped us */
  guint frames;
} Flood;

/* On a thread of its own: sends flood->frame again and again until a send fails or the deadline. */
static gpointer
flood_run (gpointer data)
{
  Flood *flood = data;
  gsize size;
  const gchar *bytes = g_bytes_get_data (flood->frame, &size);

  while (flood->failure == NULL && g_get_monotonic_time () < flood->deadline) {
    gsize offset = 0;

    while (offset < size && g_get_monotonic_time () < flood->deadline) {
      g_autoptr (GError) error = NULL;
      /* Blocks at most the socket's timeout when the server does not read. */
      gssize sent = g_socket_send_with_blocking (flood->socket, bytes + offset,
          size - offset, TRUE, NULL, &error);

      if (sent >= 0) {
        offset += sent;
      } else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)) {
        flood->failure = g_strdup (error->message);
        break;
      }
    }
    flood->frames += offset == size;
  }
  g_atomic_int_set (&flood->done, TRUE);
  return NULL;
}

static void
assert_status_answers (Server * server, const gchar * when, guint frames)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) status = get_status (server, &error);

  if (status == NULL)
    g_error ("%s server: %s (%u messages sent): %s", server->name, when,
        frames, error->message);
}

/* Pages that send as fast as they can and never read. */
typedef struct
{
  guint name_length;            /* of the unknown element each 'set' names */
  guint seconds;                /* how long the page sends at most */
  gboolean cut;                 /* the server must cut the page off before that */
  const gchar *message_rate;    /* --max-message-rate */
  gboolean serves_others;       /* /status must answer during the flood, not only after */
} FloodCase;

/* Short enough messages for the server to owe the page more than --max-send-queue soon: each
 * answer quotes 64 characters of the name at most, whatever its length. With no rate limit, libsoup
 * reads a page's messages for as long as they keep coming in one turn of the main loop, so others
 * are served only once the page is cut off (a loaded machine's server never catches up before). */
static const FloodCase slow_reader = { 1000, 10, TRUE, "0", FALSE };

/* Messages near the size limit, at the default message rate: the server must keep serving others.
 * (With no rate limit libsoup reads a page's messages for as long as they keep coming, in one turn
 * of the main loop: the rate limit is what stops a flood.) */
static const FloodCase big_messages = { 60000, 5, FALSE, "50", TRUE };

static void
test_flood (gconstpointer data)
{
  const FloodCase *c = data;
  const gchar *const args[] = { "--max-send-queue",
    G_STRINGIFY (SEND_QUEUE_KIB), "--max-message-rate", c->message_rate,
    /* Only the flood may end the session. */
    "--offer-timeout", "60", "--peer-timeout", "60", NULL
  };
  Server server = { 0 };
  Raw *page;
  g_autofree gchar *name = g_strnfill (c->name_length, 'e');
  g_autofree gchar *message = NULL;
  Flood flood = { 0 };
  GThread *thread;
  guint64 rss_start;
  gint64 next_status = 0;

  if (!run_in_child (TEST_TIMEOUT_MS))
    return;
  server_start (&server, "flood", MAX_SESSIONS, args);
  page = raw_websocket_open_plain (&server);
  assert_sessions_become (&server, 1, DRAIN_TIMEOUT_MS);
  rss_start = server_rss_kib (&server);
  /* Each one is answered with an error that quotes the name. */
  message = g_strdup_printf ("{\"type\":\"set\",\"element\":\"%s\","
      "\"property\":\"p\",\"value\":1}", name);
  flood.socket = page->socket;
  flood.frame = text_frame (message);
  flood.deadline = g_get_monotonic_time () + c->seconds * G_TIME_SPAN_SECOND;
  g_socket_set_timeout (page->socket, 1);
  thread = g_thread_new ("flood", flood_run, &flood);
  while (!g_atomic_int_get (&flood.done)) {
    const guint64 rss = server_rss_kib (&server);

    if (rss > rss_start + RSS_GROWTH_MAX_KIB)
      g_error ("%s server: resident memory %" G_GUINT64_FORMAT " KiB, from %"
          G_GUINT64_FORMAT " KiB before the flood", server.name, rss,
          rss_start);
    if (c->serves_others && g_get_monotonic_time () >= next_status) {
      assert_status_answers (&server, "during the flood", flood.frames);
      next_status = g_get_monotonic_time () + 500 * G_TIME_SPAN_MILLISECOND;
    }
    pause_ms (100);
  }
  g_thread_join (thread);
  assert_status_answers (&server, "after the flood", flood.frames);
  g_printerr ("flood: %u messages of %" G_GSIZE_FORMAT " bytes sent, then: %s\n",
      flood.frames, g_bytes_get_size (flood.frame),
      flood.failure ? flood.failure : "still connected");
  if (c->cut && flood.failure == NULL)
    g_error ("%s server: a page that never reads is still connected after %u "
        "s of flood", server.name, c->seconds);
  raw_free (page);
  assert_sessions_become (&server, 0, DRAIN_TIMEOUT_MS);
  g_free (flood.failure);
  g_bytes_unref (flood.frame);
  server_stop (&server);
}

/* --- defect 7: names cut inside a character --------------------------------------------- */

typedef struct
{
  const gchar *name;
  const gchar *format;          /* the message, with %s for the name */
} LongNameCase;

static const LongNameCase long_name_cases[] = {
  {"set", "{\"type\":\"set\",\"element\":\"%s\",\"property\":\"mode\","
        "\"value\":1}"},
  {"preset", "{\"type\":\"preset\",\"name\":\"%s\"}"},
  {"type", "{\"type\":\"%s\"}"},
};

/* The error quotes name cut to at most QUOTED_NAME_MAX characters, ending with "…". */
static void
expect_error_quoting_cut (Client * client, const gchar * name)
{
  g_autoptr (JsonObject) error = expect_message (client, "error",
      REPLY_TIMEOUT_MS);
  const gchar *message = nonempty_member (client, error, "message");
  g_autofree gchar *opening = g_strdup_printf ("'%.*s", (int)
      (g_utf8_next_char (name) - name), name);
  const gchar *start = strstr (message, opening);
  const gchar *end = start ? strchr (start + 1, '\'') : NULL;
  g_autofree gchar *quoted = NULL;

  if (end == NULL)
    g_error ("%s: the error \"%s\" does not quote the name", client->name,
        message);
  quoted = g_strndup (start + 1, end - start - 1);
  if (g_utf8_strlen (quoted, -1) > QUOTED_NAME_MAX ||
      !g_str_has_suffix (quoted, "…") ||
      strncmp (name, quoted, strlen (quoted) - strlen ("…")) != 0)
    g_error ("%s: the error quotes '%s' (%ld characters), not the name's first "
        "characters ending with …, at most %d", client->name, quoted,
        g_utf8_strlen (quoted, -1), QUOTED_NAME_MAX);
}

static void
test_long_name (gconstpointer data)
{
  const LongNameCase *c = data;
  g_autoptr (GString) name = g_string_new (NULL);
  Server server = { 0 };
  Client *client;

  if (!run_in_child (TEST_TIMEOUT_MS))
    return;
  server_start (&server, "long-name", MAX_SESSIONS, NULL);
  client = client_connect (&server, c->name);
  expect_hello (client);
  for (guint i = 0; i < LONG_NAME_CHARACTERS; i++)
    g_string_append (name, "é");
  /* 2-byte characters, cut after an even and then an odd number of bytes. */
  for (guint i = 0; i < 2; i++) {
    g_autofree gchar *message = g_strdup_printf (c->format, name->str);

    client_send (client, message);
    expect_error_quoting_cut (client, name->str);
    g_string_prepend_c (name, 'a');
  }
  client_close (client);
  assert_sessions_become (&server, 0, DRAIN_TIMEOUT_MS);
  server_stop (&server);
}

/* --- defect 8: Origin, and a Host header the page's site controls (DNS rebinding) ---------- */

static void
test_origin (void)
{
  Server server = { 0 };
  const struct
  {
    const gchar *origin;        /* %u: the server's port; NULL: none */
    const gchar *host;
    const gchar *first;         /* the first message: hello or bye */
  } cases[] = {
    {"http://evil.example:%u", "evil.example:%u", "bye"},
    {"http://127.0.0.1:1", "127.0.0.1:%u", "bye"},
    {"http://127.0.0.1:%u", "127.0.0.1:%u", "hello"},
    {"http://localhost:%u", "localhost:%u", "hello"},
    {NULL, "127.0.0.1:%u", "hello"},
  };

  if (!run_in_child (TEST_TIMEOUT_MS))
    return;
  server_start (&server, "origin", MAX_SESSIONS, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree gchar *origin = cases[i].origin ?
        g_strdup_printf (cases[i].origin, server.port) : NULL;
    g_autofree gchar *host = g_strdup_printf (cases[i].host, server.port);
    Raw *raw = raw_websocket_open (&server, origin, host);
    g_autofree gchar *type = raw_websocket_read_type (raw);

    if (!g_str_equal (type, cases[i].first))
      g_error ("Origin %s, Host %s: the server sent '%s', not '%s'",
          origin ? origin : "(none)", host, type, cases[i].first);
    raw_free (raw);
  }
  assert_sessions_become (&server, 0, DRAIN_TIMEOUT_MS);
  server_stop (&server);
}

/* --- defect 10: payload types out of range, /status methods ------------------------------ */

static void
test_payload_type (gconstpointer data)
{
  const gchar *pt = data;
  g_autofree gchar *rtpmap = g_strdup_printf ("a=rtpmap:%s VP8/90000\r\n", pt);
  g_autofree gchar *formats = g_strdup_printf ("%s ", pt);
  g_autofree gchar *offer = NULL;
  g_autoptr (JsonObject) error = NULL;
  Server server = { 0 };
  Client *client;

  if (!run_in_child (TEST_TIMEOUT_MS))
    return;
  server_start (&server, "payload-type", MAX_SESSIONS, NULL);
  client = client_connect (&server, "payload-type");
  expect_hello (client);
  offer = offer_with (rtpmap, formats);
  client_send (client, offer);
  error = expect_message (client, "error", ANSWER_TIMEOUT_MS);
  if (!names_token (nonempty_member (client, error, "message"), pt))
    g_error ("the error \"%s\" does not name the payload type %s",
        json_object_get_string_member (error, "message"), pt);
  /* Nothing else came meanwhile, and the session waits for a good offer. */
  client_send (client, "{\"type\":\"frobnicate\"}");
  expect_error (client, "frobnicate");
  g_assert_false (client->got_answer);
  g_assert_cmpuint (client->n_ice, ==, 0);
  client_close (client);
  assert_sessions_become (&server, 0, DRAIN_TIMEOUT_MS);
  server_stop (&server);
}

static void
test_status_methods (void)
{
  const gchar *refused[] = { SOUP_METHOD_POST, SOUP_METHOD_PUT };
  Server server = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (SoupMessage) head = NULL;

  if (!run_in_child (TEST_TIMEOUT_MS))
    return;
  server_start (&server, "status-methods", MAX_SESSIONS, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++) {
    g_autoptr (SoupMessage) msg = http_request (&server, refused[i], "/status",
        NULL, &error);

    g_assert_no_error (error);
    if (soup_message_get_status (msg) != SOUP_STATUS_METHOD_NOT_ALLOWED)
      g_error ("%s /status: status %u, not 405", refused[i],
          soup_message_get_status (msg));
    g_assert_cmpstr (soup_message_headers_get_one
        (soup_message_get_response_headers (msg), "Allow"), ==, "GET, HEAD");
  }
  head = http_request (&server, SOUP_METHOD_HEAD, "/status", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (head), ==, SOUP_STATUS_OK);
  server_stop (&server);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  t.offer_sdp = harness_init (argc, argv);
  /* A failed child fails its test, not the ones after it. */
  if (!g_test_subprocess ())
    g_test_set_nonfatal_assertions ();

  g_test_add_data_func ("/launcher/hostile/extmap-empty", "a=extmap:\r\n",
      test_extmap);
  g_test_add_data_func ("/launcher/hostile/extmap-garbage", "a=extmap:abc\r\n",
      test_extmap);
  g_test_add_func ("/launcher/hostile/tls-stalled-client-hello",
      test_tls_stalled_client_hello);
  g_test_add_func ("/launcher/hostile/offer-timeout", test_offer_timeout);
  g_test_add_func ("/launcher/hostile/offer-timeout-frees-sessions",
      test_offer_timeout_frees_sessions);
  g_test_add_func ("/launcher/hostile/peer-timeout", test_peer_timeout);
  g_test_add_func ("/launcher/hostile/connections-per-address",
      test_connections_per_address);
  g_test_add_func ("/launcher/hostile/closed-connections",
      test_closed_connections);
  g_test_add_func ("/launcher/hostile/keep-alive", test_keep_alive);
  g_test_add_func ("/launcher/hostile/message-rate", test_message_rate);
  g_test_add_data_func ("/launcher/hostile/slow-reader", &slow_reader,
      test_flood);
  g_test_add_data_func ("/launcher/hostile/big-messages-flood", &big_messages,
      test_flood);
  for (guint i = 0; i < G_N_ELEMENTS (long_name_cases); i++) {
    g_autofree gchar *path = g_strconcat ("/launcher/hostile/long-name-",
        long_name_cases[i].name, NULL);
    g_test_add_data_func (path, &long_name_cases[i], test_long_name);
  }
  g_test_add_func ("/launcher/hostile/origin", test_origin);
  g_test_add_data_func ("/launcher/hostile/payload-type-128", "128",
      test_payload_type);
  g_test_add_data_func ("/launcher/hostile/payload-type-999", "999",
      test_payload_type);
  g_test_add_data_func ("/launcher/hostile/payload-type-x", "x",
      test_payload_type);
  g_test_add_func ("/launcher/hostile/status-methods", test_status_methods);
  return g_test_run ();
}
