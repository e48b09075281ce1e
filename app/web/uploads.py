"""The image upload operation, served by both APIs: citizens' evidence on /api/mp/v1 and staff's
milestone proof on /api/admin/v1. Same rules (app/media); only who may call it and the words differ."""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app, request

from app.errors import ValidationFailed
from app.fields import absolute_url
from app.media import services as media
from app.publicity.schemas import UploadOut
from app.web.api import Blueprint, replayable
from app.web.auth import current_user

_DOC = """上传一张图片（multipart/form-data，字段 file），返回可用于{use}的地址

图片按 EXIF 方向转正后重新编码保存，不保留 EXIF（含 GPS 位置、相机型号、软件）、XMP、IPTC 等元数据；
size 为保存后文件的字节数。"""


def upload_blueprint(name: str, description: str, guard: Callable, use: str) -> Blueprint:
    """A blueprint with POST /uploads; `guard` decides who may call it (require_user, require_role(...))."""
    blp = Blueprint(name, __name__, description=description)

    @blp.before_request
    def _allow_image_sized_bodies():
        if request.endpoint == f"{name}.upload_image":
            request.max_content_length = current_app.config["UPLOAD_MAX_BYTES"] + 64 * 1024

    def upload_image():
        upload = request.files.get("file")
        if upload is None:
            raise ValidationFailed(details={"file": ["请上传图片文件（字段名 file）"]})
        stored = media.store_image(current_user().id, upload.read(current_app.config["UPLOAD_MAX_BYTES"] + 1))
        return {
            "id": stored.id,
            "url": absolute_url(media.url_of(stored)),
            "mimetype": stored.mimetype,
            "size": stored.size,
        }

    # flask-smorest reads the summary and description from the docstring when the route is added.
    upload_image.__doc__ = _DOC.format(use=use)
    view = blp.response(201, UploadOut)(upload_image)
    view = blp.alt_response(422, description="not_an_image：仅支持 JPEG、PNG、GIF、WebP")(view)
    blp.post("/uploads")(guard(replayable(view)))
    return blp
