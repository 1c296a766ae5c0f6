//! Proves one float ONNX model's inference with Veris and prints the costs
//! as one JSON object on stdout; the Veris half of `scripts/bench/zk_vs_ezkl.sh`.
//!
//! ```text
//! cargo run --release -p veris-zk --example zk_bench -- \
//!     --onnx model.onnx --input input.json [--calibration calib.json] [--runs N]
//! ```
//!
//! `--input` is an inputs object (`{"input": {"dtype": "float32", "shape":
//! [1, 1, 28, 28], "data": [...]}}`, or nested arrays); `--calibration` is an
//! array of such objects, or one (default: the engine's seeded synthetic set).
//! Reported: `compile_s` (exact compilation with calibration), `setup_s`
//! (keys and weight commitment), `witness_s` (median: engine run with trace
//! and witness), `prove_s` (median: the same plus the proof and its
//! encoding), `verify_s` (median: decoding and checking),
//! `proof_bytes`, `vk_bytes`, `peak_rss_mib` (VmHWM of the whole process),
//! `peak_prove_rss_mib` (VmHWM while proving, `null` where the kernel cannot
//! reset it), `threads`, and the dequantized `outputs` of the proved run.

#[cfg(feature = "prover")]
fn main() {
    if let Err(e) = bench::run() {
        eprintln!("zk_bench: error: {e}");
        std::process::exit(1);
    }
}

#[cfg(not(feature = "prover"))]
fn main() {
    eprintln!("zk_bench: needs the `prover` feature");
    std::process::exit(2);
}

#[cfg(feature = "prover")]
mod bench {
    use std::path::PathBuf;
    use std::time::{Duration, Instant};

    use serde_json::{Value, json};
    use veris_core::spec::check_inputs;
    use veris_core::tensor_json::decode_inputs;
    use veris_core::{ModelId, TensorData, TensorLimits, TensorMap, TensorSpec};
    use veris_engine::exact::{Bits, compile, default_calibration, input_specs};
    use veris_zk::hash::DefaultHash;
    use veris_zk::infer::prove::{prove_witness, witness};
    use veris_zk::infer::setup::setup;
    use veris_zk::infer::verify_bytes;
    use veris_zk::pcs::PcsParams;

    type Error = Box<dyn std::error::Error>;

    /// Largest ONNX file read.
    const MAX_ONNX_BYTES: u64 = 512 << 20;
    /// Largest input or calibration JSON file read.
    const MAX_JSON_BYTES: u64 = 256 << 20;
    /// Most proving runs.
    const MAX_RUNS: usize = 100;
    /// Verifications timed per proof.
    const VERIFIES_PER_PROOF: usize = 5;

    struct Args {
        onnx: PathBuf,
        input: PathBuf,
        calibration: Option<PathBuf>,
        runs: usize,
    }

    fn parse_args() -> Result<Args, Error> {
        const USAGE: &str = "usage: zk_bench --onnx FILE --input FILE [--calibration FILE] [--runs N]";
        let (mut onnx, mut input, mut calibration, mut runs) = (None, None, None, 3);
        let mut it = std::env::args().skip(1);
        while let Some(flag) = it.next() {
            let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value; {USAGE}"));
            match flag.as_str() {
                "--onnx" => onnx = Some(PathBuf::from(value()?)),
                "--input" => input = Some(PathBuf::from(value()?)),
                "--calibration" => calibration = Some(PathBuf::from(value()?)),
                "--runs" => runs = value()?.parse().map_err(|e| format!("--runs: {e}"))?,
                "-h" | "--help" => return Err(USAGE.into()),
                other => return Err(format!("unknown argument `{other}`; {USAGE}").into()),
            }
        }
        if !(1..=MAX_RUNS).contains(&runs) {
            return Err(format!("--runs must be 1 to {MAX_RUNS}").into());
        }
        Ok(Args {
            onnx: onnx.ok_or(USAGE)?,
            input: input.ok_or(USAGE)?,
            calibration,
            runs,
        })
    }

    fn read_limited(path: &PathBuf, limit: u64) -> Result<Vec<u8>, Error> {
        let len = std::fs::metadata(path)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .len();
        if len > limit {
            return Err(format!("{}: {len} bytes, over the limit of {limit}", path.display()).into());
        }
        Ok(std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?)
    }

    fn read_inputs(value: &Value, specs: &[TensorSpec]) -> Result<TensorMap, Error> {
        let inputs = decode_inputs(value, specs, &TensorLimits::default())?;
        check_inputs(specs, &inputs, true)?;
        Ok(inputs)
    }

    fn read_json(path: &PathBuf) -> Result<Value, Error> {
        let bytes = read_limited(path, MAX_JSON_BYTES)?;
        Ok(serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.display()))?)
    }

    /// Peak resident set size of this process (VmHWM), in MiB.
    fn peak_rss_mib() -> Option<f64> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?;
        let kib: f64 = line.trim().trim_end_matches("kB").trim().parse().ok()?;
        Some(kib / 1024.0)
    }

    /// Resets VmHWM to the current RSS (Linux `clear_refs` 5); false if unsupported.
    fn reset_peak() -> bool {
        std::fs::write("/proc/self/clear_refs", "5").is_ok()
    }

    fn median(mut v: Vec<Duration>) -> f64 {
        v.sort();
        v[v.len() / 2].as_secs_f64()
    }

    fn floats(outputs: &TensorMap) -> Value {
        let entries = outputs.iter().map(|(name, t)| {
            let data = match t.data() {
                TensorData::Float32(v) => json!(v),
                other => json!(format!("{:?} output", other.dtype())),
            };
            (name.clone(), data)
        });
        Value::Object(entries.collect())
    }

    pub fn run() -> Result<(), Error> {
        let args = parse_args()?;
        let onnx = read_limited(&args.onnx, MAX_ONNX_BYTES)?;
        let specs = input_specs(&onnx)?;
        let input = read_inputs(&read_json(&args.input)?, &specs)?;
        let calibration = match &args.calibration {
            Some(path) => match read_json(path)? {
                Value::Array(samples) => samples
                    .iter()
                    .map(|s| read_inputs(s, &specs))
                    .collect::<Result<_, _>>()?,
                single => vec![read_inputs(&single, &specs)?],
            },
            None => default_calibration(&specs)?,
        };

        eprintln!(
            "Veris: compiling to an exact int8 model ({} calibration samples)…",
            calibration.len()
        );
        let start = Instant::now();
        let model = compile(&onnx, ModelId::of_bytes(&onnx), &calibration, Bits::B8)?;
        let compile_s = start.elapsed().as_secs_f64();

        eprintln!("Veris: setup (keys and weight commitment)…");
        let start = Instant::now();
        let (pk, vk) = setup::<DefaultHash>(&model, PcsParams::default())?;
        let setup_s = start.elapsed().as_secs_f64();

        let (mut witness_times, mut prove_times, mut verify_times) = (Vec::new(), Vec::new(), Vec::new());
        let (mut proof_bytes, mut outputs, mut prove_peak) = (0, Value::Null, Some(0f64));
        // Resetting VmHWM loses the peak so far: the whole-run peak is the
        // largest of the readings taken just before each reset and at the end.
        let mut whole_peak = 0f64;
        for run in 1..=args.runs {
            eprintln!("Veris: proving, run {run}/{}…", args.runs);
            whole_peak = whole_peak.max(peak_rss_mib().unwrap_or(0.0));
            let resettable = reset_peak();
            let start = Instant::now();
            let (exact_outputs, witness) = witness::<DefaultHash>(&pk, &model, &input)?;
            witness_times.push(start.elapsed());
            let bytes = prove_witness(&pk, &witness)?.encode();
            prove_times.push(start.elapsed());
            prove_peak = prove_peak
                .zip(peak_rss_mib().filter(|_| resettable))
                .map(|(a, b)| a.max(b));
            for _ in 0..VERIFIES_PER_PROOF {
                let start = Instant::now();
                verify_bytes::<DefaultHash>(&vk, &witness.statement, &bytes)?;
                verify_times.push(start.elapsed());
            }
            proof_bytes = bytes.len();
            outputs = floats(&exact_outputs.dequantized);
        }
        let report = json!({
            "compile_s": compile_s,
            "setup_s": setup_s,
            "witness_s": median(witness_times),
            "prove_s": median(prove_times),
            "verify_s": median(verify_times),
            "proof_bytes": proof_bytes,
            "vk_bytes": vk.encode().len(),
            "peak_rss_mib": peak_rss_mib().map(|end| end.max(whole_peak)),
            "peak_prove_rss_mib": prove_peak,
            "threads": rayon::current_num_threads(),
            "runs": args.runs,
            "outputs": outputs,
        });
        println!("{report}");
        Ok(())
    }
}
