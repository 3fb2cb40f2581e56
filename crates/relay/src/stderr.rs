//! The server's stderr, when the audit trail keeps it: passed on to ours unchanged, and each
//! line handed to the sink (which redacts it before storing).

use std::sync::Arc;

use portcullis_core::audit::AuditSink;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWriteExt, BufReader};

/// The longest part of a line handed to the sink; the rest of a longer line is passed on but not
/// kept. Far more than the sink keeps after redacting (16 KiB), so a secret that straddles this
/// cut lies beyond what is kept anyway and no fragment of it reaches the log.
const LINE_MAX: usize = 64 * 1024;

/// Copies `input` to our stderr until it ends, handing each line to `sink`.
pub async fn tee(input: impl AsyncRead + Unpin, sink: Arc<dyn AuditSink>) {
    let mut reader = BufReader::new(input);
    let mut out = tokio::io::stderr();
    let mut line = Vec::new();
    loop {
        let chunk = match reader.fill_buf().await {
            Ok(chunk) if !chunk.is_empty() => chunk,
            _ => break,
        };
        let end = chunk.iter().position(|&b| b == b'\n');
        let part = &chunk[..end.map_or(chunk.len(), |i| i + 1)];
        // Our stderr is the user's to read; a closed one does not stop the capture.
        let _ = out.write_all(part).await;
        let room = LINE_MAX.saturating_sub(line.len());
        line.extend_from_slice(&part[..part.len().min(room)]);
        let consumed = part.len();
        reader.consume(consumed);
        if end.is_some() {
            hand_over(&*sink, &line);
            line.clear();
        }
    }
    if !line.is_empty() {
        hand_over(&*sink, &line);
    }
    let _ = out.flush().await;
}

/// Gives `line` to the sink without its line ending.
fn hand_over(sink: &dyn AuditSink, line: &[u8]) {
    let text = line.strip_suffix(b"\n").unwrap_or(line);
    sink.stderr(text.strip_suffix(b"\r").unwrap_or(text));
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use portcullis_core::audit::Event;

    use super::*;

    #[derive(Default)]
    struct Lines(Mutex<Vec<Vec<u8>>>);

    impl AuditSink for Lines {
        fn record(&self, _: Event) {}

        fn stderr(&self, line: &[u8]) {
            self.0.lock().unwrap().push(line.to_vec());
        }
    }

    fn lines_of(input: &[u8]) -> Vec<Vec<u8>> {
        let sink = Arc::new(Lines::default());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(tee(input, sink.clone()));
        std::mem::take(&mut *sink.0.lock().unwrap())
    }

    #[test]
    fn lines_are_handed_over_without_their_endings() {
        let lines = lines_of(b"one\r\ntwo\nlast without newline");
        assert_eq!(lines, [&b"one"[..], b"two", b"last without newline"]);
    }

    #[test]
    fn the_rest_of_an_overlong_line_is_not_kept_as_a_line_of_its_own() {
        let mut input = vec![b'x'; LINE_MAX + 100];
        input.extend_from_slice(b"ghp_tail_of_a_secret\nnext\n");
        let lines = lines_of(&input);
        assert_eq!(lines.len(), 2, "one cut line, then the next");
        assert_eq!(lines[0].len(), LINE_MAX);
        assert!(lines[0].iter().all(|&b| b == b'x'));
        assert_eq!(lines[1], b"next");
    }
}
