"""A stand-in for the connector's status page (`http://<asterisk>:8077/status`) for the tests of
`status --enabled`: Python's http.server in a thread, answering the JSON the connector's docs show
(docs.itgrix.com, "Status monitoring"), behind HTTP digest auth (RFC 2617, MD5, qop=auth) as the
real page is, when a login is set."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

NAMES = (
    "customize_activity",
    "customize_attach_record_url",
    "customize_autodistribution",
    "customize_entity",
    "customize_show_call_card",
    "need_registration",
    "post_registration",
    "process_client_phone",
    "process_final_params",
    "process_originate_params",
    "process_record_file_path",
    "process_registration_params",
    "process_task_creation_params",
    "process_user_phone",
)


def page(on: set[str], enabled: bool = True) -> dict[str, Any]:
    """The page as the docs' example has it (the parts a status check reads, and some others)."""
    return {
        "app": {
            "c2c": {"connected": True, "on": True, "portal": "", "stayon": False, "url": ""},
            "calls_queue": {"calls": 0, "lock": "locked in 384ns"},
            "calls_storage": {"calls": 2},
            "crm": {
                "host": "clinic-almaty.bitrix24.kz",
                "on": True,
                "users_cache": {"last_updated": "2026-11-24 13:03:55.485 +05:00", "phones": 39, "users": 120},
            },
            "crm_type": "bitrix",
            "customizer": {"enabled": enabled, "methods": {name: name in on for name in NAMES}},
            "version": "3.13.2",
        },
        "system": {"hostname": "pbx-алматы", "uptime": "12d 3h"},
    }


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


class StatusPage:
    def __init__(self, body: Any, login: tuple[str, str] | None = None, status: int = 200):
        self.body = body
        self.login = login
        self.status = status
        self.realm = "itgrix admin"
        self.nonces: set[str] = set()
        self.requests: list[str] = []  # each request's Authorization header ("" without)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests.append(self.headers.get("Authorization", ""))
                if outer.login is not None and not outer.authorised(self.headers.get("Authorization", ""), self.path):
                    nonce = secrets.token_hex(16)
                    outer.nonces.add(nonce)
                    self.send_response(401)
                    self.send_header(
                        "WWW-Authenticate", f'Digest realm="{outer.realm}", nonce="{nonce}", qop="auth", algorithm=MD5'
                    )
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                data = outer.body if isinstance(outer.body, bytes) else json.dumps(outer.body).encode("utf-8")
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/status"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def authorised(self, header: str, path: str) -> bool:
        if not header.startswith("Digest ") or self.login is None:
            return False
        fields = {k: a or b for k, a, b in re.findall(r'(\w+)=(?:"([^"]*)"|([^\s,]*))', header[7:])}
        user, password = self.login
        if fields.get("username") != user or fields.get("nonce") not in self.nonces or fields.get("uri") != path:
            return False
        ha1 = _md5(f"{user}:{self.realm}:{password}")
        ha2 = _md5(f"GET:{path}")
        want = _md5(f"{ha1}:{fields['nonce']}:{fields.get('nc', '')}:{fields.get('cnonce', '')}:auth:{ha2}")
        return fields.get("qop") == "auth" and fields.get("response") == want

    def __enter__(self) -> StatusPage:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
