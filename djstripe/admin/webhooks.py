"""The admin of webhook requests: what arrived, what became of it, replay.

An operator comes here with "did Stripe's webhook for this invoice arrive,
and what happened to it?": the newest requests first, filters on whether they
were valid and processed, the event they carried linked, and the headers and
body pretty-printed with every secret masked.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin
from django.contrib.admin.utils import quote
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from . import actions, columns, display, masking
from .base import RecordAdmin


class WebhookEventTriggerAdmin(RecordAdmin):
    """Webhook requests, newest first, with their processing and a replay."""

    list_display = (
        "id",
        "event_type",
        "event_link",
        "state",
        "received",
    )
    list_display_links = ("id",)
    list_filter = ("valid", "processed", "created", "webhook_endpoint")
    search_fields = ("=event__id", "event_type", "=remote_ip")
    date_hierarchy = "created"
    ordering = ("-created", "-id")
    list_select_related = ("event", "webhook_endpoint")
    show_full_result_count = False
    actions = [actions.reprocess]
    change_form_template = "admin/djstripe/webhookeventtrigger/change_form.html"
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "id",
                    "state",
                    "event_link",
                    "event_type",
                    "webhook_endpoint_link",
                    "remote_ip",
                    "attempts",
                    "created",
                    "updated",
                ]
            },
        ),
        ("Failure", {"fields": ["exception_text", "traceback_text"]}),
        ("Request", {"fields": ["headers_json", "body_text"]}),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        return cast(list[Any], admin.helpers.flatten_fieldsets(self.fieldsets))  # type: ignore[attr-defined]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        return self.get_readonly_fields(request, obj)

    # -- Columns ---------------------------------------------------------------------

    @admin.display(description="Event", ordering="event_id")
    def event_link(self, obj: Any) -> Any:
        event_id, event = columns.related_object(obj, obj._meta.get_field("event"))
        if event is None:
            return event_id or "—"
        return display.link(
            display.admin_change_url(event, self.admin_site.name), event_id
        )

    @admin.display(description="Endpoint")
    def webhook_endpoint_link(self, obj: Any) -> Any:
        field = obj._meta.get_field("webhook_endpoint")
        shown = columns.relation_column(field, self.admin_site.name)(obj)
        return shown or "the settings' URL"

    @admin.display(description="State")
    def state(self, obj: Any) -> Any:
        if obj.processed:
            return display.badge("Processed", "success")
        if not obj.valid:
            return display.badge("Rejected", "danger")
        if obj.exception:
            return display.badge("Failed", "danger")
        return display.badge("Pending", "warning")

    @admin.display(description="Received", ordering="created")
    def received(self, obj: Any) -> Any:
        return display.when(obj.created)

    @admin.display(description="Error")
    def exception_text(self, obj: Any) -> str:
        return masking.mask_text(obj.exception) or "—"

    @admin.display(description="Traceback")
    def traceback_text(self, obj: Any) -> Any:
        if not obj.traceback:
            return "—"
        return display.pretty_text(
            masking.mask_text(obj.traceback), summary="Traceback"
        )

    @admin.display(description="Headers")
    def headers_json(self, obj: Any) -> Any:
        return display.pretty_json(obj.headers or {}, open=True)

    @admin.display(description="Body")
    def body_text(self, obj: Any) -> Any:
        data, is_json = masking.mask_body(obj.body or "")
        if is_json:
            return display.pretty_json(data, open=True, summary="Body (JSON)")
        return display.pretty_text(data, summary="Body (not JSON)") if data else "—"

    # -- Re-process one request from its page ----------------------------------------

    def get_urls(self) -> list[Any]:
        opts = self.opts
        view = self.admin_site.admin_view(require_POST(self.reprocess_view))
        return [
            path(
                "<path:object_id>/reprocess/",
                view,
                name=f"{opts.app_label}_{opts.model_name}_reprocess",
            ),
            *super().get_urls(),
        ]

    def reprocess_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if not self.has_write_permission(request):
            raise PermissionDenied
        obj = get_object_or_404(self.get_queryset(request), pk=object_id)
        actions.reprocess(self, request, self.model._base_manager.filter(pk=obj.pk))
        return HttpResponseRedirect(display.admin_change_url(obj, self.admin_site.name))

    def render_change_form(
        self, request: HttpRequest, context: dict[str, Any], *args: Any, **kwargs: Any
    ) -> HttpResponse:
        obj = context.get("original")
        if obj is not None and self.has_write_permission(request):
            opts = self.opts
            context["djstripe_reprocess_url"] = reverse(
                f"admin:{opts.app_label}_{opts.model_name}_reprocess",
                args=[quote(obj.pk)],
                current_app=self.admin_site.name,
            )
        return super().render_change_form(request, context, *args, **kwargs)
