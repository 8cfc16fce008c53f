"""Views of the demo: the form, and the page it redirects to once the email is queued."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from jobs.conf import get_settings
from project.mood.forms import MoodForm
from project.mood.mailers import MoodMailer


@require_http_methods(["GET", "POST"])
def mood_form(request: HttpRequest) -> HttpResponse:
    """Show the form; on a valid POST, queue the email and redirect at once."""
    if request.method != "POST":
        return render(request, "mood/form.html", {"form": MoodForm()})
    form = MoodForm(request.POST)
    if form.is_valid():
        email, mood = form.cleaned_data["email"], form.cleaned_data["mood"]
        jid = MoodMailer.mood(email, mood).deliver_later()
        return redirect("mood:thanks", jid=jid)
    return render(request, "mood/form.html", {"form": form})


@require_GET
def thanks(request: HttpRequest, jid: str) -> HttpResponse:
    """Say the email is on its way, naming the job that carries it."""
    return render(
        request,
        "mood/thanks.html",
        {"jid": jid, "queue": get_settings().MAIL_QUEUE, "seconds": MoodMailer.slow_seconds},
    )
