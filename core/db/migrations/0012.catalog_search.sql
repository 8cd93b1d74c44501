-- Catalog search at scale (core.catalog.search):
-- * the name, tag and glossary-term part of the search vector (weights A and B) has a GIN index of
--   its own, so search ranks those matches first without reading every match;
-- * both vectors have partial indexes over everything but columns (a catalog is mostly columns), so a
--   search for tables, views, files or schemas reads no column entries;
-- * every lexeme ever written to a search vector is kept in catalog_search_lexemes (a statement
--   trigger adds them), so a prefix word (`cust`) becomes an OR of whole lexemes (`customer |
--   customers`), which GIN intersects far faster than prefix matches. Lexemes are never removed
--   (a stale one matches nothing); duplicates from concurrent writers are harmless (nothing waits).
-- depends: 0006.catalog

CREATE INDEX catalog_assets_search_strong_idx ON catalog_assets USING gin (ts_filter(search_vector, '{a,b}'));
CREATE INDEX catalog_assets_search_datasets_idx ON catalog_assets USING gin (search_vector)
    WHERE type <> 'column';
CREATE INDEX catalog_assets_search_strong_datasets_idx ON catalog_assets
    USING gin (ts_filter(search_vector, '{a,b}')) WHERE type <> 'column';

CREATE TABLE catalog_search_lexemes (lexeme text COLLATE "C" NOT NULL);
CREATE INDEX catalog_search_lexemes_idx ON catalog_search_lexemes (lexeme);

CREATE FUNCTION catalog_search_lexemes_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO catalog_search_lexemes (lexeme)
    SELECT DISTINCT v.lexeme FROM new_assets a, unnest(a.search_vector) v
    WHERE NOT EXISTS (SELECT 1 FROM catalog_search_lexemes l WHERE l.lexeme = v.lexeme COLLATE "C");
    RETURN NULL;
END
$$;

CREATE TRIGGER catalog_assets_lexemes_insert AFTER INSERT ON catalog_assets
    REFERENCING NEW TABLE AS new_assets FOR EACH STATEMENT EXECUTE FUNCTION catalog_search_lexemes_add();
CREATE TRIGGER catalog_assets_lexemes_update AFTER UPDATE ON catalog_assets
    REFERENCING NEW TABLE AS new_assets FOR EACH STATEMENT EXECUTE FUNCTION catalog_search_lexemes_add();

INSERT INTO catalog_search_lexemes (lexeme)
SELECT DISTINCT v.lexeme FROM catalog_assets a, unnest(a.search_vector) v;
