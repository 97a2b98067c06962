//! The stores' contract, run against a real SQLite file and a real PostgreSQL database: every store
//! operation, with the same SQL, gives the same answers on both engines.
//!
//! Each test gets a database of its own from `tessera_core::testing` (PostgreSQL from
//! TESSERA_TEST_POSTGRES_URL; without it the PostgreSQL half says "skipped", and fails when CI=true).

use tessera_core::{
    db::{Backend, Db, DbOptions, DbResultExt, Invalidation, TokenCopies, WriteTx, is_unique_violation},
    domain::{
        account::Email,
        audit::{ActorKind, EventType, SubjectKind},
        org::Role,
        paging::Cursor,
        policy::TokenPolicy,
        token::{ExpiryDays, RevokeReason},
    },
    ids::{EventId, FamilyId, InvitationId, MessageId, OrgId, TokenId, UserId, WebhookId},
    store::{self, audit::NewEvent, tokens::Listing},
    testing::{self, TestDatabase},
    time::{DAY_MS, Timestamp},
    views::AuditEntry,
};

const T0: Timestamp = Timestamp(1_767_225_600_000);

/// What a commit told this instance's token cache to forget.
#[derive(Default)]
struct Forgotten(std::sync::Mutex<Vec<Invalidation>>);

impl TokenCopies for Forgotten {
    fn forget(&self, change: Invalidation) {
        self.0.lock().unwrap().push(change);
    }
}

/// Runs a change that cached tokens depend on (those store functions take a [`WriteTx`]) in its own
/// write transaction and commits it: its answer, and what the commit made the cache forget.
async fn changing<T>(db: &Db, change: impl AsyncFnOnce(&mut WriteTx) -> sqlx::Result<T>) -> (T, Vec<Invalidation>) {
    let forgotten = Forgotten::default();
    let mut tx = db.begin_write().await.unwrap();
    let answer = change(&mut tx).await.unwrap();
    tx.commit(&forgotten).await.unwrap();
    (answer, forgotten.0.into_inner().unwrap())
}

/// Runs a store test on `backend` (for `on_each_engine!`): a migrated store over a database of its own.
fn on_store(backend: Backend, test: impl AsyncFnOnce(&Db)) {
    on_database(backend, true, test)
}

/// Runs a test on an empty store (not migrated) over a database of its own.
fn on_empty_store(backend: Backend, test: impl AsyncFnOnce(&Db)) {
    on_database(backend, false, test)
}

fn on_database(backend: Backend, migrated: bool, test: impl AsyncFnOnce(&Db)) {
    if !testing::available(backend) {
        return;
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let database = TestDatabase::create(backend).await.expect("a test database");
        let db = Db::connect(&DbOptions::new(database.url.clone())).await.unwrap();
        if migrated {
            db.migrate().await.unwrap();
        }
        test(&db).await;
    })
}

tessera_core::on_each_engine!(crate::on_store =>
    users_and_settings,
    orgs_and_memberships,
    sessions,
    invitations,
    tokens,
    token_restrictions_and_rate_leases,
    policies,
    audit,
    login_attempts,
    outbox,
    outbox_lanes,
    notices,
    webhooks,
    cancelled_write_transactions,
);

/// A request whose client hangs up is dropped wherever it is waiting, also halfway into opening a write
/// transaction. That must never leave a connection inside a transaction: the next writer (on SQLite
/// the one write connection) would fail for good.
async fn cancelled_write_transactions(db: &Db) {
    use std::time::Duration;
    for i in 0..300u64 {
        let _ = tokio::time::timeout(Duration::from_micros(i % 60 * 10), db.begin_write()).await;
    }
    for i in 0..3 {
        let mut tx = tokio::time::timeout(Duration::from_secs(5), db.begin_write())
            .await
            .expect("a write transaction opens after cancelled ones")
            .expect("and without an error");
        store::login_attempts::insert(&mut *tx, &format!("tx{i}"), "ada@example.com", "10.0.0.1", T0).await.unwrap();
        tx.commit(&Forgotten::default()).await.unwrap();
    }
    // Every pooled connection writes outside a transaction (all of them at once, so each is used): a
    // connection left inside a stale transaction would hold its write back, uncommitted.
    let mut held = Vec::new();
    for _ in 0..10 {
        held.push(db.pool().acquire().await.unwrap());
    }
    for (i, conn) in held.iter_mut().enumerate() {
        store::login_attempts::insert(&mut **conn, &format!("c{i}"), "ada@example.com", "10.0.0.1", T0).await.unwrap();
    }
    drop(held);
    let mut fresh = <sqlx::AnyConnection as sqlx::Connection>::connect(db.url()).await.unwrap();
    let seen = store::login_attempts::count_since(
        &mut fresh,
        store::login_attempts::Key::Email,
        "ada@example.com",
        T0.minus_ms(1),
    )
    .await
    .unwrap();
    assert_eq!(seen.n, 13, "every acknowledged write is visible to another connection");
}

async fn user(db: &Db, email: &str) -> UserId {
    let id = UserId::new_random();
    store::users::insert(db.pool(), id, &Email::parse(email).unwrap(), "$argon2id$x", T0).await.unwrap();
    id
}

async fn org_with_owner(db: &Db, owner: UserId) -> OrgId {
    let org = OrgId::new_random();
    store::orgs::insert(db.pool(), org, "Acme", T0).await.unwrap();
    store::orgs::insert_membership(db.pool(), org, owner, Role::Owner, T0).await.unwrap();
    org
}

async fn users_and_settings(db: &Db) {
    assert!(!store::users::any_exists(db.pool()).await.unwrap());
    let ada = user(db, "ada@example.com").await;
    assert!(store::users::any_exists(db.pool()).await.unwrap());
    let email = Email::parse("ada@example.com").unwrap();
    let creds = store::users::credentials(db.pool(), &email).await.unwrap().unwrap();
    assert_eq!((creds.id, creds.password_hash.as_deref()), (ada, Some("$argon2id$x")));
    let dup = store::users::insert(db.pool(), UserId::new_random(), &email, "x", T0).await.unwrap_err();
    assert!(is_unique_violation(&dup), "{dup}");
    assert_eq!(store::users::email_of(db.pool(), ada).await.unwrap().as_deref(), Some("ada@example.com"));
    assert_eq!(store::users::set_password(db.pool(), &email, "new").await.unwrap(), Some(ada));
    let nobody = Email::parse("nobody@example.com").unwrap();
    assert_eq!(store::users::set_password(db.pool(), &nobody, "new").await.unwrap(), None);

    assert_eq!(store::settings::get(db.pool(), "k").await.unwrap(), None);
    store::settings::insert(db.pool(), "k", "v").await.unwrap();
    let again = store::settings::insert(db.pool(), "k", "w").await.on_unique(|| tessera_core::Error::conflict("taken"));
    assert_eq!(again.unwrap_err().message(), "taken");
    store::settings::insert_if_absent(db.pool(), "k", "w").await.unwrap();
    assert_eq!(store::settings::get(db.pool(), "k").await.unwrap().as_deref(), Some("v"));
}

async fn orgs_and_memberships(db: &Db) {
    let ada = user(db, "ada@example.com").await;
    let bob = user(db, "bob@example.com").await;
    let org = org_with_owner(db, ada).await;
    assert!(store::orgs::lock(db.pool(), org).await.unwrap());
    assert!(!store::orgs::lock(db.pool(), OrgId::new_random()).await.unwrap());
    store::orgs::insert_membership(db.pool(), org, bob, Role::Viewer, T0).await.unwrap();
    assert!(is_unique_violation(
        &store::orgs::insert_membership(db.pool(), org, bob, Role::Admin, T0).await.unwrap_err()
    ));
    assert_eq!(store::orgs::role_of(db.pool(), org, bob).await.unwrap(), Some(Role::Viewer));
    let ((), forgot) =
        changing(db, async |tx: &mut WriteTx| store::orgs::set_role(tx, org, bob, Role::Admin).await).await;
    assert_eq!(forgot, [Invalidation::All], "tokens carry their creator's role");
    assert_eq!(store::orgs::count_owners(db.pool(), org).await.unwrap(), 1);
    let members = store::orgs::members(db.pool(), org, T0).await.unwrap();
    assert_eq!(
        members.iter().map(|m| (m.email.as_str(), m.role)).collect::<Vec<_>>(),
        [("ada@example.com", Role::Owner), ("bob@example.com", Role::Admin)]
    );
    assert_eq!(members[0].active_tokens, 0);
    let admins = store::orgs::emails_with_role(db.pool(), org, Role::Admin).await.unwrap();
    assert_eq!(admins.len(), 2);
    assert_eq!(store::orgs::of_user(db.pool(), bob).await.unwrap()[0].id, org);
    assert_eq!(store::orgs::membership(db.pool(), org, bob).await.unwrap().unwrap().org_name, "Acme");
    assert_eq!(store::orgs::find_by_id_or_name(db.pool(), "Acme").await.unwrap(), vec![org]);
    assert_eq!(store::orgs::find_by_id_or_name(db.pool(), &org.to_string()).await.unwrap(), vec![org]);
    let ((), forgot) = changing(db, async |tx: &mut WriteTx| store::orgs::delete_membership(tx, org, bob).await).await;
    assert_eq!(forgot, [Invalidation::All], "tokens carry their creator's membership");
    assert_eq!(store::orgs::role_of(db.pool(), org, bob).await.unwrap(), None);
}

async fn sessions(db: &Db) {
    let ada = user(db, "ada@example.com").await;
    let org = org_with_owner(db, ada).await;
    let s = store::sessions::NewSession {
        id_hash: "h1",
        user_id: ada,
        org_id: None,
        now: T0,
        expires_at: T0.plus_ms(1000),
    };
    store::sessions::insert(db.pool(), s).await.unwrap();
    let live = store::sessions::find_live(db.pool(), "h1", T0, T0.minus_ms(10)).await.unwrap().unwrap();
    assert_eq!((live.user_id, live.current_org_id, live.email.as_str()), (ada, None, "ada@example.com"));
    store::sessions::set_current_org(db.pool(), "h1", org).await.unwrap();
    store::sessions::touch(db.pool(), "h1", T0.plus_ms(5)).await.unwrap();
    let live = store::sessions::find_live(db.pool(), "h1", T0.plus_ms(6), T0).await.unwrap().unwrap();
    assert_eq!((live.current_org_id, live.last_seen_at), (Some(org), T0.plus_ms(5)));
    assert!(
        store::sessions::find_live(db.pool(), "h1", T0.plus_ms(1000), T0).await.unwrap().is_none(),
        "absolute expiry"
    );
    assert!(store::sessions::find_live(db.pool(), "h1", T0.plus_ms(6), T0.plus_ms(5)).await.unwrap().is_none(), "idle");
    assert_eq!(store::sessions::purge(db.pool(), T0.plus_ms(1000), T0).await.unwrap(), 1);
}

async fn invitations(db: &Db) {
    let ada = user(db, "ada@example.com").await;
    let org = org_with_owner(db, ada).await;
    let email = Email::parse("new@example.com").unwrap();
    let id = InvitationId::new_random();
    let invitation = store::invitations::NewInvitation {
        id,
        code_hash: "c1",
        org_id: org,
        email: &email,
        role: Role::Member,
        invited_by: ada,
        inviter_role: Role::Owner,
        now: T0,
        expires_at: T0.plus_ms(DAY_MS),
    };
    store::invitations::insert(db.pool(), invitation).await.unwrap();
    let row = store::invitations::find_live(db.pool(), "c1", T0).await.unwrap().unwrap();
    assert_eq!(
        (row.id, row.org_id, row.role, row.inviter_current_role, row.existing_user),
        (id, org, Role::Member, Some(Role::Owner), None)
    );
    assert!(store::invitations::find_live(db.pool(), "c1", T0.plus_ms(DAY_MS)).await.unwrap().is_none(), "expired");
    let pending = store::invitations::pending(db.pool(), org, T0).await.unwrap();
    assert_eq!((pending.len(), pending[0].invited_by_email.as_str()), (1, "ada@example.com"));
    user(db, "new@example.com").await;
    assert!(store::invitations::find_live(db.pool(), "c1", T0).await.unwrap().unwrap().existing_user.is_some());
    assert_eq!(store::invitations::delete_issued_by(db.pool(), org, ada).await.unwrap(), 1);
    assert!(!store::invitations::delete(db.pool(), id).await.unwrap());
    assert_eq!(store::invitations::delete_in_org(db.pool(), org, id).await.unwrap(), None);
}

async fn token(db: &Db, org: OrgId, by: UserId, created: Timestamp, days: i64) -> TokenId {
    let id = TokenId::new_random();
    let lookup = id.to_string();
    let t = store::tokens::NewToken {
        id,
        family_id: FamilyId::from(id),
        org_id: org,
        created_by: by,
        name: Some("CI"),
        secret_hash: &"ab".repeat(32),
        secret_lookup: &lookup,
        now: created,
        expires_at: created.plus_days(days),
        restrictions: &Default::default(),
    };
    store::tokens::insert(db.pool(), t).await.unwrap();
    id
}

async fn tokens(db: &Db) {
    let ada = user(db, "ada@example.com").await;
    let org = org_with_owner(db, ada).await;
    let a = token(db, org, ada, T0, 30).await;
    let b = token(db, org, ada, T0.plus_ms(1), 1).await;
    let auth = store::tokens::for_auth(db.pool(), a).await.unwrap().unwrap();
    assert_eq!((auth.role, auth.org_id, auth.revoked_at, auth.max_lifetime_days), (Some(Role::Owner), org, None, None));
    assert_eq!((auth.id, auth.family_id), (a, FamilyId::from(a)));
    // Many at once, in one statement: the tokens found (the unknown id is not), each once, whatever
    // the batch's size and repeats.
    let unknown = TokenId::new_random();
    let mut found = store::tokens::for_auth_many(db.pool(), &[b, unknown, a]).await.unwrap();
    found.sort_by_key(|row| row.expires_at);
    assert_eq!(
        found.iter().map(|row| (row.id, row.expires_at)).collect::<Vec<_>>(),
        [(b, T0.plus_ms(1).plus_days(1)), (a, T0.plus_days(30))]
    );
    let many: Vec<TokenId> = (0..store::tokens::AUTH_BATCH).map(|i| if i % 2 == 0 { a } else { unknown }).collect();
    assert_eq!(store::tokens::for_auth_many(db.pool(), &many).await.unwrap().len(), 1);
    assert!(store::tokens::for_auth_many(db.pool(), &[]).await.unwrap().is_empty());
    assert!(
        store::tokens::for_auth_many(db.pool(), &vec![a; store::tokens::AUTH_BATCH + 1]).await.is_err(),
        "too many"
    );
    let now = T0.plus_days(2);
    let active = store::tokens::page(db.pool(), org, Listing::Active, None, 25, now).await.unwrap();
    assert_eq!(active.iter().map(|t| t.id).collect::<Vec<_>>(), vec![a]);
    let expired = store::tokens::page(db.pool(), org, Listing::Expired, None, 25, now).await.unwrap();
    assert_eq!(expired.iter().map(|t| t.id).collect::<Vec<_>>(), vec![b]);
    // Keyset paging: after b (newest) comes a.
    let page = store::tokens::page(db.pool(), org, Listing::Active, None, 1, T0).await.unwrap();
    assert_eq!(page.len(), 2, "limit + 1 rows");
    let next = Cursor { at: page[0].created_at, id: page[0].id };
    assert_eq!(store::tokens::page(db.pool(), org, Listing::Active, Some(next), 1, T0).await.unwrap()[0].id, a);

    let successor = token(db, org, ada, T0.plus_ms(2), 30).await;
    let rotate = async |tx: &mut WriteTx| store::tokens::mark_rotated(tx, a, successor, T0.plus_ms(100)).await;
    assert_eq!(changing(db, rotate).await, (true, vec![Invalidation::Token(a)]));
    assert!(!changing(db, rotate).await.0, "only once");
    let state = store::tokens::state(db.pool(), org, a).await.unwrap().unwrap();
    assert_eq!((state.replaced_by, state.grace_until), (Some(successor), Some(T0.plus_ms(100))));
    let revoked = store::tokens::page(db.pool(), org, Listing::Revoked, None, 25, T0.plus_ms(100)).await.unwrap();
    assert_eq!(revoked.iter().map(|t| t.id).collect::<Vec<_>>(), vec![a], "past its grace period");

    let revoke =
        async |tx: &mut WriteTx| store::tokens::revoke(tx, org, a, Some(ada), RevokeReason::Deleted, now).await;
    assert_eq!(changing(db, revoke).await, (true, vec![Invalidation::Token(a)]));
    assert!(!changing(db, revoke).await.0);
    assert_eq!(
        store::tokens::get(db.pool(), org, a).await.unwrap().unwrap().revoked_reason,
        Some(RevokeReason::Deleted)
    );
    assert!(store::tokens::get(db.pool(), OrgId::new_random(), a).await.unwrap().is_none(), "another organization");

    let (family, forgot) = changing(db, async |tx: &mut WriteTx| {
        store::tokens::revoke_family(
            tx,
            FamilyId::from(successor),
            store::tokens::FamilyScope::Unrevoked,
            None,
            RevokeReason::ReuseDetected,
            now,
        )
        .await
    })
    .await;
    assert_eq!(family.iter().map(|r| r.id).collect::<Vec<_>>(), vec![successor]);
    assert_eq!(forgot, [Invalidation::Token(successor)]);
    // A rotated-away secret's use is claimed once, whether revoked by a rotation without grace or live past
    // its grace; a token never rotated can't be claimed.
    let d = token(db, org, ada, T0, 30).await;
    let d2 = token(db, org, ada, T0, 30).await;
    let claim = async |tx: &mut WriteTx| store::tokens::claim_reuse(tx, d, now).await;
    assert!(!changing(db, claim).await.0, "not rotated");
    assert!(changing(db, async |tx: &mut WriteTx| store::tokens::mark_rotated(tx, d, d2, T0).await).await.0);
    let without_grace =
        async |tx: &mut WriteTx| store::tokens::revoke(tx, org, d, Some(ada), RevokeReason::Rotated, T0).await;
    assert!(changing(db, without_grace).await.0);
    let (claimed, forgot) = changing(db, claim).await;
    assert!(claimed);
    assert_eq!(forgot, [Invalidation::Token(d)]);
    assert!(!changing(db, claim).await.0, "only once");
    let state = store::tokens::get(db.pool(), org, d).await.unwrap().unwrap();
    assert_eq!((state.revoked_reason, state.revoked_at), (Some(RevokeReason::ReuseDetected), Some(T0)));
    changing(db, async |tx: &mut WriteTx| store::tokens::revoke(tx, org, d2, None, RevokeReason::Deleted, now).await)
        .await;
    let c = token(db, org, ada, T0, 30).await;
    let (all, forgot) = changing(db, async |tx: &mut WriteTx| {
        store::tokens::revoke_all(tx, org, Some(ada), None, RevokeReason::MemberRemoved, now).await
    })
    .await;
    assert_eq!(forgot, [Invalidation::All]);
    assert_eq!(all.iter().map(|r| r.id).collect::<Vec<_>>().len(), 2, "b and c");
    assert!(all.iter().any(|r| r.id == c));
    let (none, _) = changing(db, async |tx: &mut WriteTx| {
        store::tokens::revoke_all(tx, org, None, None, RevokeReason::OrganizationTokensRevoked, now).await
    })
    .await;
    assert!(none.is_empty());

    let d = token(db, org, ada, T0, 365).await;
    store::tokens::record_use(db.pool(), d, T0.plus_ms(5), "10.0.0.1", Some("curl/8")).await.unwrap();
    let entry = store::tokens::get(db.pool(), org, d).await.unwrap().unwrap();
    assert_eq!((entry.last_used_at, entry.last_used_ip.as_deref()), (Some(T0.plus_ms(5)), Some("10.0.0.1")));
    assert!(store::tokens::note_expiry_recorded(db.pool(), d, now).await.unwrap());
    assert!(!store::tokens::note_expiry_recorded(db.pool(), d, now).await.unwrap());
    assert!(store::tokens::note_policy_refusal_recorded(db.pool(), d, T0, now).await.unwrap());
    assert!(!store::tokens::note_policy_refusal_recorded(db.pool(), d, T0, now).await.unwrap());
    assert!(
        store::tokens::note_policy_refusal_recorded(db.pool(), d, now.plus_ms(1), now.plus_ms(2)).await.unwrap(),
        "a newer policy"
    );
    assert_eq!(store::tokens::count_over_lifetime(db.pool(), org, 90, T0, T0).await.unwrap(), 1);
    assert_eq!(store::tokens::count_over_lifetime(db.pool(), org, 365, T0, T0).await.unwrap(), 0);
    assert!(store::tokens::unused_beyond_policy(db.pool(), now).await.unwrap().is_empty(), "no policy");
    let soon = store::tokens::expiring(db.pool(), org, T0, T0.plus_days(400), 10).await.unwrap();
    assert_eq!(soon.iter().map(|t| t.id).collect::<Vec<_>>(), vec![d]);
    assert!(store::tokens::expiring(db.pool(), org, T0, T0.plus_days(364), 10).await.unwrap().is_empty());
}

async fn policies(db: &Db) {
    let ada = user(db, "ada@example.com").await;
    let org = org_with_owner(db, ada).await;
    assert_eq!(store::policies::get(db.pool(), org).await.unwrap(), (TokenPolicy::default(), None));
    let policy = TokenPolicy::parse(Some("90"), Some("14"), Some("30"), true).unwrap();
    let ((), forgot) =
        changing(db, async |tx: &mut WriteTx| store::policies::set(tx, org, &policy, ada, T0).await).await;
    assert_eq!(forgot, [Invalidation::All], "tokens carry their organization's policy");
    assert_eq!(store::policies::get(db.pool(), org).await.unwrap(), (policy.clone(), Some(T0)));
    let lower = TokenPolicy { max_lifetime: ExpiryDays::new(30).unwrap(), ..policy };
    changing(db, async |tx: &mut WriteTx| store::policies::set(tx, org, &lower, ada, T0.plus_ms(1)).await).await;
    assert_eq!(store::policies::get(db.pool(), org).await.unwrap().0.max_lifetime.days(), 30);
    let t = token(db, org, ada, T0, 30).await;
    let auth = store::tokens::for_auth(db.pool(), t).await.unwrap().unwrap();
    assert_eq!(
        (auth.max_lifetime_days, auth.revoke_unused_after_days, auth.policy_changed_at),
        (Some(30), Some(30), Some(T0.plus_ms(1)))
    );
    let stale = store::tokens::unused_beyond_policy(db.pool(), T0.plus_days(30)).await.unwrap();
    assert!(stale.is_empty(), "expired tokens are not swept");
    let long = token(db, org, ada, T0, 60).await;
    assert_eq!(store::tokens::unused_beyond_policy(db.pool(), T0.plus_days(30)).await.unwrap(), vec![(org, long)]);
}

async fn audit(db: &Db) {
    let ada = user(db, "ada@example.com").await;
    let org = org_with_owner(db, ada).await;
    let tok = TokenId::new_random();
    for (i, event) in [EventType::TokenCreated, EventType::TokenDeleted, EventType::MemberAdded].into_iter().enumerate()
    {
        let at = T0.plus_ms(i as i64);
        let e = NewEvent {
            entry: AuditEntry {
                id: EventId::new_at(at),
                org_id: org,
                at,
                event,
                actor_kind: ActorKind::User,
                actor_id: Some(ada.to_string()),
                actor_label: "ada@example.com".into(),
                subject_kind: SubjectKind::Token,
                subject_id: tok.to_string(),
                subject_label: None,
                client_ip: Some("10.0.0.1".into()),
                user_agent: None,
                detail: "{}".into(),
            },
            token_id: (event != EventType::MemberAdded).then_some(tok),
            member_id: Some(ada),
        };
        store::audit::insert(db.pool(), &e).await.unwrap();
    }
    let all = store::audit::page(db.pool(), org, Default::default(), None, 25).await.unwrap();
    assert_eq!(
        all.iter().map(|e| e.event).collect::<Vec<_>>(),
        [EventType::MemberAdded, EventType::TokenDeleted, EventType::TokenCreated]
    );
    let filter = store::audit::Filter { token_id: Some(tok), ..Default::default() };
    assert_eq!(store::audit::page(db.pool(), org, filter, None, 25).await.unwrap().len(), 2);
    let filter =
        store::audit::Filter { event: Some(EventType::TokenCreated), member_id: Some(ada), ..Default::default() };
    assert_eq!(store::audit::page(db.pool(), org, filter, None, 25).await.unwrap().len(), 1);
    let after = Cursor { at: all[0].at, id: all[0].id };
    assert_eq!(
        store::audit::page(db.pool(), org, Default::default(), Some(after), 1).await.unwrap()[0].event,
        EventType::TokenDeleted
    );
    let since = store::audit::Filter { since: Some(T0.plus_ms(1)), ..Default::default() };
    assert_eq!(store::audit::page(db.pool(), org, since, None, 25).await.unwrap().len(), 2);
    assert_eq!(store::audit::prune(db.pool(), T0.plus_ms(1)).await.unwrap(), 1);
}

async fn login_attempts(db: &Db) {
    use store::login_attempts::{Key, count_since, delete, insert, purge_before};
    insert(db.pool(), "a1", "ada@example.com", "10.0.0.1", T0).await.unwrap();
    insert(db.pool(), "a2", "ada@example.com", "10.0.0.2", T0.plus_ms(5)).await.unwrap();
    let by_email = count_since(db.pool(), Key::Email, "ada@example.com", T0.minus_ms(1)).await.unwrap();
    assert_eq!((by_email.n, by_email.oldest), (2, T0));
    assert_eq!(count_since(db.pool(), Key::ClientIp, "10.0.0.2", T0).await.unwrap().n, 1);
    delete(db.pool(), "a2").await.unwrap();
    assert_eq!(count_since(db.pool(), Key::Email, "ada@example.com", T0.minus_ms(1)).await.unwrap().n, 1);
    purge_before(db.pool(), T0).await.unwrap();
    let none = count_since(db.pool(), Key::Email, "ada@example.com", T0.minus_ms(1)).await.unwrap();
    assert_eq!((none.n, none.oldest), (0, Timestamp(0)));
}

/// Data written by the previous schema survives the move to invitations bound to their inviter: a
/// pending invitation keeps working (for the same email, role and organization), the placeholder
/// account disappears, and a former member's tokens are revoked for good.
mod migration {
    use super::*;
    use std::borrow::Cow;

    tessera_core::on_each_engine!(crate::on_empty_store => upgrade);

    async fn upgrade(db: &Db) {
        let mut old = sqlx::migrate!("../migrations");
        old.migrations = Cow::Owned(old.migrations.iter().filter(|m| m.version <= 3).cloned().collect());
        old.run(db.pool()).await.unwrap();
        let (owner, invitee, gone, org) =
            (UserId::new_random(), UserId::new_random(), UserId::new_random(), OrgId::new_random());
        for (id, email, hash) in [
            (owner, "owner@example.com", Some("$argon2id$x")),
            (invitee, "new@example.com", None),
            (gone, "gone@example.com", Some("$argon2id$y")),
        ] {
            sqlx::query("INSERT INTO users (id, email, password_hash, created_at) VALUES ($1, $2, $3, $4)")
                .bind(id)
                .bind(email)
                .bind(hash)
                .bind(T0)
                .execute(db.pool())
                .await
                .unwrap();
        }
        sqlx::query("INSERT INTO organizations (id, name, created_at) VALUES ($1, 'Acme', $2)")
            .bind(org)
            .bind(T0)
            .execute(db.pool())
            .await
            .unwrap();
        for (user, role) in [(owner, "owner"), (invitee, "admin")] {
            sqlx::query("INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)")
                .bind(org)
                .bind(user)
                .bind(role)
                .bind(T0)
                .execute(db.pool())
                .await
                .unwrap();
        }
        let code_hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        sqlx::query("INSERT INTO invitations (code_hash, user_id, org_id, invited_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(code_hash).bind(invitee).bind(org).bind(owner).bind(T0).bind(T0.plus_days(7)).execute(db.pool()).await.unwrap();
        let token = TokenId::new_random();
        sqlx::query("INSERT INTO api_tokens (id, org_id, created_by, name, secret_hash, created_at, expires_at) VALUES ($1, $2, $3, 'x', 'h', $4, $5)")
            .bind(token).bind(org).bind(gone).bind(T0).bind(T0.plus_days(30)).execute(db.pool()).await.unwrap();

        db.migrate().await.unwrap();

        let row =
            store::invitations::find_live(db.pool(), code_hash, T0).await.unwrap().expect("the invitation survives");
        assert_eq!(
            (row.email.as_str(), row.role, row.org_id, row.invited_by),
            ("new@example.com", Role::Admin, org, owner)
        );
        assert_eq!(row.existing_user, None, "the placeholder account is gone");
        assert_eq!(store::orgs::members(db.pool(), org, T0).await.unwrap().len(), 1);
        let revoked = store::tokens::get(db.pool(), org, token).await.unwrap().unwrap();
        assert_eq!(revoked.revoked_reason, Some(RevokeReason::MemberRemoved), "a former member's token stays dead");
    }
}

async fn outbox(db: &Db) {
    use store::outbox::{Kind, NewMessage};
    let org = org_with_owner(db, user(db, "ada@example.com").await).await;
    let ids: Vec<MessageId> = (0..3).map(|_| MessageId::new_random()).collect();
    for (i, id) in ids.iter().enumerate() {
        let m = NewMessage {
            id: *id,
            kind: Kind::Email,
            org_id: Some(org),
            webhook_id: None,
            event_type: "expiry.7d",
            payload: "{}",
            now: T0.plus_ms(i as i64),
        };
        store::outbox::insert(db.pool(), m).await.unwrap();
    }
    assert_eq!(store::outbox::pending(db.pool()).await.unwrap(), 3);
    assert_eq!(store::outbox::oldest_pending(db.pool()).await.unwrap(), Some(T0));
    // A claim takes due messages, oldest first, and hides them for the lease.
    let first = store::outbox::claim_emails(db.pool(), db.backend(), T0.plus_ms(10), 1_000, 2).await.unwrap();
    assert_eq!(first.iter().map(|m| m.id).collect::<Vec<_>>(), ids[..2]);
    assert!(first.iter().all(|m| m.attempts == 1 && m.kind == Kind::Email));
    let second = store::outbox::claim_emails(db.pool(), db.backend(), T0.plus_ms(10), 1_000, 10).await.unwrap();
    assert_eq!(second.iter().map(|m| m.id).collect::<Vec<_>>(), ids[2..], "claimed messages are not claimed twice");
    store::outbox::delivered(db.pool(), ids[0], T0.plus_ms(20)).await.unwrap();
    store::outbox::retry_at(db.pool(), ids[1], T0.plus_ms(5_000), "HTTP 500").await.unwrap();
    // Not due yet; the lease of ids[2] runs out at T0 + 1010.
    assert!(
        store::outbox::claim_emails(db.pool(), db.backend(), T0.plus_ms(1_000), 1_000, 10).await.unwrap().is_empty()
    );
    let again = store::outbox::claim_emails(db.pool(), db.backend(), T0.plus_ms(1_010), 1_000, 10).await.unwrap();
    assert_eq!((again.len(), again[0].id, again[0].attempts), (1, ids[2], 2), "an expired lease is claimed again");
    store::outbox::delivered(db.pool(), ids[2], T0.plus_ms(1_011)).await.unwrap();
    let retried = store::outbox::claim_emails(db.pool(), db.backend(), T0.plus_ms(5_000), 1_000, 10).await.unwrap();
    assert_eq!(retried.iter().map(|m| m.id).collect::<Vec<_>>(), [ids[1]]);
    store::outbox::failed(db.pool(), ids[1], T0.plus_ms(5_001), "gave up").await.unwrap();
    assert_eq!(store::outbox::pending(db.pool()).await.unwrap(), 0);
    assert_eq!(store::outbox::prune(db.pool(), T0.plus_ms(100)).await.unwrap(), 3);
}

/// Webhook deliveries are claimed apart from emails, at most `per_endpoint` per endpoint, and never for
/// an endpoint the caller is still delivering to: a slow endpoint holds up nobody else.
async fn outbox_lanes(db: &Db) {
    use store::outbox::{Kind, NewMessage};
    let org = org_with_owner(db, user(db, "ada@example.com").await).await;
    let (slow, fast) = (WebhookId::new_random(), WebhookId::new_random());
    let mut queued = Vec::new();
    for (i, (kind, webhook_id)) in [(Kind::Webhook, Some(slow)); 5]
        .into_iter()
        .chain([(Kind::Webhook, Some(fast)), (Kind::Email, None)])
        .enumerate()
    {
        let id = MessageId::new_random();
        let m = NewMessage {
            id,
            kind,
            org_id: Some(org),
            webhook_id,
            event_type: "x",
            payload: "{}",
            now: T0.plus_ms(i as i64),
        };
        store::outbox::insert(db.pool(), m).await.unwrap();
        queued.push(id);
    }
    let now = T0.plus_ms(10);
    let claim = async |busy: &[WebhookId], limit| {
        store::outbox::claim_webhooks(db.pool(), db.backend(), now, 1_000, 2, busy, limit).await.unwrap()
    };
    // The email is claimed first although it was queued last; webhooks never in the email lane.
    let emails = store::outbox::claim_emails(db.pool(), db.backend(), now, 1_000, 10).await.unwrap();
    assert_eq!(emails.iter().map(|m| m.id).collect::<Vec<_>>(), [queued[6]]);
    // Two of the slow endpoint's five, and the fast one's, though three older ones wait.
    let first = claim(&[], 10).await;
    assert_eq!(first.iter().map(|m| m.id).collect::<Vec<_>>(), [queued[0], queued[1], queued[5]]);
    assert!(first.iter().all(|m| m.kind == Kind::Webhook));
    // While the slow endpoint is busy, none of its messages is claimed.
    assert!(claim(&[slow], 10).await.is_empty());
    assert_eq!(claim(&[fast], 1).await.iter().map(|m| m.id).collect::<Vec<_>>(), [queued[2]]);
    assert_eq!(claim(&[], 10).await.iter().map(|m| m.id).collect::<Vec<_>>(), [queued[3], queued[4]]);
    assert!(claim(&[], 10).await.is_empty(), "claimed messages are not claimed twice");
}

async fn notices(db: &Db) {
    let ada = user(db, "ada@example.com").await;
    let org = org_with_owner(db, ada).await;
    let month = token(db, org, ada, T0, 30).await;
    let week = token(db, org, ada, T0.plus_days(18), 5).await;
    // At T0 + 24 days: the month-long token is within 7 days; the 5-day one expired a day ago.
    let now = T0.plus_days(24);
    let due7 = store::notices::due(db.pool(), 7, now, 10).await.unwrap();
    assert_eq!(due7.iter().map(|d| d.token.id).collect::<Vec<_>>(), [month]);
    assert!(due7[0].creator_is_member.0 && due7[0].org_name == "Acme" && due7[0].warning_days == "30,7,1,0");
    let due0 = store::notices::due(db.pool(), 0, now, 10).await.unwrap();
    assert_eq!(due0.iter().map(|d| d.token.id).collect::<Vec<_>>(), [week]);
    assert!(
        store::notices::due(db.pool(), 30, now, 10).await.unwrap().is_empty(),
        "created with 30 days: never due at 30"
    );
    assert!(store::notices::note(db.pool(), month, 7, now).await.unwrap());
    assert!(!store::notices::note(db.pool(), month, 7, now).await.unwrap(), "noted once");
    assert!(store::notices::due(db.pool(), 7, now, 10).await.unwrap().is_empty());
    assert_eq!(store::notices::of_token(db.pool(), month).await.unwrap(), [7]);
    // A week after expiry, "expired" is no longer due.
    assert!(store::notices::due(db.pool(), 0, T0.plus_days(38), 10).await.unwrap().is_empty());
}

async fn webhooks(db: &Db) {
    use store::webhooks::{NewAttempt, NewWebhook};
    let ada = user(db, "ada@example.com").await;
    let org = org_with_owner(db, ada).await;
    let id = WebhookId::new_random();
    let hook =
        NewWebhook { id, org_id: org, url: "https://x.example/h", events: "token.*", salt: "s", by: ada, now: T0 };
    store::webhooks::insert(db.pool(), hook).await.unwrap();
    let listed = store::webhooks::list(db.pool(), org).await.unwrap();
    assert_eq!((listed.len(), listed[0].url.as_str(), listed[0].failing_since), (1, "https://x.example/h", None));
    let message = MessageId::new_random();
    let m = store::outbox::NewMessage {
        id: message,
        kind: store::outbox::Kind::Webhook,
        org_id: Some(org),
        webhook_id: Some(id),
        event_type: "token.created",
        payload: "{}",
        now: T0,
    };
    store::outbox::insert(db.pool(), m).await.unwrap();
    for (attempt, status) in [(1, None), (2, Some(200))] {
        let a = NewAttempt {
            id: MessageId::new_random(),
            webhook_id: id,
            message_id: message,
            attempt,
            at: T0.plus_ms(attempt),
            status,
            duration_ms: 12,
            error: status.is_none().then_some("could not connect"),
        };
        store::webhooks::record_attempt(db.pool(), a).await.unwrap();
    }
    let log = store::webhooks::attempts(db.pool(), org, id, 10).await.unwrap();
    assert_eq!(log.iter().map(|a| (a.attempt, a.status)).collect::<Vec<_>>(), [(2, Some(200)), (1, None)]);
    assert_eq!(log[1].error.as_deref(), Some("could not connect"));
    assert_eq!(log[0].event_type, "token.created");
    store::outbox::delivered(db.pool(), message, T0).await.unwrap();
    assert!(store::outbox::resend(db.pool(), org, id, message, T0.plus_ms(9)).await.unwrap());
    assert!(
        !store::outbox::resend(db.pool(), OrgId::new_random(), id, message, T0).await.unwrap(),
        "another org's message"
    );
    assert_eq!(store::outbox::pending(db.pool()).await.unwrap(), 1);
    store::webhooks::set_failing(db.pool(), id, Some(T0)).await.unwrap();
    assert_eq!(store::webhooks::target(db.pool(), id).await.unwrap().unwrap().failing_since, Some(T0));
    assert_eq!(store::webhooks::delete(db.pool(), org, id).await.unwrap().as_deref(), Some("https://x.example/h"));
    assert!(store::webhooks::attempts(db.pool(), org, id, 10).await.unwrap().is_empty(), "attempts go with it");
}

/// Restrictions round-trip on both engines (verification, the list, rotation's read), and rate leases
/// never hand out more than the limit in a window, on both engines.
async fn token_restrictions_and_rate_leases(db: &Db) {
    use tessera_core::domain::restriction::Restrictions;
    let ada = user(db, "ada@example.com").await;
    let org = org_with_owner(db, ada).await;
    let restrictions = Restrictions::parse("viewer", "10.0.0.0/8, ::ffff:192.0.2.1", "7").unwrap();
    let id = TokenId::new_random();
    let lookup = id.to_string();
    let t = store::tokens::NewToken {
        id,
        family_id: FamilyId::from(id),
        org_id: org,
        created_by: ada,
        name: None,
        secret_hash: &"ab".repeat(32),
        secret_lookup: &lookup,
        now: T0,
        expires_at: T0.plus_days(30),
        restrictions: &restrictions,
    };
    store::tokens::insert(db.pool(), t).await.unwrap();
    let auth = store::tokens::for_auth(db.pool(), id).await.unwrap().unwrap();
    assert_eq!(auth.ceiling, Some(Role::Viewer));
    assert_eq!(auth.allowed_ips.unwrap().to_string(), "10.0.0.0/8,192.0.2.1");
    assert_eq!(auth.rate_limit_per_minute.unwrap().per_minute(), 7);
    assert_eq!(store::tokens::get(db.pool(), org, id).await.unwrap().unwrap().restrictions(), restrictions);
    assert_eq!(store::tokens::state(db.pool(), org, id).await.unwrap().unwrap().restrictions(), restrictions);
    let plain = token(db, org, ada, T0, 30).await;
    assert!(store::tokens::get(db.pool(), org, plain).await.unwrap().unwrap().restrictions().is_none());

    // Leases of 3 against a limit of 7: 3, 3, 1, then nothing; another window starts afresh.
    let mut got = Vec::new();
    for _ in 0..5 {
        got.push(store::tokens::claim_rate_lease(db.pool(), id, T0, 3, 7).await.unwrap());
    }
    assert_eq!(got, [(3, 3), (3, 6), (1, 7), (0, 7), (0, 7)]);
    assert_eq!(store::tokens::claim_rate_lease(db.pool(), id, T0.plus_ms(60_000), 3, 7).await.unwrap(), (3, 3));
    assert_eq!(store::tokens::delete_rate_windows_before(db.pool(), T0.plus_ms(60_000)).await.unwrap(), 1);
    // The refusal by allowlist is recorded at most once a minute.
    assert!(store::tokens::note_ip_refusal_recorded(db.pool(), id, T0).await.unwrap());
    assert!(!store::tokens::note_ip_refusal_recorded(db.pool(), id, T0.plus_ms(59_999)).await.unwrap());
    assert!(store::tokens::note_ip_refusal_recorded(db.pool(), id, T0.plus_ms(60_000)).await.unwrap());
}
