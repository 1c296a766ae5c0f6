"""EZKL and Veris proving the same ONNX model on the same input, side by side.

Run through scripts/bench/zk_vs_ezkl.sh, which installs the requirements and
builds the Veris example. Each prover runs in child processes of its own
(EZKL: one for setup, one for proving; Veris: one for everything) whose peak
resident memory is read with wait4. Prints a table on stdout and writes it
as JSON (results.json) beside the generated files.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import bench_model

HERE = Path(__file__).resolve().parent


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_measured(cmd: list, log: Path) -> tuple:
    """Runs `cmd` with stdout to `log` (stderr passes through); returns
    (exit code, wall seconds, peak RSS MiB: the child's ru_maxrss, i.e. VmHWM at exit)."""
    start = time.perf_counter()
    with log.open("w") as stdout:
        child = subprocess.Popen([str(c) for c in cmd], stdout=stdout)
        _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return child.returncode, time.perf_counter() - start, usage.ru_maxrss / 1024.0


def must(code: int, what: str, log: Path) -> None:
    if code != 0:
        raise SystemExit(f"error: {what} failed (exit {code}); its output is in {log}")


def run_ezkl(out: Path, files: dict, runs: int) -> dict:
    d = out / "ezkl"
    d.mkdir(parents=True, exist_ok=True)
    worker = [sys.executable, HERE / "ezkl_steps.py"]
    setup_log, prove_log = d / "setup.log", d / "prove.log"
    setup_args = ["setup", d, files["onnx"], files["ezkl_calibration"], d / "setup-result.json"]
    code, _, setup_rss = run_measured(worker + setup_args, setup_log)
    must(code, "EZKL setup", setup_log)
    prove_args = ["prove", d, files["ezkl_input"], runs, d / "prove-result.json"]
    code, _, prove_rss = run_measured(worker + prove_args, prove_log)
    must(code, "EZKL proving", prove_log)
    result = json.loads((d / "setup-result.json").read_text())
    result.update(json.loads((d / "prove-result.json").read_text()))
    result.update(peak_setup_rss_mib=setup_rss, peak_prove_rss_mib=prove_rss, peak_rss_mib=max(setup_rss, prove_rss))
    return result


def run_veris(out: Path, files: dict, runs: int, binary: Path) -> dict:
    d = out / "veris"
    d.mkdir(parents=True, exist_ok=True)
    log = d / "result.json"
    cmd = [binary, "--onnx", files["onnx"], "--input", files["veris_input"]]
    cmd += ["--calibration", files["veris_calibration"], "--runs", runs]
    code, _, rss = run_measured(cmd, log)
    must(code, "Veris (zk_bench)", log)
    result = json.loads(log.read_text())
    # zk_bench resets its VmHWM before each proof (to measure proving alone),
    # which the kernel's ru_maxrss shares: its own whole-run figure, the
    # largest VmHWM before each reset and at the end, is the one to use.
    result["wait4_peak_rss_mib"] = rss
    result["outputs"] = next(iter(result["outputs"].values()))
    result["proof_file_bytes"] = result["proof_bytes"]  # the canonical encoding is what is stored and sent
    return result


def accuracy(outputs: list, reference: list) -> dict:
    argmax = max(range(len(reference)), key=reference.__getitem__)
    return {
        "max_abs_error": max(abs(a - b) for a, b in zip(outputs, reference)),
        "argmax_matches_float": max(range(len(outputs)), key=outputs.__getitem__) == argmax,
    }


# (label, key, format, ratio shown); a key missing on one side prints as "—".
ROWS = [
    ("compile incl. calibration, s", "compile_s", "{:.3g}", True),
    ("SRS generation, s", "srs_s", "{:.3g}", True),
    ("setup (keys), s", "setup_s", "{:.3g}", True),
    ("witness, s (median)", "witness_s", "{:.3g}", True),
    ("prove incl. witness, s (median)", "prove_s", "{:.3g}", True),
    ("verify, s (median)", "verify_s", "{:.3g}", True),
    ("proof, bytes", "proof_bytes", "{:,}", True),
    ("proof as written, bytes", "proof_file_bytes", "{:,}", True),
    ("verifying key, bytes", "vk_bytes", "{:,}", True),
    ("peak RSS whole run, MiB", "peak_rss_mib", "{:.0f}", True),
    ("peak RSS proving, MiB", "peak_prove_rss_mib", "{:.0f}", True),
    ("output max abs error vs float", "max_abs_error", "{:.4f}", False),
    ("argmax = float argmax", "argmax_matches_float", "{}", False),
]


def table(ezkl: dict, veris: dict) -> tuple:
    """The rows as data and as a Markdown table."""
    rows, cells = [], []
    for label, key, fmt, with_ratio in ROWS:
        e, v = ezkl.get(key), veris.get(key)
        ratio = e / v if with_ratio and e is not None and v else None
        rows.append({"metric": label, "ezkl": e, "veris": v, "ratio": ratio})
        show = lambda x: "—" if x is None else fmt.format(x)
        cells.append((label, show(e), show(v), "—" if ratio is None else f"{ratio:.3g}"))
    head = ("metric", "EZKL", "Veris", "ratio EZKL/Veris")
    widths = [max(len(r[i]) for r in cells + [head]) for i in range(4)]

    def line(r):
        padded = [r[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(r[1:], widths[1:])]
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return rows, "\n".join([line(head), rule] + [line(r) for r in cells])


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, required=True, help="directory for every generated file")
    p.add_argument("--veris-bin", type=Path, required=True, help="the built zk_bench example")
    p.add_argument("--runs", type=int, default=3, help="proofs per prover (median reported; default 3)")
    p.add_argument("--calibration-samples", type=int, default=16, help="calibration images for both (default 16)")
    p.add_argument("--seed", type=int, default=0, help="seed of the weights, training and data order")
    p.add_argument("--untrained", action="store_true", help="seeded weights without the short training")
    p.add_argument(
        "--model",
        choices=[*bench_model.ARCHITECTURES, "all"],
        default="all",
        help="which model to prove (default: all, one after the other)",
    )
    a = p.parse_args()
    if not 1 <= a.runs <= 100 or not 1 <= a.calibration_samples <= bench_model.TRAIN_SPLIT:
        p.error(f"--runs must be 1 to 100 and --calibration-samples 1 to {bench_model.TRAIN_SPLIT}")
    if not a.veris_bin.is_file():
        p.error(f"{a.veris_bin} not found (cargo build --release -p veris-zk --example zk_bench)")
    return a


def bench(a, arch: str) -> dict:
    """Proves model `arch` with both provers under `a.out/arch`; prints and returns its report."""
    out = a.out / arch
    description = bench_model.ARCHITECTURES[arch][1]
    progress(f"model: {description}, " + ("seeded weights" if a.untrained else "brief training on digits…"))
    files = bench_model.build(out / "model", arch, a.seed, not a.untrained, a.calibration_samples)
    ezkl = run_ezkl(out, files, a.runs)
    veris = run_veris(out, files, a.runs, a.veris_bin)
    for side in (ezkl, veris):
        side.update(accuracy(side["outputs"], files["reference_logits"]))
    rows, text = table(ezkl, veris)
    cores, load = os.cpu_count(), os.getloadavg()[0]
    header = (
        f"{description}, float test accuracy {files['float_test_accuracy']:.1%} on held-out digits, "
        f"one 28x28 input, {a.runs} proof(s) each.\n"
        f"EZKL: logrows {ezkl['logrows']}, input private, weights fixed, output public. "
        f"Veris: int8, quantized input and output public, {veris['threads']} threads.\n"
        f"{cores} cores, load average {load:.2f}. Ratio > 1: Veris faster or smaller."
    )
    print(header + "\n\n" + text + "\n", flush=True)
    model = {k: str(v) if isinstance(v, Path) else v for k, v in files.items()}
    report = {"header": header, "cores": cores, "load_average": load, "model": model}
    report.update(rows=rows, ezkl=ezkl, veris=veris)
    return report


def main() -> None:
    a = parse_args()
    archs = list(bench_model.ARCHITECTURES) if a.model == "all" else [a.model]
    reports = {arch: bench(a, arch) for arch in archs}
    path = a.out / "results.json"
    path.write_text(json.dumps(reports, indent=2))
    progress(f"wrote {path}")


if __name__ == "__main__":
    main()
