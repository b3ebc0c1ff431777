//! Events: every decision mooring makes, as data. A planned change, an applied change,
//! a failed one, and everything noticed but not changed becomes an `Event`. The human
//! output of `plan` and `apply` is rendered from events, and the sinks (JSON lines on
//! stdout, SNS, CloudWatch metrics) publish the same events.

pub use self::event::{Event, EventType, FieldDiff, Phase, Reason};
pub use self::sinks::EventSinks;

mod event;
pub mod fold;
pub mod metrics;
pub mod sinks;
pub mod sns;
pub mod stdout;
