"""HS256 JSON Web Tokens by hand: base64url, HMAC-SHA256, constant-time checks.

Only what the server needs: sign a set of claims, and verify a token strictly
(alg must be HS256 -- "none" and every other alg are refused -- the signature
must match, and exp must lie in the future).
"""

import base64
import hashlib
import hmac
import json
import time


class InvalidToken(Exception):
    """The token is malformed, forged, signed with another key or expired."""


def b64url_encode(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64url_decode(text):
    if not isinstance(text, str) or not text or "=" in text:
        raise InvalidToken("bad base64url segment")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError):
        raise InvalidToken("bad base64url segment")


def _json_segment(value):
    return b64url_encode(json.dumps(value, separators=(",", ":")).encode("utf-8"))


def _signature(signing_input, secret):
    return hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()


def sign(claims, secret):
    signing_input = _json_segment({"alg": "HS256", "typ": "JWT"}) + "." + _json_segment(claims)
    return signing_input + "." + b64url_encode(_signature(signing_input, secret))


def verify(token, secret, now=None):
    """Returns the claims of a valid token, else raises InvalidToken."""
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 3:
        raise InvalidToken("a JWT has three parts")
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
    except ValueError:
        raise InvalidToken("bad JSON in token")
    if not isinstance(header, dict) or header.get("alg") != "HS256":
        raise InvalidToken("only HS256 tokens are accepted")
    expected = _signature(parts[0] + "." + parts[1], secret)
    if not hmac.compare_digest(expected, b64url_decode(parts[2])):
        raise InvalidToken("bad signature")
    if not isinstance(claims, dict):
        raise InvalidToken("claims must be a JSON object")
    exp = claims.get("exp")
    if isinstance(exp, bool) or not isinstance(exp, (int, float)):
        raise InvalidToken("token has no exp")
    if (now if now is not None else time.time()) >= exp:
        raise InvalidToken("token expired")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise InvalidToken("token has no sub")
    return claims
