//! Leak response: a secret seen where it shouldn't be is revoked at once, on every instance, and its
//! creator and the organization's administrators are told.
//!
//! Every intake (GitHub secret scanning, a GitLab instance's secret detection, someone holding the
//! secret, a member through the API or the dashboard, the operator) ends here. A reported secret is
//! checked for shape and checksum first, so a malformed or foreign one never reaches the database; a
//! well-formed one is looked up by its lookup digest ([`crate::secret::lookup_hex`]), never by scanning.
//!
//! On a hit: every token of its rotation family that still works is revoked as exposed (in one
//! [`crate::db::WriteTx`], whose commit reaches every instance's cache before the answer), a report is
//! stored (never the secret), a `token.exposed` audit event (which webhooks deliver) and an email to the
//! creator and the administrators go through the outbox in the same transaction. A report that finds
//! nothing live (already revoked or expired) is stored, once per intake and place, and alerts nobody again.

use super::{
    audit::{Recorder, Subject},
    notify,
    tokens::token_not_found,
};
use crate::{
    context::Core,
    crypto::constant_time_eq,
    db::WriteTx,
    domain::{
        audit::EventType,
        org::action_for_token_delete,
        token::{LeakIntake, LeakLocation, RevokeReason},
    },
    error::Error,
    identity::{ActingToken, Caller, Via},
    ids::{OrgId, TokenId, UserId},
    secret::{PresentedSecret, lookup_hex},
    store::{self, leaks::Found, tokens::FamilyScope},
};
use serde_json::json;
use std::collections::HashMap;

/// Tokens whose lookup digest is filled per transaction by [`backfill`].
pub const BACKFILL_BATCH: i64 = 500;

/// Fills the lookup digest of tokens created before it existed (or by an older instance during an
/// upgrade), from their stored verifier, a batch per transaction. Run at start-up and before every leak
/// intake; when nothing is missing it costs one indexed read.
pub async fn backfill(core: &Core) -> Result<usize, Error> {
    let mut done = 0;
    loop {
        let rows = store::leaks::missing_lookup(core.db.pool(), BACKFILL_BATCH).await?;
        if rows.is_empty() {
            if done > 0 {
                tracing::info!(tokens = done, "lookup digests filled for tokens created before leak response");
            }
            return Ok(done);
        }
        let mut tx = core.db.begin_write().await?;
        for (id, verifier) in &rows {
            store::leaks::set_lookup(&mut *tx, *id, &lookup_hex(&core.key, verifier)).await?;
        }
        tx.commit(core).await?;
        done += rows.len();
    }
}

/// One reported secret and where it was seen.
#[derive(Clone, Copy)]
pub struct Sighting<'a> {
    pub secret: &'a str,
    pub location: &'a LeakLocation,
}

/// Without the secret.
impl std::fmt::Debug for Sighting<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sighting").field("secret", &"[redacted]").field("location", &self.location).finish()
    }
}

/// What became of one reported secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// A token that worked: it and its family are revoked now.
    Revoked(TokenId),
    /// A token that no longer worked (revoked, expired, or reported earlier in the same batch): the
    /// report is stored, nobody is alerted again.
    AlreadyDead(TokenId),
    /// Well-formed, but no token has this secret.
    Unknown,
    /// Not a secret of this installation (prefix, length, alphabet or checksum): never looked up.
    Malformed,
}

impl Verdict {
    pub fn revoked(self) -> bool {
        matches!(self, Verdict::Revoked(_))
    }
}

/// Who reports, for the audit trail and the report.
#[derive(Clone, Copy)]
enum Reporter<'a> {
    /// An outside intake (GitHub, GitLab, someone holding the secret): Tessera acts.
    Outside,
    Member(&'a Caller),
    Operator,
}

impl Reporter<'_> {
    fn recorder(&self, org_id: OrgId, at: crate::time::Timestamp) -> Recorder<'_> {
        match self {
            Reporter::Outside => Recorder::system(org_id, at),
            Reporter::Member(caller) => Recorder::for_caller(caller, at),
            Reporter::Operator => Recorder::operator(org_id, at),
        }
    }

    fn user(&self) -> Option<UserId> {
        match self {
            Reporter::Member(caller) => Some(caller.user_id()),
            _ => None,
        }
    }
}

/// Handles reported secrets from an outside intake: each is checked, looked up and, on a hit, revoked
/// (with its family). One verdict per sighting, in order. The work for a made-up but well-formed secret
/// is the work for a real one up to the revocation: the same digests and the same lookup statement.
pub async fn report_secrets(
    core: &Core,
    intake: LeakIntake,
    sightings: &[Sighting<'_>],
) -> Result<Vec<Verdict>, Error> {
    backfill(core).await?;
    let mut verdicts = vec![Verdict::Malformed; sightings.len()];
    // (sighting index, verifier, lookup) of the well-formed ones.
    let mut wanted = Vec::with_capacity(sightings.len());
    for (i, sighting) in sightings.iter().enumerate() {
        let Ok(secret) = PresentedSecret::parse(&core.settings.token_prefix, sighting.secret) else { continue };
        let verifier = secret.digest_hex(&core.key);
        let lookup = lookup_hex(&core.key, &verifier);
        verdicts[i] = Verdict::Unknown;
        wanted.push((i, verifier, lookup));
    }
    let mut found: HashMap<String, Found> = HashMap::new();
    let lookups: Vec<String> = wanted.iter().map(|(_, _, l)| l.clone()).collect();
    for chunk in lookups.chunks(store::leaks::FIND_BATCH) {
        for row in store::leaks::find(core.db.pool(), chunk).await? {
            found.insert(row.secret_lookup.clone(), row);
        }
    }
    let hits: Vec<(usize, &Found)> = wanted
        .iter()
        .filter_map(|(i, verifier, lookup)| {
            let row = found.get(lookup)?;
            constant_time_eq(row.secret_hash.as_bytes(), verifier.as_bytes()).then_some((*i, row))
        })
        .collect();
    if hits.is_empty() {
        return Ok(verdicts);
    }
    let now = core.clock.now();
    let mut tx = core.db.begin_write().await?;
    // A secret repeated in one report is handled (and recorded) once.
    let mut seen = std::collections::HashSet::with_capacity(hits.len());
    for (i, row) in hits {
        if !seen.insert(row.id) {
            verdicts[i] = Verdict::AlreadyDead(row.id);
            continue;
        }
        let revoked = on_hit(core, &mut tx, Reporter::Outside, intake, row, sightings[i].location, now).await?;
        verdicts[i] = if revoked { Verdict::Revoked(row.id) } else { Verdict::AlreadyDead(row.id) };
    }
    tx.commit(core).await?;
    Ok(verdicts)
}

/// A member reports one of the organization's tokens as leaked (the API, the dashboard): who may
/// delete it may report it (its creator, an administrator, or the token itself). It is revoked with its
/// family, as any other report; a report of a token that no longer works is stored and alerts nobody.
/// Returns whether it revoked anything.
pub async fn report_token(
    core: &Core,
    caller: &Caller,
    intake: LeakIntake,
    id: TokenId,
    location: &LeakLocation,
) -> Result<bool, Error> {
    let itself = caller.token_id() == Some(id);
    if !itself && matches!(caller.via, Via::Token(ActingToken { replaced: true, .. })) {
        return Err(Error::forbidden(
            "This token was rotated: until its grace period ends it works for plain use only, and can't report \
             other tokens. Use its successor.",
        ));
    }
    report_one(core, Reporter::Member(caller), caller.org_id(), intake, id, location, |own| {
        if itself { Ok(()) } else { caller.require(action_for_token_delete(own)) }
    })
    .await
}

/// The operator reports a token as leaked (`tessera tokens leaked`): the same path, no member acting.
pub async fn operator_report(core: &Core, org_id: OrgId, id: TokenId, location: &LeakLocation) -> Result<bool, Error> {
    report_one(core, Reporter::Operator, org_id, LeakIntake::Cli, id, location, |_| Ok(())).await
}

async fn report_one(
    core: &Core,
    reporter: Reporter<'_>,
    org_id: OrgId,
    intake: LeakIntake,
    id: TokenId,
    location: &LeakLocation,
    allowed: impl FnOnce(bool) -> Result<(), Error>,
) -> Result<bool, Error> {
    let now = core.clock.now();
    let mut tx = core.db.begin_write().await?;
    let state = store::tokens::state(&mut *tx, org_id, id).await?.ok_or_else(token_not_found)?;
    allowed(Some(state.created_by) == reporter.user())?;
    let row = Found {
        id,
        secret_lookup: String::new(),
        secret_hash: String::new(),
        org_id,
        family_id: state.family_id,
        name: state.name,
        created_by: state.created_by,
    };
    let revoked = on_hit(core, &mut tx, reporter, intake, &row, location, now).await?;
    tx.commit(core).await?;
    Ok(revoked)
}

/// Revokes what still works of the token's family, stores the report (a report that revokes nothing
/// and repeats a stored one, same intake and place, is not stored again), and on a revocation records
/// `token.exposed` (webhooks) and queues the email. Returns whether anything was revoked.
async fn on_hit(
    core: &Core,
    tx: &mut WriteTx,
    reporter: Reporter<'_>,
    intake: LeakIntake,
    token: &Found,
    location: &LeakLocation,
    now: crate::time::Timestamp,
) -> Result<bool, Error> {
    let ended = store::tokens::revoke_family(
        tx,
        token.family_id,
        FamilyScope::Working,
        reporter.user(),
        RevokeReason::Exposed,
        now,
    )
    .await?;
    let revoked = !ended.is_empty();
    let (url, source) = (location.url.as_deref(), location.source.as_deref());
    if !revoked && store::leaks::already_reported(&mut **tx, token.id, intake, url, source).await? {
        return Ok(false);
    }
    store::leaks::insert_report(
        &mut **tx,
        store::leaks::NewReport {
            token_id: token.id,
            org_id: token.org_id,
            intake,
            url: location.url.as_deref(),
            source: location.source.as_deref(),
            at: now,
            by: reporter.user(),
            revoked,
        },
    )
    .await?;
    if !revoked {
        tracing::info!(token = %token.id, %intake, "leak report for a token that no longer works: recorded");
        return Ok(false);
    }
    let recorder = reporter.recorder(token.org_id, now);
    recorder
        .record(
            tx,
            EventType::TokenExposed,
            Subject::token(token.id, token.name.as_deref(), Some(token.created_by)),
            json!({
                "intake": intake,
                "url": location.url,
                "source": location.source,
                "family": token.family_id,
                "revoked": ended.iter().map(|t| t.id).collect::<Vec<_>>(),
            }),
        )
        .await?;
    for other in &ended {
        recorder
            .record(
                tx,
                EventType::TokenRevoked,
                Subject::token(other.id, other.name.as_deref(), Some(other.created_by)),
                json!({"reason": RevokeReason::Exposed, "with": token.id}),
            )
            .await?;
    }
    notify::token_exposed(
        tx,
        core,
        &recorder,
        (token.id, token.name.as_deref(), token.created_by),
        intake,
        location,
        ended.len(),
    )
    .await?;
    tracing::warn!(token = %token.id, family = %token.family_id, %intake, revoked = ended.len(), "token exposed: revoked");
    Ok(true)
}
