//! The `portico` binary's library: configuration, command line, HTTP app and the wiring of
//! the two profiles. `main.rs` is a thin shim over [`cli::main`]; tests call [`boot::start`]
//! with a listener on port 0.

// The GraphQL schema merges one object per area; async-graphql's merged objects nest once per
// area, deeper than the compiler's default limit for laying out the resolver futures.
#![recursion_limit = "256"]

mod attachment_store;
pub mod boot;
pub mod cli;
pub mod config;
pub mod http;
mod redis_pubsub;
mod redis_throttle;
pub mod state;
pub mod telemetry;

pub use boot::{Options, Running, start};
pub use config::Config;
