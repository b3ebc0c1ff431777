//! How far mooring may act on one resource: services, topics and alarms all say it. A leaf,
//! so that `alarm` can use it while `model` re-exports the alarm types.

use schemars::JsonSchema;
use serde::Deserialize;

/// How far mooring may act on a resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Management {
    /// Create, correct drift, prune.
    #[default]
    Full,
    /// Report drift as events; change nothing.
    Observe,
    /// Skip the resource entirely.
    Paused,
}
