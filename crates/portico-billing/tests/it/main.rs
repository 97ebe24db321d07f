//! portico-billing's tests: each gateway call against the fake Stripe API that the
//! black-box tests use too (`tests/stripe_api.rs`, included by path so this crate does not
//! depend on the whole server), and webhook verification of the deliveries it builds.

#![expect(clippy::unwrap_used, reason = "test harness")]

mod gateway;
#[path = "../../../../tests/stripe_api.rs"]
mod stripe_api;
mod webhook;
