-- Leak response (issue 23): finding a token from its secret alone, and the reports that it leaked.

-- A lookup digest per token: HMAC-SHA256 under the server key of a domain tag and the stored verifier
-- (`secret_hash`), as hex. It differs from `secret_hash` and, like it, means nothing without the key.
-- NULL for tokens created before this migration: the server fills them from `secret_hash` (which is
-- all it needs, the secret itself is never stored) at start-up and before every leak intake, in
-- batches, so this migration does no work per row and can't fail half-way.
ALTER TABLE api_tokens ADD COLUMN secret_lookup TEXT;
CREATE UNIQUE INDEX api_tokens_by_lookup ON api_tokens (secret_lookup);

-- Every report that a token's secret was seen where it shouldn't be, whoever made it. Never the
-- secret: which token, where it was found, by which intake, and whether the report revoked anything.
CREATE TABLE token_leak_reports (
    id          TEXT PRIMARY KEY,                 -- UUID v4
    token_id    TEXT NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
    org_id      TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    intake      TEXT NOT NULL,                    -- github, gitlab, possession, api, dashboard, cli
    url         TEXT,                             -- where it was found, as reported (at most 2,000 characters)
    source      TEXT,                             -- what kind of place (content, commit, issue, ...), at most 100
    reported_at BIGINT NOT NULL,
    reported_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    revoked     BIGINT NOT NULL                   -- 1 when this report revoked the token (or its family), else 0
);
-- The listing reads, per token, the report that revoked it first, else the latest.
CREATE INDEX token_leak_reports_by_token ON token_leak_reports (token_id, revoked DESC, reported_at DESC);
