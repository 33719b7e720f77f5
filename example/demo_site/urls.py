from billing.views import AccountView
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
    path("account/", AccountView.as_view(), name="account"),
    path("stripe/", include("djstripe.urls", namespace="djstripe")),
]
