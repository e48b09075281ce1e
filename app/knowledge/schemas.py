from __future__ import annotations

import marshmallow as ma

from app.fields import AbsoluteMediaHtml, MediaUrl
from app.knowledge.content import SLUG_RE
from app.knowledge.services import related
from app.validation import Link, PageArgs, Schema
from app.validators import Trimmed


class CategoryOut(Schema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()
    description = ma.fields.String(allow_none=True)


class ArticleListArgs(PageArgs):
    category = ma.fields.String(validate=ma.validate.Length(max=32), metadata={"description": "分类的 code、id 或名称"})
    tag = ma.fields.String(validate=ma.validate.Length(max=32))
    zone = ma.fields.Integer(validate=ma.validate.Range(min=1))
    q = ma.fields.String(validate=ma.validate.Length(max=50), metadata={"description": "标题、摘要、正文中的文字"})


class ArticleCardOut(Schema):
    id = ma.fields.Integer()
    slug = ma.fields.String()
    title = ma.fields.String()
    summary = ma.fields.String()
    category = ma.fields.Nested(CategoryOut)
    tags = ma.fields.List(ma.fields.String())
    cover_image_url = MediaUrl(allow_none=True)
    author = ma.fields.String(allow_none=True)
    source = ma.fields.String(allow_none=True)
    published_on = ma.fields.Date()
    reading_minutes = ma.fields.Integer()
    # The public answer names only a public zone (an article may be written before its zone's publicity).
    zone_id = ma.fields.Integer(allow_none=True, attribute="public_zone_id")


class ZoneBriefOut(Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    type = ma.fields.String()
    level = ma.fields.String()
    status = ma.fields.String()
    cover_image_url = MediaUrl(allow_none=True)
    summary = ma.fields.String(allow_none=True)


class ArticleOut(ArticleCardOut):
    body_html = AbsoluteMediaHtml(
        metadata={"description": "已按小程序 rich-text 组件支持的标签与属性净化；图片为完整地址"}
    )
    views = ma.fields.Integer()
    related = ma.fields.Function(lambda article: ArticleCardOut(many=True).dump(related(article)))
    zone = ma.fields.Nested(ZoneBriefOut, allow_none=True, attribute="public_zone")


class StaffArticleCardOut(ArticleCardOut):
    """A card as staff see it: the zone linked, public or not."""

    zone_id = ma.fields.Integer(allow_none=True)


class StaffArticleOut(ArticleOut):
    zone_id = ma.fields.Integer(allow_none=True)
    zone = ma.fields.Nested(ZoneBriefOut, allow_none=True)
    draft = ma.fields.Boolean()
    is_published = ma.fields.Boolean()
    origin = ma.fields.String()
    edited_by_staff = ma.fields.Boolean()
    body_markdown = ma.fields.String()


class ArticleIn(Schema):
    slug = ma.fields.String(required=True, validate=ma.validate.Regexp(SLUG_RE, error="只能用小写字母、数字和连字符"))
    title = Trimmed(required=True, validate=ma.validate.Length(min=2, max=120))
    summary = Trimmed(required=True, validate=ma.validate.Length(min=2, max=300))
    category = ma.fields.String(required=True)
    tags = ma.fields.List(Trimmed(validate=ma.validate.Length(min=1, max=32)), validate=ma.validate.Length(max=10))
    cover_image_url = Link(allow_none=True, validate=ma.validate.Length(max=300))
    author = Trimmed(allow_none=True, validate=ma.validate.Length(max=80))
    source = Trimmed(allow_none=True, validate=ma.validate.Length(max=200))
    published_on = ma.fields.Date()
    zone_id = ma.fields.Integer(allow_none=True)
    draft = ma.fields.Boolean()
    body_markdown = Trimmed(required=True, multiline=True, validate=ma.validate.Length(min=1, max=200_000))


class ArticlePatchIn(ArticleIn):
    """ArticleIn with every field optional (used as ArticlePatchIn(partial=True)); the slug cannot change."""

    class Meta:
        exclude = ("slug",)


class StaffArticleArgs(ArticleListArgs):
    pass
