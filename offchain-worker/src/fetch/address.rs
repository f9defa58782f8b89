//! Which addresses a download may connect to, and a connector that enforces it.
//!
//! A model's sources are chosen by its owner, so a source URL (or a redirect, or a DNS
//! answer) could point every nominated node at its own RPC port, the cloud metadata
//! service or the LAN. Unless [`FetchConfig::allow_private_addresses`] is set, the
//! connector resolves the host itself and connects only to public addresses: the check
//! runs on the resolved addresses (so a DNS answer rebinding a public name to a private
//! address is caught) for every connection, including each redirect hop.
//!
//! Peers (other nodes, at the endpoints they declared on chain) are judged by a policy of
//! their own: [`FetchConfig::allow_private_peers`] lets them be on non-public addresses (a
//! development or local network on one machine or a LAN), while the sources stay checked, and
//! the sources' settings never open the node to peers on such addresses.
//!
//! [`FetchConfig::allow_private_addresses`]: super::FetchConfig::allow_private_addresses
//! [`FetchConfig::allow_private_peers`]: super::FetchConfig::allow_private_peers

use std::{
	error::Error as StdError,
	fmt,
	future::Future,
	io,
	net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
	pin::Pin,
	sync::Arc,
	task::{Context, Poll},
};

use hyper::Uri;
use hyper_util::{client::legacy::connect::HttpConnector, rt::TokioIo};
use tokio::net::TcpStream;

use super::FetchConfig;

type BoxError = Box<dyn StdError + Send + Sync>;

/// Whether `ip` must not be contacted on behalf of a source URL: loopback, private
/// (RFC 1918, IPv6 ULA), link-local (including the `169.254.169.254` metadata service),
/// shared (CGNAT `100.64/10`), unspecified, broadcast, multicast, reserved and
/// documentation ranges, and the IPv4-mapped / embedded IPv6 forms of those.
pub(crate) fn is_forbidden(ip: IpAddr) -> bool {
	match ip {
		IpAddr::V4(v4) => is_forbidden_v4(v4),
		IpAddr::V6(v6) => is_forbidden_v6(v6),
	}
}

fn is_forbidden_v4(ip: Ipv4Addr) -> bool {
	let [a, b, c, _] = ip.octets();
	ip.is_unspecified()
		|| ip.is_loopback()
		|| ip.is_private()
		|| ip.is_link_local()
		|| ip.is_broadcast()
		|| ip.is_multicast()
		|| ip.is_documentation()
		// "This network" 0.0.0.0/8.
		|| a == 0
		// Shared address space (CGNAT) 100.64.0.0/10, incl. 100.100.100.200 (metadata).
		|| (a == 100 && (64..128).contains(&b))
		// IETF protocol assignments 192.0.0.0/24, incl. 192.0.0.192 (metadata).
		|| (a == 192 && b == 0 && c == 0)
		// Benchmarking 198.18.0.0/15.
		|| (a == 198 && (b == 18 || b == 19))
		// Reserved 240.0.0.0/4.
		|| a >= 240
}

fn is_forbidden_v6(ip: Ipv6Addr) -> bool {
	let segments = ip.segments();
	if ip.is_unspecified() || ip.is_loopback() || ip.is_multicast() {
		return true;
	}
	// IPv4-mapped (::ffff:a.b.c.d) and the deprecated IPv4-compatible (::a.b.c.d) forms.
	if let Some(v4) = ip.to_ipv4() {
		return is_forbidden_v4(v4);
	}
	let embedded = |hi: u16, lo: u16| {
		let [a, b] = hi.to_be_bytes();
		let [c, d] = lo.to_be_bytes();
		Ipv4Addr::new(a, b, c, d)
	};
	match segments[0] {
		// Unique local fc00::/7 (incl. the fd00:ec2::254 metadata service).
		s if s & 0xfe00 == 0xfc00 => true,
		// Link-local fe80::/10 and the deprecated site-local fec0::/10.
		s if s & 0xffc0 == 0xfe80 || s & 0xffc0 == 0xfec0 => true,
		// Documentation 2001:db8::/32.
		0x2001 if segments[1] == 0x0db8 => true,
		// 6to4 2002::/16 embeds an IPv4 address.
		0x2002 => is_forbidden_v4(embedded(segments[1], segments[2])),
		// NAT64 64:ff9b::/96 embeds an IPv4 address.
		0x0064 if segments[1] == 0xff9b && segments[2..6] == [0, 0, 0, 0] => {
			is_forbidden_v4(embedded(segments[6], segments[7]))
		}
		_ => false,
	}
}

/// What the connector may contact.
#[derive(Clone, Debug, Default)]
pub(super) struct AddressPolicy {
	/// Connect to any address.
	pub allow_private: bool,
	/// Forbidden addresses that are allowed anyway (with their port).
	pub trusted: Vec<SocketAddr>,
}

impl AddressPolicy {
	/// The policy for a model's sources and their redirects:
	/// [`FetchConfig::allow_private_addresses`] and [`FetchConfig::trusted_addresses`].
	pub fn for_sources(config: &FetchConfig) -> Self {
		Self {
			allow_private: config.allow_private_addresses,
			trusted: config.trusted_addresses.clone(),
		}
	}

	/// The policy for peers (holders and nominees) and their redirects:
	/// [`FetchConfig::allow_private_peers`] only. A trusted source address is not a peer.
	pub fn for_peers(config: &FetchConfig) -> Self {
		Self { allow_private: config.allow_private_peers, trusted: Vec::new() }
	}

	/// Whether a connection to `addr` is allowed.
	pub fn allows(&self, addr: SocketAddr) -> bool {
		self.allow_private || !is_forbidden(addr.ip()) || self.trusted.contains(&addr)
	}
}

/// A connection refused because the host resolves only to forbidden addresses.
#[derive(Debug)]
pub(super) struct ForbiddenAddress {
	/// Host as written in the URL.
	pub host: String,
	/// The (first) forbidden address it resolved to.
	pub addr: IpAddr,
}

impl fmt::Display for ForbiddenAddress {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		write!(f, "{} resolves to the non-public address {}", self.host, self.addr)
	}
}

impl StdError for ForbiddenAddress {}

/// A connection that failed below HTTP: DNS lookup or TCP connect. Such a failure may be
/// the node's own network's fault rather than the source's.
#[derive(Debug)]
pub(super) struct Unreachable {
	/// What failed.
	pub context: String,
	/// Underlying error.
	pub source: BoxError,
}

impl fmt::Display for Unreachable {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		write!(f, "{}", self.context)
	}
}

impl StdError for Unreachable {
	fn source(&self) -> Option<&(dyn StdError + 'static)> {
		Some(&*self.source)
	}
}

/// TCP connector that resolves the host itself, drops addresses the [`AddressPolicy`]
/// forbids, and connects to the remaining ones in order through an [`HttpConnector`]
/// (which keeps its timeouts and socket options).
#[derive(Clone)]
pub(super) struct GuardedConnector {
	http: HttpConnector,
	policy: Arc<AddressPolicy>,
}

impl GuardedConnector {
	/// Wraps `http` (which must accept any scheme: `enforce_http(false)`).
	pub fn new(http: HttpConnector, policy: AddressPolicy) -> Self {
		Self { http, policy: Arc::new(policy) }
	}
}

impl tower_service::Service<Uri> for GuardedConnector {
	type Response = TokioIo<TcpStream>;
	type Error = BoxError;
	type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

	fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
		Poll::Ready(Ok(()))
	}

	fn call(&mut self, dst: Uri) -> Self::Future {
		let http = self.http.clone();
		let policy = Arc::clone(&self.policy);
		Box::pin(connect(http, policy, dst))
	}
}

async fn connect(
	mut http: HttpConnector,
	policy: Arc<AddressPolicy>,
	dst: Uri,
) -> Result<TokioIo<TcpStream>, BoxError> {
	let host = dst.host().ok_or("URL without host")?;
	let host = host.trim_start_matches('[').trim_end_matches(']').to_string();
	let https = dst.scheme_str() == Some("https");
	let port = dst.port_u16().unwrap_or(if https { 443 } else { 80 });
	let addrs: Vec<SocketAddr> = match host.parse::<IpAddr>() {
		Ok(ip) => vec![SocketAddr::new(ip, port)],
		Err(_) => tokio::net::lookup_host((host.as_str(), port))
			.await
			.map_err(|e| Unreachable {
				context: format!("DNS lookup of {host}"),
				source: e.into(),
			})?
			.collect(),
	};
	let (allowed, refused): (Vec<_>, Vec<_>) = addrs.into_iter().partition(|a| policy.allows(*a));
	for addr in &refused {
		log::debug!(target: "modelnet", "not connecting to {host} at non-public {addr}");
	}
	if allowed.is_empty() {
		return Err(match refused.first() {
			Some(addr) => Box::new(ForbiddenAddress { host, addr: addr.ip() }),
			None => Box::new(Unreachable {
				context: format!("DNS lookup of {host}"),
				source: io::Error::new(io::ErrorKind::NotFound, "no address").into(),
			}),
		});
	}
	let mut last: Option<BoxError> = None;
	for addr in allowed {
		// The HTTP connector only needs the address; TLS (server name) is layered above.
		let uri: Uri = format!("http://{addr}/").parse()?;
		match tower_service::Service::call(&mut http, uri).await {
			Ok(stream) => return Ok(stream),
			Err(e) => last = Some(e.into()),
		}
	}
	let source = last.unwrap_or_else(|| "no address".into());
	Err(Box::new(Unreachable { context: format!("cannot connect to {host}:{port}"), source }))
}

/// The [`ForbiddenAddress`] in an error's chain, if any.
pub(super) fn find_forbidden<'a>(
	err: &'a (dyn StdError + 'static),
) -> Option<&'a ForbiddenAddress> {
	let mut current = Some(err);
	while let Some(e) = current {
		if let Some(found) = e.downcast_ref::<ForbiddenAddress>() {
			return Some(found);
		}
		current = e.source();
	}
	None
}

/// Whether an error's chain shows a network-level failure that may be the node's own:
/// DNS or TCP connect failure, or a connection reset, aborted or timed out.
pub(super) fn is_network_failure(err: &(dyn StdError + 'static)) -> bool {
	let mut current = Some(err);
	while let Some(e) = current {
		if e.downcast_ref::<Unreachable>().is_some() {
			return true;
		}
		if let Some(io) = e.downcast_ref::<io::Error>() {
			if matches!(
				io.kind(),
				io::ErrorKind::ConnectionRefused
					| io::ErrorKind::ConnectionReset
					| io::ErrorKind::ConnectionAborted
					| io::ErrorKind::NotConnected
					| io::ErrorKind::BrokenPipe
					| io::ErrorKind::TimedOut
					| io::ErrorKind::HostUnreachable
					| io::ErrorKind::NetworkUnreachable
					| io::ErrorKind::NetworkDown
					| io::ErrorKind::AddrNotAvailable
			) {
				return true;
			}
		}
		current = e.source();
	}
	false
}

#[cfg(test)]
mod tests {
	use super::*;

	fn forbidden(addr: &str) -> bool {
		is_forbidden(addr.parse().unwrap())
	}

	#[test]
	fn classifies_addresses() {
		let refused = [
			"127.0.0.1",
			"127.1.2.3",
			"0.0.0.0",
			"0.1.2.3",
			"10.0.0.1",
			"10.255.255.255",
			"172.16.0.1",
			"172.31.255.254",
			"192.168.1.1",
			"169.254.169.254",
			"169.254.0.1",
			"100.64.0.1",
			"100.100.100.200",
			"100.127.255.255",
			"192.0.0.192",
			"192.0.2.1",
			"198.18.0.1",
			"198.51.100.7",
			"203.0.113.9",
			"224.0.0.1",
			"239.255.255.250",
			"240.0.0.1",
			"255.255.255.255",
			"::",
			"::1",
			"::ffff:127.0.0.1",
			"::ffff:10.1.2.3",
			"::ffff:169.254.169.254",
			"::ffff:192.168.0.1",
			"::127.0.0.1",
			"fc00::1",
			"fd00:ec2::254",
			"fdff:ffff::1",
			"fe80::1",
			"febf::1",
			"fec0::1",
			"ff02::1",
			"ff0e::1",
			"2001:db8::1",
			"2002:7f00:1::",
			"2002:a9fe:a9fe::1",
			"64:ff9b::7f00:1",
			"64:ff9b::a9fe:a9fe",
		];
		for addr in refused {
			assert!(forbidden(addr), "{addr} must be refused");
		}
		let allowed = [
			"1.1.1.1",
			"8.8.8.8",
			"93.184.216.34",
			"100.63.255.255",
			"100.128.0.1",
			"172.15.255.255",
			"172.32.0.1",
			"169.253.255.255",
			"192.0.1.1",
			"192.169.0.1",
			"198.20.0.1",
			"223.255.255.254",
			"::ffff:8.8.8.8",
			"2606:4700:4700::1111",
			"2a00:1450:4001:80b::200e",
			"2002:808:808::1",
			"64:ff9b::808:808",
			"fbff::1",
			"fe00::1",
		];
		for addr in allowed {
			assert!(!forbidden(addr), "{addr} must be allowed");
		}
	}

	#[test]
	fn policy_allows_private_when_told_or_trusted() {
		let rpc: SocketAddr = "127.0.0.1:9944".parse().unwrap();
		let mirror: SocketAddr = "192.168.1.5:8080".parse().unwrap();
		let public: SocketAddr = "8.8.8.8:443".parse().unwrap();
		let strict = AddressPolicy::default();
		assert!(!strict.allows(rpc) && !strict.allows(mirror) && strict.allows(public));
		let trusted = AddressPolicy { allow_private: false, trusted: vec![mirror] };
		assert!(!trusted.allows(rpc) && trusted.allows(mirror));
		assert!(!trusted.allows("192.168.1.5:22".parse().unwrap()));
		let open = AddressPolicy { allow_private: true, trusted: Vec::new() };
		assert!(open.allows(rpc) && open.allows(mirror));
	}

	#[test]
	fn peers_and_sources_have_policies_of_their_own() {
		let peer: SocketAddr = "127.0.0.1:30400".parse().unwrap();
		let mirror: SocketAddr = "192.168.1.5:8080".parse().unwrap();
		let public: SocketAddr = "8.8.8.8:443".parse().unwrap();
		let strict = FetchConfig::default();
		assert!(!strict.allow_private_peers);
		assert!(!AddressPolicy::for_peers(&strict).allows(peer));
		assert!(AddressPolicy::for_peers(&strict).allows(public));
		// Private sources (and a trusted mirror) do not open the node to private peers.
		let sources_only = FetchConfig {
			allow_private_addresses: true,
			trusted_addresses: vec![mirror],
			..FetchConfig::default()
		};
		assert!(AddressPolicy::for_sources(&sources_only).allows(peer));
		let peers = AddressPolicy::for_peers(&sources_only);
		assert!(!peers.allows(peer) && !peers.allows(mirror) && peers.allows(public));
		// Private peers do not open the node to private sources.
		let peers_only = FetchConfig { allow_private_peers: true, ..FetchConfig::default() };
		assert!(AddressPolicy::for_peers(&peers_only).allows(peer));
		assert!(!AddressPolicy::for_sources(&peers_only).allows(peer));
	}

	#[tokio::test]
	async fn connector_refuses_forbidden_names_after_resolution() {
		let mut http = HttpConnector::new();
		http.enforce_http(false);
		let connector = GuardedConnector::new(http, AddressPolicy::default());
		// `localhost` is a name: the refusal comes from the resolved address.
		let uri = "http://localhost:9/".parse().unwrap();
		let Err(err) = connect(connector.http.clone(), Arc::clone(&connector.policy), uri).await
		else {
			panic!("a connection to localhost was allowed");
		};
		let found = find_forbidden(&*err).expect("a forbidden-address error");
		assert_eq!(found.host, "localhost");
		assert!(found.addr.is_loopback(), "{}", found.addr);
	}
}
