"""The dashboard behind ``--control-token``: the banner's link exchanges the token for a
cookie (HttpOnly, SameSite=Strict, scoped to the control API) that the page's feeds and
controls then use; the control API's JSON endpoints keep their 401 JSON."""

from __future__ import annotations

import json

import httpx
from test_serve import Serve

from mockbatch import ServerThread, VirtualClock, create_app
from mockbatch.transport import InProcessTransport

C = "/__mockbatch"
TOKEN = "s3cret/+ &"  # characters a URL must escape
LINK = f"{C}/ui?token=s3cret%2F%2B%20%26"
NEEDED = "the control API needs 'Authorization: Bearer <token>' (--control-token)"


def client() -> httpx.Client:
    app = create_app(clock=VirtualClock(), control_token=TOKEN)
    return httpx.Client(transport=InProcessTransport(app), base_url="http://mockbatch.test")


def test_without_a_token_the_page_asks_for_it_and_the_endpoints_answer_401_json() -> None:
    with client() as http:
        page = http.get(f"{C}/ui")
        feeds = [http.get(f"{C}/{path}") for path in ("timeline/ivvy/x", "journal", "ui/app.js")]
        reset = http.post(f"{C}/reset")

    assert (page.status_code, page.headers["content-type"]) == (401, "text/html; charset=utf-8")
    assert '<input id="token" name="token" type="password"' in page.text
    assert '<p class="note" role="alert"></p>' in page.text
    for refused in [*feeds, reset]:
        assert (refused.status_code, refused.json()) == (401, {"error": NEEDED})
        assert refused.headers["www-authenticate"] == "Bearer"


def test_the_token_link_sets_a_cookie_the_feeds_and_controls_accept() -> None:
    with client() as http:
        exchanged = http.get(LINK)
        page = http.get(f"{C}/ui")
        timeline = http.get(f"{C}/timeline/ivvy/a7ec88af7d710bf51b188004bb532d77")
        advanced = http.post(f"{C}/clock", json={"advance": 60})

    assert (exchanged.status_code, exchanged.headers["location"]) == (303, f"{C}/ui")
    name, _, rest = exchanged.headers["set-cookie"].partition("=")
    value, *attributes = rest.split("; ")
    assert name.startswith("mockbatch_control_") and TOKEN not in value
    assert sorted(attributes) == ["HttpOnly", f"Path={C}", "SameSite=strict"]
    assert (page.status_code, '<script src="ui/app.js">' in page.text) == (200, True)
    assert timeline.json()["batch"]["status"] == "progress 0"
    assert advanced.status_code == 200


def test_a_wrong_token_or_cookie_is_refused() -> None:
    with client() as http:
        page = http.get(f"{C}/ui", params={"token": "guess"})
        made_up = http.get(f"{C}/journal", headers={"cookie": f"{cookie_name()}=0123abcd"})
        http.get(LINK)
        cross_site = http.post(f"{C}/reset", headers={"origin": "http://localhost:3000"})
        same_site = http.get(f"{C}/journal", headers={"origin": "http://mockbatch.test"})

    assert page.status_code == 401
    assert '<p class="note" role="alert">That token is wrong.</p>' in page.text
    assert "set-cookie" not in page.headers
    assert (made_up.status_code, made_up.json()) == (401, {"error": "wrong control token"})
    assert (cross_site.status_code, cross_site.json()) == (
        403,
        {"error": "the dashboard's cookie is not taken from another origin"},
    )
    assert same_site.status_code == 200


def cookie_name() -> str:
    with client() as http:
        return http.get(LINK).headers["set-cookie"].partition("=")[0]


def test_the_event_stream_takes_the_cookie_over_a_socket() -> None:
    app = create_app(clock=VirtualClock(), control_token=TOKEN)
    with ServerThread(app) as server, httpx.Client(base_url=server.url) as http:
        assert http.get(f"{C}/events").status_code == 401  # no cookie yet: nothing streamed
        http.get(LINK)
        with http.stream("GET", f"{C}/events") as stream:
            assert stream.status_code == 200
            data = next(line for line in stream.iter_lines() if line.startswith("data: "))
    assert json.loads(data.removeprefix("data: "))["clock"]["kind"] == "virtual"


def test_the_banner_prints_the_link_that_holds_the_token() -> None:
    token = "s3cret"
    served = Serve("--control-token", token)
    try:
        link = next(line for line in served.banner if line.startswith("mockbatch: dashboard "))
        assert link == f"mockbatch: dashboard {served.url}{C}/ui?token={token}"
        with httpx.Client() as http:
            opened = http.get(link.removeprefix("mockbatch: dashboard "), follow_redirects=True)
            health = http.get(f"{served.url}{C}/health")
        assert (opened.status_code, str(opened.url)) == (200, f"{served.url}{C}/ui")
        assert health.status_code == 200
    finally:
        served.kill()
