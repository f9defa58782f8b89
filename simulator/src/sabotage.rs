//! A deliberate corruption of the registry's state, to show that the run stops when an
//! invariant breaks (`--break-at`).

use crate::runtime::Runtime;
use pallet_model_registry::NodeCount;

/// Make the node count disagree with the node records.
pub fn corrupt() {
	NodeCount::<Runtime>::mutate(|c| *c = c.saturating_add(1));
}
