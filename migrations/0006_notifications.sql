-- Notifications: expiry warnings and security alerts by email, and signed webhooks, delivered from a
-- transactional outbox.

-- The outbox. A message is written in the same transaction as the event that causes it; workers
-- deliver it afterwards, claiming it for a lease (PostgreSQL: FOR UPDATE SKIP LOCKED, so instances
-- share the work without a coordinator). A message killed mid-delivery is claimed again when its lease
-- runs out. Payloads hold no secret: invitation links are made at delivery time, webhook signing
-- secrets are derived from the server key.
CREATE TABLE outbox (
    id              TEXT PRIMARY KEY,           -- also the webhook-id receivers deduplicate on
    kind            TEXT NOT NULL,              -- email, webhook
    org_id          TEXT REFERENCES organizations (id) ON DELETE CASCADE,
    webhook_id      TEXT,                       -- for kind = webhook
    event_type      TEXT NOT NULL,              -- token.expiring, member.removed, invitation, ...
    payload         TEXT NOT NULL,              -- JSON
    created_at      BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    locked_until    BIGINT,
    delivered_at    BIGINT,
    failed_at       BIGINT,                     -- given up (webhooks: after a day of retries)
    last_error      TEXT
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE delivered_at IS NULL AND failed_at IS NULL;
CREATE INDEX outbox_by_webhook ON outbox (webhook_id, created_at DESC);

-- Each expiry warning threshold is sent at most once per token, whatever the instances and restarts.
CREATE TABLE token_notices (
    token_id       TEXT NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
    threshold_days BIGINT NOT NULL,              -- 30, 7, 1 ... and 0 for "expired"
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (token_id, threshold_days)
);

-- Webhook endpoints. The signing secret is not stored: it is derived from the server key and `salt`,
-- shown once when the endpoint is added (Standard Webhooks `whsec_…`).
CREATE TABLE webhooks (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    url           TEXT NOT NULL,
    events        TEXT NOT NULL,               -- comma-separated codes; `member.*` and `*` match families
    salt          TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    created_by    TEXT REFERENCES users (id) ON DELETE SET NULL,
    failing_since BIGINT                       -- set when a delivery was given up; cleared by a success
);
CREATE INDEX webhooks_by_org ON webhooks (org_id);

-- One row per delivery attempt, for the endpoint's delivery log.
CREATE TABLE webhook_attempts (
    id          TEXT PRIMARY KEY,
    webhook_id  TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    message_id  TEXT NOT NULL,
    attempt     BIGINT NOT NULL,
    at          BIGINT NOT NULL,
    status      BIGINT,                        -- HTTP status; NULL when no answer
    duration_ms BIGINT NOT NULL,
    error       TEXT
);
CREATE INDEX webhook_attempts_by_webhook ON webhook_attempts (webhook_id, at DESC);

-- Which expiry warnings an organization wants (days before expiry; 0 = when it expires).
ALTER TABLE org_policies ADD COLUMN expiry_warning_days TEXT NOT NULL DEFAULT '30,7,1,0';
