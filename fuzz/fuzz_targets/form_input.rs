//! Form bodies as the dashboard receives them, and the domain types they become: token names, expiry,
//! emails, organization names, passwords, roles, policy fields. Accepted values hold no control,
//! bidirectional or zero-width characters.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tessera_core::{
    domain::{account::{Email, Password}, org::{OrgName, Role}, policy::{ExpiryWarnings, TokenPolicy}, restriction::{IpAllowlist, Restrictions}, token::TokenName},
    services::tokens::CreateInput,
};

fn visible(s: &str) -> bool {
    !s.chars().any(|c| c.is_control() || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}'))
}

fuzz_target!(|body: &[u8]| {
    let Ok(fields) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(body) else { return };
    let get = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or("");
    if let Ok(Some(name)) = TokenName::parse(get("name")) {
        assert!(visible(name.as_str()) && !name.as_str().is_empty());
    }
    if let Ok(input) = CreateInput::parse(get("name"), get("expires_in_days"), get("custom_days")) {
        if let Some(days) = input.days {
            assert!((1..=365).contains(&days.days()));
        }
    }
    // Restrictions: whatever parses reads back as itself from its stored form, and stays in bounds.
    if let Ok(r) = Restrictions::parse(get("ceiling"), get("allowed_ips"), get("rate_limit_per_minute")) {
        if let Some(ips) = &r.allowed_ips {
            assert!((1..=IpAllowlist::MAX).contains(&ips.networks().len()));
            assert_eq!(&ips.to_string().parse::<IpAllowlist>().unwrap(), ips);
        }
        if let Some(limit) = r.rate_limit {
            assert!((1..=100_000).contains(&limit.per_minute()));
        }
    }
    if let Ok(email) = Email::parse(get("email")) {
        assert!(visible(email.as_str()) && email.as_str().contains('@'));
    }
    if let Ok(org) = OrgName::parse(get("organization")) {
        assert!(visible(org.as_str()));
    }
    let _ = Password::parse(get("password").to_owned());
    let _ = get("role").parse::<Role>();
    if let Ok(policy) = TokenPolicy::parse(
        Some(get("max_lifetime_days")),
        Some(get("default_lifetime_days")),
        Some(get("revoke_unused_after_days")),
        !get("api_rotation").is_empty(),
    ) {
        assert!(policy.default_lifetime.days() <= policy.max_lifetime.days());
    }
    if let Ok(w) = ExpiryWarnings::parse(get("expiry_warning_days")) {
        assert!(w.days().len() <= ExpiryWarnings::MAX_THRESHOLDS && w.days().iter().all(|d| *d <= 365));
    }
});
