//! Webhook endpoints as admins type them: the URL (and whether it points inside the network), the events.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tessera_core::{domain::webhook::{WebhookEvents, WebhookUrl}, services::webhooks::check_target};

fuzz_target!(|data: (&str, &str)| {
    let (url, events) = data;
    if let Ok(parsed) = WebhookUrl::parse(url, false) {
        assert!(parsed.as_str().starts_with("https://"));
        let (host, _) = parsed.host_and_port();
        assert!(!host.is_empty());
        let _ = check_target(&parsed, false);
    }
    if let Ok(parsed) = WebhookUrl::parse(url, true) {
        let _ = parsed.host_and_port();
    }
    if let Ok(chosen) = WebhookEvents::parse(events) {
        assert!(!chosen.codes().is_empty());
        assert_eq!(WebhookEvents::parse(&chosen.to_string()).unwrap(), chosen);
    }
});
