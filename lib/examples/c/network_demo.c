/* Opens the store of a home, creates a network, connects a box to it and
   prints the endpoint's JSON: the C API as an installed package offers it.

     make && ./network_demo /tmp/demo-home

   Builds with nothing but `pkg-config --cflags --libs a3s-box-store`. */
#include <a3s_store.h>
#include <stdio.h>

/* Prints the failed call and this thread's message, and says so. */
static int failed(const char *what, a3s_status status) {
  if (status == A3S_OK) return 0;
  fprintf(stderr, "%s: status %d: %s\n", what, (int)status, a3s_last_error());
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s HOME\n", argv[0]);
    return 2;
  }
  a3s_store *store = NULL;
  if (failed("open", a3s_open(argv[1], NULL, &store))) return 1;

  const char *network =
      "{\"name\":\"demo\",\"subnet\":\"10.89.0.0/24\",\"gateway\":\"10.89.0.1\","
      "\"created_at\":\"2026-06-17T08:15:30.123456789+00:00\"}";
  char *endpoint = NULL;
  int status = failed("create", a3s_network_create(store, network)) ||
               failed("connect", a3s_network_connect(store, "demo", "box-1", "web",
                                                     "[\"www\"]", &endpoint));
  if (status == 0) printf("%s\n", endpoint);
  a3s_free(endpoint);
  a3s_close(store);
  return status;
}
