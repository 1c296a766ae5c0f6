//! One shared model, many threads at once, identical bits.

use std::sync::{Arc, Barrier};
use std::thread;

use crate::common::*;

#[test]
fn threads_sharing_one_model_get_identical_bits() {
    let model = digits();
    let samples = Arc::new(samples());
    let (labels, data) = heldout();
    let batch = Arc::new(input_map(labels.len(), data));
    let expected_samples: Vec<Vec<u32>> = samples
        .iter()
        .map(|(_, input)| bits(&logits(&model.run(input).unwrap()).1))
        .collect();
    let expected_batch = bits(&logits(&model.run(&batch).unwrap()).1);

    let threads = 4;
    let barrier = Arc::new(Barrier::new(threads));
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let (model, samples, batch, barrier) = (model.clone(), samples.clone(), batch.clone(), barrier.clone());
            let expected_samples = expected_samples.clone();
            let expected_batch = expected_batch.clone();
            thread::spawn(move || {
                barrier.wait();
                for round in 0..100 {
                    let i = (t + round) % samples.len();
                    let got = bits(&logits(&model.run(&samples[i].1).unwrap()).1);
                    assert_eq!(got, expected_samples[i], "thread {t}, round {round}, sample {i}");
                    if round % 10 == 0 {
                        assert_eq!(bits(&logits(&model.run(&batch).unwrap()).1), expected_batch);
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("worker thread");
    }
}
