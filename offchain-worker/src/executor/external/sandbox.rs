//! The confinement of an external engine's processes.
//!
//! An engine runs model files that anyone can register, so whatever it runs is treated as
//! hostile. Between `fork` and `exec` (in a `pre_exec` hook that makes only async-signal-safe
//! system calls and does not allocate) the child gets, in this order:
//!
//! 1. **Another user** when the node runs as root: supplementary groups dropped, then
//!    `setgid` and `setuid` to [`SandboxConfig::user`] (default `65534:65534`, `nobody`).
//!    Every capability goes with root's uid, so files only root may read (the keystore, the
//!    node's database, `0600` files) and write (the `0444` model files of the store) are out
//!    of reach, and the node's processes cannot be signalled or traced. Before the switch, while
//!    still root, the child enters a new network namespace (unless the network is allowed).
//! 2. **A user namespace** where the kernel allows one: the process limit then counts the
//!    engine's own processes only. Without one it counts every process of the engine's user:
//!    all the sandbox user's processes (other engines' too) when the node runs as root; the
//!    node's own threads when it does not, so it is left unset then. A node not running as
//!    root also gets its network namespace there.
//! 3. **Resource limits**, soft and hard alike: address space (`RLIMIT_AS`,
//!    [`SandboxConfig::max_memory`] plus the model's size so that the model can be mapped),
//!    processes and threads (`RLIMIT_NPROC`), the size of a written file (`RLIMIT_FSIZE`),
//!    CPU seconds per process (`RLIMIT_CPU`) and core dumps (`RLIMIT_CORE = 0`).
//! 4. **No new privileges** (`PR_SET_NO_NEW_PRIVS`): set-user-id programs and file
//!    capabilities give nothing.
//! 5. **Landlock** where the kernel has it: reading and executing only under
//!    [`SandboxConfig::read_paths`], the program and the fixed arguments that name files;
//!    reading the model file; writing only `/dev/null` and [`SandboxConfig::write_paths`];
//!    no TCP `connect` or `bind` unless the network is allowed; no signals to, no tracing of
//!    and no access to the memory of processes outside the sandbox, no abstract Unix sockets
//!    outside it.
//!
//! The model is handed over as a read-only descriptor: the engine's last argument is
//! `/proc/self/fd/N`, which opens the model file whatever the permissions of the store's
//! directories (the sandbox user cannot walk into the node's base path).
//!
//! What is used is found out once per executor by a probe (a forked child that tries each
//! step and exits): a step this system refuses (no user namespaces, no `CAP_SYS_ADMIN` for a
//! network namespace, a kernel without Landlock) is skipped and logged, never silently
//! claimed. The switch of user is the exception: a node running as root that cannot switch
//! fails its tasks instead of running the engine as root.
//!
//! Not stopped: network use over UDP or raw sockets when no network namespace could be made
//! (Landlock only covers TCP); reading world-readable files under the read paths (`/etc`,
//! `/proc`, `/sys`: the command lines of every process, for instance); when the engine runs as
//! the node's user (the node is not root), reading the node's `/proc/PID/environ` (Landlock
//! stops tracing, not that) and changing the mode of the node's files (not their content);
//! disk filled by many files each under the size limit in a write path; processes that leave
//! the process group (`setsid`) outliving the task until their CPU limit; CPU and memory
//! bandwidth taken from the node while the task runs; kernel exploits. A node that runs as
//! root with [`SandboxConfig::user`] `None` keeps root's capabilities in the engine: only
//! Landlock and the namespaces confine it then, and the process limit does not bind root.
//! Without Landlock (kernels before 5.13, or disabled), a node that is not root has no file
//! confinement at all: run it as a dedicated user or give it a kernel with Landlock.

mod child;
mod rules;

use std::{
	ffi::OsString,
	fs::File,
	io,
	os::unix::io::AsRawFd,
	path::{Path, PathBuf},
	time::Duration,
};

pub(super) use self::child::Child;
pub use self::child::{probe, Support};

/// Default of [`SandboxConfig::max_memory`]: 8 GiB.
pub const DEFAULT_MAX_MEMORY: u64 = 8 << 30;
/// Least default of [`SandboxConfig::max_processes`] (it grows with the number of CPUs).
pub const DEFAULT_MAX_PROCESSES: u64 = 64;
/// Default of [`SandboxConfig::max_file_size`]: 1 GiB.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 1 << 30;
/// Default of [`SandboxConfig::user`]: `nobody` and `nogroup`.
pub const DEFAULT_USER: (u32, u32) = (65534, 65534);
/// Default of [`SandboxConfig::read_paths`]: the system's programs, libraries and
/// configuration, `/proc` and `/sys`, and the harmless devices.
pub const DEFAULT_READ_PATHS: &[&str] = &[
	"/bin",
	"/sbin",
	"/usr",
	"/lib",
	"/lib32",
	"/lib64",
	"/libx32",
	"/etc",
	"/opt",
	"/proc",
	"/sys",
	"/dev/zero",
	"/dev/random",
	"/dev/urandom",
];

/// How an external engine's processes are confined (see the [module docs](self)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SandboxConfig {
	/// Most bytes of address space of each process, on top of the model's size
	/// (`RLIMIT_AS`); `None`: the node's limit. Default: [`DEFAULT_MAX_MEMORY`].
	pub max_memory: Option<u64>,
	/// Most processes and threads of the engine together (`RLIMIT_NPROC`); `None`: the
	/// node's limit. Default: [`DEFAULT_MAX_PROCESSES`], or four per CPU if that is more.
	pub max_processes: Option<u64>,
	/// Largest file a process may write, in bytes (`RLIMIT_FSIZE`); `None`: the node's
	/// limit. Default: [`DEFAULT_MAX_FILE_SIZE`].
	pub max_file_size: Option<u64>,
	/// CPU time of each process (`RLIMIT_CPU`, whole seconds, rounded up). `None` (the
	/// default): the task's time limit times the number of CPUs, which no process can reach
	/// within the time limit; it bounds a process that leaves the process group.
	pub max_cpu_time: Option<Duration>,
	/// The user and group the engine runs as when the node runs as root; `None` keeps root
	/// (not recommended). The program and its interpreter must be readable by them. Default:
	/// [`DEFAULT_USER`].
	pub user: Option<(u32, u32)>,
	/// Whether the engine may use the network. Default: `false`.
	pub allow_network: bool,
	/// Whether file access is confined with Landlock where the kernel has it. Default:
	/// `true`.
	pub landlock: bool,
	/// Files and directories the engine may read and execute (with Landlock), besides the
	/// program, the fixed arguments that name files or directories, and the model. Paths that
	/// do not exist are ignored. Default: [`DEFAULT_READ_PATHS`].
	pub read_paths: Vec<PathBuf>,
	/// Directories and files the engine may also write (with Landlock; `/dev/null` always).
	/// Default: none.
	pub write_paths: Vec<PathBuf>,
}

impl Default for SandboxConfig {
	fn default() -> Self {
		Self {
			max_memory: Some(DEFAULT_MAX_MEMORY),
			max_processes: Some(DEFAULT_MAX_PROCESSES.max(4 * cpus())),
			max_file_size: Some(DEFAULT_MAX_FILE_SIZE),
			max_cpu_time: None,
			user: Some(DEFAULT_USER),
			allow_network: false,
			landlock: true,
			read_paths: DEFAULT_READ_PATHS.iter().map(PathBuf::from).collect(),
			write_paths: Vec::new(),
		}
	}
}

/// The number of CPUs this process may use (at least 1).
fn cpus() -> u64 {
	std::thread::available_parallelism().map_or(1, |n| n.get() as u64)
}

/// A sandbox made ready for one run: the model's descriptor and what the child applies.
pub(super) struct Prepared {
	/// The model file, open read-only; the child inherits it.
	model: File,
	/// What the child does before `exec`.
	child: Child,
}

impl Prepared {
	/// Prepares the sandbox of a run of `program` with `args` on the model at `model_path`,
	/// under `config`, on a system with `support`, for a task with time limit `timeout`.
	pub fn new(
		config: &SandboxConfig,
		support: &Support,
		program: &Path,
		args: &[OsString],
		model_path: &Path,
		timeout: Duration,
	) -> io::Result<Self> {
		let model = File::open(model_path)?;
		let model_size = model.metadata()?.len();
		let switch_user = match (support.root, config.user) {
			(true, Some(user)) if support.switch_user => Some(user),
			(true, Some((uid, gid))) => {
				return Err(io::Error::new(
					io::ErrorKind::PermissionDenied,
					format!("the node runs as root but cannot switch the engine to {uid}:{gid}"),
				))
			}
			_ => None,
		};
		let cpu = config.max_cpu_time.unwrap_or_else(|| timeout.saturating_mul(cpus() as u32));
		let cpu_secs = cpu.as_secs().saturating_add(u64::from(cpu.subsec_nanos() > 0)).max(1);
		let limits = child::Limits {
			memory: config.max_memory.map(|m| m.saturating_add(model_size)),
			processes: config.max_processes.filter(|_| support.limits_processes(config.user)),
			file_size: config.max_file_size,
			cpu_secs: Some(cpu_secs),
		};
		let ruleset = if config.landlock && support.landlock_abi > 0 {
			Some(
				rules::ruleset(config, program, args, model_path)
					.map_err(|e| io::Error::other(format!("cannot prepare Landlock rules: {e}")))?,
			)
		} else {
			None
		};
		let isolate = !config.allow_network && support.network_namespace;
		let child = Child::new(child::Plan {
			user: switch_user,
			network_namespace_as_root: isolate && support.root,
			user_namespace: support.user_namespace && (switch_user.is_some() || !support.root),
			network_namespace_in_user_namespace: isolate && !support.root,
			limits: limits.clamped(),
			model_fd: model.as_raw_fd(),
			ruleset,
		});
		Ok(Self { model, child })
	}

	/// The argument naming the model for the engine: its inherited descriptor.
	pub fn model_arg(&self) -> OsString {
		format!("/proc/self/fd/{}", self.model.as_raw_fd()).into()
	}

	/// Splits into the model (to keep open until the child is started) and what the child
	/// applies.
	pub fn into_parts(self) -> (File, Child) {
		(self.model, self.child)
	}

	/// The user the engine runs as, if switched.
	pub fn user(&self) -> Option<(u32, u32)> {
		self.child.user()
	}
}
