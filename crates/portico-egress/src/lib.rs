//! What Portico may call. A practice admin types the addresses Portico calls (an EHR's base
//! URL, a webhook endpoint), so an address must not be a way to reach plain-text HTTP on the
//! network, the deployment's own networks (a cloud metadata service, a database), or to
//! smuggle credentials in the URL.
//!
//! Two checks, both needed: [`check_url`] when the address is given (it refuses IP addresses
//! of private networks but cannot know where a name points), and [`GuardedResolver`] when a
//! request is made (a name that resolves, or later re-resolves, to such an address is refused
//! before any connection is opened, so DNS rebinding cannot get around the first check).

mod resolver;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub use resolver::{GuardedResolver, NOT_ALLOWED};
use url::{Host, Url};

/// What a caller accepts beyond the rules every outbound address follows.
#[derive(Clone, Copy, Debug, Default)]
pub struct Rules {
    /// Plain http, and loopback addresses, for local sandboxes and tests (off in production).
    pub allow_loopback_http: bool,
    /// A query string (a webhook receiver may route by it; an EHR base URL must not have one).
    pub allow_query: bool,
}

/// Why an address was refused; the text names the rule, never the address's parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    NotUrl,
    NotHttps,
    PlainHttp,
    NoHost,
    Loopback,
    PrivateAddress,
    Credentials,
    QueryOrFragment,
}

impl Refusal {
    pub fn why(self) -> &'static str {
        match self {
            Self::NotUrl => "not a URL",
            Self::NotHttps => "only https",
            Self::PlainHttp => "plain http is allowed only to a loopback host",
            Self::NoHost => "no host",
            Self::Loopback => "a loopback host",
            Self::PrivateAddress => "a private or reserved IP address",
            Self::Credentials => "credentials in the URL",
            Self::QueryOrFragment => "query or fragment",
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.why())
    }
}

/// Parses and checks an address: https, or http to a loopback host when `rules` allow it; no
/// userinfo or fragment (and no query unless allowed); no IP address of the deployment's own
/// networks (private, link-local, CGNAT, unspecified, broadcast, multicast; loopback unless
/// allowed). Names are not resolved here: [`GuardedResolver`] checks them at request time.
pub fn check_url(raw: &str, rules: Rules) -> Result<Url, Refusal> {
    let url = Url::parse(raw.trim()).map_err(|_| Refusal::NotUrl)?;
    match url.scheme() {
        "https" => {}
        "http" if rules.allow_loopback_http && is_loopback(&url) => {}
        "http" => return Err(Refusal::PlainHttp),
        _ => return Err(Refusal::NotHttps),
    }
    match url.host() {
        None => return Err(Refusal::NoHost),
        Some(_) if is_loopback(&url) => {
            if !rules.allow_loopback_http {
                return Err(Refusal::Loopback);
            }
        }
        Some(Host::Ipv4(ip)) if !public_v4(ip) => return Err(Refusal::PrivateAddress),
        Some(Host::Ipv6(ip)) if !public_v6(ip) => return Err(Refusal::PrivateAddress),
        Some(_) => {}
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Refusal::Credentials);
    }
    if url.fragment().is_some() || (url.query().is_some() && !rules.allow_query) {
        return Err(Refusal::QueryOrFragment);
    }
    Ok(url)
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Whether Portico may connect to `ip`: an address on the public internet, or a loopback
/// address when `allow_loopback` (local sandboxes and tests).
pub fn may_connect(ip: IpAddr, allow_loopback: bool) -> bool {
    let loopback = match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    };
    if loopback {
        return allow_loopback;
    }
    match ip {
        IpAddr::V4(v4) => public_v4(v4),
        IpAddr::V6(v6) => public_v6(v6),
    }
}

/// An IPv4 address on the public internet as far as Portico cares: not this network (0/8),
/// private (10/8, 172.16/12, 192.168/16), CGNAT (100.64/10), loopback, link-local
/// (169.254/16), IETF protocol assignments (192.0.0/24), benchmarking (198.18/15),
/// multicast, reserved (240/4) or broadcast.
fn public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let cgnat = a == 100 && (64..128).contains(&b);
    let protocol = a == 192 && b == 0 && c == 0;
    let benchmarking = a == 198 && (b == 18 || b == 19);
    !(a == 0
        || ip.is_private()
        || cgnat
        || protocol
        || benchmarking
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_multicast()
        || a >= 240)
}

/// An IPv6 address on the public internet: not unspecified, loopback, unique local
/// (fc00::/7), link-local (fe80::/10), site-local (fec0::/10), local-use NAT64
/// (64:ff9b:1::/48), multicast, and for addresses that carry an IPv4 one (mapped
/// `::ffff:a.b.c.d`, compatible `::a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`), a
/// public IPv4 address.
fn public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return public_v4(v4);
    }
    let segments = ip.segments();
    let v4_of = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    let [.., hi, lo] = segments;
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return public_v4(v4_of(hi, lo));
    }
    // IPv4-compatible (deprecated, still routed by some stacks): `::a.b.c.d`.
    if segments[..6] == [0; 6] && !ip.is_unspecified() && !ip.is_loopback() {
        return public_v4(v4_of(hi, lo));
    }
    if segments[0] == 0x2002 {
        return public_v4(v4_of(segments[1], segments[2]));
    }
    let unique_local = segments[0] & 0xfe00 == 0xfc00;
    let link_local = segments[0] & 0xffc0 == 0xfe80;
    let site_local = segments[0] & 0xffc0 == 0xfec0;
    let local_nat64 = segments[..3] == [0x64, 0xff9b, 1];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || unique_local
        || link_local
        || site_local
        || local_nat64
        || ip.is_multicast())
}

#[cfg(test)]
mod tests;
