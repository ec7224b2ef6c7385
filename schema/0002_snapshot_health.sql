-- Schema version 2: the snapshot fields added after a3s-box-core 2.4.0.
-- image_config and health_check are JSON objects kept verbatim (NULL when
-- absent); healthcheck_disabled is a boolean (0/1).

ALTER TABLE snapshots ADD COLUMN image_config TEXT
  CHECK (image_config IS NULL OR json_type(image_config) = 'object');
ALTER TABLE snapshots ADD COLUMN health_check TEXT
  CHECK (health_check IS NULL OR json_type(health_check) = 'object');
ALTER TABLE snapshots ADD COLUMN healthcheck_disabled INTEGER NOT NULL DEFAULT 0
  CHECK (healthcheck_disabled IN (0, 1));
