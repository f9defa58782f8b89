//! An executor that runs an operator-configured program and hashes what it prints.
//!
//! # Contract with the program
//!
//! - **argv**: `program [args...] /proc/self/fd/N`: the configured program and fixed
//!   arguments ([`ExternalConfig::args`]), then, as the last argument, a path that opens the
//!   verified model file: descriptor `N`, inherited open read-only. The file is read-only
//!   (`0444` in the store, and the sandbox forbids writing it).
//! - **stdin**: the task input (the task's 32-byte challenge followed by the task's input
//!   bytes), then end of file. The program may ignore it, but its output should depend on
//!   it: the digest does in any case (see below).
//! - **stdout**: the result, raw bytes, at most [`ExternalConfig::max_output`] bytes; a
//!   program that writes more is killed and the task fails.
//! - **stderr**: free-form diagnostics. The last [`STDERR_TAIL`] bytes are kept and reported
//!   (lossy UTF-8) if the program fails.
//! - **exit status**: 0 means success. Any other status, or death by a signal, fails the
//!   task ([`ProcessError::Failed`]) and no result is committed.
//! - **time limit**: [`ExternalConfig::timeout`] from the start; on expiry the program is
//!   killed and the task fails ([`ProcessError::Timeout`]).
//! - **environment**: cleared, except `PATH` (inherited from the node) and the variables
//!   configured in [`ExternalConfig::env`]. No locale variables are set (the C locale).
//! - **working directory**: `/`. The program must not rely on files other than the model
//!   and the read paths.
//! - **processes**: the program runs in a new process group. When it exits, is killed for
//!   the time or output limit, the whole group gets `SIGKILL`, so helper processes it
//!   started do not outlive it. A process that leaves the group (`setsid`) is not
//!   tracked; if it keeps stdout open, the task fails with
//!   [`ProcessError::OutputNotClosed`] after a short grace period.
//! - **sandbox**: the program runs confined ([`sandbox`]): as an unprivileged user when the
//!   node runs as root, with limits on memory, processes, file size and CPU time, without new
//!   privileges, without network, and (where the kernel has Landlock) reading only system
//!   directories and the model and writing only `/dev/null` and the configured write paths
//!   ([`SandboxConfig`]). The program, its interpreter and any file it reads must be readable
//!   by the sandbox user.
//! - **determinism**: every node assigned the task runs the program and the majority digest
//!   wins, so the output must be a deterministic function of the model and stdin on every
//!   machine (fixed seeds, greedy decoding, bit-exact kernels or output rounded before
//!   printing).
//!
//! The digest is `sha256("modelnet-external-v1" ++ sha256(input) ++ stdout)`: it depends on
//! the task input (hence on the challenge) even if the program ignores stdin, so no result
//! can be known before the task is assigned.
//!
//! Unix only: the process group and the signals use POSIX calls; the sandbox's namespaces,
//! no-new-privileges and Landlock are Linux's.

use std::{
	ffi::OsString,
	io::{self, Read, Write},
	path::{Path, PathBuf},
	process::{Child, Command, Stdio},
	sync::{
		mpsc::{self, RecvTimeoutError, Sender},
		Arc, OnceLock,
	},
	thread,
	time::{Duration, Instant},
};

use std::os::unix::process::{CommandExt, ExitStatusExt};

use sha2::{Digest, Sha256};

use super::{check_size, Executor};
use crate::error::{ExecError, ProcessError};

pub mod sandbox;
#[cfg(test)]
mod tests;

pub use sandbox::{SandboxConfig, Support};

/// Domain separator of the external executor's digest.
pub const EXTERNAL_DOMAIN: &[u8] = b"modelnet-external-v1";
/// Bytes of stderr kept for the error report.
pub const STDERR_TAIL: usize = 4096;
/// How long to wait for stdout and stderr to close once the program's process group is
/// killed.
const CLOSE_GRACE: Duration = Duration::from_secs(2);
/// Read buffer size for the pipes.
const CHUNK: usize = 64 * 1024;

/// What the [`ExternalExecutor`] runs and its limits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExternalConfig {
	/// The program (an absolute path, or a name looked up in `PATH`).
	pub program: PathBuf,
	/// Fixed arguments, passed before the model path.
	pub args: Vec<OsString>,
	/// Extra environment variables (the environment is otherwise cleared except `PATH`).
	pub env: Vec<(OsString, OsString)>,
	/// Time limit per task. Default: 10 minutes.
	pub timeout: Duration,
	/// Most bytes the program may write to stdout. Default: 1 MiB.
	pub max_output: usize,
	/// How the program is confined. Default: [`SandboxConfig::default`].
	pub sandbox: SandboxConfig,
}

impl ExternalConfig {
	/// Runs `program` with no fixed arguments and the default limits.
	pub fn new(program: impl Into<PathBuf>) -> Self {
		Self {
			program: program.into(),
			args: Vec::new(),
			env: Vec::new(),
			timeout: Duration::from_secs(600),
			max_output: 1 << 20,
			sandbox: SandboxConfig::default(),
		}
	}
}

/// Runs an external program per task (see the [module docs](self) for the contract).
#[derive(Clone, Debug)]
pub struct ExternalExecutor {
	config: ExternalConfig,
	/// What the sandbox can use here, probed at the first run.
	support: Arc<OnceLock<Support>>,
}

impl ExternalExecutor {
	/// An executor running the configured program.
	pub fn new(config: ExternalConfig) -> Self {
		Self { config, support: Arc::default() }
	}

	/// The executor's configuration.
	pub fn config(&self) -> &ExternalConfig {
		&self.config
	}

	/// What the sandbox can use on this system (probed once, and logged then).
	pub fn support(&self) -> Support {
		*self.support.get_or_init(|| {
			let support = sandbox::probe(self.config.sandbox.user);
			log_support(&self.config, &support);
			support
		})
	}

	/// Runs the program on the model with `input` on stdin and returns its stdout.
	pub fn run(&self, model_path: &Path, input: &[u8]) -> Result<Vec<u8>, ExecError> {
		let model_path = std::path::absolute(model_path)?;
		let spawn_error =
			|source| ProcessError::Spawn { program: self.config.program.clone(), source };
		let prepared = sandbox::Prepared::new(
			&self.config.sandbox,
			&self.support(),
			&self.config.program,
			&self.config.args,
			&model_path,
			self.config.timeout,
		)
		.map_err(spawn_error)?;
		let mut command = Command::new(&self.config.program);
		command
			.args(&self.config.args)
			.arg(prepared.model_arg())
			.env_clear()
			.current_dir("/")
			.stdin(Stdio::piped())
			.stdout(Stdio::piped())
			.stderr(Stdio::piped())
			.process_group(0);
		if let Some(path) = std::env::var_os("PATH") {
			command.env("PATH", path);
		}
		command.envs(self.config.env.iter().map(|(k, v)| (k, v)));
		let user = prepared.user();
		let (model, mut child) = prepared.into_parts();
		// SAFETY: `apply` makes only async-signal-safe system calls and does not allocate.
		unsafe {
			command.pre_exec(move || child.apply());
		}
		let spawned = spawn_retrying_busy(&mut command);
		// The child has its own copy of the descriptor by now.
		drop(model);
		let child = spawned.map_err(|e| spawn_error(explain_spawn_error(e, user)))?;
		Ok(supervise(child, input, self.config.timeout, self.config.max_output)?)
	}
}

/// Adds a hint to a refused start: the program must be reachable for the sandbox.
fn explain_spawn_error(err: io::Error, user: Option<(u32, u32)>) -> io::Error {
	if err.kind() != io::ErrorKind::PermissionDenied {
		return err;
	}
	let user = user.map(|(uid, gid)| format!(" (it runs as {uid}:{gid})")).unwrap_or_default();
	io::Error::new(
		err.kind(),
		format!(
			"{err}: the sandboxed engine{user} must be able to read the program, its interpreter \
			 and their directories, and with Landlock they must lie under the read paths"
		),
	)
}

/// Logs what the sandbox of an engine can use here and what it cannot.
fn log_support(config: &ExternalConfig, support: &Support) {
	let program = config.program.display();
	log::info!(target: "modelnet", "sandbox of external engine {program}: {support}");
	let sandbox = &config.sandbox;
	if !sandbox.allow_network && !support.network_namespace {
		log::warn!(
			target: "modelnet",
			"external engine {program}: no network namespace here; {}",
			if sandbox.landlock && support.landlock_abi >= 4 {
				"only TCP is refused (Landlock)"
			} else {
				"the engine can use the network"
			},
		);
	}
	if sandbox.landlock && support.landlock_abi == 0 {
		log::warn!(
			target: "modelnet",
			"external engine {program}: no Landlock in this kernel; {}",
			if support.root && sandbox.user.is_some() {
				"file access is confined by the engine's user only"
			} else {
				"the engine can read and write whatever the node can"
			},
		);
	}
	if !support.root && !support.user_namespace && sandbox.max_processes.is_some() {
		log::warn!(
			target: "modelnet",
			"external engine {program}: no user namespace here; the process limit is not set",
		);
	}
	if support.root && sandbox.user.is_none() {
		log::warn!(target: "modelnet", "external engine {program} runs as root");
	}
}

/// Spawns `command`, retrying a few times while its program file is busy (`ETXTBSY`): the file
/// was just written and another thread's fork still holds it open for writing until that child
/// execs, or the operator's deploy is replacing it.
fn spawn_retrying_busy(command: &mut Command) -> std::io::Result<std::process::Child> {
	const ATTEMPTS: u32 = 10;
	let mut attempt = 1;
	loop {
		match command.spawn() {
			Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy && attempt < ATTEMPTS => {
				std::thread::sleep(std::time::Duration::from_millis(10 * u64::from(attempt)));
				attempt += 1;
			}
			result => return result,
		}
	}
}

impl Executor for ExternalExecutor {
	fn execute(
		&self,
		model_path: &Path,
		model_size: u64,
		input: &[u8],
	) -> Result<[u8; 32], ExecError> {
		check_size(&std::fs::File::open(model_path)?, model_size)?;
		let output = self.run(model_path, input)?;
		Ok(output_digest(input, &output))
	}
}

/// The digest of a program's `output` for `input` (see the [module docs](self)).
pub fn output_digest(input: &[u8], output: &[u8]) -> [u8; 32] {
	let mut h = Sha256::new();
	h.update(EXTERNAL_DOMAIN);
	h.update(Sha256::digest(input));
	h.update(output);
	h.finalize().into()
}

/// What the helper threads report to the supervising thread.
enum Event {
	/// The program's main process has exited (not yet reaped, so its process group id is
	/// still reserved).
	Exited,
	/// Stdout is done.
	Stdout(Capture),
	/// Stderr reached end of file; its tail.
	Stderr(Vec<u8>),
}

/// How reading stdout ended.
enum Capture {
	/// End of file: everything the program wrote.
	Done(Vec<u8>),
	/// The program wrote more than the limit (reading stopped there).
	TooLarge,
	/// Reading failed.
	Failed(io::Error),
}

/// Why the supervisor killed the process group.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kill {
	Timeout,
	Output,
}

/// Feeds `input`, collects the output and enforces the limits; the child runs in its own
/// process group, whose id is its pid.
fn supervise(
	mut child: Child,
	input: &[u8],
	timeout: Duration,
	max_output: usize,
) -> Result<Vec<u8>, ProcessError> {
	let start = Instant::now();
	let pid = child.id();
	let (tx, rx) = mpsc::channel();
	let helpers = (|| {
		if let Some(mut stdin) = child.stdin.take() {
			let input = input.to_vec();
			// A program that does not read its input closes the pipe: not an error.
			spawn_helper(move || {
				let _ = stdin.write_all(&input);
			})?;
		}
		if let Some(stdout) = child.stdout.take() {
			let tx = tx.clone();
			spawn_helper(move || {
				let _ = tx.send(Event::Stdout(read_limited(stdout, max_output)));
			})?;
		}
		if let Some(stderr) = child.stderr.take() {
			let tx = tx.clone();
			spawn_helper(move || {
				let _ = tx.send(Event::Stderr(read_tail(stderr, STDERR_TAIL)));
			})?;
		}
		spawn_waiter(pid, tx)
	})();
	if let Err(err) = helpers {
		kill_group(pid);
		let _ = child.wait();
		return Err(err);
	}

	let mut killed = None;
	let mut stdout = None;
	let mut stderr = None;
	let mut exited = false;
	while !exited {
		let wait = match killed {
			None => timeout.saturating_sub(start.elapsed()),
			Some(_) => CLOSE_GRACE,
		};
		match rx.recv_timeout(wait) {
			Ok(Event::Exited) => exited = true,
			Ok(Event::Stdout(out)) => {
				if matches!(out, Capture::TooLarge) && killed.is_none() {
					kill_group(pid);
					killed = Some(Kill::Output);
				}
				stdout = Some(out);
			}
			Ok(Event::Stderr(tail)) => stderr = Some(tail),
			Err(RecvTimeoutError::Timeout) if killed.is_none() => {
				kill_group(pid);
				killed = Some(Kill::Timeout);
			}
			// Killed and still not gone (uninterruptible sleep), or the waiter failed.
			Err(_) => break,
		}
	}
	// The main process is a zombie until reaped, so the group id cannot have been reused:
	// kill whatever it left behind, then reap it.
	kill_group(pid);
	let status = child.wait().map_err(ProcessError::Io)?;
	let grace = Instant::now() + CLOSE_GRACE;
	while stdout.is_none() || stderr.is_none() {
		match rx.recv_timeout(grace.saturating_duration_since(Instant::now())) {
			Ok(Event::Stdout(out)) => stdout = Some(out),
			Ok(Event::Stderr(tail)) => stderr = Some(tail),
			Ok(Event::Exited) => {}
			Err(_) => break,
		}
	}

	match killed {
		Some(Kill::Timeout) => return Err(ProcessError::Timeout { limit: timeout }),
		Some(Kill::Output) => return Err(ProcessError::OutputTooLarge { limit: max_output }),
		None => {}
	}
	if matches!(stdout, Some(Capture::TooLarge)) {
		return Err(ProcessError::OutputTooLarge { limit: max_output });
	}
	if !status.success() {
		let code = status.code();
		let status = match (code, status.signal()) {
			(Some(code), _) => format!("exit status {code}"),
			(None, Some(signal)) => format!("signal {signal}"),
			(None, None) => status.to_string(),
		};
		let stderr_tail = String::from_utf8_lossy(&stderr.unwrap_or_default()).into_owned();
		return Err(ProcessError::Failed { status, code, stderr_tail });
	}
	match stdout {
		Some(Capture::Done(out)) => Ok(out),
		Some(Capture::Failed(err)) => Err(ProcessError::Io(err)),
		Some(Capture::TooLarge) => Err(ProcessError::OutputTooLarge { limit: max_output }),
		None => Err(ProcessError::OutputNotClosed),
	}
}

/// Starts a detached helper thread.
fn spawn_helper(f: impl FnOnce() + Send + 'static) -> Result<(), ProcessError> {
	thread::Builder::new()
		.name("modelnet-exec-io".into())
		.spawn(f)
		.map(drop)
		.map_err(ProcessError::Io)
}

/// Starts a thread that reports when process `pid` exits, without reaping it.
fn spawn_waiter(pid: u32, tx: Sender<Event>) -> Result<(), ProcessError> {
	spawn_helper(move || {
		if wait_exit_no_reap(pid).is_ok() {
			let _ = tx.send(Event::Exited);
		}
	})
}

/// Blocks until process `pid` (a child of this process) has exited, leaving it a zombie.
fn wait_exit_no_reap(pid: u32) -> io::Result<()> {
	loop {
		// SAFETY: `info` is a plain C struct that `waitid` fills in; zeroed is a valid value.
		let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
		// SAFETY: `info` outlives the call; WNOWAIT leaves the child waitable for `Child::wait`.
		let rc =
			unsafe { libc::waitid(libc::P_PID, pid, &mut info, libc::WEXITED | libc::WNOWAIT) };
		if rc == 0 {
			return Ok(());
		}
		let err = io::Error::last_os_error();
		if err.kind() != io::ErrorKind::Interrupted {
			return Err(err);
		}
	}
}

/// Sends `SIGKILL` to process group `pgid` (errors such as "no such process" are ignored).
fn kill_group(pgid: u32) {
	if let Ok(pgid) = libc::pid_t::try_from(pgid) {
		// SAFETY: plain system call; a negative pid addresses the process group.
		unsafe {
			libc::kill(-pgid, libc::SIGKILL);
		}
	}
}

/// Reads `source` to its end, or until it yields more than `limit` bytes.
fn read_limited(mut source: impl Read, limit: usize) -> Capture {
	let mut out = Vec::new();
	let mut buf = vec![0u8; CHUNK];
	loop {
		match source.read(&mut buf) {
			Ok(0) => return Capture::Done(out),
			Ok(n) => {
				if out.len() + n > limit {
					return Capture::TooLarge;
				}
				out.extend_from_slice(&buf[..n]);
			}
			Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
			Err(e) => return Capture::Failed(e),
		}
	}
}

/// Reads `source` to its end and returns its last `keep` bytes.
fn read_tail(mut source: impl Read, keep: usize) -> Vec<u8> {
	let mut tail = Vec::with_capacity(2 * keep);
	let mut buf = vec![0u8; CHUNK];
	loop {
		match source.read(&mut buf) {
			Ok(0) => break,
			Ok(n) => {
				tail.extend_from_slice(&buf[..n]);
				if tail.len() > 2 * keep {
					tail.drain(..tail.len() - keep);
				}
			}
			Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
			Err(_) => break,
		}
	}
	if tail.len() > keep {
		tail.drain(..tail.len() - keep);
	}
	tail
}
