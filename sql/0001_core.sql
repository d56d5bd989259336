-- Portico control-plane schema: identity, teams, APIs and versions, plans,
-- applications and keys, subscriptions, audit trail, gateway config revision.
-- Every table that belongs to a tenant carries tenant_id so every query can be
-- scoped to the caller's tenant with an indexed predicate.

-- Time-ordered UUIDs (version 7): lists page by id alone and stay in
-- creation order, and inserts append to the right edge of the primary key.
CREATE FUNCTION portico_uuid_v7() RETURNS uuid
    LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
    SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
        PLACING substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
        FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid
$$;

CREATE TABLE tenants (
    id          uuid PRIMARY KEY DEFAULT portico_uuid_v7(),
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id                uuid PRIMARY KEY DEFAULT portico_uuid_v7(),
    email             text NOT NULL CHECK (length(email) BETWEEN 3 AND 320),
    password_hash     text NOT NULL,
    display_name      text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    is_platform_admin boolean NOT NULL DEFAULT false,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));

CREATE TABLE tenant_memberships (
    tenant_id  uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role       text NOT NULL CHECK (role IN ('admin', 'member')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX tenant_memberships_user_idx ON tenant_memberships (user_id);

CREATE TABLE teams (
    id          uuid PRIMARY KEY DEFAULT portico_uuid_v7(),
    tenant_id   uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    slug        text NOT NULL CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, slug)
);

CREATE TABLE team_memberships (
    team_id    uuid NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    tenant_id  uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    role       text NOT NULL CHECK (role IN ('maintainer', 'developer')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_memberships_user_idx ON team_memberships (user_id);
CREATE INDEX team_memberships_tenant_idx ON team_memberships (tenant_id);

-- array_to_string is only STABLE; tags are text[] so this wrapper is safe to
-- declare IMMUTABLE for the generated search column.
CREATE FUNCTION portico_tags_text(text[]) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT coalesce(array_to_string($1, ' '), '') $$;

CREATE TABLE apis (
    id          uuid PRIMARY KEY DEFAULT portico_uuid_v7(),
    tenant_id   uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    team_id     uuid NOT NULL REFERENCES teams(id),
    slug        text NOT NULL CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description text NOT NULL DEFAULT '',
    tags        text[] NOT NULL DEFAULT '{}',
    visibility  text NOT NULL CHECK (visibility IN ('public', 'tenant', 'team')),
    search      tsvector GENERATED ALWAYS AS (
                    setweight(to_tsvector('simple', name), 'A') ||
                    setweight(to_tsvector('simple', portico_tags_text(tags)), 'B') ||
                    setweight(to_tsvector('simple', description), 'C')) STORED,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, slug)
);
CREATE INDEX apis_team_idx ON apis (team_id);
CREATE INDEX apis_tags_idx ON apis USING gin (tags);
CREATE INDEX apis_search_idx ON apis USING gin (search);
CREATE INDEX apis_visibility_idx ON apis (visibility, lower(name), id);
CREATE INDEX apis_tenant_name_idx ON apis (tenant_id, lower(name), id);

CREATE TABLE api_versions (
    id                   uuid PRIMARY KEY DEFAULT portico_uuid_v7(),
    tenant_id            uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    api_id               uuid NOT NULL REFERENCES apis(id) ON DELETE CASCADE,
    version              text NOT NULL CHECK (version ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$'),
    host                 text NULL,
    base_path            text NOT NULL CHECK (base_path ~ '^/[A-Za-z0-9._~/-]*$'),
    state                text NOT NULL DEFAULT 'draft'
                         CHECK (state IN ('draft', 'published', 'deprecated', 'retired')),
    routing              jsonb NOT NULL,
    openapi              jsonb NULL,
    sunset_at            timestamptz NULL,
    successor_version_id uuid NULL REFERENCES api_versions(id),
    published_at         timestamptz NULL,
    deprecated_at        timestamptz NULL,
    retired_at           timestamptz NULL,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    UNIQUE (api_id, version),
    CHECK (state <> 'deprecated' OR sunset_at IS NOT NULL)
);
CREATE INDEX api_versions_api_idx ON api_versions (api_id);
CREATE INDEX api_versions_tenant_idx ON api_versions (tenant_id);
CREATE INDEX api_versions_state_idx ON api_versions (state);
CREATE INDEX api_versions_successor_idx ON api_versions (successor_version_id);
-- One gateway serves every tenant, so a base path may only be used once per
-- host among versions that are not retired.
CREATE UNIQUE INDEX api_versions_live_route_key
    ON api_versions (coalesce(lower(host), ''), base_path) WHERE state <> 'retired';

CREATE TABLE plans (
    id                    uuid PRIMARY KEY DEFAULT portico_uuid_v7(),
    tenant_id             uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    api_id                uuid NOT NULL REFERENCES apis(id) ON DELETE CASCADE,
    name                  text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    description           text NOT NULL DEFAULT '',
    rate_limit_per_second integer NULL CHECK (rate_limit_per_second > 0),
    rate_limit_per_minute integer NULL CHECK (rate_limit_per_minute > 0),
    quota_per_day         bigint NULL CHECK (quota_per_day > 0),
    quota_per_month       bigint NULL CHECK (quota_per_month > 0),
    approval_required     boolean NOT NULL DEFAULT false,
    state                 text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'closed')),
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX plans_api_name_key ON plans (api_id, lower(name));
CREATE INDEX plans_tenant_idx ON plans (tenant_id);

CREATE TABLE applications (
    id          uuid PRIMARY KEY DEFAULT portico_uuid_v7(),
    tenant_id   uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    team_id     uuid NOT NULL REFERENCES teams(id),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description text NOT NULL DEFAULT '',
    created_by  uuid NULL REFERENCES users(id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX applications_team_name_key ON applications (team_id, lower(name));
CREATE INDEX applications_tenant_idx ON applications (tenant_id);
CREATE INDEX applications_created_by_idx ON applications (created_by);

CREATE TABLE api_keys (
    id             uuid PRIMARY KEY DEFAULT portico_uuid_v7(),
    tenant_id      uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    application_id uuid NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    slot           text NOT NULL CHECK (slot IN ('primary', 'secondary')),
    key_hash       bytea NOT NULL UNIQUE CHECK (length(key_hash) = 32),
    prefix         text NOT NULL,
    status         text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled', 'revoked')),
    expires_at     timestamptz NULL,
    created_by     uuid NULL REFERENCES users(id) ON DELETE SET NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    revoked_at     timestamptz NULL
);
CREATE UNIQUE INDEX api_keys_live_slot_key ON api_keys (application_id, slot) WHERE status <> 'revoked';
CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id);
CREATE INDEX api_keys_created_by_idx ON api_keys (created_by);

CREATE TABLE subscriptions (
    id              uuid PRIMARY KEY DEFAULT portico_uuid_v7(),
    tenant_id       uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    application_id  uuid NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    api_id          uuid NOT NULL REFERENCES apis(id) ON DELETE CASCADE,
    api_version_id  uuid NOT NULL REFERENCES api_versions(id) ON DELETE CASCADE,
    plan_id         uuid NOT NULL REFERENCES plans(id),
    state           text NOT NULL CHECK (state IN ('pending', 'active', 'rejected', 'suspended', 'revoked', 'cancelled')),
    request_note    text NOT NULL DEFAULT '',
    requested_by    uuid NULL REFERENCES users(id) ON DELETE SET NULL,
    requested_at    timestamptz NOT NULL DEFAULT now(),
    decided_by      uuid NULL REFERENCES users(id) ON DELETE SET NULL,
    decided_at      timestamptz NULL,
    decision_reason text NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
-- At most one live subscription per application and API version.
CREATE UNIQUE INDEX subscriptions_live_key
    ON subscriptions (application_id, api_version_id) WHERE state IN ('pending', 'active', 'suspended');
CREATE INDEX subscriptions_tenant_state_idx ON subscriptions (tenant_id, state, requested_at, id);
CREATE INDEX subscriptions_api_state_idx ON subscriptions (api_id, state, requested_at, id);
CREATE INDEX subscriptions_version_idx ON subscriptions (api_version_id);
CREATE INDEX subscriptions_plan_idx ON subscriptions (plan_id);
CREATE INDEX subscriptions_application_idx ON subscriptions (application_id, requested_at, id);
CREATE INDEX subscriptions_requested_by_idx ON subscriptions (requested_by);
CREATE INDEX subscriptions_decided_by_idx ON subscriptions (decided_by);

-- Every decision on a subscription, in order: who, when, from which state to
-- which, and why.
CREATE TABLE subscription_decisions (
    id              bigserial PRIMARY KEY,
    tenant_id       uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    subscription_id uuid NOT NULL REFERENCES subscriptions(id) ON DELETE CASCADE,
    action          text NOT NULL,
    from_state      text NULL,
    to_state        text NOT NULL,
    actor_user_id   uuid NULL REFERENCES users(id) ON DELETE SET NULL,
    reason          text NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX subscription_decisions_subscription_idx ON subscription_decisions (subscription_id, id);
CREATE INDEX subscription_decisions_tenant_idx ON subscription_decisions (tenant_id, created_at DESC);
CREATE INDEX subscription_decisions_actor_idx ON subscription_decisions (actor_user_id);

CREATE TABLE audit_events (
    id            bigserial PRIMARY KEY,
    tenant_id     uuid NULL REFERENCES tenants(id) ON DELETE CASCADE,
    actor_user_id uuid NULL REFERENCES users(id) ON DELETE SET NULL,
    actor_label   text NOT NULL,
    action        text NOT NULL,
    target_type   text NOT NULL,
    target_id     text NOT NULL,
    before        jsonb NULL,
    after         jsonb NULL,
    request_id    text NULL,
    client_ip     text NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_events_tenant_time_idx ON audit_events (tenant_id, id DESC);
CREATE INDEX audit_events_target_idx ON audit_events (tenant_id, target_type, target_id, id DESC);
CREATE INDEX audit_events_actor_idx ON audit_events (actor_user_id, id DESC);
CREATE INDEX audit_events_action_idx ON audit_events (tenant_id, action, id DESC);
CREATE INDEX audit_events_time_idx ON audit_events (created_at);

-- Browser sessions and login bearer tokens. Only the SHA-256 of the token is
-- stored; a stolen database dump cannot be replayed as a session.
CREATE TABLE sessions (
    token_hash   bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    user_id      uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    tenant_id    uuid NULL REFERENCES tenants(id) ON DELETE CASCADE,
    csrf_token   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_tenant_idx ON sessions (tenant_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

-- Personal API tokens for automation (CI pipelines, scripts).
CREATE TABLE personal_access_tokens (
    id           uuid PRIMARY KEY DEFAULT portico_uuid_v7(),
    user_id      uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    tenant_id    uuid NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    token_hash   bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    prefix       text NOT NULL,
    expires_at   timestamptz NULL,
    last_used_at timestamptz NULL,
    revoked_at   timestamptz NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX personal_access_tokens_user_idx ON personal_access_tokens (user_id);
CREATE INDEX personal_access_tokens_tenant_idx ON personal_access_tokens (tenant_id);

-- Failed sign-ins per e-mail address, for login throttling.
CREATE TABLE login_throttle (
    email_lower     text PRIMARY KEY,
    failures        integer NOT NULL DEFAULT 0,
    window_start    timestamptz NOT NULL DEFAULT now(),
    locked_until    timestamptz NULL
);

-- The gateway polls this single row; any change it must see bumps it in the
-- same transaction and NOTIFYs 'portico_config' as a wake-up.
CREATE TABLE config_revision (
    id         smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    revision   bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO config_revision (id, revision) VALUES (1, 1);

CREATE FUNCTION portico_bump_config_revision() RETURNS bigint
    LANGUAGE plpgsql AS $$
DECLARE
    next_revision bigint;
BEGIN
    UPDATE config_revision SET revision = revision + 1, updated_at = now()
        WHERE id = 1 RETURNING revision INTO next_revision;
    PERFORM pg_notify('portico_config', next_revision::text);
    RETURN next_revision;
END $$;
