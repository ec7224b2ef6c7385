-- Schema version 5: catalog entries whose deletion a committed transaction
-- decided and whose directories may still be on disk. The deleting
-- transaction inserts its entries' names in the same commit that deletes
-- their rows, so the intent is exactly as durable as the deletion. A row
-- here only ever asks for <catalog>/<name> to be deleted if no row owns it
-- (a volumes row named `name`, a snapshots row with that ID, an images row
-- with digest sha256:<name>), which any writer holding the write lock may
-- do at any time; rows whose entries are gone are cleared by the next
-- removal of the same catalog, or by a sweep.

CREATE TABLE pending_removals (
  catalog TEXT NOT NULL CHECK (catalog IN ('volumes', 'snapshots', 'images')),
  name TEXT NOT NULL,
  PRIMARY KEY (catalog, name)
) STRICT, WITHOUT ROWID;
