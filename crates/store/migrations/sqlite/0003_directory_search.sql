-- Word-prefix search in the directory through an FTS5 index: each query word must start a word
-- of the organisation's folded name, description, place or legal form ("coop" finds
-- "coopérative"). It keeps its own copy of the folded text, keyed by the organisation's id
-- (implicit rowids may change on VACUUM, so they do not link the two tables).
CREATE VIRTUAL TABLE organizations_search USING fts5(id UNINDEXED, search_text, tokenize = 'unicode61 remove_diacritics 2');

INSERT INTO organizations_search (id, search_text) SELECT id, search_text FROM organizations;

CREATE TRIGGER organizations_search_insert AFTER INSERT ON organizations BEGIN
    INSERT INTO organizations_search (id, search_text) VALUES (new.id, new.search_text);
END;

CREATE TRIGGER organizations_search_update AFTER UPDATE OF search_text ON organizations BEGIN
    DELETE FROM organizations_search WHERE id = old.id;
    INSERT INTO organizations_search (id, search_text) VALUES (new.id, new.search_text);
END;

CREATE TRIGGER organizations_search_delete AFTER DELETE ON organizations BEGIN
    DELETE FROM organizations_search WHERE id = old.id;
END;
