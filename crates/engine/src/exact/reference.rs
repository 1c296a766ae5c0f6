//! Plain, obviously-correct versions of the fast kernels, for tests.

/// `acc[r, j] = Σ_p x[r, p] · w[j, p]`, one i64 multiply-add at a time.
pub fn linear_acc_ref(x: &[i16], rows: usize, k: usize, w: &[i16], n: usize) -> Vec<i64> {
    let mut acc = vec![0i64; rows * n];
    for r in 0..rows {
        for j in 0..n {
            let mut s = 0i64;
            for p in 0..k {
                s += i64::from(x[r * k + p]) * i64::from(w[j * k + p]);
            }
            acc[r * n + j] = s;
        }
    }
    acc
}
