//! The framer never panics, never emits a line over the limit, and splitting the same bytes into
//! different reads never changes the frames.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis_core::framing::{Frame, Framer};

fuzz_target!(|data: &[u8]| {
    let Some((&split, bytes)) = data.split_first() else {
        return;
    };
    let max = 64;
    let frames = |chunk: usize| {
        let mut framer = Framer::new(max);
        let mut out = Vec::new();
        for piece in bytes.chunks(chunk.max(1)) {
            framer.push(piece, &mut out);
        }
        framer.finish(&mut out);
        out
    };
    let whole = frames(bytes.len().max(1));
    let split = frames(usize::from(split));
    assert_eq!(whole, split);
    for frame in whole {
        if let Frame::Line(line) = frame {
            assert!(line.len() <= max);
            assert!(!line.contains(&b'\n'));
        }
    }
});
