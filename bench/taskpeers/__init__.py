"""The django.tasks backends a user would pick instead of ours, each with its own worker."""
