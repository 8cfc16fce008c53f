"""URLs of the Daily Mood demo, mounted at the site root."""

from django.urls import URLPattern, URLResolver, path

from project.mood import views

app_name = "mood"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.mood_form, name="form"),
    path("thanks/<slug:jid>/", views.thanks, name="thanks"),
    path("thanks/<slug:jid>/state.json", views.state, name="state"),
]
