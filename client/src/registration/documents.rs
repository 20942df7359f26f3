//! Document checks: the format is detected from the file's magic bytes (PDF, JPEG, PNG) and must
//! match the declared one; size is bounded by the settings.

/// A document file format the packet may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentFormat {
    Pdf,
    Jpeg,
    Png,
}

impl DocumentFormat {
    /// The format named by a file extension or a declared type (`pdf`, `jpg`, `jpeg`, `png`).
    pub fn parse(name: &str) -> Option<DocumentFormat> {
        match name.to_ascii_lowercase().as_str() {
            "pdf" => Some(DocumentFormat::Pdf),
            "jpg" | "jpeg" => Some(DocumentFormat::Jpeg),
            "png" => Some(DocumentFormat::Png),
            _ => None,
        }
    }

    /// What the bytes are, from their magic number.
    pub fn detect(bytes: &[u8]) -> Option<DocumentFormat> {
        if bytes.starts_with(b"%PDF-") {
            Some(DocumentFormat::Pdf)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(DocumentFormat::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(DocumentFormat::Png)
        } else {
            None
        }
    }

    /// The file extension MOSIP uses in the packet (`<field>.<format>`).
    pub fn extension(self) -> &'static str {
        match self {
            DocumentFormat::Pdf => "pdf",
            DocumentFormat::Jpeg => "jpg",
            DocumentFormat::Png => "png",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(bytes: &[u8], expected: Option<&str>) {
        assert_eq!(
            DocumentFormat::detect(bytes).map(DocumentFormat::extension),
            expected
        );
    }

    #[test]
    fn formats_are_told_apart_by_their_magic_bytes() {
        check(b"%PDF-1.7\n", Some("pdf"));
        check(b"\xff\xd8\xff\xe0JFIF", Some("jpg"));
        check(b"\x89PNG\r\n\x1a\n....", Some("png"));
        check(b"%PDF", None);
        check(b"GIF89a", None);
        check(b"", None);
    }
}
