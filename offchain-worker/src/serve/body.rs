//! Response bodies of the model server: small in-memory bodies and file ranges streamed in
//! chunks through a bounded channel.

use std::{
	io,
	pin::Pin,
	task::{Context, Poll},
};

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use tokio::sync::mpsc;

/// Chunks that may wait between the file reader and the connection.
pub(super) const QUEUE: usize = 2;

/// A response body.
pub(crate) enum ServeBody {
	/// Everything at once (bitmaps, empty error bodies).
	Full(Option<Bytes>),
	/// Chunks produced by a reader task; an error aborts the response.
	Stream(mpsc::Receiver<io::Result<Bytes>>),
}

impl ServeBody {
	/// An empty body.
	pub fn empty() -> Self {
		Self::Full(None)
	}

	/// A body with these bytes.
	pub fn full(bytes: impl Into<Bytes>) -> Self {
		Self::Full(Some(bytes.into()))
	}
}

impl Body for ServeBody {
	type Data = Bytes;
	type Error = io::Error;

	fn poll_frame(
		self: Pin<&mut Self>,
		cx: &mut Context<'_>,
	) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
		match self.get_mut() {
			Self::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
			Self::Stream(rx) => rx.poll_recv(cx).map(|chunk| chunk.map(|c| c.map(Frame::data))),
		}
	}

	fn is_end_stream(&self) -> bool {
		matches!(self, Self::Full(None))
	}

	fn size_hint(&self) -> SizeHint {
		match self {
			Self::Full(bytes) => SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64)),
			Self::Stream(_) => SizeHint::default(),
		}
	}
}
