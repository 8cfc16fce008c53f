from django.apps import AppConfig


class MailTestsConfig(AppConfig):
    """Installed only in worker processes (tests.mail.settings), so they find the test mailers."""

    name = "tests.mail"
    label = "mail_tests"
