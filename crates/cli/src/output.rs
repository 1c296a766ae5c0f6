//! Output: one JSON document with `--json`, readable text otherwise, and
//! the text forms of models, tensors and checks.

use std::fmt::{Display, Write as _};
use std::io::Write as _;

use serde::Serialize;
use veris_core::verify::Check;
use veris_core::{ModelRecord, Tensor, TensorData};

/// Values of a tensor shown in text output; the rest are elided.
const SHOWN_VALUES: usize = 16;

/// Writes each command's result on stdout in the chosen form.
#[derive(Debug, Clone, Copy)]
pub struct Printer {
    json: bool,
}

impl Printer {
    pub fn new(json: bool) -> Self {
        Printer { json }
    }

    pub fn is_json(&self) -> bool {
        self.json
    }

    /// Prints `value` as JSON with `--json`, otherwise the text `text` makes.
    pub fn emit<T: Serialize + ?Sized>(&self, value: &T, text: impl FnOnce() -> String) -> anyhow::Result<()> {
        let mut out = if self.json {
            serde_json::to_string_pretty(value)?
        } else {
            text()
        };
        if !out.ends_with('\n') {
            out.push('\n');
        }
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(out.as_bytes())?;
        stdout.flush()?;
        Ok(())
    }
}

/// `0x12345678…cdef`: enough of a long hex string to tell it apart.
pub fn short(hex: &str) -> String {
    if hex.len() <= 16 {
        return hex.to_string();
    }
    format!("{}…{}", &hex[..10], &hex[hex.len() - 4..])
}

/// One line per model: reference, id, size and boundary.
pub fn model_table(records: &[ModelRecord]) -> String {
    if records.is_empty() {
        return "no models".into();
    }
    let width = records.iter().map(|r| r.reference().len()).max().unwrap_or(0).max(5);
    let mut out = format!("{:width$}  {:59}  {:>10}  INPUTS -> OUTPUTS\n", "MODEL", "ID", "BYTES");
    for r in records {
        let _ = writeln!(
            out,
            "{:width$}  {}  {:>10}  {} -> {}",
            r.reference(),
            r.id,
            r.size,
            veris_core::spec::describe_specs(&r.inputs),
            veris_core::spec::describe_specs(&r.outputs),
        );
    }
    out
}

/// Every field of a model record, one per line.
pub fn model_details(r: &ModelRecord) -> String {
    let specs = |specs: &[veris_core::TensorSpec]| {
        let lines: Vec<String> = specs.iter().map(|s| s.describe()).collect();
        lines.join("\n             ")
    };
    let description = if r.description.is_empty() { "-" } else { &r.description };
    let mut text = format!(
        "model:       {}\nid:          {}\ndescription: {description}\nformat:      {}\nsize:        {} bytes\ncreated:     {}\ninputs:      {}\noutputs:     {}",
        r.reference(),
        r.id,
        r.format,
        r.size,
        utc(r.created_ms),
        specs(&r.inputs),
        specs(&r.outputs),
    );
    if let Some(vk) = r.verifying_key {
        text.push_str(&format!("\nzk key:      {vk} (verifying key of zk receipts)"));
    }
    text
}

/// `name: float32[1, 10] [0.5, -1, ...]`.
pub fn tensor_line(name: &str, t: &Tensor) -> String {
    fn values<T: Display>(v: &[T]) -> String {
        let shown: Vec<String> = v.iter().take(SHOWN_VALUES).map(T::to_string).collect();
        let more = v.len().saturating_sub(SHOWN_VALUES);
        let tail = if more > 0 {
            format!(", … {more} more")
        } else {
            String::new()
        };
        format!("[{}{tail}]", shown.join(", "))
    }
    let data = match t.data() {
        TensorData::Float32(v) => values(v),
        TensorData::Float64(v) => values(v),
        TensorData::Int64(v) => values(v),
        TensorData::Int32(v) => values(v),
        TensorData::Int8(v) => values(v),
        TensorData::Uint8(v) => values(v),
        TensorData::Bool(v) => values(v),
    };
    let dims: Vec<String> = t.shape().iter().map(usize::to_string).collect();
    format!("{name}: {}[{}] {data}", t.dtype(), dims.join(", "))
}

/// For a 2-D float tensor (a batch of class scores), the index of the
/// largest value in each row; `None` for any other tensor.
pub fn argmax_rows(t: &Tensor) -> Option<Vec<usize>> {
    let &[rows, cols] = t.shape() else { return None };
    let values: Vec<f64> = match t.data() {
        TensorData::Float32(v) => v.iter().map(|&x| f64::from(x)).collect(),
        TensorData::Float64(v) => v.clone(),
        _ => return None,
    };
    if cols == 0 {
        return None;
    }
    let argmax = |row: &[f64]| {
        row.iter()
            .enumerate()
            .fold(
                (0, f64::NEG_INFINITY),
                |best, (i, &x)| if x > best.1 { (i, x) } else { best },
            )
            .0
    };
    Some(values.chunks(cols).take(rows).map(argmax).collect())
}

/// `✓ name: detail` or `✗ name: detail`.
pub fn check_line(c: &Check) -> String {
    format!("{} {}: {}", if c.ok { "✓" } else { "✗" }, c.name, c.detail)
}

/// Milliseconds since the Unix epoch as `YYYY-MM-DD HH:MM:SS UTC`.
pub fn utc(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, rest) = ((secs / 86_400) as i64, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_calendar_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(951_782_400_000), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc(1_767_225_599_000), "2025-12-31 23:59:59 UTC");
    }

    #[test]
    fn argmax_is_per_row_of_a_float_matrix() {
        let t = Tensor::new(
            "x",
            vec![2, 3],
            TensorData::Float32(vec![0.1, 0.7, 0.2, 5.0, -1.0, 4.0]),
        )
        .unwrap();
        assert_eq!(argmax_rows(&t), Some(vec![1, 0]));
        let v = Tensor::new("x", vec![3], TensorData::Float32(vec![0.1, 0.7, 0.2])).unwrap();
        assert_eq!(argmax_rows(&v), None);
        let i = Tensor::new("x", vec![1, 2], TensorData::Int64(vec![1, 2])).unwrap();
        assert_eq!(argmax_rows(&i), None);
    }

    #[test]
    fn long_tensors_are_elided() {
        let t = Tensor::new("x", vec![1, 20], TensorData::Int32((0..20).collect())).unwrap();
        let line = tensor_line("x", &t);
        assert!(line.starts_with("x: int32[1, 20] [0, 1, 2,"), "{line}");
        assert!(line.ends_with("15, … 4 more]"), "{line}");
        assert_eq!(short("0x0123456789abcdef0123"), "0x01234567…0123");
    }
}
