//! The hyper demo server's contract (`cargo run --example server-hyper`):
//! the suite the actix-web demo server passes too, over HTTP on a loopback
//! port, against the example's own routes and accept loop.
// A panic is how a test fails.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic
)]

#[allow(dead_code)]
#[path = "../examples/server-hyper/main.rs"]
mod server;

use credential_examples::contract;
use credential_examples::demo::Demo;
use server::app::Routes;
use tokio::net::TcpListener;

#[tokio::test]
async fn the_hyper_demo_server_meets_the_contract() {
    let demo = Demo::new().unwrap();
    let root = demo.bootstrap().await.unwrap().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let running = tokio::spawn(server::serve(listener, Routes::new(demo.clone()).unwrap()));
    contract::run(addr, &demo, &root).await;
    running.abort();
}
