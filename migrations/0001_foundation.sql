-- Instance-wide facts, one row each (for example the server key's fingerprint).
-- Every instant in this schema is INTEGER unix milliseconds (UTC), in SQLite and PostgreSQL alike,
-- so comparisons are integer comparisons: text timestamps compare wrongly against CURRENT_TIMESTAMP.
CREATE TABLE instance_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
