"""Images only (recognised by their bytes, not their name), size-limited, re-encoded without their
metadata, stored on local disk under UPLOAD_ROOT with random names; served at /media/uploads/<path>."""

from __future__ import annotations

import hashlib
import io
import secrets
import warnings
from pathlib import Path
from urllib.parse import urlparse

from flask import current_app
from sqlalchemy import select

from app import uow
from app.db_types import utcnow
from app.errors import AppError, ValidationFailed, WeChatUnavailable
from app.extensions import db
from app.media.models import Upload
from app.wechat import services as wechat
from app.wechat.services import ContentCheck

URL_PREFIX = "/media/uploads/"

# magic bytes -> (mimetype, extension)
SIGNATURES = [
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"GIF87a", "image/gif", "gif"),
    (b"GIF89a", "image/gif", "gif"),
]


class NotAnImage(AppError):
    status = 422
    code = "not_an_image"
    message = "仅支持 JPEG、PNG、GIF 或 WebP 图片"


def sniff(content: bytes) -> tuple[str, str] | None:
    for magic, mimetype, ext in SIGNATURES:
        if content.startswith(magic):
            return mimetype, ext
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp", "webp"
    return None


# A small file may still claim a huge canvas or thousands of frames (a "decompression bomb"): refuse beyond
# this many pixels in all.
MAX_PIXELS = 40_000_000
PIL_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/gif": "GIF", "image/webp": "WEBP"}
# Many phones write JPEGs with a second, multi-picture image appended (MPO): a JPEG to people; only its
# first picture is kept.
ALSO_READ_AS = {"image/jpeg": {"MPO"}}


def decodes_whole(content: bytes, mimetype: str) -> bool:
    """The bytes are one image of the sniffed kind that decodes to the end (Pillow), not a valid
    header glued to something else, and not a decompression bomb."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:
                # Every frame of an animation is decoded when it is re-encoded: the bound counts them all.
                pixels = image.width * image.height * getattr(image, "n_frames", 1)
                if image.format not in {PIL_FORMATS[mimetype], *ALSO_READ_AS.get(mimetype, ())} or pixels > MAX_PIXELS:
                    return False
                image.verify()  # structure and checksums
            with Image.open(io.BytesIO(content)) as image:
                image.load()  # every pixel decoded: a truncated file fails here
    except (Exception, Image.DecompressionBombWarning):  # noqa: BLE001 - any failure means "not an image"
        return False
    return True


# What a re-encoded image keeps of the original's info: how it renders, never who took it, where or with what.
RENDERING_INFO = ("icc_profile", "transparency", "background", "duration", "loop", "disposal", "blend")
# Photos are re-encoded close to a phone's own quality; WebP's default (80) visibly blurs text in evidence.
SAVE_OPTIONS = {"JPEG": {"quality": 90}, "WEBP": {"quality": 90}, "PNG": {"optimize": True}}


def without_metadata(content: bytes, mimetype: str) -> bytes:
    """The image re-encoded from its pixels, turned upright per its EXIF orientation first: no EXIF
    (GPS, camera, software, dates), XMP, IPTC, comments or text chunks survive; the ICC profile does
    (it says how colours look, nothing about a person). Every frame of an animation is kept.
    `content` has already passed decodes_whole."""
    from PIL import Image, ImageOps, ImageSequence

    fmt = PIL_FORMATS[mimetype]
    try:
        with Image.open(io.BytesIO(content)) as image:
            frames = []
            for frame in ImageSequence.Iterator(image):
                if frames and image.format == "MPO":
                    break
                upright = ImageOps.exif_transpose(frame)  # always a new image, whatever the orientation
                upright.info = {k: v for k, v in frame.info.items() if k in RENDERING_INFO}
                frames.append(upright)
        first, *rest = frames
        options = {**SAVE_OPTIONS.get(fmt, {}), "icc_profile": first.info.get("icc_profile")}
        if rest:
            options.update(save_all=True, append_images=rest, duration=[f.info.get("duration", 100) for f in frames])
        out = io.BytesIO()
        first.save(out, fmt, **{k: v for k, v in options.items() if v is not None})
    except Exception as exc:  # noqa: BLE001 - e.g. malformed EXIF: what cannot be cleaned is not kept
        raise NotAnImage("图片无法处理，请重新选择图片") from exc
    return out.getvalue()


def _refuse_if_too_large(content: bytes, max_bytes: int) -> None:
    if len(content) > max_bytes:
        raise AppError(f"图片不能超过 {max_bytes // (1024 * 1024)} MB", code="file_too_large", status=413)


def store_image(user_id: int, content: bytes) -> Upload:
    """Use case: keep an uploaded image (UPLOAD_ROOT, at most UPLOAD_MAX_BYTES) once it is known
    to be a whole image, stripped of its metadata, that WeChat did not find risky."""
    root, max_bytes = Path(current_app.config["UPLOAD_ROOT"]), current_app.config["UPLOAD_MAX_BYTES"]
    if not content:
        raise ValidationFailed(details={"file": ["文件为空"]})
    _refuse_if_too_large(content, max_bytes)
    kind = sniff(content)
    if kind is None:
        raise NotAnImage()
    mimetype, ext = kind
    if not decodes_whole(content, mimetype):
        raise NotAnImage("图片已损坏或无法完整解码，请重新选择图片")
    # Before anything else sees it (WeChat's check, the public file): GPS, camera and names go here.
    content = without_metadata(content, mimetype)
    _refuse_if_too_large(content, max_bytes)  # what is kept obeys the limit too
    try:
        check = wechat.check_image(content)
    except WeChatUnavailable:
        check = ContentCheck.UNCHECKED  # keep it; the objection it supports is flagged for staff
    if check == ContentCheck.RISKY:
        raise AppError("图片未通过微信内容安全检测", code="content_risky", status=422)
    now = utcnow()
    relative = f"{now:%Y/%m}/{secrets.token_urlsafe(18)}.{ext}"
    target = root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    upload = Upload(
        user_id=user_id,
        path=relative,
        mimetype=mimetype,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content_check=check,
    )
    db.session.add(upload)
    try:
        uow.commit()
    except Exception:
        target.unlink(missing_ok=True)  # no orphan file for a row that was never stored
        raise
    return upload


def url_of(upload: Upload) -> str:
    return URL_PREFIX + upload.path


def public_hosts(request_host: str | None = None) -> set[str]:
    """Hosts under which this service's own upload URLs may come back absolute: the request's own
    host, PUBLIC_HOSTS and PUBLIC_BASE_URL's host."""
    config = current_app.config
    hosts = {request_host, *config["PUBLIC_HOSTS"], urlparse(config["PUBLIC_BASE_URL"] or "").netloc}
    return {h for h in hosts if h}


def own_uploads(
    user_id: int, urls: list[str], public_hosts: set[str], field: str = "evidence_urls", *, single: bool = False
) -> tuple[list[str], bool]:
    """Check evidence URLs: each must be one of this user's uploads on this service (relative, or
    absolute on one of `public_hosts`). Returns them as relative URLs, and whether all of them
    passed WeChat's image check; raises naming the bad ones under `field`, the request's field that
    carried them: by index, as a list field's errors are, or (`single`: a field of one URL) as a
    plain field's, so a client shows the message beside that field."""
    candidates: dict[int, str] = {}
    bad: list[int] = []
    for index, url in enumerate(urls):
        parsed = urlparse(url)
        foreign_host = (parsed.scheme or parsed.netloc) and (
            parsed.scheme not in ("http", "https") or parsed.netloc not in public_hosts
        )
        if foreign_host or not parsed.path.startswith(URL_PREFIX) or ".." in parsed.path or parsed.query:
            bad.append(index)
        else:
            candidates[index] = parsed.path[len(URL_PREFIX) :]
    found = dict(
        db.session.execute(
            select(Upload.path, Upload.content_check).where(
                Upload.user_id == user_id, Upload.path.in_(candidates.values())
            )
        ).all()
    )
    bad += [index for index, path in candidates.items() if path not in found]
    if bad:
        message = ["须为本服务上传接口返回的本人图片地址"]
        raise ValidationFailed(details={field: message if single else {str(i): message for i in sorted(bad)}})
    return [URL_PREFIX + candidates[i] for i in sorted(candidates)], all(v == ContentCheck.PASS for v in found.values())


def sha256_of(url: str) -> str | None:
    """The content hash of the stored file behind one of this service's upload URLs (as own_uploads
    returns them): the same picture uploaded twice has the same hash."""
    path = urlparse(url).path.removeprefix(URL_PREFIX)
    return db.session.scalar(select(Upload.sha256).where(Upload.path == path))


def delete_uploads(urls: list[str]) -> list[str]:
    """Delete the upload rows behind these service URLs (caller commits); returns their file paths,
    to be removed from disk once the commit has succeeded."""
    paths = [urlparse(url).path.removeprefix(URL_PREFIX) for url in urls if urlparse(url).path.startswith(URL_PREFIX)]
    if not paths:
        return []
    uploads = db.session.scalars(select(Upload).where(Upload.path.in_(paths))).all()
    for upload in uploads:
        db.session.delete(upload)
    return [u.path for u in uploads]


def resolve(root: Path, relative: str) -> Path | None:
    """The file for a served path, never outside root (no traversal)."""
    try:
        target = (root / relative).resolve()
        target.relative_to(root.resolve())
    except (ValueError, OSError):
        return None
    return target if target.is_file() else None
