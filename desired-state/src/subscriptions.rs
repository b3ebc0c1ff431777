//! Subscriptions of SNS topics: plausible endpoints per protocol, and https only unless
//! plain http is allowed on purpose (issue 9: alert payloads name resources and carry
//! diffs; sent over plain http they can be read and forged on the way).

use crate::model::{Protocol, Subscription};
use crate::raw::RawSubscription;
use crate::report::{is_arn, Report};
use crate::span::At;

/// The field that allows a plain `http` subscription, as written in the file.
pub(crate) const ALLOW_INSECURE_HTTP: &str = "allowInsecureHttp";

/// Checks a topic's subscriptions; every problem goes to `report`, with its position.
pub(crate) fn check_subscriptions(
    report: &mut Report<'_>,
    raw: &[At<RawSubscription>],
) -> Vec<Subscription> {
    let mut subscriptions = Vec::new();
    for subscription in raw {
        let protocol = subscription.value.protocol.value;
        let endpoint = &subscription.value.endpoint;
        if let Err(expected) = check_endpoint(protocol, endpoint.value.trim()) {
            report.error(
                endpoint.loc,
                format!(
                    "invalid {} endpoint `{}`: expected {expected}",
                    protocol.as_str(),
                    endpoint.value
                ),
            );
        }
        check_transport(report, &subscription.value);
        let raw_delivery = subscription.value.raw_message_delivery;
        if raw_delivery && !matches!(protocol, Protocol::Sqs | Protocol::Http | Protocol::Https) {
            report.error(
                subscription.loc,
                format!(
                    "`rawMessageDelivery` applies to sqs, http and https subscriptions, not {}: remove it here",
                    protocol.as_str()
                ),
            );
        }
        if let Some(policy) = &subscription.value.filter_policy {
            if !policy.is_object() {
                report.error(
                    subscription.loc,
                    "`filterPolicy` must be a mapping of attribute names to conditions",
                );
            }
        }
        subscriptions.push(Subscription {
            protocol,
            endpoint: endpoint.value.trim().to_owned(),
            filter_policy: subscription.value.filter_policy.clone(),
            raw_message_delivery: raw_delivery,
        });
    }
    subscriptions
}

/// Plain `http` only with `allowInsecureHttp: true`; the flag means nothing elsewhere, so
/// it is refused there rather than silently ignored.
fn check_transport(report: &mut Report<'_>, subscription: &RawSubscription) {
    let protocol = &subscription.protocol;
    match (protocol.value, &subscription.allow_insecure_http) {
        (Protocol::Http, Some(At { value: true, .. })) => {}
        (Protocol::Http, _) => report.error(
            protocol.loc,
            format!(
                "plain `http` subscription to `{}`: expected `protocol: https` (notifications would travel unencrypted); to accept that, set `{ALLOW_INSECURE_HTTP}: true` on this subscription",
                subscription.endpoint.value.trim()
            ),
        ),
        (other, Some(flag)) => report.error(
            flag.loc,
            format!(
                "`{ALLOW_INSECURE_HTTP}` applies to `http` subscriptions only, not {}: expected it only next to `protocol: http`",
                other.as_str()
            ),
        ),
        (_, None) => {}
    }
}

/// Whether an endpoint is plausible for its protocol; the error says what was expected.
pub(crate) fn check_endpoint(protocol: Protocol, endpoint: &str) -> Result<(), &'static str> {
    let ok = match protocol {
        Protocol::Email | Protocol::EmailJson => {
            endpoint.split_once('@').is_some_and(|(user, domain)| {
                !user.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !endpoint.contains(char::is_whitespace)
            })
        }
        Protocol::Http => endpoint.len() > "http://".len() && endpoint.starts_with("http://"),
        Protocol::Https => endpoint.len() > "https://".len() && endpoint.starts_with("https://"),
        Protocol::Sqs => is_arn(endpoint, "sqs"),
        Protocol::Lambda => crate::lambda_targets::FunctionArn::parse(endpoint).is_some(),
        Protocol::Sms => endpoint.strip_prefix('+').is_some_and(|digits| {
            (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
        }),
    };
    if ok {
        return Ok(());
    }
    Err(match protocol {
        Protocol::Email | Protocol::EmailJson => "an email address such as `ops@example.com`",
        Protocol::Http => "a URL starting with `http://`",
        Protocol::Https => "a URL starting with `https://`",
        Protocol::Sqs => "an SQS queue ARN such as `arn:aws:sqs:us-east-1:123456789012:alerts`",
        Protocol::Lambda => {
            "a Lambda function ARN such as `arn:aws:lambda:us-east-1:123456789012:function:notify`"
        }
        Protocol::Sms => "a phone number in E.164 form such as `+14155550100`",
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        assert!(check_endpoint(Protocol::Email, "ops@example.com").is_ok());
        assert!(check_endpoint(Protocol::Email, "ops.example.com").is_err());
        assert!(check_endpoint(Protocol::Https, "http://x").is_err());
        assert!(check_endpoint(Protocol::Sqs, "arn:aws:sqs:us-east-1:123456789012:q").is_ok());
        assert!(check_endpoint(Protocol::Lambda, "arn:aws:sqs:us-east-1:123456789012:q").is_err());
        assert!(check_endpoint(Protocol::Sms, "+14155550100").is_ok());
    }
}
