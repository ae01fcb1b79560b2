"""Envelope encryption: round trips, and a moved ciphertext does not decrypt."""

from __future__ import annotations

import pytest

from chalicelib.adapters.envelope import DecryptionFailed, FieldCipher, LocalKeyProvider


@pytest.fixture
def keys() -> LocalKeyProvider:
    return LocalKeyProvider()


def test_fields_round_trip_under_one_data_key(keys: LocalKeyProvider) -> None:
    cipher = FieldCipher(keys)
    sealed = cipher.seal("REF-1")
    blobs = {name: sealed.encrypt(name, {"name": name, "n": 1}) for name in ("referrer", "children")}
    opened = cipher.open("REF-1", sealed.encrypted_key)
    assert opened.decrypt("referrer", blobs["referrer"]) == {"name": "referrer", "n": 1}
    assert (keys.generated, keys.unwrapped) == (1, 1)


def test_ciphertext_moved_to_another_field_fails(keys: LocalKeyProvider) -> None:
    sealed = FieldCipher(keys).seal("REF-1")
    blob = sealed.encrypt("referrer", "Priya Example")
    with pytest.raises(DecryptionFailed):
        sealed.decrypt("concerns", blob)


def test_ciphertext_moved_to_another_referral_fails(keys: LocalKeyProvider) -> None:
    cipher = FieldCipher(keys)
    first = cipher.seal("REF-1")
    blob = first.encrypt("referrer", "Priya Example")
    # Even with the right data key, the referral id is bound into every field.
    with pytest.raises(DecryptionFailed):
        cipher.open("REF-1", first.encrypted_key).__class__("REF-2", _same_key(cipher, first)).decrypt("referrer", blob)
    # And the wrapped data key itself is bound to its referral.
    with pytest.raises(DecryptionFailed):
        cipher.open("REF-2", first.encrypted_key)


def _same_key(cipher: FieldCipher, sealed):  # the data key a thief might lift with the item
    from chalicelib.adapters.envelope import DataKey

    plaintext = cipher._keys.unwrap(sealed.encrypted_key, cipher._context(sealed.record_id))
    return DataKey(plaintext, sealed.encrypted_key)


def test_tampered_ciphertext_fails(keys: LocalKeyProvider) -> None:
    sealed = FieldCipher(keys).seal("REF-1")
    blob = bytearray(sealed.encrypt("referrer", "Priya Example"))
    blob[-1] ^= 1
    with pytest.raises(DecryptionFailed):
        sealed.decrypt("referrer", bytes(blob))


def test_ciphertext_does_not_contain_the_plaintext(keys: LocalKeyProvider) -> None:
    sealed = FieldCipher(keys).seal("REF-1")
    assert b"Priya" not in sealed.encrypt("referrer", "Priya Example")
