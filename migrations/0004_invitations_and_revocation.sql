-- Invitations become their own thing, bound to the organization and the membership that issued them.
--
-- Before: adding an unknown email created a password-less account plus a membership, and whoever held
-- the one-time link could set that account's password. An account is now created only when an invitation
-- is accepted; an existing account joins another organization only by accepting that organization's own
-- invitation while signed in. An invitation dies when its inviter's membership is removed or changed.
CREATE TABLE org_invitations (
    id           TEXT PRIMARY KEY,                 -- UUID, shown in the members list (not a secret)
    code_hash    TEXT NOT NULL UNIQUE,             -- SHA-256 of the secret code in the link
    org_id       TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email        TEXT NOT NULL,                    -- normalised; whoever accepts becomes (or must be) this account
    role         TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    invited_by   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    inviter_role TEXT NOT NULL,                    -- the inviter's role when inviting: it must still hold
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX org_invitations_by_org ON org_invitations (org_id, email);
CREATE INDEX org_invitations_by_inviter ON org_invitations (org_id, invited_by);

-- Pending invitations of the old kind keep working, now bound to their inviter. The id is derived from
-- the code's hash (both engines can slice strings; neither generates UUIDs in portable SQL).
INSERT INTO org_invitations (id, code_hash, org_id, email, role, invited_by, inviter_role, created_at, expires_at)
SELECT substr(i.code_hash, 1, 8) || '-' || substr(i.code_hash, 9, 4) || '-4' || substr(i.code_hash, 14, 3)
           || '-8' || substr(i.code_hash, 18, 3) || '-' || substr(i.code_hash, 21, 12),
       i.code_hash, i.org_id, u.email, m.role, i.invited_by, im.role, i.created_at, i.expires_at
FROM invitations i
JOIN users u ON u.id = i.user_id
JOIN memberships m ON m.org_id = i.org_id AND m.user_id = i.user_id
JOIN memberships im ON im.org_id = i.org_id AND im.user_id = i.invited_by
WHERE u.password_hash IS NULL AND i.used_at IS NULL AND i.invited_by IS NOT NULL;

-- Password-less accounts existed only to be claimed; their memberships were placeholders.
DELETE FROM memberships WHERE user_id IN (SELECT id FROM users WHERE password_hash IS NULL);
DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE password_hash IS NULL);
DELETE FROM users WHERE password_hash IS NULL;
DROP TABLE invitations;

-- Tokens are revoked for good, with a reason, instead of deleted or suspended.
ALTER TABLE api_tokens RENAME COLUMN deleted_at TO revoked_at;
ALTER TABLE api_tokens RENAME COLUMN deleted_by TO revoked_by;
ALTER TABLE api_tokens ADD COLUMN revoked_reason TEXT;
UPDATE api_tokens SET revoked_reason = 'deleted' WHERE revoked_at IS NOT NULL;
-- A creator who is no longer a member only suspended their tokens before (re-adding revived them). They
-- end now. There is no portable "now" in SQL; the last use (or creation) stands in for the instant.
UPDATE api_tokens
SET revoked_at = COALESCE(last_used_at, created_at), revoked_reason = 'member_removed'
WHERE revoked_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = api_tokens.org_id AND m.user_id = api_tokens.created_by);
CREATE INDEX api_tokens_by_creator ON api_tokens (org_id, created_by);

-- Sign-in attempts are counted before the password is hashed (so concurrent guesses can't slip past the
-- limit); a successful attempt removes its own row by id.
ALTER TABLE login_failures ADD COLUMN id TEXT;
