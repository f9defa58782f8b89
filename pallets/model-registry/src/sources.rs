//! What registration accepts, and what it costs.
//!
//! - A model's size must be at least one byte and at most `MaxModelSize`.
//! - Each source must be an `http://` or `https://` URL (scheme in any case) with a non-empty
//!   host, and no byte of the URL may be a space or a control character. The host is what
//!   follows the scheme up to the first `/`, `?` or `#`, without a `user@` part and a `:port`.
//! - The deposit grows with the bytes the network downloads to place the model:
//!   `ModelDeposit + ModelDepositPerByte * size_bytes * initial_replicas`.
//! - A nomination's deadline grows with the size: `download_deadline + size_bytes /
//!   MinDownloadBytesPerBlock` blocks (bounded through `MaxModelSize`).

use crate::{pallet::*, types::*};
use frame_support::{ensure, pallet_prelude::*};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::{traits::Saturating, SaturatedConversion};

/// Why a source URL is refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SourceError {
	/// Not `http://` or `https://`.
	Scheme,
	/// No host, or a space or control character.
	Malformed,
}

/// Check one source URL (see the module documentation).
pub fn check_source(url: &[u8]) -> Result<(), SourceError> {
	let rest = strip_prefix_ignore_case(url, b"https://")
		.or_else(|| strip_prefix_ignore_case(url, b"http://"))
		.ok_or(SourceError::Scheme)?;
	if url.iter().any(|b| *b <= b' ' || *b == 0x7f) {
		return Err(SourceError::Malformed);
	}
	let authority_end =
		rest.iter().position(|b| matches!(b, b'/' | b'?' | b'#')).unwrap_or(rest.len());
	let authority = &rest[..authority_end];
	let host_and_port = match authority.iter().rposition(|b| *b == b'@') {
		Some(at) => &authority[at + 1..],
		None => authority,
	};
	let host = if host_and_port.first() == Some(&b'[') {
		// An IPv6 literal: `[...]`, then an optional port.
		let close = host_and_port.iter().position(|b| *b == b']').ok_or(SourceError::Malformed)?;
		&host_and_port[1..close]
	} else {
		match host_and_port.iter().position(|b| *b == b':') {
			Some(colon) => &host_and_port[..colon],
			None => host_and_port,
		}
	};
	ensure!(!host.is_empty(), SourceError::Malformed);
	Ok(())
}

fn strip_prefix_ignore_case<'a>(url: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
	if url.len() >= prefix.len() && url[..prefix.len()].eq_ignore_ascii_case(prefix) {
		Some(&url[prefix.len()..])
	} else {
		None
	}
}

impl<T: Config> Pallet<T> {
	/// Check a model's size and sources (see the module documentation).
	pub(crate) fn check_model(size_bytes: Option<u64>, sources: &SourcesOf<T>) -> DispatchResult {
		if let Some(size) = size_bytes {
			ensure!(size > 0, Error::<T>::InvalidSize);
			ensure!(size <= T::MaxModelSize::get(), Error::<T>::ModelTooLarge);
		}
		ensure!(!sources.is_empty(), Error::<T>::NoSources);
		for url in sources.iter() {
			ensure!(!url.is_empty(), Error::<T>::EmptySource);
			check_source(url).map_err(|e| match e {
				SourceError::Scheme => Error::<T>::UnsupportedSourceScheme,
				SourceError::Malformed => Error::<T>::MalformedSource,
			})?;
		}
		Ok(())
	}

	/// Deposit of a model of `size_bytes` (see the module documentation).
	pub fn model_deposit(size_bytes: u64, p: &ParamsOf<T>) -> BalanceOf<T> {
		let bytes = u128::from(size_bytes).saturating_mul(u128::from(p.initial_replicas));
		let per_byte: BalanceOf<T> = bytes.saturated_into();
		T::ModelDeposit::get()
			.saturating_add(T::ModelDepositPerByte::get().saturating_mul(per_byte))
	}

	/// Blocks a node nominated for a model of `size_bytes` has to confirm.
	pub fn download_time(size_bytes: u64, p: &ParamsOf<T>) -> BlockNumberFor<T> {
		let transfer = size_bytes / T::MinDownloadBytesPerBlock::get().max(1);
		let transfer: BlockNumberFor<T> = transfer.saturated_into();
		p.download_deadline.saturating_add(transfer)
	}

	/// Storage deposit of a task input of `len` bytes.
	pub fn task_deposit(len: usize) -> BalanceOf<T> {
		let len: BalanceOf<T> = (len as u64).saturated_into();
		T::TaskInputDepositPerByte::get().saturating_mul(len)
	}
}
