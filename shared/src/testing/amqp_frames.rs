//! Just enough AMQP 0-9-1 framing for the test proxy to notice a client publishing.
//!
//! A client sends the 8-byte protocol header, then frames: type (1 byte), channel (2), payload
//! size (4, big-endian), payload, frame-end `0xCE`. A method frame's payload starts with the
//! class and method ids; `basic.publish` is class 60, method 40.

const PREAMBLE: usize = 8;
const FRAME_HEADER: usize = 7;
const METHOD_FRAME: u8 = 1;
const BASIC_PUBLISH: (u16, u16) = (60, 40);

/// Reads a client's byte stream chunk by chunk (frames may span chunks).
#[derive(Debug)]
pub struct PublishScanner {
    preamble_left: usize,
    /// The frame header collected so far, plus the method ids of a method frame.
    header: Vec<u8>,
    /// Bytes of the current frame still to pass over.
    skip: usize,
}

impl PublishScanner {
    pub fn new() -> Self {
        Self { preamble_left: PREAMBLE, header: Vec::with_capacity(FRAME_HEADER + 4), skip: 0 }
    }

    /// Whether a `basic.publish` method frame starts in `chunk`.
    pub fn has_publish(&mut self, chunk: &[u8]) -> bool {
        let mut found = false;
        let mut i = 0;
        while i < chunk.len() {
            if self.preamble_left > 0 || self.skip > 0 {
                let left = if self.preamble_left > 0 { &mut self.preamble_left } else { &mut self.skip };
                let n = (*left).min(chunk.len() - i);
                *left -= n;
                i += n;
                continue;
            }
            self.header.push(chunk[i]);
            i += 1;
            let size = match self.header.len() {
                FRAME_HEADER => self.payload_size(),
                n if n == FRAME_HEADER + 4 => self.payload_size(),
                _ => continue,
            };
            if self.header.len() == FRAME_HEADER {
                if self.header[0] == METHOD_FRAME && size >= 4 {
                    continue; // read the method ids
                }
                self.skip = size + 1;
            } else {
                let ids = |at: usize| u16::from_be_bytes([self.header[at], self.header[at + 1]]);
                found |= (ids(FRAME_HEADER), ids(FRAME_HEADER + 2)) == BASIC_PUBLISH;
                self.skip = size - 4 + 1;
            }
            self.header.clear();
        }
        found
    }

    fn payload_size(&self) -> usize {
        u32::from_be_bytes([self.header[3], self.header[4], self.header[5], self.header[6]]) as usize
    }
}

impl Default for PublishScanner {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(kind: u8, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![kind, 0, 1];
        f.extend((payload.len() as u32).to_be_bytes());
        f.extend(payload);
        f.push(0xCE);
        f
    }

    fn method(class: u16, method: u16) -> Vec<u8> {
        let mut p = class.to_be_bytes().to_vec();
        p.extend(method.to_be_bytes());
        p.extend([0, 0, 5, b'x']);
        frame(METHOD_FRAME, &p)
    }

    #[test]
    fn finds_a_publish_among_other_frames_even_split_across_chunks() {
        let mut stream = b"AMQP\x00\x00\x09\x01".to_vec();
        stream.extend(method(10, 11)); // connection.start-ok
        stream.extend(frame(8, &[])); // heartbeat
        stream.extend(method(60, 80)); // basic.ack
        assert!(!PublishScanner::new().has_publish(&stream), "no publish yet");
        let publish_at = stream.len();
        stream.extend(method(60, 40));
        stream.extend(frame(2, &[0; 14])); // content header
        for split in [1, 3, publish_at + 2, publish_at + 8, stream.len() - 1] {
            let mut scanner = PublishScanner::new();
            let (a, b) = stream.split_at(split);
            let found = scanner.has_publish(a) | scanner.has_publish(b);
            assert!(found, "split at {split}");
            assert!(!scanner.has_publish(&frame(8, &[])), "the scanner is in step after the publish");
        }
    }
}
