from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView

from djstripe.mixins import SubscriptionMixin


class AccountView(LoginRequiredMixin, SubscriptionMixin, TemplateView):
    """The signed-in user's plan, as a dj-stripe site shows it."""

    template_name = "billing/account.html"
