-- People, organizations, who belongs where with which role, and browser sessions.

CREATE TABLE users (
    id            TEXT PRIMARY KEY,            -- UUID
    email         TEXT NOT NULL UNIQUE,        -- trimmed and lower-cased
    password_hash TEXT,                        -- argon2id PHC string; NULL until an invited person sets one
    created_at    BIGINT NOT NULL
);

CREATE TABLE organizations (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE memberships (
    org_id     TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_by_user ON memberships (user_id);

-- The cookie holds a random id; only its SHA-256 is stored, so a copy of the database can't sign anyone in.
CREATE TABLE sessions (
    id_hash        TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    current_org_id TEXT REFERENCES organizations (id) ON DELETE SET NULL,
    created_at     BIGINT NOT NULL,
    last_seen_at   BIGINT NOT NULL,            -- idle timeout counts from here
    expires_at     BIGINT NOT NULL             -- absolute timeout
);
CREATE INDEX sessions_by_user ON sessions (user_id);

-- One-time links that let a person added by email set their password. Only the code's SHA-256 is stored.
CREATE TABLE invitations (
    code_hash  TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    org_id     TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    invited_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX invitations_by_user ON invitations (user_id);

-- Failed sign-ins, for rate limiting across every instance that shares the database.
CREATE TABLE login_failures (
    email     TEXT NOT NULL,
    client_ip TEXT NOT NULL,
    at        BIGINT NOT NULL
);
CREATE INDEX login_failures_by_email ON login_failures (email, at);
CREATE INDEX login_failures_by_ip ON login_failures (client_ip, at);
