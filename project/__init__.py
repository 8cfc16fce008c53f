"""The demo project: settings, URLs and the Daily Mood app that sends mail through a job."""
