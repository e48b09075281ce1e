"""What a staff password must be: long enough, varied enough, not a common one nor the username."""

from __future__ import annotations

MIN_PASSWORD_LENGTH = 10
MIN_PASSWORD_CHARACTERS = 5  # different characters: 1111111111 or 1212121212 is no password
# What is tried first against any login page (the length and variety rules let these through).
COMMON_PASSWORDS = frozenset(
    {
        "0123456789",
        "1234567890",
        "12345678910",
        "0987654321",
        "qwertyuiop",
        "1qaz2wsx3edc",
        "password123",
        "password1234",
        "abcdefghij",
        "abcd123456",
        "a123456789",
        "admin12345",
        "admin123456",
    }
)


def password_problem(password: str, username: str) -> str | None:
    """Why a staff password is too weak to keep (in words for the form), or None. Spaces at either
    end do not count toward its length."""
    if len(password.strip()) < MIN_PASSWORD_LENGTH:
        return f"密码至少 {MIN_PASSWORD_LENGTH} 位（首尾空格不计）"
    if password.strip().casefold() == username.strip().casefold():
        return "密码不能与用户名相同"
    if len(set(password)) < MIN_PASSWORD_CHARACTERS or password.strip().casefold() in COMMON_PASSWORDS:
        return "密码过于简单，容易被猜到：请混用不同的字母、数字和符号"
    return None
