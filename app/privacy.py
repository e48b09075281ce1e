"""Personal data: masking for display and logs, encryption at rest.

Masking rules follow common Chinese practice: 张** / 138****8000 / 2201**********123X.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

# Mainland mobile numbers, 18-digit resident ID numbers, bearer tokens and token-like query values.
_ID_RE = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])")
_PHONE_RE = re.compile(r"(?<![0-9A-Za-z])(?:\+?86[ -]?)?(1[3-9]\d)\d{4}(\d{4})(?![0-9A-Za-z])")
_BEARER_RE = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")
# A guardian's one-time consent code travels in the path (GET /guardian-links/<code>).
_GUARDIAN_LINK_RE = re.compile(r"(/guardian-links/)[^/?\s]+")
_SECRET_PARAM_RE = re.compile(
    r"(?i)((?:access_token|token|secret|js_code|code|password|session_key)[\"']?\s*[=:]\s*[\"']?)"
    r"[^&\s\"',}]+"
)


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return phone
    digits = phone.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_name(name: str | None) -> str | None:
    if not name:
        return name
    name = name.strip()
    return name[0] + "*" * max(1, len(name) - 1)


def mask_id_number(id_number: str | None) -> str | None:
    """18-digit numbers keep 4 + 4 characters; shorter documents (passports, permits) 1 + 2."""
    if not id_number:
        return id_number
    if len(id_number) >= 15:
        return id_number[:4] + "*" * (len(id_number) - 8) + id_number[-4:]
    return id_number[:1] + "*" * max(1, len(id_number) - 3) + id_number[-2:]


# What each pattern above needs to match at all, for plain ASCII text (where the patterns'
# case-insensitivity is ASCII's and \d is 0-9): a secret's or a bearer's word, the guardian path, or
# a run of 11 digits (a phone; an ID number has 17). Most lines have none of them and skip the five
# scans (the case-insensitive one alone cost ~90 us a line, on every access line).
_KEYWORDS = ("bearer", "token", "secret", "code", "password", "session_key", "guardian-links")
_DIGIT_RUN_RE = re.compile(r"[0-9]{11}")


def _may_hold_personal_data(text: str) -> bool:
    if not text.isascii():
        return True  # Unicode case folding ("ſecret") and digits: leave it to the patterns themselves
    lowered = text.lower()
    return any(word in lowered for word in _KEYWORDS) or _DIGIT_RUN_RE.search(text) is not None


def mask_text(text: str) -> str:
    """Mask every phone, ID number and token-like value in free text (used on every log line)."""
    if not _may_hold_personal_data(text):
        return text
    return _mask_all(text)


def _mask_all(text: str) -> str:
    text = _BEARER_RE.sub(r"\1***", text)
    text = _SECRET_PARAM_RE.sub(r"\1***", text)
    text = _GUARDIAN_LINK_RE.sub(r"\1***", text)
    text = _ID_RE.sub(lambda m: m.group(1)[:4] + "*" * 10 + m.group(2), text)
    text = _PHONE_RE.sub(r"\1****\2", text)
    return text


class PersonalDataCipher:
    """Fernet (AES-128-CBC + HMAC) with key rotation: encrypt with the first key, decrypt with any.

    Blind indexes (keyed hashes for equality rules such as one booking per ID number and day) use a
    key of their own, PERSONAL_DATA_INDEX_KEY, that does not change when the encryption keys rotate:
    an index made before a rotation still matches the same ID number after it."""

    def __init__(self, keys: list[bytes], index_key: bytes) -> None:
        self._fernet = MultiFernet([Fernet(k) for k in keys])
        self._index_key = index_key

    @classmethod
    def from_settings(cls, configured_keys: str, secret_key: str, index_key: str = "") -> PersonalDataCipher:
        keys = [k.strip().encode() for k in configured_keys.split(",") if k.strip()]
        if not keys:
            # Development: derive a stable key from SECRET_KEY so local restarts can still decrypt.
            digest = hashlib.sha256(b"personal-data:" + secret_key.encode()).digest()
            keys = [base64.urlsafe_b64encode(digest)]
        # Development default: derived from SECRET_KEY, never from the rotating encryption keys.
        source = index_key.strip().encode() or b"secret-key:" + secret_key.encode()
        return cls(keys, hashlib.sha256(b"blind-index:" + source).digest())

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def rotate(self, token: str) -> str:
        """The same value encrypted with the newest key (for `flask privacy rotate`)."""
        return self._fernet.rotate(token.encode()).decode()

    def keyed_hash(self, data: bytes) -> str:
        """A keyed hash of anything that may hold personal data (e.g. an idempotent request's body),
        so it cannot be reversed by guessing ID numbers."""
        return hmac.new(self._index_key, data, hashlib.sha256).hexdigest()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("personal data could not be decrypted with the configured keys") from exc

    def blind_index(self, value: str) -> str:
        """A keyed hash for equality lookups (e.g. one booking per ID number) without plaintext."""
        return self.keyed_hash(value.strip().upper().encode())
