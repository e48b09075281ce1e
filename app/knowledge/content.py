"""content/ → database: read and check every article file, render Markdown to HTML that the
mini-program's rich-text component accepts, and publish all of it or none of it.

Files: content/categories.yml (the known categories) and content/articles/*.md, each with YAML
front matter; images under content/images/, referenced relative to the article file. Image URLs
carry a content hash (`/media/content/<name>.<hash>.<ext>`) so they can be cached for a year.
"""

from __future__ import annotations

import hashlib
import html
import math
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any

import markdown
import nh3

from app import yamltext

MAX_FILE_BYTES = 200 * 1024
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MEDIA_PREFIX = "/media/content/"
READING_CHARS_PER_MINUTE = 400  # Chinese text, a common estimate

# What WeChat's rich-text component renders (its documented tag list); everything else is dropped.
RICH_TEXT_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "col",
    "colgroup",
    "dd",
    "del",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "li",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "section",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}
RICH_TEXT_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "ol": {"start"},
    "col": {"span", "width"},
}


@dataclass
class Problem:
    file: str
    field: str
    message: str


@dataclass
class ParsedArticle:
    path: str
    slug: str
    title: str
    summary: str
    category: str
    tags: list[str]
    cover_image_url: str | None
    author: str | None
    source: str | None
    published_on: date
    zone: str | None
    draft: bool
    body_markdown: str
    body_html: str
    plain_text: str
    reading_minutes: int
    content_hash: str


@dataclass
class ContentSet:
    categories: list[dict[str, Any]]
    articles: list[ParsedArticle]
    problems: list[Problem] = field(default_factory=list)


def image_url(images_root: Path, image: Path) -> str:
    relative = image.relative_to(images_root).as_posix()
    digest = hashlib.sha256(image.read_bytes()).hexdigest()[:10]
    stem, dot, ext = relative.rpartition(".")
    return f"{MEDIA_PREFIX}{stem}.{digest}{dot}{ext}"


def resolve_media(images_root: Path, served: str) -> Path | None:
    """The image file behind a served name, if the hash still matches (no traversal)."""
    match = re.fullmatch(r"(?P<stem>.+)\.(?P<digest>[0-9a-f]{10})\.(?P<ext>[A-Za-z0-9]+)", served)
    if not match:
        return None
    try:
        target = (images_root / f"{match['stem']}.{match['ext']}").resolve()
        target.relative_to(images_root.resolve())
    except (ValueError, OSError):
        return None
    if not target.is_file() or hashlib.sha256(target.read_bytes()).hexdigest()[:10] != match["digest"]:
        return None
    return target


def local_image(src: str, article: Path, images_root: Path) -> str | None:
    if src.startswith("https://"):
        return src
    if not src or "://" in src or src.startswith(("/", "data:")):
        return None
    target = (article.parent / PurePosixPath(src)).resolve()
    try:
        target.relative_to(images_root.resolve())
    except ValueError:
        return None
    return image_url(images_root.resolve(), target) if target.is_file() else None


def render(body: str, article: Path, images_root: Path) -> tuple[str, str, list[str]]:
    """(sanitised HTML, plain text, broken image paths). Every <img>, from Markdown or raw HTML,
    must be one of content/images (its src becomes the hashed URL) or an https URL."""
    broken: list[str] = []

    def attribute(tag: str, name: str, value: str) -> str | None:
        if tag == "img" and name == "src":
            url = local_image(value, article, images_root)
            if url is None:
                broken.append(value)
            return url
        return value

    raw = _join_cjk_lines(markdown.markdown(body, extensions=["tables", "fenced_code", "sane_lists"]))
    clean = nh3.clean(
        raw,
        tags=RICH_TEXT_TAGS,
        attributes=RICH_TEXT_ATTRIBUTES,
        url_schemes={"http", "https"},
        link_rel=None,
        strip_comments=True,
        attribute_filter=attribute,
    )
    text = html.unescape(nh3.clean(clean, tags=set()))
    return clean, re.sub(r"\s+", " ", text).strip(), broken


# A line break inside a paragraph is a space to a browser: between two Chinese characters (or
# full-width punctuation) it shows as a stray gap (「可再生能源、 林业碳汇」). Code blocks keep theirs.
_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK_BREAK = re.compile(f"(?<=[{_CJK}])\n(?=[{_CJK}])")
_PRE = re.compile(r"(<pre\b.*?</pre>)", re.S)


def _join_cjk_lines(rendered: str) -> str:
    parts = _PRE.split(rendered)
    return "".join(part if i % 2 else _CJK_BREAK.sub("", part) for i, part in enumerate(parts))


def reading_minutes(text: str) -> int:
    return max(1, math.ceil(len(text) / READING_CHARS_PER_MINUTE))


def split_front_matter(text: str) -> tuple[str | None, str]:
    if not text.startswith("---"):
        return None, text
    match = re.match(r"^---\s*\n(.*?)\n---\s*(?:\n|$)(.*)$", text, re.DOTALL)
    if not match:
        return None, text
    return match.group(1), match.group(2)


def _text(meta: dict, key: str, problems: list[Problem], path: str, *, required: bool, max_len: int) -> str | None:
    value = meta.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.append(Problem(path, key, "必填"))
        return None
    if not isinstance(value, str):
        problems.append(Problem(path, key, "应为文字"))
        return None
    if len(value) > max_len:
        problems.append(Problem(path, key, f"不能超过 {max_len} 字"))
    return value.strip()


KNOWN_KEYS = {"slug", "title", "summary", "category", "tags", "cover", "author", "source", "published", "zone", "draft"}


def parse_article(file: Path, root: Path, categories: set[str]) -> tuple[ParsedArticle | None, list[Problem]]:
    path = file.relative_to(root).as_posix()
    problems: list[Problem] = []
    raw = file.read_bytes()
    if len(raw) > MAX_FILE_BYTES:
        return None, [Problem(path, "file", f"文件过大（{len(raw)} 字节，上限 {MAX_FILE_BYTES}）")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, [Problem(path, "file", "须为 UTF-8 编码")]
    front, body = split_front_matter(text)
    if front is None:
        return None, [Problem(path, "front_matter", "缺少以 --- 包围的 YAML 头")]
    try:
        meta = yamltext.safe_load(front) or {}
    except yamltext.YAMLError as exc:
        return None, [Problem(path, "front_matter", f"YAML 无法解析：{str(exc).splitlines()[0]}")]
    if not isinstance(meta, dict):
        return None, [Problem(path, "front_matter", "YAML 头须为键值对")]
    for key in sorted(set(meta) - KNOWN_KEYS):
        problems.append(Problem(path, key, "未知字段"))

    slug = _text(meta, "slug", problems, path, required=True, max_len=80)
    if slug and not SLUG_RE.match(slug):
        problems.append(Problem(path, "slug", "只能用小写字母、数字和连字符"))
    title = _text(meta, "title", problems, path, required=True, max_len=120)
    summary = _text(meta, "summary", problems, path, required=True, max_len=300)
    category = _text(meta, "category", problems, path, required=True, max_len=32)
    if category and category not in categories:
        problems.append(Problem(path, "category", f"未知分类，可选：{', '.join(sorted(categories))}"))
    author = _text(meta, "author", problems, path, required=False, max_len=80)
    source = _text(meta, "source", problems, path, required=False, max_len=200)
    if not author and not source:
        problems.append(Problem(path, "author", "须填写 author 或 source"))
    zone = _text(meta, "zone", problems, path, required=False, max_len=120)
    tags = meta.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) and 0 < len(t) <= 32 for t in tags) or len(tags) > 10:
        problems.append(Problem(path, "tags", "须为不超过 10 个、每个不超过 32 字的文字列表"))
        tags = []
    published = meta.get("published")
    if not isinstance(published, date):
        problems.append(Problem(path, "published", "须为日期（YYYY-MM-DD）"))
    draft = meta.get("draft", False)
    if not isinstance(draft, bool):
        problems.append(Problem(path, "draft", "须为 true 或 false"))

    images_root = root / "images"
    cover_url = None
    if meta.get("cover"):
        cover_url = local_image(str(meta["cover"]), file, images_root)
        if cover_url is None:
            problems.append(Problem(path, "cover", f"图片不存在或不在 content/images/ 下：{meta['cover']}"))
    body_html, plain, broken = render(body, file, images_root)
    for src in broken:
        problems.append(Problem(path, "body", f"图片路径无效：{src}"))
    if not plain:
        problems.append(Problem(path, "body", "正文为空"))
    if problems:
        return None, problems
    digest = hashlib.sha256(raw + body_html.encode()).hexdigest()
    return (
        ParsedArticle(
            path=path,
            slug=slug,
            title=title,
            summary=summary,
            category=category,
            tags=list(dict.fromkeys(tags)),
            cover_image_url=cover_url,
            author=author,
            source=source,
            published_on=published,
            zone=zone,
            draft=draft,
            body_markdown=body,
            body_html=body_html,
            plain_text=plain,
            reading_minutes=reading_minutes(plain),
            content_hash=digest,
        ),
        [],
    )


def read_content(root: Path) -> ContentSet:
    """Every category and article under `root`, with every problem found (the caller publishes only
    when there are none)."""
    problems: list[Problem] = []
    categories: list[dict[str, Any]] = []
    categories_file = root / "categories.yml"
    try:
        loaded = yamltext.safe_load(categories_file.read_text(encoding="utf-8")) or []
        if not isinstance(loaded, list):
            raise ValueError("须为列表")
        for item in loaded:
            if not isinstance(item, dict) or not item.get("code") or not item.get("name"):
                raise ValueError("每项须有 code 与 name")
            categories.append(item)
    except (OSError, ValueError, yamltext.YAMLError) as exc:
        problems.append(Problem("categories.yml", "file", str(exc)))
    codes = {c["code"] for c in categories}

    articles: list[ParsedArticle] = []
    seen: dict[str, str] = {}
    for file in sorted((root / "articles").glob("*.md")):
        parsed, found = parse_article(file, root, codes)
        problems.extend(found)
        if parsed is None:
            continue
        if parsed.slug in seen:
            problems.append(Problem(parsed.path, "slug", f"与 {seen[parsed.slug]} 重复：{parsed.slug}"))
            continue
        seen[parsed.slug] = parsed.path
        articles.append(parsed)
    return ContentSet(categories, articles, problems)
