#!/usr/bin/env python3
"""Independent check of Veris receipt signatures with eth-account.

Recomputes the EIP-712 hash of a receipt JSON (default: the golden fixture)
with eth-account's typed-data encoder, the same code path wallets use, and
recovers the signer with ecrecover semantics. Exits non-zero on mismatch.

    pip install eth-account==0.14.0
    python3 scripts/eip712_crosscheck.py [RECEIPT.json] [EXPECTED_ID]
"""
import json
import sys
from pathlib import Path

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak

root = Path(__file__).resolve().parent.parent
fixtures = root / "crates/core/tests/fixtures"
path = Path(sys.argv[1]) if len(sys.argv) > 1 else fixtures / "receipt-v1.json"
receipt = json.loads(path.read_text())
expected_id = sys.argv[2] if len(sys.argv) > 2 else (fixtures / "receipt-v1.id").read_text().strip()

MODES = {"signed": 1, "exact": 2}


def model_digest(cid: str) -> bytes:
    import base64
    raw = base64.b32decode(cid[1:].upper() + "=" * (-len(cid[1:]) % 8))
    assert raw[:4] == bytes([1, 0x55, 0x12, 0x20]), "not a CIDv1 raw sha2-256"
    return raw[4:]


typed = {
    "types": {
        "EIP712Domain": [{"name": "name", "type": "string"}, {"name": "version", "type": "string"}],
        "Receipt": [
            {"name": "format", "type": "uint16"},
            {"name": "mode", "type": "uint8"},
            {"name": "model", "type": "bytes32"},
            {"name": "engine", "type": "string"},
            {"name": "engineVersion", "type": "string"},
            {"name": "inputDigest", "type": "bytes32"},
            {"name": "outputDigest", "type": "bytes32"},
            {"name": "operator", "type": "address"},
            {"name": "timestampMs", "type": "uint64"},
            {"name": "nonce", "type": "bytes32"},
        ],
    },
    "primaryType": "Receipt",
    "domain": {"name": "Veris", "version": "1"},
    "message": {
        "format": receipt["format"],
        "mode": MODES[receipt["mode"]],
        "model": model_digest(receipt["model"]),
        "engine": receipt["engine"]["id"],
        "engineVersion": receipt["engine"]["version"],
        "inputDigest": bytes.fromhex(receipt["input_digest"][2:]),
        "outputDigest": bytes.fromhex(receipt["output_digest"][2:]),
        "operator": receipt["operator"]["address"],
        "timestampMs": receipt["timestamp_ms"],
        "nonce": bytes.fromhex(receipt["nonce"][2:]),
    },
}
signable = encode_typed_data(full_message=typed)
digest = keccak(b"\x19" + signable.version + signable.header + signable.body)
signer = Account.recover_message(signable, signature=bytes.fromhex(receipt["evidence"]["signature"][2:]))
ok_id = "0x" + digest.hex() == expected_id
ok_signer = signer.lower() == receipt["operator"]["address"].lower()
print(f"eip712 hash   {'0x' + digest.hex()} {'matches' if ok_id else 'DIFFERS from ' + expected_id}")
print(f"recovered     {signer} {'is the operator' if ok_signer else 'is NOT the operator'}")
sys.exit(0 if ok_id and ok_signer else 1)
