//! Pass 2 of `spec.clusters`: the value, the cluster name, and (across files) that no two
//! stacks declare one cluster.

use std::collections::BTreeMap;
use std::path::Path;

use crate::clusters::{Cluster, ContainerInsights};
use crate::diagnostics::Collector;
use crate::raw::RawCluster;
use crate::report::{ParsedFile, Report};
use crate::span::{At, Loc, NamedMap};

/// ECS cluster names: up to 255 letters, digits, `-` and `_`.
fn is_cluster_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Checks every entry of `spec.clusters`; entries with a problem are left out (the
/// report has the error, so the stack is refused anyway).
pub(crate) fn check_clusters(
    report: &mut Report<'_>,
    raw: &NamedMap<RawCluster>,
) -> BTreeMap<String, Cluster> {
    let mut clusters = BTreeMap::new();
    for (name, cluster) in raw.iter() {
        let mut valid = true;
        if !is_cluster_name(&name.value) {
            valid = false;
            report.error(name.loc, format!(
                "invalid cluster name `{}`: expected an ECS cluster name (letters, digits, `-` and `_`, at most 255 characters)",
                name.value
            ));
        }
        let value = &cluster.container_insights;
        let insights = ContainerInsights::parse(value.value.trim());
        if insights.is_none() {
            report.error(value.loc, unknown_value(&name.value, &value.value));
        }
        if let (true, Some(container_insights)) = (valid, insights) {
            clusters.insert(
                name.value.clone(),
                Cluster {
                    container_insights,
                    management: cluster.management,
                },
            );
        }
    }
    clusters
}

/// The message names the three values always (a typo gets its likely fix first).
fn unknown_value(cluster: &str, found: &str) -> String {
    let names: Vec<&str> = ContainerInsights::ALL.iter().map(|v| v.as_str()).collect();
    let hint = match crate::parse::closest(found, names.iter().copied()) {
        Some(best) => format!(" (did you mean `{best}`?)"),
        None => String::new(),
    };
    format!(
        "unknown containerInsights value `{found}` for cluster `{cluster}`{hint}: expected `enabled`, `enhanced` or `disabled`"
    )
}

/// A cluster is one resource per region: two stacks declaring its setting would undo
/// each other every pass, so the second declaration is an error pointing at the first.
pub(crate) fn check_clusters_across_files(files: &[ParsedFile<'_>], collector: &mut Collector) {
    let mut first: BTreeMap<(String, String), (&Path, Loc)> = BTreeMap::new();
    for file in files {
        let mut report = Report::new(collector, file.order, file.path);
        let region = file
            .raw
            .spec
            .region
            .as_ref()
            .map(|r: &At<String>| r.value.clone())
            .unwrap_or_default();
        for (name, _) in file.raw.spec.clusters.iter() {
            let key = (region.clone(), name.value.clone());
            match first.get(&key) {
                Some((path, loc)) => report.error(name.loc, format!(
                    "duplicate cluster `{}`: already declared at {}:{}:{}; each cluster's settings are declared once, by one stack",
                    name.value,
                    path.display(),
                    loc.line,
                    loc.column
                )),
                None => {
                    first.insert(key, (file.path, name.loc));
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_value_names_the_three_allowed_ones() {
        let message = unknown_value("dev", "enable");
        assert_eq!(
            message,
            "unknown containerInsights value `enable` for cluster `dev` (did you mean `enabled`?): expected `enabled`, `enhanced` or `disabled`"
        );
        assert!(
            unknown_value("dev", "yes").ends_with("expected `enabled`, `enhanced` or `disabled`")
        );
    }

    #[test]
    fn cluster_names_follow_ecs() {
        assert!(is_cluster_name("portfolio-dev_1"));
        assert!(!is_cluster_name("a/b"));
        assert!(!is_cluster_name(""));
        assert!(!is_cluster_name(&"x".repeat(256)));
    }
}
