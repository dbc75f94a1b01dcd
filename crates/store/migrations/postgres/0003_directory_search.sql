-- Word-prefix search in the directory through a full-text index: each query word must start a
-- word of the organisation's folded name, description, place or legal form ("coop" finds
-- "coopérative"), as the SQLite twin does with FTS5.
CREATE INDEX organizations_search_fts ON organizations USING gin (to_tsvector('simple', search_text));
