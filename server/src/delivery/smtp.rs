//! Email through SMTP with lettre: `smtp://` (plain, or STARTTLS with `?tls=required`), `smtps://`
//! (TLS), with or without authentication, as lettre reads the URL.

use crate::config::ConfigError;
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{
        Mailbox,
        header::{ContentType, HeaderName, HeaderValue},
    },
};
use std::{fmt, time::Duration};
use tessera_core::services::notify::Mail;

/// The SMTP settings. The URL may hold a password: `Debug` shows only its scheme and host.
#[derive(Clone)]
pub struct SmtpConfig {
    url: String,
    from: Mailbox,
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("server", &redacted(&self.url))
            .field("from", &self.from.to_string())
            .finish()
    }
}

/// `smtps://user:pw@mail.example.com:465` → `smtps://mail.example.com:465`.
fn redacted(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    let host = rest.split(['/', '?']).next().unwrap_or("");
    format!("{scheme}://{host}")
}

impl SmtpConfig {
    pub fn parse(url: &str, from: Option<&str>) -> Result<Self, ConfigError> {
        if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
            return Err(ConfigError::SmtpUrl(format!(
                "{} is not an SMTP URL; use smtp://host:25, smtp://host:587?tls=required or smtps://host:465, with user:password@ before the host to sign in",
                redacted(url)
            )));
        }
        AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| ConfigError::SmtpUrl(format!("{} is not a valid SMTP URL ({e})", redacted(url))))?;
        let from = from.map(str::trim).filter(|f| !f.is_empty()).ok_or_else(|| {
            ConfigError::SmtpFrom("set the sender of emails, like \"Tessera <tessera@example.com>\"".to_owned())
        })?;
        let from = from.parse::<Mailbox>().map_err(|e| {
            ConfigError::SmtpFrom(format!(
                "{from:?} is not an email address ({e}); use a form like \"Tessera <tessera@example.com>\""
            ))
        })?;
        Ok(Self { url: url.to_owned(), from })
    }
}

pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    pub fn new(config: &SmtpConfig) -> Result<Self, ConfigError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&config.url)
            .map_err(|e| ConfigError::SmtpUrl(format!("{} is not a valid SMTP URL ({e})", redacted(&config.url))))?
            .timeout(Some(Duration::from_secs(15)))
            .build();
        Ok(Self { transport, from: config.from.clone() })
    }

    pub async fn send(&self, mail: &Mail) -> Result<(), String> {
        let mut builder = Message::builder()
            .from(self.from.clone())
            .raw_header(subject(&mail.subject))
            .header(ContentType::TEXT_PLAIN);
        for to in &mail.to {
            let mailbox =
                to.parse::<Mailbox>().map_err(|e| format!("the recipient {to} is not an email address ({e})"))?;
            builder = builder.to(mailbox);
        }
        let message = builder.body(mail.text.clone()).map_err(|e| format!("could not build the email ({e})"))?;
        self.transport.send(message).await.map(|_| ()).map_err(|e| format!("SMTP: {e}"))
    }
}

/// The `Subject` header, shown literally by mail clients. lettre encodes only the words that aren't
/// plain ASCII, so a token or organization name holding an RFC 2047 encoded word (`=?utf-8?b?…?=`)
/// would reach the recipient as whatever that word decodes to. A subject with `=?` in it is therefore
/// sent as encoded words throughout, which decode to exactly its text.
fn subject(text: &str) -> HeaderValue {
    let name = HeaderName::new_from_ascii_str("Subject");
    if !text.contains("=?") {
        return HeaderValue::new(name, text.to_owned());
    }
    HeaderValue::dangerous_new_pre_encoded(name, text.to_owned(), encoded_words(text))
}

/// `text` as RFC 2047 Q-encoded words of UTF-8, each at most 67 characters (so a line, with
/// "Subject: ", stays within 78), folded onto lines of their own; a character is never split.
fn encoded_words(text: &str) -> String {
    const MAX: usize = 55;
    let mut words = vec![String::new()];
    for c in text.chars() {
        let mut piece = String::new();
        if c == ' ' {
            piece.push('_');
        } else if c.is_ascii_alphanumeric() {
            piece.push(c);
        } else {
            for byte in c.to_string().bytes() {
                piece.push_str(&format!("={byte:02X}"));
            }
        }
        let word = words.last_mut().expect("never empty");
        if word.len() + piece.len() > MAX {
            words.push(piece);
        } else {
            word.push_str(&piece);
        }
    }
    words.iter().map(|w| format!("=?utf-8?q?{w}?=")).collect::<Vec<_>>().join("\r\n ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_and_passwords_never_shown() {
        let config =
            SmtpConfig::parse("smtps://me:hunter2@mail.example.com:465", Some("Tessera <t@example.com>")).unwrap();
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2") && shown.contains("mail.example.com:465"), "{shown}");
        let bad =
            SmtpConfig::parse("http://me:hunter2@mail.example.com", Some("t@example.com")).unwrap_err().to_string();
        assert!(!bad.contains("hunter2") && bad.contains("smtp://"), "{bad}");
        assert!(SmtpConfig::parse("smtp://mail.example.com", None).unwrap_err().to_string().contains("sender"));
        assert!(SmtpConfig::parse("smtp://mail.example.com", Some("not an address")).is_err());
    }

    #[test]
    fn subjects_with_encoded_words_are_encoded_throughout() {
        let sent = |subject: &str| {
            let message = Message::builder()
                .from("t@example.com".parse().unwrap())
                .to("a@example.com".parse().unwrap())
                .raw_header(super::subject(subject))
                .body(String::new())
                .unwrap();
            let raw = String::from_utf8(message.formatted()).unwrap();
            raw.lines()
                .skip_while(|l| !l.starts_with("Subject:"))
                .take_while(|l| l.starts_with("Subject:") || l.starts_with(' '))
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert_eq!(
            sent("Your API token \u{201c}ci\u{201d} was deleted"),
            "Subject: Your API token =?utf-8?b?4oCcY2nigJ0=?= was deleted"
        );
        let spoof = sent("Token ci =?utf-8?b?SGk=?= x");
        assert!(spoof.lines().all(|l| l.len() <= 78 && !l.contains("=?utf-8?b?")), "{spoof}");
        assert!(spoof.starts_with("Subject: =?utf-8?q?Token_ci_=3D=3Futf=2D8=3Fb=3FSGk=3D=3F=3D_x?="), "{spoof}");
        let long = sent(&format!("{} =?x?= \u{e9}", "\u{1f600}".repeat(40)));
        assert!(long.lines().count() > 3 && long.lines().all(|l| l.len() <= 78), "{long}");
    }
}
