"""Views of the demo: the form, the page it redirects to once the email is queued, and the
small JSON document that page polls for the job's state."""

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from jobs import EnqueueError
from jobs.conf import get_settings
from project.mood import progress
from project.mood.forms import MoodForm
from project.mood.mailers import MoodMailer

REDIS_DOWN = (
    "Sorry, we cannot queue your email right now: the job queue (Redis) does not answer. "
    "Please try again in a moment."
)


@require_http_methods(["GET", "POST"])
def mood_form(request: HttpRequest) -> HttpResponse:
    """Show the form; on a valid POST, queue the email and redirect at once."""
    if request.method != "POST":
        return render(request, "mood/form.html", {"form": MoodForm()})
    form = MoodForm(request.POST)
    if form.is_valid():
        email, mood = form.cleaned_data["email"], form.cleaned_data["mood"]
        try:
            jid = MoodMailer.mood(email, mood).deliver_later()
        except EnqueueError:
            # Redis is down: say so and keep what was typed, rather than a 500.
            form.add_error(None, REDIS_DOWN)
            return render(request, "mood/form.html", {"form": form}, status=503)
        return redirect("mood:thanks", jid=jid)
    return render(request, "mood/form.html", {"form": form})


def _valid(jid: str) -> str:
    if not progress.JID.fullmatch(jid):
        raise Http404("not a job id")
    return jid


@require_GET
def thanks(request: HttpRequest, jid: str) -> HttpResponse:
    """Say the email is on its way, naming the job that carries it and what became of it."""
    state = progress.read(_valid(jid))
    return render(
        request,
        "mood/thanks.html",
        {
            "jid": jid,
            "queue": get_settings().MAIL_QUEUE,
            "seconds": MoodMailer.slow_seconds,
            "state": state,
            "words": progress.WORDS[state],
        },
    )


@require_GET
def state(request: HttpRequest, jid: str) -> JsonResponse:
    """The job's latest state, for the thanks page to poll: {"state": ..., "words": ...}."""
    current = progress.read(_valid(jid))
    return JsonResponse({"state": current, "words": progress.WORDS[current]})
