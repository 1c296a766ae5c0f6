//! Benchmarks of the proof-system core (harness = false; plain timing).
//!
//! `cargo bench -p veris-zk` runs everything; `cargo bench -p veris-zk -- quick`
//! stops the commitment sizes at 2^18. Every figure is printed for a rayon pool
//! of 1 and of 2 threads, as `module::op/size  threads  time`.

use std::time::{Duration, Instant};

use veris_zk::field::{E, F, Field};
use veris_zk::hash::{Blake3, Hasher, Keccak256};
use veris_zk::logup::prover::{LookupWitness, multiplicities};
use veris_zk::logup::{self, LookupShape};
use veris_zk::mle::evaluate;
use veris_zk::pcs::proof::OpeningProof;
use veris_zk::pcs::{self, PcsParams};
use veris_zk::sumcheck::prover::{ProductTerm, SumOfProducts};
use veris_zk::sumcheck::{self, SumcheckShape};
use veris_zk::transcript::Transcript;

struct Rng(u64);
impl Rng {
    fn f(&mut self) -> F {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        F::new(self.0 ^ (self.0 >> 29))
    }
    fn e(&mut self) -> E {
        E::new(self.f(), self.f())
    }
}

/// Median of `reps` runs of `f` inside a pool of `threads` threads.
fn time<R: Send>(threads: usize, reps: usize, mut f: impl FnMut() -> R + Send) -> (Duration, R) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool");
    pool.install(|| {
        let mut times = Vec::with_capacity(reps);
        let mut out = None;
        for _ in 0..reps {
            let start = Instant::now();
            out = Some(f());
            times.push(start.elapsed());
        }
        times.sort();
        (times[reps / 2], out.expect("at least one run"))
    })
}

fn ms(d: Duration) -> String {
    format!("{:9.2} ms", d.as_secs_f64() * 1e3)
}

fn bench_sumcheck() {
    let n = 20;
    let mut rng = Rng(1);
    let a: Vec<E> = (0..1 << n).map(|_| rng.e()).collect();
    let b: Vec<E> = (0..1 << n).map(|_| rng.e()).collect();
    let terms = vec![ProductTerm {
        coeff: E::ONE,
        factors: vec![0, 1],
    }];
    let poly = SumOfProducts::new(vec![a, b], terms).expect("valid instance");
    let sum = poly.sum();
    let shape = SumcheckShape { num_vars: n, degree: 2 };
    for threads in [1, 2] {
        let (d, out) = time(threads, 3, || {
            sumcheck::prover::prove(&mut Transcript::<Blake3>::new(b"bench"), poly.clone(), sum)
        });
        println!("sumcheck::prove_product/2^{n}  threads={threads}  {}", ms(d));
        if threads == 2 {
            let (d, ok) = time(1, 5, || {
                sumcheck::verifier::verify(&mut Transcript::<Blake3>::new(b"bench"), shape, sum, &out.proof)
            });
            assert!(ok.is_ok());
            println!(
                "sumcheck::verify/2^{n}          threads=1  {}  proof {} B",
                ms(d),
                out.proof.to_bytes().len()
            );
        }
    }
}

fn bench_pcs<H: Hasher>(sizes: &[usize]) {
    let params = PcsParams::default();
    for &n in sizes {
        let mut rng = Rng(n as u64);
        let poly: Vec<F> = (0..1 << n).map(|_| rng.f()).collect();
        let point: Vec<E> = (0..n).map(|_| rng.e()).collect();
        let value = [evaluate(&poly, &point)];
        let polys = [poly];
        let reps = if n <= 18 { 5 } else { 3 };
        for threads in [1, 2] {
            let (dc, (c, data)) = time(threads, reps, || {
                pcs::prover::commit::<H>(&polys, params).expect("commit")
            });
            let (dopen, proof) = time(threads, reps, || {
                pcs::prover::open(&mut Transcript::<H>::new(b"bench"), &c, &data, &point, &value).expect("open")
            });
            let bytes = proof.to_bytes();
            let (dv, ok) = time(1, 5, || {
                let proof = OpeningProof::from_bytes(&bytes, &c.shape).expect("decode");
                pcs::verifier::verify(&mut Transcript::<H>::new(b"bench"), &c, &point, &value, &proof)
            });
            assert!(ok.is_ok());
            println!(
                "pcs::{}/2^{n}  threads={threads}  commit {}  open {}  verify(1 thread, incl. decode) {}  proof {:.1} KiB",
                H::NAME,
                ms(dc),
                ms(dopen),
                ms(dv),
                bytes.len() as f64 / 1024.0
            );
        }
    }
}

fn bench_logup() {
    let (n, m) = (16usize, 8usize);
    let mut rng = Rng(7);
    let x: Vec<F> = (0..1u64 << m).map(F::new).collect();
    let y: Vec<F> = (0..1u64 << m).map(|v| F::new(v.saturating_sub(128))).collect();
    let table = vec![x, y];
    let rows: Vec<usize> = (0..1 << n).map(|_| (rng.f().as_u64() % (1 << m)) as usize).collect();
    let cols: Vec<Vec<F>> = table.iter().map(|c| rows.iter().map(|&j| c[j]).collect()).collect();
    let mult = multiplicities(&cols, &table).expect("in table");
    let shape = LookupShape {
        witness_vars: n,
        table_vars: m,
        columns: 2,
    };
    for threads in [1, 2] {
        let w = LookupWitness {
            columns: &cols,
            table: &table,
            multiplicities: &mult,
        };
        let (d, (proof, _)) = time(threads, 3, || {
            logup::prover::prove(&mut Transcript::<Blake3>::new(b"bench"), &[], w).expect("prove")
        });
        let (dv, ok) = time(1, 5, || {
            logup::verifier::verify(&mut Transcript::<Blake3>::new(b"bench"), &[], shape, &proof)
        });
        assert!(ok.is_ok());
        println!(
            "logup::prove/2^{n}x2-into-2^{m}  threads={threads}  prove {}  verify {}  proof {:.1} KiB",
            ms(d),
            ms(dv),
            proof.to_bytes().len() as f64 / 1024.0
        );
    }
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let sizes: Vec<usize> = if quick { vec![16, 18] } else { vec![16, 18, 20, 22] };
    println!("# veris-zk benchmarks (median of 5 runs up to 2^18 entries, else of 3)");
    bench_sumcheck();
    bench_pcs::<Blake3>(&sizes);
    bench_pcs::<Keccak256>(&[20]);
    bench_logup();
    for (name, params) in [
        ("rate 1/4", PcsParams::PROVABLE_RATE_1_4),
        ("rate 1/2", PcsParams::PROVABLE_RATE_1_2),
        ("rate 1/8", PcsParams::PROVABLE_RATE_1_8),
    ] {
        println!(
            "pcs::soundness/{name}  t={}  {:.1} bits at 2^22",
            params.num_queries,
            params.soundness_bits(22, 1)
        );
    }
}
