-- Every email queued, one row per recipient: the per-recipient and per-organization email limits are
-- counted here, in the database, so they hold across instances and restarts. Rows older than a day (the
-- longest window) are deleted by housekeeping.
CREATE TABLE email_log (
    recipient TEXT NOT NULL,                    -- the address, lower-cased
    kind      TEXT NOT NULL,                    -- invitation, alert, expiry (the topic's family)
    org_id    TEXT,                             -- the organization that caused it
    at        BIGINT NOT NULL
);
CREATE INDEX email_log_by_recipient ON email_log (recipient, kind, at);
CREATE INDEX email_log_by_org ON email_log (org_id, kind, at);
CREATE INDEX email_log_by_time ON email_log (at);
