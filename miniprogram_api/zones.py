from __future__ import annotations

from app.extensions import db
from app.progress import opendata as progress_opendata
from app.progress import updates
from app.progress.schemas import UpdateOut
from app.validation import PageArgs
from app.web.api import Blueprint, page_of, paginate
from app.web.caching import cached_response, json_bytes
from app.zones import opendata, registry
from app.zones.schemas import ZoneCardOut, ZoneDetailOut, ZoneListArgs

PATH = ""
blp = Blueprint("mp_zones", __name__, description="示范区项目")

JSON = "application/json"


@blp.get("/zones")
@blp.arguments(ZoneListArgs, location="query")
@blp.response(200, page_of(ZoneCardOut))
def list_zones(args):
    """示范区列表（仅公示及以后的项目）"""
    filters = registry.resolve_filters(
        registry.ZoneFilters(**{k: v for k, v in args.items() if k not in ("page", "per_page")})
    )

    def build():
        page = paginate(db.session, registry.zones_query(filters, public=True), args["page"], args["per_page"])
        return json_bytes(page_of(ZoneCardOut)().dump(page)), JSON

    return cached_response(registry.CACHE_NAMESPACE, build, args=args)


@blp.get("/zones/<int:zone_id>")
@blp.response(200, ZoneDetailOut)
def get_zone(zone_id):
    """示范区详情：指标变化、时间线、复核记录、是否宣传教育基地"""

    def build():
        zone = registry.get_zone(zone_id, public=True, with_history=True)
        return json_bytes(ZoneDetailOut().dump(zone)), JSON

    return cached_response(registry.CACHE_NAMESPACE, build)


UpdatePage = page_of(UpdateOut)


@blp.get("/zones/<int:zone_id>/updates")
@blp.arguments(PageArgs, location="query")
@blp.response(200, UpdatePage)
def zone_updates(args, zone_id):
    """示范区动态（新的在前）：审核通过的季度进展摘要、完成的里程碑、状态变更、复核"""

    def build():
        page = updates.zone_updates(zone_id, args["page"], args["per_page"])
        return json_bytes(UpdatePage().dump(page)), JSON

    # Transitions and re-reviews bump the zones namespace too, so one namespace keeps these current.
    return cached_response(registry.CACHE_NAMESPACE, build, args=args)


@blp.get("/opendata/zones.csv")
@blp.response(200, description="CSV（UTF-8，前两行为许可与生成时间注释）")
def zones_csv():
    """开放数据：公示及以后的示范区（CSV）"""

    def build():
        return opendata.zones_csv(), "text/csv"

    return cached_response(
        registry.CACHE_NAMESPACE, build, headers={"Content-Disposition": "attachment; filename=changchun-zones.csv"}
    )


@blp.get("/opendata/zones.geojson")
@blp.response(200, description="GeoJSON FeatureCollection（GCJ-02）")
def zones_geojson():
    """开放数据：公示及以后的示范区（GeoJSON）"""

    def build():
        return opendata.zones_geojson(), "application/geo+json"

    return cached_response(registry.CACHE_NAMESPACE, build)


@blp.get("/opendata/indicators.csv")
@blp.response(200, description="CSV（UTF-8，前两行为许可与生成时间注释）：zone, year, indicator, value, unit, verified")
def indicators_csv():
    """开放数据：公示及以后的示范区的指标（基准值、目标值与经审核的年度核实值）"""

    def build():
        return progress_opendata.indicators_csv(), "text/csv"

    return cached_response(
        registry.CACHE_NAMESPACE,
        build,
        headers={"Content-Disposition": "attachment; filename=changchun-zone-indicators.csv"},
    )
