//! Retry policy helpers: randomised pauses and whom to blame when every source failed.

use std::time::Duration;

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

/// A pause between half and all of `backoff`, so that many nodes nominated together do
/// not retry in lockstep.
pub(super) fn jittered(backoff: Duration) -> Duration {
	backoff.mul_f64(0.5 + 0.5 * fastrand::f64())
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
	fn jitter_stays_within_half_and_full_backoff() {
		let base = Duration::from_millis(1000);
		for _ in 0..1000 {
			let pause = jittered(base);
			assert!(pause >= base / 2 && pause <= base, "{pause:?}");
		}
	}
}
