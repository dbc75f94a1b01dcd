-- Offers and needs (issue 7): matching reads the candidates of one category in a box, nearest
-- first, with what it scores them on (the title), from the index alone (an index-only scan
-- once the table is vacuumed). It supersedes market_listings_match.
CREATE INDEX market_listings_candidates
    ON market_listings (status, side, category, lat, lon) INCLUDE (valid_until, id, title);
DROP INDEX market_listings_match;
