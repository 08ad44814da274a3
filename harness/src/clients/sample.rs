//! The result of an instant query: one [`Sample`] per series (or one for a scalar).

use std::collections::BTreeMap;

use serde::de::IgnoredAny;
use serde::{Deserialize, Deserializer};

/// One value of an instant query: the series' labels and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The series' labels (`__name__` included when the result keeps it); empty for a scalar.
    pub metric: BTreeMap<String, String>,
    /// The value; Prometheus sends it as a string, so `NaN`, `+Inf` and `-Inf` arrive too.
    pub value: f64,
}

/// Parses a value as Prometheus writes it (`"1"`, `"1e+00"`, `"NaN"`, `"+Inf"`, `"-Inf"`).
pub fn parse_sample_value(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok()
}

/// `data` of an instant query answer.
#[derive(Deserialize)]
#[serde(tag = "resultType", content = "result", rename_all = "lowercase")]
pub(crate) enum InstantQueryData {
    Vector(Vec<VectorEntry>),
    Scalar(TimestampedValue),
    String(IgnoredAny),
    Matrix(Vec<MatrixEntry>),
}

#[derive(Deserialize)]
pub(crate) struct MatrixEntry {
    #[serde(default)]
    metric: BTreeMap<String, String>,
    values: Vec<(f64, TimestampedString)>,
}

/// A sample value written as a string, as a matrix entry holds it.
#[derive(Deserialize)]
pub(crate) struct TimestampedString(#[serde(deserialize_with = "value_from_string")] f64);

/// One series of a range-selector query: its labels and raw samples, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The series' labels.
    pub metric: BTreeMap<String, String>,
    /// `(unix seconds, value)` pairs, as Prometheus stored them.
    pub points: Vec<(f64, f64)>,
}

#[derive(Deserialize)]
pub(crate) struct VectorEntry {
    #[serde(default)]
    metric: BTreeMap<String, String>,
    value: TimestampedValue,
}

/// `[<unix seconds>, "<value>"]`.
#[derive(Deserialize)]
pub(crate) struct TimestampedValue(
    IgnoredAny,
    #[serde(deserialize_with = "value_from_string")] f64,
);

/// Deserializes a sample value written as a string (`"NaN"`, `"+Inf"`, `"1e+00"`).
pub(crate) fn value_from_string<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<f64, D::Error> {
    let text = String::deserialize(deserializer)?;
    parse_sample_value(&text)
        .ok_or_else(|| serde::de::Error::custom(format!("`{text}` is not a sample value")))
}

impl InstantQueryData {
    /// The samples, or why this result type is not a list of samples.
    pub(crate) fn into_samples(self) -> Result<Vec<Sample>, String> {
        match self {
            InstantQueryData::Vector(entries) => Ok(entries
                .into_iter()
                .map(|entry| Sample {
                    metric: entry.metric,
                    value: entry.value.1,
                })
                .collect()),
            InstantQueryData::Scalar(value) => Ok(vec![Sample {
                metric: BTreeMap::new(),
                value: value.1,
            }]),
            InstantQueryData::String(_) => Err("result type `string` holds no samples".into()),
            InstantQueryData::Matrix(_) => {
                Err("result type `matrix` is not an instant vector (a range selector?)".into())
            }
        }
    }

    /// The series of a range selector, or why this result is not one.
    pub(crate) fn into_series(self) -> Result<Vec<Series>, String> {
        match self {
            InstantQueryData::Matrix(entries) => Ok(entries
                .into_iter()
                .map(|entry| Series {
                    metric: entry.metric,
                    points: entry.values.into_iter().map(|(t, v)| (t, v.0)).collect(),
                })
                .collect()),
            _ => Err(
                "the result is not a matrix (the query needs a range selector, e.g. `up[1m]`)"
                    .into(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_matrix_keeps_every_raw_sample_with_its_timestamp() {
        let data: InstantQueryData = serde_json::from_value(serde_json::json!({
            "resultType": "matrix",
            "result": [{"metric": {"alertname": "A"}, "values": [[1435781430.781, "1"], [1435781445.781, "1"]]}]
        }))
        .unwrap();
        let series = data.into_series().unwrap();
        assert_eq!(
            series[0].points,
            vec![(1435781430.781, 1.0), (1435781445.781, 1.0)]
        );
        assert_eq!(series[0].metric["alertname"], "A");
    }

    #[test]
    fn special_values_parse_as_prometheus_writes_them() {
        assert!(parse_sample_value("NaN").unwrap().is_nan());
        assert_eq!(parse_sample_value("+Inf"), Some(f64::INFINITY));
        assert_eq!(parse_sample_value("-Inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_sample_value("1e+00"), Some(1.0));
        assert_eq!(parse_sample_value("abc"), None);
    }
}
