"""A stand-in identity provider for tests: RSA and EC keys made here, their JWKS served over HTTP on 127.0.0.1 from a
thread, tokens signed with them, and the forged or broken tokens an attacker would send (ATTACKS)."""

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from shared.platform.settings import Settings

AUDIENCE = "erp-services"
DISTRIBUTOR = "distributor:3f0c8a52-6d1e-4b7a-9c2d-8e5f1a0b4c6d"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class FakeProvider:
    """Serves its JWKS at <issuer>/protocol/openid-connect/certs (where Keycloak serves it) until close().

    `failing` makes the JWKS answer 500; `requests` counts the fetches."""

    def __init__(self) -> None:
        self.keys: dict[str, Any] = {
            "rsa-1": rsa.generate_private_key(public_exponent=65537, key_size=2048),
            "ec-1": ec.generate_private_key(ec.SECP256R1()),
        }
        self.encryption_key = self.keys["rsa-1"]
        self.requests = 0
        self.failing = False
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                provider.requests += 1
                ok = self.path.endswith("/protocol/openid-connect/certs") and not provider.failing
                body = json.dumps(provider.jwks()).encode() if ok else b"{}"
                self.send_response(200 if ok else 500)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:  # quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.issuer = f"http://127.0.0.1:{self._server.server_address[1]}/realms/erp"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def jwks(self) -> dict[str, Any]:
        keys = []
        for kid, key in self.keys.items():
            is_rsa = isinstance(key, rsa.RSAPrivateKey)
            jwk = (RSAAlgorithm if is_rsa else ECAlgorithm).to_jwk(key.public_key(), as_dict=True)
            keys.append({**jwk, "kid": kid, "use": "sig", "alg": "RS256" if is_rsa else "ES256"})
        # Keycloak publishes an encryption key beside the signing ones: it must never verify a signature.
        enc = RSAAlgorithm.to_jwk(self.encryption_key.public_key(), as_dict=True)
        keys.append({**enc, "kid": "enc-1", "use": "enc", "alg": "RSA-OAEP"})
        return {"keys": keys}

    def settings(self, **env: str) -> Settings:
        return Settings(**{"ERP_ENV": "test", "OIDC_ISSUER": self.issuer, "OIDC_AUDIENCE": AUDIENCE, **env})

    def env(self) -> dict[str, str]:
        return {"OIDC_ISSUER": self.issuer, "OIDC_AUDIENCE": AUDIENCE}

    def claims(self, **overrides: Any) -> dict[str, Any]:
        """An access token as Keycloak's erp realm issues it (see deploy/keycloak/erp-realm.json)."""
        now = int(time.time())
        claims = {
            "iss": self.issuer, "aud": [AUDIENCE, "account"], "sub": str(uuid.uuid4()), "typ": "Bearer",
            "iat": now, "exp": now + 300, "azp": "erp-cli", "scope": "openid profile email",
            "preferred_username": "dora", "name": "Dora Distributor",
            "realm_access": {"roles": ["distributor_user", "default-roles-erp", "offline_access"]},
            "erp_scopes": [DISTRIBUTOR],
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}  # None: leave the claim out

    def token(self, claims: dict[str, Any] | None = None, *, kid: str = "rsa-1", key: Any = None,
              alg: str | None = None) -> str:
        key = key or self.keys[kid]
        alg = alg or ("RS256" if isinstance(key, rsa.RSAPrivateKey) else "ES256")
        return jwt.encode(self.claims() if claims is None else claims, key, algorithm=alg, headers={"kid": kid})

    def public_pem(self) -> bytes:
        return self.keys["rsa-1"].public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def raw_token(header: dict[str, Any] | bytes, claims: dict[str, Any] | bytes, sign: Callable[[bytes], bytes]) -> str:
    """A token put together by hand, as an attacker would (PyJWT refuses to make some of these)."""
    parts = [_b64(p if isinstance(p, bytes) else json.dumps(p).encode()) for p in (header, claims)]
    signing_input = ".".join(parts).encode()
    return f"{signing_input.decode()}.{_b64(sign(signing_input))}"


def _hs256_with_public_key(p: FakeProvider) -> str:
    # The classic confusion: a verifier that lets the token pick its algorithm would check this HMAC with the
    # public key (which everyone has) as the secret.
    pem = p.public_pem()
    return raw_token({"alg": "HS256", "typ": "JWT", "kid": "rsa-1"}, p.claims(realm_access={"roles": ["admin"]}),
                     lambda data: hmac.new(pem, data, hashlib.sha256).digest())


def _tampered_payload(p: FakeProvider) -> str:
    header, _, signature = p.token().split(".")
    forged = _b64(json.dumps(p.claims(realm_access={"roles": ["admin"]})).encode())
    return f"{header}.{forged}.{signature}"


def _tampered_signature(p: FakeProvider) -> str:
    header, payload, signature = p.token().split(".")
    flipped = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    flipped[10] ^= 0x01
    return f"{header}.{payload}.{_b64(bytes(flipped))}"


def _attacker_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


# name -> a bad token made against the provider. Every one must be a 401 with a problem+json body.
ATTACKS: dict[str, Callable[[FakeProvider], str]] = {
    "expired": lambda p: p.token(p.claims(iat=int(time.time()) - 900, exp=int(time.time()) - 120)),
    "not_yet_valid": lambda p: p.token(p.claims(nbf=int(time.time()) + 600)),
    "issued_in_the_future": lambda p: p.token(p.claims(iat=int(time.time()) + 600)),
    "wrong_issuer": lambda p: p.token(p.claims(iss="http://127.0.0.1:1/realms/other")),
    "issuer_with_trailing_slash": lambda p: p.token(p.claims(iss=p.issuer + "/")),
    "wrong_audience": lambda p: p.token(p.claims(aud="other-app")),
    "no_audience": lambda p: p.token(p.claims(aud=None)),
    "no_subject": lambda p: p.token(p.claims(sub=None)),
    "no_expiry": lambda p: p.token(p.claims(exp=None)),
    "alg_none": lambda p: jwt.encode(p.claims(), None, algorithm="none"),
    "alg_None_by_hand": lambda p: raw_token({"alg": "None", "kid": "rsa-1"}, p.claims(), lambda _: b""),
    "alg_missing": lambda p: raw_token({"kid": "rsa-1"}, p.claims(), lambda _: b"x"),
    "alg_not_a_string": lambda p: raw_token({"alg": ["RS256"], "kid": "rsa-1"}, p.claims(), lambda _: b"x"),
    "alg_rs512": lambda p: p.token(alg="RS512"),
    "hs256_signed_with_the_public_key": _hs256_with_public_key,
    "rs256_header_on_the_ec_key": lambda p: raw_token({"alg": "RS256", "kid": "ec-1"}, p.claims(), lambda _: b"x"),
    "es256_header_on_the_rsa_key": lambda p: raw_token({"alg": "ES256", "kid": "rsa-1"}, p.claims(), lambda _: b"x"),
    "the_encryption_key": lambda p: p.token(kid="enc-1", key=p.encryption_key),
    "unknown_kid": lambda p: p.token(kid="attacker-1", key=_attacker_key()),
    "no_kid": lambda p: jwt.encode(p.claims(), p.keys["rsa-1"], algorithm="RS256"),
    "kid_not_a_string": lambda p: raw_token({"alg": "RS256", "kid": 7}, p.claims(), lambda _: b"x" * 256),
    "known_kid_other_key": lambda p: p.token(kid="rsa-1", key=_attacker_key()),
    "tampered_payload": _tampered_payload,
    "tampered_signature": _tampered_signature,
    "garbage": lambda p: "not-a-jwt",
    "three_garbage_parts": lambda p: "a.b.c",
    "non_json_header": lambda p: f"{_b64(b'not json')}.{p.token().split('.', 1)[1]}",
    "header_not_an_object": lambda p: f"{_b64(b'[1, 2]')}.{p.token().split('.', 1)[1]}",
    "non_json_payload": lambda p: raw_token({"alg": "RS256", "kid": "rsa-1"}, b"\xff\xfe", lambda _: b"x"),
    "huge_header": lambda p: raw_token({"alg": "RS256", "kid": "rsa-1", "x": "A" * 20_000}, p.claims(), lambda _: b"x"),
    "roles_a_string": lambda p: p.token(p.claims(realm_access={"roles": "admin"})),
    "roles_not_strings": lambda p: p.token(p.claims(realm_access={"roles": [["admin"]]})),
    "roles_null": lambda p: p.token(p.claims(realm_access={"roles": None})),
    "scopes_a_string": lambda p: p.token(p.claims(erp_scopes=DISTRIBUTOR)),
    "scopes_malformed": lambda p: p.token(p.claims(erp_scopes=["distributor:not-a-uuid"])),
    "scopes_unknown_kind": lambda p: p.token(p.claims(erp_scopes=["company:*"])),
    "name_not_a_string": lambda p: p.token(p.claims(name={"first": "Dora"})),
    "subject_not_a_string": lambda p: p.token(p.claims(sub=42)),
    "local_token_of_the_wrong_issuer": lambda p: jwt.encode(
        {"sub": "mallory", "roles": ["admin"], "iss": p.issuer, "exp": int(time.time()) + 300},
        "local-development-signing-key-not-for-production", algorithm="HS256"),
}
