-- Substring search in the directory through a trigram index (pg_trgm), so that
-- `search_text LIKE '%word%'` uses the index. pg_trgm is a trusted extension shipped with
-- PostgreSQL; where it cannot be created, the directory still works by reading the table.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    EXECUTE 'CREATE INDEX organizations_search_trgm ON organizations USING gin (search_text gin_trgm_ops)';
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'pg_trgm unavailable (%): directory search will read the table', SQLERRM;
END
$$;
