//! Attacks on eligibility: capacity claims that cost nothing.

use super::*;

const GIB: u64 = 1 << 30;

/// Sybils declared `u64::MAX` of disk and VRAM for the minimum stake and were eligible for every
/// model: where few honest nodes qualify (models needing more than 80 GB of VRAM), a tenth of
/// the network could be most of the eligible pool. The stake now covers the declared capacity:
/// VRAM and disk are priced per GiB, so a claim that makes a node eligible for rare models
/// costs in proportion.
#[test]
fn sybil_declaring_huge_vram() {
	attack_ext().execute_with(|| {
		let unlimited = NodeCapacity { disk_bytes: u64::MAX, vram_bytes: u64::MAX };
		let min = <Test as crate::Config>::MinNodeStake::get();
		assert_noop!(
			ModelRegistry::join(RuntimeOrigin::signed(1), unlimited, min),
			Error::<Test>::StakeTooLow
		);
		assert_noop!(
			ModelRegistry::join(RuntimeOrigin::signed(1), unlimited, INITIAL_BALANCE),
			Error::<Test>::StakeTooLow
		);
		// The price grows with the claim: 80 GiB of VRAM costs 80 times one GiB.
		let with_vram = |gib: u64| NodeCapacity { disk_bytes: 0, vram_bytes: gib * GIB };
		let per_gib = <Test as crate::Config>::StakePerVramGib::get();
		assert_eq!(ModelRegistry::required_stake(&with_vram(0)), min);
		assert_eq!(ModelRegistry::required_stake(&with_vram(80)), min + 80 * per_gib);
		assert_eq!(ModelRegistry::required_stake(&with_vram(81)) - min, 81 * per_gib);

		// A node that joined small cannot claim more than its stake covers later.
		let small = NodeCapacity { disk_bytes: GIB, vram_bytes: GIB };
		let stake = ModelRegistry::required_stake(&small);
		assert_ok!(ModelRegistry::join(RuntimeOrigin::signed(2), small, stake));
		assert_noop!(
			ModelRegistry::update_capacity(RuntimeOrigin::signed(2), with_vram(81)),
			Error::<Test>::StakeTooLow
		);
		// Claiming less is always allowed.
		let smaller = NodeCapacity { disk_bytes: GIB / 2, vram_bytes: 0 };
		assert_ok!(ModelRegistry::update_capacity(RuntimeOrigin::signed(2), smaller));
		// Paying for the claim makes it possible.
		let rare = with_vram(81);
		assert_ok!(ModelRegistry::join(
			RuntimeOrigin::signed(3),
			rare,
			ModelRegistry::required_stake(&rare)
		));
		assert_eq!(held(HoldReason::NodeStake, 3), min + 81 * per_gib);
	});
}

/// A slash lowers the stake below what the declared capacity costs: the node keeps what it
/// declared, but may not claim more until it rejoins with a stake that covers it.
#[test]
fn a_slashed_node_cannot_grow_its_claim() {
	attack_ext().execute_with(|| {
		let capacity = NodeCapacity { disk_bytes: GIB, vram_bytes: GIB };
		let stake = ModelRegistry::required_stake(&capacity);
		assert_ok!(ModelRegistry::join(RuntimeOrigin::signed(1), capacity, stake));
		Nodes::<Test>::mutate(1, |n| n.as_mut().unwrap().stake = stake - 1);
		let more = NodeCapacity { disk_bytes: 2 * GIB, vram_bytes: GIB };
		assert_noop!(
			ModelRegistry::update_capacity(RuntimeOrigin::signed(1), more),
			Error::<Test>::StakeTooLow
		);
		assert_ok!(ModelRegistry::update_capacity(RuntimeOrigin::signed(1), capacity));
	});
}
