-- Pausing webhook endpoints. When the member who added an endpoint leaves the organization, is removed or
-- loses the admin role, the endpoints they added stop receiving events (which carry member emails, token
-- names and addresses) until an admin or owner resumes them. Events of the pause are not delivered later.
ALTER TABLE webhooks ADD COLUMN paused_at BIGINT;
ALTER TABLE webhooks ADD COLUMN paused_reason TEXT;
