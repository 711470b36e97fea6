/* A self-signed certificate lets people try HTTPS (and so a camera in a remote browser) without a
 * certificate authority; its fingerprint is printed so they can check what their browser shows. */
#include "tls.h"

#include <gnutls/x509.h>
#include <time.h>

#define VALID_DAYS 365

static gboolean
check (gint ret, const gchar * what, GError ** error)
{
  if (ret < 0)
    g_set_error (error, G_TLS_ERROR, G_TLS_ERROR_MISC,
        "cannot make a self-signed certificate: %s: %s", what,
        gnutls_strerror (ret));
  return ret >= 0;
}

GTlsCertificate *
rtfx_tls_self_signed (GError ** error)
{
  static const guint8 localhost_ip[] = { 127, 0, 0, 1 };
  gnutls_x509_privkey_t key = NULL;
  gnutls_x509_crt_t crt = NULL;
  gnutls_datum_t crt_pem = { NULL, 0 }, key_pem = { NULL, 0 };
  GTlsCertificate *certificate = NULL;
  const time_t now = time (NULL);
  guint8 serial[16];

  for (guint i = 0; i < sizeof (serial); i++)
    serial[i] = (guint8) g_random_int ();
  serial[0] &= 0x7f;            /* a positive number */
  if (check (gnutls_x509_privkey_init (&key), "key", error) &&
      check (gnutls_x509_privkey_generate (key, GNUTLS_PK_ECDSA,
              GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1), 0), "key",
          error) &&
      check (gnutls_x509_crt_init (&crt), "certificate", error) &&
      check (gnutls_x509_crt_set_version (crt, 3), "version", error) &&
      check (gnutls_x509_crt_set_serial (crt, serial, sizeof (serial)),
          "serial", error) &&
      check (gnutls_x509_crt_set_activation_time (crt, now - 3600), "time",
          error) &&
      check (gnutls_x509_crt_set_expiration_time (crt,
              now + VALID_DAYS * 24 * 3600), "time", error) &&
      check (gnutls_x509_crt_set_dn_by_oid (crt, GNUTLS_OID_X520_COMMON_NAME, 0,
              "rtfx-launch", 11), "name", error) &&
      check (gnutls_x509_crt_set_subject_alt_name (crt, GNUTLS_SAN_DNSNAME,
              "localhost", 9, GNUTLS_FSAN_APPEND), "name", error) &&
      check (gnutls_x509_crt_set_subject_alt_name (crt, GNUTLS_SAN_IPADDRESS,
              localhost_ip, sizeof (localhost_ip), GNUTLS_FSAN_APPEND), "name",
          error) &&
      check (gnutls_x509_crt_set_key_usage (crt,
              GNUTLS_KEY_DIGITAL_SIGNATURE), "usage", error) &&
      check (gnutls_x509_crt_set_key (crt, key), "key", error) &&
      check (gnutls_x509_crt_sign2 (crt, crt, key, GNUTLS_DIG_SHA256, 0),
          "signature", error) &&
      check (gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_PEM, &crt_pem),
          "export", error) &&
      check (gnutls_x509_privkey_export2 (key, GNUTLS_X509_FMT_PEM, &key_pem),
          "export", error)) {
    g_autofree gchar *pem = g_strdup_printf ("%.*s%.*s", (int) crt_pem.size,
        crt_pem.data, (int) key_pem.size, key_pem.data);
    certificate = g_tls_certificate_new_from_pem (pem, -1, error);
  }
  gnutls_free (crt_pem.data);
  gnutls_free (key_pem.data);
  if (crt != NULL)
    gnutls_x509_crt_deinit (crt);
  if (key != NULL)
    gnutls_x509_privkey_deinit (key);
  return certificate;
}

gchar *
rtfx_tls_fingerprint (GTlsCertificate * certificate)
{
  g_autoptr (GByteArray) der = NULL;
  g_autofree gchar *hex = NULL;
  GString *out = g_string_new (NULL);

  g_object_get (certificate, "certificate", &der, NULL);
  hex = g_compute_checksum_for_data (G_CHECKSUM_SHA256, der->data, der->len);
  for (gsize i = 0; hex[i] != '\0'; i += 2)
    g_string_append_printf (out, "%s%c%c", i ? ":" : "",
        g_ascii_toupper (hex[i]), g_ascii_toupper (hex[i + 1]));
  return g_string_free (out, FALSE);
}
