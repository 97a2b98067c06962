//! Webhook endpoints as admins type them: the URL (and whether it points inside the network), the events.
//! The host checked is the host the HTTP client (reqwest, through `url::Url`) connects to.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tessera_core::{domain::webhook::{WebhookEvents, WebhookUrl}, services::webhooks::check_target};

fuzz_target!(|data: (&str, &str)| {
    let (url, events) = data;
    for allow_http in [false, true] {
        if let Ok(parsed) = WebhookUrl::parse(url, allow_http) {
            assert!(allow_http || parsed.as_str().starts_with("https://"));
            let client = url::Url::parse(url.trim()).expect("the client parses what was accepted");
            assert_eq!(client.host(), Some(parsed.host()));
            assert_eq!(client.port_or_known_default(), Some(parsed.port()));
            let stored = WebhookUrl::parse(parsed.as_str(), allow_http).expect("the stored form parses");
            assert_eq!(stored, parsed);
            let _ = check_target(&parsed, false);
        }
    }
    if let Ok(chosen) = WebhookEvents::parse(events) {
        assert!(!chosen.codes().is_empty());
        assert_eq!(WebhookEvents::parse(&chosen.to_string()).unwrap(), chosen);
    }
});
