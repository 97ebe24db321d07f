//! The client's address, for the limits kept per address (activation-code guessing, sign-in
//! throttling). Behind a load balancer or an ingress every connection comes from the proxy,
//! so when the peer is one of `PORTICO_TRUSTED_PROXIES` the address is taken from
//! `X-Forwarded-For`: the rightmost entry that is not itself a trusted proxy (entries further
//! left were written by the client and prove nothing). Without trusted proxies the header is
//! never read, so a client cannot choose its own address.

use std::{net::IpAddr, sync::Arc};

use axum::{
    extract::{ConnectInfo, Request, State},
    http::HeaderMap,
    middleware::Next,
    response::Response,
};
use ipnet::IpNet;

/// The address the request is counted against.
#[derive(Clone, Copy, Debug)]
pub struct ClientAddr(pub Option<IpAddr>);

/// The proxies whose `X-Forwarded-For` is believed.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(pub Arc<[IpNet]>);

impl TrustedProxies {
    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client of a request that came from `peer` with `headers`.
    pub fn client(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        let peer = peer?;
        if !self.trusts(peer) {
            return Some(peer);
        }
        let forwarded: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|entry| entry.trim().parse::<IpAddr>())
            .collect::<Result<_, _>>()
            // A malformed header cannot be walked safely: count the proxy itself.
            .unwrap_or_default();
        forwarded
            .into_iter()
            .rev()
            .find(|ip| !self.trusts(*ip))
            .or(Some(peer))
    }
}

/// Resolves the client's address once per request, for the handlers to read.
pub async fn resolve(
    State(proxies): State<TrustedProxies>,
    mut req: Request,
    next: Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    let client = proxies.client(peer, req.headers());
    req.extensions_mut().insert(ClientAddr(client));
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn proxies(list: &[&str]) -> TrustedProxies {
        TrustedProxies(list.iter().map(|n| n.parse().unwrap()).collect())
    }

    fn forwarded(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        headers
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let none = TrustedProxies::default();
        assert_eq!(
            none.client(ip("10.0.0.5"), &forwarded("203.0.113.7")),
            ip("10.0.0.5")
        );
    }

    #[test]
    fn behind_a_trusted_proxy_the_rightmost_untrusted_entry_is_the_client() {
        let lb = proxies(&["10.0.0.0/8"]);
        // The client wrote a fake first entry; the proxies appended what they saw.
        let headers = forwarded("1.2.3.4, 203.0.113.7, 10.0.0.9");
        assert_eq!(lb.client(ip("10.0.0.5"), &headers), ip("203.0.113.7"));
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_says() {
        let lb = proxies(&["10.0.0.0/8"]);
        assert_eq!(
            lb.client(ip("198.51.100.2"), &forwarded("203.0.113.7")),
            ip("198.51.100.2")
        );
    }

    #[test]
    fn a_missing_or_malformed_header_counts_the_proxy() {
        let lb = proxies(&["10.0.0.0/8"]);
        assert_eq!(lb.client(ip("10.0.0.5"), &HeaderMap::new()), ip("10.0.0.5"));
        assert_eq!(
            lb.client(ip("10.0.0.5"), &forwarded("203.0.113.7, not-an-ip")),
            ip("10.0.0.5")
        );
    }
}
