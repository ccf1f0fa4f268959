//! The duration of a voice note, read from its container: WebM (what Chromium's and Firefox's
//! MediaRecorder produce), Ogg (Opus or Vorbis) and WAV. MediaRecorder's WebM has no Duration
//! element, so the last block's timestamp is used; nothing is decoded.

use super::sniff::Format;
use super::MediaError;

pub fn duration_ms(bytes: &[u8], format: Format) -> Result<u64, MediaError> {
    match format {
        Format::Webm => webm(bytes),
        Format::Ogg => ogg(bytes),
        Format::Wav => wav(bytes),
        _ => Err(MediaError::Unsupported("a voice note must be WebM, Ogg or WAV audio".into())),
    }
}

fn invalid(what: &str) -> MediaError {
    MediaError::Invalid(format!("the audio could not be read: {what}"))
}

fn u16_le(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?)))
}

fn u32_le(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?)))
}

// --- WAV -----------------------------------------------------------------------------------

/// RIFF chunks: `fmt ` gives the byte rate, `data` the length of the samples.
fn wav(b: &[u8]) -> Result<u64, MediaError> {
    let (mut pos, mut byte_rate) = (12, None);
    while let (Some(id), Some(size)) = (b.get(pos..pos + 4), u32_le(b, pos + 4)) {
        let data = pos + 8;
        match id {
            b"fmt " => byte_rate = u32_le(b, data + 8),
            b"data" => {
                let rate = byte_rate.filter(|r| *r > 0).ok_or_else(|| invalid("no format before the samples"))?;
                // A streamed WAV may say 0 or 0xFFFFFFFF: the samples run to the end of the file.
                let available = b.len().saturating_sub(data) as u64;
                let len = if size == 0 || size > available { available } else { size };
                return Ok(len * 1000 / rate);
            }
            _ => {}
        }
        let size = usize::try_from(size).unwrap_or(usize::MAX);
        pos = data.saturating_add(size).saturating_add(size & 1);
    }
    Err(invalid("no samples"))
}

// --- Ogg -----------------------------------------------------------------------------------

/// The highest granule position of any page, in samples of the stream's rate (48 kHz for Opus,
/// minus its pre-skip; the identification header's rate for Vorbis).
fn ogg(b: &[u8]) -> Result<u64, MediaError> {
    let (mut pos, mut first_payload, mut last_granule) = (0usize, None, None);
    while b.get(pos..pos + 4) == Some(b"OggS") {
        let segments = *b.get(pos + 26).ok_or_else(|| invalid("truncated page"))? as usize;
        let table = b.get(pos + 27..pos + 27 + segments).ok_or_else(|| invalid("truncated page"))?;
        let payload = pos + 27 + segments;
        first_payload.get_or_insert(payload);
        let granule = u64::from_le_bytes(b[pos + 6..pos + 14].try_into().map_err(|_| invalid("truncated page"))?);
        if granule != u64::MAX {
            last_granule = Some(last_granule.map_or(granule, |g: u64| g.max(granule)));
        }
        pos = payload + table.iter().map(|s| *s as usize).sum::<usize>();
    }
    let head = first_payload.and_then(|p| b.get(p..)).ok_or_else(|| invalid("not an Ogg stream"))?;
    let (rate, skip) = if head.starts_with(b"OpusHead") {
        (48_000, u16_le(head, 10).ok_or_else(|| invalid("truncated Opus header"))?)
    } else if head.starts_with(b"\x01vorbis") {
        (u32_le(head, 12).filter(|r| *r > 0).ok_or_else(|| invalid("bad Vorbis header"))?, 0)
    } else {
        return Err(MediaError::Unsupported("Ogg audio must be Opus or Vorbis".into()));
    };
    let samples = last_granule.ok_or_else(|| invalid("no audio pages"))?.saturating_sub(skip);
    Ok(samples * 1000 / rate)
}

// --- WebM (EBML) ---------------------------------------------------------------------------

const SEGMENT: u32 = 0x1853_8067;
const INFO: u32 = 0x1549_A966;
const TIMECODE_SCALE: u32 = 0x2A_D7B1;
const DURATION: u32 = 0x4489;
const CLUSTER: u32 = 0x1F43_B675;
const CLUSTER_TIMECODE: u32 = 0xE7;
const BLOCK_GROUP: u32 = 0xA0;
const BLOCK: u32 = 0xA1;
const SIMPLE_BLOCK: u32 = 0xA3;

/// An EBML variable-length integer at `pos`: (value without the length marker, its length,
/// whether every value bit is set, which for a size means "unknown").
fn vint(b: &[u8], pos: usize) -> Option<(u64, usize, bool)> {
    let first = *b.get(pos)?;
    let len = first.leading_zeros() as usize + 1;
    if len > 8 {
        return None;
    }
    let rest = b.get(pos + 1..pos + len)?;
    let marker_free = u64::from(first) & (0xFF >> len);
    let value = rest.iter().fold(marker_free, |v, x| (v << 8) | u64::from(*x));
    Some((value, len, value == (1u64 << (7 * len)) - 1))
}

/// An element ID keeps its length marker (that is how the specification writes them).
fn element_id(b: &[u8], pos: usize) -> Option<(u32, usize)> {
    let len = b.get(pos)?.leading_zeros() as usize + 1;
    let bytes = b.get(pos..pos + len).filter(|_| len <= 4)?;
    Some((bytes.iter().fold(0u32, |v, x| (v << 8) | u32::from(*x)), len))
}

fn uint(data: &[u8]) -> u64 {
    data.iter().take(8).fold(0u64, |v, x| (v << 8) | u64::from(*x))
}

/// One flat pass over the elements: containers are entered (their size may be unknown, as in
/// a live recording), everything else is skipped by its size.
fn webm(b: &[u8]) -> Result<u64, MediaError> {
    let (mut pos, mut scale, mut declared, mut cluster, mut last) = (0usize, 1_000_000u64, None, 0u64, None);
    while let Some((id, id_len)) = element_id(b, pos) {
        let Some((size, size_len, unknown)) = vint(b, pos + id_len) else { break };
        let data = pos + id_len + size_len;
        if matches!(id, SEGMENT | INFO | CLUSTER | BLOCK_GROUP) {
            pos = data;
            continue;
        }
        if unknown {
            break;
        }
        let size = usize::try_from(size).unwrap_or(usize::MAX);
        let body = b.get(data..data.saturating_add(size).min(b.len())).unwrap_or_default();
        match id {
            TIMECODE_SCALE => scale = uint(body).max(1),
            DURATION => {
                declared = match body.len() {
                    4 => Some(f64::from(f32::from_be_bytes(body.try_into().unwrap_or_default()))),
                    8 => Some(f64::from_be_bytes(body.try_into().unwrap_or_default())),
                    _ => None,
                }
                .filter(|d| d.is_finite() && *d > 0.0)
            }
            CLUSTER_TIMECODE => cluster = uint(body),
            BLOCK | SIMPLE_BLOCK => {
                // Track number (a vint), then the time relative to the cluster (signed 16 bits).
                if let Some((_, track_len, _)) = vint(body, 0) {
                    if let Some(rel) = body.get(track_len..track_len + 2) {
                        let at = cluster.saturating_add_signed(i64::from(i16::from_be_bytes([rel[0], rel[1]])));
                        last = Some(last.map_or(at, |l: u64| l.max(at)));
                    }
                }
            }
            _ => {}
        }
        pos = data.saturating_add(size);
    }
    let ticks = match (declared, last) {
        (Some(d), _) => whole(d),
        (None, Some(l)) => l,
        (None, None) => return Err(invalid("no audio blocks")),
    };
    Ok(ticks.saturating_mul(scale) / 1_000_000)
}

/// A declared duration (finite, positive) in whole ticks.
#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "rounded and clamped to [0, 1e15] first, so the value fits"
)]
fn whole(d: f64) -> u64 {
    d.round().clamp(0.0, 1e15) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::testing::media::{ogg_opus_bytes, wav_bytes, webm_bytes};

    #[test]
    fn wav_duration_from_byte_rate() {
        assert_eq!(duration_ms(&wav_bytes(1500), Format::Wav), Ok(1500));
        let mut streamed = wav_bytes(700);
        streamed[40..44].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(duration_ms(&streamed, Format::Wav), Ok(700));
        assert!(matches!(duration_ms(&wav_bytes(10)[..30], Format::Wav), Err(MediaError::Invalid(_))));
    }

    #[test]
    fn webm_without_duration_uses_the_last_block() {
        assert_eq!(duration_ms(&webm_bytes(3240), Format::Webm), Ok(3240));
        assert_eq!(duration_ms(&webm_bytes(0), Format::Webm), Ok(0));
        // Cut in the middle of a block: still the last complete timestamp.
        let b = webm_bytes(2000);
        assert_eq!(duration_ms(&b[..b.len() - 20], Format::Webm), Ok(2000));
        assert!(matches!(duration_ms(&webm_bytes(1000)[..60], Format::Webm), Err(MediaError::Invalid(_))));
    }

    #[test]
    fn ogg_opus_duration_minus_pre_skip() {
        assert_eq!(duration_ms(&ogg_opus_bytes(4321), Format::Ogg), Ok(4321));
        let mut vorbis = ogg_opus_bytes(10);
        vorbis[28..35].copy_from_slice(b"\x01vorbiX");
        assert!(matches!(duration_ms(&vorbis, Format::Ogg), Err(MediaError::Unsupported(_))));
        assert!(duration_ms(b"OggS", Format::Ogg).is_err());
    }

    #[test]
    fn garbage_never_panics() {
        for len in 0..64 {
            let junk: Vec<u8> = (0..len).map(|i: u32| (i * 37 + 11).to_le_bytes()[0]).collect();
            for format in [Format::Webm, Format::Ogg, Format::Wav, Format::Png] {
                let _ = duration_ms(&junk, format);
                let mut prefixed = match format {
                    Format::Ogg => b"OggS".to_vec(),
                    Format::Wav => b"RIFF\0\0\0\0WAVE".to_vec(),
                    _ => vec![0x1A, 0x45, 0xDF, 0xA3],
                };
                prefixed.extend(&junk);
                let _ = duration_ms(&prefixed, format);
            }
        }
    }
}
