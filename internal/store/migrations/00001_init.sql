-- Hushpay's schema. One set of migrations for SQLite and PostgreSQL: the few words that
-- differ between the two are written as {{IDENTITY}} (an auto-assigned 64-bit primary key),
-- replaced by the store before goose runs the file. Times are nanoseconds since the Unix epoch, UTC.
--
-- PCI DSS: there is no column for a card number or a security code. At rest the store keeps
-- at most the masked card number (first six / last four), the brand, the expiry, the
-- gateway's token and authorisation code, amounts, statuses and times. The store also
-- refuses to write any value that looks like a card number (see guard.go).

-- +goose Up
CREATE TABLE tenants (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    webhook_url    TEXT NOT NULL DEFAULT '',
    webhook_secret TEXT NOT NULL DEFAULT '',
    created_at     BIGINT NOT NULL
);

CREATE TABLE api_keys (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    name       TEXT NOT NULL,
    prefix     TEXT NOT NULL,
    key_hash   TEXT NOT NULL UNIQUE,
    scopes     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id);

-- payment_sessions: the columns that queries filter on, plus the whole session as JSON in
-- state (the payment package's masked Session: capture view, result with first six / last
-- four at most). The active statuses are every status but approved and cancelled.
CREATE TABLE payment_sessions (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    status          TEXT NOT NULL,
    agent_id        TEXT NOT NULL DEFAULT '',
    call_ref        TEXT NOT NULL DEFAULT '',
    call_id         TEXT NOT NULL DEFAULT '',
    pair_header     TEXT NOT NULL DEFAULT '',
    amount          BIGINT NOT NULL,
    currency        TEXT NOT NULL,
    account_ref     TEXT NOT NULL DEFAULT '',
    payment_type    TEXT NOT NULL,
    brand           TEXT NOT NULL DEFAULT '',
    last4           TEXT NOT NULL DEFAULT '',
    auth_code       TEXT NOT NULL DEFAULT '',
    version         BIGINT NOT NULL,
    state           TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    UNIQUE (tenant_id, idempotency_key)
);
CREATE INDEX payment_sessions_list ON payment_sessions (tenant_id, created_at, id);
CREATE INDEX payment_sessions_agent ON payment_sessions (tenant_id, agent_id, created_at);
CREATE UNIQUE INDEX payment_sessions_active_call_ref ON payment_sessions (call_ref)
    WHERE status NOT IN ('approved', 'cancelled') AND call_ref <> '';
CREATE UNIQUE INDEX payment_sessions_active_call_id ON payment_sessions (call_id)
    WHERE status NOT IN ('approved', 'cancelled') AND call_id <> '';
CREATE UNIQUE INDEX payment_sessions_active_header ON payment_sessions (pair_header)
    WHERE status NOT IN ('approved', 'cancelled') AND pair_header <> '';

-- payment_attempts: one row per request to a gateway, keyed by the idempotency key sent.
CREATE TABLE payment_attempts (
    idempotency_key TEXT PRIMARY KEY,
    session_id      TEXT NOT NULL,
    tenant_id       TEXT NOT NULL,
    number          INTEGER NOT NULL,
    gateway         TEXT NOT NULL,
    amount          BIGINT NOT NULL,
    currency        TEXT NOT NULL,
    status          TEXT NOT NULL,
    outcome         TEXT NOT NULL DEFAULT '',
    charge_id       TEXT NOT NULL DEFAULT '',
    auth_code       TEXT NOT NULL DEFAULT '',
    decline_code    TEXT NOT NULL DEFAULT '',
    state           TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX payment_attempts_session ON payment_attempts (session_id);
CREATE INDEX payment_attempts_status ON payment_attempts (status);

-- gateway_tokens: reusable gateway references for recurring payments, masked card details.
CREATE TABLE gateway_tokens (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL,
    session_id    TEXT NOT NULL DEFAULT '',
    gateway       TEXT NOT NULL,
    gateway_token TEXT NOT NULL,
    customer      TEXT NOT NULL DEFAULT '',
    brand         TEXT NOT NULL DEFAULT '',
    first6        TEXT NOT NULL DEFAULT '',
    last4         TEXT NOT NULL DEFAULT '',
    exp_month     INTEGER NOT NULL DEFAULT 0,
    exp_year      INTEGER NOT NULL DEFAULT 0,
    state         TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX gateway_tokens_tenant ON gateway_tokens (tenant_id);

-- events: the global id orders every change of every session (Server-sent events resume
-- from it with Last-Event-ID); seq numbers the changes of one session without gaps.
CREATE TABLE events (
    id         {{IDENTITY}},
    tenant_id  TEXT NOT NULL,
    session_id TEXT NOT NULL,
    seq        BIGINT NOT NULL,
    agent_id   TEXT NOT NULL DEFAULT '',
    type       TEXT NOT NULL,
    data       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (session_id, seq)
);
CREATE INDEX events_tenant ON events (tenant_id, id);
CREATE INDEX events_agent ON events (tenant_id, agent_id, id);

CREATE TABLE webhook_deliveries (
    id              {{IDENTITY}},
    tenant_id       TEXT NOT NULL,
    event_id        BIGINT NOT NULL,
    url             TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_until     BIGINT NOT NULL DEFAULT 0,
    last_status     INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_tenant ON webhook_deliveries (tenant_id, id);

-- audit_log is a hash chain: each row's hash covers its fields and the previous row's hash,
-- so that an edited or deleted row breaks every hash after it.
CREATE TABLE audit_log (
    id         {{IDENTITY}},
    tenant_id  TEXT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    detail     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);

-- +goose Down
DROP TABLE audit_log;
DROP TABLE webhook_deliveries;
DROP TABLE events;
DROP TABLE gateway_tokens;
DROP TABLE payment_attempts;
DROP TABLE payment_sessions;
DROP TABLE api_keys;
DROP TABLE tenants;
