-- The schema after every migration in schema/ (generated; a test replays
-- the migrations and compares, and `a3s-store migrate verify` checks a live
-- database against it). Do not edit by hand.

PRAGMA user_version = 5;

CREATE TABLE catalog_totals (
  catalog TEXT NOT NULL PRIMARY KEY CHECK (catalog IN ('snapshots', 'image_layouts')),
  record_count INTEGER NOT NULL,
  size_bytes INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE image_layouts (
  digest TEXT NOT NULL PRIMARY KEY,
  size_bytes INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE images (
  reference TEXT NOT NULL PRIMARY KEY,
  digest TEXT NOT NULL,
  size_bytes INTEGER NOT NULL,
  pulled_at TEXT NOT NULL,
  last_used TEXT NOT NULL,
  path TEXT NOT NULL
) STRICT;

CREATE TABLE network_endpoints (
  network TEXT NOT NULL REFERENCES networks (name) ON DELETE CASCADE,
  box_id TEXT NOT NULL,
  box_name TEXT NOT NULL,
  ip_address TEXT NOT NULL,
  mac_address TEXT NOT NULL,
  aliases TEXT NOT NULL DEFAULT '[]' CHECK (json_type(aliases) = 'array'),
  PRIMARY KEY (network, box_id),
  UNIQUE (network, ip_address)
) STRICT, WITHOUT ROWID;

CREATE TABLE networks (
  name TEXT NOT NULL PRIMARY KEY,
  subnet TEXT NOT NULL,
  gateway TEXT NOT NULL,
  driver TEXT NOT NULL DEFAULT 'bridge',
  labels TEXT NOT NULL DEFAULT '{}' CHECK (json_type(labels) = 'object'),
  created_at TEXT NOT NULL,
  policy TEXT NOT NULL
    DEFAULT '{"isolation":"none","ingress":[],"egress":[]}'
    CHECK (json_type(policy) = 'object')
) STRICT;

CREATE TABLE pending_removals (
  catalog TEXT NOT NULL CHECK (catalog IN ('volumes', 'snapshots', 'images')),
  name TEXT NOT NULL,
  PRIMARY KEY (catalog, name)
) STRICT, WITHOUT ROWID;

CREATE TABLE schema_migrations (
  version INTEGER NOT NULL PRIMARY KEY,
  name TEXT NOT NULL,
  checksum TEXT NOT NULL,
  applied_at TEXT NOT NULL,
  applied_by TEXT NOT NULL
) STRICT;

CREATE TABLE snapshots (
  id TEXT NOT NULL PRIMARY KEY,
  name TEXT NOT NULL,
  source_box_id TEXT NOT NULL,
  image TEXT NOT NULL,
  vcpus INTEGER NOT NULL CHECK (vcpus BETWEEN 0 AND 4294967295),
  memory_mb INTEGER NOT NULL CHECK (memory_mb BETWEEN 0 AND 4294967295),
  volumes TEXT NOT NULL CHECK (json_type(volumes) = 'array'),
  env TEXT NOT NULL CHECK (json_type(env) = 'object'),
  cmd TEXT NOT NULL CHECK (json_type(cmd) = 'array'),
  entrypoint TEXT CHECK (entrypoint IS NULL OR json_type(entrypoint) = 'array'),
  workdir TEXT,
  port_map TEXT NOT NULL DEFAULT '[]' CHECK (json_type(port_map) = 'array'),
  labels TEXT NOT NULL DEFAULT '{}' CHECK (json_type(labels) = 'object'),
  network_mode TEXT,
  rootfs_cache_key TEXT,
  size_bytes INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL DEFAULT '1970-01-01T00:00:00.000000000Z',
  description TEXT NOT NULL DEFAULT ''
, image_config TEXT
  CHECK (image_config IS NULL OR json_type(image_config) = 'object'), health_check TEXT
  CHECK (health_check IS NULL OR json_type(health_check) = 'object'), healthcheck_disabled INTEGER NOT NULL DEFAULT 0
  CHECK (healthcheck_disabled IN (0, 1))) STRICT;

CREATE TABLE volume_users (
  volume TEXT NOT NULL REFERENCES volumes (name) ON DELETE CASCADE,
  box_id TEXT NOT NULL,
  position INTEGER NOT NULL,
  PRIMARY KEY (volume, box_id),
  UNIQUE (volume, position)
) STRICT, WITHOUT ROWID;

CREATE TABLE volumes (
  name TEXT NOT NULL PRIMARY KEY,
  driver TEXT NOT NULL DEFAULT 'local',
  mount_point TEXT NOT NULL,
  labels TEXT NOT NULL DEFAULT '{}' CHECK (json_type(labels) = 'object'),
  size_limit INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL
) STRICT;

CREATE INDEX images_by_digest ON images (digest);

CREATE INDEX images_by_last_used ON images (last_used, reference);

CREATE INDEX snapshots_by_created_at ON snapshots (created_at, id);

CREATE VIEW endpoints_by_network AS
  SELECT e.network AS network, n.subnet AS subnet, n.gateway AS gateway,
         e.box_id AS box_id, e.box_name AS box_name, e.ip_address AS ip_address,
         e.mac_address AS mac_address, e.aliases AS aliases
  FROM network_endpoints AS e
  JOIN networks AS n ON n.name = e.network
  ORDER BY e.network, e.box_id;

CREATE VIEW images_by_last_use AS
  SELECT reference, digest, last_used, pulled_at,
         CASE WHEN size_bytes < 0 THEN size_bytes + 18446744073709551616.0
              ELSE size_bytes END AS size_bytes,
         round((CASE WHEN size_bytes < 0 THEN size_bytes + 18446744073709551616.0
                     ELSE size_bytes END) / 1048576.0, 1) AS size_mib
  FROM images
  ORDER BY last_used, reference;

CREATE VIEW snapshots_by_age AS
  SELECT id, name, source_box_id, image, created_at,
         CASE WHEN size_bytes < 0 THEN size_bytes + 18446744073709551616.0
              ELSE size_bytes END AS size_bytes,
         round((CASE WHEN size_bytes < 0 THEN size_bytes + 18446744073709551616.0
                     ELSE size_bytes END) / 1048576.0, 1) AS size_mib
  FROM snapshots
  ORDER BY created_at DESC, id;

CREATE VIEW volumes_in_use AS
  SELECT v.name AS name, v.mount_point AS mount_point,
         (SELECT count(*) FROM volume_users AS u WHERE u.volume = v.name) AS users,
         (SELECT json_group_array(box_id)
            FROM (SELECT u.box_id AS box_id FROM volume_users AS u
                  WHERE u.volume = v.name ORDER BY u.position)) AS in_use_by
  FROM volumes AS v
  WHERE EXISTS (SELECT 1 FROM volume_users AS u WHERE u.volume = v.name)
  ORDER BY v.name;

CREATE TRIGGER image_layouts_count_delete AFTER DELETE ON image_layouts
BEGIN
  UPDATE catalog_totals
    SET record_count = record_count - 1, size_bytes = size_bytes - OLD.size_bytes
    WHERE catalog = 'image_layouts';
END;

CREATE TRIGGER image_layouts_count_insert AFTER INSERT ON image_layouts
BEGIN
  UPDATE catalog_totals
    SET record_count = record_count + 1, size_bytes = size_bytes + NEW.size_bytes
    WHERE catalog = 'image_layouts';
END;

CREATE TRIGGER image_layouts_count_update AFTER UPDATE OF size_bytes ON image_layouts
  WHEN NEW.size_bytes IS NOT OLD.size_bytes
BEGIN
  UPDATE catalog_totals
    SET size_bytes = size_bytes - OLD.size_bytes + NEW.size_bytes
    WHERE catalog = 'image_layouts';
END;

CREATE TRIGGER images_layout_delete AFTER DELETE ON images
BEGIN
  DELETE FROM image_layouts
    WHERE digest = OLD.digest AND NOT EXISTS (SELECT 1 FROM images WHERE digest = OLD.digest);
  INSERT INTO image_layouts (digest, size_bytes)
    SELECT digest, max(size_bytes) FROM images WHERE digest = OLD.digest GROUP BY digest
    ON CONFLICT (digest) DO UPDATE SET size_bytes = excluded.size_bytes
    WHERE excluded.size_bytes IS NOT image_layouts.size_bytes;
END;

CREATE TRIGGER images_layout_insert AFTER INSERT ON images
BEGIN
  INSERT INTO image_layouts (digest, size_bytes) VALUES (NEW.digest, NEW.size_bytes)
    ON CONFLICT (digest) DO UPDATE SET size_bytes = excluded.size_bytes
    WHERE excluded.size_bytes > image_layouts.size_bytes;
END;

CREATE TRIGGER images_layout_update AFTER UPDATE OF digest, size_bytes ON images
  WHEN NEW.digest IS NOT OLD.digest OR NEW.size_bytes IS NOT OLD.size_bytes
BEGIN
  DELETE FROM image_layouts
    WHERE digest = OLD.digest AND NOT EXISTS (SELECT 1 FROM images WHERE digest = OLD.digest);
  INSERT INTO image_layouts (digest, size_bytes)
    SELECT digest, max(size_bytes) FROM images
    WHERE digest IN (OLD.digest, NEW.digest) GROUP BY digest
    ON CONFLICT (digest) DO UPDATE SET size_bytes = excluded.size_bytes
    WHERE excluded.size_bytes IS NOT image_layouts.size_bytes;
END;

CREATE TRIGGER snapshots_count_delete AFTER DELETE ON snapshots
BEGIN
  UPDATE catalog_totals
    SET record_count = record_count - 1, size_bytes = size_bytes - OLD.size_bytes
    WHERE catalog = 'snapshots';
END;

CREATE TRIGGER snapshots_count_insert AFTER INSERT ON snapshots
BEGIN
  UPDATE catalog_totals
    SET record_count = record_count + 1, size_bytes = size_bytes + NEW.size_bytes
    WHERE catalog = 'snapshots';
END;

CREATE TRIGGER snapshots_count_update AFTER UPDATE OF size_bytes ON snapshots
  WHEN NEW.size_bytes IS NOT OLD.size_bytes
BEGIN
  UPDATE catalog_totals
    SET size_bytes = size_bytes - OLD.size_bytes + NEW.size_bytes
    WHERE catalog = 'snapshots';
END;
