//! Pass 2 of `spec.events`: defaults and values. The topic reference is checked across files
//! in `references`, like alarm `notify` targets (topic names are account-wide).

use std::collections::BTreeSet;

use crate::alarm_checks::duration_at;
use crate::model::{EventKind, Events, TopicRef};
use crate::raw::RawEvents;
use crate::report::Report;
use crate::span::At;

pub(crate) fn check_events(report: &mut Report<'_>, raw: &At<RawEvents>) -> Option<Events> {
    let errors_before = report.count();
    let events = &raw.value;
    let topic = events.topic.as_ref().map(|topic| {
        let text = topic.value.trim();
        if text.starts_with("arn:") {
            TopicRef::Arn(text.to_owned())
        } else {
            TopicRef::Name(text.to_owned())
        }
    });
    let types: BTreeSet<EventKind> = match &events.types {
        Some(types) => {
            if types.value.is_empty() {
                report.error(
                    types.loc,
                    "`events.types` is empty: list `Normal`, `Warning` or both (to send nothing to SNS, leave out `events.topic`)",
                );
            }
            types.value.iter().copied().collect()
        }
        None => BTreeSet::from([EventKind::Warning]),
    };
    let fold_window = match &events.fold_window {
        Some(window) => duration_at(report, window),
        None => Some(Events::DEFAULT_FOLD_WINDOW),
    };
    if let (Some(window), Some(at)) = (fold_window, &events.fold_window) {
        if window.as_secs() == 0 {
            report.error(
                at.loc,
                "`events.foldWindow` must be longer than 0s: a window of nothing folds nothing",
            );
        }
    }
    (report.count() == errors_before).then(|| Events {
        topic,
        types,
        fold_window: fold_window.unwrap_or(Events::DEFAULT_FOLD_WINDOW),
        metrics: events.metrics.unwrap_or(true),
    })
}
