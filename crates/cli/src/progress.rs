//! Progress on stderr for work that can take a while (compiling a model,
//! zero-knowledge proving): on a terminal, a line counting the seconds, erased when the
//! work ends. Nothing when stderr is not a terminal, so scripts see only the
//! result on stdout and, on failure, the one-line reason on stderr.

use std::io::{IsTerminal, Write};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Runs `work`, showing `label` and the elapsed time on a terminal's stderr.
pub fn with_progress<T>(label: &str, work: impl FnOnce() -> T) -> T {
    if !std::io::stderr().is_terminal() {
        return work();
    }
    let start = Instant::now();
    let (stop, stopped) = mpsc::channel::<()>();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let mut err = std::io::stderr();
            while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(Duration::from_millis(200)) {
                let _ = write!(err, "\r{label}… {:.1} s", start.elapsed().as_secs_f64());
                let _ = err.flush();
            }
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
        });
        let result = work();
        let _ = stop.send(());
        result
    })
}
