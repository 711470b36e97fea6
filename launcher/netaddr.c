#define _DEFAULT_SOURCE         /* getifaddrs */
#include "netaddr.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

gchar **
rtfx_local_addresses (void)
{
  GPtrArray *found = g_ptr_array_new ();
  struct ifaddrs *list = NULL;

  if (getifaddrs (&list) == 0) {
    for (struct ifaddrs * i = list; i != NULL; i = i->ifa_next) {
      char text[INET6_ADDRSTRLEN];
      const void *addr;

      if (i->ifa_addr == NULL || !(i->ifa_flags & IFF_UP))
        continue;
      if (i->ifa_addr->sa_family == AF_INET) {
        addr = &((struct sockaddr_in *) i->ifa_addr)->sin_addr;
      } else if (i->ifa_addr->sa_family == AF_INET6) {
        const struct in6_addr *a6 =
            &((struct sockaddr_in6 *) i->ifa_addr)->sin6_addr;
        /* Link-local addresses need a scope the candidates cannot carry. */
        if (IN6_IS_ADDR_LINKLOCAL (a6))
          continue;
        addr = a6;
      } else {
        continue;
      }
      if (inet_ntop (i->ifa_addr->sa_family, addr, text, sizeof (text)))
        g_ptr_array_add (found, g_strdup (text));
    }
    freeifaddrs (list);
  }
  g_ptr_array_add (found, NULL);
  return (gchar **) g_ptr_array_free (found, FALSE);
}
