from __future__ import annotations

from flask import request

from app.extensions import db
from app.knowledge import services as knowledge
from app.knowledge.schemas import ArticleCardOut, ArticleListArgs, ArticleOut, CategoryOut
from app.validation import WholeListArgs
from app.web.api import Blueprint, page_of, paginate, whole_list
from app.web.auth import optional_user
from app.web.caching import cached_response, json_bytes

PATH = ""
blp = Blueprint("mp_knowledge", __name__, description="低碳知识")


@blp.get("/categories")
@blp.arguments(WholeListArgs, location="query")
@blp.response(200, page_of(CategoryOut))
def list_categories(args):
    """文章分类"""
    return cached_response(
        knowledge.CACHE_NAMESPACE,
        lambda: (json_bytes(page_of(CategoryOut)().dump(whole_list(knowledge.categories(), args))), "application/json"),
        args={"page": args.get("page"), "per_page": args.get("per_page")},
    )


@blp.get("/articles")
@blp.arguments(ArticleListArgs, location="query")
@blp.response(200, page_of(ArticleCardOut))
def list_articles(args):
    """文章列表（最新在前；q 搜索标题、摘要、正文，标题命中优先；不含正文）"""
    filters = knowledge.ArticleFilters(**{k: v for k, v in args.items() if k not in ("page", "per_page")})

    def build():
        page = paginate(db.session, knowledge.articles_query(filters), args["page"], args["per_page"])
        return json_bytes(page_of(ArticleCardOut)().dump(page)), "application/json"

    return cached_response(knowledge.CACHE_NAMESPACE, build, args=args)


@blp.get("/articles/<key>")
@blp.response(200, ArticleOut)
def get_article(key):
    """文章详情（按 slug 或 id）：正文 HTML、阅读时长、相关文章、所涉示范区"""
    article = knowledge.get_article(key)
    user = optional_user()
    knowledge.count_view(article.id, f"u{user.id}" if user else f"ip{request.remote_addr}")

    def build():
        return json_bytes(ArticleOut().dump(knowledge.get_article(key))), "application/json"

    # Not by URL before Flask: every read is counted.
    return cached_response(knowledge.CACHE_NAMESPACE, build, fast=False)
