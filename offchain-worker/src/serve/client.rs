//! Who a request is from: the TCP peer, or behind a trusted reverse proxy the client the proxy
//! names in `X-Forwarded-For`.

use std::net::{IpAddr, SocketAddr};

use hyper::HeaderMap;

/// The request header a reverse proxy names its client in.
const X_FORWARDED_FOR: &str = "x-forwarded-for";

/// Whether `ip` is one of `list` (an IPv4-mapped IPv6 address is its IPv4 address).
pub(super) fn is_listed(ip: IpAddr, list: &[IpAddr]) -> bool {
	let ip = ip.to_canonical();
	list.iter().any(|listed| listed.to_canonical() == ip)
}

/// The client a request came from. `peer` (the TCP peer) itself unless it is one of
/// `trusted_proxies`; then the right-most address of `X-Forwarded-For` (all its lines in order)
/// that is not itself a trusted proxy (the left-most if they all are). A header that is missing,
/// empty or has anything but addresses in it is ignored: the request is `peer`'s.
pub(super) fn client_addr(peer: IpAddr, headers: &HeaderMap, trusted_proxies: &[IpAddr]) -> IpAddr {
	if !is_listed(peer, trusted_proxies) {
		return peer;
	}
	forwarded_for(headers)
		.and_then(|hops| {
			hops.iter()
				.rev()
				.find(|hop| !is_listed(**hop, trusted_proxies))
				.or(hops.first())
				.copied()
		})
		.unwrap_or(peer)
}

/// Every address of `X-Forwarded-For`, left to right; `None` if there is none or one entry is
/// not an address.
fn forwarded_for(headers: &HeaderMap) -> Option<Vec<IpAddr>> {
	let mut hops = Vec::new();
	for value in headers.get_all(X_FORWARDED_FOR) {
		for hop in value.to_str().ok()?.split(',') {
			hops.push(parse_hop(hop.trim())?);
		}
	}
	(!hops.is_empty()).then_some(hops)
}

/// One entry: an address, or an address with a port (`192.0.2.1:4711`, `[2001:db8::1]:4711`)
/// as some proxies write it, or a bracketed IPv6 address.
fn parse_hop(hop: &str) -> Option<IpAddr> {
	if let Ok(ip) = hop.parse::<IpAddr>() {
		return Some(ip);
	}
	if let Ok(addr) = hop.parse::<SocketAddr>() {
		return Some(addr.ip());
	}
	hop.strip_prefix('[')?.strip_suffix(']')?.parse::<std::net::Ipv6Addr>().ok().map(IpAddr::V6)
}

#[cfg(test)]
mod tests {
	use super::*;

	proptest::proptest! {
		/// An `X-Forwarded-For` header is any bytes: the client is the proxy, or an address the
		/// header names, never a panic.
		#[test]
		fn forwarded_for_takes_any_header(value in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..96)) {
			let Ok(value) = hyper::header::HeaderValue::from_bytes(&value) else { return Ok(()) };
			let mut headers = HeaderMap::new();
			headers.insert("x-forwarded-for", value.clone());
			let proxy = ip("10.0.0.1");
			let client = client_addr(proxy, &headers, &[proxy]);
			let text = String::from_utf8_lossy(value.as_bytes()).to_string();
			proptest::prop_assert!(client == proxy || text.contains(&client.to_string()) || text.contains(':'));
		}
	}

	fn ip(text: &str) -> IpAddr {
		text.parse().unwrap()
	}

	fn headers(values: &[&str]) -> HeaderMap {
		let mut headers = HeaderMap::new();
		for value in values {
			headers.append(X_FORWARDED_FOR, value.parse().unwrap());
		}
		headers
	}

	#[test]
	fn forwarded_for_is_read_only_from_trusted_proxies() {
		let proxy = ip("10.0.0.5");
		let trusted = [proxy];
		let forwarded = headers(&["203.0.113.7"]);
		assert_eq!(client_addr(proxy, &forwarded, &trusted), ip("203.0.113.7"));
		// Anyone else's header is their own claim: ignored.
		assert_eq!(client_addr(ip("198.51.100.1"), &forwarded, &trusted), ip("198.51.100.1"));
		assert_eq!(client_addr(proxy, &forwarded, &[]), proxy);
		// A trusted proxy on a dual-stack socket.
		assert_eq!(client_addr(ip("::ffff:10.0.0.5"), &forwarded, &trusted), ip("203.0.113.7"));
	}

	#[test]
	fn the_right_most_untrusted_hop_is_the_client() {
		let proxy = ip("10.0.0.5");
		let inner = ip("10.0.0.6");
		let trusted = [proxy, inner];
		// The client wrote its own first entry; the proxies appended what they saw.
		let chain = headers(&["192.0.2.99, 203.0.113.7, 10.0.0.6"]);
		assert_eq!(client_addr(proxy, &chain, &trusted), ip("203.0.113.7"));
		// Several lines are one list, in order.
		let lines = headers(&["192.0.2.99", "203.0.113.7", "10.0.0.6"]);
		assert_eq!(client_addr(proxy, &lines, &trusted), ip("203.0.113.7"));
		// Only trusted hops: the left-most is the client.
		let all_trusted = headers(&["10.0.0.6, 10.0.0.5"]);
		assert_eq!(client_addr(proxy, &all_trusted, &trusted), inner);
		// Ports and brackets as some proxies write them.
		let ported = headers(&["[2001:db8::7]:4711, 203.0.113.8:80"]);
		assert_eq!(client_addr(proxy, &ported, &trusted), ip("203.0.113.8"));
		let bracketed = headers(&["[2001:db8::7]"]);
		assert_eq!(client_addr(proxy, &bracketed, &trusted), ip("2001:db8::7"));
	}

	#[test]
	fn malformed_forwarded_for_is_ignored() {
		let proxy = ip("10.0.0.5");
		let trusted = [proxy];
		for bad in ["", " ", "unknown", "203.0.113.7,", "203.0.113.7, nonsense", "_hidden", "1.2.3"]
		{
			assert_eq!(client_addr(proxy, &headers(&[bad]), &trusted), proxy, "{bad:?}");
		}
		assert_eq!(client_addr(proxy, &headers(&["203.0.113.7", "junk"]), &trusted), proxy);
		assert_eq!(client_addr(proxy, &HeaderMap::new(), &trusted), proxy);
		let mut opaque = HeaderMap::new();
		opaque.insert(X_FORWARDED_FOR, hyper::header::HeaderValue::from_bytes(b"\xff").unwrap());
		assert_eq!(client_addr(proxy, &opaque, &trusted), proxy);
	}
}
