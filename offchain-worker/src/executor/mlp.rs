//! A deterministic CPU inference engine for feed-forward networks stored as safetensors.
//!
//! # Model format
//!
//! A [safetensors](https://huggingface.co/docs/safetensors) file (8-byte little-endian
//! header length, JSON header, tensor data; `__metadata__` is allowed and ignored) holding
//! exactly these tensors for a network of `L >= 1` layers (at most [`MLP_MAX_LAYERS`]):
//!
//! | tensor             | dtype | shape            |
//! |--------------------|-------|------------------|
//! | `layers.{i}.weight` | `F32` | `[out_i, in_i]` (row-major, as safetensors stores it) |
//! | `layers.{i}.bias`   | `F32` | `[out_i]`        |
//!
//! for `i` in `0..L`, with `in_{i+1} == out_i` and every dimension non-zero. The input
//! dimension is `in_0`, the output dimension `out_{L-1}`. Any other tensor, a missing one, a
//! dtype other than `F32` (little-endian, as safetensors specifies), a shape that does not
//! chain or more parameters than [`MlpConfig::max_params`] make the file invalid
//! ([`ModelError`]); the engine never panics on a malformed file.
//!
//! # Memory
//!
//! A task's peak memory is bounded by [`peak_memory`] (the file read whole, its parsed
//! header and the activations); a model whose bound exceeds [`MlpConfig::max_memory`] is
//! refused ([`ModelError::TooMuchMemory`]) after reading only its header.
//!
//! # Computation
//!
//! ```text
//! seed   = sha256("modelnet-mlp-input-v1" ++ input)
//! block_k = sha256(seed ++ u32_le(k))                      k = 0, 1, ...
//! x[j]   = i16_le(block_{j / 16}[2 (j % 16) .. 2 (j % 16) + 2]) / 32768   j in 0..in_0
//! for each layer i:
//!     y[o] = b[o]; for j in 0..in_i (in order): y[o] = f32(y[o] + f32(W[o][j] * x[j]))
//!     if i < L - 1: y[o] = (y[o] > 0) ? y[o] : +0      (ReLU; NaN becomes +0)
//!     x = y
//! digest = sha256("modelnet-mlp-v1" ++ sha256(input) ++ f32_le(x[0]) ++ ... )
//!          with every NaN output written as 0x7fc00000
//! ```
//!
//! The input values are multiples of 2^-15 in [-1, 1), exactly representable in f32. The
//! input starts with the task's challenge, so both the input vector and the digest are
//! unknown before the task is assigned.
//!
//! # Why the forward pass is hand-written
//!
//! Nodes vote on the digest, so the output must be identical bit for bit on every machine
//! and at every thread count. Floating-point addition is not associative: BLAS-style
//! engines pick blocking, vectorisation and fused multiply-add (FMA) kernels by CPU
//! features and thread count, and promise no particular summation order, hence no
//! particular result bits. This engine fixes the order instead: every output is a
//! sequential sum in index order in which each product and each sum is rounded to f32
//! (IEEE 754 binary32, round to nearest even), with no FMA. Rust neither contracts `a * b
//! + c` into an FMA nor reorders floating-point sums, and f32 arithmetic is exact IEEE
//! binary32 on the supported targets (x86-64 with SSE, AArch64). Threads only split the
//! *outputs* of a layer between them; each output's sum stays on one thread, so the thread
//! count changes nothing. A JavaScript reference of the same computation lives in
//! `clients/polkadot-js/lib/mlp.js`.

use std::{
	collections::BTreeSet,
	fs::File,
	io::{Read, Seek, SeekFrom},
	path::Path,
};

use safetensors::{tensor::Metadata, Dtype, SafeTensors};
use sha2::{Digest, Sha256};

use super::{check_size, Executor};
use crate::error::{ExecError, ModelError};

#[cfg(test)]
mod tests;

/// Domain separator of the MLP result digest.
pub const MLP_DOMAIN: &[u8] = b"modelnet-mlp-v1";
/// Domain separator of the expansion of the task input into the input vector.
pub const MLP_INPUT_DOMAIN: &[u8] = b"modelnet-mlp-input-v1";
/// Most layers a model may have.
pub const MLP_MAX_LAYERS: usize = 64;
/// Largest safetensors JSON header accepted, in bytes.
pub const MLP_MAX_HEADER: u64 = 1 << 20;
/// Bytes of memory that parsing a safetensors header may take per byte of header: serde
/// buffers every JSON value of the header (one 32-byte value for an array element of two
/// bytes, growing by half at a time); measured at most 24 on adversarial headers.
pub const MLP_HEADER_MEMORY_FACTOR: u64 = 32;
/// Allowance for the engine's small fixed allocations (tensor names, layer list, hashers).
pub const MLP_FIXED_MEMORY: u64 = 64 << 10;
/// Default [`MlpConfig::max_memory`]: 1.25 GiB, a model of the default
/// [`MlpConfig::max_params`] (1 GiB of weights) with a quarter GiB for its header and
/// activations.
pub const MLP_DEFAULT_MAX_MEMORY: u64 = 5 << 28;
/// Bit pattern every NaN output is written as.
const CANONICAL_NAN: u32 = 0x7fc0_0000;

/// Limits and parallelism of the [`MlpExecutor`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MlpConfig {
	/// Most parameters (weights and biases) a model may have (4 bytes each). Default: 2^28
	/// (1 GiB of weights).
	pub max_params: u64,
	/// Most bytes of memory a task may take at its peak, as bounded by [`peak_memory`]: the
	/// file (read whole), its parsed header and the activations. A model over it is refused
	/// with [`ModelError::TooMuchMemory`] before its tensor data is read. Raise it with
	/// `max_params`. Default: [`MLP_DEFAULT_MAX_MEMORY`] (1.25 GiB).
	pub max_memory: u64,
	/// Threads that share the outputs of each layer. Does not change the result. Default: 1.
	/// Each thread beyond the first also takes a thread stack (not counted in `max_memory`).
	pub threads: usize,
}

impl Default for MlpConfig {
	fn default() -> Self {
		Self { max_params: 1 << 28, max_memory: MLP_DEFAULT_MAX_MEMORY, threads: 1 }
	}
}

/// Upper bound of the heap memory a task takes at its peak, in bytes, for a model file of
/// `file_size` bytes whose JSON header has `header_len` bytes and whose layers have the
/// `(inputs, outputs)` dimensions `dims`:
///
/// ```text
/// file_size                                   the file, read whole into one buffer
/// + 32 × header_len                           the parsed header (MLP_HEADER_MEMORY_FACTOR)
/// + 4 × max_i (in_0 + out_i + (i > 0 ? in_i : 0))
///                                             the input vector (kept for the whole pass),
///                                             the layer's input and its output
/// + 64 KiB                                    small fixed allocations (MLP_FIXED_MEMORY)
/// ```
///
/// Before the file is read, the header alone is parsed (at most 33 × `header_len` bytes,
/// freed again), which the sum above exceeds. Not counted: the task input, thread stacks
/// and the allocator's own overhead. Saturates at `u64::MAX`.
pub fn peak_memory(file_size: u64, header_len: u64, dims: &[(usize, usize)]) -> u64 {
	let in_0 = dims.first().map_or(0, |(inputs, _)| *inputs as u64);
	let values = dims
		.iter()
		.enumerate()
		.map(|(i, (inputs, outputs))| {
			let input = if i == 0 { 0 } else { *inputs as u64 };
			in_0.saturating_add(*outputs as u64).saturating_add(input)
		})
		.max()
		.unwrap_or(0);
	file_size
		.saturating_add(header_len.saturating_mul(MLP_HEADER_MEMORY_FACTOR))
		.saturating_add(values.saturating_mul(4))
		.saturating_add(MLP_FIXED_MEMORY)
}

/// Runs safetensors feed-forward networks on the CPU (see the [module docs](self) for the
/// format and the exact computation).
#[derive(Clone, Debug, Default)]
pub struct MlpExecutor {
	config: MlpConfig,
}

impl MlpExecutor {
	/// An executor with the given limits.
	pub fn new(config: MlpConfig) -> Self {
		Self { config }
	}

	/// The executor's configuration.
	pub fn config(&self) -> &MlpConfig {
		&self.config
	}
}

impl Executor for MlpExecutor {
	fn execute(
		&self,
		model_path: &Path,
		model_size: u64,
		input: &[u8],
	) -> Result<[u8; 32], ExecError> {
		let bytes = read_model_file(model_path, model_size, &self.config)?;
		let model = MlpModel::parse(&bytes, self.config.max_params)?;
		let x = input_vector(input, model.input_dim());
		let y = model.forward(&x, self.config.threads)?;
		Ok(output_digest(input, &y))
	}
}

/// Reads a model file of `size` bytes after checking its size, from the header length that
/// its tensor data fits `max_params`, and from the header that the task's [`peak_memory`]
/// fits `max_memory`.
fn read_model_file(path: &Path, size: u64, config: &MlpConfig) -> Result<Vec<u8>, ExecError> {
	let max_params = config.max_params;
	let mut file = File::open(path)?;
	check_size(&file, size)?;
	let mut len = [0u8; 8];
	if size < 8 {
		return Err(ModelError::Format("file shorter than the 8-byte header length".into()).into());
	}
	file.read_exact(&mut len)?;
	let header = u64::from_le_bytes(len);
	if header > MLP_MAX_HEADER {
		return Err(ModelError::Format(format!(
			"header of {header} bytes exceeds the limit of {MLP_MAX_HEADER}"
		))
		.into());
	}
	let data = (size - 8)
		.checked_sub(header)
		.ok_or_else(|| ModelError::Format("header extends past the end of the file".into()))?;
	if data / 4 > max_params {
		return Err(ModelError::TooManyParameters { params: data / 4, max: max_params }.into());
	}
	// The header alone (at most MLP_MAX_HEADER bytes) tells the layers' dimensions. A header
	// that does not parse is left to the full parse below to report.
	let mut json = vec![0u8; usize::try_from(header).unwrap_or(0)];
	file.read_exact(&mut json)?;
	let dims = layer_dims(&json);
	drop(json);
	let needed = peak_memory(size, header, &dims);
	if needed > config.max_memory {
		return Err(ModelError::TooMuchMemory { needed, max: config.max_memory }.into());
	}
	let capacity = usize::try_from(size)
		.map_err(|_| ModelError::Format("file too large for this platform".into()))?;
	file.seek(SeekFrom::Start(0))?;
	let mut bytes = Vec::with_capacity(capacity);
	file.take(size).read_to_end(&mut bytes)?;
	if bytes.len() != capacity {
		return Err(ExecError::SizeMismatch { expected: size, actual: bytes.len() as u64 });
	}
	Ok(bytes)
}

/// One dense layer: `outputs` rows of `inputs` little-endian f32 weights, and the biases.
#[derive(Clone, Copy, Debug)]
struct Layer<'a> {
	inputs: usize,
	outputs: usize,
	weight: &'a [u8],
	bias: &'a [u8],
}

/// A validated network whose tensors borrow the bytes of a safetensors file.
#[derive(Clone, Debug)]
pub struct MlpModel<'a> {
	layers: Vec<Layer<'a>>,
}

impl<'a> MlpModel<'a> {
	/// Parses and validates the safetensors file `bytes` (see the [module docs](self)),
	/// accepting at most `max_params` parameters.
	pub fn parse(bytes: &'a [u8], max_params: u64) -> Result<Self, ModelError> {
		let file =
			SafeTensors::deserialize(bytes).map_err(|e| ModelError::Format(e.to_string()))?;
		let names: BTreeSet<&str> = file.names().into_iter().collect();
		let count =
			(0..=MLP_MAX_LAYERS).take_while(|i| names.contains(weight_name(*i).as_str())).count();
		if count == 0 {
			return Err(ModelError::NoLayers);
		}
		if count > MLP_MAX_LAYERS {
			let layers = (0..).take_while(|i| names.contains(weight_name(*i).as_str())).count();
			return Err(ModelError::TooManyLayers { layers, max: MLP_MAX_LAYERS });
		}
		let expected: BTreeSet<String> =
			(0..count).flat_map(|i| [weight_name(i), bias_name(i)]).collect();
		if let Some(name) = names.iter().find(|n| !expected.contains(**n)) {
			return Err(ModelError::UnexpectedTensor((*name).to_owned()));
		}
		let mut layers: Vec<Layer<'a>> = Vec::with_capacity(count);
		let mut params: u64 = 0;
		for i in 0..count {
			let wname = weight_name(i);
			let weight = f32_tensor(&file, &wname)?;
			let (outputs, inputs) = match (weight.shape(), layers.last()) {
				([out, inp], None) if *out > 0 && *inp > 0 => (*out, *inp),
				([out, inp], Some(prev)) if *out > 0 && *inp == prev.outputs => (*out, *inp),
				(shape, prev) => {
					let expected = match prev {
						None => "[out, in], both non-zero".to_owned(),
						Some(prev) => format!("[out, {}], out non-zero", prev.outputs),
					};
					return Err(ModelError::ShapeMismatch {
						name: wname,
						expected,
						actual: shape.to_vec(),
					});
				}
			};
			let bname = bias_name(i);
			let bias = f32_tensor(&file, &bname)?;
			if bias.shape() != [outputs] {
				return Err(ModelError::ShapeMismatch {
					name: bname,
					expected: format!("[{outputs}]"),
					actual: bias.shape().to_vec(),
				});
			}
			let layer = Layer { inputs, outputs, weight: weight.data(), bias: bias.data() };
			// Sizes were checked against the shapes by the safetensors parser; this guards the
			// slicing in `dense_rows` should that ever change.
			let weights = outputs.checked_mul(inputs).and_then(|n| n.checked_mul(4));
			if weights != Some(layer.weight.len()) || layer.bias.len() != outputs * 4 {
				return Err(ModelError::Format(format!(
					"data of layer {i} does not match its shape"
				)));
			}
			params = params.saturating_add((outputs as u64).saturating_mul(inputs as u64 + 1));
			layers.push(layer);
		}
		if params > max_params {
			return Err(ModelError::TooManyParameters { params, max: max_params });
		}
		Ok(Self { layers })
	}

	/// Length of the input vector (`in_0`).
	pub fn input_dim(&self) -> usize {
		self.layers.first().map_or(0, |l| l.inputs)
	}

	/// Length of the output vector (`out_{L-1}`).
	pub fn output_dim(&self) -> usize {
		self.layers.last().map_or(0, |l| l.outputs)
	}

	/// Number of layers.
	pub fn layers(&self) -> usize {
		self.layers.len()
	}

	/// Number of parameters (weights and biases).
	pub fn params(&self) -> u64 {
		self.layers.iter().map(|l| l.outputs as u64 * (l.inputs as u64 + 1)).sum()
	}

	/// Runs the network on `x` (of length [`input_dim`](Self::input_dim)), sharing each
	/// layer's outputs between `threads` threads; the result does not depend on `threads`.
	pub fn forward(&self, x: &[f32], threads: usize) -> Result<Vec<f32>, ExecError> {
		if x.len() != self.input_dim() {
			return Err(ExecError::Engine(format!(
				"input vector has {} values, the model takes {}",
				x.len(),
				self.input_dim()
			)));
		}
		// The first layer reads `x` itself: no copy of the input vector (see `peak_memory`).
		let mut current: Option<Vec<f32>> = None;
		let last = self.layers.len().saturating_sub(1);
		for (i, layer) in self.layers.iter().enumerate() {
			let input = current.as_deref().unwrap_or(x);
			current = Some(dense(layer, input, i < last, threads)?);
		}
		Ok(current.unwrap_or_default())
	}
}

/// The `(inputs, outputs)` of the consecutive layers `layers.{i}.weight` (shape
/// `[outputs, inputs]`) a safetensors JSON header declares; empty if it does not parse.
/// Stops at the first missing or malformed weight, and after one layer beyond
/// [`MLP_MAX_LAYERS`] (such a model is refused anyway).
fn layer_dims(json: &[u8]) -> Vec<(usize, usize)> {
	let Ok(metadata) = serde_json::from_slice::<Metadata>(json) else {
		return Vec::new();
	};
	(0..=MLP_MAX_LAYERS)
		.map_while(|i| match metadata.info(&weight_name(i))?.shape.as_slice() {
			[outputs, inputs] => Some((*inputs, *outputs)),
			_ => None,
		})
		.collect()
}

fn weight_name(i: usize) -> String {
	format!("layers.{i}.weight")
}

fn bias_name(i: usize) -> String {
	format!("layers.{i}.bias")
}

/// The tensor `name`, which must exist and be `F32`.
fn f32_tensor<'a>(
	file: &SafeTensors<'a>,
	name: &str,
) -> Result<safetensors::tensor::TensorView<'a>, ModelError> {
	let tensor = file.tensor(name).map_err(|_| ModelError::MissingTensor(name.to_owned()))?;
	if tensor.dtype() != Dtype::F32 {
		return Err(ModelError::WrongDtype {
			name: name.to_owned(),
			dtype: format!("{:?}", tensor.dtype()),
		});
	}
	Ok(tensor)
}

/// One layer on `x`, its outputs split into contiguous ranges over up to `threads` threads.
fn dense(layer: &Layer, x: &[f32], relu: bool, threads: usize) -> Result<Vec<f32>, ExecError> {
	let mut y = vec![0f32; layer.outputs];
	let threads = threads.clamp(1, layer.outputs.max(1));
	if threads == 1 {
		dense_rows(layer, x, relu, 0, &mut y);
		return Ok(y);
	}
	let chunk = layer.outputs.div_ceil(threads);
	std::thread::scope(|scope| {
		let mut handles = Vec::with_capacity(threads);
		for (c, rows) in y.chunks_mut(chunk).enumerate() {
			let handle = std::thread::Builder::new()
				.name("modelnet-mlp".into())
				.spawn_scoped(scope, move || dense_rows(layer, x, relu, c * chunk, rows))?;
			handles.push(handle);
		}
		for handle in handles {
			handle.join().map_err(|_| ExecError::Engine("an MLP thread panicked".into()))?;
		}
		Ok::<(), ExecError>(())
	})?;
	Ok(y)
}

/// Computes outputs `first..first + out.len()` of `layer`: the bias, then the products
/// added one by one in input order, each operation rounded to f32 (see the module docs).
fn dense_rows(layer: &Layer, x: &[f32], relu: bool, first: usize, out: &mut [f32]) {
	let row_bytes = layer.inputs * 4;
	for (k, y) in out.iter_mut().enumerate() {
		let o = first + k;
		let row = &layer.weight[o * row_bytes..(o + 1) * row_bytes];
		let mut acc = f32_le(&layer.bias[o * 4..o * 4 + 4]);
		for (w, xi) in row.chunks_exact(4).zip(x) {
			let product = f32_le(w) * *xi;
			acc += product;
		}
		*y = if relu { relu_f32(acc) } else { acc };
	}
}

/// A little-endian f32 from a 4-byte slice (other lengths read as 0; callers pass 4).
fn f32_le(bytes: &[u8]) -> f32 {
	match bytes {
		[a, b, c, d] => f32::from_le_bytes([*a, *b, *c, *d]),
		_ => 0.0,
	}
}

/// `v` if `v > 0`, otherwise `+0` (also for NaN and `-0`).
fn relu_f32(v: f32) -> f32 {
	if v > 0.0 {
		v
	} else {
		0.0
	}
}

/// Expands the task input into `dim` values in [-1, 1), multiples of 2^-15 (see the
/// [module docs](self)).
pub fn input_vector(input: &[u8], dim: usize) -> Vec<f32> {
	let seed: [u8; 32] =
		Sha256::new().chain_update(MLP_INPUT_DOMAIN).chain_update(input).finalize().into();
	let mut x = Vec::with_capacity(dim);
	let mut block = 0u32;
	while x.len() < dim {
		let bytes = Sha256::new().chain_update(seed).chain_update(block.to_le_bytes()).finalize();
		for pair in bytes.chunks_exact(2).take(dim - x.len()) {
			x.push(f32::from(i16::from_le_bytes([pair[0], pair[1]])) / 32768.0);
		}
		block = block.wrapping_add(1);
	}
	x
}

/// The result digest: `sha256("modelnet-mlp-v1" ++ sha256(input) ++ f32_le(output)...)`,
/// with NaN outputs written as `0x7fc00000`.
pub fn output_digest(input: &[u8], output: &[f32]) -> [u8; 32] {
	let mut h = Sha256::new();
	h.update(MLP_DOMAIN);
	h.update(Sha256::digest(input));
	for v in output {
		let bits = if v.is_nan() { CANONICAL_NAN } else { v.to_bits() };
		h.update(bits.to_le_bytes());
	}
	h.finalize().into()
}
