//! Model names and the references users type: `ID`, `NAME` or `NAME@MAJOR.MINOR`.
//!
//! A name is 1–64 characters of `[A-Za-z0-9._-]` and must not look like a
//! content id, so every reference has exactly one reading.

use std::fmt;
use std::str::FromStr;

use veris_core::{IdError, ModelId, Version, VersionError};

/// Longest model name, in characters.
pub const MAX_NAME_LEN: usize = 64;

/// Why a string is not a valid model name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("a model name must not be empty")]
    Empty,
    #[error("a model name has at most {max} characters, got {len}")]
    TooLong { len: usize, max: usize },
    #[error("character {ch:?} at position {index} is not allowed; use letters, digits, `.`, `_` and `-`")]
    Char { ch: char, index: usize },
    #[error("a model name must not look like a content id")]
    LooksLikeId,
}

/// Checks the naming rules.
pub fn validate_name(name: &str) -> Result<(), NameError> {
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    let len = name.chars().count();
    if len > MAX_NAME_LEN {
        return Err(NameError::TooLong { len, max: MAX_NAME_LEN });
    }
    if let Some((index, ch)) = name
        .chars()
        .enumerate()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(NameError::Char { ch, index });
    }
    if ModelId::looks_like_id(name) {
        return Err(NameError::LooksLikeId);
    }
    Ok(())
}

/// Why a string is not a model reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefError {
    #[error("`{text}`: {source}")]
    Name {
        text: String,
        #[source]
        source: NameError,
    },
    #[error(transparent)]
    Version(#[from] VersionError),
    #[error("`{text}` looks like a content id but is not one: {source}")]
    Id {
        text: String,
        #[source]
        source: IdError,
    },
}

/// What a user names a model by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ModelRef {
    /// A content id: every version of every name with these bytes.
    Id(ModelId),
    /// The latest version of a name.
    Name(String),
    /// One exact version of a name.
    Version { name: String, version: Version },
}

impl ModelRef {
    /// The name this reference is about, if it names one.
    pub fn name(&self) -> Option<&str> {
        match self {
            ModelRef::Id(_) => None,
            ModelRef::Name(name) | ModelRef::Version { name, .. } => Some(name),
        }
    }
}

fn checked_name(text: &str) -> Result<String, RefError> {
    validate_name(text).map_err(|source| RefError::Name {
        text: text.chars().take(MAX_NAME_LEN + 8).collect(),
        source,
    })?;
    Ok(text.to_string())
}

impl FromStr for ModelRef {
    type Err = RefError;

    fn from_str(text: &str) -> Result<Self, RefError> {
        if let Some((name, version)) = text.split_once('@') {
            let name = checked_name(name)?;
            let version = version.parse()?;
            return Ok(ModelRef::Version { name, version });
        }
        // An id-shaped string is read as an id only; names can never look like one.
        if ModelId::looks_like_id(text) {
            return text.parse().map(ModelRef::Id).map_err(|source| RefError::Id {
                text: text.to_string(),
                source,
            });
        }
        checked_name(text).map(ModelRef::Name)
    }
}

impl fmt::Display for ModelRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelRef::Id(id) => write!(f, "{id}"),
            ModelRef::Name(name) => f.write_str(name),
            ModelRef::Version { name, version } => write!(f, "{name}@{version}"),
        }
    }
}

impl From<ModelId> for ModelRef {
    fn from(id: ModelId) -> Self {
        ModelRef::Id(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_forms_and_prints_them_back() {
        let id = ModelId::of_bytes(b"m");
        let cases = [
            (id.to_string(), ModelRef::Id(id)),
            ("mnist".to_string(), ModelRef::Name("mnist".into())),
            (
                "mnist-v2.small_1@3.14".to_string(),
                ModelRef::Version {
                    name: "mnist-v2.small_1".into(),
                    version: Version { major: 3, minor: 14 },
                },
            ),
        ];
        for (text, expected) in cases {
            let parsed: ModelRef = text.parse().unwrap();
            assert_eq!(parsed, expected);
            assert_eq!(parsed.to_string(), text);
        }
    }

    #[test]
    fn enforces_name_rules() {
        assert_eq!(validate_name(""), Err(NameError::Empty));
        assert_eq!(validate_name(&"a".repeat(64)), Ok(()));
        assert_eq!(
            validate_name(&"a".repeat(65)),
            Err(NameError::TooLong { len: 65, max: 64 })
        );
        assert_eq!(validate_name("a b"), Err(NameError::Char { ch: ' ', index: 1 }));
        assert_eq!(validate_name("a/b"), Err(NameError::Char { ch: '/', index: 1 }));
        assert_eq!(validate_name("é"), Err(NameError::Char { ch: 'é', index: 0 }));
        let id = ModelId::of_bytes(b"m").to_string();
        assert_eq!(validate_name(&id), Err(NameError::LooksLikeId));
    }

    #[test]
    fn rejects_bad_references_with_typed_errors() {
        assert!(matches!(
            "".parse::<ModelRef>(),
            Err(RefError::Name {
                source: NameError::Empty,
                ..
            })
        ));
        assert!(matches!("@1.0".parse::<ModelRef>(), Err(RefError::Name { .. })));
        assert!(matches!("m@".parse::<ModelRef>(), Err(RefError::Version(_))));
        assert!(matches!("m@1".parse::<ModelRef>(), Err(RefError::Version(_))));
        assert!(matches!("m@1.0@2.0".parse::<ModelRef>(), Err(RefError::Version(_))));
        assert!(matches!("a:b".parse::<ModelRef>(), Err(RefError::Name { .. })));
        // Id-shaped but with a broken checksum-free body: still an id error, never a name.
        let fake = format!("bafkrei{}", "1".repeat(52));
        assert!(matches!(fake.parse::<ModelRef>(), Err(RefError::Id { .. })));
        let id = ModelId::of_bytes(b"m");
        assert!(matches!(
            format!("{id}@1.0").parse::<ModelRef>(),
            Err(RefError::Name { .. })
        ));
    }
}
