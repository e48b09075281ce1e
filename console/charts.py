"""Charts drawn on the server as inline SVG: nothing to download, readable without JavaScript, each
with a text alternative (role="img" and a title) and the figures printed on the bars."""

from __future__ import annotations

from markupsafe import Markup, escape

PALETTE = ("#1b7f5a", "#2f6fb3", "#c77c02", "#8e44ad", "#c0392b", "#16a085", "#7f8c8d")
# A zone status keeps its colour wherever it is drawn (bars, tags): good ends green, bad ends red,
# revoked grey, the steps on the way blue and amber; never by position (each dark enough for white text).
STATUS_COLOURS = {
    "applied": "#2f6fb3",
    "expert_review": "#2f6fb3",
    "site_check": "#2f6fb3",
    "publicity": "#a15c00",
    "confirmed": "#0e7c66",
    "acceptance_review": "#7d3c98",
    "titled": "#1b7f5a",
    "rejected": "#b03a2e",
    "revoked": "#5f6b6d",
}


LABEL_CHARS = 9  # characters of a bar's label on one line (13 px text in the 120 px beside the bars)
LINE = 15  # px between a label's lines


def label_lines(label: str, per_line: int = LABEL_CHARS) -> list[str]:
    """A bar's label in lines that fit beside the bars, whole: a long one is wrapped (before a bracket
    where it has one: 「步行上学」「（代替乘私家车）」), never cut, so labels that differ only at
    their start stay distinguishable."""
    pieces = [label] if "（" not in label[1:] else [label[: label.index("（", 1)], label[label.index("（", 1) :]]
    lines = []
    for piece in pieces:
        lines.extend(piece[i : i + per_line] for i in range(0, len(piece), per_line))
    return lines or [""]


def bar_chart(
    title: str, items: list[tuple[str, float]], unit: str = "", *, width: int = 420, colours: list[str] | None = None
) -> Markup:
    """Horizontal bars, one per item, longest first as given; `colours` per item, else the palette in turn.
    A label too long for one line is wrapped over several (its row grows), never cut off."""
    caption = f'<figcaption class="chart-title">{escape(title)}</figcaption>'  # seen, not only read aloud
    if not items:
        return Markup(f'<figure class="chart-box">{caption}<p class="empty">暂无数据</p></figure>')  # noqa: S704 (escaped)
    row, label_w, pad = 26, 120, 8
    wrapped = [label_lines(label) for label, _ in items]
    rows = [max(row, LINE * len(lines) + 11) for lines in wrapped]
    height = sum(rows) + pad * 2
    biggest = max(value for _, value in items) or 1
    bars_w = width - label_w - 70
    parts = [
        f'<figure class="chart-box">{caption}<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    y = pad
    for index, (label, value) in enumerate(items):
        h, lines = rows[index], wrapped[index]
        w = max(2, int(bars_w * value / biggest)) if value else 0
        shown = f"{value:,.1f}" if isinstance(value, float) and not value.is_integer() else f"{int(value):,}"
        middle = y + h / 2 + 5  # the baseline of text centred on the row
        first = middle - LINE * (len(lines) - 1) / 2
        if len(lines) == 1:
            parts.append(
                f'<text x="{label_w - 6}" y="{middle:g}" text-anchor="end" class="label">{escape(label)}</text>'
            )
        else:
            spans = "".join(
                f'<tspan x="{label_w - 6}" y="{first + LINE * i:g}">{escape(line)}</tspan>'
                for i, line in enumerate(lines)
            )
            parts.append(f'<text text-anchor="end" class="label">{spans}</text>')
        parts.append(
            f'<rect x="{label_w}" y="{y + (h - row) / 2 + 4:g}" width="{w}" height="{row - 8}" rx="3" '
            f'fill="{colours[index] if colours else PALETTE[index % len(PALETTE)]}"><title>{escape(label)}：{shown}{escape(unit)}</title></rect>'
        )
        parts.append(f'<text x="{label_w + w + 6}" y="{middle:g}" class="value">{shown}{escape(unit)}</text>')
        y += h
    parts.append("</svg></figure>")
    return Markup("".join(parts))  # noqa: S704 (every text escaped above)


def matrix(title: str, rows: list[str], columns: list[str], cells: dict[tuple[str, str], int]) -> Markup:
    """A table shaded by value (zones by type × level): a chart that is also a table."""
    biggest = max(cells.values(), default=0) or 1
    head = "".join(f'<th scope="col">{escape(c)}</th>' for c in columns)
    body = []
    for r in rows:
        tds = []
        for c in columns:
            n = cells.get((r, c), 0)
            alpha = 0.08 + 0.8 * n / biggest if n else 0
            tds.append(
                f'<td style="background: rgba(27,127,90,{alpha:.2f}); color: {"#fff" if alpha > 0.5 else "#1d2a24"}">{n}</td>'
            )
        body.append(f'<tr><th scope="row">{escape(r)}</th>{"".join(tds)}</tr>')
    html = f'<table class="matrix"><caption>{escape(title)}</caption><thead><tr><th></th>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
    return Markup(html)  # noqa: S704 (every text escaped above)


def _figure(value: float) -> str:
    return f"{value:,.1f}" if not float(value).is_integer() else f"{int(value):,}"


def series_chart(
    title: str,
    unit: str,
    points: list[tuple[int, float]],
    baseline: tuple[int, float] | None = None,
    target: tuple[int, float] | None = None,
    *,
    width: int = 480,
    height: int = 240,
) -> Markup:
    """A yearly series as points joined by a line, with the baseline and the target marked and the
    straight path from one to the other dashed (what "on track" is measured against); every figure is
    printed beside its point. Values start at zero on the vertical axis: a drop is not exaggerated."""
    caption = f'<figcaption class="chart-title">{escape(title)}</figcaption>'
    marks = [*points, *([baseline] if baseline else []), *([target] if target else [])]
    if not marks:
        return Markup(f'<figure class="chart-box">{caption}<p class="empty">暂无数据</p></figure>')  # noqa: S704 (escaped)
    left, right, top, bottom = 64, 72, 28, 34
    first, last = min(y for y, _ in marks), max(y for y, _ in marks)
    span = max(last - first, 1)
    highest = max(v for _, v in marks) * 1.15 or 1

    def x(year: int) -> float:
        return left + (width - left - right) * (year - first) / span

    def y(value: float) -> float:
        return top + (height - top - bottom) * (1 - value / highest)

    parts = [
        f'<figure class="chart-box">{caption}<svg class="chart series" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-label="{escape(title)}（{escape(unit)}）"><title>{escape(title)}（{escape(unit)}）</title>',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" stroke="#8a9a92"/>',
        f'<text x="4" y="14" class="label">{escape(unit)}</text>',
    ]
    for year in range(first, last + 1):
        parts.append(f'<text x="{x(year):.1f}" y="{height - 12}" text-anchor="middle" class="label">{year}</text>')
    if baseline and target:
        parts.append(
            f'<line class="path" x1="{x(baseline[0]):.1f}" y1="{y(baseline[1]):.1f}" x2="{x(target[0]):.1f}" '
            f'y2="{y(target[1]):.1f}" stroke="#7f8c8d" stroke-dasharray="5 4"><title>基准到目标的计划路径</title></line>'
        )
    for name, mark, colour in (("基准", baseline, "#5f6b6d"), ("目标", target, "#c77c02")):
        if mark:
            shown = f"{name} {mark[0]}：{_figure(mark[1])}{unit}"
            parts.append(
                f'<rect class="{"baseline" if name == "基准" else "target"}" x="{x(mark[0]) - 5:.1f}" '
                f'y="{y(mark[1]) - 5:.1f}" width="10" height="10" fill="{colour}"><title>{escape(shown)}</title></rect>'
                f'<text x="{x(mark[0]):.1f}" y="{y(mark[1]) - 9:.1f}" text-anchor="middle" class="value">'
                f"{escape(name)} {_figure(mark[1])}</text>"
            )
    if len(points) > 1:
        path = " ".join(f"{x(year):.1f},{y(value):.1f}" for year, value in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{PALETTE[0]}" stroke-width="2"/>')
    for year, value in points:
        shown = f"{year} 年核实值：{_figure(value)}{unit}"
        parts.append(
            f'<circle class="verified" data-year="{year}" data-value="{value}" cx="{x(year):.1f}" cy="{y(value):.1f}" '
            f'r="5" fill="{PALETTE[0]}"><title>{escape(shown)}</title></circle>'
            f'<text x="{x(year) + 8:.1f}" y="{y(value) + 16:.1f}" class="value">{_figure(value)}</text>'
        )
    parts.append("</svg></figure>")
    return Markup("".join(parts))  # noqa: S704 (every text escaped above)
