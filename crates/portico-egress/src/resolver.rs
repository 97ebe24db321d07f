//! A DNS resolver for reqwest that answers only with addresses Portico may connect to
//! ([`crate::may_connect`]). The connection is made to the addresses this resolver returned,
//! so a name cannot pass a check and then point somewhere else (DNS rebinding).

use std::net::SocketAddr;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Resolves with the system resolver, then drops every address of the deployment's own
/// networks; a name left with none fails to resolve ("address not allowed").
#[derive(Clone, Copy, Debug, Default)]
pub struct GuardedResolver {
    pub allow_loopback: bool,
}

/// The error a refused name resolves to; callers tell it apart by its text.
pub const NOT_ALLOWED: &str = "address not allowed";

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_loopback = self.allow_loopback;
        Box::pin(async move {
            // Port 0: reqwest puts the URL's port on the addresses it is given.
            let found: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0))
                .await?
                .filter(|addr| crate::may_connect(addr.ip(), allow_loopback))
                .collect();
            if found.is_empty() {
                return Err(NOT_ALLOWED.into());
            }
            let addrs: Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}
