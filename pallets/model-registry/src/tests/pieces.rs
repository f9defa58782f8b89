//! Piece manifests and node endpoints (built-in storage).

use super::*;
use crate::pieces::{leaf_hash, merkle_root, piece_count, piece_size, MAX_PIECES};
use sp_io::hashing::sha2_256;

fn inner(left: H256, right: H256) -> H256 {
	let mut buf = vec![1u8];
	buf.extend_from_slice(left.as_bytes());
	buf.extend_from_slice(right.as_bytes());
	H256(sha2_256(&buf))
}

#[test]
fn piece_sizes_follow_the_rule() {
	const MIB: u64 = 1 << 20;
	const GIB: u64 = 1 << 30;
	assert_eq!(piece_size(1), 4 * MIB);
	assert_eq!(piece_count(1), 1);
	assert_eq!(piece_count(4 * MIB), 1);
	assert_eq!(piece_count(4 * MIB + 1), 2);
	assert_eq!(piece_size(4 * GIB), 4 * MIB);
	assert_eq!(piece_count(4 * GIB), 1024);
	assert_eq!(piece_size(4 * GIB + 1), 8 * MIB);
	assert_eq!(piece_count(4 * GIB + 1), 513);
	assert_eq!(piece_size(256 * GIB), 256 * MIB);
	assert_eq!(piece_count(256 * GIB), u64::from(MAX_PIECES));
	assert_eq!(piece_size(u64::MAX), 256 * MIB);
}

#[test]
fn merkle_root_vectors() {
	let (a, b, c) = (leaf_hash(b"a"), leaf_hash(b"b"), leaf_hash(b"c"));
	assert_eq!(a, H256(sha2_256(b"\0a")));
	assert_eq!(merkle_root(&[a]), a);
	assert_eq!(merkle_root(&[a, b]), inner(a, b));
	assert_eq!(merkle_root(&[a, b, c]), inner(inner(a, b), c));
	assert_eq!(merkle_root(&[a, b, c, a]), inner(inner(a, b), inner(c, a)));
	assert_eq!(merkle_root(&[a, b, c, a, b]), inner(inner(inner(a, b), inner(c, a)), b));
}

#[test]
fn registration_keeps_the_manifest_until_the_record_goes() {
	new_test_ext().execute_with(|| {
		let size = 9 << 20;
		let wrong = pieces(1);
		assert_noop!(
			ModelRegistry::register_model(
				RuntimeOrigin::signed(80),
				model_id(1),
				size,
				sources(),
				0,
				wrong,
				ExecutorKind::SpotCheck
			),
			Error::<Test>::PieceCountMismatch
		);
		let leaves = pieces(size);
		assert_eq!(leaves.len(), 3);
		assert_ok!(ModelRegistry::register_model(
			RuntimeOrigin::signed(80),
			model_id(1),
			size,
			sources(),
			0,
			leaves.clone(),
			ExecutorKind::SpotCheck
		));
		let manifest = ModelPieces::<Test>::get(model_id(1)).unwrap();
		assert_eq!(manifest.pieces, leaves);
		assert_eq!(manifest.piece_size, 4 << 20);
		assert_eq!(manifest.root, merkle_root(&leaves));
		assert_ok!(ModelRegistry::deregister_model(RuntimeOrigin::signed(80), model_id(1)));
		run_blocks(3);
		assert!(Models::<Test>::get(model_id(1)).is_none());
		assert!(ModelPieces::<Test>::get(model_id(1)).is_none());
	});
}

fn endpoint(url: &str) -> UrlOf<Test> {
	BoundedVec::truncate_from(url.as_bytes().to_vec())
}

#[test]
fn nodes_declare_their_endpoints() {
	new_test_ext().execute_with(|| {
		let set = |who: AccountId, url: Option<&str>| {
			ModelRegistry::set_endpoint(RuntimeOrigin::signed(who), url.map(endpoint))
		};
		assert_noop!(set(1, Some("http://10.0.0.1:30400")), Error::<Test>::NotANode);
		join_all([1]);
		assert_noop!(set(1, Some("ftp://10.0.0.1")), Error::<Test>::InvalidEndpoint);
		assert_noop!(set(1, Some("http://")), Error::<Test>::InvalidEndpoint);
		assert_noop!(set(1, Some("http://a b")), Error::<Test>::InvalidEndpoint);
		assert_ok!(set(1, Some("http://10.0.0.1:30400")));
		assert_eq!(NodeEndpoints::<Test>::get(1), Some(endpoint("http://10.0.0.1:30400")));
		assert!(take_events().contains(&Event::NodeEndpointSet {
			node: 1,
			endpoint: Some(endpoint("http://10.0.0.1:30400"))
		}));
		assert_ok!(set(1, None));
		assert!(NodeEndpoints::<Test>::get(1).is_none());
		assert_ok!(set(1, Some("https://node.example")));
		// Leaving removes it with the node's record.
		assert_ok!(ModelRegistry::leave(RuntimeOrigin::signed(1)));
		run_blocks(3);
		assert!(Nodes::<Test>::get(1).is_none());
		assert!(NodeEndpoints::<Test>::get(1).is_none());
	});
}

/// Nominees learn each other and the holders, and split the pieces fetched from the sources.
#[test]
fn pending_work_lists_peers_and_source_shares() {
	new_test_ext().execute_with(|| {
		join_all(1..=4);
		for who in 1..=3u64 {
			let url = format!("http://10.0.0.{who}:30400");
			assert_ok!(ModelRegistry::set_endpoint(
				RuntimeOrigin::signed(who),
				Some(endpoint(&url))
			));
		}
		let model = register(1);
		run_blocks(2);
		// The target (10) exceeds the nodes: all four are nominated.
		assert_eq!(nominees(model), vec![1, 2, 3, 4]);
		let nomination = |who: AccountId| {
			ModelRegistry::pending_work(who).unwrap().nominations.into_iter().next().unwrap()
		};
		let mut shares: Vec<u32> = (1..=4)
			.map(|who| {
				let (index, count) = nomination(who).source_share;
				assert_eq!(count, 4);
				index
			})
			.collect();
		shares.sort();
		assert_eq!(shares, vec![0, 1, 2, 3]);
		let mine = nomination(1);
		assert_eq!(mine.manifest, ModelPieces::<Test>::get(model));
		let mut peers: Vec<(Vec<u8>, bool)> =
			mine.peers.into_iter().map(|p| (p.endpoint, p.holder)).collect();
		peers.sort();
		// Node 4 declared no endpoint.
		assert_eq!(
			peers,
			vec![
				(b"http://10.0.0.2:30400".to_vec(), false),
				(b"http://10.0.0.3:30400".to_vec(), false)
			]
		);
		assert_ok!(ModelRegistry::confirm_stored(RuntimeOrigin::signed(2), model));
		let peers: Vec<(Vec<u8>, bool)> =
			nomination(1).peers.into_iter().map(|p| (p.endpoint, p.holder)).collect();
		assert_eq!(peers[0], (b"http://10.0.0.2:30400".to_vec(), true));
		assert_eq!(nomination(1).source_share.1, 3);
	});
}

/// Accounts of one machine (same endpoint) are not each other's peers and share one part of
/// the source pieces, so a node never waits for pieces from itself.
#[test]
fn accounts_of_one_machine_are_one_nominee() {
	new_test_ext().execute_with(|| {
		join_all(1..=3);
		for who in 1..=2u64 {
			assert_ok!(ModelRegistry::set_endpoint(
				RuntimeOrigin::signed(who),
				Some(endpoint("http://10.0.0.1:30400"))
			));
		}
		assert_ok!(ModelRegistry::set_endpoint(
			RuntimeOrigin::signed(3),
			Some(endpoint("http://10.0.0.3:30400"))
		));
		let model = register(1);
		run_blocks(2);
		assert_eq!(nominees(model), vec![1, 2, 3]);
		let nomination = |who: AccountId| {
			ModelRegistry::pending_work(who).unwrap().nominations.into_iter().next().unwrap()
		};
		for who in [1, 2] {
			let n = nomination(who);
			let peers: Vec<Vec<u8>> = n.peers.into_iter().map(|p| p.endpoint).collect();
			assert_eq!(peers, vec![b"http://10.0.0.3:30400".to_vec()]);
			assert_eq!(n.source_share.1, 2);
		}
		assert_eq!(nomination(1).source_share, nomination(2).source_share);
		assert_ne!(nomination(1).source_share.0, nomination(3).source_share.0);
		assert_eq!(nomination(3).peers.len(), 1);
	});
}
