//! Hostile engines: what the sandbox must stop.
//!
//! Each assertion that needs a confinement step this system may lack (the tests may run as
//! root or not, on a kernel with or without Landlock and user namespaces) is made only where
//! the probe found that step, and prints why it is skipped otherwise.

use super::*;
use std::{io::ErrorKind, net::TcpListener, sync::OnceLock};

/// What the sandbox can use here (probed once).
fn support() -> Support {
	static SUPPORT: OnceLock<Support> = OnceLock::new();
	*SUPPORT.get_or_init(|| {
		let support = sandbox::probe(SandboxConfig::default().user);
		println!("sandbox support: {support}");
		support
	})
}

/// Whether the node's own files are out of the engine's reach here: as root it runs as
/// another user; otherwise Landlock keeps it to the read paths.
fn files_confined(support: &Support, test: &str) -> bool {
	let confined = support.switch_user || support.landlock_abi > 0;
	if !confined {
		println!("{test}: not running as root and no Landlock here: assertion skipped");
	}
	confined
}

/// Output of a run that must succeed, as text.
fn run_text(f: &Fixture, config: ExternalConfig) -> String {
	String::from_utf8(ExternalExecutor::new(config).run(&f.model, b"").unwrap()).unwrap()
}

/// `config` as is, and with each file confinement alone where this system has it: the
/// switch of user (Landlock off) and Landlock (no switch of user, when root).
fn file_variants(config: ExternalConfig, test: &str) -> Vec<(&'static str, ExternalConfig)> {
	let support = support();
	let mut variants = Vec::new();
	if files_confined(&support, test) {
		variants.push(("all", config.clone()));
	}
	if support.switch_user {
		let mut alone = config.clone();
		alone.sandbox.landlock = false;
		variants.push(("user switch alone", alone));
	}
	if support.landlock_abi > 0 && support.root {
		let mut alone = config;
		alone.sandbox.user = None;
		variants.push(("Landlock alone", alone));
	}
	variants
}

/// Perl, for engines that need system calls a shell does not make.
fn perl() -> Option<&'static str> {
	let perl = "/usr/bin/perl";
	Path::new(perl).exists().then_some(perl).or_else(|| {
		println!("no {perl}: test skipped");
		None
	})
}

#[test]
fn the_engine_runs_with_limits_and_without_new_privileges() {
	let f = Fixture::new();
	let config = f.script("cat /proc/self/limits; grep NoNewPrivs /proc/self/status; id -u");
	let defaults = config.sandbox.clone();
	let out = run_text(&f, config);
	let limit = |name: &str| -> Option<String> {
		let line = out.lines().find(|line| line.starts_with(name))?;
		line[name.len()..].split_whitespace().next().map(str::to_owned)
	};
	let memory = defaults.max_memory.unwrap() + f.size;
	assert_eq!(limit("Max address space").unwrap(), memory.to_string(), "{out}");
	assert_eq!(limit("Max file size").unwrap(), defaults.max_file_size.unwrap().to_string());
	assert_eq!(limit("Max core file size").unwrap(), "0");
	let cpus = std::thread::available_parallelism().unwrap().get() as u64;
	assert_eq!(limit("Max cpu time").unwrap(), (600 * cpus).to_string());
	let support = support();
	if support.limits_processes(defaults.user) {
		assert_eq!(limit("Max processes").unwrap(), defaults.max_processes.unwrap().to_string());
	}
	assert!(out.contains("NoNewPrivs:\t1"), "{out}");
	if support.switch_user {
		assert_eq!(out.lines().last(), Some("65534"), "runs as nobody: {out}");
	}
}

#[test]
fn a_hostile_engine_cannot_read_the_keystore_or_the_nodes_memory() {
	let f = Fixture::new();
	// A keystore as the node keeps it: 0600 files in a 0700 directory, and one 0600 file in
	// a directory the engine can walk.
	let base = f.dir.path().join("base");
	fs::create_dir(&base).unwrap();
	chmod(&base, 0o700);
	let (hidden, open) = (base.join("key"), f.dir.path().join("key"));
	for key in [&hidden, &open] {
		fs::write(key, b"secret seed").unwrap();
		chmod(key, 0o600);
	}
	let config = f.script(&format!(
		"cat {} {}; echo; cat /proc/$PPID/environ >/dev/null && echo environ=read; \
		 echo done",
		hidden.display(),
		open.display(),
	));
	for (variant, config) in file_variants(config, "keystore") {
		let switched = config.sandbox.user.is_some() && support().switch_user;
		let out = run_text(&f, config);
		assert!(out.ends_with("done\n"), "{variant}: {out}");
		assert!(!out.contains("secret"), "{variant}: the keystore was read: {out}");
		// Landlock stops tracing the node (`/proc/PID/mem`), not reading its environment:
		// only another user does.
		if switched {
			assert!(!out.contains("environ=read"), "{variant}: the node's environment was read");
		}
	}
}

#[test]
fn a_hostile_engine_cannot_change_the_model() {
	let f = Fixture::new();
	let mut config = f.script(
		r#"printf x >> "$1"; printf x >> "$MODEL"; true > "$MODEL"; chmod 0666 "$MODEL";
		printf x >> "$MODEL"; rm -f "$MODEL"; mv "$MODEL" "$MODEL.moved"; echo done"#,
	);
	config.env = vec![("MODEL".into(), f.model.clone().into())];
	for (variant, config) in file_variants(config, "model") {
		let switched = config.sandbox.user.is_some() && support().switch_user;
		let out = run_text(&f, config);
		assert!(out.ends_with("done\n"), "{variant}: {out}");
		assert_eq!(fs::read(&f.model).unwrap(), b"model bytes", "{variant}: the model was changed");
		let mode = fs::metadata(&f.model).unwrap().permissions().mode() & 0o777;
		if switched {
			// Not its owner: the mode stays.
			assert_eq!(mode, 0o444, "{variant}");
		}
		// Landlock does not cover `chmod`: as root (or its owner) it may make the file
		// writable, never write it.
		chmod(&f.model, 0o444);
	}
}

#[test]
fn a_fork_bomb_is_stopped_by_the_process_limit() {
	let f = Fixture::new();
	let support = support();
	if !support.limits_processes(SandboxConfig::default().user) {
		println!("fork bomb: no process limit here (root without a switch of user, or no user namespace)");
		return;
	}
	let mut config =
		f.script("i=0; while [ $i -lt 500 ]; do sleep 5 & i=$((i+1)); done; echo forked all");
	config.sandbox.max_processes = Some(16);
	config.timeout = Duration::from_secs(30);
	let start = Instant::now();
	match process_error(f.execute(config, b"i")) {
		ProcessError::Failed { stderr_tail, .. } => {
			assert!(stderr_tail.to_lowercase().contains("fork"), "{stderr_tail}")
		}
		other => panic!("{other:?}"),
	}
	assert!(start.elapsed() < Duration::from_secs(10), "{:?}", start.elapsed());
	// The node is unharmed: it starts processes, and the next engine runs.
	assert!(std::process::Command::new("true").status().unwrap().success());
	assert_eq!(ExternalExecutor::new(f.script("printf ok")).run(&f.model, b"").unwrap(), b"ok");
}

#[test]
fn a_hostile_engine_cannot_reserve_64_gib() {
	let Some(perl) = perl() else { return };
	let f = Fixture::new();
	// A 64 GiB mapping that is never touched: the system lets it through (no memory is
	// used), the address-space limit does not.
	let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE;
	let config = f.script(&format!(
		"exec {perl} -e 'my $a = syscall({}, 0, {}, {}, {flags}, -1, 0); \
		 if ($a == -1) {{ print STDERR \"mmap: $!\\n\"; exit 12 }} print \"reserved\\n\"'",
		libc::SYS_mmap,
		64u64 << 30,
		libc::PROT_READ | libc::PROT_WRITE,
	));
	match process_error(f.execute(config, b"i")) {
		ProcessError::Failed { code: Some(12), stderr_tail, .. } => {
			assert!(stderr_tail.contains("mmap"), "{stderr_tail}")
		}
		other => panic!("{other:?}"),
	}
}

#[test]
fn a_file_over_the_size_limit_is_cut_and_fails_the_task() {
	let f = Fixture::new();
	let big = f.out.join("big");
	let mut config = f.script(&format!("head -c 2097152 /dev/zero > {}", big.display()));
	config.sandbox.max_file_size = Some(1 << 20);
	match process_error(f.execute(config, b"i")) {
		// `head` is killed by SIGXFSZ; the shell exits with 128 + 25.
		ProcessError::Failed { code: Some(153), .. } => {}
		other => panic!("{other:?}"),
	}
	assert!(fs::metadata(&big).unwrap().len() <= 1 << 20);
}

#[test]
fn a_hostile_engine_cannot_connect_to_the_node() {
	let Some(perl) = perl() else { return };
	let support = support();
	if !support.network_namespace && support.landlock_abi < 4 {
		println!("network: no network namespace and no Landlock TCP rules here: skipped");
		return;
	}
	let f = Fixture::new();
	let listener = TcpListener::bind("127.0.0.1:0").unwrap();
	listener.set_nonblocking(true).unwrap();
	let port = listener.local_addr().unwrap().port();
	let config = f.script(&format!(
		"exec {perl} -MIO::Socket::INET -e 'my $s = IO::Socket::INET->new(PeerAddr => \
		 \"127.0.0.1:{port}\", Timeout => 2); print $s ? \"connected\\n\" : \"refused: $!\\n\"'"
	));
	let mut variants = vec![("all", config.clone())];
	if support.network_namespace {
		let mut alone = config;
		alone.sandbox.landlock = false;
		variants.push(("network namespace alone", alone));
	}
	for (variant, config) in variants {
		let out = run_text(&f, config);
		assert!(out.starts_with("refused"), "{variant}: {out}");
		assert!(matches!(listener.accept(), Err(e) if e.kind() == ErrorKind::WouldBlock));
	}
}

#[test]
fn landlock_confines_reads_and_writes_to_the_configured_paths() {
	let support = support();
	if support.landlock_abi == 0 {
		println!("Landlock: not available in this kernel (or disabled): test skipped");
		return;
	}
	let f = Fixture::new();
	// Readable by everyone, but outside the read paths.
	let public = f.dir.path().join("public");
	fs::write(&public, b"public data").unwrap();
	chmod(&public, 0o644);
	let mut config = f.script(&format!(
		"cat {public}; echo x > {dir}/new; echo x > {out}/new && echo wrote-out; echo done",
		public = public.display(),
		dir = f.dir.path().display(),
		out = f.out.display(),
	));
	// Without the switch of user (when root): Landlock alone confines the engine.
	config.sandbox.user = None;
	let out = run_text(&f, config);
	assert!(out.ends_with("wrote-out\ndone\n"), "{out}");
	assert!(!out.contains("public data"), "{out}");
	assert!(!f.dir.path().join("new").exists());
	assert!(f.out.join("new").exists());
}

#[test]
fn a_program_the_sandbox_user_cannot_reach_is_reported() {
	if !support().switch_user {
		println!("not running as root: test skipped");
		return;
	}
	let f = Fixture::new();
	let private = f.dir.path().join("private");
	fs::create_dir(&private).unwrap();
	chmod(&private, 0o700);
	let program = private.join("engine");
	fs::write(&program, "#!/bin/sh\necho hi\n").unwrap();
	chmod(&program, 0o755);
	match process_error(f.execute(ExternalConfig::new(program), b"i")) {
		ProcessError::Spawn { source, .. } => {
			assert!(source.to_string().contains("must be able to read the program"), "{source}")
		}
		other => panic!("{other:?}"),
	}
}
