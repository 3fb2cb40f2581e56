//! The wrapper's own stdin and stdout, as the client's end of the conversation.
//!
//! Tokio's `stdin()` and `stdout()` do every read and write on a blocking thread, so each message
//! costs two thread hand-offs and a wake-up. Clients start servers with pipes (or, from Node,
//! socket pairs), which can be polled like the server's pipes: such descriptors are made
//! non-blocking and registered with the runtime instead. A terminal or a file keeps Tokio's
//! blocking path: making a terminal non-blocking would change it for the shell that shares it.

use tokio::io::{AsyncRead, AsyncWrite};

pub type Input = Box<dyn AsyncRead + Unpin + Send>;
pub type Output = Box<dyn AsyncWrite + Unpin + Send>;

/// Our stdin, polled by the runtime where it can be.
pub fn input() -> Input {
    #[cfg(unix)]
    if let Some(fd) = unix::pollable(libc::STDIN_FILENO) {
        return Box::new(fd);
    }
    Box::new(tokio::io::stdin())
}

/// Our stdout, polled by the runtime where it can be.
pub fn output() -> Output {
    #[cfg(unix)]
    if let Some(fd) = unix::pollable(libc::STDOUT_FILENO) {
        return Box::new(fd);
    }
    Box::new(tokio::io::stdout())
}

#[cfg(unix)]
mod unix {
    use std::io::{self, Read, Write};
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    use std::pin::Pin;
    use std::task::{Context, Poll, ready};

    use tokio::io::unix::AsyncFd;
    use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

    /// A pipe or socket, non-blocking and registered with the runtime.
    pub struct Pollable(AsyncFd<std::fs::File>);

    /// A non-blocking duplicate of `fd` registered with the runtime, when `fd` is a pipe or a
    /// socket; `None` otherwise, or when anything fails (the blocking path always works).
    pub fn pollable(fd: libc::c_int) -> Option<Pollable> {
        // SAFETY: fstat only writes into the zeroed struct we pass.
        let mut stat: libc::stat = unsafe { std::mem::zeroed() };
        if unsafe { libc::fstat(fd, &mut stat) } != 0 {
            return None;
        }
        let kind = stat.st_mode & libc::S_IFMT;
        if kind != libc::S_IFIFO && kind != libc::S_IFSOCK {
            return None;
        }
        // SAFETY: dup returns a new descriptor that we own, or -1.
        let copy = unsafe { libc::dup(fd) };
        if copy < 0 {
            return None;
        }
        // SAFETY: `copy` is a fresh descriptor nothing else owns.
        let owned = unsafe { OwnedFd::from_raw_fd(copy) };
        set_nonblocking(owned.as_raw_fd()).ok()?;
        // SAFETY: the `File` owns the descriptor and keeps it open for as long as the `AsyncFd`
        // holding it lives.
        unsafe { AsyncFd::register(std::fs::File::from(owned)) }
            .ok()
            .map(Pollable)
    }

    fn set_nonblocking(fd: libc::c_int) -> io::Result<()> {
        // SAFETY: fcntl on a descriptor we own, with integer arguments.
        let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
        if flags < 0 || unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    impl AsyncRead for Pollable {
        fn poll_read(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            loop {
                let mut guard = ready!(self.0.poll_read_ready(cx))?;
                let unfilled = buf.initialize_unfilled();
                match guard.try_io(|fd| fd.get_ref().read(unfilled)) {
                    Ok(Ok(n)) => {
                        buf.advance(n);
                        return Poll::Ready(Ok(()));
                    }
                    Ok(Err(e)) => return Poll::Ready(Err(e)),
                    Err(_would_block) => continue,
                }
            }
        }
    }

    impl AsyncWrite for Pollable {
        fn poll_write(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            bytes: &[u8],
        ) -> Poll<io::Result<usize>> {
            loop {
                let mut guard = ready!(self.0.poll_write_ready(cx))?;
                match guard.try_io(|fd| fd.get_ref().write(bytes)) {
                    Ok(result) => return Poll::Ready(result),
                    Err(_would_block) => continue,
                }
            }
        }

        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            // Nothing is buffered: every write went to the descriptor.
            Poll::Ready(Ok(()))
        }

        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::fd::AsRawFd;

    use super::unix::pollable;

    #[tokio::test]
    async fn pipes_are_polled_and_files_keep_the_blocking_path() {
        let mut ends = [0; 2];
        // SAFETY: pipe writes two new descriptors into the array.
        assert_eq!(unsafe { libc::pipe(ends.as_mut_ptr()) }, 0);
        assert!(pollable(ends[0]).is_some(), "a pipe's read end is polled");
        assert!(pollable(ends[1]).is_some(), "a pipe's write end is polled");
        // SAFETY: closing the descriptors pipe made; pollable polled duplicates of them.
        unsafe {
            libc::close(ends[0]);
            libc::close(ends[1]);
        }
        let file = tempfile::tempfile().unwrap();
        assert!(
            pollable(file.as_raw_fd()).is_none(),
            "a regular file is not"
        );
    }
}
