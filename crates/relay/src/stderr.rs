//! The server's stderr, when the audit trail keeps it: passed on to ours unchanged, and each
//! line handed to the sink (which redacts it before storing).

use std::sync::Arc;

use portcullis_core::audit::AuditSink;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};

/// The longest line handed to the sink; the rest of a longer line is passed on but not kept.
const LINE_MAX: u64 = 64 * 1024;

/// Copies `input` to our stderr until it ends, handing each line to `sink`.
pub async fn tee(input: impl AsyncRead + Unpin, sink: Arc<dyn AuditSink>) {
    let mut reader = BufReader::new(input);
    let mut out = tokio::io::stderr();
    let mut line = Vec::new();
    loop {
        line.clear();
        match (&mut reader)
            .take(LINE_MAX)
            .read_until(b'\n', &mut line)
            .await
        {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        // Our stderr is the user's to read; a closed one does not stop the capture.
        let _ = out.write_all(&line).await;
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        sink.stderr(text.strip_suffix(b"\r").unwrap_or(text));
    }
    let _ = out.flush().await;
}
