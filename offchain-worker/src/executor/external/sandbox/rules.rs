//! The Landlock ruleset of an engine's processes, made before the fork (it opens the paths it
//! names, which allocates).

use std::{
	ffi::OsString,
	path::{Path, PathBuf},
};

use super::{child::Ruleset, SandboxConfig};

/// The Landlock ABI whose rights are asked for: the newest this code was tested with. On an
/// older kernel the crate drops what that kernel does not know (best effort).
#[cfg(target_os = "linux")]
const ABI: landlock::ABI = landlock::ABI::V6;

/// The error of building a ruleset.
#[cfg(target_os = "linux")]
pub(super) type Error = landlock::RulesetError;
/// The error of building a ruleset.
#[cfg(not(target_os = "linux"))]
pub(super) type Error = std::io::Error;

/// The files the engine may read (and execute) besides the read paths: the program (looked
/// up in `PATH` if it is a bare name) and every fixed argument that is an absolute path.
pub(super) fn program_files(program: &Path, args: &[OsString]) -> Vec<PathBuf> {
	let mut files = Vec::new();
	if program.components().count() > 1 {
		files.push(program.to_path_buf());
	} else if let Some(path) = std::env::var_os("PATH") {
		files.extend(
			std::env::split_paths(&path).map(|dir| dir.join(program)).find(|file| file.is_file()),
		);
	}
	files.extend(args.iter().map(PathBuf::from).filter(|arg| arg.is_absolute() && arg.exists()));
	files
}

/// The ruleset of a run of `program` with `args` on the model at `model`.
#[cfg(target_os = "linux")]
pub(super) fn ruleset(
	config: &SandboxConfig,
	program: &Path,
	args: &[OsString],
	model: &Path,
) -> Result<Ruleset, Error> {
	use landlock::{
		path_beneath_rules, Access, AccessFs, AccessNet, BitFlags, Ruleset, RulesetAttr,
		RulesetCreatedAttr, Scope,
	};
	let mut ruleset = Ruleset::default().handle_access(AccessFs::from_all(ABI))?;
	// No signals to processes outside the sandbox (the node, when it is the same user).
	let mut scope = BitFlags::from(Scope::Signal);
	if !config.allow_network {
		// Handled with no rule: every TCP connect and bind is refused.
		ruleset = ruleset.handle_access(AccessNet::from_all(ABI))?;
		scope = Scope::from_all(ABI);
	}
	let read = AccessFs::from_read(ABI);
	ruleset
		.scope(scope)?
		.create()?
		.add_rules(path_beneath_rules(&config.read_paths, read))?
		.add_rules(path_beneath_rules(program_files(program, args), read))?
		.add_rules(path_beneath_rules([model], AccessFs::ReadFile))?
		.add_rules(path_beneath_rules(["/dev/null"], AccessFs::from_file(ABI)))?
		.add_rules(path_beneath_rules(&config.write_paths, AccessFs::from_all(ABI)))
}

/// No Landlock off Linux (never called: the probe finds no ABI).
#[cfg(not(target_os = "linux"))]
pub(super) fn ruleset(
	_config: &SandboxConfig,
	_program: &Path,
	_args: &[OsString],
	_model: &Path,
) -> Result<Ruleset, Error> {
	Err(std::io::Error::new(std::io::ErrorKind::Unsupported, "Landlock needs Linux"))
}
