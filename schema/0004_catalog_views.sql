-- Schema version 4: views that make the catalogs readable in the sqlite3
-- shell (`a3s-store shell`). A view holds no data and cannot be written
-- through; the stores never read them. Sizes are the u64 bytes of SPEC §3
-- (stored as the signed 64-bit integer of the same bits, see 0001).

-- Every endpoint, with its network's subnet and gateway.
CREATE VIEW endpoints_by_network AS
  SELECT e.network AS network, n.subnet AS subnet, n.gateway AS gateway,
         e.box_id AS box_id, e.box_name AS box_name, e.ip_address AS ip_address,
         e.mac_address AS mac_address, e.aliases AS aliases
  FROM network_endpoints AS e
  JOIN networks AS n ON n.name = e.network
  ORDER BY e.network, e.box_id;

-- Volumes attached to at least one box, with the boxes in attach order.
CREATE VIEW volumes_in_use AS
  SELECT v.name AS name, v.mount_point AS mount_point,
         (SELECT count(*) FROM volume_users AS u WHERE u.volume = v.name) AS users,
         (SELECT json_group_array(box_id)
            FROM (SELECT u.box_id AS box_id FROM volume_users AS u
                  WHERE u.volume = v.name ORDER BY u.position)) AS in_use_by
  FROM volumes AS v
  WHERE EXISTS (SELECT 1 FROM volume_users AS u WHERE u.volume = v.name)
  ORDER BY v.name;

-- Images by last use, least recent first (the order evict() takes them),
-- with their sizes in MiB.
CREATE VIEW images_by_last_use AS
  SELECT reference, digest, last_used, pulled_at,
         CASE WHEN size_bytes < 0 THEN size_bytes + 18446744073709551616.0
              ELSE size_bytes END AS size_bytes,
         round((CASE WHEN size_bytes < 0 THEN size_bytes + 18446744073709551616.0
                     ELSE size_bytes END) / 1048576.0, 1) AS size_mib
  FROM images
  ORDER BY last_used, reference;

-- Snapshots newest first (as list() returns them), with their sizes in MiB.
CREATE VIEW snapshots_by_age AS
  SELECT id, name, source_box_id, image, created_at,
         CASE WHEN size_bytes < 0 THEN size_bytes + 18446744073709551616.0
              ELSE size_bytes END AS size_bytes,
         round((CASE WHEN size_bytes < 0 THEN size_bytes + 18446744073709551616.0
                     ELSE size_bytes END) / 1048576.0, 1) AS size_mib
  FROM snapshots
  ORDER BY created_at DESC, id;
