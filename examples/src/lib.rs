//! Shared parts of the workspace's examples.
//!
//! - [`bench`](mod@bench): what the HTTP load benchmark's servers share.
//! - [`demo`]: the demo API's behaviour, which the actix-web and hyper demo
//!   servers both serve.
//! - [`contract`]: the demo API's contract as a test suite that runs
//!   against any server that serves it, over a loopback HTTP connection.

#![forbid(unsafe_code)]

pub mod bench;
pub mod contract;
pub mod demo;
