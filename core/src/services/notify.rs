//! Who is told what. Every notification is an outbox row written in the transaction of the change that
//! causes it, so it exists exactly when the change does; [`super::delivery`] sends it afterwards.
//!
//! - Webhooks: every deliverable audit event goes to the organization's endpoints that chose it
//!   ([`super::events::fan_out`], called by the audit recorder for every event).
//! - Email (when SMTP is configured): expiry warnings ([`sweep_expiry`]), security alerts (the functions
//!   below, called by the services), invitations, and failing webhooks.

use super::audit::{Recorder, Subject};
use crate::{
    context::Core,
    domain::{
        audit::EventType,
        links::{AUDIT_URL, MEMBERS_URL, TOKENS_URL, WEBHOOKS_URL},
        org::Role,
        policy::ExpiryWarnings,
    },
    error::Error,
    identity::Member,
    ids::{InvitationId, MessageId, OrgId, TokenId, UserId},
    store::{
        self,
        notices::Due,
        outbox::{Kind, NewMessage},
    },
    time::{DAY_MS, HOUR_MS, Timestamp},
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::AnyConnection;

/// A plain-text email. Never holds a secret: links to secrets (invitations) are made at delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mail {
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
}

/// What an email outbox row holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Letter {
    /// Written when the event happened.
    Mail(Mail),
    /// An invitation: the link's code is made when the email is sent, so no code waits in the outbox.
    Invitation { invitation_id: InvitationId },
}

/// How many emails of one kind a window admits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmailLimit {
    pub max: i64,
    pub window_ms: i64,
}

impl EmailLimit {
    /// The window as a refusal names it: "hour", "24 hours".
    fn window(self) -> String {
        match self.window_ms {
            HOUR_MS => "hour".to_owned(),
            ms => format!("{} hours", ms / HOUR_MS),
        }
    }
}

/// Emails of one kind (the topic's first part: `invitation`, `alert`, `expiry`) one address receives
/// in any hour, counted across organizations: 3 invitations (an invitation and its resends: enough to
/// resend a lost one, too few to flood anyone), 20 security alerts, 50
/// expiry warnings (one per token and threshold: only someone with that many tokens expiring at once
/// gets near it). Beyond it, invitations are refused (429); other emails skip that recipient (the audit
/// log keeps every event).
pub fn per_recipient_limit(kind: &str) -> EmailLimit {
    let max = match kind {
        "invitation" => 3,
        "expiry" => 50,
        _ => 20,
    };
    EmailLimit { max, window_ms: HOUR_MS }
}

/// Invitation emails one organization sends in any 24 hours (as GitHub limits organizations' invitations
/// to 50 a day): enough to bring in a team, too few to use Tessera to send mail to strangers.
pub const ORG_INVITATIONS: EmailLimit = EmailLimit { max: 50, window_ms: DAY_MS };

fn kind_of(topic: &str) -> &str {
    topic.split('.').next().unwrap_or(topic)
}

/// When a window that holds `count` admits another email, if it is full now.
fn full_until(count: store::WindowCount, limit: EmailLimit) -> Option<Timestamp> {
    (count.n >= limit.max).then(|| count.oldest.plus_ms(limit.window_ms))
}

/// Whether `recipient` may get another email of `kind` now; `Some(when)` it may again.
async fn recipient_full(
    conn: &mut AnyConnection,
    recipient: &str,
    kind: &str,
    now: Timestamp,
) -> Result<Option<Timestamp>, Error> {
    let limit = per_recipient_limit(kind);
    let count = store::email_log::to_recipient(conn, recipient, kind, now.minus_ms(limit.window_ms)).await?;
    Ok(full_until(count, limit))
}

fn retry_after(until: Timestamp, now: Timestamp) -> u64 {
    ((until.millis() - now.millis()).max(1_000) as u64).div_ceil(1_000)
}

/// Queues an invitation email, within the limits: at most [`per_recipient_limit`]`("invitation")` to one
/// address and [`ORG_INVITATIONS`] from one organization. Beyond them: a 429 that says when to try
/// again, and nothing is queued (the caller rolls its transaction back).
pub(crate) async fn queue_invitation(
    conn: &mut AnyConnection,
    core: &Core,
    org: (OrgId, &str),
    invitation_id: InvitationId,
    email: &str,
    now: Timestamp,
) -> Result<(), Error> {
    if !core.settings.email {
        return Ok(());
    }
    let (org_id, org_name) = org;
    let recipient = email.to_lowercase();
    if let Some(until) = recipient_full(conn, &recipient, "invitation", now).await? {
        let wait = retry_after(until, now);
        let limit = per_recipient_limit("invitation");
        return Err(Error::rate_limited(wait).with_message(format!(
            "{email} was sent {max} invitation emails in the last {window}, the most one address gets. Try again in {}.",
            crate::error::wait_phrase(wait),
            max = limit.max,
            window = limit.window(),
        )));
    }
    let sent =
        store::email_log::from_org(&mut *conn, org_id, "invitation", now.minus_ms(ORG_INVITATIONS.window_ms)).await?;
    if let Some(until) = full_until(sent, ORG_INVITATIONS) {
        let wait = retry_after(until, now);
        return Err(Error::rate_limited(wait).with_message(format!(
            "{org_name} sent {max} invitation emails in the last {window}, the most an organization may. Try again in {}.",
            crate::error::wait_phrase(wait),
            max = ORG_INVITATIONS.max,
            window = ORG_INVITATIONS.window(),
        )));
    }
    store::email_log::insert(&mut *conn, &recipient, "invitation", Some(org_id), now).await?;
    insert_letter(conn, Some(org_id), "invitation", &Letter::Invitation { invitation_id }, now).await
}

/// Queues an email (nothing when email is off or nobody is to be told). Recipients who had as many
/// emails of its kind as [`per_recipient_limit`] admits are left out of it.
async fn queue(
    conn: &mut AnyConnection,
    core: &Core,
    org_id: OrgId,
    topic: &str,
    mut mail: Mail,
    now: Timestamp,
) -> Result<(), Error> {
    if !core.settings.email {
        return Ok(());
    }
    let kind = kind_of(topic);
    let mut admitted = Vec::with_capacity(mail.to.len());
    for to in mail.to {
        let recipient = to.to_lowercase();
        if recipient_full(conn, &recipient, kind, now).await?.is_some() {
            tracing::warn!(%topic, "email limit reached: a recipient is left out of an email");
            continue;
        }
        store::email_log::insert(&mut *conn, &recipient, kind, Some(org_id), now).await?;
        admitted.push(to);
    }
    mail.to = admitted;
    if mail.to.is_empty() {
        return Ok(());
    }
    insert_letter(conn, Some(org_id), topic, &Letter::Mail(mail), now).await
}

/// An email about the person's own account (two-factor authentication turned on or off, a recovery code
/// used, recovery codes regenerated), to that person only, within the alerts' per-recipient limit.
pub(crate) async fn account_alert(
    conn: &mut AnyConnection,
    core: &Core,
    user: UserId,
    topic: &str,
    subject: &str,
    body: &str,
    now: Timestamp,
) -> Result<(), Error> {
    if !core.settings.email {
        return Ok(());
    }
    let Some(to) = store::users::email_of(&mut *conn, user).await? else {
        return Ok(());
    };
    let recipient = to.to_lowercase();
    if recipient_full(conn, &recipient, kind_of(topic), now).await?.is_some() {
        tracing::warn!(%topic, "email limit reached: an account alert is not sent");
        return Ok(());
    }
    store::email_log::insert(&mut *conn, &recipient, kind_of(topic), None, now).await?;
    let text = format!(
        "{body}\n\nWhen: {at}\nManage your account's security at {url}.\n\n\u{2014} Tessera. You get this email \
         because it is about your own account.\n",
        at = now.date_time(),
        url = link(&core.settings.links_base, crate::domain::links::ACCOUNT_SECURITY_URL),
    );
    let mail = Mail { to: vec![to], subject: subject.to_owned(), text };
    insert_letter(conn, None, topic, &Letter::Mail(mail), now).await
}

async fn insert_letter(
    conn: &mut AnyConnection,
    org_id: Option<OrgId>,
    topic: &str,
    letter: &Letter,
    now: Timestamp,
) -> Result<(), Error> {
    let payload = serde_json::to_string(letter).map_err(Error::internal)?;
    store::outbox::insert(
        conn,
        NewMessage {
            id: MessageId::new_random(),
            kind: Kind::Email,
            org_id,
            webhook_id: None,
            event_type: topic,
            payload: &payload,
            now,
        },
    )
    .await?;
    Ok(())
}

/// Deletes the email log's rows older than the longest limit's window.
pub async fn prune_email_log(core: &Core) -> Result<u64, Error> {
    Ok(store::email_log::prune(core.db.pool(), core.clock.now().minus_ms(DAY_MS)).await?)
}

/// `path` under the base of links in emails (`TESSERA_PUBLIC_URL`).
fn link(base: &str, path: &str) -> String {
    format!("{}{path}", base.trim_end_matches('/'))
}

fn token_label(name: Option<&str>, id: TokenId) -> String {
    match name {
        Some(name) => format!("\u{201c}{name}\u{201d} ({id})"),
        None => format!("{id} (unnamed)"),
    }
}

fn short_label(name: Option<&str>) -> String {
    name.map_or("(unnamed)".to_owned(), |n| format!("\u{201c}{n}\u{201d}"))
}

const FOOTER: &str =
    "\n\n\u{2014} Tessera. You get this email because you are a member of the organization named above.\n";

/// The emails of the organization's members whose role is `role` or above.
async fn emails_of_role(conn: &mut AnyConnection, org_id: OrgId, role: Role) -> Result<Vec<String>, Error> {
    Ok(store::orgs::emails_with_role(conn, org_id, role).await?.into_iter().map(|(_, e)| e).collect())
}

async fn admins(conn: &mut AnyConnection, org_id: OrgId) -> Result<Vec<String>, Error> {
    emails_of_role(conn, org_id, Role::Admin).await
}

async fn email_of(conn: &mut AnyConnection, user: UserId) -> Result<Vec<String>, Error> {
    Ok(store::users::email_of(conn, user).await?.into_iter().collect())
}

/// A token that someone other than its creator deleted: the creator is told.
pub(crate) async fn token_deleted_by_other(
    conn: &mut AnyConnection,
    core: &Core,
    recorder: &Recorder<'_>,
    org_name: &str,
    token: (TokenId, Option<&str>, UserId),
    by: &str,
) -> Result<(), Error> {
    let (id, name, creator) = token;
    let to = email_of(conn, creator).await?;
    let mail = token_deleted_mail(&core.settings.links_base, org_name, (id, name), by, recorder.at, to);
    queue(conn, core, recorder.org_id, "alert.token_deleted", mail, recorder.at).await
}

fn token_deleted_mail(
    base: &str,
    org_name: &str,
    token: (TokenId, Option<&str>),
    by: &str,
    at: Timestamp,
    to: Vec<String>,
) -> Mail {
    let (id, name) = token;
    let text = format!(
        "Your API token {label} in the organization {org_name} was deleted by {by} at {at}.\n\n\
         Programs that use it now get 401 Unauthorized. If you did not expect this, ask your organization's \
         administrators why; to keep an integration working, create a new token at {url}.{FOOTER}",
        label = token_label(name, id),
        at = at.date_time(),
        url = link(base, TOKENS_URL),
    );
    Mail { to, subject: format!("Your API token {} was deleted", short_label(name)), text }
}

/// Every token of a member revoked by an administrator (incident response), or with their removal.
pub(crate) async fn member_tokens_revoked(
    conn: &mut AnyConnection,
    core: &Core,
    recorder: &Recorder<'_>,
    org_name: &str,
    member: UserId,
    count: usize,
    removed: bool,
) -> Result<(), Error> {
    if count == 0 && !removed {
        return Ok(());
    }
    let to = email_of(conn, member).await?;
    let mail = member_tokens_revoked_mail(org_name, count, removed, recorder.at, to);
    queue(conn, core, recorder.org_id, "alert.member_tokens_revoked", mail, recorder.at).await
}

fn member_tokens_revoked_mail(org_name: &str, count: usize, removed: bool, at: Timestamp, to: Vec<String>) -> Mail {
    let at = at.date_time();
    let (subject, text) = if removed {
        (
            format!("You were removed from {org_name}"),
            format!(
                "You were removed from the organization {org_name} at {at}. {count} of your API tokens stopped \
                 working with it.{FOOTER}"
            ),
        )
    } else {
        (
            format!("Your API tokens in {org_name} were revoked"),
            format!(
                "An administrator of {org_name} revoked all of your API tokens there at {at}. {count} of your API \
                 tokens stopped working; if you did not expect this, ask the organization's administrators why.{FOOTER}"
            ),
        )
    };
    Mail { to, subject, text }
}

/// A token rotated itself through the API: its creator did not press anything in the dashboard, so they
/// are told (if the token is in someone else's hands, this is how they learn of it).
pub(crate) async fn token_rotated_through_api(
    conn: &mut AnyConnection,
    core: &Core,
    recorder: &Recorder<'_>,
    creator: &Member,
    rotation: (TokenId, Option<&str>, TokenId, Timestamp),
) -> Result<(), Error> {
    let to = vec![creator.email.clone()];
    let mail = token_rotated_mail(&core.settings.links_base, &creator.org_name, rotation, recorder.at, to);
    queue(conn, core, recorder.org_id, "alert.token_rotated", mail, recorder.at).await
}

fn token_rotated_mail(
    base: &str,
    org_name: &str,
    rotation: (TokenId, Option<&str>, TokenId, Timestamp),
    at: Timestamp,
    to: Vec<String>,
) -> Mail {
    let (id, name, successor, old_valid_until) = rotation;
    let text = format!(
        "Your API token {label} in the organization {org_name} rotated itself through the API at {at}. Its \
         successor is {successor}; the old secret works until {until}.\n\n\
         If one of your programs did this, there is nothing to do. If not, someone else holds the token: delete \
         the successor at {url} (that ends the old secret too) and check the audit log ({audit}).{FOOTER}",
        label = token_label(name, id),
        at = at.date_time(),
        until = old_valid_until.date_time(),
        url = link(base, TOKENS_URL),
        audit = link(base, &format!("{AUDIT_URL}?token_id={id}")),
    );
    Mail { to, subject: format!("Your API token {} was rotated through the API", short_label(name)), text }
}

/// A token presented after it was rotated away: someone else has a copy, and its family was revoked.
/// The creator and the organization's administrators are told.
pub(crate) async fn family_revoked(
    conn: &mut AnyConnection,
    core: &Core,
    recorder: &Recorder<'_>,
    token: (TokenId, Option<&str>, Option<UserId>),
    revoked: usize,
    how: &str,
) -> Result<(), Error> {
    let (id, name, creator) = token;
    let mut to = admins(conn, recorder.org_id).await?;
    if let Some(creator) = creator {
        for email in email_of(conn, creator).await? {
            if !to.contains(&email) {
                to.push(email);
            }
        }
    }
    let org_name = store::orgs::name_of(&mut *conn, recorder.org_id).await?.unwrap_or_default();
    let mail = family_revoked_mail(&core.settings.links_base, &org_name, (id, name), revoked, how, recorder.at, to);
    queue(conn, core, recorder.org_id, "alert.family_revoked", mail, recorder.at).await
}

fn family_revoked_mail(
    base: &str,
    org_name: &str,
    token: (TokenId, Option<&str>),
    revoked: usize,
    how: &str,
    at: Timestamp,
    to: Vec<String>,
) -> Mail {
    let (id, name) = token;
    let text = format!(
        "The API token {label} in the organization {org_name} was {how} at {at}. A token is only replaced once, so \
         someone else holds a copy of it.\n\n\
         Tessera revoked every token of its rotation family ({revoked} tokens). Create a new token at {url}, update \
         the programs that need it, and check the audit log ({audit}) for where the old one was used.{FOOTER}",
        label = token_label(name, id),
        at = at.date_time(),
        url = link(base, TOKENS_URL),
        audit = link(base, &format!("{AUDIT_URL}?token_id={id}")),
    );
    let subject = format!("Security alert: an API token of {org_name} was used after rotation");
    Mail { to, subject, text }
}

/// A token's secret was reported leaked and its family revoked: the creator and the organization's
/// administrators are told where it was found (never the secret).
pub(crate) async fn token_exposed(
    conn: &mut AnyConnection,
    core: &Core,
    recorder: &Recorder<'_>,
    token: (TokenId, Option<&str>, UserId),
    intake: crate::domain::token::LeakIntake,
    location: &crate::domain::token::LeakLocation,
    revoked: usize,
) -> Result<(), Error> {
    let (id, name, creator) = token;
    let mut to = admins(conn, recorder.org_id).await?;
    for email in email_of(conn, creator).await? {
        if !to.contains(&email) {
            to.push(email);
        }
    }
    let org_name = store::orgs::name_of(&mut *conn, recorder.org_id).await?.unwrap_or_default();
    let report = ExposedReport { intake, location, revoked };
    let mail = token_exposed_mail(&core.settings.links_base, &org_name, (id, name), &report, recorder.at, to);
    queue(conn, core, recorder.org_id, "alert.token_exposed", mail, recorder.at).await
}

struct ExposedReport<'a> {
    intake: crate::domain::token::LeakIntake,
    location: &'a crate::domain::token::LeakLocation,
    revoked: usize,
}

fn token_exposed_mail(
    base: &str,
    org_name: &str,
    token: (TokenId, Option<&str>),
    report: &ExposedReport<'_>,
    at: Timestamp,
    to: Vec<String>,
) -> Mail {
    let (id, name) = token;
    let mut found = String::new();
    if let Some(url) = &report.location.url {
        found.push_str(&format!("\nWhere: {url}"));
    }
    if let Some(source) = &report.location.source {
        found.push_str(&format!("\nKind of place: {source}"));
    }
    let text = format!(
        "The secret of the API token {label} in the organization {org_name} was reported leaked by {by} at {at}.{found}\n\n\
         Tessera revoked it at once, with every token of its rotation family that still worked ({revoked} tokens): \
         programs that use it now get 401 Unauthorized. Create a new token at {url}, update the programs that need \
         it, remove the secret from where it was found, and check the audit log ({audit}) for where the token was \
         used.{FOOTER}",
        label = token_label(name, id),
        by = report.intake.label(),
        at = at.date_time(),
        revoked = report.revoked,
        url = link(base, TOKENS_URL),
        audit = link(base, &format!("{AUDIT_URL}?token_id={id}")),
    );
    let subject = format!("Security alert: an API token of {org_name} leaked and was revoked");
    Mail { to, subject, text }
}

/// Someone became an owner: every owner (the new one included) is told.
pub(crate) async fn new_owner(
    conn: &mut AnyConnection,
    core: &Core,
    recorder: &Recorder<'_>,
    email: &str,
) -> Result<(), Error> {
    let to = emails_of_role(&mut *conn, recorder.org_id, Role::Owner).await?;
    let org_name = store::orgs::name_of(&mut *conn, recorder.org_id).await?.unwrap_or_default();
    let by = match recorder.actor {
        super::audit::Actor::Member { email, .. } => email.to_owned(),
        super::audit::Actor::Operator => "the server's operator".to_owned(),
        super::audit::Actor::System => "Tessera".to_owned(),
    };
    let mail = new_owner_mail(&core.settings.links_base, &org_name, email, &by, recorder.at, to);
    queue(conn, core, recorder.org_id, "alert.new_owner", mail, recorder.at).await
}

fn new_owner_mail(base: &str, org_name: &str, email: &str, by: &str, at: Timestamp, to: Vec<String>) -> Mail {
    let text = format!(
        "{email} is now an owner of the organization {org_name} (made so by {by} at {at}). Owners can do \
         everything, including removing other owners.\n\n\
         If you did not expect this, review the members at {url}.{FOOTER}",
        at = at.date_time(),
        url = link(base, MEMBERS_URL),
    );
    Mail { to, subject: format!("{email} is now an owner of {org_name}"), text }
}

/// Webhook endpoints paused because the member who added them left, was removed or lost the admin role:
/// the organization's owners are told, with where to resume them.
pub(crate) async fn webhooks_paused(
    conn: &mut AnyConnection,
    core: &Core,
    recorder: &Recorder<'_>,
    org_name: &str,
    why: &str,
    urls: &[String],
) -> Result<(), Error> {
    let to = emails_of_role(&mut *conn, recorder.org_id, Role::Owner).await?;
    let mail = webhooks_paused_mail(&core.settings.links_base, org_name, why, urls, recorder.at, to);
    queue(conn, core, recorder.org_id, "alert.webhooks_paused", mail, recorder.at).await
}

fn webhooks_paused_mail(
    base: &str,
    org_name: &str,
    why: &str,
    urls: &[String],
    at: Timestamp,
    to: Vec<String>,
) -> Mail {
    let list: String = urls.iter().map(|u| format!("\n- {u}")).collect();
    let text = format!(
        "{why}, at {at}. The webhook endpoints they added to the organization {org_name} are paused, because \
         they receive the organization's events (member emails, token names, addresses):{list}\n\n\
         Paused endpoints get no deliveries, and the events of the pause are not delivered later. If you trust \
         an endpoint, resume it with one click at {page}.{FOOTER}",
        at = at.date_time(),
        page = link(base, WEBHOOKS_URL),
    );
    Mail { to, subject: format!("Webhook endpoints paused in {org_name}"), text }
}

/// A webhook endpoint whose deliveries were given up: the organization's administrators are told.
pub(crate) async fn webhook_failing(
    conn: &mut AnyConnection,
    core: &Core,
    org_id: OrgId,
    url: &str,
    error: &str,
    now: Timestamp,
) -> Result<(), Error> {
    let to = admins(conn, org_id).await?;
    let org_name = store::orgs::name_of(&mut *conn, org_id).await?.unwrap_or_default();
    let mail = webhook_failing_mail(&core.settings.links_base, &org_name, url, error, to);
    queue(conn, core, org_id, "alert.webhook_failing", mail, now).await
}

fn webhook_failing_mail(base: &str, org_name: &str, url: &str, error: &str, to: Vec<String>) -> Mail {
    let text = format!(
        "Tessera could not deliver events to the webhook endpoint {url} of the organization {org_name} for a day \
         and stopped retrying them (last error: {error}). The endpoint is marked failing; new events are still \
         sent to it.\n\n\
         See the delivery log and resend events at {page}.{FOOTER}",
        page = link(base, WEBHOOKS_URL),
    );
    Mail { to, subject: format!("Webhook endpoint failing in {org_name}"), text }
}

/// The expiry warning email for one token and threshold.
fn expiry_mail(base: &str, due: &Due, threshold: u16, now: Timestamp, to: Vec<String>, to_creator: bool) -> Mail {
    let t = &due.token;
    let label = token_label(t.name.as_deref(), t.id);
    let short = short_label(t.name.as_deref());
    let when = if threshold == 0 || now >= t.expires_at {
        format!("expired on {}", t.expires_at.date_time())
    } else {
        format!(
            "expires on {} ({})",
            t.expires_at.date_time(),
            crate::time::expires_phrase(t.expires_at, now).trim_start_matches("expires ")
        )
    };
    let last_used = match (t.last_used_at, t.last_used_ip.as_deref()) {
        (None, _) => "never".to_owned(),
        (Some(at), Some(ip)) => format!("{} from {ip}", at.date_time()),
        (Some(at), None) => at.date_time(),
    };
    let whose = if to_creator {
        "Your API token".to_owned()
    } else {
        format!("The API token of {} (no longer a member)", t.creator_email)
    };
    let action = if threshold == 0 || now >= t.expires_at {
        format!(
            "Programs that use it now get 401 Unauthorized. Expired tokens can't be renewed: create a new one at {}.",
            link(base, TOKENS_URL)
        )
    } else {
        format!(
            "Rotate it before then to get a successor with a new secret, keeping the old one working while you update \
             your programs: {}",
            link(base, &format!("{TOKENS_URL}?rotate={}", t.id))
        )
    };
    let text = format!(
        "{whose} {label} in the organization {org} {when}.\n\n\
         Token ID: {id}\nOrganization: {org}\nExpires: {expires}\nLast used: {last_used}\n\n{action}{FOOTER}",
        org = due.org_name,
        id = t.id,
        expires = t.expires_at.rfc3339(),
    );
    let subject = if threshold == 0 || now >= t.expires_at {
        format!("Your API token {short} in {} has expired", due.org_name)
    } else {
        format!("Your API token {short} in {} {}", due.org_name, crate::time::expires_phrase(t.expires_at, now))
    };
    Mail { to, subject, text }
}

/// Sends the expiry warnings that are due: for each token, the nearest threshold it has crossed (the
/// more distant ones it skipped, because the server was down, are noted as sent too), once per token
/// and threshold whatever the instances: the notice row, the audit event, the webhook deliveries and
/// the email commit together, and a second instance's insert of the same notice does nothing.
pub async fn sweep_expiry(core: &Core) -> Result<usize, Error> {
    let now = core.clock.now();
    let mut thresholds: Vec<u16> = ExpiryWarnings::default().days().to_vec();
    for (_, warnings) in store::policies::expiry_warnings(core.db.pool()).await? {
        thresholds.extend_from_slice(warnings.days());
    }
    thresholds.sort_unstable();
    thresholds.dedup();
    let mut sent = 0;
    // Nearest first, so that a token that crossed 30 and 7 while the server was down hears about 7.
    for &threshold in &thresholds {
        loop {
            let due = store::notices::due(core.db.pool(), threshold, now, 200).await?;
            let batch = due.len();
            let mut progressed = false;
            for token in due {
                let wanted = ExpiryWarnings::parse(&token.warning_days).unwrap_or_default();
                let mut tx = core.db.begin_write().await?;
                // Noting the threshold (wanted or not) takes the token out of this query for good.
                if !store::notices::note(&mut *tx, token.token.id, threshold, now).await? {
                    continue;
                }
                progressed = true;
                if !wanted.days().contains(&threshold) {
                    tx.commit(core).await?;
                    continue;
                }
                for &farther in wanted.days().iter().filter(|&&d| d > threshold) {
                    store::notices::note(&mut *tx, token.token.id, farther, now).await?;
                }
                warn(core, &mut tx, &token, threshold, now).await?;
                tx.commit(core).await?;
                sent += 1;
            }
            if batch < 200 || !progressed {
                break;
            }
        }
    }
    if sent > 0 {
        tracing::info!(sent, "expiry warnings");
    }
    Ok(sent)
}

async fn warn(
    core: &Core,
    tx: &mut crate::db::WriteTx,
    due: &Due,
    threshold: u16,
    now: Timestamp,
) -> Result<(), Error> {
    let t = &due.token;
    let recorder = Recorder::system(due.org_id, now);
    let subject = Subject::token(t.id, t.name.as_deref(), Some(t.created_by));
    if threshold == 0 {
        // `token.expired` is recorded once, whether the sweep or a request with the token sees it first.
        if store::tokens::note_expiry_recorded(&mut **tx, t.id, now).await? {
            recorder
                .record(tx, EventType::TokenExpired, subject, json!({"expired_at": t.expires_at.rfc3339()}))
                .await?;
        }
    } else {
        let days_left = (t.expires_at.millis() - now.millis()).div_euclid(DAY_MS);
        recorder
            .record(
                tx,
                EventType::TokenExpiring,
                subject,
                json!({"threshold_days": threshold, "days_left": days_left, "expires_at": t.expires_at.rfc3339()}),
            )
            .await?;
    }
    let to_creator = due.creator_is_member.0;
    let to = if to_creator { vec![t.creator_email.clone()] } else { admins(tx, due.org_id).await? };
    let mail = expiry_mail(&core.settings.links_base, due, threshold, now, to, to_creator);
    let topic = if threshold == 0 { "expiry.expired".to_owned() } else { format!("expiry.{threshold}d") };
    queue(tx, core, due.org_id, &topic, mail, now).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{sql_types::Flag, views::TokenEntry};

    const T0: Timestamp = Timestamp(1_767_225_600_000);
    const BASE: &str = "https://tessera.example.com/";
    const SIGNATURE: &str =
        "\n\n\u{2014} Tessera. You get this email because you are a member of the organization named above.\n";

    fn id() -> TokenId {
        "0190a0b0-0000-4000-8000-000000000001".parse().unwrap()
    }

    fn to() -> Vec<String> {
        vec!["dev@example.com".to_owned()]
    }

    /// Every line starts with text (no indentation left by a flattened string literal), and nothing is
    /// left of a format argument.
    fn well_formed(mail: &Mail) {
        for line in mail.text.lines() {
            assert!(!line.starts_with(' ') && !line.starts_with('\t'), "indented line {line:?} in\n{}", mail.text);
        }
        assert!(!mail.text.contains('{') && !mail.subject.contains('{'), "{mail:?}");
        assert!(mail.text.ends_with(SIGNATURE), "{}", mail.text);
    }

    #[test]
    fn a_deleted_token() {
        let mail = token_deleted_mail(BASE, "Acme", (id(), Some("ci")), "admin@example.com", T0, to());
        well_formed(&mail);
        assert_eq!(mail.subject, "Your API token \u{201c}ci\u{201d} was deleted");
        assert_eq!(
            mail.text,
            format!(
                "Your API token \u{201c}ci\u{201d} (0190a0b0-0000-4000-8000-000000000001) in the organization Acme was \
                 deleted by admin@example.com at Jan 1, 2026, 00:00 UTC.\n\n\
                 Programs that use it now get 401 Unauthorized. If you did not expect this, ask your organization's \
                 administrators why; to keep an integration working, create a new token at \
                 https://tessera.example.com/app/settings/api.{SIGNATURE}"
            )
        );
        let unnamed = token_deleted_mail(BASE, "Acme", (id(), None), "admin@example.com", T0, to());
        assert_eq!(unnamed.subject, "Your API token (unnamed) was deleted");
        assert!(unnamed.text.starts_with("Your API token 0190a0b0-0000-4000-8000-000000000001 (unnamed) in"));
    }

    #[test]
    fn a_token_rotated_through_the_api() {
        let successor: TokenId = "0190a0b0-0000-4000-8000-000000000002".parse().unwrap();
        let mail = token_rotated_mail(BASE, "Acme", (id(), Some("ci"), successor, T0.plus_ms(HOUR_MS)), T0, to());
        well_formed(&mail);
        assert_eq!(mail.subject, "Your API token \u{201c}ci\u{201d} was rotated through the API");
        assert_eq!(
            mail.text,
            format!(
                "Your API token \u{201c}ci\u{201d} (0190a0b0-0000-4000-8000-000000000001) in the organization Acme \
                 rotated itself through the API at Jan 1, 2026, 00:00 UTC. Its successor is \
                 0190a0b0-0000-4000-8000-000000000002; the old secret works until Jan 1, 2026, 01:00 UTC.\n\n\
                 If one of your programs did this, there is nothing to do. If not, someone else holds the token: \
                 delete the successor at https://tessera.example.com/app/settings/api (that ends the old secret \
                 too) and check the audit log \
                 (https://tessera.example.com/app/settings/audit?token_id=0190a0b0-0000-4000-8000-000000000001).\
                 {SIGNATURE}"
            )
        );
    }

    #[test]
    fn webhook_endpoints_paused() {
        let urls = ["https://hooks.example.com/a".to_owned()];
        let mail = webhooks_paused_mail(BASE, "Acme", "admin@example.com was removed", &urls, T0, to());
        well_formed(&mail);
        assert_eq!(mail.subject, "Webhook endpoints paused in Acme");
        assert!(mail.text.starts_with("admin@example.com was removed, at Jan 1, 2026, 00:00 UTC."), "{}", mail.text);
        assert!(mail.text.contains(":\n- https://hooks.example.com/a\n\n"), "{}", mail.text);
        assert!(mail.text.contains("https://tessera.example.com/app/settings/webhooks."), "{}", mail.text);
    }

    #[test]
    fn a_members_tokens_revoked_or_the_member_removed() {
        let revoked = member_tokens_revoked_mail("Acme", 2, false, T0, to());
        well_formed(&revoked);
        assert_eq!(revoked.subject, "Your API tokens in Acme were revoked");
        assert_eq!(
            revoked.text,
            format!(
                "An administrator of Acme revoked all of your API tokens there at Jan 1, 2026, 00:00 UTC. 2 of your \
                 API tokens stopped working; if you did not expect this, ask the organization's administrators \
                 why.{SIGNATURE}"
            )
        );
        let removed = member_tokens_revoked_mail("Acme", 0, true, T0, to());
        well_formed(&removed);
        assert_eq!(removed.subject, "You were removed from Acme");
        assert_eq!(
            removed.text,
            format!(
                "You were removed from the organization Acme at Jan 1, 2026, 00:00 UTC. 0 of your API tokens \
                 stopped working with it.{SIGNATURE}"
            )
        );
    }

    #[test]
    fn a_token_used_after_rotation() {
        let mail = family_revoked_mail(BASE, "Acme", (id(), Some("deploy")), 3, "used after it was rotated", T0, to());
        well_formed(&mail);
        assert_eq!(mail.subject, "Security alert: an API token of Acme was used after rotation");
        assert_eq!(
            mail.text,
            format!(
                "The API token \u{201c}deploy\u{201d} (0190a0b0-0000-4000-8000-000000000001) in the organization Acme \
                 was used after it was rotated at Jan 1, 2026, 00:00 UTC. A token is only replaced once, so someone \
                 else holds a copy of it.\n\n\
                 Tessera revoked every token of its rotation family (3 tokens). Create a new token at \
                 https://tessera.example.com/app/settings/api, update the programs that need it, and check the audit \
                 log (https://tessera.example.com/app/settings/audit?token_id=0190a0b0-0000-4000-8000-000000000001) \
                 for where the old one was used.{SIGNATURE}"
            )
        );
    }

    #[test]
    fn a_token_reported_leaked() {
        let location =
            crate::domain::token::LeakLocation::new(Some("https://github.com/o/r/blob/x/.env"), Some("content"));
        let report =
            ExposedReport { intake: crate::domain::token::LeakIntake::Github, location: &location, revoked: 2 };
        let mail = token_exposed_mail("https://t.example", "Acme", (id(), Some("CI")), &report, Timestamp(0), to());
        well_formed(&mail);
        assert!(mail.text.contains("https://github.com/o/r/blob/x/.env"));
        assert!(mail.text.contains("GitHub secret scanning"));
        assert!(mail.subject.contains("Acme"));
    }

    #[test]
    fn a_new_owner() {
        let mail = new_owner_mail(BASE, "Acme", "bob@example.com", "ada@example.com", T0, to());
        well_formed(&mail);
        assert_eq!(mail.subject, "bob@example.com is now an owner of Acme");
        assert_eq!(
            mail.text,
            format!(
                "bob@example.com is now an owner of the organization Acme (made so by ada@example.com at Jan 1, 2026, \
                 00:00 UTC). Owners can do everything, including removing other owners.\n\n\
                 If you did not expect this, review the members at \
                 https://tessera.example.com/app/settings/members.{SIGNATURE}"
            )
        );
    }

    #[test]
    fn a_failing_webhook_endpoint() {
        let mail = webhook_failing_mail(BASE, "Acme", "https://hooks.example.com/x", "timed out", to());
        well_formed(&mail);
        assert_eq!(mail.subject, "Webhook endpoint failing in Acme");
        assert_eq!(
            mail.text,
            format!(
                "Tessera could not deliver events to the webhook endpoint https://hooks.example.com/x of the \
                 organization Acme for a day and stopped retrying them (last error: timed out). The endpoint is \
                 marked failing; new events are still sent to it.\n\n\
                 See the delivery log and resend events at https://tessera.example.com/app/settings/webhooks.{SIGNATURE}"
            )
        );
    }

    #[test]
    fn expiry_warnings() {
        let due = Due {
            token: TokenEntry {
                id: id(),
                name: Some("ci".into()),
                created_by: "0190a0b0-0000-4000-8000-0000000000aa".parse().unwrap(),
                creator_email: "dev@example.com".into(),
                created_at: T0,
                expires_at: T0.plus_ms(30 * DAY_MS),
                last_used_at: Some(T0.plus_ms(DAY_MS)),
                last_used_ip: Some("203.0.113.7".into()),
                last_used_user_agent: None,
                revoked_at: None,
                revoked_reason: None,
                replaced_by: None,
                grace_until: None,
                exposed_at: None,
                exposed_via: None,
                exposed_url: None,
                exposed_source: None,
            },
            org_id: "0190a0b0-0000-4000-8000-0000000000bb".parse().unwrap(),
            org_name: "Acme".into(),
            warning_days: "30,7,1,0".into(),
            creator_is_member: Flag(true),
        };
        let week = expiry_mail(BASE, &due, 7, T0.plus_ms(23 * DAY_MS), to(), true);
        well_formed(&week);
        assert_eq!(week.subject, "Your API token \u{201c}ci\u{201d} in Acme expires in 7 days");
        assert_eq!(
            week.text,
            format!(
                "Your API token \u{201c}ci\u{201d} (0190a0b0-0000-4000-8000-000000000001) in the organization Acme \
                 expires on Jan 31, 2026, 00:00 UTC (in 7 days).\n\n\
                 Token ID: 0190a0b0-0000-4000-8000-000000000001\n\
                 Organization: Acme\n\
                 Expires: 2026-01-31T00:00:00Z\n\
                 Last used: Jan 2, 2026, 00:00 UTC from 203.0.113.7\n\n\
                 Rotate it before then to get a successor with a new secret, keeping the old one working while you \
                 update your programs: \
                 https://tessera.example.com/app/settings/api?rotate=0190a0b0-0000-4000-8000-000000000001{SIGNATURE}"
            )
        );
        let expired = expiry_mail(BASE, &due, 0, T0.plus_ms(30 * DAY_MS), vec!["admin@example.com".into()], false);
        well_formed(&expired);
        assert_eq!(expired.subject, "Your API token \u{201c}ci\u{201d} in Acme has expired");
        assert!(
            expired.text.starts_with(
                "The API token of dev@example.com (no longer a member) \u{201c}ci\u{201d} \
                 (0190a0b0-0000-4000-8000-000000000001) in the organization Acme expired on Jan 31, 2026, 00:00 UTC.\n"
            ),
            "{}",
            expired.text
        );
        assert!(expired.text.contains(
            "\n\nPrograms that use it now get 401 Unauthorized. Expired tokens can't be renewed: create a new one at \
             https://tessera.example.com/app/settings/api."
        ));
    }

    #[test]
    fn every_kind_of_email_has_a_per_recipient_limit() {
        for topic in [
            "invitation",
            "alert.token_deleted",
            "alert.token_rotated",
            "alert.webhooks_paused",
            "alert.new_owner",
            "expiry.7d",
            "expiry.expired",
        ] {
            let limit = per_recipient_limit(kind_of(topic));
            assert!(limit.max > 0 && limit.max <= 50 && limit.window_ms == HOUR_MS, "{topic}");
        }
        assert_eq!(per_recipient_limit("invitation").max, 3);
    }
}
