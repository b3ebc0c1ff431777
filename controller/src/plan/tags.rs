//! The tags mooring writes on AWS resources: its ownership and its bookkeeping. Everything
//! a later pass (or another process, or the Lambda) needs lives in these, never in memory.

/// On an ECS service: the stack that manages it (written by the first full pass, or the
/// first sleep), and with `mooring:autoscaling-hash` the owner of its scalable target; a
/// service tagged as a stack's that the stack no longer declares is released. On alarms
/// and topics: the stack that owns them (the only thing that allows a prune).
pub const STACK_TAG: &str = "mooring:stack";
/// On an ECS cluster, followed by a stack name (`mooring:stack:shop`): the stack manages
/// services in the cluster. It is how a pass finds a cluster the stack no longer names
/// (its last service there left the desired state) to release what is left in it. One
/// key per stack, so stacks sharing a cluster never overwrite each other; stack names
/// are DNS labels of at most 63 characters, so the key stays within ECS's 128.
pub const CLUSTER_STACK_TAG_PREFIX: &str = "mooring:stack:";
/// The value of a cluster's stack tag (only the key carries meaning).
pub const CLUSTER_STACK_TAG_VALUE: &str = "managed";

/// The key of `stack`'s tag on the clusters it manages services in.
pub fn cluster_stack_tag(stack: &str) -> String {
    format!("{CLUSTER_STACK_TAG_PREFIX}{stack}")
}
/// On an ECS cluster the stack declares settings for: the `containerInsights` value
/// mooring last set there (`container_insights.rs`). The cluster is not mooring's and
/// nothing else says what mooring did to it, so this tag is the only evidence that tells
/// a hand-made change (drift) from a new declaration, and it survives restarts and
/// serves the Lambda, which keeps nothing between invocations.
pub const CONTAINER_INSIGHTS_TAG: &str = "mooring:container-insights";
/// On an ECS service: hex SHA-256 of the autoscaling spec last applied in full.
pub const AUTOSCALING_HASH_TAG: &str = "mooring:autoscaling-hash";
/// On a topic: 16 hex digits of the digest of the topic spec last applied in full.
pub const TOPIC_DIGEST_TAG: &str = "mooring:digest";

/// On an ECS service: the count to restore on wake. Written before anything scales down.
pub const WAKE_COUNT_TAG: &str = "mooring:wake-count";
/// On an ECS service: the scalable target's `<min>-<max>` before sleep, written with the
/// wake count when the service has autoscaling: what a release unfreezes it to.
pub const WAKE_RANGE_TAG: &str = "mooring:wake-range";
/// On an ECS service: when its sleep started (RFC 3339, the wall clock of the pass); written
/// with the wake count, before the scale-down, so a sleep costs one tag write.
pub const ASLEEP_SINCE_TAG: &str = "mooring:asleep-since";
/// On an ECS service: how often something else woke it since it went to sleep.
pub const SLEEP_INTERRUPTIONS_TAG: &str = "mooring:sleep-interruptions";
/// On an ECS service: keep it awake until this RFC 3339 instant.
pub const AWAKE_UNTIL_TAG: &str = "mooring:awake-until";
/// On an ECS service: keep it asleep until this RFC 3339 instant.
pub const ASLEEP_UNTIL_TAG: &str = "mooring:asleep-until";
/// On an ECS service whose count mooring owns (no autoscaling): the `desiredCount` last
/// applied, so that a later pass tells a hand-made change (drift) from a new declaration.
pub const COUNT_TAG: &str = "mooring:count";
