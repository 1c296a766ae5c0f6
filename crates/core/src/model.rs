//! Model hub records: what the hub knows about one version of a model.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::id::ModelId;
use crate::spec::TensorSpec;

/// A `MAJOR.MINOR` model version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
}

/// Why text is not a `MAJOR.MINOR` version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid version `{0}`: expected MAJOR.MINOR, e.g. 1.0")]
pub struct VersionError(pub String);

impl Version {
    pub const FIRST: Version = Version { major: 1, minor: 0 };

    /// The next minor version.
    pub fn next_minor(self) -> Option<Version> {
        Some(Version {
            major: self.major,
            minor: self.minor.checked_add(1)?,
        })
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl FromStr for Version {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, VersionError> {
        let err = || VersionError(s.chars().take(32).collect());
        let (major, minor) = s.split_once('.').ok_or_else(err)?;
        let num = |p: &str| {
            if p.is_empty() || p.len() > 9 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err());
            }
            p.parse::<u32>().map_err(|_| err())
        };
        Ok(Version {
            major: num(major)?,
            minor: num(minor)?,
        })
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
        for bad in ["", "1", "1.", ".1", "1.0.0", "a.b", "-1.0", "1.+2", "99999999999.0"] {
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
