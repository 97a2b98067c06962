-- The token lifecycle: rotation with a grace period, token families, organization policy, and the
-- audit trail of every event.

-- Rotation: a successor replaces a token; the old secret works until grace_until, then dies. Every token
-- belongs to a family (its first token's id); reuse of a rotated-away secret revokes the whole family.
ALTER TABLE api_tokens ADD COLUMN family_id TEXT;
ALTER TABLE api_tokens ADD COLUMN replaced_by TEXT;
ALTER TABLE api_tokens ADD COLUMN grace_until BIGINT;
-- When the first refusal for expiry (or for policy) was recorded in the audit trail: once per token.
ALTER TABLE api_tokens ADD COLUMN expiry_recorded_at BIGINT;
ALTER TABLE api_tokens ADD COLUMN policy_refusal_recorded_at BIGINT;
UPDATE api_tokens SET family_id = id WHERE family_id IS NULL;
CREATE INDEX api_tokens_by_family ON api_tokens (family_id);

-- What owners decide for their organization's tokens. No row: the defaults (365 / 30 / off / off).
CREATE TABLE org_policies (
    org_id                   TEXT PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    max_lifetime_days        BIGINT NOT NULL CHECK (max_lifetime_days BETWEEN 1 AND 365),
    default_lifetime_days    BIGINT NOT NULL CHECK (default_lifetime_days BETWEEN 1 AND 365),
    revoke_unused_after_days BIGINT CHECK (revoke_unused_after_days BETWEEN 1 AND 365),
    api_rotation             BIGINT NOT NULL DEFAULT 0,     -- 0 or 1 (portable boolean)
    updated_at               BIGINT NOT NULL,
    updated_by               TEXT REFERENCES users (id) ON DELETE SET NULL
);

-- The audit trail: append-only through the product (no code path updates or deletes a row, except
-- the retention sweep). Nothing secret is ever written here.
CREATE TABLE audit_events (
    id            TEXT PRIMARY KEY,           -- UUID v7 (time-ordered)
    org_id        TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    at            BIGINT NOT NULL,
    event_type    TEXT NOT NULL,              -- token.created, member.removed, ...
    actor_kind    TEXT NOT NULL,              -- user, token, operator, system
    actor_id      TEXT,
    actor_label   TEXT NOT NULL,
    subject_kind  TEXT NOT NULL,              -- token, user, invitation, organization, webhook
    subject_id    TEXT NOT NULL,
    subject_label TEXT,
    token_id      TEXT,                       -- the token concerned (subject or actor), for filtering
    member_id     TEXT,                       -- the member concerned (subject, or the token's creator)
    client_ip     TEXT,
    user_agent    TEXT,
    detail        TEXT NOT NULL               -- a small JSON object
);
CREATE INDEX audit_events_by_org ON audit_events (org_id, at DESC, id DESC);
CREATE INDEX audit_events_by_token ON audit_events (org_id, token_id, at DESC);
CREATE INDEX audit_events_by_member ON audit_events (org_id, member_id, at DESC);
CREATE INDEX audit_events_by_time ON audit_events (at);
