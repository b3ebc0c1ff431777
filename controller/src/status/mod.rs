//! The status of every resource a stack declares, as one document: served as JSON at
//! `/status` and as HTML at `/` by `mooring run`, printed by `mooring status`. The shape
//! is documented in docs/status.md; field names are stable (new fields may be added,
//! none renamed or removed without a new `version`).
//!
//! `document.rs` is the vocabulary (the JSON shape); `build.rs` decides each resource's
//! row from the desired state, the observation and the pass's events (pure); `sync.rs` is
//! the one rule from events to a sync state; `html.rs`, `timeline.rs` and `text.rs` only
//! present the document.

mod build;
mod document;
pub mod html;
mod sync;
pub mod text;
pub mod timeline;

pub use self::build::{stack_statuses, StatusInput};
pub use self::document::{
    AlarmDetail, ClusterDetail, DashboardDetail, Detail, LastPass, NextTransition, OffHoursStatus,
    Phase, PolicyDetail, Range, ResourceKind, ResourceStatus, ScheduledActionDetail, ServiceDetail,
    StackStatus, StatusDocument, SubscriptionDetail, TargetDetail, TopicDetail, RECENT_EVENTS,
    VERSION,
};
pub use self::sync::SyncState;
