//! Client-side pacing to AWS's per-account token buckets (issue 16): every HTTP attempt
//! an SDK client sends takes a token from the bucket of its (region, service, operation
//! family) first, so that mooring waits for tokens instead of collecting
//! ThrottlingExceptions, and takes only its share of each bucket (the deploy pipeline,
//! Terraform and the console draw from the same ones).
//!
//! bucket.rs is the token bucket, quotas.rs the data file and its overrides, sdk.rs the
//! two SDK hooks: an interceptor that names the bucket of a request and an HTTP client
//! wrapper that waits for it (the SDK's interceptors cannot wait; a connector can).

pub mod args;
pub(crate) mod bucket;
pub mod quotas;
pub(crate) mod sdk;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use self::bucket::TokenBucket;
use self::quotas::{Quotas, QuotasError};

/// The share of each bucket mooring takes when nobody says otherwise: a fifth is left for
/// everyone else in the account (a deploy pipeline's UpdateService, Terraform's reads).
pub const DEFAULT_SHARE: f64 = 0.8;

#[derive(Debug, thiserror::Error)]
pub enum PacingError {
    #[error(transparent)]
    Quotas(#[from] QuotasError),
    #[error("{0}")]
    Share(#[from] ShareError),
}

/// The fraction of every bucket (burst and refill) mooring uses: a number in (0, 1].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Share(f64);

#[derive(Debug, thiserror::Error)]
#[error("the AWS share (MOORING_AWS_SHARE, --aws-share) must be a number greater than 0 and at most 1, found `{0}`")]
pub struct ShareError(String);

impl Share {
    pub fn get(self) -> f64 {
        self.0
    }
}

impl Default for Share {
    fn default() -> Self {
        Self(DEFAULT_SHARE)
    }
}

impl FromStr for Share {
    type Err = ShareError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().parse::<f64>() {
            Ok(share) if share > 0.0 && share <= 1.0 => Ok(Self(share)),
            _ => Err(ShareError(text.to_owned())),
        }
    }
}

/// How a process paces itself: the CLI flags, or the environment in the Lambdas.
#[derive(Debug, Clone, Default)]
pub struct PacingSettings {
    /// `MOORING_AWS_PACING=off`: no client-side pacing at all (the behaviour before it,
    /// for the benchmark's before/after and tests that want it).
    pub off: bool,
    pub share: Share,
    /// Raised quotas: families that replace the built-in ones.
    pub quotas: Option<PathBuf>,
}

impl PacingSettings {
    /// `MOORING_AWS_PACING`, `MOORING_AWS_SHARE`, `MOORING_AWS_QUOTAS`.
    pub fn from_environment() -> Result<Self, ShareError> {
        let share = match std::env::var("MOORING_AWS_SHARE") {
            Ok(text) if !text.is_empty() => text.parse()?,
            _ => Share::default(),
        };
        Ok(Self {
            off: pacing_off(),
            share,
            quotas: std::env::var_os("MOORING_AWS_QUOTAS")
                .filter(|path| !path.is_empty())
                .map(PathBuf::from),
        })
    }

    /// The pacer these settings describe; `None` when pacing is off.
    pub fn pacer(&self) -> Result<Option<Arc<Pacer>>, PacingError> {
        if self.off {
            return Ok(None);
        }
        let quotas = Quotas::load(self.quotas.as_deref())?;
        Ok(Some(Arc::new(Pacer::new(quotas, self.share))))
    }
}

/// `MOORING_AWS_PACING=off` (also `0`, `false`, `no`).
pub fn pacing_off() -> bool {
    std::env::var("MOORING_AWS_PACING").is_ok_and(|value| {
        ["off", "0", "false", "no"].contains(&value.trim().to_ascii_lowercase().as_str())
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct BucketKey {
    region: String,
    service: String,
    family: String,
}

/// One bucket per (region, service, family), created on first use. One per process:
/// every client of the process shares it, and `mooring run` keeps it across passes.
#[derive(Debug)]
pub struct Pacer {
    quotas: Quotas,
    share: Share,
    buckets: Mutex<HashMap<BucketKey, Arc<TokenBucket>>>,
}

/// Time spent waiting for tokens, by (service, family), summed over regions.
pub type Waits = BTreeMap<(String, String), Duration>;

impl Pacer {
    pub fn new(quotas: Quotas, share: Share) -> Self {
        Self {
            quotas,
            share,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// The bucket `operation` of `service` (SigV4 name) draws from in `region`, with the
    /// family's name; `None` for operations the quotas file does not list (not paced).
    pub fn bucket(
        &self,
        region: &str,
        service: &str,
        operation: &str,
    ) -> Option<(Arc<TokenBucket>, String)> {
        let family = self.quotas.family_of(service, operation)?;
        let key = BucketKey {
            region: region.to_owned(),
            service: service.to_owned(),
            family: family.family.clone(),
        };
        let mut buckets = match self.buckets.lock() {
            Ok(buckets) => buckets,
            // Inserting into a map leaves nothing half-done that matters here.
            Err(poisoned) => poisoned.into_inner(),
        };
        let share = self.share.get();
        let bucket = buckets
            .entry(key)
            .or_insert_with(|| {
                Arc::new(TokenBucket::new(
                    share * family.burst,
                    share * family.refill,
                ))
            })
            .clone();
        Some((bucket, format!("{service}/{}", family.family)))
    }

    /// Time waited for tokens so far, by (service, family).
    pub fn waits(&self) -> Waits {
        let buckets = match self.buckets.lock() {
            Ok(buckets) => buckets,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut waits = Waits::new();
        for (key, bucket) in buckets.iter() {
            *waits
                .entry((key.service.clone(), key.family.clone()))
                .or_default() += bucket.waited();
        }
        waits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_share_is_a_number_in_zero_to_one() {
        assert_eq!("0.5".parse::<Share>().unwrap().get(), 0.5);
        assert_eq!("1".parse::<Share>().unwrap().get(), 1.0);
        for bad in ["0", "1.5", "-0.1", "NaN", "half", ""] {
            let error = bad.parse::<Share>().unwrap_err().to_string();
            assert_eq!(
                error,
                format!("the AWS share (MOORING_AWS_SHARE, --aws-share) must be a number greater than 0 and at most 1, found `{bad}`")
            );
        }
        assert_eq!(Share::default().get(), 0.8);
    }

    #[tokio::test(start_paused = true)]
    async fn buckets_are_per_region_and_family_and_take_the_share() {
        let pacer = Pacer::new(Quotas::load(None).unwrap(), "0.5".parse().unwrap());
        let (update, name) = pacer.bucket("eu-west-1", "ecs", "UpdateService").unwrap();
        assert_eq!(name, "ecs/service-modify");
        let (create, _) = pacer.bucket("eu-west-1", "ecs", "CreateService").unwrap();
        assert!(Arc::ptr_eq(&update, &create), "one family, one bucket");
        let (other_region, _) = pacer.bucket("us-east-1", "ecs", "UpdateService").unwrap();
        assert!(!Arc::ptr_eq(&update, &other_region));
        assert!(pacer.bucket("eu-west-1", "ecs", "Publish").is_none());

        // Half of (burst 50, refill 5): 25 at once, then one every 0.4 s.
        for _ in 0..25 {
            assert_eq!(update.acquire().await, Duration::ZERO);
        }
        assert_eq!(update.acquire().await, Duration::from_millis(400));
        assert_eq!(
            pacer.waits()[&("ecs".to_owned(), "service-modify".to_owned())],
            Duration::from_millis(400)
        );
    }
}
