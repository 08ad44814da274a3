//! End-to-end tests: real Prometheus and Alertmanager (and Grafana where it can be had), the
//! seed's app, a mock Slack webhook. They run on the backend `FIREDRILL_BACKEND` names
//! (default `process`); `FIREDRILL_SKIP=grafana` leaves Grafana out, and its checks are then
//! reported as skipped, never as passed.
//!
//! Tiers: `cargo test -p firedrill --lib` is hermetic; this suite needs the components.

mod e2e {
    pub mod bad_input;
    pub mod cleanup;
    pub mod cli;
    pub mod corpus;
    pub mod discovery;
    pub mod download;
    pub mod faults;
    pub mod front_door;
    pub mod lint;
    pub mod review;
    pub mod rule_tests;
    pub mod secrets;
    pub mod seed;
    pub mod snapshots;
    pub mod startup_gap;
    pub mod support;
    pub mod time_model;
    pub mod time_scale_one;
    pub mod traffic_rule;
    pub mod variants;
}
