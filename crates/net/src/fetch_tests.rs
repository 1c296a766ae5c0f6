//! The fetch state machine against scripted providers.

use super::*;
use crate::manifest::CHUNK_SIZE;

fn blob(chunks: usize, seed: u8) -> Vec<u8> {
    (0..chunks * CHUNK_SIZE - 7)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

fn peers(n: u8) -> Vec<PeerId> {
    (0..n).map(|_| PeerId::random()).collect()
}

fn chunk(bytes: &[u8], index: u32) -> Vec<u8> {
    bytes.chunks(CHUNK_SIZE).nth(index as usize).unwrap().to_vec()
}

/// Answers every request honestly from `bytes` until nothing is asked.
fn serve(fetch: &mut BlobFetch, bytes: &[u8], liar: Option<PeerId>, now: Instant) -> Vec<(PeerId, Offence)> {
    let mut offences = Vec::new();
    loop {
        let requests = fetch.next_requests(now);
        if requests.is_empty() {
            return offences;
        }
        for (peer, want) in requests {
            match want {
                Want::Manifest => fetch.on_manifest(peer, Manifest::of_bytes(bytes), now),
                Want::Chunk(i) => {
                    let mut data = chunk(bytes, i);
                    if Some(peer) == liar {
                        data[0] ^= 0xff;
                    }
                    if let Some(o) = fetch.on_chunk(peer, i, data) {
                        offences.push((peer, o));
                    }
                }
            }
        }
    }
}

#[test]
fn spreads_chunks_over_providers_and_completes() {
    let bytes = blob(6, 1);
    let id = ModelId::of_bytes(&bytes);
    let mut fetch = BlobFetch::new(id, 2);
    let p = peers(2);
    fetch.add_providers(p.clone());
    let now = Instant::now();
    let first = fetch.next_requests(now);
    assert_eq!(first.len(), 2);
    assert!(first.iter().all(|(_, w)| *w == Want::Manifest));
    for (peer, _) in first {
        fetch.on_manifest(peer, Manifest::of_bytes(&bytes), now);
    }
    let chunks = fetch.next_requests(now);
    assert_eq!(chunks.len(), 4, "two in flight per provider");
    assert_eq!(chunks.iter().filter(|(peer, _)| *peer == p[0]).count(), 2);
    for (peer, want) in chunks {
        let Want::Chunk(i) = want else {
            panic!("expected chunks")
        };
        assert_eq!(fetch.on_chunk(peer, i, chunk(&bytes, i)), None);
    }
    assert!(serve(&mut fetch, &bytes, None, now).is_empty());
    assert!(fetch.is_complete());
    let whole: Vec<u8> = fetch.take_chunks().concat();
    assert_eq!(whole, bytes);
}

#[test]
fn a_corrupt_chunk_blames_its_provider_and_is_asked_elsewhere() {
    let bytes = blob(4, 2);
    let mut fetch = BlobFetch::new(ModelId::of_bytes(&bytes), 4);
    let p = peers(2);
    fetch.add_providers(p.clone());
    let offences = serve(&mut fetch, &bytes, Some(p[1]), Instant::now());
    assert!(!offences.is_empty());
    assert!(
        offences
            .iter()
            .all(|(peer, o)| *peer == p[1] && *o == Offence::CorruptData)
    );
    assert!(fetch.is_complete());
    assert_eq!(fetch.take_chunks().concat(), bytes);
}

#[test]
fn waits_for_the_grace_period_before_choosing_among_partial_answers() {
    let bytes = blob(2, 3);
    let mut fetch = BlobFetch::new(ModelId::of_bytes(&bytes), 4);
    let p = peers(2);
    fetch.add_providers(p.clone());
    let t0 = Instant::now();
    fetch.next_requests(t0);
    fetch.on_manifest(p[0], Manifest::of_bytes(&bytes), t0);
    assert!(fetch.next_requests(t0).is_empty(), "p[1] has not answered yet");
    let later = fetch.next_requests(t0 + MANIFEST_GRACE);
    assert_eq!(later.len(), 2);
    assert!(later.iter().all(|(peer, _)| *peer == p[0]));
}

#[test]
fn a_false_manifest_is_rejected_and_agreeing_chunks_are_kept() {
    let honest = blob(3, 4);
    let mut forged = honest.clone();
    *forged.last_mut().unwrap() ^= 1; // differs only in the last chunk
    let id = ModelId::of_bytes(&honest);
    let mut fetch = BlobFetch::new(id, 4);
    let p = peers(3);
    let now = Instant::now();
    fetch.add_providers(p[..2].iter().copied());
    for (peer, _) in fetch.next_requests(now) {
        fetch.on_manifest(peer, Manifest::of_bytes(&forged), now);
    }
    assert!(serve(&mut fetch, &forged, None, now).is_empty());
    assert!(fetch.is_complete());
    let chunks = fetch.take_chunks();
    assert!(!id.matches(&chunks.concat()));
    let mut liars = fetch.reject_manifest(chunks);
    liars.sort();
    let mut expected = p[..2].to_vec();
    expected.sort();
    assert_eq!(liars, expected);
    assert!(fetch.is_stuck(now), "no honest provider yet");
    assert_eq!(fetch.progress(), (3, 3));

    fetch.add_providers(p.iter().copied());
    let requests = fetch.next_requests(now);
    assert_eq!(requests, vec![(p[2], Want::Manifest)], "liars are not asked again");
    fetch.on_manifest(p[2], Manifest::of_bytes(&honest), now);
    let requests = fetch.next_requests(now);
    assert_eq!(
        requests,
        vec![(p[2], Want::Chunk(2))],
        "only the chunk the manifests disagree on"
    );
    assert_eq!(fetch.on_chunk(p[2], 2, chunk(&honest, 2)), None);
    assert!(fetch.is_complete());
    assert!(id.matches(&fetch.take_chunks().concat()));
}

#[test]
fn an_interrupted_fetch_resumes_with_its_verified_chunks() {
    let bytes = blob(4, 5);
    let mut fetch = BlobFetch::new(ModelId::of_bytes(&bytes), 1);
    let p = peers(2);
    let now = Instant::now();
    fetch.add_providers([p[0]]);
    for (peer, _) in fetch.next_requests(now) {
        fetch.on_manifest(peer, Manifest::of_bytes(&bytes), now);
    }
    for _ in 0..2 {
        let [(peer, Want::Chunk(i))] = fetch.next_requests(now)[..] else {
            panic!("one chunk at a time")
        };
        assert_eq!(fetch.on_chunk(peer, i, chunk(&bytes, i)), None);
    }
    let [(peer, want)] = fetch.next_requests(now)[..] else {
        panic!("one chunk at a time")
    };
    fetch.on_failure(peer, want, Failure::Gone, now);
    assert!(fetch.is_stuck(now));
    assert_eq!(fetch.progress(), (2, 4));

    fetch.add_providers([p[1]]);
    let mut served = 0;
    loop {
        let requests = fetch.next_requests(now);
        if requests.is_empty() {
            break;
        }
        for (peer, want) in requests {
            assert_eq!(peer, p[1]);
            match want {
                Want::Manifest => fetch.on_manifest(peer, Manifest::of_bytes(&bytes), now),
                Want::Chunk(i) => {
                    served += 1;
                    assert_eq!(fetch.on_chunk(peer, i, chunk(&bytes, i)), None);
                }
            }
        }
    }
    assert_eq!(served, 2, "only the chunks missing before the interruption");
    assert_eq!(fetch.take_chunks().concat(), bytes);
}

#[test]
fn transient_failures_retry_then_drop() {
    let bytes = blob(1, 6);
    let mut fetch = BlobFetch::new(ModelId::of_bytes(&bytes), 1);
    let p = peers(1);
    let now = Instant::now();
    fetch.add_providers(p.clone());
    for _ in 0..MAX_FAILURES {
        let [(peer, want)] = fetch.next_requests(now)[..] else {
            panic!("one manifest request")
        };
        assert_eq!(want, Want::Manifest);
        fetch.on_failure(peer, want, Failure::Transient, now);
    }
    assert!(fetch.next_requests(now).is_empty());
    assert!(fetch.is_stuck(now));
}

#[test]
fn a_provider_that_only_refuses_is_dropped_in_the_end() {
    let bytes = blob(1, 7);
    let mut fetch = BlobFetch::new(ModelId::of_bytes(&bytes), 1);
    let p = peers(1);
    let mut now = Instant::now();
    fetch.add_providers(p.clone());
    for _ in 0..MAX_REFUSALS {
        let [(peer, want)] = fetch.next_requests(now)[..] else {
            panic!("one manifest request")
        };
        assert!(fetch.next_requests(now).is_empty(), "paused after a refusal");
        fetch.on_failure(peer, want, Failure::Refused, now);
        assert!(fetch.next_requests(now).is_empty(), "paused after a refusal");
        now += REFUSAL_PAUSE;
    }
    assert!(fetch.next_requests(now).is_empty());
    assert!(fetch.is_stuck(now));
}
