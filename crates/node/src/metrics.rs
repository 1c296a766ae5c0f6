//! Prometheus metrics, rendered in the text exposition format at `/metrics`.
//!
//! - `veris_http_requests_total{route,status}`: requests served.
//! - `veris_http_request_duration_seconds{route}`: latency histogram.
//! - `veris_inferences_total{mode,model}`: successful inferences.
//! - `veris_errors_total{code}`: error responses by error code.
//! - `veris_audits_total{outcome}`: peers' job statements audited or not
//!   ([`crate::audit`]): `agreed`, `mismatch`, `not_held`, `not_sampled`,
//!   `dropped` (queue full), `failed`, `events_lagged`.
//! - `veris_evidence_found_total{verdict}`: fraud evidence this node found
//!   by auditing (`wrong_output`) or from gossip (`equivocation`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Debug, Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Debug, Default)]
struct State {
    requests: BTreeMap<(String, u16), u64>,
    latency: BTreeMap<String, Histogram>,
    inferences: BTreeMap<(String, String), u64>,
    errors: BTreeMap<String, u64>,
    audits: BTreeMap<&'static str, u64>,
    evidence_found: BTreeMap<&'static str, u64>,
}

/// The node's counters. Cheap to update from any thread.
#[derive(Debug, Default)]
pub struct Metrics {
    state: Mutex<State>,
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

impl Metrics {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records one HTTP request on `route` (the route pattern, not the path).
    pub fn request(&self, route: &str, status: u16, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        let mut s = self.state();
        *s.requests.entry((route.to_string(), status)).or_default() += 1;
        let h = s.latency.entry(route.to_string()).or_default();
        h.count += 1;
        h.sum += secs;
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                h.counts[i] += 1;
            }
        }
    }

    pub fn inference(&self, mode: &str, model: &str) {
        *self
            .state()
            .inferences
            .entry((mode.to_string(), model.to_string()))
            .or_default() += 1;
    }

    pub fn error(&self, code: &str) {
        *self.state().errors.entry(code.to_string()).or_default() += 1;
    }

    /// Counts one audit decision or result (see [`crate::audit`]).
    pub fn audit(&self, outcome: &'static str) {
        *self.state().audits.entry(outcome).or_default() += 1;
    }

    /// Counts one piece of fraud evidence this node found itself.
    pub fn evidence_found(&self, verdict: &'static str) {
        *self.state().evidence_found.entry(verdict).or_default() += 1;
    }

    /// How many audits ended with `outcome` so far.
    pub fn audits(&self, outcome: &str) -> u64 {
        self.state().audits.get(outcome).copied().unwrap_or(0)
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let s = self.state();
        let mut out = String::new();
        out.push_str(
            "# HELP veris_http_requests_total HTTP requests served.\n# TYPE veris_http_requests_total counter\n",
        );
        for ((route, status), n) in &s.requests {
            let _ = writeln!(
                out,
                "veris_http_requests_total{{route=\"{}\",status=\"{status}\"}} {n}",
                escape(route)
            );
        }
        out.push_str("# HELP veris_http_request_duration_seconds HTTP request latency.\n# TYPE veris_http_request_duration_seconds histogram\n");
        for (route, h) in &s.latency {
            let r = escape(route);
            for (b, c) in BUCKETS.iter().zip(h.counts) {
                let _ = writeln!(
                    out,
                    "veris_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"{b}\"}} {c}"
                );
            }
            let _ = writeln!(
                out,
                "veris_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "veris_http_request_duration_seconds_sum{{route=\"{r}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "veris_http_request_duration_seconds_count{{route=\"{r}\"}} {}",
                h.count
            );
        }
        out.push_str("# HELP veris_inferences_total Successful inferences.\n# TYPE veris_inferences_total counter\n");
        for ((mode, model), n) in &s.inferences {
            let _ = writeln!(
                out,
                "veris_inferences_total{{mode=\"{}\",model=\"{}\"}} {n}",
                escape(mode),
                escape(model)
            );
        }
        out.push_str("# HELP veris_errors_total Error responses by code.\n# TYPE veris_errors_total counter\n");
        for (code, n) in &s.errors {
            let _ = writeln!(out, "veris_errors_total{{code=\"{}\"}} {n}", escape(code));
        }
        out.push_str(
            "# HELP veris_audits_total Peers' job statements audited, by outcome.\n# TYPE veris_audits_total counter\n",
        );
        for (outcome, n) in &s.audits {
            let _ = writeln!(out, "veris_audits_total{{outcome=\"{outcome}\"}} {n}");
        }
        out.push_str("# HELP veris_evidence_found_total Fraud evidence found by this node.\n# TYPE veris_evidence_found_total counter\n");
        for (verdict, n) in &s.evidence_found {
            let _ = writeln!(out, "veris_evidence_found_total{{verdict=\"{verdict}\"}} {n}");
        }
        out
    }
}
