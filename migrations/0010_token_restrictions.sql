-- Per-token restrictions (issue 25), chosen at creation and never loosened (a rotation's successor
-- copies them). NULL means "no such restriction", so existing tokens keep working as before and the
-- migration does no work per row.
ALTER TABLE api_tokens ADD COLUMN ceiling TEXT;                 -- viewer, member, admin or owner
ALTER TABLE api_tokens ADD COLUMN allowed_ips TEXT;             -- canonical networks, comma-separated (1 to 32)
ALTER TABLE api_tokens ADD COLUMN rate_limit_per_minute BIGINT; -- 1 to 100000
-- When a request from outside the allowlist was last recorded in the audit trail (at most once a minute).
ALTER TABLE api_tokens ADD COLUMN ip_refusal_recorded_at BIGINT;

-- Rate limits across several instances (PostgreSQL): each instance takes a share of a token's minute
-- (a lease of requests) from this row and counts it down in memory, so a request writes nothing until
-- its instance's lease runs out. `window_start` is the minute (unix milliseconds); `claimed` how many
-- requests the instances took together (never more than the limit is handed out).
CREATE TABLE token_rate_windows (
    token_id     TEXT NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
    window_start BIGINT NOT NULL,
    claimed      BIGINT NOT NULL,
    PRIMARY KEY (token_id, window_start)
);
