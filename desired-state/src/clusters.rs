//! `spec.clusters`: settings of ECS clusters a stack keeps in place (today Container
//! Insights). mooring never creates or deletes a cluster and does not own one: declaring
//! a setting is the choice to have mooring set it. The checks are `cluster_checks.rs`;
//! this is a leaf, so that `model` can re-export it.

use crate::management::Management;

/// CloudWatch Container Insights on an ECS cluster, as ECS spells the setting's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ContainerInsights {
    /// Cluster- and service-level metrics.
    Enabled,
    /// Also task- and container-level metrics (ECS's "enhanced observability"; costs more).
    Enhanced,
    Disabled,
}

impl ContainerInsights {
    /// Every value, in the order the error message lists them.
    pub const ALL: [ContainerInsights; 3] = [Self::Enabled, Self::Enhanced, Self::Disabled];

    /// The setting's value as ECS takes and returns it (`settings[].value`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enabled => "enabled",
            Self::Enhanced => "enhanced",
            Self::Disabled => "disabled",
        }
    }

    /// The value ECS returned or a tag recorded; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|value| value.as_str() == text)
    }
}

impl std::fmt::Display for ContainerInsights {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One entry of `spec.clusters`; the map key in `Stack::clusters` is the cluster name.
#[derive(Clone, Debug, PartialEq)]
pub struct Cluster {
    pub container_insights: ContainerInsights,
    pub management: Management,
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_as_ecs_spells_them() {
        for value in ContainerInsights::ALL {
            assert_eq!(ContainerInsights::parse(value.as_str()), Some(value));
        }
        assert_eq!(ContainerInsights::parse("Enabled"), None);
    }
}
