"""C2PA content-credential checks for generated images (survey section 6.3 trust, catalog ``vl_image.rate_validate``).

:func:`c2pa_status` reads one asset with c2pa-python (``c2pa.Reader``) and maps the SDK's validation state to
``no_manifest`` < ``invalid`` < ``well_formed`` < ``valid`` < ``trusted``; :func:`meets` compares a status with the
catalog's ``min_state`` and :func:`validation_rate` is Rate_validate over a set of statuses. :func:`sign_image` signs
an image (ES256) for users who want to attach credentials to what they generate, and for the tests.

Trust scope: every call builds its own ``c2pa.Context`` from explicit ``c2pa.Settings`` (trust verification on,
remote-manifest and OCSP fetching off, the caller's anchors as ``trust.user_anchors``), so a trust list given to one
call never reaches another. In c2pa-python 0.38.1 a Reader without a Context uses a process-wide default Context with
default settings; the thread-local ``c2pa.load_settings`` is deprecated and no longer read by Reader/Builder. We use
neither. c2pa-python refuses a self-signed CA:TRUE certificate (``openssl req -x509``) for signing ("the certificate
was self-signed"): sign with a leaf issued by a (local) CA.
The C2PA spec version is not exposed by the SDK; the claim version (2 for C2PA 2.x claims) and the SDK version
are recorded instead.
"""
from __future__ import annotations

import io
import json
import mimetypes
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from synthaudit.errors import InputError

#: validation states, weakest first; only the last three can meet a ``min_state``
STATES = ("no_manifest", "invalid", "well_formed", "valid", "trusted")
#: order used by :func:`meets` (catalog ``vl_image.rate_validate`` param ``min_state``)
MIN_STATES = ("well_formed", "valid", "trusted")
_SDK_STATES = {"invalid": "invalid", "wellformed": "well_formed", "valid": "valid", "trusted": "trusted"}


@dataclass(frozen=True)
class C2paStatus:
    """What c2pa reported for one asset. ``state`` is one of :data:`STATES`; ``detail`` says why in words;
    ``failure_codes`` / ``success_codes`` / ``informational_codes`` are the active manifest's validation codes
    (e.g. ``assertion.dataHash.mismatch``, ``signingCredential.untrusted``)."""

    state: str
    detail: str = ""
    failure_codes: tuple[str, ...] = ()
    success_codes: tuple[str, ...] = ()
    informational_codes: tuple[str, ...] = ()
    active_manifest: str | None = None
    claim_generator: str | None = None
    claim_version: int | None = None
    sdk_version: str | None = None
    trust_anchors: bool = False
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


def meets(status: C2paStatus, min_state: str = "valid") -> bool:
    """True when ``status.state`` is at least ``min_state`` in well_formed < valid < trusted; ``no_manifest`` and
    ``invalid`` never meet (V_c2pa of ``vl_image.rate_validate``)."""
    if min_state not in MIN_STATES:
        raise ValueError(f"min_state must be one of {MIN_STATES}, got {min_state!r}")
    if status.state not in MIN_STATES:
        return False
    return MIN_STATES.index(status.state) >= MIN_STATES.index(min_state)


def validation_rate(statuses: Iterable[C2paStatus], min_state: str = "valid") -> float:
    """Rate_validate = share of statuses meeting ``min_state`` (catalog ``vl_image.rate_validate``); NaN when empty."""
    items = list(statuses)
    if not all(isinstance(s, C2paStatus) for s in items):
        raise ValueError("validation_rate expects C2paStatus objects (from c2pa_status)")
    if not items:
        return float("nan")
    return sum(meets(s, min_state) for s in items) / len(items)


def _check_pem_certs(pem: str, what: str) -> None:
    from cryptography import x509

    if not isinstance(pem, str) or "-----BEGIN CERTIFICATE-----" not in pem:
        raise ValueError(f"{what} must be PEM text with at least one '-----BEGIN CERTIFICATE-----' block")
    try:
        x509.load_pem_x509_certificates(pem.encode())
    except ValueError as exc:
        raise ValueError(f"{what} is not a readable PEM certificate list: {exc}") from None


def _settings(trust_anchors_pem: str | None) -> dict:
    cfg: dict[str, Any] = {"verify": {"verify_trust": True, "remote_manifest_fetch": False, "ocsp_fetch": False}}
    if trust_anchors_pem is not None:
        cfg["trust"] = {"user_anchors": trust_anchors_pem}
    return cfg


def _read_source(source: str | Path | bytes | bytearray, mime: str | None) -> tuple[bytes, str | None, str | None]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), mime, None
    if isinstance(source, (str, Path)):
        path = Path(source)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read the file ({exc.strerror or exc})", file=str(path)) from None
        if mime is None:
            mime = mimetypes.guess_type(path.name)[0]
        return data, mime, str(path)
    raise ValueError(f"source must be a file path or bytes, got {type(source).__name__}")


def _codes(results: dict | None, kind: str) -> tuple[str, ...]:
    active = (results or {}).get("activeManifest") or {}
    return tuple(str(item.get("code", "")) for item in active.get(kind) or [])


def _generator(manifest: dict) -> str | None:
    info = manifest.get("claim_generator_info")
    if isinstance(info, dict):
        info = [info]
    if info:
        first = info[0]
        name, version = first.get("name"), first.get("version")
        return f"{name}/{version}" if version else name
    return manifest.get("claim_generator")


def c2pa_status(source: str | Path | bytes, mime: str | None = None, trust_anchors_pem: str | None = None
                ) -> C2paStatus:
    """Validate the C2PA manifest of one asset (path or bytes). ``mime`` defaults to the file extension's type,
    else c2pa detects it from the bytes. ``trust_anchors_pem``: CA certificates (PEM) to trust for this call only.
    A missing or unreadable file raises :class:`InputError`; a corrupt, truncated or non-image asset never raises:
    it gives ``no_manifest`` (no manifest found / unsupported format) or ``invalid`` (unparseable), with the reason.
    """
    if mime is not None and (not isinstance(mime, str) or "/" not in mime):
        raise ValueError(f"mime must be a MIME type such as 'image/png', got {mime!r}")
    if trust_anchors_pem is not None:
        _check_pem_certs(trust_anchors_pem, "trust_anchors_pem")
    data, mime, _ = _read_source(source, mime)
    import c2pa

    sdk = c2pa.sdk_version()
    anchors = trust_anchors_pem is not None
    if not data:
        return C2paStatus("no_manifest", "empty input: no bytes to read", sdk_version=sdk, trust_anchors=anchors)
    try:
        with c2pa.Settings.from_dict(_settings(trust_anchors_pem)) as settings, \
                c2pa.Context(settings=settings) as ctx, \
                c2pa.Reader(mime, io.BytesIO(data), None, ctx) as reader:
            store = json.loads(reader.json())
    except c2pa.C2paError.ManifestNotFound as exc:
        return C2paStatus("no_manifest", f"no C2PA manifest: {exc}", sdk_version=sdk, trust_anchors=anchors)
    except c2pa.C2paError.NotSupported as exc:
        return C2paStatus("no_manifest", f"format not supported by c2pa, no manifest read: {exc}",
                          sdk_version=sdk, trust_anchors=anchors)
    except Exception as exc:  # noqa: BLE001 - a corrupt asset must give a status, never an exception
        return C2paStatus("invalid", f"c2pa could not read the asset: {type(exc).__name__}: {exc}",
                          sdk_version=sdk, trust_anchors=anchors)
    raw = str(store.get("validation_state") or "")
    state = _SDK_STATES.get(raw.lower().replace("-", "").replace("_", ""), "invalid")
    label = store.get("active_manifest")
    manifest = (store.get("manifests") or {}).get(label) or {}
    results = store.get("validation_results")
    failures = _codes(results, "failure")
    detail = f"c2pa validation_state {raw or 'missing'}"
    if failures:
        detail += ": " + ", ".join(failures)
    return C2paStatus(state, detail, failures, _codes(results, "success"), _codes(results, "informational"),
                      label, _generator(manifest), manifest.get("claim_version"), sdk, anchors,
                      {"validation_state": raw, "title": manifest.get("title")})


def sign_image(src: str | Path, dst: str | Path, cert_chain_pem: str, private_key_pem: str, *, title: str,
               claim_generator: str = "synthaudit", assertions: list[dict] | None = None) -> Path:
    """Sign the image ``src`` into ``dst`` with an ES256 C2PA manifest (no timestamp authority: offline).
    ``cert_chain_pem``: the leaf certificate then its issuers (a self-signed CA cert is refused by c2pa);
    ``private_key_pem``: the leaf's P-256 key (PKCS#8 PEM). Without a ``c2pa.actions`` assertion in ``assertions``
    the manifest records a ``c2pa.created`` action with digital source type trainedAlgorithmicMedia. Returns ``dst``.
    """
    src, dst = Path(src), Path(dst)
    if src.resolve() == dst.resolve():
        raise ValueError("dst must differ from src (c2pa writes a new file)")
    if not isinstance(title, str) or not title:
        raise ValueError("title must be a non-empty string")
    _check_pem_certs(cert_chain_pem, "cert_chain_pem")
    if not isinstance(private_key_pem, str) or "PRIVATE KEY-----" not in private_key_pem:
        raise ValueError("private_key_pem must be a PEM private key ('-----BEGIN PRIVATE KEY-----')")
    assertions = list(assertions or [])
    if not all(isinstance(a, dict) and "label" in a for a in assertions):
        raise ValueError("assertions must be dicts with a 'label' (and 'data'), e.g. {'label': ..., 'data': {...}}")
    mime = mimetypes.guess_type(src.name)[0]
    if mime is None or not mime.startswith("image/"):
        raise InputError("expected an image file extension (.png, .jpg, ...)", file=str(src))
    try:
        data = src.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror or exc})", file=str(src)) from None
    import c2pa

    from synthaudit import __version__

    manifest = {"claim_generator_info": [{"name": claim_generator, "version": __version__}], "title": title,
                "assertions": assertions}
    info = c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, cert_chain_pem.encode(), private_key_pem.encode(), None)
    try:
        with c2pa.Signer.from_info(info) as signer, c2pa.Builder(manifest) as builder:
            if not any(str(a["label"]).startswith("c2pa.actions") for a in assertions):
                builder.set_intent(c2pa.C2paBuilderIntent.CREATE, c2pa.C2paDigitalSourceType.TRAINED_ALGORITHMIC_MEDIA)
            out = io.BytesIO()
            builder.sign(signer, mime, io.BytesIO(data), out)
    except c2pa.C2paError as exc:
        raise InputError(f"c2pa refused to sign: {exc}", file=str(src),
                         hint="use a CA-issued ES256 (P-256) leaf certificate and its key") from None
    dst.write_bytes(out.getvalue())
    return dst
