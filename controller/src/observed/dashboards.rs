//! The CloudWatch dashboards seen for one stack: plain values, the body as parsed JSON.

use std::collections::BTreeMap;

/// The dashboards read for a stack: the declared ones found, and the undeclared ones under
/// the stack's name prefixes (prune candidates, if they carry its marker).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dashboards {
    /// By dashboard name.
    pub found: BTreeMap<String, ObservedDashboard>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ObservedDashboard {
    /// `arn:<partition>:cloudwatch::<account>:dashboard/<name>` (dashboards are global).
    pub arn: String,
    /// The body as GetDashboard returned it, parsed; `Value::Null` when it is not JSON
    /// (then it differs from anything declared and carries no marker).
    pub body: serde_json::Value,
}
