from __future__ import annotations

from app.web.auth import require_user
from app.web.uploads import upload_blueprint

PATH = ""
blp = upload_blueprint("mp_uploads", "图片上传（异议证明材料等）", require_user, " evidence_urls ")
