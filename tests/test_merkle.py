"""RFC 9162 Merkle trees: roots against the recursive definition, every proof verified."""

from __future__ import annotations

import hashlib

import pytest

from hearing_server.domain.merkle import (
    EMPTY_ROOT,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    merkle_root,
    node_hash,
    verify_consistency,
    verify_inclusion,
)


def _reference_root(entries: list[bytes]) -> bytes:
    """MTH exactly as RFC 9162 writes it (recursive split)."""
    n = len(entries)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + entries[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(
        b"\x01" + _reference_root(entries[:k]) + _reference_root(entries[k:])
    ).digest()


ENTRIES = [f"entry {i} 法庭".encode() for i in range(17)]


def test_known_vectors() -> None:
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    # leaf of the empty string, from RFC 6962/9162 test vectors
    assert leaf_hash(b"").hex() == (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    )


@pytest.mark.parametrize("size", range(18))
def test_root_matches_recursive_definition(size: int) -> None:
    assert merkle_root(ENTRIES[:size]) == _reference_root(ENTRIES[:size])


@pytest.mark.parametrize("size", range(1, 18))
def test_every_inclusion_proof_verifies_and_a_wrong_leaf_fails(size: int) -> None:
    leaves = [leaf_hash(e) for e in ENTRIES[:size]]
    root = merkle_root(ENTRIES[:size])
    for index in range(size):
        proof = inclusion_proof(leaves, index)
        assert verify_inclusion(leaves[index], index, size, proof, root)
        assert not verify_inclusion(leaf_hash(b"forged"), index, size, proof, root)
        if size > 1:
            assert not verify_inclusion(leaves[index], (index + 1) % size, size, proof, root)


@pytest.mark.parametrize("new_size", range(1, 18))
def test_every_consistency_proof_verifies_and_a_rewrite_fails(new_size: int) -> None:
    leaves = [leaf_hash(e) for e in ENTRIES[:new_size]]
    new_root = merkle_root(ENTRIES[:new_size])
    for old_size in range(1, new_size + 1):
        old_root = merkle_root(ENTRIES[:old_size])
        proof = consistency_proof(leaves, old_size)
        assert verify_consistency(old_size, new_size, old_root, new_root, proof)
        rewritten = [b"rewritten", *ENTRIES[1:old_size]]
        if old_size < new_size:
            assert not verify_consistency(
                old_size, new_size, merkle_root(rewritten), new_root, proof
            )


def test_node_hash_is_ordered() -> None:
    a, b = leaf_hash(b"a"), leaf_hash(b"b")
    assert node_hash(a, b) != node_hash(b, a)
