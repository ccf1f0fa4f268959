//! What an upload is, from its leading bytes ("magic numbers"). The client's Content-Type and
//! file name are never trusted: they decide neither how the bytes are served nor what kind of
//! message may carry them.

/// The formats the server recognises; everything else is an opaque file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Png,
    Jpeg,
    Gif,
    Webp,
    Webm,
    Ogg,
    Wav,
    Pdf,
    Zip,
    Other,
}

impl Format {
    /// The Content-Type the server stores and serves.
    pub fn mime(self) -> &'static str {
        match self {
            Format::Png => "image/png",
            Format::Jpeg => "image/jpeg",
            Format::Gif => "image/gif",
            Format::Webp => "image/webp",
            Format::Webm => "audio/webm",
            Format::Ogg => "audio/ogg",
            Format::Wav => "audio/wav",
            Format::Pdf => "application/pdf",
            Format::Zip => "application/zip",
            Format::Other => "application/octet-stream",
        }
    }

    pub fn is_image(self) -> bool {
        matches!(self, Format::Png | Format::Jpeg | Format::Gif | Format::Webp)
    }

    pub fn is_audio(self) -> bool {
        matches!(self, Format::Webm | Format::Ogg | Format::Wav)
    }
}

pub fn sniff(bytes: &[u8]) -> Format {
    let at = |offset: usize, magic: &[u8]| bytes.get(offset..offset + magic.len()) == Some(magic);
    if at(0, b"\x89PNG\r\n\x1a\n") {
        Format::Png
    } else if at(0, b"\xFF\xD8\xFF") {
        Format::Jpeg
    } else if at(0, b"GIF87a") || at(0, b"GIF89a") {
        Format::Gif
    } else if at(0, b"RIFF") && at(8, b"WEBP") {
        Format::Webp
    } else if at(0, b"RIFF") && at(8, b"WAVE") {
        Format::Wav
    } else if at(0, b"\x1A\x45\xDF\xA3") && bytes[..bytes.len().min(64)].windows(4).any(|w| w == b"webm") {
        // EBML with DocType "webm" (plain Matroska stays an opaque file).
        Format::Webm
    } else if at(0, b"OggS") {
        Format::Ogg
    } else if at(0, b"%PDF-") {
        Format::Pdf
    } else if at(0, b"PK\x03\x04") {
        Format::Zip
    } else {
        Format::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_by_content_not_by_name() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Format::Png);
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0"), Format::Jpeg);
        assert_eq!(sniff(b"GIF89a.."), Format::Gif);
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Format::Webp);
        assert_eq!(sniff(b"RIFF\0\0\0\0WAVEfmt "), Format::Wav);
        assert_eq!(sniff(b"\x1A\x45\xDF\xA3\x9F\x42\x82\x84webm"), Format::Webm);
        assert_eq!(sniff(b"\x1A\x45\xDF\xA3\x9F\x42\x82\x88matroska"), Format::Other);
        assert_eq!(sniff(b"OggS\0\x02"), Format::Ogg);
        assert_eq!(sniff(b"%PDF-1.7"), Format::Pdf);
        assert_eq!(sniff(b"<svg onload=alert(1)>"), Format::Other);
        assert_eq!(sniff(b""), Format::Other);
        assert_eq!(sniff(b"\x89PN"), Format::Other);
    }

    #[test]
    fn only_raster_images_and_known_audio_are_media() {
        assert!(Format::Png.is_image() && !Format::Png.is_audio());
        assert!(Format::Ogg.is_audio() && !Format::Ogg.is_image());
        assert!(!Format::Other.is_image() && !Format::Pdf.is_audio());
    }
}
