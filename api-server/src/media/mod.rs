//! Uploaded media, independent of HTTP and the database: what the bytes really are
//! ([`sniff`]), what they hold ([`images`]: dimensions and a thumbnail; [`voice`]: duration),
//! and where they are kept ([`storage`]); the memory decoding may use per process
//! ([`decode_budget`]) and the uploads it reads at once ([`upload_queue`]).

pub mod decode_budget;
pub mod images;
pub mod sniff;
pub mod storage;
pub mod upload_queue;
pub mod voice;

/// Why an upload's content was refused (mapped to a 415 or 422 by the domain).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaError {
    /// Not one of the formats accepted for this kind.
    #[error("{0}")]
    Unsupported(String),
    /// The right format, but broken, or too big once decoded.
    #[error("{0}")]
    Invalid(String),
}
