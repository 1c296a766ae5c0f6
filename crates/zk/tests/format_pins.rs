//! Format pins: the transcript, a sumcheck proof and a PCS opening made from fixed
//! inputs must keep their exact bytes. A change here is a deliberate format change
//! (bump the transcript version), never an accident.

use veris_zk::field::{E, F, Field};
use veris_zk::hash::{Blake3, Hasher, Keccak256};
use veris_zk::mle::evaluate;
use veris_zk::pcs::{PcsParams, prover};
use veris_zk::sumcheck::prover::{ProductTerm, SumOfProducts, prove};
use veris_zk::transcript::Transcript;

fn hex(d: &[u8]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

fn pinned_bytes<H: Hasher>() -> (E, Vec<u8>, Vec<u8>) {
    let mut t = Transcript::<H>::new(b"veris-zk/format-pin");
    t.absorb_bytes(b"statement", b"fixed");
    let challenge = t.challenge_ext(b"c");

    let a: Vec<E> = (0..16u64).map(|i| E::from_u64(i * i + 1)).collect();
    let b: Vec<E> = (0..16u64).map(|i| E::from_u64(3 * i + 2)).collect();
    let poly = SumOfProducts::new(
        vec![a, b],
        vec![ProductTerm {
            coeff: E::ONE,
            factors: vec![0, 1],
        }],
    )
    .unwrap();
    let sum = poly.sum();
    let sumcheck = prove(&mut t, poly, sum).proof.to_bytes();

    let p: Vec<F> = (0..256u64).map(|i| F::new(i * 7919)).collect();
    let (c, data) = prover::commit::<H>(std::slice::from_ref(&p), PcsParams::default()).unwrap();
    let point: Vec<E> = (1..=8u64).map(|i| E::new(F::new(i), F::new(100 + i))).collect();
    let value = evaluate(&p, &point);
    let opening = prover::open(&mut t, &c, &data, &point, &[value]).unwrap().to_bytes();
    (challenge, sumcheck, opening)
}

fn digest(bytes: &[u8]) -> String {
    hex(&Blake3::hash_parts(&[bytes]))
}

#[test]
fn blake3_formats_are_pinned() {
    let (c, s, o) = pinned_bytes::<Blake3>();
    let got = format!("{c:?} {} {}", digest(&s), digest(&o));
    assert_eq!(
        got,
        concat!(
            "(1372625087502918385 + 6144362465971844896·X) ",
            "eb8de37ba85ffa630f29d7a81f16d0e64b590b29ca75e611f0e47b06349f6200 ",
            "8f5e1cbf3349d599ddcbc6bafb3c8308f7624e6633f1b738402da323464f47c4"
        )
    );
}

#[test]
fn keccak_formats_are_pinned() {
    let (c, s, o) = pinned_bytes::<Keccak256>();
    let got = format!("{c:?} {} {}", digest(&s), digest(&o));
    assert_eq!(
        got,
        concat!(
            "(8595951965696159226 + 16165538170307038415·X) ",
            "177d3b411f95dfe8b12d9f3a8057b04d2e1a1b0e5fc7683125826854becd5349 ",
            "5be708f09c74aaef4d5a676969bca81fedf1f7201fd0a872d0f83e8c64f7f051"
        )
    );
}
