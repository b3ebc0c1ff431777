//! Lambda functions as alert targets: a topic subscription with `protocol: lambda` and an
//! alarm action (`notify`, `okNotify`, `insufficientDataNotify`) that is a function ARN.
//! mooring edits the function's resource policy so SNS or CloudWatch may invoke it, which
//! it can only do for a function in the stack's own region and account: one elsewhere is
//! refused here, with its position, before any AWS call.

use crate::model::Protocol;
use crate::raw::RawAccountId;
use crate::report::{ParsedFile, Report};
use crate::span::At;

/// A Lambda function ARN, `arn:<partition>:lambda:<region>:<account>:function:<name>`
/// with an optional `:<alias or version>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionArn {
    pub partition: String,
    pub region: String,
    pub account: String,
    pub name: String,
    pub qualifier: Option<String>,
}

impl FunctionArn {
    /// `None` unless `text` is a function ARN of that shape.
    pub fn parse(text: &str) -> Option<Self> {
        let parts: Vec<&str> = text.split(':').collect();
        let (partition, region, account, name, qualifier) = match parts.as_slice() {
            ["arn", partition, "lambda", region, account, "function", name] => {
                (partition, region, account, name, None)
            }
            ["arn", partition, "lambda", region, account, "function", name, qualifier] => {
                (partition, region, account, name, Some(*qualifier))
            }
            _ => return None,
        };
        let name_ok = (1..=64).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        let qualifier_ok = qualifier.is_none_or(|q| {
            q == "$LATEST"
                || (!q.is_empty()
                    && q.len() <= 128
                    && q.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        });
        let ok = partition.starts_with("aws")
            && !region.is_empty()
            && account.len() == 12
            && account.bytes().all(|b| b.is_ascii_digit())
            && name_ok
            && qualifier_ok;
        ok.then(|| FunctionArn {
            partition: (*partition).to_owned(),
            region: (*region).to_owned(),
            account: (*account).to_owned(),
            name: (*name).to_owned(),
            qualifier: qualifier.map(str::to_owned),
        })
    }
}

/// Whether an ARN names the Lambda service at all (`arn:<partition>:lambda:…`): such an
/// alarm action is this module's to check, not a malformed topic ARN.
pub(crate) fn is_lambda_service_arn(text: &str) -> bool {
    let mut parts = text.split(':');
    parts.next() == Some("arn") && parts.nth(1) == Some("lambda")
}

const EXPECTED: &str =
    "a Lambda function ARN such as `arn:aws:lambda:us-east-1:123456789012:function:notify` (optionally with `:ALIAS`)";

/// Checks every Lambda target of one file: the ARN's shape, and that it is in the stack's
/// region (when the stack names one) and account (when the stack declares one).
pub(crate) fn check_lambda_targets(report: &mut Report<'_>, file: &ParsedFile<'_>) {
    let spec = &file.raw.spec;
    let region = spec.region.as_ref().map(|r| r.value.as_str());
    let account = spec.account.as_ref().and_then(|a| match &a.value {
        RawAccountId::Text(text) => Some(text.as_str()),
        // A bare number is refused by the stack's own check; nothing to compare with.
        RawAccountId::Number(_) => None,
    });
    for (topic_name, topic) in spec.topics.iter() {
        for subscription in &topic.subscriptions {
            if subscription.value.protocol.value == Protocol::Lambda {
                let endpoint = &subscription.value.endpoint;
                // A malformed one is already reported by the subscription's own check.
                if let Some(arn) = FunctionArn::parse(endpoint.value.trim()) {
                    let what = format!("a lambda subscription of topic `{}`", topic_name.value);
                    check_place(report, endpoint, &arn, region, account, &what);
                }
            }
        }
    }
    let alarms = spec
        .services
        .iter()
        .flat_map(|s| s.value.alarms.iter())
        .chain(spec.alarms.iter());
    for (name, alarm) in alarms {
        for target in alarm
            .notify
            .iter()
            .chain(&alarm.ok_notify)
            .chain(&alarm.insufficient_data_notify)
        {
            let text = target.value.trim();
            if !is_lambda_service_arn(text) {
                continue;
            }
            match FunctionArn::parse(text) {
                Some(arn) => {
                    let what = format!("an action of alarm `{}`", name.value);
                    check_place(report, target, &arn, region, account, &what);
                }
                None => report.error(
                    target.loc,
                    format!(
                        "invalid Lambda function ARN `{text}` in alarm `{}`: expected {EXPECTED}",
                        name.value
                    ),
                ),
            }
        }
    }
}

fn check_place(
    report: &mut Report<'_>,
    at: &At<String>,
    arn: &FunctionArn,
    region: Option<&str>,
    account: Option<&str>,
    what: &str,
) {
    let text = at.value.trim();
    if let Some(region) = region.filter(|r| *r != arn.region) {
        report.error(at.loc, format!(
            "function `{text}` ({what}) is in region {} but the stack is in {region}: expected a Lambda function of the stack's region (mooring grants SNS and CloudWatch the right to invoke it there)",
            arn.region
        ));
    }
    if let Some(account) = account.filter(|a| *a != arn.account) {
        report.error(at.loc, format!(
            "function `{text}` ({what}) is in account {} but the stack is declared for account {account}: expected a Lambda function of the stack's account (mooring cannot edit another account's function policy)",
            arn.account
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_arns() {
        let arn = FunctionArn::parse("arn:aws:lambda:eu-west-1:123456789012:function:chat-notify")
            .expect("valid");
        assert_eq!(arn.region, "eu-west-1");
        assert_eq!(arn.name, "chat-notify");
        assert_eq!(arn.qualifier, None);
        let aliased = FunctionArn::parse("arn:aws:lambda:eu-west-1:123456789012:function:n:live")
            .expect("valid");
        assert_eq!(aliased.qualifier.as_deref(), Some("live"));
        assert!(
            FunctionArn::parse("arn:aws:lambda:eu-west-1:123456789012:function:n:$LATEST")
                .is_some()
        );
        assert!(FunctionArn::parse("arn:aws:lambda:eu-west-1:123456789012:layer:n").is_none());
        assert!(FunctionArn::parse("arn:aws:lambda:eu-west-1:1234:function:n").is_none());
        assert!(FunctionArn::parse("arn:aws:sns:eu-west-1:123456789012:function:n").is_none());
        assert!(FunctionArn::parse("arn:aws:lambda:eu-west-1:123456789012:function:a b").is_none());
        assert!(is_lambda_service_arn("arn:aws:lambda:x"));
        assert!(!is_lambda_service_arn("arn:aws:sns:x"));
    }
}
