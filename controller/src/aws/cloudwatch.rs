//! CloudWatch adapter. For now only what the metrics sink needs: PutMetricData.
//! (`aws-sdk-cloudwatch` is pinned to ~1.99: see the workspace Cargo.toml.)

use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, MetricDatum, StandardUnit};
use chrono::{DateTime as ChronoTime, Utc};

/// PutMetricData takes at most 1000 data points a request (and 1 MB); ours are small.
const PUT_BATCH: usize = 1000;

#[derive(Debug, thiserror::Error)]
pub enum CloudWatchError {
    #[error("putting {count} metric data point(s) in namespace {namespace} failed")]
    PutMetricData {
        namespace: String,
        count: usize,
        #[source]
        source: aws_sdk_cloudwatch::Error,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    Milliseconds,
}

/// One data point, in our own terms.
#[derive(Debug, Clone, PartialEq)]
pub struct Datum {
    pub metric: String,
    /// (name, value), in the order given.
    pub dimensions: Vec<(String, String)>,
    pub value: f64,
    pub unit: Unit,
    pub time: ChronoTime<Utc>,
}

pub async fn put_metric_data(
    client: &aws_sdk_cloudwatch::Client,
    namespace: &str,
    data: &[Datum],
) -> Result<(), CloudWatchError> {
    for batch in data.chunks(PUT_BATCH) {
        let data: Vec<MetricDatum> = batch.iter().map(sdk_datum).collect();
        client
            .put_metric_data()
            .namespace(namespace)
            .set_metric_data(Some(data))
            .send()
            .await
            .map_err(|e| CloudWatchError::PutMetricData {
                namespace: namespace.to_owned(),
                count: batch.len(),
                source: e.into(),
            })?;
    }
    Ok(())
}

fn sdk_datum(datum: &Datum) -> MetricDatum {
    let dimensions = datum
        .dimensions
        .iter()
        .map(|(name, value)| Dimension::builder().name(name).value(value).build())
        .collect();
    MetricDatum::builder()
        .metric_name(&datum.metric)
        .set_dimensions(Some(dimensions))
        .value(datum.value)
        .unit(match datum.unit {
            Unit::Count => StandardUnit::Count,
            Unit::Milliseconds => StandardUnit::Milliseconds,
        })
        .timestamp(DateTime::from_millis(datum.time.timestamp_millis()))
        .build()
}
