//! The account guard: a stack that names `spec.account` is read, planned and changed only
//! after STS GetCallerIdentity said the credentials reach that very account. A stack
//! declared for another account is refused whole (`AccountMismatch`), and so is one whose
//! account could not be verified (`AccountUnverified`: the guard fails closed). Either is
//! a failure of the pass: `plan` and `apply` exit 1, the Lambdas count it in `failed`.
//!
//! The caller's account is asked once per process and region (`Clients::caller_account`),
//! before the first read of the pass, so a refused stack costs one STS call and nothing
//! else. Stacks without `spec.account` are not checked (no STS call at all).

use std::borrow::Cow;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use desired_state::DesiredState;

use crate::aws::Clients;
use crate::events::{Event, EventType, Phase, Reason};

/// What the guard decided for one stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// No account declared, or the declared one is the caller's.
    Allowed,
    Mismatch {
        wanted: String,
        found: String,
    },
    /// STS could not say (unreachable, refused the credentials, no region).
    Unverified {
        wanted: String,
        error: String,
    },
}

/// The decision, pure: `caller` is what STS answered for the stack's region, `None` when
/// the stack declares no account and STS was not asked.
pub fn decide(wanted: Option<&str>, caller: Option<Result<&str, &str>>) -> Verdict {
    let Some(wanted) = wanted else {
        return Verdict::Allowed;
    };
    match caller {
        Some(Ok(found)) if found == wanted => Verdict::Allowed,
        Some(Ok(found)) => Verdict::Mismatch {
            wanted: wanted.to_owned(),
            found: found.to_owned(),
        },
        Some(Err(error)) => Verdict::Unverified {
            wanted: wanted.to_owned(),
            error: error.to_owned(),
        },
        None => Verdict::Unverified {
            wanted: wanted.to_owned(),
            error: "the caller's account was not asked".to_owned(),
        },
    }
}

/// The refusal event of a stack, `None` when it is allowed. A Warning in phase `failed`:
/// the pass did not do what the desired state asks, and its exit code says so.
pub fn refusal(
    stack: &str,
    verdict: &Verdict,
    time: DateTime<Utc>,
    revision: Option<&str>,
) -> Option<Event> {
    let (reason, message) = match verdict {
        Verdict::Allowed => return None,
        Verdict::Mismatch { wanted, found } => (
            Reason::AccountMismatch,
            format!(
                "stack {stack} is declared for account {wanted} (spec.account) but the credentials reach account {found} (STS GetCallerIdentity); nothing in this stack was read or changed"
            ),
        ),
        Verdict::Unverified { wanted, error } => (
            Reason::AccountUnverified,
            format!(
                "could not verify that the credentials reach account {wanted} (spec.account) of stack {stack}: {error}; nothing in this stack was read or changed"
            ),
        ),
    };
    Some(Event::for_stack(
        stack,
        (EventType::Warning, reason),
        Phase::Failed,
        message,
        time,
        revision.map(str::to_owned),
    ))
}

/// Checks every stack that names an account, one STS call per region and process. Returns
/// the desired state of the stacks allowed (borrowed when all are) and the refusals.
pub async fn guard<'a>(
    desired: &'a DesiredState,
    clients: &Clients,
    time: DateTime<Utc>,
    revision: Option<&str>,
) -> (Cow<'a, DesiredState>, Vec<Event>) {
    let mut answers: BTreeMap<String, Result<String, String>> = BTreeMap::new();
    let mut refused = Vec::new();
    for stack in &desired.stacks {
        let Some(wanted) = stack.account.as_deref() else {
            continue;
        };
        let caller = match clients.resolve_region(stack.region.as_deref()) {
            Ok(region) => {
                if !answers.contains_key(&region) {
                    let answer = clients
                        .caller_account(&region)
                        .await
                        .map_err(|e| e.to_string());
                    answers.insert(region.clone(), answer);
                }
                answers.get(&region).cloned()
            }
            Err(no_region) => Some(Err(no_region.to_string())),
        };
        let verdict = decide(
            Some(wanted),
            caller
                .as_ref()
                .map(|c| c.as_deref().map_err(String::as_str)),
        );
        if let Some(event) = refusal(&stack.name, &verdict, time, revision) {
            tracing::warn!(stack = %stack.name, reason = %event.reason, why = %event.message, "stack refused by the account guard");
            refused.push(event);
        }
    }
    if refused.is_empty() {
        return (Cow::Borrowed(desired), refused);
    }
    let allowed = desired
        .stacks
        .iter()
        .filter(|stack| !refused.iter().any(|e| e.stack == stack.name))
        .cloned()
        .collect();
    let guarded = DesiredState {
        stacks: allowed,
        warnings: desired.warnings.clone(),
    };
    (Cow::Owned(guarded), refused)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn a_stack_without_an_account_is_allowed_without_asking() {
        assert_eq!(decide(None, None), Verdict::Allowed);
        assert_eq!(decide(None, Some(Ok("999999999999"))), Verdict::Allowed);
    }

    #[test]
    fn the_declared_account_is_allowed() {
        assert_eq!(
            decide(Some("123456789012"), Some(Ok("123456789012"))),
            Verdict::Allowed
        );
    }

    #[test]
    fn another_account_is_refused_naming_both() {
        let verdict = decide(Some("123456789012"), Some(Ok("999999999999")));
        assert_eq!(
            verdict,
            Verdict::Mismatch {
                wanted: "123456789012".into(),
                found: "999999999999".into()
            }
        );
        let time = Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap();
        let event = refusal("shop", &verdict, time, Some("abc")).unwrap();
        assert_eq!(event.reason, Reason::AccountMismatch);
        assert_eq!(event.kind, EventType::Warning);
        assert_eq!(event.phase, Phase::Failed);
        assert_eq!(event.object, "stack shop");
        assert!(event.message.contains("123456789012"), "{}", event.message);
        assert!(event.message.contains("999999999999"), "{}", event.message);
        assert!(event.is_refusal());
    }

    #[test]
    fn an_unanswered_question_fails_closed() {
        let verdict = decide(
            Some("123456789012"),
            Some(Err(
                "STS GetCallerIdentity failed in us-east-1: connection refused",
            )),
        );
        assert!(matches!(verdict, Verdict::Unverified { .. }));
        assert!(matches!(
            decide(Some("123456789012"), None),
            Verdict::Unverified { .. }
        ));
        let time = Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap();
        let event = refusal("shop", &verdict, time, None).unwrap();
        assert_eq!(event.reason, Reason::AccountUnverified);
        assert_eq!(event.phase, Phase::Failed);
        assert!(
            event.message.contains("connection refused"),
            "{}",
            event.message
        );
    }

    #[test]
    fn an_allowed_stack_has_no_refusal() {
        let time = Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap();
        assert_eq!(refusal("shop", &Verdict::Allowed, time, None), None);
    }
}
