//! What mooring shows of secrets it has to handle: SNS http/https subscription endpoints
//! (webhook URLs often carry their credential in the userinfo, the query or a path
//! segment) and subscription ARNs (with one, anyone may unsubscribe an endpoint through
//! SNS's unauthenticated unsubscribe link).
//!
//! The rule, for `http://` and `https://` URLs:
//! - scheme, host and port are shown; userinfo (`user:pass@`) is dropped;
//! - a path segment is shown when it is at most 8 characters long, or a lowercase word
//!   (`a-z`, `-`, `_`) of at most 24; any other segment (ids, tokens) becomes `***`;
//! - every query value becomes `***` (names are kept); a query item without `=` is a
//!   path-like segment; a fragment becomes `#***`.
//!
//! `https://user:pass@hooks.example.com/services/T0/B0/SECRETTOKEN?token=abc` is shown as
//! `https://hooks.example.com/services/T0/B0/***?token=***`.
//!
//! Only what is shown is redacted: the planner compares, and the applier sends, the full
//! values. Two endpoints that differ only in their secret parts look alike in output.

use std::borrow::Cow;

const MASK: &str = "***";

/// A subscription endpoint as it may be shown: URLs redacted, anything else (an email
/// address, an SQS or Lambda ARN) as it is.
pub fn endpoint(endpoint: &str) -> Cow<'_, str> {
    match url_scheme_len(endpoint) {
        Some(_) => Cow::Owned(url(endpoint)),
        None => Cow::Borrowed(endpoint),
    }
}

/// The length of `http://` or `https://` at the start of `text` (any case).
fn url_scheme_len(text: &str) -> Option<usize> {
    ["http://", "https://"].iter().find_map(|scheme| {
        text.get(..scheme.len())
            .filter(|start| start.eq_ignore_ascii_case(scheme))
            .map(|_| scheme.len())
    })
}

/// One URL, redacted by the rule above. `text` starts with its scheme.
fn url(text: &str) -> String {
    let Some(scheme_len) = url_scheme_len(text) else {
        return text.to_owned();
    };
    let (scheme, rest) = text.split_at(scheme_len);
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, rest) = rest.split_at(authority_end);
    // Userinfo ends at the last `@` of the authority (a password may hold an `@` only
    // percent-encoded, but be safe with raw ones too).
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let (before_fragment, fragment) = match rest.split_once('#') {
        Some((before, fragment)) => (before, Some(fragment)),
        None => (rest, None),
    };
    let (path, query) = match before_fragment.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (before_fragment, None),
    };
    let mut out = String::with_capacity(text.len());
    out.push_str(scheme);
    out.push_str(host);
    let segments: Vec<&str> = path
        .split('/')
        .map(|segment| if shown(segment) { segment } else { MASK })
        .collect();
    out.push_str(&segments.join("/"));
    if let Some(query) = query {
        out.push('?');
        let items: Vec<String> = query
            .split('&')
            .map(|item| match item.split_once('=') {
                Some((name, _)) if shown(name) => format!("{name}={MASK}"),
                Some(_) => format!("{MASK}={MASK}"),
                None if shown(item) => item.to_owned(),
                None => MASK.to_owned(),
            })
            .collect();
        out.push_str(&items.join("&"));
    }
    if fragment.is_some_and(|f| !f.is_empty()) {
        out.push('#');
        out.push_str(MASK);
    }
    out
}

/// Whether a path segment (or a query name) is plain enough to show.
fn shown(segment: &str) -> bool {
    segment == MASK
        || segment.len() <= 8
        || (segment.len() <= 24
            && segment
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '-' || c == '_'))
}

/// Every http(s) URL in a free text (an error message, a diagnostic), redacted. A URL
/// ends at whitespace, a quote, `<`, `>` or a backtick.
pub fn urls_in(text: &str) -> Cow<'_, str> {
    let lower = text.to_ascii_lowercase();
    if !lower.contains("http://") && !lower.contains("https://") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        // ASCII lowercasing keeps every byte offset, so positions in it are positions in `rest`.
        let lower = rest.to_ascii_lowercase();
        let next = [lower.find("http://"), lower.find("https://")]
            .into_iter()
            .flatten()
            .min();
        let Some(start) = next else {
            out.push_str(rest);
            break;
        };
        out.push_str(&rest[..start]);
        let candidate = &rest[start..];
        let end = candidate
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '`'))
            .unwrap_or(candidate.len());
        out.push_str(&url(&candidate[..end]));
        rest = &candidate[end..];
    }
    Cow::Owned(out)
}

/// A subscription ARN as it may be shown: `arn:aws:sns:REGION:ACCOUNT:TOPIC:***`. Other
/// values (`PendingConfirmation`, a topic ARN) are returned as they are.
pub fn subscription_arn(arn: &str) -> Cow<'_, str> {
    let parts: Vec<&str> = arn.splitn(7, ':').collect();
    match parts.as_slice() {
        ["arn", _, "sns", _, _, _, _] => Cow::Owned(format!("{}:{MASK}", parts[..6].join(":"))),
        _ => Cow::Borrowed(arn),
    }
}

/// `#[serde(serialize_with)]` for subscription endpoints.
pub fn serialize_endpoint<S: serde::Serializer>(
    value: &str,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&endpoint(value))
}

/// `#[serde(serialize_with)]` for subscription ARNs.
pub fn serialize_subscription_arn<S: serde::Serializer>(
    value: &str,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&subscription_arn(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_webhook_url_loses_its_userinfo_query_values_and_token_segments() {
        assert_eq!(
            endpoint(
                "https://user:pass@hooks.example.com/services/T0/B0/SECRETTOKEN?token=abc123&v=2"
            ),
            "https://hooks.example.com/services/T0/B0/***?token=***&v=***"
        );
    }

    #[test]
    fn real_webhook_shapes_keep_their_words_and_hide_their_ids() {
        assert_eq!(
            endpoint(
                "https://hooks.slack.com/services/T01ABCDEF/B02GHIJKL/abcdEFGHijklMNOPqrstUVWX"
            ),
            "https://hooks.slack.com/services/***/***/***"
        );
        assert_eq!(
            endpoint("https://discord.com/api/webhooks/123456789012345678/aBcD-eFgH_iJkL"),
            "https://discord.com/api/webhooks/***/***"
        );
        assert_eq!(
            endpoint(
                "https://events.pagerduty.com/integration/0123456789abcdef0123456789abcdef/enqueue"
            ),
            "https://events.pagerduty.com/integration/***/enqueue"
        );
        assert_eq!(
            endpoint("http://alerts.internal:8080/incoming-webhook/"),
            "http://alerts.internal:8080/incoming-webhook/"
        );
    }

    #[test]
    fn fragments_and_bare_query_tokens_are_hidden() {
        assert_eq!(
            endpoint("HTTPS://example.com/a?0123456789abcdef0123#secret"),
            "HTTPS://example.com/a?***#***"
        );
        assert_eq!(endpoint("https://example.com"), "https://example.com");
        assert_eq!(endpoint("https://a:b@example.com"), "https://example.com");
    }

    #[test]
    fn other_endpoints_are_shown_as_they_are() {
        assert_eq!(endpoint("ops@example.com"), "ops@example.com");
        assert_eq!(
            endpoint("arn:aws:sqs:us-east-1:123456789012:alerts"),
            "arn:aws:sqs:us-east-1:123456789012:alerts"
        );
    }

    #[test]
    fn redaction_is_idempotent() {
        let once =
            endpoint("https://u:p@h.example.com/services/T0/B0/SECRETTOKEN?token=x#f").into_owned();
        assert_eq!(endpoint(&once), once);
    }

    #[test]
    fn urls_inside_a_message_are_redacted_and_the_rest_kept() {
        assert_eq!(
            urls_in("could not subscribe https https://u:p@h.example.com/hooks/SECRETTOKEN?k=v to topic alerts: 'http://x.example.com/SECRETTOKEN2'"),
            "could not subscribe https https://h.example.com/hooks/***?k=*** to topic alerts: 'http://x.example.com/***'"
        );
        assert_eq!(urls_in("nothing to see"), "nothing to see");
        // Not a panic on multi-byte text around a URL.
        assert_eq!(
            urls_in("é https://h.example.com/ÄÖÜÄÖÜÄÖÜÄÖÜ é"),
            "é https://h.example.com/*** é"
        );
    }

    #[test]
    fn a_subscription_arn_keeps_its_topic_and_hides_its_id() {
        assert_eq!(
            subscription_arn(
                "arn:aws:sns:us-east-1:123456789012:alerts:0f1e2d3c-aaaa-bbbb-cccc-0123456789ab"
            ),
            "arn:aws:sns:us-east-1:123456789012:alerts:***"
        );
        assert_eq!(
            subscription_arn("PendingConfirmation"),
            "PendingConfirmation"
        );
        assert_eq!(
            subscription_arn("arn:aws:sns:us-east-1:123456789012:alerts"),
            "arn:aws:sns:us-east-1:123456789012:alerts"
        );
    }
}
