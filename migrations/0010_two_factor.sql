-- Two-factor authentication (issue 24): an authenticator app (TOTP), recovery codes, their attempt
-- limits, and when a session last proved who it is (sudo mode).

-- One authenticator per account. The TOTP key is sealed (ChaCha20-Poly1305 under a key derived from the
-- server key, bound to the account), never stored in the clear. `confirmed_at` is NULL while enrolment
-- waits for its first code; 2FA is on once it is set. `last_step` is the 30-second step of the last code
-- accepted: a code of that step or an earlier one is refused, so each code works once.
CREATE TABLE totp_authenticators (
    user_id      TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    sealed_key   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    confirmed_at BIGINT,
    last_step    BIGINT NOT NULL
);

-- Recovery codes: only their HMAC under the server key. Each works once (`used_at`).
CREATE TABLE recovery_codes (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    used_at    BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

-- Second-factor attempts, recorded before the code is checked (and removed when it is right), for the
-- limits per account and per client address.
CREATE TABLE second_factor_attempts (
    id        TEXT PRIMARY KEY,
    user_id   TEXT NOT NULL,
    client_ip TEXT NOT NULL,
    at        BIGINT NOT NULL
);
CREATE INDEX second_factor_attempts_by_user ON second_factor_attempts (user_id, at);
CREATE INDEX second_factor_attempts_by_ip ON second_factor_attempts (client_ip, at);

-- When the session's person last proved who they are (sign-in, or confirming for sudo mode).
-- NULL for sessions older than this migration: they count as signed in at `created_at`.
ALTER TABLE sessions ADD COLUMN authenticated_at BIGINT;
