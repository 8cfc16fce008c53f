"""The one form of the demo: an email address and today's mood."""

from django import forms

# Plain words: an emoji shows as an empty box where no emoji font is installed. The form
# draws a face for each from static/mood/faces/<value>.svg.
MOODS = [
    ("happy", "Happy"),
    ("ok", "OK"),
    ("sad", "Sad"),
]


class MoodForm(forms.Form):
    """Who to mail, and which mood to send them."""

    email = forms.EmailField(
        label="Your email",
        widget=forms.EmailInput(attrs={"placeholder": "you@example.com", "autofocus": True}),
    )
    mood = forms.ChoiceField(label="Today's mood", choices=MOODS, widget=forms.RadioSelect)
