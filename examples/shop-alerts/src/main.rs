//! `orders-api`: the example shop's service. `POST /orders` places an order and counts it in
//! `shop_orders_created_total`; `GET /metrics` serves the Prometheus text format;
//! `GET /healthz` answers `ok`.
//!
//! ```text
//! orders-api [--listen ADDR]      (default 0.0.0.0:3000)
//! ```

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use prometheus::{Encoder, IntCounter, Registry, TextEncoder};

#[derive(Clone)]
struct Shop {
    registry: Registry,
    orders: IntCounter,
}

async fn place_order(State(shop): State<Shop>) -> impl IntoResponse {
    shop.orders.inc();
    (StatusCode::CREATED, "order placed\n")
}

async fn metrics(State(shop): State<Shop>) -> impl IntoResponse {
    let mut body = Vec::new();
    let encoder = TextEncoder::new();
    match encoder.encode(&shop.registry.gather(), &mut body) {
        Ok(()) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, encoder.format_type().to_string())],
            body,
        ),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(header::CONTENT_TYPE, "text/plain".to_string())],
            e.to_string().into_bytes(),
        ),
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let listen = match args.as_slice() {
        [] => "0.0.0.0:3000".to_string(),
        [flag, addr] if flag == "--listen" => addr.clone(),
        _ => {
            eprintln!("usage: orders-api [--listen ADDR]");
            std::process::exit(2);
        }
    };
    let registry = Registry::new();
    let orders =
        IntCounter::new("shop_orders_created_total", "Orders placed.").expect("a valid metric");
    registry
        .register(Box::new(orders.clone()))
        .expect("registered once");
    let app = Router::new()
        .route("/orders", post(place_order).get(place_order))
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok\n" }))
        .with_state(Shop { registry, orders });
    let listener = match tokio::net::TcpListener::bind(&listen).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("orders-api: cannot listen on {listen}: {e}");
            std::process::exit(1);
        }
    };
    eprintln!("orders-api: listening on {listen}");
    if let Err(e) = axum::serve(listener, app).await {
        eprintln!("orders-api: {e}");
        std::process::exit(1);
    }
}
