//! Synthetic voice recordings for tests: the container structure the server reads (WAV
//! chunks, WebM as MediaRecorder writes it, Ogg Opus pages) around silent or dummy frames.

/// A WAV file of `ms` milliseconds of 8 kHz 16-bit mono silence.
pub fn wav_bytes(ms: u32) -> Vec<u8> {
    let data_len = 16 * ms; // 16,000 bytes per second
    let mut b = b"RIFF".to_vec();
    b.extend((36 + data_len).to_le_bytes());
    b.extend(b"WAVEfmt ");
    b.extend(16u32.to_le_bytes());
    b.extend(1u16.to_le_bytes()); // PCM
    b.extend(1u16.to_le_bytes()); // mono
    b.extend(8000u32.to_le_bytes());
    b.extend(16000u32.to_le_bytes()); // byte rate
    b.extend(2u16.to_le_bytes());
    b.extend(16u16.to_le_bytes());
    b.extend(b"data");
    b.extend(data_len.to_le_bytes());
    b.extend(vec![0u8; data_len as usize]);
    b
}

fn element(id: &[u8], body: &[u8]) -> Vec<u8> {
    let mut e = id.to_vec();
    e.push(0x01); // an 8-byte size: marker byte, then 7 bytes
    e.extend(&(body.len() as u64).to_be_bytes()[1..]);
    e.extend(body);
    e
}

/// A WebM like MediaRecorder writes: unknown-size Segment and Clusters, no Duration; blocks
/// every 20 ms up to `ms`.
pub fn webm_bytes(ms: u64) -> Vec<u8> {
    let mut b = element(&[0x1A, 0x45, 0xDF, 0xA3], &element(&[0x42, 0x82], b"webm"));
    b.extend([0x18, 0x53, 0x80, 0x67, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
    b.extend(element(&[0x15, 0x49, 0xA9, 0x66], &element(&[0x2A, 0xD7, 0xB1], &1_000_000u32.to_be_bytes())));
    for cluster_start in (0..=ms).step_by(1000) {
        b.extend([0x1F, 0x43, 0xB6, 0x75, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
        b.extend(element(&[0xE7], &(cluster_start as u32).to_be_bytes()));
        for rel in (0..1000).step_by(20).filter(|r| cluster_start + r <= ms) {
            let mut block = vec![0x81]; // track 1
            block.extend((rel as i16).to_be_bytes());
            block.push(0x80); // keyframe
            block.extend([0xFC; 40]); // opus payload
            b.extend(element(&[0xA3], &block));
        }
    }
    b
}

fn ogg_page(granule: u64, payload: &[u8]) -> Vec<u8> {
    let mut p = b"OggS\0\0".to_vec();
    p.extend(granule.to_le_bytes());
    p.extend([0u8; 12]); // serial, sequence, checksum
    p.push(1);
    p.push(payload.len() as u8);
    p.extend(payload);
    p
}

pub fn ogg_opus_bytes(ms: u64) -> Vec<u8> {
    let mut head = b"OpusHead\x01\x01".to_vec();
    head.extend(312u16.to_le_bytes()); // pre-skip
    head.extend(48_000u32.to_le_bytes());
    let mut b = ogg_page(0, &head);
    b.extend(ogg_page(0, b"OpusTags"));
    b.extend(ogg_page(312 + ms * 48 / 2, &[0xFC; 30]));
    b.extend(ogg_page(312 + ms * 48, &[0xFC; 30]));
    b
}
