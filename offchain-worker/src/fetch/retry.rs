//! Retry policy helpers: randomised pauses and whom to blame when every source failed.

use std::time::{Duration, Instant};

use crate::error::FetchError;

/// The error to report once every source failed, from each source's latest failure.
///
/// A wrong hash or size wins (the source is to blame whatever else happened), then an
/// answer from a source (HTTP error, refused address); only if every source failed below
/// HTTP is the result [`FetchError::NetworkUnreachable`], which blames no source.
pub(super) fn blame(failures: Vec<Option<FetchError>>) -> FetchError {
	let rank = |e: &FetchError| match e {
		FetchError::HashMismatch { .. } => 3,
		FetchError::SizeMismatch { .. } => 2,
		FetchError::NetworkUnreachable(_) => 0,
		_ => 1,
	};
	let mut worst: Option<FetchError> = None;
	for failure in failures.into_iter().flatten() {
		if worst.as_ref().is_none_or(|w| rank(&failure) >= rank(w)) {
			worst = Some(failure);
		}
	}
	worst.unwrap_or_else(|| FetchError::SourceUnavailable("no source delivered the file".into()))
}

/// Upper bound of any delay [`instant_after`] adds: about 30 years.
const FAR: Duration = Duration::from_secs(1 << 30);

/// The instant `delay` from now, never overflowing: a delay past what the platform's clock can
/// represent (say, taken from a hostile header) becomes a far but valid instant. `Instant + Duration`
/// panics on overflow, and a panic in any thread ends the node.
pub(crate) fn instant_after(delay: Duration) -> Instant {
	let now = Instant::now();
	now.checked_add(delay).or_else(|| now.checked_add(FAR)).unwrap_or(now)
}

/// A pause between half and all of `backoff`, so that many nodes nominated together do
/// not retry in lockstep.
pub(super) fn jittered(backoff: Duration) -> Duration {
	// `mul_f64` panics on a product it cannot represent: stay far below that.
	backoff.min(FAR).mul_f64(0.5 + 0.5 * fastrand::f64())
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn blame_prefers_source_faults_over_network_failures() {
		let net = || Some(FetchError::NetworkUnreachable("refused".into()));
		let gone = || Some(FetchError::SourceUnavailable("HTTP 404".into()));
		let hash = || Some(FetchError::HashMismatch { expected: "a".into(), actual: "b".into() });
		assert!(matches!(blame(vec![net(), net()]), FetchError::NetworkUnreachable(_)));
		assert!(matches!(blame(vec![net(), gone(), net()]), FetchError::SourceUnavailable(_)));
		assert!(matches!(blame(vec![gone(), hash(), net()]), FetchError::HashMismatch { .. }));
		assert!(matches!(blame(vec![None]), FetchError::SourceUnavailable(_)));
	}

	#[test]
	fn instant_after_never_overflows() {
		let before = Instant::now();
		assert!(instant_after(Duration::MAX) >= before);
		assert!(instant_after(Duration::from_secs(u64::MAX)) >= before);
		let soon = instant_after(Duration::from_secs(5));
		assert!(soon >= before + Duration::from_secs(5));
	}

	#[test]
	fn jitter_stays_within_half_and_full_backoff() {
		let base = Duration::from_millis(1000);
		for _ in 0..1000 {
			let pause = jittered(base);
			assert!(pause >= base / 2 && pause <= base, "{pause:?}");
		}
	}
}
