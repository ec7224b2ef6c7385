/*
 * a3s_store.h — the C API of a3s-box-store (C11, usable from C++).
 *
 * Conventions shared by every function below:
 * - Records travel as UTF-8 JSON text, exactly the JSON of the records'
 *   contract (field names, defaults, field order). Lists are JSON arrays of
 *   records; prune and evict return JSON arrays of strings.
 * - Every string returned through an `out_json` pointer is allocated by the
 *   library and owned by the caller, who frees it with a3s_free(). On any
 *   status other than A3S_OK nothing is allocated and `*out_json` is set to
 *   NULL (when `out_json` itself is not NULL).
 * - Every function returning a3s_status sets this thread's last error
 *   message: "" after A3S_OK, otherwise a message naming the object
 *   concerned (e.g. "network 'dev' not found"). Read it with
 *   a3s_last_error().
 * - A NULL pointer argument is A3S_INVALID_ARGUMENT; the one optional
 *   pointer is a3s_open()'s `options_json`.
 * - No C++ exception ever leaves these functions; a failure no other status
 *   describes (e.g. out of memory) is A3S_INTERNAL.
 * - One a3s_store handle may be used from many threads at once. A handle is
 *   not used in a child after fork(): the child opens its own.
 */
#ifndef A3S_STORE_H
#define A3S_STORE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* An open store: the database of one home plus its files. Opaque. */
typedef struct a3s_store a3s_store;

/* The outcome of a call. The codes 1..11 are the store's error codes. */
typedef enum a3s_status {
  A3S_OK = 0,
  A3S_NOT_FOUND = 1,
  A3S_ALREADY_EXISTS = 2,
  A3S_IN_USE = 3,
  A3S_INVALID_ARGUMENT = 4,
  A3S_EXHAUSTED = 5,
  A3S_SCHEMA_TOO_NEW = 6,
  A3S_SCHEMA_OUTDATED = 7,
  A3S_CHECKSUM_MISMATCH = 8,
  A3S_CORRUPT = 9,
  A3S_BUSY = 10,
  A3S_IO = 11,
  A3S_INTERNAL = 12
} a3s_status;

/* The library's version ("MAJOR.MINOR.PATCH"). A static string: never freed.
   Thread-safe. Does not change a3s_last_error(). */
const char* a3s_version(void);

/* This thread's message for its last call that returns a3s_status: "" after
   A3S_OK. Never NULL. The pointer stays valid until this thread's next such
   call; it is owned by the library and never freed by the caller. */
const char* a3s_last_error(void);

/* Frees a string returned by this library. a3s_free(NULL) does nothing. */
void a3s_free(char* s);

/* Opens (creating if needed, and migrating an older database unless told
   not to) the store of `home`; "" for `home` means $A3S_HOME, else ~/.a3s.
   `options_json` may be NULL; otherwise a JSON object with any of
     {"db": path, "store": url, "auto_migrate": bool,
      "synchronous": "full"|"normal", "busy_timeout_ms": n,
      "image_cache_bytes": n}
   ("store": "sqlite", the default unless $A3S_STORE says otherwise, or
   "etcd://HOST:PORT[,HOST:PORT...]/NAMESPACE"; "db" is SQLite's). An
   unknown key, a value of the wrong type or a malformed store URL is
   A3S_INVALID_ARGUMENT naming the key or the part of the URL.
   On A3S_OK `*out` is a handle to release with a3s_close(); otherwise
   `*out` is NULL. Statuses: A3S_INVALID_ARGUMENT, A3S_SCHEMA_TOO_NEW,
   A3S_SCHEMA_OUTDATED, A3S_CHECKSUM_MISMATCH, A3S_CORRUPT, A3S_BUSY,
   A3S_IO, A3S_INTERNAL. */
a3s_status a3s_open(const char* home, const char* options_json, a3s_store** out);

/* Releases a handle from a3s_open(). a3s_close(NULL) does nothing. No other
   thread may be using the handle. Does not change a3s_last_error(). */
void a3s_close(a3s_store* s);

/* ---- Networks ----------------------------------------------------------- */

/* The NetworkConfig named `name`; A3S_NOT_FOUND if there is none. */
a3s_status a3s_network_get(a3s_store* s, const char* name, char** out_json);

/* Stores a new network from a NetworkConfig. A3S_ALREADY_EXISTS if the name
   is taken; A3S_INVALID_ARGUMENT for bad JSON, subnet or gateway. */
a3s_status a3s_network_create(a3s_store* s, const char* config_json);

/* Removes the network and returns its record. A3S_NOT_FOUND if absent;
   A3S_IN_USE while endpoints are connected unless `force` is non-zero. */
a3s_status a3s_network_remove(a3s_store* s, const char* name, int force, char** out_json);

/* Every network as a JSON array of NetworkConfig, sorted by name. */
a3s_status a3s_network_list(a3s_store* s, char** out_json);

/* Replaces the network of the config's name wholesale. A3S_NOT_FOUND if
   absent. */
a3s_status a3s_network_update(a3s_store* s, const char* config_json);

/* Connects box `box_id` (named `box_name`) to `network`, giving it the lowest
   free address, and returns the NetworkEndpoint. `aliases_json` is a JSON
   array of strings ("[]" for none). A3S_NOT_FOUND (no
   network), A3S_ALREADY_EXISTS (box already connected), A3S_EXHAUSTED (no
   free address). */
a3s_status a3s_network_connect(a3s_store* s, const char* network, const char* box_id,
                               const char* box_name, const char* aliases_json, char** out_json);

/* Disconnects the box and returns the endpoint it had. A3S_NOT_FOUND if the
   network or the endpoint is absent. */
a3s_status a3s_network_disconnect(a3s_store* s, const char* network, const char* box_id,
                                  char** out_json);

/* ---- Volumes ------------------------------------------------------------ */

/* The VolumeConfig named `name`; A3S_NOT_FOUND if there is none. */
a3s_status a3s_volume_get(a3s_store* s, const char* name, char** out_json);

/* Creates a volume from a VolumeConfig (its mount_point is set to
   <home>/volumes/<name> and that directory created) and returns the stored
   record. A3S_ALREADY_EXISTS if the name is taken. */
a3s_status a3s_volume_create(a3s_store* s, const char* config_json, char** out_json);

/* The volume of the config's name, created as a3s_volume_create() does if
   absent. */
a3s_status a3s_volume_get_or_create(a3s_store* s, const char* config_json, char** out_json);

/* Removes the volume (then its data directory) and returns its record.
   A3S_NOT_FOUND if absent; A3S_IN_USE while attached unless `force` is
   non-zero. */
a3s_status a3s_volume_remove(a3s_store* s, const char* name, int force, char** out_json);

/* Every volume as a JSON array of VolumeConfig, sorted by name. */
a3s_status a3s_volume_list(a3s_store* s, char** out_json);

/* Replaces the volume of the config's name wholesale. A3S_NOT_FOUND if
   absent. */
a3s_status a3s_volume_update(a3s_store* s, const char* config_json);

/* Records that box `box_id` uses the volume (idempotent). A3S_NOT_FOUND if
   the volume is absent. */
a3s_status a3s_volume_attach(a3s_store* s, const char* name, const char* box_id);

/* Records that box `box_id` no longer uses the volume. A3S_NOT_FOUND if the
   volume is absent. */
a3s_status a3s_volume_detach(a3s_store* s, const char* name, const char* box_id);

/* Removes every unattached volume in one transaction; `*out_json` is the
   JSON array of their names. */
a3s_status a3s_volume_prune(a3s_store* s, char** out_json);

/* ---- Snapshots ---------------------------------------------------------- */

/* Saves a snapshot from a SnapshotMetadata, copying the directory tree
   `rootfs_source` (a path that does not exist gives an empty rootfs) into the home, and returns the
   stored record (size_bytes set to the bytes copied). A3S_ALREADY_EXISTS for a taken id. */
a3s_status a3s_snapshot_save(a3s_store* s, const char* metadata_json, const char* rootfs_source,
                             char** out_json);

/* The SnapshotMetadata of `id`; A3S_NOT_FOUND if there is none. */
a3s_status a3s_snapshot_get(a3s_store* s, const char* id, char** out_json);

/* Every snapshot as a JSON array of SnapshotMetadata, newest first (ties by
   id). */
a3s_status a3s_snapshot_list(a3s_store* s, char** out_json);

/* Deletes the snapshot and its files; `*existed` is 1 if it existed, else 0
   (not an error). */
a3s_status a3s_snapshot_delete(a3s_store* s, const char* id, int* existed);

/* How many snapshots there are. */
a3s_status a3s_snapshot_count(a3s_store* s, uint64_t* out);

/* The sum of the snapshots' size_bytes. */
a3s_status a3s_snapshot_total_size(a3s_store* s, uint64_t* out);

/* Deletes the oldest snapshots until at most `max_count` remain and their
   total size is at most `max_bytes` (0 = no limit); `*out_json` is the JSON
   array of the deleted ids. */
a3s_status a3s_snapshot_prune(a3s_store* s, uint64_t max_count, uint64_t max_bytes,
                              char** out_json);

/* ---- Images ------------------------------------------------------------- */

/* Records image `reference` at `digest` ("sha256:" + 64 lowercase hex),
   copying the OCI layout `source_dir` into the home unless that digest is
   already there, and returns the StoredImage. A3S_INVALID_ARGUMENT for a
   bad digest or a missing `source_dir`. */
a3s_status a3s_image_put(a3s_store* s, const char* reference, const char* digest,
                         const char* source_dir, char** out_json);

/* The StoredImage of `reference`, marked used (last_used = now);
   A3S_NOT_FOUND if there is none. */
a3s_status a3s_image_get(a3s_store* s, const char* reference, char** out_json);

/* A StoredImage with `digest`, marked used; A3S_NOT_FOUND if there is
   none. */
a3s_status a3s_image_get_by_digest(a3s_store* s, const char* digest, char** out_json);

/* Removes that reference, or every reference of that digest, deleting the
   layout once nothing points at it. A3S_NOT_FOUND if nothing matched. */
a3s_status a3s_image_remove(a3s_store* s, const char* reference_or_digest);

/* Every image as a JSON array of StoredImage. */
a3s_status a3s_image_list(a3s_store* s, char** out_json);

/* Removes least recently used images until the total size is within the
   cache cap the store was opened with; `*out_json` is the JSON array of
   the evicted references. */
a3s_status a3s_image_evict(a3s_store* s, char** out_json);

/* The bytes of the images' layouts, each digest counted once. */
a3s_status a3s_image_total_size(a3s_store* s, uint64_t* out);

#ifdef __cplusplus
}
#endif

#endif /* A3S_STORE_H */
