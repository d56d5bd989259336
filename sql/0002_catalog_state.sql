-- What the catalog lists, kept on the API row so catalog pages can walk an index in name order
-- and stop after one page, instead of checking every API's versions: 'published' when the API
-- has a published version, 'deprecated' when its newest served version is deprecated, NULL
-- when nothing is served (drafts only, or everything retired).
ALTER TABLE apis ADD COLUMN catalog_state text NULL CHECK (catalog_state IN ('published', 'deprecated'));

CREATE FUNCTION portico_refresh_catalog_state(target uuid) RETURNS void
    LANGUAGE sql AS $$
    UPDATE apis SET catalog_state = (
        SELECT CASE WHEN bool_or(v.state = 'published') THEN 'published'
                    WHEN bool_or(v.state = 'deprecated') THEN 'deprecated' END
        FROM api_versions v WHERE v.api_id = target)
    WHERE id = target
$$;

CREATE FUNCTION portico_api_versions_catalog_trigger() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM portico_refresh_catalog_state(OLD.api_id);
        RETURN OLD;
    END IF;
    PERFORM portico_refresh_catalog_state(NEW.api_id);
    RETURN NEW;
END $$;

CREATE TRIGGER api_versions_catalog_state
    AFTER INSERT OR DELETE OR UPDATE OF state ON api_versions
    FOR EACH ROW EXECUTE FUNCTION portico_api_versions_catalog_trigger();

UPDATE apis a SET catalog_state = (
    SELECT CASE WHEN bool_or(v.state = 'published') THEN 'published'
                WHEN bool_or(v.state = 'deprecated') THEN 'deprecated' END
    FROM api_versions v WHERE v.api_id = a.id);

CREATE INDEX apis_catalog_name_idx ON apis (lower(name), id) WHERE catalog_state IS NOT NULL;
