//! A connection's write-progress deadline: a client that stops taking the bytes sent to it is
//! cut off, so that it cannot hold its connection (and the server's slots) forever.

use std::{
	future::Future,
	io,
	pin::Pin,
	task::{ready, Context, Poll},
	time::Duration,
};

use tokio::{
	io::{AsyncRead, AsyncWrite, ReadBuf},
	time::Sleep,
};

/// Bytes a stalled client must take within the deadline to earn a new one: one chunk of a
/// response body.
pub(super) const PROGRESS: usize = 64 * 1024;

/// A stream whose writes fail with [`io::ErrorKind::TimedOut`] once they have been blocked for
/// `timeout` without the client taking [`PROGRESS`] bytes (or everything queued). The deadline
/// starts when a write has to wait for the client; it is lifted when the client has taken
/// [`PROGRESS`] bytes since, or when nothing is left to send (a flush). A client reading
/// slower than [`PROGRESS`] bytes per `timeout` is cut off too.
pub(super) struct WriteDeadline<S> {
	inner: S,
	timeout: Duration,
	/// Running while writes wait for the client.
	deadline: Option<Pin<Box<Sleep>>>,
	/// Bytes written since the deadline started.
	taken: usize,
}

impl<S> WriteDeadline<S> {
	/// `inner` with a write-progress deadline of `timeout`.
	pub fn new(inner: S, timeout: Duration) -> Self {
		Self { inner, timeout, deadline: None, taken: 0 }
	}

	/// Counts `n` bytes the client took; enough lifts the deadline.
	fn took(&mut self, n: usize) {
		if self.deadline.is_none() {
			return;
		}
		self.taken = self.taken.saturating_add(n);
		if self.taken >= PROGRESS {
			self.lift();
		}
	}

	/// No deadline until a write has to wait again.
	fn lift(&mut self) {
		self.deadline = None;
		self.taken = 0;
	}

	/// A write has to wait: starts the deadline if it is not running, and fails once it has
	/// passed (the caller's task is woken when it does).
	fn blocked<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
		let timeout = self.timeout;
		let deadline = self.deadline.get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
		ready!(deadline.as_mut().poll(cx));
		Poll::Ready(Err(io::Error::new(
			io::ErrorKind::TimedOut,
			"the client took no bytes within the write deadline",
		)))
	}

	/// The result of a write to the inner stream, deadline applied.
	fn written(
		&mut self,
		cx: &mut Context<'_>,
		poll: Poll<io::Result<usize>>,
	) -> Poll<io::Result<usize>> {
		match poll {
			Poll::Ready(Ok(n)) => {
				self.took(n);
				Poll::Ready(Ok(n))
			}
			Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
			Poll::Pending => self.blocked(cx),
		}
	}
}

impl<S: AsyncRead + Unpin> AsyncRead for WriteDeadline<S> {
	fn poll_read(
		self: Pin<&mut Self>,
		cx: &mut Context<'_>,
		buf: &mut ReadBuf<'_>,
	) -> Poll<io::Result<()>> {
		Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
	}
}

impl<S: AsyncWrite + Unpin> AsyncWrite for WriteDeadline<S> {
	fn poll_write(
		self: Pin<&mut Self>,
		cx: &mut Context<'_>,
		buf: &[u8],
	) -> Poll<io::Result<usize>> {
		let this = self.get_mut();
		let poll = Pin::new(&mut this.inner).poll_write(cx, buf);
		this.written(cx, poll)
	}

	fn poll_write_vectored(
		self: Pin<&mut Self>,
		cx: &mut Context<'_>,
		bufs: &[io::IoSlice<'_>],
	) -> Poll<io::Result<usize>> {
		let this = self.get_mut();
		let poll = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
		this.written(cx, poll)
	}

	fn is_write_vectored(&self) -> bool {
		self.inner.is_write_vectored()
	}

	/// Called once everything queued has been written: nothing waits for the client now.
	fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
		let this = self.get_mut();
		match Pin::new(&mut this.inner).poll_flush(cx) {
			Poll::Ready(Ok(())) => {
				this.lift();
				Poll::Ready(Ok(()))
			}
			Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
			Poll::Pending => this.blocked(cx),
		}
	}

	fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
		let this = self.get_mut();
		match Pin::new(&mut this.inner).poll_shutdown(cx) {
			Poll::Pending => this.blocked(cx),
			done => done,
		}
	}
}

#[cfg(test)]
mod tests {
	use tokio::io::{AsyncReadExt, AsyncWriteExt};

	use super::*;

	#[tokio::test]
	async fn a_client_that_stops_reading_fails_the_writes() {
		let (server, mut client) = tokio::io::duplex(1024);
		let mut server = WriteDeadline::new(server, Duration::from_millis(100));
		let chunk = vec![7u8; 4096];
		// A reader that keeps up is never cut off, however long it takes.
		let reader = tokio::spawn(async move {
			let mut buf = vec![0u8; 4096];
			let mut total = 0;
			while total < 3 * PROGRESS {
				total += client.read(&mut buf).await.unwrap();
			}
			client
		});
		for _ in 0..3 * PROGRESS / chunk.len() {
			server.write_all(&chunk).await.unwrap();
		}
		server.flush().await.unwrap();
		let _client = reader.await.unwrap();
		// Now nobody reads: the writes fail instead of waiting forever.
		let mut failed = None;
		for _ in 0..PROGRESS / chunk.len() {
			if let Err(e) = server.write_all(&chunk).await {
				failed = Some(e);
				break;
			}
		}
		assert_eq!(failed.map(|e| e.kind()), Some(io::ErrorKind::TimedOut));
	}

	#[tokio::test]
	async fn a_drip_reader_is_cut_off() {
		let (server, mut client) = tokio::io::duplex(1024);
		let mut server = WriteDeadline::new(server, Duration::from_millis(200));
		// The client takes 64 bytes every 20 ms: far below a chunk per 200 ms.
		let reader = tokio::spawn(async move {
			let mut buf = [0u8; 64];
			while client.read(&mut buf).await.is_ok_and(|n| n > 0) {
				tokio::time::sleep(Duration::from_millis(20)).await;
			}
		});
		let written = server.write_all(&vec![1u8; 4 * PROGRESS]).await;
		assert_eq!(written.map_err(|e| e.kind()), Err(io::ErrorKind::TimedOut));
		drop(server);
		reader.await.unwrap();
	}
}
