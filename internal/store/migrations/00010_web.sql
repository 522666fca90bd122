-- The dashboard's records: people who log in (local users with argon2id password hashes),
-- their login sessions (only a hash of the cookie's token is kept), and per-tenant settings
-- the admin changes in the console.
--
-- PCI DSS: no column here can hold card data. Settings are short administrative values
-- (masking mode, activation code, webhook URL, receipt branding, gateway and SMTP settings);
-- the store refuses any value that looks like a card number.

-- +goose Up
CREATE TABLE web_users (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id),
    username      TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until  BIGINT NOT NULL DEFAULT 0,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX web_users_tenant ON web_users (tenant_id);

CREATE TABLE web_logins (
    token_hash  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES web_users (id) ON DELETE CASCADE,
    csrf_token  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX web_logins_user ON web_logins (user_id);

CREATE TABLE web_settings (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    name       TEXT NOT NULL,
    value      TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, name)
);

-- +goose Down
DROP TABLE web_settings;
DROP TABLE web_logins;
DROP TABLE web_users;
