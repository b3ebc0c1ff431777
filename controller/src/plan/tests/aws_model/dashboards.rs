//! CloudWatch dashboards on the model: PutDashboard stores the body (the account filled
//! in, as the applier does from STS), DeleteDashboards removes it, and the observer reads
//! what `observe/dashboards.rs` reads (by first-segment prefix, paused ones left out).

use std::collections::BTreeSet;

use desired_state::{Management, Stack};

use super::{Account, ACCOUNT};
use crate::observe::alerting::first_segment;
use crate::observed::dashboards::{Dashboards, ObservedDashboard};
use crate::plan::{DashboardOperation, Resource, ACCOUNT_PLACEHOLDER};

pub fn apply_dashboard(account: &mut Account, resource: &Resource, op: &DashboardOperation) {
    let Resource::Dashboard { name, .. } = resource else {
        panic!("a dashboard operation on {resource}");
    };
    match op {
        DashboardOperation::PutDashboard { body } => {
            let body = body.replace(&format!(":{ACCOUNT_PLACEHOLDER}:"), &format!(":{ACCOUNT}:"));
            let parsed = serde_json::from_str(&body).unwrap_or_else(|e| {
                panic!("PutDashboard {name} with a body that is not JSON: {e}")
            });
            account.dashboards.insert(name.clone(), parsed);
        }
        DashboardOperation::DeleteDashboard => {
            if account.dashboards.remove(name).is_none() {
                panic!("DeleteDashboards of {name}, which does not exist");
            }
        }
    }
}

pub fn observe_dashboards(account: &Account, stack: &Stack) -> Option<Dashboards> {
    let declares = stack
        .dashboards
        .values()
        .any(|d| d.management != Management::Paused);
    if !(declares || stack.dashboards.is_empty() && stack.prune.allow_empty) {
        return None;
    }
    let prefixes: BTreeSet<&str> = stack.dashboards.keys().map(|n| first_segment(n)).collect();
    let found = account
        .dashboards
        .iter()
        .filter(|(name, _)| prefixes.is_empty() || prefixes.iter().any(|p| name.starts_with(p)))
        .filter(|(name, _)| {
            stack
                .dashboards
                .get(name.as_str())
                .is_none_or(|d| d.management != Management::Paused)
        })
        .map(|(name, body)| {
            let arn = format!("arn:aws:cloudwatch::{ACCOUNT}:dashboard/{name}");
            (
                name.clone(),
                ObservedDashboard {
                    arn,
                    body: body.clone(),
                },
            )
        })
        .collect();
    Some(Dashboards { found })
}
