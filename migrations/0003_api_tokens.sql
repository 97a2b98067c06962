-- API tokens. The secret is never stored: only its HMAC-SHA256 under the server key, which lives outside
-- the database (data/secret.key or TESSERA_SECRET_KEY). A copy of this table can't be used to call the API.
CREATE TABLE api_tokens (
    id                   TEXT PRIMARY KEY,              -- the Token ID (UUID v4), safe to log and show
    org_id               TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    created_by           TEXT NOT NULL REFERENCES users (id),
    name                 TEXT,                          -- optional, at most 100 characters
    secret_hash          TEXT NOT NULL,                 -- hex HMAC-SHA256 of the secret
    created_at           BIGINT NOT NULL,
    expires_at           BIGINT NOT NULL,               -- rejected when now >= expires_at
    last_used_at         BIGINT,
    last_used_ip         TEXT,
    last_used_user_agent TEXT,
    deleted_at           BIGINT,                        -- set when deleted: rejected from then on
    deleted_by           TEXT REFERENCES users (id)
);

-- The dashboard lists an organization's tokens newest first, a page at a time (keyset pagination).
CREATE INDEX api_tokens_listing ON api_tokens (org_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;
