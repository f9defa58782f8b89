//! The MLP engine's memory bound ([`peak_memory`]) against the heap it really takes, measured
//! by a counting allocator: wide inputs, deep and wide layers, headers of the largest size
//! full of metadata or of a long shape. One test only, so that nothing else allocates while
//! it measures.

use std::{
	alloc::{GlobalAlloc, Layout, System},
	sync::atomic::{AtomicU64, Ordering::SeqCst},
};

use modelnet_offchain_worker::{
	executor::{
		mlp::{peak_memory, MLP_MAX_HEADER},
		Executor,
	},
	MlpConfig, MlpExecutor,
};

/// The system allocator, counting the bytes allocated now and at the peak.
struct Counting;

static CURRENT: AtomicU64 = AtomicU64::new(0);
static PEAK: AtomicU64 = AtomicU64::new(0);

fn grow(bytes: usize) {
	let now = CURRENT.fetch_add(bytes as u64, SeqCst) + bytes as u64;
	PEAK.fetch_max(now, SeqCst);
}

fn shrink(bytes: usize) {
	CURRENT.fetch_sub(bytes as u64, SeqCst);
}

// SAFETY: every call is forwarded to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
	unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
		let ptr = System.alloc(layout);
		if !ptr.is_null() {
			grow(layout.size());
		}
		ptr
	}
	unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
		let ptr = System.alloc_zeroed(layout);
		if !ptr.is_null() {
			grow(layout.size());
		}
		ptr
	}
	unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
		System.dealloc(ptr, layout);
		shrink(layout.size());
	}
	unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
		let new = System.realloc(ptr, layout, new_size);
		if !new.is_null() {
			// Old and new block may both exist while the bytes are copied.
			grow(new_size);
			shrink(layout.size());
		}
		new
	}
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// A safetensors file: `metadata` entries, then F32 tensors (name, shape) filled with small
/// values, then `extra` (a raw JSON member) if given.
fn model_file(metadata: usize, tensors: &[(String, Vec<usize>)], extra: &str) -> (Vec<u8>, u64) {
	let mut header = String::from("{");
	if metadata > 0 {
		header.push_str(r#""__metadata__":{"#);
		let entries: Vec<String> = (0..metadata).map(|i| format!(r#""{i:x}":"""#)).collect();
		header.push_str(&entries.join(","));
		header.push_str("},");
	}
	let mut offset = 0;
	for (name, shape) in tensors {
		let len = 4 * shape.iter().product::<usize>();
		let dims: Vec<String> = shape.iter().map(ToString::to_string).collect();
		header.push_str(&format!(
			r#""{name}":{{"dtype":"F32","shape":[{}],"data_offsets":[{offset},{}]}},"#,
			dims.join(","),
			offset + len
		));
		offset += len;
	}
	header.push_str(&extra.replace("END", &offset.to_string()));
	if header.ends_with(',') {
		header.pop();
	}
	header.push('}');
	let mut file = (header.len() as u64).to_le_bytes().to_vec();
	file.extend_from_slice(header.as_bytes());
	let values = offset / 4;
	file.extend((0..values).flat_map(|i| (((i % 7) as f32 - 3.0) / 64.0).to_le_bytes()));
	(file, header.len() as u64)
}

/// The tensors of a network with layer widths `widths`.
fn layers(widths: &[usize]) -> Vec<(String, Vec<usize>)> {
	widths
		.windows(2)
		.enumerate()
		.flat_map(|(i, pair)| {
			[
				(format!("layers.{i}.weight"), vec![pair[1], pair[0]]),
				(format!("layers.{i}.bias"), vec![pair[1]]),
			]
		})
		.collect()
}

#[test]
fn the_measured_peak_stays_within_the_stated_bound() {
	let dir = tempfile::tempdir().unwrap();
	let executor = MlpExecutor::new(MlpConfig { max_memory: u64::MAX, ..MlpConfig::default() });
	// A shape of 2-byte elements `0,` for an unexpected tensor of no data: refused after
	// the header is parsed, the most memory per header byte.
	let zeros = (MLP_MAX_HEADER as usize - 400) / 2;
	let long_shape = format!(
		r#""extra":{{"dtype":"F32","shape":[{}0],"data_offsets":[END,END]}}"#,
		"0,".repeat(zeros - 1)
	);
	let cases: Vec<(&str, usize, Vec<usize>, String, bool)> = vec![
		("wide input", 0, vec![1 << 20, 1], String::new(), true),
		("wide output", 0, vec![4, 1 << 20], String::new(), true),
		("wide middle", 0, vec![4, 1 << 16, 8, 1 << 16, 2], String::new(), true),
		("deep", 0, vec![64; 65], String::new(), true),
		("largest header of metadata", 95_000, vec![16, 4], String::new(), true),
		("largest header of one shape", 0, vec![16, 4], long_shape, false),
	];
	for (name, metadata, widths, extra, runs) in cases {
		let (bytes, header) = model_file(metadata, &layers(&widths), &extra);
		assert!(header <= MLP_MAX_HEADER, "{name}: header of {header} bytes");
		let path = dir.path().join("model.safetensors");
		std::fs::write(&path, &bytes).unwrap();
		let size = bytes.len() as u64;
		drop(bytes);
		let dims: Vec<(usize, usize)> = widths.windows(2).map(|p| (p[0], p[1])).collect();
		let bound = peak_memory(size, header, &dims);

		let base = CURRENT.load(SeqCst);
		PEAK.store(base, SeqCst);
		let result = executor.execute(&path, size, b"input");
		let peak = PEAK.load(SeqCst) - base;

		assert_eq!(result.is_ok(), runs, "{name}: {result:?}");
		eprintln!("{name}: peak {peak} bytes, bound {bound} ({:.2})", peak as f64 / bound as f64);
		assert!(peak <= bound, "{name}: peak {peak} bytes over the bound {bound}");
		assert!(peak >= size, "{name}: the file is read whole");
	}
}
