use super::*;
use std::{fs, os::unix::fs::PermissionsExt};

mod hostile;

/// A temporary directory with a read-only model file (as in the store), a shell script as the
/// program and a directory the program may write.
struct Fixture {
	dir: tempfile::TempDir,
	model: PathBuf,
	size: u64,
	/// A directory everyone may write, configured as the sandbox's write path.
	out: PathBuf,
}

impl Fixture {
	fn new() -> Self {
		let dir = tempfile::tempdir().unwrap();
		// The sandbox user (when the tests run as root) must reach the programs.
		chmod(dir.path(), 0o755);
		let model = dir.path().join("model.bin");
		fs::write(&model, b"model bytes").unwrap();
		chmod(&model, 0o444);
		let out = dir.path().join("out");
		fs::create_dir(&out).unwrap();
		chmod(&out, 0o777);
		Self { dir, model, size: 11, out }
	}

	/// A `/bin/sh` script with `body`, configured with the default limits and `out` as the
	/// write path.
	fn script(&self, body: &str) -> ExternalConfig {
		let path = self.dir.path().join(format!("program-{}", fastrand::u64(..)));
		fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
		chmod(&path, 0o755);
		let mut config = ExternalConfig::new(path);
		config.sandbox.write_paths = vec![self.out.clone()];
		config
	}

	fn execute(&self, config: ExternalConfig, input: &[u8]) -> Result<[u8; 32], ExecError> {
		ExternalExecutor::new(config).execute(&self.model, self.size, input)
	}
}

fn chmod(path: &Path, mode: u32) {
	fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

fn process_error(result: Result<[u8; 32], ExecError>) -> ProcessError {
	match result {
		Err(ExecError::Process(err)) => err,
		other => panic!("expected a process error, got {other:?}"),
	}
}

/// Whether process `pid` is gone (or a zombie waiting for a parent that is not us).
fn is_dead(pid: u32) -> bool {
	match fs::read_to_string(format!("/proc/{pid}/stat")) {
		Err(_) => true,
		Ok(stat) => stat.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with('Z')),
	}
}

fn wait_dead(pid: u32) -> bool {
	let until = Instant::now() + Duration::from_secs(5);
	while Instant::now() < until {
		if is_dead(pid) {
			return true;
		}
		thread::sleep(Duration::from_millis(20));
	}
	false
}

#[test]
fn digest_hashes_stdout_and_input() {
	let f = Fixture::new();
	let input = b"\x01\x02challenge and input";
	let digest = f.execute(f.script("printf 'result'"), input).unwrap();
	let mut expected = Sha256::new();
	expected.update(b"modelnet-external-v1");
	expected.update(Sha256::digest(input));
	expected.update(b"result");
	let expected: [u8; 32] = expected.finalize().into();
	assert_eq!(digest, expected);
	assert_eq!(digest, output_digest(input, b"result"));
	// The same output for another challenge gives another digest.
	assert_ne!(f.execute(f.script("printf 'result'"), b"\x01\x03").unwrap(), digest);
	// Repeated runs agree.
	assert_eq!(f.execute(f.script("printf 'result'"), input).unwrap(), digest);
}

#[test]
fn receives_model_path_args_and_stdin() {
	let f = Fixture::new();
	let mut config = f.script(r#"printf '%s|' "$#" "$@"; cat; printf '|'; cat "$3""#);
	config.args = vec!["--fixed".into(), "two words".into()];
	let input: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
	let out = ExternalExecutor::new(config).run(&f.model, &input).unwrap();
	// The model comes as an inherited read-only descriptor, named by a path that opens it.
	let head = b"3|--fixed|two words|/proc/self/fd/";
	assert!(out.starts_with(head), "{}", String::from_utf8_lossy(&out[..60]));
	let digits = out[head.len()..].iter().take_while(|b| b.is_ascii_digit()).count();
	assert!(digits > 0);
	let mut expected = out[..head.len() + digits].to_vec();
	expected.push(b'|');
	expected.extend_from_slice(&input);
	expected.extend_from_slice(b"|model bytes");
	assert_eq!(out.len(), expected.len());
	assert!(out == expected);
}

#[test]
fn a_program_that_ignores_stdin_still_succeeds() {
	let f = Fixture::new();
	let input = vec![0u8; 1 << 20];
	let out = ExternalExecutor::new(f.script("echo done")).run(&f.model, &input).unwrap();
	assert_eq!(out, b"done\n");
}

#[test]
fn environment_is_cleared_except_path_and_configured_variables() {
	let f = Fixture::new();
	let mut config = f.script(
		r#"printf '%s|%s|%s|' "${HOME-unset}" "${MODELNET_X-unset}" "$(pwd)"; command -v cat"#,
	);
	config.env = vec![("MODELNET_X".into(), "set".into())];
	let out = ExternalExecutor::new(config).run(&f.model, b"").unwrap();
	let out = String::from_utf8(out).unwrap();
	assert!(out.starts_with("unset|set|/|"), "{out}");
	assert!(out.trim_end().ends_with("/cat"), "PATH is kept: {out}");
}

#[test]
fn non_zero_exit_reports_status_and_stderr_tail() {
	let f = Fixture::new();
	match process_error(
		f.execute(f.script("echo partial; echo 'model is broken' >&2; exit 3"), b"i"),
	) {
		ProcessError::Failed { status, code, stderr_tail } => {
			assert_eq!(code, Some(3));
			assert!(status.contains('3'), "{status}");
			assert_eq!(stderr_tail, "model is broken\n");
		}
		other => panic!("{other:?}"),
	}
	// A long stderr is cut to its tail.
	let noisy = "i=0; while [ $i -lt 2000 ]; do echo \"line $i of noise\" >&2; i=$((i+1)); done; \
	             echo LAST >&2; exit 1";
	match process_error(f.execute(f.script(noisy), b"i")) {
		ProcessError::Failed { code: Some(1), stderr_tail, .. } => {
			assert!(stderr_tail.len() <= STDERR_TAIL, "{}", stderr_tail.len());
			assert!(stderr_tail.ends_with("LAST\n"), "{stderr_tail}");
			assert!(!stderr_tail.contains("line 0 of"), "the head is dropped");
		}
		other => panic!("{other:?}"),
	}
	// Death by a signal.
	match process_error(f.execute(f.script("kill -TERM $$"), b"i")) {
		ProcessError::Failed { code: None, status, .. } => {
			assert!(status.contains("signal 15"), "{status}")
		}
		other => panic!("{other:?}"),
	}
}

#[test]
fn timeout_kills_the_program_and_its_children() {
	let f = Fixture::new();
	let pids = f.out.join("pids");
	let mut config = f.script(&format!(
		"sleep 30 & echo $! > {0}; sleep 31 & echo $! >> {0}; wait",
		pids.display()
	));
	// Long enough for the shell to start both children even on a loaded machine.
	config.timeout = Duration::from_secs(2);
	let start = Instant::now();
	let err = process_error(f.execute(config, b"i"));
	assert!(matches!(err, ProcessError::Timeout { limit } if limit == Duration::from_secs(2)));
	assert!(start.elapsed() < Duration::from_secs(10), "{:?}", start.elapsed());
	let pids = fs::read_to_string(&pids).unwrap();
	let pids: Vec<u32> = pids.lines().map(|l| l.trim().parse().unwrap()).collect();
	assert_eq!(pids.len(), 2);
	for pid in pids {
		assert!(wait_dead(pid), "child {pid} survived");
	}
}

#[test]
fn children_left_behind_are_killed_when_the_program_exits() {
	let f = Fixture::new();
	let pid_file = f.out.join("pid");
	// The helper closes stdout so the program's exit is what ends the run.
	let config = f
		.script(&format!("sleep 30 >/dev/null 2>&1 & echo $! > {}; printf ok", pid_file.display()));
	let start = Instant::now();
	assert_eq!(ExternalExecutor::new(config).run(&f.model, b"").unwrap(), b"ok");
	assert!(start.elapsed() < Duration::from_secs(10));
	let pid: u32 = fs::read_to_string(&pid_file).unwrap().trim().parse().unwrap();
	assert!(wait_dead(pid), "helper {pid} survived");
	// A helper still holding stdout is killed too, so the run does not hang.
	let config = f.script("sleep 30 & printf ok");
	let start = Instant::now();
	assert_eq!(ExternalExecutor::new(config).run(&f.model, b"").unwrap(), b"ok");
	assert!(start.elapsed() < Duration::from_secs(10));
}

#[test]
fn output_limit_kills_the_program() {
	let f = Fixture::new();
	let mut config = f.script("while :; do echo 0123456789abcdef; done");
	config.max_output = 1000;
	config.timeout = Duration::from_secs(60);
	let start = Instant::now();
	let err = process_error(f.execute(config, b"i"));
	assert!(matches!(err, ProcessError::OutputTooLarge { limit: 1000 }), "{err:?}");
	assert!(start.elapsed() < Duration::from_secs(10), "{:?}", start.elapsed());
	// Exactly the limit is accepted, one byte more is not.
	let mut exact = f.script("head -c 1000 /dev/zero");
	exact.max_output = 1000;
	assert_eq!(ExternalExecutor::new(exact.clone()).run(&f.model, b"").unwrap().len(), 1000);
	exact.max_output = 999;
	assert!(matches!(
		process_error(f.execute(exact, b"")),
		ProcessError::OutputTooLarge { limit: 999 }
	));
}

#[test]
fn missing_program_and_wrong_model_size_fail_cleanly() {
	let f = Fixture::new();
	let config = ExternalConfig::new(f.dir.path().join("no-such-program"));
	assert!(matches!(process_error(f.execute(config, b"i")), ProcessError::Spawn { .. }));
	let executor = ExternalExecutor::new(f.script("printf x"));
	assert!(matches!(
		executor.execute(&f.model, f.size + 1, b"i"),
		Err(ExecError::SizeMismatch { expected: 12, actual: 11 })
	));
}

#[test]
fn read_tail_keeps_the_last_bytes() {
	let data: Vec<u8> = (0..10_000u32).map(|i| (i % 256) as u8).collect();
	assert_eq!(read_tail(&data[..], 100), data[9_900..]);
	assert_eq!(read_tail(&data[..10], 100), data[..10]);
	assert!(matches!(read_limited(&data[..], 10_000), Capture::Done(d) if d == data));
	assert!(matches!(read_limited(&data[..], 9_999), Capture::TooLarge));
}
