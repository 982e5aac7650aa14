"""Real logs for the demo, offline: a small web application served by Python's ``http.server`` on the loopback
interface and driven by a seeded client (survey section 5.2: logs with ground-truth templates).

No log data set ships with an installed package (loghub's samples are research-only and are not redistributed), so
the demo records the logs of a real server handling real requests: static pages, a JSON API, a search endpoint and
a login form whose user names are e-mail addresses (as real access logs leak them), with missing pages (404) and
unsupported methods (501) answered by ``http.server`` itself. Clients stand behind a proxy: the address logged is
``X-Forwarded-For``, drawn from the documentation ranges (RFC 5737). Each message's ground-truth template is the
format string of the logging call that wrote it, with every argument as ``<*>``; its variables are the arguments.
Timestamps come from a seeded clock so that a run is reproducible.
"""
from __future__ import annotations

import http.client
import json
import random
import tempfile
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

PAGES = {"index.html": "<h1>Shop</h1>", "about.html": "<p>About us</p>", "static/app.js": "console.log(1);",
         "static/style.css": "body{margin:0}", "docs/guide.txt": "How to order.\n" * 20}
NAMES = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "oscar")
DOMAINS = ("example.com", "example.org", "mail.example.net")
TERMS = ("shoes", "red hat", "laptop", "coffee", "gift card", "desk lamp", "socks")
MISSING = ("/favicon.ico", "/wp-login.php", "/old/catalog.html", "/robots.txt", "/.env")


@dataclass
class _Clock:
    now: datetime
    rng: random.Random

    def tick(self) -> datetime:
        self.now += timedelta(milliseconds=self.rng.randint(20, 4000))
        return self.now


def _placeholder_template(fmt: str) -> str:
    """The format string's template: every %-argument becomes <*> (a literal %% stays %)."""
    out, i = [], 0
    while i < len(fmt):
        if fmt[i] == "%" and i + 1 < len(fmt):
            if fmt[i + 1] == "%":
                out.append("%")
                i += 2
                continue
            j = i + 1
            while j < len(fmt) and fmt[j] not in "sdrfgix":
                j += 1
            out.append("<*>")
            i = j + 1
            continue
        out.append(fmt[i])
        i += 1
    return "".join(out)


def record_logs(n_requests: int = 600, seed: int = 0) -> list[dict[str, Any]]:
    """Serve ``n_requests`` seeded requests and return the log records written meanwhile, in order:
    {Date, Time, Level, Component, Content, EventTemplate, variables}."""
    rng = random.Random(seed)
    clock = _Clock(datetime(2026, 12, 1, 9, 0, 0), random.Random(seed + 1))
    records: list[dict[str, Any]] = []
    lock = threading.Lock()

    def log(level: str, component: str, fmt: str, *args: Any) -> None:
        with lock:
            t = clock.tick()
            records.append({"Date": t.strftime("%Y-%m-%d"), "Time": t.strftime("%H:%M:%S,%f")[:-3], "Level": level,
                            "Component": component, "Content": fmt % args, "EventTemplate": _placeholder_template(fmt),
                            "variables": [str(a) for a in args]})

    with tempfile.TemporaryDirectory(prefix="synthaudit-webapp-") as root:
        for name, text in PAGES.items():
            (Path(root) / name).parent.mkdir(parents=True, exist_ok=True)
            (Path(root) / name).write_text(text, encoding="utf-8")
        handler = _handler(root, log, rng)
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        try:
            clients = [f"{net}.{rng.randint(1, 254)}" for net in ("192.0.2", "198.51.100", "203.0.113")
                       for _ in range(14)]
            port = server.server_address[1]
            for _ in range(n_requests):
                method, path = _request(rng)
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                try:
                    body = json.dumps({"name": rng.choice(TERMS)}) if method == "POST" else None
                    conn.request(method, path, body=body, headers={"X-Forwarded-For": rng.choice(clients)})
                    conn.getresponse().read()
                finally:
                    conn.close()
        finally:
            server.shutdown()
            server.server_close()
    return records


def _request(rng: random.Random) -> tuple[str, str]:
    r = rng.random()
    if r < 0.30:
        return "GET", "/" + rng.choice(list(PAGES))
    if r < 0.50:
        return "GET", f"/api/items/{rng.randint(1, 400)}"
    if r < 0.62:
        return "GET", "/search?q=" + rng.choice(TERMS).replace(" ", "+")
    if r < 0.77:
        user = f"{rng.choice(NAMES)}{rng.randint(1, 99)}@{rng.choice(DOMAINS)}"
        return "GET", f"/login?user={user}&ok={int(rng.random() < 0.8)}"
    if r < 0.90:
        return "GET", rng.choice(MISSING)
    return "POST", "/api/items"


def _handler(root: str, log, rng: random.Random) -> type:
    class Handler(SimpleHTTPRequestHandler):
        server_version = "ShopServer/1.0"

        def __init__(self, *a: Any, **kw: Any) -> None:
            super().__init__(*a, directory=root, **kw)

        def address_string(self) -> str:  # behind a proxy: the client is X-Forwarded-For
            return self.headers.get("X-Forwarded-For") or self.client_address[0]

        def log_request(self, code: Any = "-", size: Any = "-") -> None:
            code = getattr(code, "value", code)
            log("INFO", "http.access", '%s "%s %s" %s %s', self.address_string(), self.command,
                urlsplit(self.path).path, code, size)

        def log_error(self, format: str, *args: Any) -> None:
            # http.server calls log_error("code %d, message %s", code, message): the message is one of its constant
            # texts (File not found, Unsupported method ('POST')), static in the template as in loghub's ground truth
            if format == "code %d, message %s" and len(args) == 2:
                format, args = "code %d, message " + str(args[1]).replace("%", "%%"), args[:1]
            log("WARN", "http.server", "%s " + format, self.address_string(), *args)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            if url.path.startswith("/api/items/"):
                item = url.path.rsplit("/", 1)[-1]
                found = int(item) % 9 != 0
                if found:
                    log("INFO", "shop.api", "served item %s to %s in %d ms", item, self.address_string(),
                        rng.randint(2, 180))
                else:
                    log("ERROR", "shop.api", "item %s not found in catalog shard %d", item, int(item) % 4)
                self._reply(200 if found else 404, {"item": item})
            elif url.path == "/search":
                term = query.get("q", [""])[0]
                hits = len(term) * 3 % 17
                log("DEBUG" if hits else "WARN", "shop.search", "query %s returned %d results", term.replace(" ", "_"),
                    hits)
                self._reply(200, {"hits": hits})
            elif url.path == "/login":
                user, ok = query.get("user", [""])[0], query.get("ok", ["0"])[0] == "1"
                if ok:
                    log("INFO", "shop.auth", "user %s logged in from %s", user, self.address_string())
                else:
                    log("WARN", "shop.auth", "login failed for user %s from %s: %s", user, self.address_string(),
                        "bad_password")
                self._reply(200 if ok else 401, {"ok": ok})
            else:
                super().do_GET()

        def _reply(self, code: int, payload: dict) -> None:
            body = json.dumps(payload).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler
