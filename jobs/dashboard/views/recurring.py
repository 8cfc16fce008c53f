"""The Recurring page: each JOBS["SCHEDULE"] entry, its runs, enqueue now, disable and enable."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponseBase
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext_lazy

from jobs.api.queues import valid_name
from jobs.dashboard.views.base import ActionView, PageView
from jobs.recurring import control
from jobs.recurring.control import RecurringEntry, UnknownEntry
from jobs.recurring.schedule import EntryError

# How each status of an entry's last job is tagged: good, bad or in between.
STATUS_TONES = {"succeeded": "ok", "failed": "bad", "dead": "bad", "retrying": "warn"}
# How each status reads (jobs.recurring.status writes them); another word is shown as is.
STATUS_LABELS = {
    "enqueued": pgettext_lazy("a recurring job's status", "enqueued"),
    "running": pgettext_lazy("a recurring job's status", "running"),
    "succeeded": pgettext_lazy("a recurring job's status", "succeeded"),
    "failed": pgettext_lazy("a recurring job's status", "failed"),
    "retrying": pgettext_lazy("a recurring job's status", "retrying"),
    "dead": pgettext_lazy("a recurring job's status", "dead"),
    "discarded": pgettext_lazy("a recurring job's status", "discarded"),
}


@dataclass(frozen=True)
class EntryRow:
    """One entry as the page shows it."""

    entry: RecurringEntry
    job_url: str  # where the last job can be looked up now, or ""

    @property
    def overridden(self) -> bool:
        """The dashboard's enable/disable differs from the settings (invalid ones never run)."""
        return self.entry.valid and self.entry.enabled != self.entry.enabled_in_settings

    @property
    def status_tone(self) -> str:
        """`ok`, `bad`, `warn` or "": how the last job's status is coloured."""
        return STATUS_TONES.get(self.entry.last_status or "", "")

    @property
    def status_label(self) -> str:
        """The last job's status in the page's language ("" for none)."""
        status = self.entry.last_status or ""
        label = STATUS_LABELS.get(status)
        return status if label is None else str(label)

    @property
    def args_preview(self) -> str:
        """The arguments as the job gets them (JSON), "" when there are none."""
        return json.dumps(self.entry.args, ensure_ascii=False) if self.entry.args else ""


class EntryForm(forms.Form):
    """The entry a recurring action is about."""

    name = forms.CharField(max_length=500, strip=False)


class RecurringView(PageView):
    """Every entry in settings order, invalid ones with their error, and their state in Redis."""

    template_name = "jobs/recurring.html"
    tab = "recurring"
    title = gettext_noop("Recurring")

    def page_context(self, **kwargs: Any) -> dict[str, Any]:
        entries = control.entries(self.client)
        return {
            "rows": [EntryRow(entry, last_job_url(entry)) for entry in entries],
            "enabled_total": sum(entry.enabled for entry in entries),
            "invalid_total": sum(not entry.valid for entry in entries),
        }


def last_job_url(entry: RecurringEntry) -> str:
    """A search for the entry's last job where its status says it waits, or "".

    A search link costs nothing until followed, unlike looking the jid up in every
    set on each page view.
    """
    jid = entry.last_jid
    if not jid:
        return ""
    if entry.last_status == "retrying":
        page = reverse("jobs:set", args=["retries"])
    elif entry.last_status == "dead":
        page = reverse("jobs:set", args=["dead"])
    elif entry.last_status == "enqueued" and valid_name(entry.queue):
        page = reverse("jobs:queue", args=[entry.queue])
    else:
        return ""
    return f"{page}?{urlencode({'q': jid})}"


class RecurringActionView(ActionView):
    """Enqueue an entry's job now, or disable or enable the entry for every worker."""

    def post(self, request: HttpRequest, action: str) -> HttpResponseBase:
        form = EntryForm(request.POST)
        default = reverse("jobs:recurring")
        if not form.is_valid():
            self.say(_("Choose a recurring entry."), messages.ERROR)
            return self.back(default)
        name = form.cleaned_data["name"]
        try:
            if action == "enqueue":
                jid = control.enqueue_now(name, self.client)
                self.say(
                    _("Enqueued %(name)s now as job %(jid)s; its schedule is unchanged.")
                    % {"name": name, "jid": jid}
                )
            else:
                control.set_enabled(name, action == "enable", self.client)
                self.say(self.enabled_message(name, action == "enable"))
        except UnknownEntry:
            self.say(
                _("No recurring entry is called %(name)r (settings changed?).") % {"name": name},
                messages.ERROR,
            )
        except EntryError as exc:
            problems = "; ".join(exc.problems)
            self.say(
                _("Entry %(name)s is invalid: fix its settings (%(problems)s).")
                % {"name": name, "problems": problems},
                messages.ERROR,
            )
        return self.back(default)

    @staticmethod
    def enabled_message(name: str, enabled: bool) -> str:
        """What enabling or disabling `name` means for the workers."""
        if enabled:
            return _("Enabled %(name)s: every worker enqueues it again from its next run.") % {
                "name": name
            }
        return _("Disabled %(name)s: no worker enqueues it until it is enabled again.") % {
            "name": name
        }
