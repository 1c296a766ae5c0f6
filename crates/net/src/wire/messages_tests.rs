//! Round trips, canonicality and hostile bytes for every request-response message.

use veris_core::{Digest32, ModelId};

use super::*;
use crate::manifest::{CHUNK_SIZE, Manifest};
use crate::wire::Writer;

fn limits() -> Limits {
    Limits {
        max_blob_bytes: 8 * CHUNK_SIZE as u64,
        max_infer_request_bytes: 1024,
        max_infer_response_bytes: 1024,
        max_receipt_bytes: 1024,
        ..Limits::default()
    }
}

/// Every sample message of every type, encoded.
fn samples() -> Vec<(&'static str, Vec<u8>)> {
    let id = ModelId::of_bytes(b"blob");
    let blob: Vec<u8> = (0..CHUNK_SIZE + 3).map(|i| i as u8).collect();
    vec![
        ("blob request", BlobRequest::Manifest(id).encode()),
        ("blob request", BlobRequest::Chunk { id, index: 7 }.encode()),
        (
            "blob response",
            BlobResponse::Manifest(Manifest::of_bytes(&blob)).encode(),
        ),
        ("blob response", BlobResponse::Chunk(vec![1, 2, 3]).encode()),
        ("blob response", BlobResponse::NotFound.encode()),
        ("blob response", BlobResponse::Refused(Refusal::Busy).encode()),
        (
            "infer request",
            InferRequest {
                model: id,
                body: vec![9; 10],
            }
            .encode(),
        ),
        ("infer response", InferResponse::Output(vec![4; 5]).encode()),
        ("infer response", InferResponse::Failed("no such model".into()).encode()),
        ("infer response", InferResponse::Refused(Refusal::RateLimited).encode()),
        ("receipt request", ReceiptRequest { id: Digest32([3; 32]) }.encode()),
        ("receipt response", ReceiptResponse::Found(vec![1; 40]).encode()),
        ("receipt response", ReceiptResponse::NotFound.encode()),
    ]
}

/// Decodes `bytes` as message type `kind` and re-encodes what was accepted.
fn reencode(kind: &str, bytes: &[u8]) -> Option<Result<Vec<u8>, WireError>> {
    let l = limits();
    Some(match kind {
        "blob request" => BlobRequest::decode(bytes, &l).map(|m| m.encode()),
        "blob response" => BlobResponse::decode(bytes, &l).map(|m| m.encode()),
        "infer request" => InferRequest::decode(bytes, &l).map(|m| m.encode()),
        "infer response" => InferResponse::decode(bytes, &l).map(|m| m.encode()),
        "receipt request" => ReceiptRequest::decode(bytes, &l).map(|m| m.encode()),
        "receipt response" => ReceiptResponse::decode(bytes, &l).map(|m| m.encode()),
        _ => return None,
    })
}

#[test]
fn every_message_round_trips_within_its_frame_limit() {
    let l = limits();
    for (kind, bytes) in samples() {
        assert_eq!(reencode(kind, &bytes), Some(Ok(bytes.clone())), "{kind}");
        let max = match kind {
            "blob request" => BlobRequest::max_body(&l),
            "blob response" => BlobResponse::max_body(&l),
            "infer request" => InferRequest::max_body(&l),
            "infer response" => InferResponse::max_body(&l),
            "receipt request" => ReceiptRequest::max_body(&l),
            _ => ReceiptResponse::max_body(&l),
        };
        assert!(bytes.len() <= max, "{kind}: {} > {max}", bytes.len());
    }
}

#[test]
fn truncations_and_mutations_are_refused_or_canonical() {
    let mut state = 0x5eed_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for (kind, bytes) in samples() {
        for cut in 0..bytes.len().min(200) {
            assert!(
                matches!(reencode(kind, &bytes[..cut]), Some(Err(_))),
                "{kind} cut at {cut}"
            );
        }
        for _ in 0..500 {
            let mut mutated = bytes.clone();
            let n = 1 + next() as usize % 3;
            for _ in 0..n {
                let i = next() as usize % mutated.len().min(128);
                mutated[i] = next() as u8;
            }
            // Whatever decodes must be the one encoding of its message.
            if let Some(Ok(again)) = reencode(kind, &mutated) {
                assert_eq!(again, mutated, "{kind}: accepted a non-canonical encoding");
            }
        }
    }
}

#[test]
fn oversized_fields_and_inconsistent_manifests_are_refused() {
    let l = limits();
    let big = InferRequest {
        model: ModelId::of_bytes(b"m"),
        body: vec![0; 1025],
    };
    assert!(InferRequest::decode(&big.encode(), &l).unwrap_err().is_oversized());

    let too_large = Manifest::new(9 * CHUNK_SIZE as u64, vec![[0; 32]; 9], u64::MAX).unwrap();
    let err = BlobResponse::decode(&BlobResponse::Manifest(too_large).encode(), &l).unwrap_err();
    assert!(err.is_oversized());

    // A manifest whose count does not match its size, refused before its hashes are read.
    let mut w = Writer::message(1);
    w.u64(3 * CHUNK_SIZE as u64);
    w.u32(2);
    w.raw(&[0; 64]);
    assert!(matches!(
        BlobResponse::decode(&w.finish(), &l),
        Err(WireError::Invalid { what: "manifest", .. })
    ));

    let long_error = InferResponse::Failed("é".repeat(MAX_ERROR_TEXT));
    match InferResponse::decode(&long_error.encode(), &l).unwrap() {
        InferResponse::Failed(text) => assert!(text.len() <= MAX_ERROR_TEXT && text.chars().all(|c| c == 'é')),
        other => panic!("{other:?}"),
    }
}
