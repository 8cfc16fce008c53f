"""XSS in a real browser (headless Debian chromium): every route with hostile data.

Every page route is loaded with the data of `seed_everywhere` (each queue page, job
pages of each set: all of them in the long profile), the action routes are reached
both by URL (an empty 405) and by their real forms (a hostile search, "Enqueue now" on hostile
recurring entries, "Quiet" on a hostile process), and after each load the DOM is
searched for what an escaping failure would leave: elements with a `pwn` id, event
handler attributes, inline scripts, frames, `javascript:` URLs. No dialog may open and
no Content-Security-Policy violation may be reported (one would mean markup got in and
only the CSP stopped it).
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import redis
from playwright.sync_api import BrowserContext, Page

from tests.dashboard.test_browser import logged_in_context
from tests.figures import Profile, Reporter
from tests.security.hostile import PAYLOADS, Seeded
from tests.security.routes import ACTIONS, PAGES, urls

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__violations.push(e.violatedDirective + " " + e.blockedURI));
"""
INSPECT = """() => {
  document.querySelectorAll("details").forEach((el) => { el.open = true; });
  const bad = [];
  const scriptUrl = /^(javascript|vbscript|livescript):|^data:(?!image\\/)/i;
  for (const el of document.querySelectorAll("*")) {
    if ((el.id || "").startsWith("pwn")) bad.push("injected #" + el.id);
    for (const a of el.attributes) {
      if (a.name.startsWith("on")) bad.push(el.tagName + " " + a.name);
      const url = ["href", "src", "action", "formaction", "xlink:href", "data", "srcdoc"];
      if (url.includes(a.name) && scriptUrl.test(a.value.replace(/[\\u0000-\\u0020]/g, "")))
        bad.push(el.tagName + " " + a.name + "=" + a.value.slice(0, 40));
    }
  }
  document.querySelectorAll("script:not([src])").forEach(() => bad.push("inline script"));
  document.querySelectorAll("iframe, frame, object, embed, base, meta[http-equiv]")
    .forEach((el) => bad.push(el.tagName));
  return bad.concat(window.__violations || []);
}"""


class Watcher:
    """Dialogs of a page, and what INSPECT finds after each load."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.dialogs: list[str] = []
        self.problems: dict[str, list[str]] = {}
        self.loads = 0
        page.on("dialog", self.on_dialog)

    def on_dialog(self, dialog: Any) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message} at {self.page.url}")
        dialog.dismiss()

    def inspect(self) -> None:
        self.loads += 1
        if found := self.page.evaluate(INSPECT):
            self.problems[self.page.url] = found

    def visit(self, url: str) -> None:
        self.page.goto(url)
        self.inspect()


def test_no_route_runs_a_payload_in_chromium(
    browser: Any,
    live_server: Any,
    superuser: Any,
    hostile: Seeded,
    profile: Profile,
    figures: Reporter,
    app_redis: redis.Redis,
) -> None:
    began = time.monotonic()
    context: BrowserContext = logged_in_context(browser, live_server.url, superuser)
    context.add_init_script(WATCH)
    page = context.new_page()
    watcher = Watcher(page)
    try:
        for route in PAGES:
            targets = urls(route, app_redis)
            if not profile.long:  # short: 8 queues, 8 jobs spread over the three sets
                targets = targets[:: -(-len(targets) // 8)]
            for url in targets:
                watcher.visit(live_server.url + url)
        for route in ACTIONS:  # by URL: refused with an empty 405, nothing to render
            response = context.request.get(live_server.url + route.url())
            assert response.status == 405, route.name
            assert response.body() == b"", route.name
        searches = PAYLOADS if profile.long else PAYLOADS[:3]
        for evil in searches:
            watcher.visit(live_server.url + "/admin/jobs/retries/")
            page.fill("#jobs-q", evil)
            page.press("#jobs-q", "Enter")
            page.wait_for_load_state()
            watcher.inspect()
        clicks = 0
        for label, url in (
            ("Enqueue now", "/admin/jobs/recurring/"),
            ("Quiet", "/admin/jobs/busy/"),
        ):
            for index in range(profile.pick(2, 6)):
                watcher.visit(live_server.url + url)
                buttons = page.locator("td.jobs-row-actions button", has_text=label)
                if buttons.count() <= index:
                    break
                buttons.nth(index).click()
                page.wait_for_load_state()
                watcher.inspect()
                clicks += 1
        watcher.visit(live_server.url + "/admin/jobs/?interval=1")
        page.wait_for_timeout(profile.pick(1200, 3000))  # the live numbers and graphs poll
        watcher.inspect()
    finally:
        context.close()
    assert clicks >= 4
    assert watcher.dialogs == []
    assert watcher.problems == {}
    figures(
        "xss in chromium",
        routes=len(PAGES) + len(ACTIONS),
        loads=watcher.loads,
        payloads=len(PAYLOADS),
        form_submissions=clicks + len(searches),
        dialogs=len(watcher.dialogs),
        injected=sum(map(len, watcher.problems.values())),
        seconds=round(time.monotonic() - began, 1),
    )
