//! Running `veris` on a temporary home, and the bundled model and samples.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;
use tempfile::TempDir;

pub const BIN: &str = env!("CARGO_BIN_EXE_veris");

fn models_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/digits")
}

/// The bundled digits classifier.
pub fn model_file() -> PathBuf {
    models_dir().join("digits-mlp.onnx")
}

/// The bundled samples: `[{"label": 2, "input": {...}}, ...]`.
pub fn samples() -> Vec<Value> {
    let text = std::fs::read_to_string(models_dir().join("samples.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// A path as a command-line argument (temporary paths are UTF-8).
pub fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// What one run of `veris` did.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts success; returns stdout.
    pub fn ok(&self) -> &str {
        assert_eq!(self.code, Some(0), "veris failed: {self:?}");
        &self.stdout
    }

    /// Asserts success; returns stdout as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(self.ok()).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:?}"))
    }

    /// Asserts exit code `code` and a one-line `error: ...` on stderr; returns that line.
    pub fn fails(&self, code: i32) -> &str {
        assert_eq!(self.code, Some(code), "unexpected exit: {self:?}");
        let line = self.stderr.trim_end();
        assert!(line.starts_with("error: "), "{self:?}");
        assert!(!line.contains('\n'), "reason is not one line: {self:?}");
        line
    }
}

/// A temporary directory holding a Veris home (`home/`) and test files.
pub struct Home {
    dir: TempDir,
}

impl Home {
    pub fn new() -> Home {
        Home {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// A path for a test file (outside the home).
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes `value` as JSON to a test file and returns its path.
    pub fn write_json(&self, name: &str, value: &Value) -> PathBuf {
        let path = self.file(name);
        std::fs::write(&path, serde_json::to_vec(value).unwrap()).unwrap();
        path
    }

    /// The inputs of bundled sample `i`, as a file.
    pub fn sample_input(&self, i: usize) -> PathBuf {
        self.write_json(&format!("sample-{i}.json"), &samples()[i]["input"])
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.env_remove("VERIS_NODE").env("VERIS_HOME", self.home());
        cmd
    }

    /// Runs `veris ARGS` on this home (embedded).
    pub fn veris<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> Run {
        run(self.command().args(args))
    }

    /// Runs `veris --node URL ARGS`.
    pub fn remote<S: AsRef<std::ffi::OsStr>>(&self, url: &str, args: &[S]) -> Run {
        // The home is never used with --node; point it somewhere absent to be sure.
        run(self
            .command()
            .env("VERIS_HOME", self.file("unused-home"))
            .args(["--node", url])
            .args(args))
    }

    /// Starts `veris node start --listen 127.0.0.1:0` on this home.
    pub fn start_node(&self) -> Node {
        let mut child = self
            .command()
            .args(["node", "start", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim_end()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        Node {
            child: Some(child),
            url,
        }
    }
}

impl Home {
    /// Starts `veris --json node start --listen 127.0.0.1:0 EXTRA…` on this
    /// home; returns the node and its ready line.
    pub fn start_node_json(&self, extra: &[&str]) -> (Node, serde_json::Value) {
        let mut child = self
            .command()
            .args(["--json", "node", "start", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let ready: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("unexpected first line {line:?}: {e}"));
        let url = ready["listening"].as_str().unwrap().to_string();
        (
            Node {
                child: Some(child),
                url,
            },
            ready,
        )
    }
}

fn run(cmd: &mut Command) -> Run {
    let out = cmd.stdin(Stdio::null()).output().unwrap();
    Run {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// A `veris node start` child; stopped with SIGTERM.
pub struct Node {
    child: Option<Child>,
    pub url: String,
}

impl Node {
    /// Sends SIGTERM and returns the exit code once the node has stopped.
    pub fn stop(mut self) -> Option<i32> {
        let mut child = self.child.take().unwrap();
        assert!(terminate(&child), "kill -TERM failed");
        child.wait().unwrap().code()
    }
}

/// Sends SIGTERM to `child`; whether `kill` succeeded.
fn terminate(child: &Child) -> bool {
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .is_ok_and(|s| s.success())
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // Not stopped by the test (it failed): do not leave it running.
            if !terminate(&child) {
                let _ = child.kill();
            }
            let _ = child.wait();
        }
    }
}
