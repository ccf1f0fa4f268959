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

/// Sides of the two sizes every avatar is stored in.
pub const AVATAR_LARGE: u32 = 256;
pub const AVATAR_SMALL: u32 = 64;

/// A square part of an image, in pixels of the image as displayed (after its EXIF rotation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Crop {
    pub x: u32,
    pub y: u32,
    pub size: u32,
}

/// An avatar in its two sizes (`AVATAR_LARGE` and `AVATAR_SMALL` px square), each JPEG, or PNG
/// when the image has transparency.
#[derive(Debug)]
pub struct Avatar {
    pub large: Vec<u8>,
    pub small: Vec<u8>,
    pub mime: &'static str,
}

/// The square an avatar is cut from: `crop` when given (it must lie inside the image), else
/// the largest centred square.
pub fn avatar_square(width: u32, height: u32, crop: Option<Crop>) -> Result<Crop, MediaError> {
    match crop {
        None => {
            let size = width.min(height);
            Ok(Crop { x: (width - size) / 2, y: (height - size) / 2, size })
        }
        Some(c)
            if c.size > 0
                && c.x.checked_add(c.size).is_some_and(|r| r <= width)
                && c.y.checked_add(c.size).is_some_and(|b| b <= height) =>
        {
            Ok(c)
        }
        Some(_) => Err(MediaError::Invalid(format!("the crop square must lie inside the {width} x {height} image"))),
    }
}

/// Decodes the image within `max_alloc` bytes (CPU-bound: call it off the async threads),
/// upright by its EXIF orientation, cuts the square ([`avatar_square`]) and scales it to the
/// two avatar sizes.
pub fn avatar(bytes: &[u8], format: Format, max_alloc: u64, crop: Option<Crop>) -> Result<Avatar, MediaError> {
    let mut decoder = decoder(bytes, format, max_alloc)?;
    let orientation = decoder.orientation().map_err(invalid)?;
    let mut img = DynamicImage::from_decoder(decoder).map_err(invalid)?;
    img.apply_orientation(orientation);
    if img.width() == 0 || img.height() == 0 {
        return Err(MediaError::Invalid("the image is empty".into()));
    }
    let square = avatar_square(img.width(), img.height(), crop)?;
    let cut = img.crop_imm(square.x, square.y, square.size, square.size);
    drop(img);
    let scale = |side: u32| {
        if cut.width() >= side {
            cut.thumbnail_exact(side, side)
        } else {
            cut.resize_exact(side, side, image::imageops::FilterType::Triangle)
        }
    };
    let alpha = cut.color().has_alpha();
    let (large, mime) = encode_avatar(&scale(AVATAR_LARGE), alpha)?;
    let (small, _) = encode_avatar(&scale(AVATAR_SMALL), alpha)?;
    Ok(Avatar { large, small, mime })
}

fn encode_avatar(img: &DynamicImage, alpha: bool) -> Result<(Vec<u8>, &'static str), MediaError> {
    let mut out = Vec::new();
    if alpha {
        img.to_rgba8().write_with_encoder(PngEncoder::new(&mut out)).map_err(invalid)?;
        Ok((out, "image/png"))
    } else {
        img.to_rgb8().write_with_encoder(JpegEncoder::new_with_quality(&mut out, 85)).map_err(invalid)?;
        Ok((out, "image/jpeg"))
    }
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

    #[test]
    fn avatars_are_square_in_two_sizes() {
        let png = encode(DynamicImage::ImageRgb8(RgbImage::from_pixel(900, 300, Rgb([0, 90, 200]))), ImageFormat::Png);
        let a = avatar(&png, Format::Png, ALLOC_MAX, None).expect("a valid png");
        assert_eq!(a.mime, "image/jpeg");
        let large = image::load_from_memory(&a.large).expect("large decodes");
        let small = image::load_from_memory(&a.small).expect("small decodes");
        assert_eq!((large.width(), large.height(), small.width(), small.height()), (256, 256, 64, 64));
        // A tiny one is scaled up; transparency keeps PNG.
        let tiny =
            encode(DynamicImage::ImageRgba8(RgbaImage::from_pixel(10, 12, Rgba([1, 2, 3, 0]))), ImageFormat::Png);
        let a = avatar(&tiny, Format::Png, ALLOC_MAX, Some(Crop { x: 0, y: 2, size: 10 })).expect("tiny");
        assert_eq!(a.mime, "image/png");
        assert_eq!(image::load_from_memory(&a.large).expect("decodes").width(), 256);
    }

    #[test]
    fn the_square_is_centred_or_the_given_one_inside_the_image() {
        assert_eq!(avatar_square(900, 300, None).expect("centre"), Crop { x: 300, y: 0, size: 300 });
        assert_eq!(avatar_square(300, 901, None).expect("centre"), Crop { x: 0, y: 300, size: 300 });
        let inside = Crop { x: 100, y: 0, size: 300 };
        assert_eq!(avatar_square(900, 300, Some(inside)).expect("inside"), inside);
        for bad in [Crop { x: 0, y: 1, size: 300 }, Crop { x: 0, y: 0, size: 0 }, Crop { x: u32::MAX, y: 0, size: 2 }] {
            assert!(matches!(avatar_square(900, 300, Some(bad)), Err(MediaError::Invalid(_))), "{bad:?}");
        }
    }
}
