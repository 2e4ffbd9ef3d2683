"""deploy/nginx: the Galileo guide's reverse proxy (TLS, /api/ rewrite, unbuffered SSE) for all."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from starlette.routing import compile_path

from . import compose
from .catalog import DEPLOY, SERVICES

NGINX = DEPLOY / "nginx"
CONFIG = NGINX / "nginx.conf"


@dataclass
class Block:
    name: str
    args: str
    directives: list[tuple[str, str]] = field(default_factory=list)
    children: list[Block] = field(default_factory=list)

    def all(self, directive: str) -> list[str]:
        return [args for name, args in self.directives if name == directive]

    def blocks(self, name: str) -> list[Block]:
        return [child for child in self.children if child.name == name]


def parse(text: str) -> Block:
    """Enough of nginx's grammar for its config files: directives, blocks, comments, quotes."""
    tokens = re.findall(r"#[^\n]*|'[^']*'|\"[^\"]*\"|[{};]|[^\s{};]+", text)
    root = Block("main", "")
    stack, words = [root], []
    for token in tokens:
        if token.startswith("#"):
            continue
        if token == "{":
            block = Block(words[0], " ".join(words[1:]))
            stack[-1].children.append(block)
            stack.append(block)
            words = []
        elif token == ";":
            stack[-1].directives.append((words[0], " ".join(words[1:])))
            words = []
        elif token == "}":
            assert not words, f"unterminated directive {words}"
            stack.pop()
        else:
            words.append(token)
    assert len(stack) == 1 and not words, "unbalanced braces"
    return root


def resolved(block: Block, directive: str) -> list[str]:
    """A directive's values in a block, with its `include`d snippets read in."""
    values = block.all(directive)
    for include in block.all("include"):
        if include.startswith("/etc/nginx/snippets/"):
            snippet = parse((NGINX / "snippets" / include.rsplit("/", 1)[1]).read_text())
            values += snippet.all(directive)
    return values


def http() -> Block:
    (block,) = parse(CONFIG.read_text()).blocks("http")
    return block


def servers() -> dict[str, Block]:
    found = {}
    for server in http().blocks("server"):
        found[server.all("server_name")[0]] = server
    return found


def location(server: Block, args: str) -> Block:
    (block,) = [b for b in server.blocks("location") if b.args == args]
    return block


def nginx_rewrite(rule: str, uri: str) -> str | None:
    pattern, replacement, _flag = rule.split()
    match = re.match(pattern, uri)
    return re.sub(r"\$(\d)", lambda m: match[int(m[1])], replacement) if match else None


def test_includes_exist_and_compose_mounts_them() -> None:
    includes = [
        arg for s in servers().values() for b in [s, *s.children] for arg in b.all("include")
    ]
    assert includes
    nginx = compose.load(compose.PROD)["services"]["nginx"]
    mounted = {target: source for source, target, _ro in compose.mounts(nginx)}
    assert mounted["/etc/nginx/nginx.conf"] == "./nginx/nginx.conf"
    for include in includes:
        directory, name = include.rsplit("/", 1)
        assert mounted[directory] == "./nginx/snippets" and (NGINX / "snippets" / name).is_file()


def test_plain_http_redirects_to_https() -> None:
    redirect = [s for s in http().blocks("server") if s.all("listen") == ["80 default_server"]]
    assert redirect and redirect[0].all("return") == ["301 https://$host$request_uri"]


def test_one_tls_server_per_service_proxying_to_its_upstream() -> None:
    upstreams = {
        block.args: block.all("server")[0].split()[0] for block in http().blocks("upstream")
    }
    prod_services = compose.load(compose.PROD)["services"]
    by_upstream = {}
    for name, server in servers().items():
        if name == "_":
            continue
        assert server.all("listen") == ["443 ssl"]
        assert resolved(server, "ssl_certificate") == ["/etc/nginx/certs/fullchain.pem"]
        root = location(server, "/")
        (target,) = root.all("proxy_pass")
        by_upstream[target.removeprefix("http://")] = name
    assert set(by_upstream) == {s.name for s in SERVICES}
    for upstream, address in upstreams.items():
        host, port = address.split(":")
        assert host == upstream and host in prod_services and port == "8000"


def test_galileo_api_rewrite_reaches_the_real_routes() -> None:
    from galileo_arena.datasets.router import router as datasets
    from galileo_arena.runs.router import router as runs

    api = location(servers()["galileo.example.com"], "/api/")
    (rule,) = api.all("rewrite")
    assert rule == "^/api/(.*) /$1 break"
    paths = {route.path for route in [*datasets.routes, *runs.routes]}
    assert nginx_rewrite(rule, "/api/datasets") in paths
    assert nginx_rewrite(rule, "/api/runs/abc/summary") is not None
    assert nginx_rewrite(rule, "/datasets") is None


def test_galileo_sse_is_unbuffered_and_matches_the_events_route() -> None:
    from galileo_arena.runs.router import router as runs

    server = servers()["galileo.example.com"]
    sse = [b for b in server.blocks("location") if "events" in b.args]
    (block,) = sse
    pattern = block.args.removeprefix("~ ")
    events = [r.path for r in runs.routes if r.path.endswith("/events")]
    assert events, "galileo has an SSE events route"
    regex, _format, _convertors = compile_path(events[0])
    for uri in ("/runs/3f2a/events", "/api/runs/3f2a/events"):
        assert re.match(pattern, uri)
        upstream_uri = nginx_rewrite(block.all("rewrite")[0], uri) or uri
        assert regex.match(upstream_uri), upstream_uri
    assert not re.match(pattern, "/runs/3f2a/summary")
    for directive, value in (("proxy_buffering", "off"), ("proxy_cache", "off")):
        assert resolved(block, directive) == [value]
    assert resolved(block, "chunked_transfer_encoding") == ["off"]
    assert "Connection ''" in resolved(block, "proxy_set_header")


def test_services_without_an_api_prefix_get_the_rewrite() -> None:
    # ModelForge and Oyl serve their API under /api/v1 themselves: no rewrite there.
    for name, server in servers().items():
        rewrites = [b for b in server.blocks("location") if b.args == "/api/"]
        service = name.split(".")[0]
        assert bool(rewrites) == (service in {"galileo", "phiacta", "curiouscore"}), name


def test_websocket_and_forwarded_headers_reach_the_services() -> None:
    headers = parse((NGINX / "snippets" / "proxy.conf").read_text()).all("proxy_set_header")
    assert "Upgrade $http_upgrade" in headers
    assert "Connection $connection_upgrade" in headers
    assert "X-Forwarded-Proto $scheme" in headers
