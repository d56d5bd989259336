-- Incremental gateway reloads. A reload used to read every key and subscription (100,000s of
-- rows); now it reads what changed since the previous one. Every insert or update of the rows
-- the gateway loads is stamped with the writing transaction's id, and a delete leaves a
-- tombstone. A reload remembers the xmin of its snapshot (every transaction below it had ended
-- when the snapshot was taken, so its rows were seen); the next reload reads rows stamped at or
-- above that xmin: what committed since, plus what was still in flight then. No clock and no
-- sequence is involved, so a long transaction that commits late is not missed.

ALTER TABLE api_keys ADD COLUMN change_xid xid8 NOT NULL DEFAULT pg_current_xact_id();
ALTER TABLE subscriptions ADD COLUMN change_xid xid8 NOT NULL DEFAULT pg_current_xact_id();
ALTER TABLE api_versions ADD COLUMN change_xid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX api_keys_change_xid_idx ON api_keys (change_xid);
CREATE INDEX subscriptions_change_xid_idx ON subscriptions (change_xid);
CREATE INDEX api_versions_change_xid_idx ON api_versions (change_xid);

CREATE FUNCTION portico_stamp_change_xid() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    NEW.change_xid := pg_current_xact_id();
    RETURN NEW;
END $$;

CREATE TRIGGER api_keys_change_xid BEFORE UPDATE ON api_keys
    FOR EACH ROW EXECUTE FUNCTION portico_stamp_change_xid();
CREATE TRIGGER subscriptions_change_xid BEFORE UPDATE ON subscriptions
    FOR EACH ROW EXECUTE FUNCTION portico_stamp_change_xid();
CREATE TRIGGER api_versions_change_xid BEFORE UPDATE ON api_versions
    FOR EACH ROW EXECUTE FUNCTION portico_stamp_change_xid();

-- Deleted keys (by hash) and subscriptions (by id), kept a day (the gateway trims them; a
-- gateway reads everything afresh at least every ten minutes, so it never needs older ones).
CREATE TABLE config_removals (
    kind       text NOT NULL CHECK (kind IN ('key', 'subscription')),
    id         bytea NOT NULL,
    change_xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    -- The time of the delete itself, not of its transaction's start (a tombstone of a long
    -- transaction must not be trimmed before a reload can see it).
    removed_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX config_removals_change_xid_idx ON config_removals (change_xid);
CREATE INDEX config_removals_removed_at_idx ON config_removals (removed_at);

CREATE FUNCTION portico_record_config_removal() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'api_keys' THEN
        INSERT INTO config_removals (kind, id) VALUES ('key', OLD.key_hash);
    ELSE
        INSERT INTO config_removals (kind, id) VALUES ('subscription', uuid_send(OLD.id));
    END IF;
    RETURN OLD;
END $$;

CREATE TRIGGER api_keys_removal AFTER DELETE ON api_keys
    FOR EACH ROW EXECUTE FUNCTION portico_record_config_removal();
CREATE TRIGGER subscriptions_removal AFTER DELETE ON subscriptions
    FOR EACH ROW EXECUTE FUNCTION portico_record_config_removal();

-- A version's route carries its API's name: renaming the API stamps its versions, so a reload
-- reads their routes again.
CREATE FUNCTION portico_stamp_api_versions() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.name IS DISTINCT FROM OLD.name THEN
        UPDATE api_versions SET change_xid = pg_current_xact_id() WHERE api_id = NEW.id;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER apis_stamp_versions AFTER UPDATE ON apis
    FOR EACH ROW EXECUTE FUNCTION portico_stamp_api_versions();
