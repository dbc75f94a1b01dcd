-- Word-prefix search in the directory through an FTS5 index: each query word must start a word
-- of the organisation's folded name, description, place or legal form ("coop" finds
-- "coopérative").
--
-- The FTS rows are linked to organisations by an explicit integer `search_key` (FTS rowid), so
-- a search reads only the index's doclists. Implicit rowids are not used: VACUUM may renumber
-- them. A new organisation takes the next key from its insert trigger.
ALTER TABLE organizations ADD COLUMN search_key INTEGER;
UPDATE organizations SET search_key = rowid;
CREATE UNIQUE INDEX organizations_search_key ON organizations (search_key);
-- The directory walks this index in name order and checks the key without reading rows.
CREATE INDEX organizations_status_sort_key ON organizations (status, sort_name, id, search_key);
DROP INDEX organizations_status_sort;

CREATE VIRTUAL TABLE organizations_search USING fts5(search_text, tokenize = 'unicode61 remove_diacritics 2');
INSERT INTO organizations_search (rowid, search_text) SELECT search_key, search_text FROM organizations;

CREATE TRIGGER organizations_search_insert AFTER INSERT ON organizations BEGIN
    UPDATE organizations SET search_key = (SELECT COALESCE(MAX(search_key), 0) + 1 FROM organizations)
        WHERE id = new.id;
    INSERT INTO organizations_search (rowid, search_text)
        SELECT search_key, search_text FROM organizations WHERE id = new.id;
END;

CREATE TRIGGER organizations_search_update AFTER UPDATE OF search_text ON organizations BEGIN
    DELETE FROM organizations_search WHERE rowid = old.search_key;
    INSERT INTO organizations_search (rowid, search_text) VALUES (new.search_key, new.search_text);
END;

CREATE TRIGGER organizations_search_delete AFTER DELETE ON organizations BEGIN
    DELETE FROM organizations_search WHERE rowid = old.search_key;
END;
