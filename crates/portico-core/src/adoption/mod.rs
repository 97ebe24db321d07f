//! Adoption metrics: how a practice's patients use the portal, rolled up per practice and
//! day by the nightly job ([`rollup`]), and read as time series by day, week or month
//! ([`series`]).

pub mod platform;
pub mod rollup;
pub mod series;
