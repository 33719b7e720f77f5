from django.apps import AppConfig
from django.db.models.signals import post_migrate


class DjstripeAppConfig(AppConfig):
    name = "djstripe"
    verbose_name = "Stripe"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the system checks; models registered themselves with the
        # mirror engine when their classes were created.
        from . import checks  # noqa: F401
        from .switch.convert import on_post_migrate

        # Converts a dj-stripe database's rows once every migration ran.
        post_migrate.connect(on_post_migrate, sender=self)
