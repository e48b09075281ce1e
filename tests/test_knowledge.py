"""Knowledge: content/ validated and published all-or-nothing, sanitised for rich-text, searched in
Chinese and English, cached, counted."""

import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.helpers import assert_error

PROJECT_CONTENT = Path(__file__).resolve().parent.parent / "content"


def article(slug="test-article", **overrides):
    meta = {
        "slug": slug,
        "title": "测试文章：低碳生活",
        "summary": "这是一篇测试文章的摘要。",
        "category": "guide",
        "tags": "[低碳生活, 测试]",
        "author": "测试作者",
        "published": "2026-08-01",
    }
    body = overrides.pop("body", "## 小标题\n\n正文内容：随手关灯，节约用电。\n")
    meta.update(overrides)
    front = "\n".join(f"{k}: {v}" for k, v in meta.items() if v is not None)
    return f"---\n{front}\n---\n\n{body}"


@pytest.fixture
def content_root(tmp_path):
    root = tmp_path / "content"
    (root / "articles").mkdir(parents=True)
    (root / "images").mkdir()
    shutil.copy(PROJECT_CONTENT / "categories.yml", root / "categories.yml")
    shutil.copy(PROJECT_CONTENT / "images" / "cover-life.png", root / "images" / "cover-life.png")
    return root


@pytest.fixture
def content_app(make_app, content_root):
    return make_app(CONTENT_ROOT=str(content_root))


def sync(app, *args):
    return app.test_cli_runner().invoke(args=["content", "sync", *args])


def write(root, name, text):
    (root / "articles" / name).write_text(text, encoding="utf-8")


def test_the_project_content_is_valid_and_complete(runner, client):
    result = runner.invoke(args=["content", "sync"])
    assert result.exit_code == 0, result.output
    assert "created 12" in result.output or "created 1" in result.output
    listed = client.get("/api/mp/v1/articles?per_page=100").json
    assert listed["total"] >= 12
    assert {a["category"]["code"] for a in listed["items"]} == {"basics", "policy", "technology", "guide"}
    assert all(a["source"] or a["author"] for a in listed["items"])
    assert "body_html" not in listed["items"][0]
    # the topics the city's plan names
    titles = " ".join(a["title"] for a in listed["items"])
    for topic in (
        "零碳",
        "CCER",
        "绿证",
        "近零能耗",
        "光伏",
        "新能源汽车",
        "垃圾分类",
        "碳汇",
        "校园",
        "家庭",
        "六类",
        "授牌",
    ):
        assert topic in titles, topic
    again = runner.invoke(args=["content", "sync"])
    assert "unchanged 12" in again.output


def test_detail_by_slug_or_id_with_related_and_reading_time(client, runner):
    runner.invoke(args=["content", "sync"])
    detail = client.get("/api/mp/v1/articles/rooftop-solar").json
    assert detail["body_html"].startswith("<h2>")
    assert detail["reading_minutes"] >= 1
    assert detail["related"]
    assert all(r["slug"] != "rooftop-solar" for r in detail["related"])
    assert client.get(f"/api/mp/v1/articles/{detail['id']}").json["slug"] == "rooftop-solar"
    assert_error(client.get("/api/mp/v1/articles/no-such-article"), 404, "not_found")
    cover = client.get(detail["cover_image_url"])
    assert cover.status_code == 200
    assert "immutable" in cover.headers["Cache-Control"]
    cover.close()


def test_sanitised_for_rich_text(content_app, content_root):
    body = (
        "正文<script>alert(1)</script>\n\n"
        '<img src="x.png" onerror="alert(1)">\n\n'
        "[点我](javascript:alert(1)) 和 [官网](https://www.mee.gov.cn/)\n\n"
        '<iframe src="https://evil.example"></iframe><p style="color:red" onclick="x()">段落</p>\n\n'
        "![封面](../images/cover-life.png)\n"
    )
    write(content_root, "a.md", article(body=body))
    assert sync(content_app).exit_code == 1  # x.png is a broken image path
    body = body.replace(
        '<img src="x.png" onerror="alert(1)">', '<img src="../images/cover-life.png" onerror="alert(1)">'
    )
    write(content_root, "a.md", article(body=body))
    result = sync(content_app)
    assert result.exit_code == 0, result.output
    html = content_app.test_client().get("/api/mp/v1/articles/test-article").json["body_html"]
    for bad in ("<script", "alert(1)", "onerror", "javascript:", "<iframe", "onclick", "style="):
        assert bad not in html, bad
    assert 'href="https://www.mee.gov.cn/"' in html
    assert "<p>段落</p>" in html
    assert html.count('src="http://localhost/media/content/cover-life.') == 2  # absolute: rich-text needs it


@pytest.mark.parametrize(
    "text,field",
    [
        (article(title=None), "title"),
        (article(category="gossip"), "category"),
        (article(slug="Bad Slug"), "slug"),
        (article(published="someday"), "published"),
        (article(author=None), "author"),
        (article(body="![图](../images/missing.png)"), "body"),
        (article(cover="../images/missing.png"), "cover"),
        (article(colour="red"), "colour"),
        ("没有 front matter 的正文", "front_matter"),
        (article(body="文" * 210_000), "file"),
    ],
)
def test_invalid_files_publish_nothing(content_app, content_root, text, field):
    write(content_root, "good.md", article(slug="good-one"))
    write(content_root, "bad.md", text)
    result = sync(content_app)
    assert result.exit_code == 1
    assert f"articles/bad.md: {field}:" in result.output
    assert "nothing was published" in result.output
    assert content_app.test_client().get("/api/mp/v1/articles").json["total"] == 0


def test_duplicate_slug_names_both_files(content_app, content_root):
    write(content_root, "one.md", article(slug="same"))
    write(content_root, "two.md", article(slug="same"))
    result = sync(content_app)
    assert result.exit_code == 1
    assert "articles/two.md: slug:" in result.output
    assert "articles/one.md" in result.output


def test_drafts_removed_files_and_staff_edits(content_app, content_root, auth):
    write(content_root, "draft.md", article(slug="draft-one", draft="true"))
    write(content_root, "kept.md", article(slug="kept-one"))
    assert sync(content_app).exit_code == 0
    client = content_app.test_client()
    assert_error(client.get("/api/mp/v1/articles/draft-one"), 404, "not_found")
    assert client.get("/api/mp/v1/articles").json["total"] == 1
    # staff edit, then a sync keeps the edit unless forced
    from tests.conftest import Auth

    staff = Auth(content_app, client).staff("institute_staff")
    kept_id = client.get("/api/mp/v1/articles/kept-one").json["id"]
    edited = client.patch(f"/api/admin/v1/articles/{kept_id}", json={"title": "后台修改的标题"}, headers=staff)
    assert edited.status_code == 200
    assert edited.json["edited_by_staff"] is True
    write(content_root, "kept.md", article(slug="kept-one", title="文件里的新标题"))
    result = sync(content_app)
    assert "kept (edited by staff" in result.output
    assert client.get("/api/mp/v1/articles/kept-one").json["title"] == "后台修改的标题"
    forced = sync(content_app, "--force")
    assert "updated 1" in forced.output, forced.output
    assert client.get("/api/mp/v1/articles/kept-one").json["title"] == "文件里的新标题"
    # a file removed from the folder is unpublished, not deleted
    (content_root / "articles" / "kept.md").unlink()
    assert "unpublished 1" in sync(content_app).output
    assert_error(client.get("/api/mp/v1/articles/kept-one"), 404, "not_found")
    assert client.get(f"/api/admin/v1/articles/{kept_id}", headers=staff).json["is_published"] is False


def test_staff_create_article(client, auth, runner):
    runner.invoke(args=["content", "sync"])
    staff = auth.staff("institute_staff")
    body = {
        "slug": "staff-news",
        "title": "研究院动态：示范区公示开始",
        "summary": "第二批示范区项目开始公示。",
        "category": "policy",
        "tags": ["公示"],
        "author": "研究院",
        "body_markdown": "公示期 **5 个工作日**。<script>x</script>",
    }
    created = client.post("/api/admin/v1/articles", json=body, headers=staff)
    assert created.status_code == 201
    assert "<script" not in created.json["body_html"]
    assert client.get("/api/mp/v1/articles?q=公示期").json["items"][0]["slug"] == "staff-news"
    assert_error(client.post("/api/admin/v1/articles", json=body, headers=staff), 409, "duplicate_slug")
    assert_error(
        client.post("/api/admin/v1/articles", json={**body, "slug": "x2", "category": "nope"}, headers=staff),
        422,
        "validation_error",
    )
    assert_error(
        client.post("/api/admin/v1/articles", json=body, headers=auth.wechat_headers("c")), 401, "token_wrong_audience"
    )


def test_search_chinese_english_title_first_and_literal(client, runner):
    runner.invoke(args=["content", "sync"])

    def slugs(q):
        response = client.get("/api/mp/v1/articles", query_string={"q": q})
        assert response.status_code == 200
        return [a["slug"] for a in response.json["items"]]

    assert slugs("CCER")[0] == "ccer-explained"
    assert slugs("ccer")[0] == "ccer-explained"
    found = slugs("光伏")
    assert found[0] == "rooftop-solar"  # title match first, body matches after
    assert len(found) > 1
    assert "waste-sorting" in slugs("厨余垃圾")  # a word from the body only
    assert slugs("碳")  # one character works
    assert len(slugs("碳")) >= 10
    # % and _ match themselves: only the articles that really contain "%" (e.g. "50%")
    with_percent = {"rooftop-solar", "new-energy-vehicles-green-travel"}
    assert set(slugs("%")) == with_percent
    assert set(slugs("0%")) == with_percent
    assert slugs("_") == []
    assert slugs("%%") == []
    assert slugs("光%伏") == []
    assert len(slugs("")) == len(slugs("   ")) == client.get("/api/mp/v1/articles").json["total"] >= 12


def test_filters_and_categories(client, runner):
    runner.invoke(args=["content", "sync"])
    assert [c["code"] for c in client.get("/api/mp/v1/categories").json["items"]] == [
        "basics",
        "policy",
        "technology",
        "guide",
    ]
    guides = client.get("/api/mp/v1/articles?category=guide").json["items"]
    assert guides
    assert all(a["category"]["code"] == "guide" for a in guides)
    guide = next(c for c in client.get("/api/mp/v1/categories").json["items"] if c["code"] == "guide")
    by_id = client.get(f"/api/mp/v1/articles?category={guide['id']}").json["items"]
    by_name = client.get("/api/mp/v1/articles", query_string={"category": guide["name"]}).json["items"]
    assert by_id == by_name == guides
    assert client.get("/api/mp/v1/articles?category=nothing").json["total"] == 0
    tagged = client.get("/api/mp/v1/articles", query_string={"tag": "绿电"}).json["items"]
    assert {a["slug"] for a in tagged} == {"green-electricity-and-certificates", "rooftop-solar"}
    dates = [a["published_on"] for a in client.get("/api/mp/v1/articles?per_page=100").json["items"]]
    assert dates == sorted(dates, reverse=True)
    assert_error(client.get("/api/mp/v1/articles?per_page=0"), 422, "validation_error")


def test_article_about_a_zone_shows_the_zone(content_app, content_root, app):
    from tests.factories import make_zone

    make_zone(app, "titled", name="净月潭测试景区", type="scenic")
    write(content_root, "z.md", article(slug="about-zone", zone="净月潭测试景区"))
    assert sync(content_app).exit_code == 0
    detail = content_app.test_client().get("/api/mp/v1/articles/about-zone").json
    assert detail["zone"]["name"] == "净月潭测试景区"
    write(content_root, "z.md", article(slug="about-zone", zone="不存在的示范区"))
    result = sync(content_app)
    assert result.exit_code == 1
    assert "articles/z.md: zone:" in result.output


def test_views_counted_once_per_reader_and_flushed(client, runner, auth):
    runner.invoke(args=["content", "sync"])
    for _ in range(3):
        client.get("/api/mp/v1/articles/waste-sorting")
    headers = auth.wechat_headers("reader")
    client.get("/api/mp/v1/articles/waste-sorting", headers=headers)
    client.get("/api/mp/v1/articles/waste-sorting", headers=headers)
    # a stale token is 401 (the mini-program reads again signed out) and counts no view
    assert client.get("/api/mp/v1/articles/waste-sorting", headers={"Authorization": "Bearer stale"}).status_code == 401
    assert "2 view(s) flushed" in runner.invoke(args=["content", "flush-views"]).output
    assert "0 view(s) flushed" in runner.invoke(args=["content", "flush-views"]).output
    assert client.get("/api/mp/v1/articles/waste-sorting").json["views"] == 2


def test_cache_etag_and_invalidation(client, runner, auth):
    runner.invoke(args=["content", "sync"])
    first = client.get("/api/mp/v1/articles")
    assert client.get("/api/mp/v1/articles", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    staff = auth.staff("institute_staff")
    article_id = client.get("/api/mp/v1/articles/waste-sorting").json["id"]
    client.patch(f"/api/admin/v1/articles/{article_id}", json={"title": "垃圾分类新版"}, headers=staff)
    after = client.get("/api/mp/v1/articles", headers={"If-None-Match": first.headers["ETag"]})
    assert after.status_code == 200
    assert "垃圾分类新版" in after.get_data(as_text=True)


def test_media_cannot_escape_the_content_images(client):
    for path in (
        "/media/content/../articles/waste-sorting.0000000000.md",
        "/media/content/cover-life.0000000000.png",
        "/media/content/%2e%2e/%2e%2e/app/config.0000000000.py",
        "/media/content/nothing.png",
    ):
        assert client.get(path).status_code == 404


@pytest.mark.postgres
def test_search_uses_the_trigram_index(app, runner):
    from app.extensions import db
    from app.knowledge import services as knowledge

    runner.invoke(args=["content", "sync"])
    with app.app_context():
        stmt = knowledge.articles_query(knowledge.ArticleFilters(q="垃圾分类"))
        compiled = stmt.with_only_columns(knowledge.Article.id).compile(db.engine)
        with db.engine.connect() as conn:
            conn.exec_driver_sql("SET enable_seqscan = off")
            plan = "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + str(compiled), compiled.params))
    assert "ix_articles_search_text_trgm" in plan, plan


def test_an_article_dated_in_the_future_is_refused(client, auth, runner):
    runner.invoke(args=["content", "sync"])
    body = {
        "slug": "future-news",
        "title": "明年的示范区动态",
        "summary": "一篇日期在将来的文章。",
        "category": "policy",
        "published_on": (date.today() + timedelta(days=40)).isoformat(),
        "body_markdown": "内容。",
    }
    response = client.post("/api/admin/v1/articles", json=body, headers=auth.staff("institute_staff"))
    assert "published_on" in assert_error(response, 422, "validation_error")["details"]


def test_a_line_break_between_chinese_characters_is_no_gap(tmp_path):
    """Markdown keeps a paragraph's line breaks; a browser shows each as a space."""
    from app.knowledge.content import render

    html, _, _ = render("可再生能源、\n林业碳汇", tmp_path / "a.md", tmp_path)
    assert "可再生能源、林业碳汇" in html


def test_a_line_break_between_latin_words_stays_a_space(tmp_path):
    from app.knowledge.content import render

    html, _, _ = render("carbon\nneutral", tmp_path / "a.md", tmp_path)
    assert "carbon\nneutral" in html


def test_a_code_block_keeps_its_line_breaks(tmp_path):
    from app.knowledge.content import render

    html, _, _ = render("```\n第一行\n第二行\n```", tmp_path / "a.md", tmp_path)
    assert "第一行\n第二行" in html
