//! AWS's request quotas as token buckets by (service, operation family): the data file
//! `controller/aws-quotas.json`, built in, and an override file for accounts with raised
//! quotas (`MOORING_AWS_QUOTAS`, `--aws-quotas`) whose families replace the built-in ones
//! with the same service and family name.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The quotas mooring is built with (the same file the AWS model reads).
const BUILT_IN: &str = include_str!("../../aws-quotas.json");
const BUILT_IN_NAME: &str = "controller/aws-quotas.json (built in)";

#[derive(Debug, thiserror::Error)]
pub enum QuotasError {
    #[error("reading the AWS quotas file {path} failed")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the AWS quotas file {file} does not parse")]
    Parse {
        file: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("the AWS quotas file {file}: {problem}")]
    Invalid { file: String, problem: String },
}

/// One bucket of the file. Fields the pacing does not use (`published`, `note`) are
/// allowed and ignored: the model reads the same file.
#[derive(Debug, Clone, Deserialize)]
pub struct Family {
    /// SigV4 signing name: ecs, monitoring, sns, sts, application-autoscaling.
    pub service: String,
    pub family: String,
    /// Bucket size.
    pub burst: f64,
    /// Tokens a second.
    pub refill: f64,
    pub operations: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct QuotasFile {
    families: Vec<Family>,
}

/// The families in force, indexed by (service, operation).
#[derive(Debug, Clone)]
pub struct Quotas {
    families: Vec<Family>,
    by_operation: HashMap<(String, String), usize>,
}

impl Quotas {
    /// The built-in file, with `overrides` (a path) on top when given.
    pub fn load(overrides: Option<&Path>) -> Result<Self, QuotasError> {
        let mut families = parse(BUILT_IN, BUILT_IN_NAME)?;
        if let Some(path) = overrides {
            let text = std::fs::read_to_string(path).map_err(|source| QuotasError::Read {
                path: path.to_owned(),
                source,
            })?;
            let raised = parse(&text, &path.display().to_string())?;
            for family in raised {
                match families
                    .iter_mut()
                    .find(|f| f.service == family.service && f.family == family.family)
                {
                    Some(existing) => *existing = family,
                    None => families.push(family),
                }
            }
        }
        // An operation an override moved to another family leaves its old one: the
        // override, which comes later, wins.
        let mut by_operation = HashMap::new();
        for (index, family) in families.iter().enumerate() {
            for operation in &family.operations {
                by_operation.insert((family.service.clone(), operation.clone()), index);
            }
        }
        Ok(Self {
            families,
            by_operation,
        })
    }

    /// The family of `operation` of `service` (SigV4 name), if it is paced.
    pub fn family_of(&self, service: &str, operation: &str) -> Option<&Family> {
        self.by_operation
            .get(&(service.to_owned(), operation.to_owned()))
            .map(|&index| &self.families[index])
    }
}

/// Bounds on burst and refill: a token a quarter-hour at the slowest (no AWS quota is
/// slower), a million at the most (none is faster); beyond them a figure is a typo.
const MIN_FIGURE: f64 = 0.001;
const MAX_FIGURE: f64 = 1_000_000.0;

/// One file's families, checked: positive finite figures, at least one operation, no
/// family twice, no operation in two families of a service.
fn parse(text: &str, file: &str) -> Result<Vec<Family>, QuotasError> {
    let parsed: QuotasFile = serde_json::from_str(text).map_err(|source| QuotasError::Parse {
        file: file.to_owned(),
        source,
    })?;
    let invalid = |problem: String| QuotasError::Invalid {
        file: file.to_owned(),
        problem,
    };
    let mut problems = Vec::new();
    let mut seen_families = HashMap::new();
    let mut seen_operations: HashMap<(&str, &str), &str> = HashMap::new();
    for family in &parsed.families {
        let name = format!("{}/{}", family.service, family.family);
        for (field, value) in [("burst", family.burst), ("refill", family.refill)] {
            if !(value.is_finite() && value > 0.0) {
                problems.push(format!(
                    "{name}: {field} must be a positive number, found {value}"
                ));
            } else if !(MIN_FIGURE..=MAX_FIGURE).contains(&value) {
                problems.push(format!(
                    "{name}: {field} must be between {MIN_FIGURE} and {MAX_FIGURE}, found {value}"
                ));
            }
        }
        if family.operations.is_empty() {
            problems.push(format!("{name}: no operations"));
        }
        if seen_families.insert(name.clone(), ()).is_some() {
            problems.push(format!("{name} is listed twice"));
        }
        for operation in &family.operations {
            if let Some(other) =
                seen_operations.insert((&family.service, operation), &family.family)
            {
                problems.push(format!(
                    "{name}: {operation} is already in family {}/{other}",
                    family.service
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(parsed.families)
    } else {
        Err(invalid(problems.join("; ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> tempfile_path::TempPath {
        tempfile_path::TempPath::with(text)
    }

    /// A file removed when dropped, without a tempfile dependency.
    mod tempfile_path {
        use std::path::PathBuf;
        use std::sync::atomic::{AtomicU32, Ordering};

        pub struct TempPath(pub PathBuf);
        static NEXT: AtomicU32 = AtomicU32::new(0);

        impl TempPath {
            pub fn with(text: &str) -> Self {
                let path = std::env::temp_dir().join(format!(
                    "mooring-quotas-{}-{}.json",
                    std::process::id(),
                    NEXT.fetch_add(1, Ordering::Relaxed)
                ));
                std::fs::write(&path, text).unwrap();
                Self(path)
            }
        }

        impl Drop for TempPath {
            fn drop(&mut self) {
                let _ = std::fs::remove_file(&self.0);
            }
        }
    }

    #[test]
    fn the_built_in_file_parses_and_names_the_binding_ecs_buckets() {
        let quotas = Quotas::load(None).unwrap();
        let update = quotas.family_of("ecs", "UpdateService").unwrap();
        assert_eq!((update.burst, update.refill), (50.0, 5.0));
        let tag = quotas.family_of("ecs", "TagResource").unwrap();
        assert_eq!(tag.family, "tag-modify");
        // The same operation name in another service is another bucket.
        let cw_tag = quotas.family_of("monitoring", "TagResource").unwrap();
        assert_eq!(cw_tag.service, "monitoring");
        assert!(quotas.family_of("ecs", "Publish").is_none());
    }

    #[test]
    fn an_override_replaces_the_family_of_the_same_name_and_adds_new_ones() {
        let file = write(
            r#"{"families": [
                {"service": "ecs", "family": "service-modify", "burst": 2, "refill": 2,
                 "operations": ["UpdateService"]},
                {"service": "ecs", "family": "capacity", "burst": 7, "refill": 1,
                 "operations": ["PutClusterCapacityProviders"]}
            ]}"#,
        );
        let quotas = Quotas::load(Some(&file.0)).unwrap();
        let update = quotas.family_of("ecs", "UpdateService").unwrap();
        assert_eq!((update.burst, update.refill), (2.0, 2.0));
        // Moved out of service-modify's operations by the override.
        assert!(quotas.family_of("ecs", "CreateService").is_none());
        assert_eq!(
            quotas
                .family_of("ecs", "PutClusterCapacityProviders")
                .unwrap()
                .family,
            "capacity"
        );
        // Untouched families stay.
        assert_eq!(quotas.family_of("ecs", "TagResource").unwrap().burst, 20.0);
    }

    #[test]
    fn a_bad_override_is_refused_with_the_file_and_every_problem() {
        let file = write(
            r#"{"families": [
                {"service": "ecs", "family": "a", "burst": 0, "refill": -1, "operations": ["X"]},
                {"service": "ecs", "family": "b", "burst": 1, "refill": 1e-9, "operations": ["X"]},
                {"service": "ecs", "family": "b", "burst": 1, "refill": 1, "operations": []}
            ]}"#,
        );
        let error = Quotas::load(Some(&file.0)).unwrap_err().to_string();
        let name = file.0.display().to_string();
        assert_eq!(
            error,
            format!(
                "the AWS quotas file {name}: ecs/a: burst must be a positive number, found 0; \
                 ecs/a: refill must be a positive number, found -1; \
                 ecs/b: refill must be between 0.001 and 1000000, found 0.000000001; \
                 ecs/b: X is already in family ecs/a; ecs/b: no operations; ecs/b is listed twice"
            )
        );
    }

    #[test]
    fn an_override_that_is_not_the_schema_names_the_file_and_the_position() {
        let file = write(r#"{"families": [{"service": "ecs", "burst": 1}]}"#);
        let error = Quotas::load(Some(&file.0)).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!("the AWS quotas file {} does not parse", file.0.display())
        );
        let cause = std::error::Error::source(&error).unwrap().to_string();
        assert!(cause.starts_with("missing field `family`"), "{cause}");
        assert!(cause.contains("line 1"), "{cause}");

        let missing = Quotas::load(Some(Path::new("/nonexistent/quotas.json"))).unwrap_err();
        assert_eq!(
            missing.to_string(),
            "reading the AWS quotas file /nonexistent/quotas.json failed"
        );
    }
}
