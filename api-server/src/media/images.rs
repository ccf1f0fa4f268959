//! Images: checked by decoding them (with limits, so a small file that declares a huge canvas
//! is refused before anything is allocated), upright by their EXIF orientation, and shrunk to
//! a thumbnail that fits [`THUMB_MAX`] px.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use super::sniff::Format;
use super::MediaError;

/// Longest side of a thumbnail.
pub const THUMB_MAX: u32 = 320;
/// Longest side of an accepted image.
pub const SIDE_MAX: u32 = 12_000;
/// Decoder memory limit of one image (a 12,000 x 12,000 RGBA canvas would need 576 MB).
pub const ALLOC_MAX: u64 = 256 * 1024 * 1024;

#[derive(Debug)]
pub struct Picture {
    /// As displayed (after the EXIF orientation).
    pub width: u32,
    pub height: u32,
    pub thumbnail: Vec<u8>,
    /// `image/jpeg`, or `image/png` when the image has transparency.
    pub thumbnail_mime: &'static str,
}

fn image_format(format: Format) -> Result<ImageFormat, MediaError> {
    match format {
        Format::Png => Ok(ImageFormat::Png),
        Format::Jpeg => Ok(ImageFormat::Jpeg),
        Format::Gif => Ok(ImageFormat::Gif),
        Format::Webp => Ok(ImageFormat::WebP),
        _ => Err(MediaError::Unsupported("an image must be PNG, JPEG, GIF or WebP".into())),
    }
}

fn invalid(e: impl std::fmt::Display) -> MediaError {
    MediaError::Invalid(format!("the image could not be read: {e}"))
}

fn decoder(bytes: &[u8], format: Format, max_alloc: u64) -> Result<impl ImageDecoder + '_, MediaError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), image_format(format)?);
    let mut limits = Limits::default();
    limits.max_image_width = Some(SIDE_MAX);
    limits.max_image_height = Some(SIDE_MAX);
    limits.max_alloc = Some(max_alloc.min(ALLOC_MAX));
    reader.limits(limits);
    reader.into_decoder().map_err(invalid)
}

/// The memory decoding this image needs, from its header alone (nothing is decoded): the
/// canvas, a second one for an EXIF rotation, and a little for the thumbnail.
pub fn decode_need(bytes: &[u8], format: Format) -> Result<u64, MediaError> {
    let decoder = decoder(bytes, format, ALLOC_MAX)?;
    let (w, h) = decoder.dimensions();
    let canvas = u64::from(w) * u64::from(h) * u64::from(decoder.color_type().bytes_per_pixel());
    Ok(canvas * 2 + u64::from(THUMB_MAX * THUMB_MAX * 4))
}

/// Decodes the whole image within `max_alloc` bytes (CPU-bound: call it off the async
/// threads) and makes its thumbnail.
pub fn inspect(bytes: &[u8], format: Format, max_alloc: u64) -> Result<Picture, MediaError> {
    let mut decoder = decoder(bytes, format, max_alloc)?;
    let orientation = decoder.orientation().map_err(invalid)?;
    let mut img = DynamicImage::from_decoder(decoder).map_err(invalid)?;
    img.apply_orientation(orientation);
    let (width, height) = (img.width(), img.height());
    if width == 0 || height == 0 {
        return Err(MediaError::Invalid("the image is empty".into()));
    }
    let (thumbnail, thumbnail_mime) = thumbnail(&img)?;
    Ok(Picture { width, height, thumbnail, thumbnail_mime })
}

fn thumbnail(img: &DynamicImage) -> Result<(Vec<u8>, &'static str), MediaError> {
    let small = img.thumbnail(THUMB_MAX, THUMB_MAX);
    let mut out = Vec::new();
    let mime = if small.color().has_alpha() {
        small.to_rgba8().write_with_encoder(PngEncoder::new(&mut out)).map_err(invalid)?;
        "image/png"
    } else {
        small.to_rgb8().write_with_encoder(JpegEncoder::new_with_quality(&mut out, 80)).map_err(invalid)?;
        "image/jpeg"
    };
    Ok((out, mime))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage, Rgba, RgbaImage};

    fn encode(img: DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, format).expect("encodes");
        out.into_inner()
    }

    #[test]
    fn dimensions_and_a_bounded_thumbnail() {
        let png = encode(DynamicImage::ImageRgb8(RgbImage::from_pixel(800, 400, Rgb([200, 10, 10]))), ImageFormat::Png);
        let p = inspect(&png, Format::Png, ALLOC_MAX).expect("a valid png");
        assert_eq!((p.width, p.height), (800, 400));
        assert_eq!(p.thumbnail_mime, "image/jpeg");
        let thumb = image::load_from_memory(&p.thumbnail).expect("thumbnail decodes");
        assert_eq!((thumb.width(), thumb.height()), (320, 160));
    }

    #[test]
    fn transparency_keeps_a_png_thumbnail() {
        let png = encode(DynamicImage::ImageRgba8(RgbaImage::from_pixel(50, 60, Rgba([0, 0, 0, 0]))), ImageFormat::Png);
        let p = inspect(&png, Format::Png, ALLOC_MAX).expect("a valid png");
        assert_eq!((p.width, p.height, p.thumbnail_mime), (50, 60, "image/png"));
    }

    #[test]
    fn broken_or_huge_images_are_refused() {
        let mut png = encode(DynamicImage::ImageRgb8(RgbImage::new(10, 10)), ImageFormat::Png);
        png.truncate(40);
        assert!(matches!(inspect(&png, Format::Png, ALLOC_MAX), Err(MediaError::Invalid(_))));
        // A PNG header that declares 100,000 x 100,000 pixels.
        let mut bomb = encode(DynamicImage::ImageRgb8(RgbImage::new(1, 1)), ImageFormat::Png);
        bomb[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        assert!(matches!(inspect(&bomb, Format::Png, ALLOC_MAX), Err(MediaError::Invalid(_))));
        assert!(matches!(inspect(b"%PDF-1.4", Format::Pdf, ALLOC_MAX), Err(MediaError::Unsupported(_))));
    }
}
