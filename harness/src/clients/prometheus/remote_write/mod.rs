//! Remote write: samples pushed into Prometheus (`POST /api/v1/write`) rather than scraped,
//! as the receiver takes them that Prometheus 2.25 to 2.42 turn on with
//! `--enable-feature=remote-write-receiver` (2.33 on also with
//! `--web.enable-remote-write-receiver`).
//!
//! The body is a protobuf `prometheus.WriteRequest` (Prometheus's `prompb/remote.proto` and
//! `prompb/types.proto`, written out below as derived structs), compressed with snappy's
//! block format, not its framed stream.
//!
//! Nothing outside the tests calls this yet: `firedrill test` will, replaying promtool test
//! series (hence the `dead_code` allowance outside tests).

use std::collections::BTreeMap;

use super::PrometheusClient;
use crate::clients::error::ClientError;

/// The bit pattern of Prometheus's staleness marker: a NaN no arithmetic produces, which
/// ends a series (`value.StaleNaN` in Prometheus). A query at or after it sees no value.
pub(crate) const STALE_NAN_BITS: u64 = 0x7ff0_0000_0000_0002;

/// Prometheus's staleness marker as a sample value (see [`STALE_NAN_BITS`]).
pub(crate) fn stale_marker() -> f64 {
    f64::from_bits(STALE_NAN_BITS)
}

/// Whether `value` is the staleness marker, not just any NaN.
#[cfg(test)]
pub(crate) fn is_stale_marker(value: f64) -> bool {
    value.to_bits() == STALE_NAN_BITS
}

/// The path Prometheus's remote write receiver listens on.
const WRITE_PATH: &str = "/api/v1/write";

/// The headers a remote write request carries (remote write 1.0).
const WRITE_HEADERS: [(&str, &str); 3] = [
    ("Content-Encoding", "snappy"),
    ("Content-Type", "application/x-protobuf"),
    ("X-Prometheus-Remote-Write-Version", "0.1.0"),
];

/// At most this many samples go in one request; more are split over several, earliest
/// samples first. About 300 KiB of protobuf for short label sets: a test's ~100 series × ~1000
/// samples is ten requests.
pub(crate) const MAX_SAMPLES_PER_REQUEST: usize = 10_000;

/// One series to push: its labels and its samples.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct WriteSeries {
    /// The labels, `__name__` included. Remote write wants them sorted by name; they are
    /// sorted when encoded, and a label with an empty value (which Prometheus treats as
    /// absent) is left out.
    pub labels: Vec<(String, String)>,
    /// `(unix milliseconds, value)`; they are sent in time order, whatever their order
    /// here. Prometheus refuses a sample older than the latest it holds for the series
    /// ("out of order sample"), e.g. from an earlier push. A value may be [`stale_marker`].
    pub samples: Vec<(i64, f64)>,
}

impl PrometheusClient {
    /// Pushes `series` by remote write (`POST /api/v1/write`), in requests of at most
    /// [`MAX_SAMPLES_PER_REQUEST`] samples, earliest samples first (see [`split_requests`]).
    /// Timestamps may lie in the future: a query sees a sample once its evaluation time
    /// reaches it. But Prometheus refuses anything older than an hour before the newest
    /// sample it holds, its rules' own results included: samples more than an hour ahead
    /// of the wall clock make Prometheus discard its recording rules' results ("out of
    /// bounds", in its log) unless its block range is longer
    /// (the hidden flag `--storage.tsdb.min-block-duration`, twice the hour wanted).
    ///
    /// Stops at the first request Prometheus refuses: the requests before it are stored,
    /// the refused one is not (Prometheus appends a request whole or not at all). The
    /// error is [`ClientError::Status`] with Prometheus's reply, e.g. `out of bounds`, or
    /// `remote write receiver needs to be enabled` when the receiver is off.
    pub(crate) async fn remote_write(&self, series: &[WriteSeries]) -> Result<(), ClientError> {
        for request in split_requests(series, MAX_SAMPLES_PER_REQUEST) {
            let body = encode(&request).map_err(|reason| ClientError::Encode {
                endpoint: self.http.url_and_endpoint("POST", WRITE_PATH).1,
                reason,
            })?;
            self.http
                .post(WRITE_PATH, &WRITE_HEADERS, body)
                .await?
                .success()?;
        }
        Ok(())
    }
}

/// The series as write requests of at most `max_samples` samples each (at least one per
/// request), in time order across all series: each request holds the earliest samples not
/// yet sent. Prometheus refuses ("out of bounds") a sample older than an hour (half its
/// 2 h block range) before the newest it holds, so pushing series one after another would
/// lose the early samples of later series once an earlier series reached an hour further.
/// Samples with equal timestamps keep their order; a series without samples is left out.
pub(crate) fn split_requests(
    series: &[WriteSeries],
    max_samples: usize,
) -> Vec<proto::WriteRequest> {
    let labels: Vec<Vec<proto::Label>> =
        series.iter().map(|one| proto_labels(&one.labels)).collect();
    let mut points: Vec<(i64, usize, f64)> = series
        .iter()
        .enumerate()
        .flat_map(|(index, one)| {
            one.samples
                .iter()
                .map(move |&(timestamp, value)| (timestamp, index, value))
        })
        .collect();
    points.sort_by_key(|&(timestamp, index, _)| (timestamp, index));
    points
        .chunks(max_samples.max(1))
        .map(|chunk| {
            let mut by_series: BTreeMap<usize, Vec<proto::Sample>> = BTreeMap::new();
            for &(timestamp, index, value) in chunk {
                by_series
                    .entry(index)
                    .or_default()
                    .push(proto::Sample { value, timestamp });
            }
            proto::WriteRequest {
                timeseries: by_series
                    .into_iter()
                    .map(|(index, samples)| proto::TimeSeries {
                        labels: labels[index].clone(),
                        samples,
                    })
                    .collect(),
            }
        })
        .collect()
}

/// The labels sorted by name, those with an empty value left out.
fn proto_labels(labels: &[(String, String)]) -> Vec<proto::Label> {
    let mut labels: Vec<proto::Label> = labels
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, value)| proto::Label {
            name: name.clone(),
            value: value.clone(),
        })
        .collect();
    labels.sort_by(|a, b| a.name.cmp(&b.name));
    labels
}

/// The request as a remote write body: protobuf, then snappy's block format.
pub(crate) fn encode(request: &proto::WriteRequest) -> Result<Vec<u8>, String> {
    use prost::Message as _;
    snap::raw::Encoder::new()
        .compress_vec(&request.encode_to_vec())
        .map_err(|error| format!("snappy compression failed: {error}"))
}

/// Prometheus's remote write messages, with the field numbers of `prompb/remote.proto`
/// (`WriteRequest`) and `prompb/types.proto` (the rest). Fields firedrill never sends
/// (metadata, exemplars, histograms) are left out.
pub(crate) mod proto {
    /// `prometheus.WriteRequest`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub(crate) struct WriteRequest {
        /// `repeated TimeSeries timeseries = 1`.
        #[prost(message, repeated, tag = "1")]
        pub timeseries: Vec<TimeSeries>,
    }

    /// `prometheus.TimeSeries`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub(crate) struct TimeSeries {
        /// `repeated Label labels = 1`, sorted by name.
        #[prost(message, repeated, tag = "1")]
        pub labels: Vec<Label>,
        /// `repeated Sample samples = 2`, oldest first.
        #[prost(message, repeated, tag = "2")]
        pub samples: Vec<Sample>,
    }

    /// `prometheus.Label`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub(crate) struct Label {
        /// `string name = 1`.
        #[prost(string, tag = "1")]
        pub name: String,
        /// `string value = 2`.
        #[prost(string, tag = "2")]
        pub value: String,
    }

    /// `prometheus.Sample`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub(crate) struct Sample {
        /// `double value = 1`.
        #[prost(double, tag = "1")]
        pub value: f64,
        /// `int64 timestamp = 2`, unix milliseconds.
        #[prost(int64, tag = "2")]
        pub timestamp: i64,
    }
}

#[cfg(test)]
mod live_tests;
#[cfg(test)]
mod tests;
