"""EZKL's half of the benchmark, run as a child process per phase so that
its peak memory is measured on its own (the parent reads it with wait4).

    ezkl_steps.py setup DIR ONNX CALIBRATION RESULT
        gen_settings (input private, weights fixed, output public)
        -> calibrate_settings (target "resources") -> compile_circuit
        -> gen_srs (locally, with the settings' logrows) -> setup
    ezkl_steps.py prove DIR INPUT RUNS RESULT
        RUNS x (gen_witness -> prove -> 5 x verify)

Each phase writes its timings as JSON to RESULT. EZKL's API works on files,
so its load and store times are part of what is measured, as for its users.
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path

import ezkl

VERIFIES_PER_PROOF = 5

# EZKL's own reports (fidelity tables, logs) go to stderr, ours to the
# terminal: keep a handle on the terminal, then send stderr where stdout goes
# (the parent's log file).
TERMINAL = os.fdopen(os.dup(2), "w")


def progress(message: str) -> None:
    print(f"EZKL: {message}", file=TERMINAL, flush=True)


def fail(message: str) -> None:
    progress(message)
    raise SystemExit(1)


def timed(step: str, call):
    """Runs one EZKL call; an exception or a `False` result is a failed step."""
    start = time.perf_counter()
    try:
        result = call()
    except Exception as e:  # EZKL raises plain RuntimeError/IOError with its message
        fail(f"{step} failed: {e}")
    if result is False:
        fail(f"{step} failed (returned False)")
    return result, time.perf_counter() - start


def setup(d: Path, onnx: str, calibration: str) -> dict:
    settings, circuit = str(d / "settings.json"), str(d / "network.ezkl")
    args = ezkl.PyRunArgs()
    args.input_visibility = "private"
    args.param_visibility = "fixed"
    args.output_visibility = "public"
    progress("generating settings…")
    _, gen_s = timed("gen_settings", lambda: ezkl.gen_settings(onnx, settings, py_run_args=args))
    progress("calibrating settings (target resources)…")
    calibrate = lambda: ezkl.calibrate_settings(calibration, onnx, settings, "resources")
    _, calibrate_s = timed("calibrate_settings", calibrate)
    progress("compiling the circuit…")
    _, compile_s = timed("compile_circuit", lambda: ezkl.compile_circuit(onnx, circuit, settings))
    run_args = json.loads(Path(settings).read_text())["run_args"]
    logrows = int(run_args["logrows"])
    srs = str(d / f"kzg{logrows}.srs")
    progress(f"generating SRS (logrows {logrows})…")
    _, srs_s = timed("gen_srs", lambda: ezkl.gen_srs(srs, logrows))
    progress("setup (proving and verifying keys)…")
    vk, pk = d / "vk.key", d / "pk.key"
    _, setup_s = timed("setup", lambda: ezkl.setup(circuit, str(vk), str(pk), srs_path=srs))
    return {
        "logrows": logrows,
        "input_scale": run_args.get("input_scale"),
        "param_scale": run_args.get("param_scale"),
        "gen_settings_s": gen_s,
        "calibrate_s": calibrate_s,
        "compile_circuit_s": compile_s,
        "compile_s": gen_s + calibrate_s + compile_s,
        "srs_s": srs_s,
        "setup_s": setup_s,
        "srs": srs,
        "srs_bytes": os.path.getsize(srs),
        "vk_bytes": vk.stat().st_size,
        "pk_bytes": pk.stat().st_size,
    }


def prove(d: Path, data: str, runs: int) -> dict:
    settings, circuit = str(d / "settings.json"), str(d / "network.ezkl")
    vk, pk = str(d / "vk.key"), str(d / "pk.key")
    srs = str(d / f"kzg{json.loads(Path(settings).read_text())['run_args']['logrows']}.srs")
    witness, proof = str(d / "witness.json"), str(d / "proof.json")
    witness_times, prove_times, verify_times = [], [], []
    for run in range(1, runs + 1):
        progress(f"proving, run {run}/{runs}…")
        _, t = timed("gen_witness", lambda: ezkl.gen_witness(data, circuit, witness, vk_path=vk, srs_path=srs))
        witness_times.append(t)
        _, t = timed("prove", lambda: ezkl.prove(witness, circuit, pk, proof, srs_path=srs))
        prove_times.append(t)
        for _ in range(VERIFIES_PER_PROOF):
            _, t = timed("verify", lambda: ezkl.verify(proof, settings, vk, srs_path=srs))
            verify_times.append(t)
    proof_json = json.loads(Path(proof).read_text())
    outputs = json.loads(Path(witness).read_text())["pretty_elements"]["rescaled_outputs"]
    return {
        "witness_s": statistics.median(witness_times),
        "prove_only_s": statistics.median(prove_times),
        "prove_s": statistics.median(w + p for w, p in zip(witness_times, prove_times)),
        "verify_s": statistics.median(verify_times),
        "proof_bytes": len(proof_json["proof"]),
        "proof_file_bytes": os.path.getsize(proof),
        "public_instances": sum(len(i) for i in proof_json["instances"]),
        "outputs": [float(v) for v in outputs[0]],
    }


def main(argv: list) -> None:
    if len(argv) != 5 or argv[0] not in ("setup", "prove"):
        raise SystemExit(__doc__)
    phase, d, a, b, result = argv
    sys.stderr.flush()
    os.dup2(1, 2)
    d = Path(d)
    d.mkdir(parents=True, exist_ok=True)
    out = setup(d, a, b) if phase == "setup" else prove(d, a, int(b))
    Path(result).write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
