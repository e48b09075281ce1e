from __future__ import annotations

from app.accounts.roles import Role
from app.extensions import db
from app.knowledge import services as knowledge
from app.knowledge.schemas import (
    ArticleIn,
    ArticlePatchIn,
    CategoryOut,
    StaffArticleArgs,
    StaffArticleCardOut,
    StaffArticleOut,
)
from app.validation import WholeListArgs
from app.web.api import Blueprint, page_of, paginate, replayable, whole_list
from app.web.auth import current_user, require_role

PATH = ""
blp = Blueprint("admin_knowledge", __name__, description="低碳知识：文章与分类")

EDITORS = (Role.INSTITUTE_STAFF,)


@blp.get("/articles")
@require_role(*EDITORS)
@blp.arguments(StaffArticleArgs, location="query")
@blp.response(200, page_of(StaffArticleCardOut))
def list_articles(args):
    """全部文章（含草稿、已下线）"""
    filters = knowledge.ArticleFilters(**{k: v for k, v in args.items() if k not in ("page", "per_page")})
    return paginate(db.session, knowledge.articles_query(filters, public=False), args["page"], args["per_page"])


@blp.post("/articles")
@require_role(*EDITORS)
@blp.arguments(ArticleIn)
@replayable
@blp.response(201, StaffArticleOut)
def create_article(body):
    """在后台新建文章（Markdown）"""
    return knowledge.save_article(body, current_user(), None)


@blp.get("/articles/<int:article_id>")
@require_role(*EDITORS)
@blp.response(200, StaffArticleOut)
def get_article(article_id):
    """文章详情（含 Markdown 原文）"""
    return knowledge.get_article(str(article_id), public=False)


@blp.patch("/articles/<int:article_id>")
@require_role(*EDITORS)
@blp.arguments(ArticlePatchIn(partial=True), required=False)
@blp.response(200, StaffArticleOut)
def patch_article(body, article_id):
    """修改文章；来自 content/ 的文章被修改后，之后的 content sync 不再覆盖（除非 --force）"""
    article = knowledge.get_article(str(article_id), public=False)
    return knowledge.save_article(body, current_user(), article)


@blp.get("/article-categories")
@require_role(*EDITORS)
@blp.arguments(WholeListArgs, location="query")
@blp.response(200, page_of(CategoryOut))
def list_categories(args):
    """分类（由 content/categories.yml 维护）"""
    return whole_list(knowledge.categories(), args)
