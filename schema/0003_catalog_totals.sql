-- Schema version 3: running totals, so that SnapshotStore::count(),
-- total_size() and ImageStore::total_size() and evict() cost the same for
-- ten records as for a hundred thousand, instead of scanning their table.
--
-- image_layouts has one row per cached layout (per distinct images.digest)
-- with the size it counts for: the largest size_bytes of that digest's
-- images rows, so a layout shared by several references is counted once.
-- catalog_totals has one row per catalog ('snapshots', 'image_layouts') with
-- its row count and the sum of its size_bytes.
--
-- Triggers keep both in step with every write to snapshots and images, by
-- the stores or by hand in the sqlite3 shell; nothing else writes them. A
-- row that INSERT OR REPLACE displaces runs the delete triggers only under
-- PRAGMA recursive_triggers = ON, which every connection of the library
-- sets; set it in the shell too before such a statement.
-- Sizes follow 0001: the int64 with the u64's bits. A total stays exact
-- below 8 EiB; a write that would carry it past that fails (SQLite turns the
-- overflowing sum into a REAL, which the STRICT column refuses) rather than
-- store a wrong total.

CREATE TABLE image_layouts (
  digest TEXT NOT NULL PRIMARY KEY,
  size_bytes INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE catalog_totals (
  catalog TEXT NOT NULL PRIMARY KEY CHECK (catalog IN ('snapshots', 'image_layouts')),
  record_count INTEGER NOT NULL,
  size_bytes INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- The existing rows, counted before any trigger exists so none is counted
-- twice.
INSERT INTO image_layouts (digest, size_bytes)
  SELECT digest, max(size_bytes) FROM images GROUP BY digest;

INSERT INTO catalog_totals (catalog, record_count, size_bytes)
  SELECT 'snapshots', count(*), coalesce(sum(size_bytes), 0) FROM snapshots;
INSERT INTO catalog_totals (catalog, record_count, size_bytes)
  SELECT 'image_layouts', count(*), coalesce(sum(size_bytes), 0) FROM image_layouts;

-- snapshots → catalog_totals.

CREATE TRIGGER snapshots_count_insert AFTER INSERT ON snapshots
BEGIN
  UPDATE catalog_totals
    SET record_count = record_count + 1, size_bytes = size_bytes + NEW.size_bytes
    WHERE catalog = 'snapshots';
END;

CREATE TRIGGER snapshots_count_delete AFTER DELETE ON snapshots
BEGIN
  UPDATE catalog_totals
    SET record_count = record_count - 1, size_bytes = size_bytes - OLD.size_bytes
    WHERE catalog = 'snapshots';
END;

CREATE TRIGGER snapshots_count_update AFTER UPDATE OF size_bytes ON snapshots
  WHEN NEW.size_bytes IS NOT OLD.size_bytes
BEGIN
  UPDATE catalog_totals
    SET size_bytes = size_bytes - OLD.size_bytes + NEW.size_bytes
    WHERE catalog = 'snapshots';
END;

-- images → image_layouts. An insert can only raise its digest's size. A
-- delete or an update refreshes each digest it touched: the layout row goes
-- once no images row has that digest, else it is set to the largest size of
-- that digest's rows (index images_by_digest). The upserts leave an unchanged
-- size alone, so the triggers on image_layouts see only real changes.

CREATE TRIGGER images_layout_insert AFTER INSERT ON images
BEGIN
  INSERT INTO image_layouts (digest, size_bytes) VALUES (NEW.digest, NEW.size_bytes)
    ON CONFLICT (digest) DO UPDATE SET size_bytes = excluded.size_bytes
    WHERE excluded.size_bytes > image_layouts.size_bytes;
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

-- pulled_at, last_used and path (get() marks images used) do not fire it.
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

-- image_layouts → catalog_totals.

CREATE TRIGGER image_layouts_count_insert AFTER INSERT ON image_layouts
BEGIN
  UPDATE catalog_totals
    SET record_count = record_count + 1, size_bytes = size_bytes + NEW.size_bytes
    WHERE catalog = 'image_layouts';
END;

CREATE TRIGGER image_layouts_count_delete AFTER DELETE ON image_layouts
BEGIN
  UPDATE catalog_totals
    SET record_count = record_count - 1, size_bytes = size_bytes - OLD.size_bytes
    WHERE catalog = 'image_layouts';
END;

CREATE TRIGGER image_layouts_count_update AFTER UPDATE OF size_bytes ON image_layouts
  WHEN NEW.size_bytes IS NOT OLD.size_bytes
BEGIN
  UPDATE catalog_totals
    SET size_bytes = size_bytes - OLD.size_bytes + NEW.size_bytes
    WHERE catalog = 'image_layouts';
END;
