use prost::Message as _;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;
use crate::clients::test_support::refused_base_url;

/// The start of snappy's framed stream (its stream identifier chunk), which remote write
/// does not take.
const SNAPPY_FRAMED_MAGIC: &[u8] = b"\xff\x06\x00\x00sNaPpY";

fn series(labels: &[(&str, &str)], samples: &[(i64, f64)]) -> WriteSeries {
    WriteSeries {
        labels: labels
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect(),
        samples: samples.to_vec(),
    }
}

/// The body decompressed (snappy block format) and decoded.
fn decode(body: &[u8]) -> proto::WriteRequest {
    let raw = snap::raw::Decoder::new()
        .decompress_vec(body)
        .expect("a snappy block");
    proto::WriteRequest::decode(raw.as_slice()).expect("a WriteRequest")
}

#[test]
fn the_stale_marker_is_prometheus_stale_nan_and_no_other_nan() {
    assert_eq!(stale_marker().to_bits(), 0x7ff0_0000_0000_0002);
    assert!(stale_marker().is_nan());
    assert!(is_stale_marker(stale_marker()));
    assert!(!is_stale_marker(f64::NAN));
    assert!(!is_stale_marker(1.0));
}

#[test]
fn a_request_decodes_back_to_the_series_with_labels_sorted_by_name() {
    let pushed = [
        series(
            &[("job", "api"), ("__name__", "up"), ("instance", "a:9090")],
            &[(1_000, 1.0), (2_000, 0.5), (3_000, stale_marker())],
        ),
        series(&[("__name__", "errors_total")], &[(1_500, -2.0)]),
    ];
    let requests = split_requests(&pushed, MAX_SAMPLES_PER_REQUEST);
    assert_eq!(requests.len(), 1);

    let decoded = decode(&encode(&requests[0]).unwrap());
    // NaN != NaN, so the round trip is compared as bytes; the values below by their bits.
    assert_eq!(decoded.encode_to_vec(), requests[0].encode_to_vec());
    let names: Vec<&str> = decoded.timeseries[0]
        .labels
        .iter()
        .map(|label| label.name.as_str())
        .collect();
    assert_eq!(names, ["__name__", "instance", "job"]);
    let samples: Vec<(i64, u64)> = decoded.timeseries[0]
        .samples
        .iter()
        .map(|sample| (sample.timestamp, sample.value.to_bits()))
        .collect();
    assert_eq!(
        samples,
        [
            (1_000, 1.0f64.to_bits()),
            (2_000, 0.5f64.to_bits()),
            (3_000, STALE_NAN_BITS)
        ]
    );
    assert_eq!(decoded.timeseries[1].labels[0].value, "errors_total");
    assert_eq!(decoded.timeseries[1].samples[0].value, -2.0);
}

#[test]
fn the_field_numbers_are_those_of_prometheus_protos() {
    let request = proto::WriteRequest {
        timeseries: vec![proto::TimeSeries {
            labels: vec![proto::Label {
                name: "a".into(),
                value: "b".into(),
            }],
            samples: vec![proto::Sample {
                value: 1.0,
                timestamp: 5,
            }],
        }],
    };
    // timeseries=1 (len 13): labels=1 (len 6: name=1 "a", value=2 "b"),
    // samples=2 (len 11: value=1 double 1.0, timestamp=2 varint 5).
    let expected: Vec<u8> = [
        &[0x0a, 21][..],
        &[0x0a, 6, 0x0a, 1, b'a', 0x12, 1, b'b'],
        &[0x12, 11, 0x09],
        &1.0f64.to_le_bytes(),
        &[0x10, 5],
    ]
    .concat();
    assert_eq!(request.encode_to_vec(), expected);
}

#[test]
fn the_body_is_a_snappy_block_not_a_framed_stream() {
    let requests = split_requests(
        &[series(&[("__name__", "up")], &[(1_000, 1.0)])],
        MAX_SAMPLES_PER_REQUEST,
    );
    let raw = requests[0].encode_to_vec();
    let body = encode(&requests[0]).unwrap();
    assert!(!body.starts_with(SNAPPY_FRAMED_MAGIC), "{body:02x?}");
    // A block starts with the uncompressed length as a varint.
    assert_eq!(
        snap::raw::decompress_len(&body).unwrap(),
        raw.len(),
        "{body:02x?}"
    );
    assert_eq!(
        snap::raw::Decoder::new().decompress_vec(&body).unwrap(),
        raw
    );
}

#[test]
fn a_label_with_an_empty_value_is_left_out() {
    let requests = split_requests(
        &[series(&[("__name__", "up"), ("job", "")], &[(1_000, 1.0)])],
        MAX_SAMPLES_PER_REQUEST,
    );
    let names: Vec<&str> = requests[0].timeseries[0]
        .labels
        .iter()
        .map(|label| label.name.as_str())
        .collect();
    assert_eq!(names, ["__name__"]);
}

#[test]
fn a_large_push_is_split_in_time_order_keeping_every_series_whole() {
    let pushed: Vec<WriteSeries> = (0..100)
        .map(|n| WriteSeries {
            labels: vec![
                ("__name__".into(), "load".into()),
                ("n".into(), n.to_string()),
            ],
            samples: (0..1_000).map(|i| (i * 60_000, (n * i) as f64)).collect(),
        })
        .collect();
    let requests = split_requests(&pushed, MAX_SAMPLES_PER_REQUEST);
    assert_eq!(requests.len(), 10);

    let mut seen: std::collections::BTreeMap<String, Vec<(i64, f64)>> = Default::default();
    let mut newest_sent = i64::MIN;
    for request in &requests {
        let count: usize = request.timeseries.iter().map(|s| s.samples.len()).sum();
        assert!(
            count <= MAX_SAMPLES_PER_REQUEST,
            "{count} samples in one request"
        );
        let oldest = request
            .timeseries
            .iter()
            .flat_map(|s| &s.samples)
            .map(|s| s.timestamp)
            .min()
            .unwrap();
        assert!(
            oldest >= newest_sent,
            "a request starts at {oldest}, before {newest_sent} already sent"
        );
        for one in &request.timeseries {
            let n = one.labels.iter().find(|l| l.name == "n").unwrap();
            seen.entry(n.value.clone())
                .or_default()
                .extend(one.samples.iter().map(|s| (s.timestamp, s.value)));
            newest_sent = newest_sent.max(one.samples.iter().map(|s| s.timestamp).max().unwrap());
        }
    }
    assert_eq!(seen.len(), 100);
    for one in &pushed {
        assert_eq!(
            seen[&one.labels[1].1], one.samples,
            "series n={}",
            one.labels[1].1
        );
    }
}

#[test]
fn the_earliest_samples_of_every_series_go_first() {
    let requests = split_requests(
        &[
            series(&[("__name__", "a")], &[(1, 1.0), (2, 2.0), (3, 3.0)]),
            series(&[("__name__", "b")], &[]),
            series(&[("__name__", "c")], &[(1, 1.0)]),
        ],
        2,
    );
    let shape: Vec<Vec<(String, Vec<i64>)>> = requests
        .iter()
        .map(|request| {
            request
                .timeseries
                .iter()
                .map(|s| {
                    (
                        s.labels[0].value.clone(),
                        s.samples.iter().map(|x| x.timestamp).collect(),
                    )
                })
                .collect()
        })
        .collect();
    assert_eq!(
        shape,
        vec![
            vec![("a".to_string(), vec![1]), ("c".to_string(), vec![1])],
            vec![("a".to_string(), vec![2, 3])],
        ]
    );
}

#[tokio::test]
async fn remote_write_posts_the_encoded_request_with_the_protocol_headers() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/write"))
        .and(header("Content-Encoding", "snappy"))
        .and(header("Content-Type", "application/x-protobuf"))
        .and(header("X-Prometheus-Remote-Write-Version", "0.1.0"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let pushed = [series(&[("__name__", "up")], &[(1_000, 1.0)])];
    PrometheusClient::new(&server.uri())
        .remote_write(&pushed)
        .await
        .unwrap();

    let received = server.received_requests().await.unwrap();
    let decoded = decode(&received[0].body);
    assert_eq!(decoded.timeseries[0].labels[0].value, "up");
    assert_eq!(decoded.timeseries[0].samples[0].timestamp, 1_000);
}

#[tokio::test]
async fn a_refused_write_carries_prometheus_reply() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/write"))
        .respond_with(ResponseTemplate::new(400).set_body_string("out of bounds\n"))
        .mount(&server)
        .await;
    let err = PrometheusClient::new(&server.uri())
        .remote_write(&[series(&[("__name__", "up")], &[(1_000, 1.0)])])
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400));
    assert_eq!(
        err.to_string(),
        "POST /api/v1/write: http status 400: out of bounds"
    );
}

#[tokio::test]
async fn the_write_stops_at_the_first_refused_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/write"))
        .respond_with(
            ResponseTemplate::new(404)
                // Prometheus 2.42's reply when started without the receiver
                .set_body_string(
                    "remote write receiver needs to be enabled with --enable-feature=remote-write-receiver\n",
                ),
        )
        .expect(1)
        .mount(&server)
        .await;
    let long = WriteSeries {
        labels: vec![("__name__".into(), "up".into())],
        samples: (0..(MAX_SAMPLES_PER_REQUEST as i64 * 3))
            .map(|i| (i, 1.0))
            .collect(),
    };
    let err = PrometheusClient::new(&server.uri())
        .remote_write(&[long])
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("http status 404: remote write receiver needs to be enabled"),
        "{err}"
    );
}

#[tokio::test]
async fn a_write_to_a_refused_port_names_the_endpoint() {
    let err = PrometheusClient::new(&refused_base_url())
        .remote_write(&[series(&[("__name__", "up")], &[(1_000, 1.0)])])
        .await
        .unwrap_err();
    assert!(err.is_connect_failure(), "{err}");
    assert!(
        err.to_string()
            .starts_with("POST /api/v1/write: cannot reach the server"),
        "{err}"
    );
}

#[tokio::test]
async fn query_at_sends_the_time_in_seconds_with_milliseconds() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/query"))
        .and(wiremock::matchers::query_param("time", "1700000000.050"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "status": "success",
            "data": {"resultType": "vector", "result": []}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let samples = PrometheusClient::new(&server.uri())
        .query_at("up", 1_700_000_000_050)
        .await
        .unwrap();
    assert!(samples.is_empty());
}
