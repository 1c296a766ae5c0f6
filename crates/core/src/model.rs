//! Model hub records: what the hub knows about one version of a model.
//!
//! Versions are `MAJOR.MINOR`, two unsigned 32-bit decimal numbers. The text
//! form is canonical (no sign, no leading zeros, no spaces), so a version
//! prints exactly as it was parsed and `1.0` and `01.0` never name two versions.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::id::ModelId;
use crate::spec::TensorSpec;

/// A model version, ordered by major then minor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
}

impl Version {
    /// The version of the first upload under a name.
    pub const FIRST: Version = Version { major: 1, minor: 0 };

    pub const fn new(major: u32, minor: u32) -> Self {
        Version { major, minor }
    }

    /// The next minor version in the same major, or `None` on overflow.
    pub fn next_minor(self) -> Option<Version> {
        Some(Version {
            major: self.major,
            minor: self.minor.checked_add(1)?,
        })
    }
}

/// Why a string is not a version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a version ({reason}); expected MAJOR.MINOR such as 1.0")]
pub struct VersionError {
    pub text: String,
    pub reason: &'static str,
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

fn number(part: &str) -> Result<u32, &'static str> {
    if part.is_empty() {
        return Err("a number is missing");
    }
    if !part.bytes().all(|b| b.is_ascii_digit()) {
        return Err("only decimal digits are allowed");
    }
    if part.len() > 1 && part.starts_with('0') {
        return Err("leading zeros are not allowed");
    }
    part.parse().map_err(|_| "a number is larger than 4294967295")
}

impl FromStr for Version {
    type Err = VersionError;

    fn from_str(text: &str) -> Result<Self, VersionError> {
        let err = |reason| VersionError {
            text: text.chars().take(64).collect(),
            reason,
        };
        let (major, minor) = text.split_once('.').ok_or_else(|| err("the `.` is missing"))?;
        let major = number(major).map_err(err)?;
        let minor = number(minor).map_err(err)?;
        Ok(Version { major, minor })
    }
}

impl Serialize for Version {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// One version of a named model in the hub.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelRecord {
    pub id: ModelId,
    pub name: String,
    pub version: Version,
    pub description: String,
    pub size: u64,
    pub created_ms: u64,
    pub format: String,
    pub inputs: Vec<TensorSpec>,
    pub outputs: Vec<TensorSpec>,
    /// For an exact model that can be proved: the content id of its
    /// zero-knowledge verifying key, which commits to its weights
    /// (`veris_zk::receipt`). Recorded when the model is compiled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verifying_key: Option<ModelId>,
}

impl ModelRecord {
    /// `name@major.minor`.
    pub fn reference(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_strictly() {
        assert_eq!("1.0".parse(), Ok(Version::FIRST));
        assert_eq!("2.13".parse::<Version>().map(|v| v.to_string()), Ok("2.13".to_string()));
        for bad in [
            "",
            "1",
            "1.",
            ".1",
            "1.0.0",
            "a.b",
            "-1.0",
            "1.+2",
            "99999999999.0",
            "01.0",
        ] {
            assert!(bad.parse::<Version>().is_err(), "{bad}");
        }
        assert!(Version::FIRST < Version { major: 1, minor: 1 });
        assert_eq!(
            Version {
                major: 1,
                minor: u32::MAX
            }
            .next_minor(),
            None
        );
    }
}
