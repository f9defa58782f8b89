//! Node endpoints are a bare `scheme://host[:port]`: other nodes only ever ask them for
//! `/v1/models/...`, never for a URL of the declaring node's choosing.

use super::*;
use crate::endpoint::{check_endpoint, EndpointError, MAX_HOST_LEN};
use sp_runtime::DispatchResult;

fn endpoint(url: &str) -> UrlOf<Test> {
	let bounded: UrlOf<Test> = BoundedVec::truncate_from(url.as_bytes().to_vec());
	assert_eq!(bounded.len(), url.len(), "{url} fits the mock's MaxUrlLen");
	bounded
}

fn set(who: AccountId, url: &str) -> DispatchResult {
	ModelRegistry::set_endpoint(RuntimeOrigin::signed(who), Some(endpoint(url)))
}

/// A path, a query, a fragment or a `user@` part is refused with `InvalidEndpoint`, and
/// nothing is stored.
#[test]
fn set_endpoint_refuses_anything_but_scheme_host_port() {
	new_test_ext().execute_with(|| {
		join_all([1]);
		for url in [
			"http://10.0.0.1:30400/admin",
			"http://10.0.0.1:30400/v1/models/",
			"http://10.0.0.1:30400?x=1",
			"http://10.0.0.1:30400/?x=1",
			"http://10.0.0.1:30400#frag",
			"http://user@10.0.0.1:30400",
			"http://user:pw@10.0.0.1:30400",
			"http://10.0.0.1:30400//",
			"http://10.0.0.1:",
			"http://10.0.0.1:0",
			"http://10.0.0.1:65536",
			"http://10.0.0.1:30400:1",
			"http://10.0.0.1\\@evil.example",
			"http://%31%30.0.0.1:30400",
			"HTTP://10.0.0.1:30400",
		] {
			assert_noop!(set(1, url), Error::<Test>::InvalidEndpoint);
		}
		assert!(NodeEndpoints::<Test>::get(1).is_none());
		for url in [
			"http://10.0.0.1:30400",
			"http://10.0.0.1:30400/",
			"https://node.example",
			"https://node-1.example.org:443/",
			"http://localhost:30400",
			"http://[2001:db8::1]:30400",
			"https://[::1]",
		] {
			assert_ok!(set(1, url));
			assert_eq!(NodeEndpoints::<Test>::get(1), Some(endpoint(url)));
		}
	});
}

#[test]
fn the_endpoint_check_names_what_is_wrong() {
	let check = |url: &str| check_endpoint(url.as_bytes());
	assert_eq!(check("ftp://10.0.0.1"), Err(EndpointError::Scheme));
	assert_eq!(check("10.0.0.1:30400"), Err(EndpointError::Scheme));
	assert_eq!(check(""), Err(EndpointError::Scheme));
	assert_eq!(check("http://a.example:1/x"), Err(EndpointError::Path));
	assert_eq!(check("http://a.example?"), Err(EndpointError::Path));
	assert_eq!(check("http://a.example#"), Err(EndpointError::Path));
	assert_eq!(check("http://u@a.example"), Err(EndpointError::UserInfo));
	assert_eq!(check("http://:80"), Err(EndpointError::Host));
	assert_eq!(check("http://"), Err(EndpointError::Host));
	assert_eq!(check("http:///"), Err(EndpointError::Host));
	assert_eq!(check("http://a b"), Err(EndpointError::Host));
	assert_eq!(check("http://a..b"), Err(EndpointError::Host));
	assert_eq!(check("http://a.example."), Err(EndpointError::Host));
	assert_eq!(check("http://-a.example"), Err(EndpointError::Host));
	assert_eq!(check("http://a-.example"), Err(EndpointError::Host));
	assert_eq!(check("http://a_b.example"), Err(EndpointError::Host));
	assert_eq!(check("http://n\u{e4}me.example"), Err(EndpointError::Host));
	// Numeric hosts are read as IPv4 by URL parsers: only the dotted quad is taken.
	assert_eq!(check("http://0x7f000001"), Err(EndpointError::Host));
	assert_eq!(check("http://2130706433"), Err(EndpointError::Host));
	assert_eq!(check("http://127.1"), Err(EndpointError::Host));
	assert_eq!(check("http://010.0.0.1"), Err(EndpointError::Host));
	assert_eq!(check("http://256.0.0.1"), Err(EndpointError::Host));
	assert_eq!(check("http://a.1"), Err(EndpointError::Host));
	assert_eq!(check("http://[::1"), Err(EndpointError::Host));
	assert_eq!(check("http://[::1]x"), Err(EndpointError::Host));
	assert_eq!(check("http://[fe80::1%eth0]"), Err(EndpointError::Host));
	assert_eq!(check("http://[10.0.0.1]"), Err(EndpointError::Host));
	assert_eq!(check("http://a.example:080"), Err(EndpointError::Port));
	assert_eq!(check("http://a.example:99999"), Err(EndpointError::Port));
	assert_eq!(check("http://a.example:123456"), Err(EndpointError::Port));
	assert_eq!(check("http://a.example:8o"), Err(EndpointError::Port));
	assert_eq!(check("http://[::1]:"), Err(EndpointError::Port));

	for url in
		["http://1.2.3.4", "http://1.2.3.4:65535", "https://xn--nme-qla.example:1", "http://N1"]
	{
		assert_eq!(check(url), Ok(()), "{url}");
	}
	// The longest labels and names, and one byte more.
	let label = "a".repeat(63);
	assert_eq!(check(&format!("http://{label}")), Ok(()));
	assert_eq!(check(&format!("http://{label}a")), Err(EndpointError::Host));
	let name = [&label[..], &label, &label, &label[..61]].join(".");
	assert_eq!(name.len(), MAX_HOST_LEN);
	assert_eq!(check(&format!("https://{name}:65535/")), Ok(()));
	assert_eq!(check(&format!("https://{name}a:65535/")), Err(EndpointError::Host));
}

/// An endpoint stored before the check (with a path) is not handed to other nodes as a peer.
#[test]
fn pending_work_leaves_out_endpoints_that_are_not_bare() {
	new_test_ext().execute_with(|| {
		join_all(1..=3);
		assert_ok!(set(2, "http://10.0.0.2:30400"));
		NodeEndpoints::<Test>::insert(3, endpoint("http://10.0.0.3:9944/admin?x=1"));
		let model = register(1);
		run_blocks(2);
		assert_eq!(nominees(model), vec![1, 2, 3]);
		let work = ModelRegistry::pending_work(1).expect("a node");
		let nomination = work.nominations.into_iter().next().expect("nominated");
		let peers: Vec<Vec<u8>> = nomination.peers.into_iter().map(|p| p.endpoint).collect();
		assert_eq!(peers, vec![b"http://10.0.0.2:30400".to_vec()]);
	});
}
