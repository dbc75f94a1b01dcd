-- Offers and needs (issue 7): indexes that answer searches and matching from the index alone.
--
-- A search with words is driven by the full-text index; each row it returns is checked
-- (open, still valid, within the circle) and ordered from this index, without reading the
-- listing's row, which holds the description.
CREATE INDEX market_listings_search_rows
    ON market_listings (search_key, status, valid_until, lat, lon, created_at, id);
-- Matching reads the candidates of one category in a box, nearest first, with what it scores
-- them on (the title), from the index alone. It supersedes market_listings_match.
CREATE INDEX market_listings_candidates
    ON market_listings (status, side, category, lat, lon, valid_until, id, title);
DROP INDEX market_listings_match;
