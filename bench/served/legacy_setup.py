"""Empty dj-stripe's database and give it a webhook endpoint, for one phase.

    DJANGO_SETTINGS_MODULE=legacy_settings python -m legacy_setup

Run by dj-stripe's virtualenv (the fake Stripe at ``STRIPE_API_HOST``). The
endpoint is made as a dj-stripe user makes one, with dj-stripe's admin form
(which creates it in Stripe and stores its secret). Prints its uuid and
secret as JSON: the benchmark signs the events with that secret.
"""

import json

import django


def main() -> None:
    django.setup()
    from django.core.management import call_command

    from djstripe.admin.forms import WebhookEndpointAdminCreateForm

    call_command("flush", interactive=False, verbosity=0)
    form = WebhookEndpointAdminCreateForm(
        data={
            "base_url": "https://shop.example.com",
            "enabled_events": ["*"],
            "djstripe_tolerance": 600,
            "djstripe_validation_method": "verify_signature",
            "api_version": "",
        }
    )
    if not form.is_valid():
        raise SystemExit(f"webhook endpoint form: {form.errors.as_text()}")
    endpoint = form.save()
    print(json.dumps({"uuid": str(endpoint.djstripe_uuid), "secret": endpoint.secret}))


if __name__ == "__main__":
    main()
