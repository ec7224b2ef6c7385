/* The C API (a3s_store.h) as a C program sees it: every function, every
   status reachable from C, NULL and malformed JSON for every argument, and
   one handle shared by many threads. Plain C11 with a harness of its own; it
   ends with a Catch2-style summary line, which scripts/count_tests.py
   counts. */
#define _XOPEN_SOURCE 700
#include <a3s_store.h>
#include <ftw.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- Harness ------------------------------------------------------------ */

static int assertions, case_failed, cases_passed, cases_failed;

#define CHECK(cond)                                                                                \
  do {                                                                                             \
    ++assertions;                                                                                  \
    if (!(cond)) {                                                                                 \
      ++case_failed;                                                                               \
      fprintf(stderr, "%s:%d: CHECK(%s) failed (last error: \"%s\")\n", __FILE__, __LINE__, #cond, \
              a3s_last_error());                                                                   \
    }                                                                                              \
  } while (0)

/* A call's status, with the message "" exactly when it is A3S_OK. */
#define CHECK_STATUS(call, expected)                                                        \
  do {                                                                                      \
    a3s_status got_ = (call);                                                               \
    CHECK(got_ == (expected));                                                              \
    if (got_ != (expected))                                                                 \
      fprintf(stderr, "  status %d, expected %d: %s\n", (int)got_, (int)(expected), #call); \
    CHECK(((expected) == A3S_OK) == (a3s_last_error()[0] == '\0'));                         \
  } while (0)

#define CHECK_STR(actual, expected)                                                      \
  do {                                                                                   \
    const char* a_ = (actual);                                                           \
    CHECK(a_ != NULL && strcmp(a_, (expected)) == 0);                                    \
    if (a_ == NULL || strcmp(a_, (expected)) != 0)                                       \
      fprintf(stderr, "  got      %s\n  expected %s\n", a_ ? a_ : "(null)", (expected)); \
  } while (0)

#define CHECK_CONTAINS(text, part) CHECK((text) != NULL && strstr((text), (part)) != NULL)

static char home[256];

static int remove_entry(const char* path, const struct stat* st, int flag, struct FTW* ftw) {
  (void)st, (void)flag, (void)ftw;
  return remove(path);
}

static void make_home(void) {
  strcpy(home, "/tmp/a3s-c-api-XXXXXX");
  if (mkdtemp(home) == NULL) {
    perror("mkdtemp");
    exit(2);
  }
}

static void remove_home(void) { nftw(home, remove_entry, 16, FTW_DEPTH | FTW_PHYS); }

static void run_case(const char* name, void (*body)(void)) {
  case_failed = 0;
  make_home();
  body();
  remove_home();
  if (case_failed) {
    ++cases_failed;
    fprintf(stderr, "FAILED: %s\n", name);
  } else {
    ++cases_passed;
  }
}

/* ---- Helpers ------------------------------------------------------------ */

static a3s_store* open_home(void) {
  a3s_store* s = NULL;
  CHECK_STATUS(a3s_open(home, NULL, &s), A3S_OK);
  if (s == NULL) exit(2);
  return s;
}

static char* path_in_home(const char* relative) {
  static char path[512];
  snprintf(path, sizeof path, "%s/%s", home, relative);
  return path;
}

static void write_file(const char* path, const char* text) {
  FILE* f = fopen(path, "w");
  if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
    perror(path);
    exit(2);
  }
}

/* Runs `sql` on the home's database with SQLite itself. */
static void run_sql(const char* sql) {
  sqlite3* db = NULL;
  char* message = NULL;
  if (sqlite3_open(path_in_home("box.db"), &db) != SQLITE_OK ||
      sqlite3_exec(db, sql, NULL, NULL, &message) != SQLITE_OK) {
    fprintf(stderr, "sqlite: %s\n", message ? message : sqlite3_errmsg(db));
    exit(2);
  }
  sqlite3_close(db);
}

static const char* network_dev =
    "{\"name\":\"dev\",\"subnet\":\"10.88.0.0/24\",\"gateway\":\"10.88.0.1\","
    "\"created_at\":\"2026-06-17T08:15:30.123456789+00:00\"}";
static const char* network_tiny =
    "{\"name\":\"tiny\",\"subnet\":\"10.99.0.0/30\",\"gateway\":\"10.99.0.1\","
    "\"created_at\":\"2026-06-17T08:15:30+00:00\"}";
static const char* volume_data =
    "{\"name\":\"data\",\"mount_point\":\"\",\"created_at\":\"2026-06-17T08:15:30+00:00\"}";
static const char* snapshot_s1 =
    "{\"id\":\"s1\",\"name\":\"first\",\"source_box_id\":\"box1\",\"image\":\"alpine:3\","
    "\"vcpus\":2,\"memory_mb\":512,\"volumes\":[],\"env\":{},\"cmd\":[],"
    "\"created_at\":\"2024-01-01T00:00:00Z\"}";
static const char* digest_a =
    "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

/* ---- Cases -------------------------------------------------------------- */

static void version_and_free(void) {
  CHECK_STR(a3s_version(), A3S_STORE_VERSION);
  CHECK(a3s_last_error() != NULL);
  a3s_free(NULL);
  a3s_close(NULL);
}

static void networks(void) {
  a3s_store* s = open_home();
  char* out = (char*)"untouched";

  CHECK_STATUS(a3s_network_get(s, "dev", &out), A3S_NOT_FOUND);
  CHECK(out == NULL);
  CHECK_STR(a3s_last_error(), "network 'dev' not found");

  CHECK_STATUS(a3s_network_create(s, network_dev), A3S_OK);
  CHECK_STATUS(a3s_network_create(s, network_dev), A3S_ALREADY_EXISTS);
  CHECK_CONTAINS(a3s_last_error(), "dev");

  /* The record's JSON, defaults filled in, fields in the runtime's order. */
  CHECK_STATUS(a3s_network_get(s, "dev", &out), A3S_OK);
  CHECK_STR(out,
            "{\"name\":\"dev\",\"subnet\":\"10.88.0.0/24\",\"gateway\":\"10.88.0.1\","
            "\"driver\":\"bridge\",\"labels\":{},\"endpoints\":{},"
            "\"created_at\":\"2026-06-17T08:15:30.123456789+00:00\","
            "\"policy\":{\"isolation\":\"none\",\"ingress\":[],\"egress\":[]}}");
  a3s_free(out);

  CHECK_STATUS(a3s_network_connect(s, "dev", "box1", "web", "[\"www\",\"\",\"web\"]", &out),
               A3S_OK);
  CHECK_STR(out,
            "{\"box_id\":\"box1\",\"box_name\":\"web\",\"aliases\":[\"www\"],"
            "\"ip_address\":\"10.88.0.2\",\"mac_address\":\"02:42:0a:58:00:02\"}");
  a3s_free(out);
  CHECK_STATUS(a3s_network_connect(s, "dev", "box1", "web", "[]", &out), A3S_ALREADY_EXISTS);
  CHECK(out == NULL);
  CHECK_STATUS(a3s_network_connect(s, "nope", "box2", "b", "[]", &out), A3S_NOT_FOUND);

  CHECK_STATUS(a3s_network_remove(s, "dev", 0, &out), A3S_IN_USE);
  CHECK(out == NULL);
  CHECK_CONTAINS(a3s_last_error(), "dev");

  CHECK_STATUS(a3s_network_create(s, network_tiny), A3S_OK);
  CHECK_STATUS(a3s_network_connect(s, "tiny", "a", "a", "[]", &out), A3S_OK);
  CHECK_CONTAINS(out, "\"ip_address\":\"10.99.0.2\"");
  a3s_free(out);
  CHECK_STATUS(a3s_network_connect(s, "tiny", "b", "b", "[]", &out), A3S_EXHAUSTED);
  CHECK(out == NULL);

  CHECK_STATUS(a3s_network_list(s, &out), A3S_OK);
  CHECK(out != NULL && out[0] == '[' && strstr(out, "\"name\":\"dev\"") != NULL &&
        strstr(out, "\"name\":\"dev\"") < strstr(out, "\"name\":\"tiny\""));
  a3s_free(out);

  const char* labelled =
      "{\"name\":\"dev\",\"subnet\":\"10.88.0.0/24\",\"gateway\":\"10.88.0.1\","
      "\"labels\":{\"team\":\"a\"},\"created_at\":\"2026-06-17T08:15:30+00:00\"}";
  CHECK_STATUS(a3s_network_update(s, labelled), A3S_OK);
  CHECK_STATUS(a3s_network_get(s, "dev", &out), A3S_OK);
  CHECK_CONTAINS(out, "\"labels\":{\"team\":\"a\"},\"endpoints\":{}");
  a3s_free(out);
  CHECK_STATUS(a3s_network_update(s, network_tiny), A3S_OK);
  CHECK_STATUS(
      a3s_network_update(s,
                         "{\"name\":\"gone\",\"subnet\":\"10.1.0.0/24\",\"gateway\":\"10.1.0.1\","
                         "\"created_at\":\"x\"}"),
      A3S_NOT_FOUND);

  CHECK_STATUS(a3s_network_connect(s, "dev", "box1", "web", "[]", &out), A3S_OK);
  a3s_free(out);
  CHECK_STATUS(a3s_network_disconnect(s, "dev", "box1", &out), A3S_OK);
  CHECK_CONTAINS(out, "\"box_id\":\"box1\"");
  a3s_free(out);
  CHECK_STATUS(a3s_network_disconnect(s, "dev", "box1", &out), A3S_NOT_FOUND);

  CHECK_STATUS(a3s_network_remove(s, "dev", 0, &out), A3S_OK);
  CHECK_CONTAINS(out, "\"name\":\"dev\"");
  a3s_free(out);
  CHECK_STATUS(a3s_network_remove(s, "dev", 0, &out), A3S_NOT_FOUND);
  a3s_close(s);
}

static void volumes(void) {
  a3s_store* s = open_home();
  char* out = NULL;
  char expected[1024];

  CHECK_STATUS(a3s_volume_get(s, "data", &out), A3S_NOT_FOUND);
  CHECK_STR(a3s_last_error(), "volume 'data' not found");
  CHECK_STATUS(a3s_volume_create(s, volume_data, &out), A3S_OK);
  snprintf(expected, sizeof expected,
           "{\"name\":\"data\",\"driver\":\"local\",\"mount_point\":\"%s/volumes/data\","
           "\"labels\":{},\"in_use_by\":[],\"size_limit\":0,"
           "\"created_at\":\"2026-06-17T08:15:30+00:00\"}",
           home);
  CHECK_STR(out, expected);
  a3s_free(out);
  struct stat st;
  CHECK(stat(path_in_home("volumes/data"), &st) == 0 && S_ISDIR(st.st_mode));
  CHECK_STATUS(a3s_volume_create(s, volume_data, &out), A3S_ALREADY_EXISTS);

  CHECK_STATUS(a3s_volume_get_or_create(s, volume_data, &out), A3S_OK);
  CHECK_STR(out, expected);
  a3s_free(out);

  CHECK_STATUS(a3s_volume_attach(s, "data", "box1"), A3S_OK);
  CHECK_STATUS(a3s_volume_attach(s, "data", "box1"), A3S_OK);
  CHECK_STATUS(a3s_volume_attach(s, "nope", "box1"), A3S_NOT_FOUND);
  CHECK_STATUS(a3s_volume_get(s, "data", &out), A3S_OK);
  CHECK_CONTAINS(out, "\"in_use_by\":[\"box1\"]");
  a3s_free(out);
  CHECK_STATUS(a3s_volume_remove(s, "data", 0, &out), A3S_IN_USE);
  CHECK(out == NULL);

  const char* other =
      "{\"name\":\"other\",\"mount_point\":\"\",\"created_at\":\"2026-06-17T08:15:30+00:00\"}";
  CHECK_STATUS(a3s_volume_get_or_create(s, other, &out), A3S_OK);
  a3s_free(out);
  CHECK_STATUS(a3s_volume_list(s, &out), A3S_OK);
  CHECK(out != NULL && strncmp(out, "[{\"name\":\"data\",", 16) == 0);
  CHECK_CONTAINS(out, "\"},{\"name\":\"other\"");
  CHECK(out != NULL && strcmp(out + strlen(out) - 2, "}]") == 0);
  a3s_free(out);

  /* Only the unattached volume goes. */
  CHECK_STATUS(a3s_volume_prune(s, &out), A3S_OK);
  CHECK_STR(out, "[\"other\"]");
  a3s_free(out);

  snprintf(expected, sizeof expected,
           "{\"name\":\"data\",\"mount_point\":\"%s/volumes/data\",\"size_limit\":1024,"
           "\"in_use_by\":[\"box1\"],\"created_at\":\"2026-06-17T08:15:30+00:00\"}",
           home);
  CHECK_STATUS(a3s_volume_update(s, expected), A3S_OK);
  CHECK_STATUS(a3s_volume_get(s, "data", &out), A3S_OK);
  CHECK_CONTAINS(out, "\"size_limit\":1024");
  a3s_free(out);
  CHECK_STATUS(a3s_volume_update(s, other), A3S_NOT_FOUND);

  CHECK_STATUS(a3s_volume_detach(s, "data", "box1"), A3S_OK);
  CHECK_STATUS(a3s_volume_detach(s, "nope", "box1"), A3S_NOT_FOUND);
  CHECK_STATUS(a3s_volume_remove(s, "data", 0, &out), A3S_OK);
  CHECK_CONTAINS(out, "\"name\":\"data\"");
  a3s_free(out);
  CHECK(stat(path_in_home("volumes/data"), &st) != 0);
  CHECK_STATUS(a3s_volume_prune(s, &out), A3S_OK);
  CHECK_STR(out, "[]");
  a3s_free(out);
  a3s_close(s);
}

static void snapshots(void) {
  a3s_store* s = open_home();
  char* out = NULL;
  uint64_t n = 99;
  int existed = 7;

  char rootfs[512];
  snprintf(rootfs, sizeof rootfs, "%s/rootfs-src", home);
  CHECK(mkdir(rootfs, 0755) == 0);
  write_file(path_in_home("rootfs-src/hello"), "hello");

  CHECK_STATUS(a3s_snapshot_get(s, "s1", &out), A3S_NOT_FOUND);
  CHECK_STR(a3s_last_error(), "snapshot 's1' not found");
  CHECK_STATUS(a3s_snapshot_save(s, snapshot_s1, rootfs, &out), A3S_OK);
  CHECK_STR(out,
            "{\"id\":\"s1\",\"name\":\"first\",\"source_box_id\":\"box1\",\"image\":\"alpine:3\","
            "\"vcpus\":2,\"memory_mb\":512,\"volumes\":[],\"env\":{},\"cmd\":[],"
            "\"entrypoint\":null,\"workdir\":null,\"healthcheck_disabled\":false,"
            "\"port_map\":[],\"labels\":{},\"network_mode\":null,\"rootfs_cache_key\":null,"
            "\"size_bytes\":5,\"created_at\":\"2024-01-01T00:00:00Z\",\"description\":\"\"}");
  a3s_free(out);
  CHECK_STATUS(a3s_snapshot_save(s, snapshot_s1, rootfs, &out), A3S_ALREADY_EXISTS);
  CHECK(out == NULL);

  const char* s2 =
      "{\"id\":\"s2\",\"name\":\"second\",\"source_box_id\":\"box1\",\"image\":\"alpine:3\","
      "\"vcpus\":1,\"memory_mb\":256,\"volumes\":[],\"env\":{},\"cmd\":[],"
      "\"created_at\":\"2025-01-01T00:00:00Z\"}";
  CHECK_STATUS(a3s_snapshot_save(s, s2, path_in_home("absent"), &out), A3S_OK);
  CHECK_CONTAINS(out, "\"size_bytes\":0");
  a3s_free(out);

  CHECK_STATUS(a3s_snapshot_get(s, "s1", &out), A3S_OK);
  CHECK_CONTAINS(out, "\"size_bytes\":5");
  a3s_free(out);
  CHECK_STATUS(a3s_snapshot_list(s, &out), A3S_OK); /* newest first */
  CHECK(out != NULL && strstr(out, "\"id\":\"s2\"") != NULL &&
        strstr(out, "\"id\":\"s2\"") < strstr(out, "\"id\":\"s1\""));
  a3s_free(out);
  CHECK_STATUS(a3s_snapshot_count(s, &n), A3S_OK);
  CHECK(n == 2);
  CHECK_STATUS(a3s_snapshot_total_size(s, &n), A3S_OK);
  CHECK(n == 5);

  CHECK_STATUS(a3s_snapshot_prune(s, 1, 0, &out), A3S_OK);
  CHECK_STR(out, "[\"s1\"]");
  a3s_free(out);
  CHECK_STATUS(a3s_snapshot_delete(s, "s2", &existed), A3S_OK);
  CHECK(existed == 1);
  CHECK_STATUS(a3s_snapshot_delete(s, "s2", &existed), A3S_OK);
  CHECK(existed == 0);
  CHECK_STATUS(a3s_snapshot_count(s, &n), A3S_OK);
  CHECK(n == 0);
  a3s_close(s);
}

static void images(void) {
  a3s_store* s = open_home();
  char* out = NULL;
  uint64_t n = 0;

  char layout[512];
  snprintf(layout, sizeof layout, "%s/layout", home);
  CHECK(mkdir(layout, 0755) == 0);
  write_file(path_in_home("layout/index.json"), "{\"schemaVersion\":2}");

  CHECK_STATUS(a3s_image_get(s, "alpine:3", &out), A3S_NOT_FOUND);
  CHECK_STR(a3s_last_error(), "image 'alpine:3' not found");
  CHECK_STATUS(a3s_image_get_by_digest(s, digest_a, &out), A3S_NOT_FOUND);
  CHECK_STATUS(a3s_image_put(s, "alpine:3", digest_a, layout, &out), A3S_OK);
  CHECK(out != NULL &&
        strncmp(out, "{\"reference\":\"alpine:3\",\"digest\":\"sha256:aaa", 44) == 0);
  CHECK_CONTAINS(out, "\"size_bytes\":19,\"pulled_at\":");
  a3s_free(out);
  CHECK_STATUS(a3s_image_put(s, "alpine:3", "sha256:short", layout, &out), A3S_INVALID_ARGUMENT);
  CHECK_STATUS(a3s_image_put(s, "x:1", digest_a, path_in_home("absent"), &out),
               A3S_INVALID_ARGUMENT);

  CHECK_STATUS(a3s_image_get(s, "alpine:3", &out), A3S_OK);
  CHECK_CONTAINS(out, "\"reference\":\"alpine:3\"");
  a3s_free(out);
  CHECK_STATUS(a3s_image_get_by_digest(s, digest_a, &out), A3S_OK);
  CHECK_CONTAINS(out, "\"reference\":\"alpine:3\"");
  a3s_free(out);
  CHECK_STATUS(a3s_image_list(s, &out), A3S_OK);
  CHECK(out != NULL && out[0] == '[' && strstr(out, "\"reference\":\"alpine:3\"") != NULL);
  a3s_free(out);
  CHECK_STATUS(a3s_image_total_size(s, &n), A3S_OK);
  CHECK(n == 19);

  /* Within the default cap nothing goes. */
  CHECK_STATUS(a3s_image_evict(s, &out), A3S_OK);
  CHECK_STR(out, "[]");
  a3s_free(out);
  CHECK_STATUS(a3s_image_remove(s, "alpine:3"), A3S_OK);
  CHECK_STATUS(a3s_image_remove(s, "alpine:3"), A3S_NOT_FOUND);
  CHECK_STATUS(a3s_image_total_size(s, &n), A3S_OK);
  CHECK(n == 0);
  a3s_close(s);

  /* A cap from the options: the image is over it and is evicted. */
  CHECK_STATUS(a3s_open(home, "{\"image_cache_bytes\":1}", &s), A3S_OK);
  CHECK_STATUS(a3s_image_put(s, "alpine:3", digest_a, layout, &out), A3S_OK);
  a3s_free(out);
  CHECK_STATUS(a3s_image_evict(s, &out), A3S_OK);
  CHECK_STR(out, "[\"alpine:3\"]");
  a3s_free(out);
  a3s_close(s);
}

static void open_options(void) {
  a3s_store* s = (a3s_store*)&s;
  char* out = NULL;

  CHECK_STATUS(a3s_open(home,
                        "{\"db\":\"\",\"store\":\"sqlite\",\"auto_migrate\":true,"
                        "\"synchronous\":\"normal\",\"busy_timeout_ms\":100,"
                        "\"image_cache_bytes\":1048576}",
                        &s),
               A3S_OK);
  a3s_close(s);

  /* Each bad option is refused, naming its key, and nothing is opened. */
  const char* bad[][2] = {
      {"{\"colour\":\"red\"}", "colour"},
      {"{\"db\":1}", "db"},
      {"{\"store\":true}", "store"},
      {"{\"store\":\"etcd://127.0.0.1/a3s\"}", "store URL 'etcd://127.0.0.1/a3s': endpoint"},
      {"{\"store\":\"etcd://127.0.0.1:2379/a3s\",\"db\":\"x.db\"}", "is SQLite's"},
      {"{\"auto_migrate\":\"yes\"}", "auto_migrate"},
      {"{\"synchronous\":\"off\"}", "synchronous"},
      {"{\"synchronous\":1}", "synchronous"},
      {"{\"busy_timeout_ms\":-1}", "busy_timeout_ms"},
      {"{\"busy_timeout_ms\":1.5}", "busy_timeout_ms"},
      {"{\"image_cache_bytes\":\"1g\"}", "image_cache_bytes"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
    s = (a3s_store*)&s;
    CHECK_STATUS(a3s_open(home, bad[i][0], &s), A3S_INVALID_ARGUMENT);
    CHECK(s == NULL);
    CHECK_CONTAINS(a3s_last_error(), bad[i][1]);
  }
  CHECK_STATUS(a3s_open(home, "[]", &s), A3S_INVALID_ARGUMENT);
  CHECK_STATUS(a3s_open(home, "{", &s), A3S_INVALID_ARGUMENT);

  /* "db" puts the database elsewhere: rows there, none in box.db. */
  char options[600];
  snprintf(options, sizeof options, "{\"db\":\"%s/other.db\"}", home);
  CHECK_STATUS(a3s_open(home, options, &s), A3S_OK);
  CHECK_STATUS(a3s_network_create(s, network_dev), A3S_OK);
  a3s_close(s);
  s = open_home();
  CHECK_STATUS(a3s_network_get(s, "dev", &out), A3S_NOT_FOUND);
  a3s_close(s);
  CHECK_STATUS(a3s_open(home, options, &s), A3S_OK);
  CHECK_STATUS(a3s_network_get(s, "dev", &out), A3S_OK);
  a3s_free(out);
  a3s_close(s);
}

/* The statuses a database can give on open, each made with SQLite. */
static void database_statuses(void) {
  a3s_store* s = open_home();
  a3s_close(s);

  run_sql("PRAGMA user_version = 9999");
  CHECK_STATUS(a3s_open(home, NULL, &s), A3S_SCHEMA_TOO_NEW);
  CHECK(s == NULL);
  CHECK_CONTAINS(a3s_last_error(), "9999");

  run_sql("PRAGMA user_version = 1");
  CHECK_STATUS(a3s_open(home, "{\"auto_migrate\":false}", &s), A3S_SCHEMA_OUTDATED);
  CHECK(s == NULL);
  remove_home();

  make_home();
  s = open_home();
  a3s_close(s);
  run_sql("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1");
  CHECK_STATUS(a3s_open(home, NULL, &s), A3S_CHECKSUM_MISMATCH);
  CHECK(s == NULL);
  remove_home();

  make_home();
  write_file(path_in_home("box.db"), "this is not a database, it is a text file of some length..");
  CHECK_STATUS(a3s_open(home, NULL, &s), A3S_CORRUPT);
  CHECK(s == NULL);
  remove_home();

  /* Another connection holds the write lock past the busy timeout. */
  make_home();
  s = NULL;
  CHECK_STATUS(a3s_open(home, "{\"busy_timeout_ms\":0}", &s), A3S_OK);
  sqlite3* db = NULL;
  CHECK(sqlite3_open(path_in_home("box.db"), &db) == SQLITE_OK);
  CHECK(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK);
  CHECK_STATUS(a3s_network_create(s, network_dev), A3S_BUSY);
  CHECK(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK);
  sqlite3_close(db);
  CHECK_STATUS(a3s_network_create(s, network_dev), A3S_OK);

  /* A file where the snapshot's directory goes. */
  mkdir(path_in_home("snapshots"), 0755); /* it may be there already */
  write_file(path_in_home("snapshots/s1"), "in the way");
  char* out = NULL;
  CHECK_STATUS(a3s_snapshot_save(s, snapshot_s1, path_in_home("absent"), &out), A3S_IO);
  CHECK(out == NULL);
  CHECK_CONTAINS(a3s_last_error(), "s1");
  a3s_close(s);
}

/* Every pointer argument NULL in turn, and malformed JSON in every JSON one. */
static void null_and_bad_json(void) {
  a3s_store* s = (a3s_store*)&s;
  char* out = (char*)"untouched";
  uint64_t n = 0;
  int existed = 0;
  const a3s_status E = A3S_INVALID_ARGUMENT;

  CHECK_STATUS(a3s_open(NULL, NULL, &s), E);
  CHECK(s == NULL);
  CHECK_STATUS(a3s_open(home, NULL, NULL), E);
  s = open_home();

  CHECK_STATUS(a3s_network_get(NULL, "dev", &out), E);
  CHECK(out == NULL);
  CHECK_STATUS(a3s_network_get(s, NULL, &out), E);
  CHECK_STATUS(a3s_network_get(s, "dev", NULL), E);
  CHECK_STATUS(a3s_network_create(NULL, network_dev), E);
  CHECK_STATUS(a3s_network_create(s, NULL), E);
  CHECK_STATUS(a3s_network_remove(NULL, "dev", 0, &out), E);
  CHECK_STATUS(a3s_network_remove(s, NULL, 0, &out), E);
  CHECK_STATUS(a3s_network_remove(s, "dev", 0, NULL), E);
  CHECK_STATUS(a3s_network_list(NULL, &out), E);
  CHECK_STATUS(a3s_network_list(s, NULL), E);
  CHECK_STATUS(a3s_network_update(NULL, network_dev), E);
  CHECK_STATUS(a3s_network_update(s, NULL), E);
  CHECK_STATUS(a3s_network_connect(NULL, "dev", "b", "b", "[]", &out), E);
  CHECK_STATUS(a3s_network_connect(s, NULL, "b", "b", "[]", &out), E);
  CHECK_STATUS(a3s_network_connect(s, "dev", NULL, "b", "[]", &out), E);
  CHECK_STATUS(a3s_network_connect(s, "dev", "b", NULL, "[]", &out), E);
  CHECK_STATUS(a3s_network_connect(s, "dev", "b", "b", NULL, &out), E);
  CHECK_STATUS(a3s_network_connect(s, "dev", "b", "b", "[]", NULL), E);
  CHECK_STATUS(a3s_network_disconnect(NULL, "dev", "b", &out), E);
  CHECK_STATUS(a3s_network_disconnect(s, NULL, "b", &out), E);
  CHECK_STATUS(a3s_network_disconnect(s, "dev", NULL, &out), E);
  CHECK_STATUS(a3s_network_disconnect(s, "dev", "b", NULL), E);

  CHECK_STATUS(a3s_volume_get(NULL, "v", &out), E);
  CHECK_STATUS(a3s_volume_get(s, NULL, &out), E);
  CHECK_STATUS(a3s_volume_get(s, "v", NULL), E);
  CHECK_STATUS(a3s_volume_create(NULL, volume_data, &out), E);
  CHECK_STATUS(a3s_volume_create(s, NULL, &out), E);
  CHECK_STATUS(a3s_volume_create(s, volume_data, NULL), E);
  CHECK_STATUS(a3s_volume_get_or_create(NULL, volume_data, &out), E);
  CHECK_STATUS(a3s_volume_get_or_create(s, NULL, &out), E);
  CHECK_STATUS(a3s_volume_get_or_create(s, volume_data, NULL), E);
  CHECK_STATUS(a3s_volume_remove(NULL, "v", 0, &out), E);
  CHECK_STATUS(a3s_volume_remove(s, NULL, 0, &out), E);
  CHECK_STATUS(a3s_volume_remove(s, "v", 0, NULL), E);
  CHECK_STATUS(a3s_volume_list(NULL, &out), E);
  CHECK_STATUS(a3s_volume_list(s, NULL), E);
  CHECK_STATUS(a3s_volume_update(NULL, volume_data), E);
  CHECK_STATUS(a3s_volume_update(s, NULL), E);
  CHECK_STATUS(a3s_volume_attach(NULL, "v", "b"), E);
  CHECK_STATUS(a3s_volume_attach(s, NULL, "b"), E);
  CHECK_STATUS(a3s_volume_attach(s, "v", NULL), E);
  CHECK_STATUS(a3s_volume_detach(NULL, "v", "b"), E);
  CHECK_STATUS(a3s_volume_detach(s, NULL, "b"), E);
  CHECK_STATUS(a3s_volume_detach(s, "v", NULL), E);
  CHECK_STATUS(a3s_volume_prune(NULL, &out), E);
  CHECK_STATUS(a3s_volume_prune(s, NULL), E);

  CHECK_STATUS(a3s_snapshot_save(NULL, snapshot_s1, home, &out), E);
  CHECK_STATUS(a3s_snapshot_save(s, NULL, home, &out), E);
  CHECK_STATUS(a3s_snapshot_save(s, snapshot_s1, NULL, &out), E);
  CHECK_STATUS(a3s_snapshot_save(s, snapshot_s1, home, NULL), E);
  CHECK_STATUS(a3s_snapshot_get(NULL, "s1", &out), E);
  CHECK_STATUS(a3s_snapshot_get(s, NULL, &out), E);
  CHECK_STATUS(a3s_snapshot_get(s, "s1", NULL), E);
  CHECK_STATUS(a3s_snapshot_list(NULL, &out), E);
  CHECK_STATUS(a3s_snapshot_list(s, NULL), E);
  CHECK_STATUS(a3s_snapshot_delete(NULL, "s1", &existed), E);
  CHECK_STATUS(a3s_snapshot_delete(s, NULL, &existed), E);
  CHECK_STATUS(a3s_snapshot_delete(s, "s1", NULL), E);
  CHECK_STATUS(a3s_snapshot_count(NULL, &n), E);
  CHECK_STATUS(a3s_snapshot_count(s, NULL), E);
  CHECK_STATUS(a3s_snapshot_total_size(NULL, &n), E);
  CHECK_STATUS(a3s_snapshot_total_size(s, NULL), E);
  CHECK_STATUS(a3s_snapshot_prune(NULL, 0, 0, &out), E);
  CHECK_STATUS(a3s_snapshot_prune(s, 0, 0, NULL), E);

  CHECK_STATUS(a3s_image_put(NULL, "r:1", digest_a, home, &out), E);
  CHECK_STATUS(a3s_image_put(s, NULL, digest_a, home, &out), E);
  CHECK_STATUS(a3s_image_put(s, "r:1", NULL, home, &out), E);
  CHECK_STATUS(a3s_image_put(s, "r:1", digest_a, NULL, &out), E);
  CHECK_STATUS(a3s_image_put(s, "r:1", digest_a, home, NULL), E);
  CHECK_STATUS(a3s_image_get(NULL, "r:1", &out), E);
  CHECK_STATUS(a3s_image_get(s, NULL, &out), E);
  CHECK_STATUS(a3s_image_get(s, "r:1", NULL), E);
  CHECK_STATUS(a3s_image_get_by_digest(NULL, digest_a, &out), E);
  CHECK_STATUS(a3s_image_get_by_digest(s, NULL, &out), E);
  CHECK_STATUS(a3s_image_get_by_digest(s, digest_a, NULL), E);
  CHECK_STATUS(a3s_image_remove(NULL, "r:1"), E);
  CHECK_STATUS(a3s_image_remove(s, NULL), E);
  CHECK_STATUS(a3s_image_list(NULL, &out), E);
  CHECK_STATUS(a3s_image_list(s, NULL), E);
  CHECK_STATUS(a3s_image_evict(NULL, &out), E);
  CHECK_STATUS(a3s_image_evict(s, NULL), E);
  CHECK_STATUS(a3s_image_total_size(NULL, &n), E);
  CHECK_STATUS(a3s_image_total_size(s, NULL), E);

  /* Malformed JSON, a JSON value of the wrong kind, a missing required
     field, a field named twice: each refused, naming what is wrong. */
  const char* bad_json[] = {
      "", "{", "not json", "[]", "{\"name\":\"x\"}", "{\"name\":\"a\",\"name\":\"b\"}"};
  for (size_t i = 0; i < sizeof bad_json / sizeof bad_json[0]; ++i) {
    const char* j = bad_json[i];
    CHECK_STATUS(a3s_network_create(s, j), E);
    CHECK_STATUS(a3s_network_update(s, j), E);
    CHECK_STATUS(a3s_volume_create(s, j, &out), E);
    CHECK_STATUS(a3s_volume_get_or_create(s, j, &out), E);
    CHECK_STATUS(a3s_volume_update(s, j), E);
    CHECK_STATUS(a3s_snapshot_save(s, j, home, &out), E);
  }
  CHECK_STATUS(a3s_network_create(s, network_dev), A3S_OK);
  const char* bad_aliases[] = {"", "[", "{}", "\"www\"", "[1]", "[\"a\",null]"};
  for (size_t i = 0; i < sizeof bad_aliases / sizeof bad_aliases[0]; ++i) {
    CHECK_STATUS(a3s_network_connect(s, "dev", "b", "b", bad_aliases[i], &out), E);
    CHECK(out == NULL);
  }
  const char* bad_options[] = {"", "{", "null", "{\"db\":\"a\",}"};
  for (size_t i = 0; i < sizeof bad_options / sizeof bad_options[0]; ++i) {
    a3s_store* other = NULL;
    CHECK_STATUS(a3s_open(home, bad_options[i], &other), E);
    CHECK(other == NULL);
  }
  /* Nothing was written by any of them. */
  CHECK_STATUS(a3s_network_get(s, "dev", &out), A3S_OK);
  CHECK_CONTAINS(out, "\"endpoints\":{}");
  a3s_free(out);
  CHECK_STATUS(a3s_volume_list(s, &out), A3S_OK);
  CHECK_STR(out, "[]");
  a3s_free(out);
  a3s_close(s);
}

/* ---- Threads ------------------------------------------------------------ */

enum { kThreads = 8, kConnectsPerThread = 24 };

struct worker {
  a3s_store* store;
  pthread_barrier_t* start;
  int index;
  int failures;
  char ips[kConnectsPerThread][16];
};

static void* connect_boxes(void* arg) {
  struct worker* w = arg;
  pthread_barrier_wait(w->start);
  for (int i = 0; i < kConnectsPerThread; ++i) {
    char box[32];
    snprintf(box, sizeof box, "box-%d-%d", w->index, i);
    char* out = NULL;
    if (a3s_network_connect(w->store, "dev", box, box, "[]", &out) != A3S_OK ||
        a3s_last_error()[0] != '\0') {
      ++w->failures;
      continue;
    }
    const char* ip = strstr(out, "\"ip_address\":\"");
    if (ip != NULL) sscanf(ip + 14, "%15[0-9.]", w->ips[i]);
    a3s_free(out);
    /* Each thread's message is its own: a failing call here leaves every
       other thread's "" alone. */
    if (a3s_network_get(w->store, "absent", &out) != A3S_NOT_FOUND) ++w->failures;
  }
  return NULL;
}

static void threads_share_one_handle(void) {
  a3s_store* s = open_home();
  CHECK_STATUS(a3s_network_create(s, network_dev), A3S_OK);
  pthread_barrier_t start;
  pthread_barrier_init(&start, NULL, kThreads);
  static struct worker workers[kThreads];
  pthread_t ids[kThreads];
  for (int t = 0; t < kThreads; ++t) {
    memset(&workers[t], 0, sizeof workers[t]);
    workers[t].store = s;
    workers[t].start = &start;
    workers[t].index = t;
    CHECK(pthread_create(&ids[t], NULL, connect_boxes, &workers[t]) == 0);
  }
  for (int t = 0; t < kThreads; ++t) pthread_join(ids[t], NULL);
  pthread_barrier_destroy(&start);

  /* Every connect succeeded with its own address, and the store agrees. */
  int seen[256] = {0};
  int handed_out = 0;
  for (int t = 0; t < kThreads; ++t) {
    CHECK(workers[t].failures == 0);
    for (int i = 0; i < kConnectsPerThread; ++i) {
      unsigned a, b, c, d;
      if (sscanf(workers[t].ips[i], "%u.%u.%u.%u", &a, &b, &c, &d) != 4 || d > 255) continue;
      ++handed_out;
      CHECK(seen[d] == 0);
      seen[d] = 1;
    }
  }
  CHECK(handed_out == kThreads * kConnectsPerThread);
  for (int d = 2; d < 2 + kThreads * kConnectsPerThread; ++d) CHECK(seen[d] == 1);
  char* out = NULL;
  CHECK_STATUS(a3s_network_get(s, "dev", &out), A3S_OK);
  int endpoints = 0;
  for (const char* p = out; p && (p = strstr(p, "\"box_id\":")) != NULL; ++p) ++endpoints;
  CHECK(endpoints == kThreads * kConnectsPerThread);
  a3s_free(out);
  a3s_close(s);
}

int main(void) {
  run_case("version and free", version_and_free);
  run_case("networks", networks);
  run_case("volumes", volumes);
  run_case("snapshots", snapshots);
  run_case("images", images);
  run_case("open options", open_options);
  run_case("database statuses", database_statuses);
  run_case("NULL and malformed JSON", null_and_bad_json);
  run_case("threads share one handle", threads_share_one_handle);

  /* The summary scripts/count_tests.py reads, as Catch2 writes it. */
  if (cases_failed == 0) {
    printf("All tests passed (%d assertions in %d test cases)\n", assertions, cases_passed);
    return 0;
  }
  printf("test cases: %d | %d passed | %d failed\n", cases_passed + cases_failed, cases_passed,
         cases_failed);
  return 1;
}
