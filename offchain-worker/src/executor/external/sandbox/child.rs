//! What the engine's child process does between `fork` and `exec`, and the probe that finds
//! out which of it this system allows.
//!
//! Everything here that runs in a forked child makes only async-signal-safe system calls and
//! does not allocate: the node is multi-threaded, and another thread may have held the
//! allocator's lock at the moment of the fork.

use std::{io, os::unix::io::RawFd, ptr};

/// A Landlock ruleset made before the fork and enforced in the child.
#[cfg(target_os = "linux")]
pub(super) type Ruleset = landlock::RulesetCreated;
/// Landlock exists on Linux only.
#[cfg(not(target_os = "linux"))]
pub(super) type Ruleset = std::convert::Infallible;

/// What this system lets the sandbox use, found by [`probe`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Support {
	/// The node runs as root (effective user id 0).
	pub root: bool,
	/// As root, the child could switch to the sandbox user.
	pub switch_user: bool,
	/// The child could make a new network namespace (as root, or in a new user namespace).
	pub network_namespace: bool,
	/// The child could make a new user namespace (after the switch of user, as root).
	pub user_namespace: bool,
	/// The kernel's Landlock ABI version; 0 if it has none (or it is disabled).
	pub landlock_abi: i32,
}

impl Support {
	/// Whether the process limit can bind an engine run as `user` (when root): it runs as
	/// another user than root, or (the node not being root) in a user namespace of its own.
	/// Otherwise root is exempt from it, or it would count the node's own threads.
	pub fn limits_processes(&self, user: Option<(u32, u32)>) -> bool {
		if self.root {
			self.switch_user && user.is_some()
		} else {
			self.user_namespace
		}
	}
}

impl std::fmt::Display for Support {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		let yes = |b: bool| if b { "yes" } else { "no" };
		write!(
			f,
			"node is root: {}, user switch: {}, network namespace: {}, user namespace: {}, \
			 Landlock ABI: {}",
			yes(self.root),
			yes(self.switch_user),
			yes(self.network_namespace),
			yes(self.user_namespace),
			self.landlock_abi,
		)
	}
}

/// Probe result bits (the probe child's exit status).
const SWITCHED: i32 = 1;
const NETNS: i32 = 2;
const USERNS: i32 = 4;

/// Finds out which confinement steps this system allows, by trying them in a forked child
/// that then exits; `user` is the user a node running as root switches to.
pub fn probe(user: Option<(u32, u32)>) -> Support {
	// SAFETY: a plain system call.
	let root = unsafe { libc::geteuid() } == 0;
	let bits = match probe_child(root, user) {
		Ok(bits) => bits,
		Err(e) => {
			log::warn!(target: "modelnet", "cannot probe the external engine sandbox: {e}");
			0
		}
	};
	Support {
		root,
		switch_user: root && bits & SWITCHED != 0,
		network_namespace: bits & NETNS != 0,
		user_namespace: bits & USERNS != 0,
		landlock_abi: landlock_abi(),
	}
}

/// The running kernel's Landlock ABI version, 0 without Landlock.
fn landlock_abi() -> i32 {
	#[cfg(target_os = "linux")]
	{
		const LANDLOCK_CREATE_RULESET_VERSION: libc::c_uint = 1;
		// SAFETY: with a null attribute pointer and the version flag, the call only returns
		// the ABI version (or an error).
		let abi = unsafe {
			libc::syscall(
				libc::SYS_landlock_create_ruleset,
				ptr::null::<libc::c_void>(),
				0usize,
				LANDLOCK_CREATE_RULESET_VERSION,
			)
		};
		i32::try_from(abi).unwrap_or(0).max(0)
	}
	#[cfg(not(target_os = "linux"))]
	0
}

/// Forks a child that tries the steps and reports which worked in its exit status.
fn probe_child(root: bool, user: Option<(u32, u32)>) -> io::Result<i32> {
	// SAFETY: the child makes only async-signal-safe system calls, then `_exit`s.
	let pid = unsafe { libc::fork() };
	if pid < 0 {
		return Err(io::Error::last_os_error());
	}
	if pid == 0 {
		// SAFETY: in the forked child; see above.
		unsafe { libc::_exit(probe_steps(root, user)) }
	}
	let mut status = 0;
	loop {
		// SAFETY: waits for our own child; `status` outlives the call.
		let rc = unsafe { libc::waitpid(pid, &mut status, 0) };
		if rc == pid {
			break;
		}
		let err = io::Error::last_os_error();
		if err.kind() != io::ErrorKind::Interrupted {
			return Err(err);
		}
	}
	if libc::WIFEXITED(status) {
		Ok(libc::WEXITSTATUS(status))
	} else {
		Err(io::Error::other(format!("probe ended with status {status}")))
	}
}

/// The probe's steps, in the forked child.
///
/// # Safety
///
/// Only in a child just forked: it changes the process's credentials and namespaces.
unsafe fn probe_steps(root: bool, user: Option<(u32, u32)>) -> i32 {
	let mut bits = 0;
	if root {
		if unshare(NEW_NET) {
			bits |= NETNS;
		}
		if let Some((uid, gid)) = user {
			if libc::setgroups(0, ptr::null()) != 0
				|| libc::setgid(gid) != 0
				|| libc::setuid(uid) != 0
			{
				return bits;
			}
			bits |= SWITCHED;
			if unshare(NEW_USER) {
				bits |= USERNS;
			}
		}
	} else if unshare(NEW_USER | NEW_NET) {
		bits |= USERNS | NETNS;
	} else if unshare(NEW_USER) {
		bits |= USERNS;
	}
	bits
}

#[cfg(target_os = "linux")]
const NEW_NET: libc::c_int = libc::CLONE_NEWNET;
#[cfg(target_os = "linux")]
const NEW_USER: libc::c_int = libc::CLONE_NEWUSER;
#[cfg(not(target_os = "linux"))]
const NEW_NET: libc::c_int = 0;
#[cfg(not(target_os = "linux"))]
const NEW_USER: libc::c_int = 0;

/// `unshare(flags)`; whether it worked (never on systems without namespaces).
///
/// # Safety
///
/// Changes the calling process's namespaces.
unsafe fn unshare(flags: libc::c_int) -> bool {
	#[cfg(target_os = "linux")]
	{
		libc::unshare(flags) == 0
	}
	#[cfg(not(target_os = "linux"))]
	{
		let _ = flags;
		false
	}
}

/// Resource limits for the child (`None`: left as inherited).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Limits {
	/// `RLIMIT_AS`, bytes.
	pub memory: Option<u64>,
	/// `RLIMIT_NPROC`.
	pub processes: Option<u64>,
	/// `RLIMIT_FSIZE`, bytes.
	pub file_size: Option<u64>,
	/// `RLIMIT_CPU`, seconds.
	pub cpu_secs: Option<u64>,
}

impl Limits {
	/// The limits lowered to what the node's own hard limits allow (a process that is not
	/// root cannot raise them).
	pub fn clamped(self) -> Self {
		// SAFETY: plain system calls filling in a local struct.
		let hard = |resource| unsafe {
			let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
			if libc::getrlimit(resource, &mut lim) == 0 {
				lim.rlim_max
			} else {
				libc::RLIM_INFINITY
			}
		};
		let clamp = |value: Option<u64>, hard: libc::rlim_t| value.map(|v| v.min(hard));
		Self {
			memory: clamp(self.memory, hard(libc::RLIMIT_AS)),
			processes: clamp(self.processes, hard(libc::RLIMIT_NPROC)),
			file_size: clamp(self.file_size, hard(libc::RLIMIT_FSIZE)),
			cpu_secs: clamp(self.cpu_secs, hard(libc::RLIMIT_CPU)),
		}
	}
}

/// What the child applies, decided before the fork.
#[derive(Debug)]
pub(super) struct Plan {
	/// Switch to this user and group (the node is root).
	pub user: Option<(u32, u32)>,
	/// Make a network namespace before switching user (the node is root).
	pub network_namespace_as_root: bool,
	/// Make a user namespace (after switching user).
	pub user_namespace: bool,
	/// Make the network namespace with the user namespace (the node is not root).
	pub network_namespace_in_user_namespace: bool,
	/// The resource limits.
	pub limits: Limits,
	/// The model's descriptor, to be inherited by the engine.
	pub model_fd: RawFd,
	/// The Landlock ruleset to enforce.
	pub ruleset: Option<Ruleset>,
}

/// What the child applies; moved into the `pre_exec` hook.
#[derive(Debug)]
pub(in crate::executor::external) struct Child {
	plan: Plan,
}

impl Child {
	/// What the child applies.
	pub(super) fn new(plan: Plan) -> Self {
		Self { plan }
	}

	/// The user the child switches to.
	pub fn user(&self) -> Option<(u32, u32)> {
		self.plan.user
	}

	/// Confines the calling process. Call only in the forked child, right before `exec`: it
	/// makes only async-signal-safe system calls and does not allocate (errors carry the OS
	/// error code only).
	pub fn apply(&mut self) -> io::Result<()> {
		let check = |ok: bool| if ok { Ok(()) } else { Err(io::Error::last_os_error()) };
		let plan = &mut self.plan;
		// SAFETY: this runs in the forked child only (see above); every call is a system call
		// on values owned by this function.
		unsafe {
			if let Some((uid, gid)) = plan.user {
				if plan.network_namespace_as_root {
					check(unshare(NEW_NET))?;
				}
				check(libc::setgroups(0, ptr::null()) == 0)?;
				check(libc::setgid(gid) == 0)?;
				check(libc::setuid(uid) == 0)?;
			} else if plan.network_namespace_as_root {
				check(unshare(NEW_NET))?;
			}
			if plan.user_namespace {
				let net = if plan.network_namespace_in_user_namespace { NEW_NET } else { 0 };
				check(unshare(NEW_USER | net))?;
			}
			// After the user namespace: the namespace's own limit is the one set here.
			let limits = plan.limits;
			set_limit(libc::RLIMIT_AS, limits.memory)?;
			set_limit(libc::RLIMIT_NPROC, limits.processes)?;
			set_limit(libc::RLIMIT_FSIZE, limits.file_size)?;
			set_limit(libc::RLIMIT_CPU, limits.cpu_secs)?;
			set_limit(libc::RLIMIT_CORE, Some(0))?;
			#[cfg(target_os = "linux")]
			check(libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0)?;
			// The model's descriptor is close-on-exec in the node; the engine keeps it.
			check(libc::fcntl(plan.model_fd, libc::F_SETFD, 0) == 0)?;
		}
		if let Some(ruleset) = plan.ruleset.take() {
			restrict(ruleset)?;
		}
		Ok(())
	}
}

/// Sets a resource's soft and hard limit to `value` (nothing for `None`).
///
/// # Safety
///
/// Lowers the calling process's limits for good (it is not root).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
unsafe fn set_limit(resource: libc::__rlimit_resource_t, value: Option<u64>) -> io::Result<()> {
	set_limit_raw(|lim| libc::setrlimit(resource, lim), value)
}

/// Sets a resource's soft and hard limit to `value` (nothing for `None`).
///
/// # Safety
///
/// Lowers the calling process's limits for good (it is not root).
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
unsafe fn set_limit(resource: libc::c_int, value: Option<u64>) -> io::Result<()> {
	set_limit_raw(|lim| libc::setrlimit(resource, lim), value)
}

/// Calls `set` with soft and hard limit `value`.
///
/// # Safety
///
/// As [`set_limit`].
unsafe fn set_limit_raw(
	set: impl FnOnce(*const libc::rlimit) -> libc::c_int,
	value: Option<u64>,
) -> io::Result<()> {
	let Some(value) = value else {
		return Ok(());
	};
	let lim = libc::rlimit { rlim_cur: value as libc::rlim_t, rlim_max: value as libc::rlim_t };
	if set(&lim) == 0 {
		Ok(())
	} else {
		Err(io::Error::last_os_error())
	}
}

/// Enforces the Landlock ruleset on the calling process (and sets no-new-privileges).
#[cfg(target_os = "linux")]
fn restrict(ruleset: Ruleset) -> io::Result<()> {
	use landlock::RulesetStatus;
	match ruleset.restrict_self() {
		Ok(status) if status.ruleset != RulesetStatus::NotEnforced => Ok(()),
		// The probe found Landlock, so a ruleset that is not enforced is an error.
		Ok(_) => Err(io::Error::from_raw_os_error(libc::ENOSYS)),
		Err(_) => Err(io::Error::last_os_error()),
	}
}

/// No Landlock ruleset exists off Linux.
#[cfg(not(target_os = "linux"))]
fn restrict(ruleset: Ruleset) -> io::Result<()> {
	match ruleset {}
}
