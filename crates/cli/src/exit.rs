//! How a failure becomes an exit code and a one-line reason (see the exit
//! codes in `veris --help`).

use std::error::Error as StdError;
use std::fmt;
use std::io;
use std::process::ExitCode;

use veris_client::ClientError;
use veris_node::NodeError;

pub const VERIFICATION_FAILED: u8 = 1;
pub const BAD_INPUT: u8 = 2;
pub const OTHER: u8 = 3;

/// A problem with what the user asked for or gave (exit code 2).
#[derive(Debug)]
pub struct BadInput {
    message: String,
    source: Option<Box<dyn StdError + Send + Sync>>,
}

impl fmt::Display for BadInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StdError for BadInput {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn StdError + 'static))
    }
}

/// A bad-input error with only a message.
pub fn bad_input(message: impl Into<String>) -> anyhow::Error {
    BadInput {
        message: message.into(),
        source: None,
    }
    .into()
}

/// A bad-input error caused by `source`.
pub fn bad_input_from(message: impl Into<String>, source: impl StdError + Send + Sync + 'static) -> anyhow::Error {
    BadInput {
        message: message.into(),
        source: Some(Box::new(source)),
    }
    .into()
}

/// Some receipt did not pass every check (exit code 1).
#[derive(Debug)]
pub struct VerificationFailed(pub String);

impl fmt::Display for VerificationFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "verification failed: {}", self.0)
    }
}

impl StdError for VerificationFailed {}

/// A node's 4xx answers are about the request (exit 2), except a locked
/// home, which is about the machine; everything else is exit 3.
fn for_node_status(code: &str, status: u16) -> u8 {
    if (400..500).contains(&status) && code != "home_locked" {
        BAD_INPUT
    } else {
        OTHER
    }
}

/// The exit code for `err`: the first cause in its chain that says.
pub fn code_of(err: &anyhow::Error) -> u8 {
    for cause in err.chain() {
        if cause.is::<VerificationFailed>() {
            return VERIFICATION_FAILED;
        }
        if cause.is::<BadInput>() {
            return BAD_INPUT;
        }
        if let Some(e) = cause.downcast_ref::<NodeError>() {
            return for_node_status(e.code(), e.status());
        }
        if let Some(e) = cause.downcast_ref::<ClientError>() {
            return match e {
                ClientError::Api { status, code, .. } => for_node_status(code, *status),
                ClientError::InvalidUrl { .. } => BAD_INPUT,
                _ => OTHER,
            };
        }
    }
    OTHER
}

/// `err` and its causes joined by ": ", skipping a cause whose text the
/// message already contains (many errors repeat their source).
pub fn one_line(err: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        let text = text.trim();
        if text.is_empty() || line.contains(text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(text);
    }
    line.replace('\n', " ")
}

/// Whether `err` is only stdout having been closed (e.g. `veris ... | head`).
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// Reports `err` on stderr and returns its exit code.
pub fn report(err: &anyhow::Error) -> ExitCode {
    if is_broken_pipe(err) {
        return ExitCode::SUCCESS;
    }
    eprintln!("error: {}", one_line(err));
    ExitCode::from(code_of(err))
}
