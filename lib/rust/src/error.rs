//! The crate's one error type: what the engine reported, code and message.
use std::fmt;

/// Why an operation failed: the engine's status codes (SPEC §4, the C
/// API's `a3s_status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    NotFound,
    AlreadyExists,
    InUse,
    InvalidArgument,
    Exhausted,
    SchemaTooNew,
    SchemaOutdated,
    ChecksumMismatch,
    Corrupt,
    Busy,
    Io,
    /// A failure no other code describes, including a status this crate
    /// does not know and a reply it cannot read.
    Internal,
}

impl ErrorCode {
    /// The code of a non-zero `a3s_status`.
    pub fn from_status(status: i32) -> ErrorCode {
        match status {
            1 => ErrorCode::NotFound,
            2 => ErrorCode::AlreadyExists,
            3 => ErrorCode::InUse,
            4 => ErrorCode::InvalidArgument,
            5 => ErrorCode::Exhausted,
            6 => ErrorCode::SchemaTooNew,
            7 => ErrorCode::SchemaOutdated,
            8 => ErrorCode::ChecksumMismatch,
            9 => ErrorCode::Corrupt,
            10 => ErrorCode::Busy,
            11 => ErrorCode::Io,
            _ => ErrorCode::Internal,
        }
    }

    /// The code's name as the CLI's `--json` and SPEC §4 spell it
    /// (`"not_found"`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::NotFound => "not_found",
            ErrorCode::AlreadyExists => "already_exists",
            ErrorCode::InUse => "in_use",
            ErrorCode::InvalidArgument => "invalid_argument",
            ErrorCode::Exhausted => "exhausted",
            ErrorCode::SchemaTooNew => "schema_too_new",
            ErrorCode::SchemaOutdated => "schema_outdated",
            ErrorCode::ChecksumMismatch => "checksum_mismatch",
            ErrorCode::Corrupt => "corrupt",
            ErrorCode::Busy => "busy",
            ErrorCode::Io => "io",
            ErrorCode::Internal => "internal",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failed operation: its code and a message naming the object
/// (`network 'dev' not found`). Displays as the message alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    code: ErrorCode,
    message: String,
}

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Error {
        Error {
            code,
            message: message.into(),
        }
    }

    pub fn code(&self) -> ErrorCode {
        self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// The result of every fallible operation of this crate, as the runtime's
/// `a3s_box_core::error::Result` is of its stores.
pub type Result<T> = std::result::Result<T, Error>;
