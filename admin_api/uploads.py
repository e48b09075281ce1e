from __future__ import annotations

from app.accounts.roles import PROGRESS_STAFF
from app.web.auth import require_role
from app.web.uploads import upload_blueprint

PATH = ""
blp = upload_blueprint(
    "admin_uploads", "图片上传（里程碑证明材料）", require_role(*PROGRESS_STAFF), "里程碑 evidence_urls "
)
