//! The compact encoding of a lookup table (`docs/exact-semantics.md`, §7.1).
//!
//! A table is a list of integers in `[−2^31, 2^31)` whose length the op
//! fixes (so it is not encoded). It is written in whichever of two forms is
//! shorter (raw on a tie), which keeps the encoding canonical:
//!
//! - **raw**: `u8 w` (1, 2 or 4, the fewest bytes that hold every entry as
//!   a signed integer) then every entry as `w` little-endian bytes;
//! - **runs**: `u8 0`, `u32 count`, then `count` runs, each a zigzag
//!   LEB128 `delta` and a LEB128 `length − 1`: `length` entries each equal to
//!   the previous entry plus `delta` (the entry before the first is 0).
//!   Runs are maximal (two neighbouring runs have different deltas) and
//!   every LEB128 number is in its shortest form.
//!
//! Saturated and linear stretches of a table (most of a sigmoid, the tail of
//! an exp) collapse into a few runs.

use super::codec::{Reader, Writer};

const RUNS: u8 = 0;

/// What one table entry costs against the decoder's parameter budget
/// ([`ExactLimits::max_params`](super::ExactLimits)): the runs form
/// expands a few bytes into many entries, so entries count 16 each, which
/// bounds the decoded tables of any encoding to 16 Mi entries by default.
pub(crate) const TABLE_ENTRY_COST: usize = 16;

/// Largest LEB128 encoding of a u64.
const MAX_VARINT_BYTES: usize = 10;

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

fn varint_len(mut v: u64) -> usize {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}

fn write_varint(w: &mut Writer, mut v: u64) {
    while v >= 0x80 {
        w.u8((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    w.u8(v as u8);
}

fn read_varint(r: &mut Reader<'_>, what: &str) -> Result<u64, String> {
    let mut v: u64 = 0;
    for i in 0..MAX_VARINT_BYTES {
        let b = r.u8(what)?;
        let bits = u64::from(b & 0x7f);
        if i == MAX_VARINT_BYTES - 1 && bits > 1 {
            return Err(format!("{what}: varint overflows 64 bits"));
        }
        v |= bits << (7 * i);
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err(format!("{what}: varint longer than {MAX_VARINT_BYTES} bytes"))
}

/// `(delta, length)` pairs of maximal runs.
fn runs(table: &[i64]) -> Vec<(i64, u64)> {
    let mut out: Vec<(i64, u64)> = Vec::new();
    let mut prev = 0i64;
    for &v in table {
        let d = v - prev;
        prev = v;
        match out.last_mut() {
            Some((delta, len)) if *delta == d => *len += 1,
            _ => out.push((d, 1)),
        }
    }
    out
}

/// The fewest bytes (1, 2 or 4) holding every entry.
fn raw_width(table: &[i64]) -> u8 {
    let fits = |bits: u32| {
        table
            .iter()
            .all(|&v| (-(1i64 << (bits - 1))..(1i64 << (bits - 1))).contains(&v))
    };
    if fits(8) {
        1
    } else if fits(16) {
        2
    } else {
        4
    }
}

/// Writes `table` (every entry in `[−2^31, 2^31)`, checked by validation).
pub(crate) fn write_table(w: &mut Writer, table: &[i64]) {
    let width = raw_width(table);
    let raw_bytes = table.len() * usize::from(width);
    let runs = runs(table);
    let run_bytes: usize = 4 + runs
        .iter()
        .map(|&(d, n)| varint_len(zigzag(d)) + varint_len(n - 1))
        .sum::<usize>();
    if run_bytes < raw_bytes {
        w.u8(RUNS);
        w.len(runs.len());
        for (d, n) in runs {
            write_varint(w, zigzag(d));
            write_varint(w, n - 1);
        }
    } else {
        w.u8(width);
        for &v in table {
            w.0.extend_from_slice(&v.to_le_bytes()[..usize::from(width)]);
        }
    }
}

/// Reads a table of exactly `len` entries, each in `[−2^31, 2^31)`.
/// Canonical form is enforced by the caller's re-encoding check.
pub(crate) fn read_table(r: &mut Reader<'_>, len: usize, what: &str) -> Result<Vec<i64>, String> {
    let kind = r.u8(what)?;
    if kind == RUNS {
        let count = r.count(what, 2, len)?;
        let mut table = Vec::with_capacity(len);
        let mut prev = 0i64;
        for _ in 0..count {
            let delta = unzigzag(read_varint(r, what)?);
            let n = read_varint(r, what)?.saturating_add(1);
            if n > (len - table.len()) as u64 {
                return Err(format!("{what}: runs longer than {len} entries"));
            }
            for _ in 0..n {
                prev = prev
                    .checked_add(delta)
                    .filter(|v| i32::try_from(*v).is_ok())
                    .ok_or_else(|| format!("{what}: entry outside 32 bits"))?;
                table.push(prev);
            }
        }
        if table.len() != len {
            return Err(format!("{what}: runs cover {} of {len} entries", table.len()));
        }
        return Ok(table);
    }
    let width = match kind {
        1 | 2 | 4 => usize::from(kind),
        k => return Err(format!("{what}: unknown table form {k}")),
    };
    let raw = r.take(len.checked_mul(width).ok_or("table size overflows")?, what)?;
    Ok(raw
        .chunks_exact(width)
        .map(|c| {
            let mut b = [0u8; 8];
            b[..width].copy_from_slice(c);
            let shift = 64 - 8 * width as u32;
            (i64::from_le_bytes(b) << shift) >> shift
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(table: &[i64]) -> Vec<u8> {
        let mut w = Writer(Vec::new());
        write_table(&mut w, table);
        let mut r = Reader(&w.0);
        assert_eq!(read_table(&mut r, table.len(), "t").unwrap(), table);
        assert!(r.0.is_empty());
        w.0
    }

    #[test]
    fn forms_are_chosen_by_size_and_round_trip() {
        // A saturating table: two long constant runs and a ramp.
        let sat: Vec<i64> = (-128..128).map(|x: i64| x.clamp(-20, 20)).collect();
        let bytes = round_trip(&sat);
        assert_eq!(bytes[0], RUNS);
        assert!(bytes.len() < 20, "{} bytes", bytes.len());
        // Noise is stored raw at the smallest width.
        let noise: Vec<i64> = (0..256).map(|i: i64| (i * 7919 % 251) - 125).collect();
        assert_eq!(round_trip(&noise)[0], 1);
        let wide: Vec<i64> = (0..64).map(|i: i64| (i * 104_729 % 70_001) - 35_000).collect();
        assert_eq!(round_trip(&wide)[0], 4);
        round_trip(&[i32::MIN.into(), i32::MAX.into(), 0]);
        round_trip(&[]);
    }

    #[test]
    fn hostile_tables_are_refused() {
        let read = |bytes: &[u8], len| read_table(&mut Reader(bytes), len, "t");
        assert!(read(&[3, 0, 0, 0], 1).is_err()); // unknown form
        assert!(read(&[1, 5], 2).is_err()); // truncated
        assert!(read(&[RUNS, 1, 0, 0, 0, 2, 5], 4).is_err()); // 6 entries for 4
        assert!(read(&[RUNS, 1, 0, 0, 0, 2, 1], 4).is_err()); // 2 entries for 4
        assert!(read(&[RUNS, 0xff, 0xff, 0xff, 0xff], 4).is_err()); // huge count
        let overlong = [
            RUNS, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0,
        ];
        assert!(read(&overlong, 1).is_err());
        // delta 2^31 overflows the entry range.
        let big = [RUNS, 1, 0, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x10, 0];
        assert!(read(&big, 1).is_err());
    }
}
