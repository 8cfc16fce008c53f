"""Translations: the dashboard speaks the admin's language (German and French shipped),
every string in its templates is marked, and the catalogues hold every marked string."""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import redis
from django.test import Client
from django.utils import translation

from tests.dashboard.seed import add, failed, job, process, push
from tests.helpers import ROOT

JOBS = ROOT / "jobs"
TEMPLATES = JOBS / "templates" / "jobs"
LANGUAGES = ("de", "fr")
# Text a template may show as is: names, units and symbols that read the same everywhere.
UNTRANSLATED = {"Redis", "RSS", "s", "v"}
# Attributes a person reads (tooltips, screen readers, confirmations, placeholders).
READ_ATTRIBUTES = {"title", "aria-label", "placeholder", "data-confirm", "alt"}

PAGES = {
    # (path, {language: words the page must show in it})
    "/admin/jobs/": {"de": ["Verarbeitet", "Warteschlangen", "Verlauf: Jobs pro Tag"],
                     "fr": ["Traités", "Files", "Historique : jobs par jour"]},
    "/admin/jobs/busy/": {"de": ["Auslastung", "Speicher (RSS)", "Laufende Jobs"],
                          "fr": ["Processus", "Mémoire (RSS)", "Jobs en cours"]},
    "/admin/jobs/retries/": {"de": ["Nächster Versuch", "Wiederholen", "Fehler", "in 1 Min."],
                             "fr": ["Prochain essai", "Réessayer", "Erreur", "dans 1 min"]},
    "/admin/jobs/queues/default": {"de": ["Warteschlange", "Eingereiht", "Argumente"],
                                   "fr": ["File", "En file", "ID du job"]},
    "/admin/jobs/recurring/": {"de": ["Keine wiederkehrenden Jobs eingerichtet"],
                               "fr": ["Aucun job récurrent configuré"]},
}  # fmt: skip


@pytest.fixture
def localized(settings: Any) -> Iterator[None]:
    """A project that lets the request choose the language, as the admin's docs advise."""
    middleware = list(settings.MIDDLEWARE)
    middleware.insert(middleware.index("django.middleware.common.CommonMiddleware"),
                      "django.middleware.locale.LocaleMiddleware")  # fmt: skip
    settings.MIDDLEWARE = middleware
    yield
    translation.deactivate()  # the middleware leaves the last language active in the thread


@pytest.mark.parametrize("language", LANGUAGES)
def test_pages_follow_the_requests_language(
    localized: None, staff_client: Client, r: redis.Redis, language: str
) -> None:
    add(r, "retry", failed(), time.time() + 90)
    push(r, "default", job())
    process(r, busy=1, running=[job()])
    for path, words in PAGES.items():
        body = staff_client.get(path, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert f'<html lang="{language}"' in body  # the admin around it speaks it too
        for word in words[language]:
            assert word in body, (path, language, word)
        english = staff_client.get(path, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert not any(word in english for word in words[language] if len(word) > 8), path


@pytest.mark.parametrize(("language", "entry"), [("de", "Übersicht"), ("fr", "Tableau de bord")])
def test_the_admin_index_names_the_dashboard_in_the_admins_language(
    localized: None, staff_client: Client, language: str, entry: str
) -> None:
    body = staff_client.get("/admin/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert f'href="/admin/jobs/dashboard/">{entry}</a>' in body
    english = staff_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'href="/admin/jobs/dashboard/">Dashboard</a>' in english


@pytest.mark.parametrize(("language", "said"), [("de", "1 Job gelöscht."),
                                                 ("fr", "1 job supprimé.")])  # fmt: skip
def test_action_messages_are_translated(
    localized: None, staff_client: Client, r: redis.Redis, language: str, said: str
) -> None:
    member = add(r, "dead", failed(), time.time())
    response = staff_client.post(
        "/admin/jobs/actions/dead/",
        {"action": "delete", "scope": "all", "q": ""},
        HTTP_ACCEPT_LANGUAGE=language,
        follow=True,
    )
    assert said in response.content.decode()
    assert r.zscore("dead", member) is None


def test_without_locale_middleware_the_dashboard_speaks_language_code(
    staff_client: Client, r: redis.Redis
) -> None:
    translation.deactivate()
    body = staff_client.get("/admin/jobs/queues/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Latency" in body  # like the admin: LANGUAGE_CODE (en-us) for everyone
    assert "Latenz" not in body


class _Text(HTMLParser):
    """Collects text nodes and read attributes of a template with its tags removed."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [value or "" for name, value in attrs if name in READ_ATTRIBUTES]

    def handle_data(self, data: str) -> None:
        if not self.lasttag or self.lasttag not in {"script", "style", "code", "pre"}:
            self.found.append(data)


def unmarked_text(source: str) -> list[str]:
    """Words of `source` (a template) that no translate tag covers."""
    source = re.sub(r"{%\s*blocktranslate.*?{%\s*endblocktranslate\s*%}", "", source, flags=re.S)
    source = re.sub(r"{#.*?#}|{%.*?%}|{{.*?}}", "", source, flags=re.S)
    source = re.sub(r"<code\b.*?</code>", "", source, flags=re.S)  # code reads the same
    parser = _Text()
    parser.feed(source)
    words = re.findall(r"[^\W\d_]{1,}", " ".join(parser.found))
    return [word for word in words if word not in UNTRANSLATED]


def test_every_template_string_is_marked() -> None:
    problems = {
        str(path.relative_to(ROOT)): words
        for path in sorted(TEMPLATES.rglob("*.html"))
        if (words := unmarked_text(path.read_text()))
    }
    assert problems == {}
    assert unmarked_text('<p title="Hello">{% translate "Ok" %} world</p>') == ["Hello", "world"]


def _catalogue(language: str) -> dict[str, Any]:
    path = JOBS / "locale" / language / "LC_MESSAGES" / "django.mo"
    with path.open("rb") as handle:
        return gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined,no-any-return]


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs GNU gettext")
def test_the_compiled_catalogues_hold_every_marked_string(tmp_path: Path) -> None:
    """What `bin/messages` would extract now is in the committed .mo files, translated."""
    copy = tmp_path / "jobs"
    shutil.copytree(JOBS, copy, ignore=shutil.ignore_patterns("locale", "__pycache__"))
    (copy / "locale").mkdir()
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "makemessages", "-l", "de", "--no-location"],
        cwd=copy, check=True, capture_output=True,
    )  # fmt: skip
    extracted = set(re.findall(r'^msgid "(.+)"$', (copy / "locale/de/LC_MESSAGES/django.po")
                               .read_text(), flags=re.M))  # fmt: skip
    assert len(extracted) > 150
    for language in LANGUAGES:
        catalogue = _catalogue(language)
        # A plural's key is (msgid, n); a msgid with a context is "context\x04msgid".
        keys = {(key[0] if isinstance(key, tuple) else key).split("\x04")[-1] for key in catalogue}
        stale = {msgid for msgid in extracted if msgid.replace('\\"', '"') not in keys}
        assert stale == set(), f"run bin/messages and translate ({language})"
        assert all(value for value in catalogue.values()), language
