//! Events: every decision mooring makes, as data. A planned change, an applied change,
//! a failed one, and everything noticed but not changed becomes an `Event`. The human
//! output of `plan` and `apply` is rendered from events, and the sinks (JSON lines on
//! stdout, SNS, CloudWatch metrics) publish the same events.

pub use self::event::{Event, EventType, FieldDiff, Phase, Reason};
pub use self::sinks::EventSinks;

mod event;
pub(crate) mod fold;
pub(crate) mod metrics;
pub(crate) mod sinks;
pub mod sns;
pub(crate) mod stdout;
