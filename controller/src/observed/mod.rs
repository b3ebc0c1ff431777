//! What mooring saw in the account: plain types filled by the adapters in `aws/`,
//! read by the pure planner. SDK types never cross this line.

pub mod alerting;
pub mod autoscaling;
pub mod clusters;
pub mod dashboards;
pub mod lambda;

use std::collections::BTreeMap;

pub use self::autoscaling::TargetObservation;

/// One observation of every stack in the desired state, taken at the start of a pass.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Observed {
    /// Keyed by stack name.
    pub stacks: BTreeMap<String, ObservedStack>,
}

/// What one stack's resources look like in its region.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ObservedStack {
    /// The region the stack was observed in (its `spec.region`, else the SDK default).
    pub region: String,
    /// The account the observed resources belong to, read from their ARNs.
    /// `None` when nothing was found to read it from.
    pub account: Option<String>,
    /// Keyed by (cluster, service name) as declared.
    pub services: BTreeMap<ServiceKey, ServiceState>,
    /// The stack's CloudWatch alarms and SNS topics; `None` when they were not read.
    pub alerting: Option<alerting::Alerting>,
    /// The stack's CloudWatch dashboards; `None` when they were not read.
    pub dashboards: Option<dashboards::Dashboards>,
    /// Which reads this observation made; the planner plans nothing for what was left out.
    pub scope: ObserveScope,
    /// Services of the stack's clusters that the stack does not declare and that carry a
    /// `mooring:` tag: those tagged as this stack's are released, those of a stack no
    /// loaded file declares are reported. Their scalable targets are read only for the
    /// ones tagged as this stack's (`Unknown` otherwise). Empty when not listed
    /// (`listed` is `None`).
    pub undeclared: BTreeMap<ServiceKey, ObservedService>,
    /// The names of every service of each cluster the stack names, as ListServices gave
    /// them; `None` when the clusters were not listed (a schedule-only pass) or a listing
    /// failed (then nothing is released: never act on what was not seen).
    pub listed: Option<BTreeMap<String, Vec<String>>>,
    /// The clusters of the region that carry this stack's cluster tag
    /// (`mooring:stack:<stack>`), name → ARN; `None` when the clusters were not read (a
    /// schedule-only pass, or the read failed). Read by full passes only.
    pub tagged_clusters: Option<BTreeMap<String, String>>,
    /// The clusters the stack declares settings for (`spec.clusters`), by name, read with
    /// their settings and tags (`observe/container_insights.rs`). A cluster not read
    /// (paused, a schedule-only pass, a failed read) is absent: nothing is planned for it.
    pub clusters: BTreeMap<String, clusters::ClusterState>,
    /// The resource policies of the Lambda functions the stack's alert targets name (and
    /// those its topics and alarms still name in the account), by function ARN as
    /// written. A function whose read failed is absent: nothing is planned for it.
    pub lambda_policies: BTreeMap<String, lambda::FunctionPolicy>,
}

/// How much of a stack a pass reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ObserveScope {
    /// Everything the desired state names: a full pass (`mooring apply`, `mooring run`).
    #[default]
    Everything,
    /// Only what sleep and wake change: ECS services (count, tags) and their scalable
    /// targets' own settings (min, max, suspended state). No scaling policies, scheduled
    /// actions, alarms or topics are read: sleep suspends scaling on the target itself, and
    /// the rest is never a schedule's business. The `offhours` Lambda and
    /// `--schedule-only` passes.
    ScheduleOnly,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServiceKey {
    pub cluster: String,
    pub name: String,
}

impl ServiceKey {
    pub fn new(cluster: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            cluster: cluster.into(),
            name: name.into(),
        }
    }
}

impl std::fmt::Display for ServiceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.cluster, self.name)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ServiceState {
    Found(ObservedService),
    /// The service does not exist (or is INACTIVE, i.e. deleted). `why` is what ECS said.
    Missing {
        why: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct ObservedService {
    pub arn: String,
    pub desired_count: u32,
    pub running_count: u32,
    pub pending_count: u32,
    /// ACTIVE or DRAINING (INACTIVE services are reported as missing).
    pub status: String,
    /// The service's tags (read by the same DescribeServices call). `mooring:stack` says
    /// which stack owns the service's scalable target; see docs/architecture.md.
    pub tags: BTreeMap<String, String>,
    /// The service's Application Auto Scaling target, read in a second batched call.
    pub scalable_target: TargetObservation,
}

/// The account id inside an ARN (`arn:partition:service:region:account:resource`).
pub fn account_of_arn(arn: &str) -> Option<&str> {
    let account = arn.split(':').nth(4)?;
    (!account.is_empty()).then_some(account)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_is_read_from_an_arn() {
        assert_eq!(
            account_of_arn("arn:aws:ecs:us-east-1:123456789012:service/c/s"),
            Some("123456789012")
        );
        assert_eq!(account_of_arn("arn:aws:s3:::bucket"), None);
        assert_eq!(account_of_arn("not-an-arn"), None);
    }
}
