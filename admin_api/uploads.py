from __future__ import annotations

from flask import current_app, request

from app.accounts.roles import PROGRESS_STAFF
from app.errors import ValidationFailed
from app.fields import absolute_url
from app.media import services as media
from app.publicity.schemas import UploadOut
from app.web.api import Blueprint, replayable
from app.web.auth import current_user, require_role

PATH = ""
blp = Blueprint("admin_uploads", __name__, description="图片上传（里程碑证明材料）")


@blp.before_request
def _allow_image_sized_bodies():
    if request.endpoint == "admin_uploads.upload_image":
        request.max_content_length = current_app.config["UPLOAD_MAX_BYTES"] + 64 * 1024


@blp.post("/uploads")
@require_role(*PROGRESS_STAFF)
@replayable
@blp.response(201, UploadOut)
@blp.alt_response(422, description="not_an_image：仅支持 JPEG、PNG、GIF、WebP")
def upload_image():
    """上传一张图片（multipart/form-data，字段 file），返回可用于里程碑 evidence_urls 的地址

    图片按 EXIF 方向转正后重新编码保存，不保留 EXIF（含 GPS 位置、相机型号、软件）、XMP、IPTC 等元数据；
    size 为保存后文件的字节数。"""
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
