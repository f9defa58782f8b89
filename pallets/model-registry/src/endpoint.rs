//! What a node may declare as its endpoint (`set_endpoint`).
//!
//! Other nodes send `GET <endpoint>/v1/models/<sha256 hex>` (and `…/pieces`) to it, so the
//! endpoint must name a server and nothing else: a URL with a path, a query or a fragment
//! would let a node make the others fetch arbitrary URLs of a server. An endpoint is exactly
//!
//! - `http://` or `https://` (lowercase),
//! - a host: a DNS name (labels of 1 to 63 ASCII letters, digits and `-`, not starting or ending
//!   with `-`, separated by single dots, 253 bytes at most, no trailing dot; a name whose last
//!   label starts with a digit must be a dotted-quad IPv4 address without leading zeros), or an
//!   IPv6 address in brackets (`[2001:db8::1]`, no zone),
//! - an optional port: `:` and 1 to 65535 in decimal without leading zeros; without it the
//!   scheme's port (80 or 443) is meant, as for a TLS proxy in front of the piece server,
//! - an optional final `/`, and nothing after it.
//!
//! No `user:password@`, no percent-encoding, no spaces or control characters. The check reads
//! each byte a bounded number of times (the URL is already bounded by `MaxUrlLen`).

use core::net::{Ipv4Addr, Ipv6Addr};

/// Longest DNS name accepted as a host (RFC 1035, without the trailing dot).
pub const MAX_HOST_LEN: usize = 253;
/// Longest label of a DNS name (RFC 1035).
const MAX_LABEL_LEN: usize = 63;

/// Why an endpoint is refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum EndpointError {
	/// It does not start with `http://` or `https://`.
	Scheme,
	/// It carries a `user@` or `user:password@` part.
	UserInfo,
	/// The host is missing or is neither a DNS name, an IPv4 address nor a bracketed IPv6
	/// address.
	Host,
	/// A `:` not followed by a port from 1 to 65535 (decimal, no leading zero).
	Port,
	/// Something follows the authority other than a single `/`: a path, a query or a fragment.
	Path,
}

impl EndpointError {
	/// A short explanation, for command-line and log messages.
	pub fn as_str(self) -> &'static str {
		match self {
			Self::Scheme => "the endpoint must start with http:// or https://",
			Self::UserInfo => "the endpoint must not carry a user name or password",
			Self::Host => {
				"the endpoint's host must be a DNS name, an IPv4 address or [an IPv6 address]"
			}
			Self::Port => "the endpoint's port must be a number from 1 to 65535",
			Self::Path => {
				"the endpoint must not have a path, query or fragment (only scheme://host:port)"
			}
		}
	}
}

/// Check a node endpoint (see the module documentation).
pub fn check_endpoint(url: &[u8]) -> Result<(), EndpointError> {
	let rest = url
		.strip_prefix(b"https://")
		.or_else(|| url.strip_prefix(b"http://"))
		.ok_or(EndpointError::Scheme)?;
	let end = rest.iter().position(|b| matches!(b, b'/' | b'?' | b'#')).unwrap_or(rest.len());
	let (authority, tail) = rest.split_at(end);
	if !tail.is_empty() && tail != b"/" {
		return Err(EndpointError::Path);
	}
	if authority.contains(&b'@') {
		return Err(EndpointError::UserInfo);
	}
	let (host, port) = match authority.strip_prefix(b"[") {
		Some(bracketed) => {
			let close = bracketed.iter().position(|b| *b == b']').ok_or(EndpointError::Host)?;
			let (address, after) = bracketed.split_at(close);
			check_ipv6(address)?;
			// `after` starts with the `]`.
			let port = match after.get(1..) {
				Some([]) | None => None,
				Some([b':', port @ ..]) => Some(port),
				Some(_) => return Err(EndpointError::Host),
			};
			(None, port)
		}
		None => match authority.iter().position(|b| *b == b':') {
			Some(colon) => {
				let (host, port) = authority.split_at(colon);
				// `port` starts with the `:`.
				(Some(host), port.get(1..))
			}
			None => (Some(authority), None),
		},
	};
	if let Some(host) = host {
		check_host(host)?;
	}
	if let Some(port) = port {
		check_port(port)?;
	}
	Ok(())
}

/// A DNS name or a dotted-quad IPv4 address.
fn check_host(host: &[u8]) -> Result<(), EndpointError> {
	if host.is_empty() || host.len() > MAX_HOST_LEN {
		return Err(EndpointError::Host);
	}
	let mut last: &[u8] = &[];
	for label in host.split(|b| *b == b'.') {
		let well_formed = !label.is_empty()
			&& label.len() <= MAX_LABEL_LEN
			&& label.first() != Some(&b'-')
			&& label.last() != Some(&b'-')
			&& label.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-');
		if !well_formed {
			return Err(EndpointError::Host);
		}
		last = label;
	}
	// A name ending in a numeric label is read as an IPv4 address by URL parsers (even
	// `0x7f.1`): only the plain dotted-quad form is taken.
	if last.first().is_some_and(u8::is_ascii_digit) {
		let text = core::str::from_utf8(host).map_err(|_| EndpointError::Host)?;
		text.parse::<Ipv4Addr>().map_err(|_| EndpointError::Host)?;
	}
	Ok(())
}

/// The inside of `[...]`: an IPv6 address without a zone.
fn check_ipv6(address: &[u8]) -> Result<(), EndpointError> {
	let text = core::str::from_utf8(address).map_err(|_| EndpointError::Host)?;
	text.parse::<Ipv6Addr>().map(|_| ()).map_err(|_| EndpointError::Host)
}

/// 1 to 65535 in decimal, without a leading zero.
fn check_port(port: &[u8]) -> Result<(), EndpointError> {
	if port.is_empty() || port.len() > 5 || port.first() == Some(&b'0') {
		return Err(EndpointError::Port);
	}
	let mut value: u32 = 0;
	for b in port {
		if !b.is_ascii_digit() {
			return Err(EndpointError::Port);
		}
		value = value * 10 + u32::from(b - b'0');
	}
	if value > u32::from(u16::MAX) {
		return Err(EndpointError::Port);
	}
	Ok(())
}
