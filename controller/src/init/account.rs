//! What `mooring init` read from the account, and what its command line asked for: the
//! input of the pure half (`select.rs`, `build.rs`).

use std::collections::BTreeMap;

use crate::observed::alerting::{ObservedAlarm, ObservedTopic};
use crate::observed::{ObservedService, ServiceKey};

/// Everything init read from one region of the account.
#[derive(Debug, Clone, Default)]
pub struct Account {
    pub region: String,
    /// The account id, from the ARNs read.
    pub account: Option<String>,
    /// The ACTIVE services of the clusters asked for, scalable targets read.
    pub services: BTreeMap<ServiceKey, ObservedService>,
    /// Every alarm of the region; `tags` read for those `selected_alarms` names.
    pub alarms: BTreeMap<String, ObservedAlarm>,
    /// Every topic of the region: name → ARN.
    pub topic_arns: BTreeMap<String, String>,
    /// The `mooring:stack` tag of every topic of the region that has one.
    pub topic_stacks: BTreeMap<String, String>,
    /// The topics `wanted_topics` names, read in full (subscriptions included).
    pub topics: BTreeMap<String, ObservedTopic>,
}

/// What the command line asked for.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub stack: String,
    /// `--observe`: `management: observe` instead of `adopt: true`.
    pub observe: bool,
    pub alarm_prefix: Option<String>,
    /// `--topic`: topics written even when no alarm notifies them.
    pub topics: Vec<String>,
}
