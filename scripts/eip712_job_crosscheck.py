#!/usr/bin/env python3
"""Independent check of Veris replicated-job signatures with eth-account.

Recomputes the EIP-712 hash of a signed job statement (default: the golden
fixture `crates/core/tests/fixtures/job-v1.json`) with eth-account's
typed-data encoder and recovers the signer. Exits non-zero on mismatch.

    pip install eth-account==0.14.0
    python3 scripts/eip712_job_crosscheck.py [SIGNED_JOB.json] [EXPECTED_ID]
"""
import base64
import json
import sys
from pathlib import Path

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak

root = Path(__file__).resolve().parent.parent
fixtures = root / "crates/core/tests/fixtures"
path = Path(sys.argv[1]) if len(sys.argv) > 1 else fixtures / "job-v1.json"
job = json.loads(path.read_text())
expected_id = sys.argv[2] if len(sys.argv) > 2 else (fixtures / "job-v1.id").read_text().strip()
statement, signer = job["statement"], job["signer"]


def model_digest(cid: str) -> bytes:
    raw = base64.b32decode(cid[1:].upper() + "=" * (-len(cid[1:]) % 8))
    assert raw[:4] == bytes([1, 0x55, 0x12, 0x20]), "not a CIDv1 raw sha2-256"
    return raw[4:]


def b32(hex_string: str) -> bytes:
    return bytes.fromhex(hex_string[2:])


typed = {
    "types": {
        "EIP712Domain": [{"name": "name", "type": "string"}, {"name": "version", "type": "string"}],
        "ReplicatedJob": [
            {"name": "format", "type": "uint16"},
            {"name": "jobId", "type": "bytes32"},
            {"name": "model", "type": "bytes32"},
            {"name": "engine", "type": "string"},
            {"name": "engineVersion", "type": "string"},
            {"name": "inputDigest", "type": "bytes32"},
            {"name": "outputDigest", "type": "bytes32"},
        ],
    },
    "primaryType": "ReplicatedJob",
    "domain": {"name": "Veris", "version": "1"},
    "message": {
        "format": statement["format"],
        "jobId": b32(statement["job_id"]),
        "model": model_digest(statement["model"]),
        "engine": statement["engine"]["id"],
        "engineVersion": statement["engine"]["version"],
        "inputDigest": b32(statement["input_digest"]),
        "outputDigest": b32(statement["output_digest"]),
    },
}
signable = encode_typed_data(full_message=typed)
digest = keccak(b"\x19" + signable.version + signable.header + signable.body)
recovered = Account.recover_message(signable, signature=b32(signer["signature"]))
ok_id = "0x" + digest.hex() == expected_id
ok_signer = recovered.lower() == signer["operator"]["address"].lower()
print(f"eip712 hash   {'0x' + digest.hex()} {'matches' if ok_id else 'DIFFERS from ' + expected_id}")
print(f"recovered     {recovered} {'is the operator' if ok_signer else 'is NOT the operator'}")
sys.exit(0 if ok_id and ok_signer else 1)
