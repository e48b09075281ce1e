"""The bundled fake WeChat API server: `flask --app app wechat fake --port N`.

It answers WeChat's own paths so the real wechatpy client talks to it over HTTP, in development,
tests and staging. Behaviour is driven by the inputs, as documented in the README:

jscode2session (`/sns/jscode2session`), by `js_code`:
  - `invalid…`       → 40029 invalid code
  - `used…`          → 40163 code been used (any code sent a second time gets it too)
  - `ratelimit…`     → 45011 API minute-quota reached
  - `busy…`          → -1 system busy
  - anything else    → success; the part before the first `:` names the user, so `alice:1` and
                       `alice:2` are two fresh codes of the same WeChat user (openid `o_fake_alice`);
                       users whose name starts with `union` also get a unionid.
getuserphonenumber (`/wxa/business/getuserphonenumber`), by `code`:
  - `phone:<11 digits>` → that number; anything else → 40029.
msg_sec_check (`/wxa/msg_sec_check`), by content:
  - contains `违禁` (RISKY_MARKER) → suggest `risky` (v2) or errcode 87014 (v1)
  - contains `待审` (REVIEW_MARKER) → suggest `review`
img_sec_check (`/wxa/img_sec_check`): an image whose top-left pixel is pure magenta (`risky_png()`) → 87014.
subscribe-message send: recorded; a `touser` containing `refuse` gets 43101 (user refused).
getwxacodeunlimit: a real PNG (a QR code of the scene).

Control endpoints for tests (never part of WeChat): `GET /__fake__/state`, `POST /__fake__/reset`,
`GET /__fake__/export` and `POST /__fake__/restore` (the whole state, out and back in),
`POST /__fake__/invalidate-tokens` (the next calls get 40001), `POST /__fake__/config`
(`{"token_always_invalid": true}` makes every token check fail, `{"token_fetch_delay": 0.2}` slows
token fetches to widen races or, made long, hangs them; `{"call_delay": 2}` slows every other call;
`{"messages_down": true}` makes subscribe sends fail with -1, WeChat's "system busy", until reset).
"""

from __future__ import annotations

import io
import json
import secrets
import threading
import time
from typing import Any

import qrcode
import qrcode.image.pure
from flask import Flask, Response, jsonify, request

RISKY_MARKER = "违禁"
REVIEW_MARKER = "待审"
# In the pixels, not the bytes: uploads are re-encoded without their metadata before WeChat sees them.
RISKY_IMAGE_PIXEL = (255, 0, 255)


class FakeWeChatState:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.valid_tokens: dict[str, float] = {}
        self.token_fetches = 0
        self.used_codes: set[str] = set()
        self.sent_messages: list[dict[str, Any]] = []
        self.content_checks: list[dict[str, Any]] = []
        self.wxacodes: list[dict[str, Any]] = []
        self.token_always_invalid = False
        self.token_fetch_delay = 0.0
        self.call_delay = 0.0
        self.messages_down = False  # subscribe sends answer -1 (WeChat's "system busy"): a transient failure
        self.token_expires_in = 7200

    _EXPORTED = (
        "valid_tokens",
        "token_fetches",
        "used_codes",
        "sent_messages",
        "content_checks",
        "wxacodes",
        "token_always_invalid",
        "token_fetch_delay",
        "call_delay",
        "messages_down",
        "token_expires_in",
    )

    def export(self) -> dict[str, Any]:
        """Everything, to be put back by `restore` (tests keep built data with it: tests/kept.py)."""
        exported = {name: getattr(self, name) for name in self._EXPORTED}
        return json.loads(json.dumps({**exported, "used_codes": sorted(self.used_codes)}))

    def restore(self, exported: dict[str, Any]) -> None:
        self.reset()
        for name in self._EXPORTED:
            setattr(self, name, exported[name])
        self.used_codes = set(exported["used_codes"])

    def snapshot(self) -> dict[str, Any]:
        return {
            "token_fetches": self.token_fetches,
            "valid_tokens": len(self.valid_tokens),
            "sent_messages": list(self.sent_messages),
            "content_checks": list(self.content_checks),
            "wxacodes": list(self.wxacodes),
        }


def _error(errcode: int, errmsg: str) -> Response:
    return jsonify({"errcode": errcode, "errmsg": errmsg})


def _body() -> dict[str, Any]:
    # wechatpy posts JSON without a Content-Type header.
    try:
        data = json.loads(request.get_data(as_text=True) or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def png_qr(text: str) -> bytes:
    image = qrcode.make(text, image_factory=qrcode.image.pure.PyPNGImage, box_size=6, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


def risky_png() -> bytes:
    """An image the fake's img_sec_check calls risky."""
    from PIL import Image

    image = Image.new("RGB", (32, 32), "white")
    image.putpixel((0, 0), RISKY_IMAGE_PIXEL)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _image_is_risky(content: bytes) -> bool:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(content)) as image:
            return image.convert("RGB").getpixel((0, 0)) == RISKY_IMAGE_PIXEL
    except Exception:  # noqa: BLE001 - not an image: WeChat has nothing to call risky
        return False


def create_fake_wechat_app(state: FakeWeChatState | None = None) -> Flask:
    app = Flask("fake_wechat")
    state = state or FakeWeChatState()
    app.extensions["fake_wechat_state"] = state

    def token_ok() -> bool:
        token = request.args.get("access_token", "")
        with state.lock:
            if state.token_always_invalid:
                return False
            expires = state.valid_tokens.get(token)
            return expires is not None and expires > time.time()

    @app.before_request
    def slow_calls():
        # A slow or hanging WeChat, for the fault tests (token paths have their own delay).
        if state.call_delay and not request.path.startswith(("/__fake__", "/cgi-bin/token", "/cgi-bin/stable_token")):
            time.sleep(state.call_delay)

    def issue_token(invalidate_previous: bool) -> Response:
        with state.lock:
            if invalidate_previous:
                # Like WeChat's /cgi-bin/token: a new token replaces the old one.
                state.valid_tokens.clear()
            token = "fake-token-" + secrets.token_hex(12)
            state.valid_tokens[token] = time.time() + state.token_expires_in
        return jsonify({"access_token": token, "expires_in": state.token_expires_in})

    @app.get("/cgi-bin/token")
    def token():
        if not request.args.get("appid") or not request.args.get("secret"):
            return _error(41002, "appid missing")
        if request.args.get("secret") == "wrong-secret":
            return _error(40125, "invalid appsecret")
        if state.token_fetch_delay:
            time.sleep(state.token_fetch_delay)
        with state.lock:
            state.token_fetches += 1
        return issue_token(invalidate_previous=True)

    @app.post("/cgi-bin/stable_token")
    def stable_token():
        if state.token_fetch_delay:
            time.sleep(state.token_fetch_delay)
        with state.lock:
            state.token_fetches += 1
            live = [t for t, exp in state.valid_tokens.items() if exp > time.time()]
        if live and not _body().get("force_refresh"):
            return jsonify({"access_token": live[-1], "expires_in": state.token_expires_in})
        return issue_token(invalidate_previous=False)

    @app.get("/sns/jscode2session")
    def jscode2session():
        code = request.args.get("js_code", "")
        if not code or code.startswith("invalid"):
            return _error(40029, "invalid code")
        if code.startswith("ratelimit"):
            return _error(45011, "api minute-quota reach limit  mustslower  retry next minute")
        if code.startswith("busy"):
            return _error(-1, "system error")
        with state.lock:
            if code.startswith("used") or code in state.used_codes:
                return _error(40163, "code been used")
            state.used_codes.add(code)
        user = code.split(":", 1)[0][:40]
        answer = {"openid": f"o_fake_{user}", "session_key": secrets.token_hex(12)}
        if user.startswith("union"):
            answer["unionid"] = f"u_fake_{user}"
        return jsonify(answer)

    @app.post("/wxa/business/getuserphonenumber")
    def phone_number():
        if not token_ok():
            return _error(40001, "invalid credential, access_token is invalid or not latest")
        code = str(_body().get("code", ""))
        number = code.removeprefix("phone:")
        if not code.startswith("phone:") or not (number.isdigit() and len(number) == 11):
            return _error(40029, "invalid code")
        return jsonify(
            {
                "errcode": 0,
                "errmsg": "ok",
                "phone_info": {
                    "phoneNumber": number,
                    "purePhoneNumber": number,
                    "countryCode": "86",
                    "watermark": {"timestamp": int(time.time()), "appid": "fake"},
                },
            }
        )

    @app.post("/wxa/msg_sec_check")
    def msg_sec_check():
        if not token_ok():
            return _error(40001, "invalid credential, access_token is invalid or not latest")
        body = _body()
        content = str(body.get("content", ""))
        suggest = "risky" if RISKY_MARKER in content else "review" if REVIEW_MARKER in content else "pass"
        with state.lock:
            state.content_checks.append({"content": content, "suggest": suggest, **body})
        if str(body.get("version")) != "2":
            if suggest == "risky":
                return _error(87014, "risky content")
            return _error(0, "ok")
        label = {"pass": 100, "review": 20001, "risky": 20002}[suggest]
        return jsonify(
            {
                "errcode": 0,
                "errmsg": "ok",
                "result": {"suggest": suggest, "label": label},
                "detail": [{"strategy": "content_model", "errcode": 0, "suggest": suggest, "label": label}],
                "trace_id": secrets.token_hex(8),
            }
        )

    @app.post("/wxa/img_sec_check")
    def img_sec_check():
        if not token_ok():
            return _error(40001, "invalid credential, access_token is invalid or not latest")
        media = request.files.get("media")
        if media is None:
            return _error(41005, "media data missing")
        content = media.read()
        with state.lock:
            state.content_checks.append({"image_bytes": len(content)})
        if _image_is_risky(content):
            return _error(87014, "risky content")
        return _error(0, "ok")

    @app.post("/cgi-bin/message/subscribe/send")
    def subscribe_send():
        if not token_ok():
            return _error(40001, "invalid credential, access_token is invalid or not latest")
        body = _body()
        if state.messages_down:
            return _error(-1, "system error")
        if "refuse" in str(body.get("touser", "")):
            return _error(43101, "user refuse to accept the msg")
        if not body.get("touser") or not body.get("template_id"):
            return _error(47003, "argument invalid")
        with state.lock:
            state.sent_messages.append(body)
        return _error(0, "ok")

    @app.post("/wxa/getwxacodeunlimit")
    def wxacode_unlimit():
        if not token_ok():
            return _error(40001, "invalid credential, access_token is invalid or not latest")
        body = _body()
        scene = str(body.get("scene", ""))
        if not scene or len(scene) > 32:
            return _error(40169, "invalid length for scene")
        with state.lock:
            state.wxacodes.append(body)
        return Response(png_qr(f"{body.get('page') or ''}?scene={scene}"), mimetype="image/png")

    # ---- control endpoints for tests -------------------------------------------------------

    @app.get("/__fake__/state")
    def fake_state():
        with state.lock:
            return jsonify(state.snapshot())

    @app.post("/__fake__/reset")
    def fake_reset():
        with state.lock:
            state.reset()
        return jsonify({"ok": True})

    @app.get("/__fake__/export")
    def fake_export():
        with state.lock:
            return jsonify(state.export())

    @app.post("/__fake__/restore")
    def fake_restore():
        with state.lock:
            state.restore(request.get_json(force=True))
        return jsonify({"ok": True})

    @app.post("/__fake__/invalidate-tokens")
    def fake_invalidate():
        with state.lock:
            state.valid_tokens.clear()
        return jsonify({"ok": True})

    @app.post("/__fake__/config")
    def fake_config():
        body = request.get_json(force=True, silent=True) or {}
        with state.lock:
            if "token_always_invalid" in body:
                state.token_always_invalid = bool(body["token_always_invalid"])
            if "token_fetch_delay" in body:
                state.token_fetch_delay = float(body["token_fetch_delay"])
            if "call_delay" in body:
                state.call_delay = float(body["call_delay"])
            if "token_expires_in" in body:
                state.token_expires_in = int(body["token_expires_in"])
            if "messages_down" in body:
                state.messages_down = bool(body["messages_down"])
        return jsonify({"ok": True})

    return app
