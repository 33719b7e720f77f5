from django.apps import AppConfig


class DjstripeAppConfig(AppConfig):
    name = "djstripe"
    verbose_name = "Stripe"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the system checks; models registered themselves with the
        # mirror engine when their classes were created.
        from . import checks  # noqa: F401
