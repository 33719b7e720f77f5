"""The generic admin of mirrored Stripe objects, and of djstripe's own records.

The mirror is read-only here: Stripe is the source of truth, so a row changed
in the admin would be overwritten by the next sync, or worse, believed. The
admin shows, links, searches and re-syncs; changes go through Stripe.

Everything a ``ModelAdmin`` usually spells out (columns, filters, search,
``select_related``, fieldsets) is derived from the model's fields when the
admin is built, so a model added to djstripe appears in the admin with no
admin code. An attribute set on a subclass wins over the derived default.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.contrib import admin
from django.contrib.admin.utils import quote
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from . import actions, columns, display

if TYPE_CHECKING:
    from django import forms

#: Attributes derived from the model unless a subclass sets them.
_DERIVED = (
    "list_display",
    "list_filter",
    "search_fields",
    "date_hierarchy",
    "list_select_related",
)


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Viewing only: no add, change or delete, whatever the user's permissions.

    Django renders the change view read-only for users with the view (or
    change) permission.
    """

    #: Set on a subclass to allow adding rows (through Stripe, see ``save_model``).
    allow_add = False
    #: Set on a subclass to allow deleting rows.
    allow_delete = False

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self.allow_add and super().has_add_permission(request, *args)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.allow_delete and super().has_delete_permission(request, obj)

    def has_write_permission(self, request: HttpRequest) -> bool:
        """Whether ``request.user`` may refresh rows (the model's change permission).

        The admin never edits rows, but re-syncing or re-processing them writes
        to the mirror, so it takes the permission a Django user knows as "change".
        """
        opts = self.opts
        codename = get_permission_codename("change", opts)
        return request.user.has_perm(f"{opts.app_label}.{codename}")

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Any]:
        queryset = super().get_queryset(request)
        # A polymorphic parent lists its own rows, not one query per child type.
        if hasattr(queryset, "non_polymorphic"):
            queryset = queryset.non_polymorphic()
        return queryset


class StripeModelAdmin(ReadOnlyAdmin):
    """The admin of any ``StripeModel``, derived from its fields."""

    list_display = None  # type: ignore[assignment]
    list_filter = None  # type: ignore[assignment]
    search_fields = None  # type: ignore[assignment]
    date_hierarchy = None
    list_select_related = None  # type: ignore[assignment]
    list_display_links = ("id",)
    show_full_result_count = False
    actions = [actions.resync_from_stripe]
    change_form_template = "admin/djstripe/change_form.html"

    def __init__(self, model: type[models.Model], admin_site: admin.AdminSite):
        defaults = self.derive_options(model, admin_site)
        for name in _DERIVED:
            if getattr(self, name) is None:
                setattr(self, name, defaults[name])
        super().__init__(model, admin_site)

    # -- Derived options -----------------------------------------------------------

    @classmethod
    def derive_options(
        cls, model: type[models.Model], site: admin.AdminSite
    ) -> dict[str, Any]:
        """The changelist options ``model``'s fields call for."""
        names = columns.field_names(model)
        shown_relations = columns.stripe_relations(model)[:3]
        amounts: list[Any] = columns.amount_fields(model)[:2]
        enums = columns.enum_fields(model)[:3]

        list_display: list[Any] = ["id"]
        if columns.has_own_str(model):
            list_display.append("__str__")
        list_display += columns.labels(model)[:2]
        if amounts:
            list_display += [columns.amount_column(f, minor) for f, minor in amounts]
        else:
            amounts = columns.amount_properties(model)[:1]
            list_display += [
                columns.amount_property_column(p, minor) for p, minor in amounts
            ]
        currency = columns.currency_field(model)
        if currency is not None and not amounts:
            list_display.append(currency.name)
        list_display += [f.name for f in enums]
        list_display += [columns.relation_column(f, site.name) for f in shown_relations]
        list_display += [columns.secret_column(f) for f in columns.secret_fields(model)]
        list_display += [name for name in ("created", "livemode") if name in names]

        list_filter: list[Any] = ["livemode"] if "livemode" in names else []
        list_filter += [f.name for f in enums]
        if currency is not None:
            list_filter.append(currency.name)

        # Each shown relation, and what the __str__ of the rows shown may read.
        select = []
        for f in shown_relations:
            select += [f.name, *columns.str_relations(f.related_model, f"{f.name}__")]
        if "__str__" in list_display:
            select += columns.str_relations(model, depth=2)
        return {
            "list_display": tuple(list_display),
            "list_filter": tuple(list_filter),
            "search_fields": tuple(columns.search_fields(model)),
            "date_hierarchy": "created" if "created" in names else None,
            "list_select_related": tuple(dict.fromkeys(select)),
        }

    # -- Change view ---------------------------------------------------------------

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        if self.fieldsets:
            return self.fieldsets  # type: ignore[return-value]
        model = self.model
        names = columns.field_names(model)
        head = ["id", "stripe_dashboard", "livemode", "created", "description"]
        head = [name for name in head if name in names or hasattr(self, name)]
        details = [
            self._detail(f)
            for f in columns.concrete_fields(model)
            if f.name not in columns.BASE_FIELDS
        ]
        details.append(self._detail(model._meta.get_field("metadata")))
        fieldsets = [
            (None, {"fields": head}),
            ("Details", {"fields": details}),
            ("Related objects", {"fields": ["related_objects"]}),
            ("Stripe data", {"fields": ["stripe_data_json"]}),
            (
                "Mirror",
                {
                    "classes": ["collapse"],
                    "fields": [
                        "djstripe_id",
                        self._detail(model._meta.get_field("djstripe_owner_account")),
                        "djstripe_created",
                        "djstripe_updated",
                        "djstripe_observed_at",
                    ],
                },
            ),
        ]
        return fieldsets

    def _detail(self, field: models.Field[Any, Any]) -> Any:
        """How a detail field is shown: a callable where the raw value would
        mislead (money without currency, a secret, a relation id)."""
        cache = self.__dict__.setdefault("_detail_cache", {})
        if field.name not in cache:
            amounts = dict(columns.amount_fields(self.model))
            if columns.is_secret(field):
                shown: Any = columns.secret_column(field)
            elif field in amounts:
                shown = columns.amount_column(field, amounts[field])
            elif isinstance(field, models.ForeignKey):
                shown = columns.relation_column(field, self.admin_site.name)
            elif isinstance(field, models.JSONField):
                shown = columns.json_column(field)
            else:
                shown = field.name
            cache[field.name] = shown
        return cache[field.name]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        fieldsets = self.get_fieldsets(request, obj)
        return cast(list[Any], admin.helpers.flatten_fieldsets(fieldsets))  # type: ignore[attr-defined]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm[Any]]:
        # Nothing is editable: build the form from no fields, so that secrets
        # and raw values never reach a widget.
        kwargs["fields"] = ()
        return super().get_form(request, obj, change, **kwargs)

    @admin.display(description="Stripe dashboard")
    def stripe_dashboard(self, obj: Any) -> Any:
        url = (
            obj.get_stripe_dashboard_url()
            if hasattr(obj, "get_stripe_dashboard_url")
            else ""
        )
        if not url:
            return "—"
        mode = "live" if obj.livemode else "test"
        return format_html(
            '<a href="{}" target="_blank" rel="noopener noreferrer">View in Stripe ({} mode) ↗</a>',
            url,
            mode,
        )

    @admin.display(description="Stripe data")
    def stripe_data_json(self, obj: Any) -> Any:
        return display.pretty_json(
            obj.stripe_data or {}, summary=f"{obj.id} as Stripe sent it"
        )

    @admin.display(description="Related objects")
    def related_objects(self, obj: Any) -> Any:
        """Links to the changelists of rows pointing at ``obj``, filtered to it."""
        items = []
        for rel in _reverse_relations(self.model, self.admin_site):
            value = getattr(obj, rel.field.target_field.attname)
            if value is None:
                continue
            related = rel.related_model
            count = related._base_manager.filter(**{rel.field.name: value}).count()
            query = urlencode({f"{rel.field.name}__exact": value})
            url = (
                f"{display.admin_changelist_url(related, self.admin_site.name)}?{query}"
            )
            label = related._meta.verbose_name_plural.capitalize()
            if rel.field.name not in ("customer", self.model._meta.model_name):
                label = f"{label} (as {rel.field.verbose_name})"
            items.append((url, label, count))
        if not items:
            return "—"
        return format_html(
            "<ul style='margin: 0; padding-left: 1em'>{}</ul>",
            format_html_join("", '<li><a href="{}">{}</a> ({})</li>', items),
        )

    # -- Re-sync one object from its change page -----------------------------------

    def get_urls(self) -> list[Any]:
        opts = self.opts
        view = self.admin_site.admin_view(require_POST(self.resync_view))
        return [
            path(
                "<path:object_id>/resync/",
                view,
                name=f"{opts.app_label}_{opts.model_name}_resync",
            ),
            *super().get_urls(),
        ]

    def resync_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if not self.can_resync(request):
            raise PermissionDenied
        obj = get_object_or_404(self.get_queryset(request), pk=object_id)
        actions.resync_from_stripe(
            self, request, self.model._base_manager.filter(pk=obj.pk)
        )
        opts = self.opts
        return HttpResponseRedirect(
            reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change",
                args=[quote(obj.pk)],
                current_app=self.admin_site.name,
            )
        )

    def can_resync(self, request: HttpRequest) -> bool:
        """Re-sync needs the change permission and an object Stripe can return."""
        return actions.is_resyncable(self.model) and self.has_write_permission(request)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        found = super().get_actions(request)
        if not actions.is_resyncable(self.model):
            found.pop("resync_from_stripe", None)
        return found

    def render_change_form(
        self, request: HttpRequest, context: dict[str, Any], *args: Any, **kwargs: Any
    ) -> HttpResponse:
        obj = context.get("original")
        if obj is not None and obj.pk is not None and self.can_resync(request):
            opts = self.opts
            context["djstripe_resync_url"] = reverse(
                f"admin:{opts.app_label}_{opts.model_name}_resync",
                args=[quote(obj.pk)],
                current_app=self.admin_site.name,
            )
        return super().render_change_form(request, context, *args, **kwargs)


def _reverse_relations(model: type[models.Model], site: admin.AdminSite) -> list[Any]:
    """Relations into ``model`` from models this admin site shows."""
    return [
        rel
        for rel in model._meta.related_objects
        if (rel.one_to_many or rel.one_to_one)
        and not rel.hidden
        and not getattr(rel, "parent_link", False)
        and site.is_registered(rel.related_model)
    ]


class RecordAdmin(ReadOnlyAdmin):
    """djstripe's own records (tombstones, webhook triggers...): all columns
    shown, searchable by their text columns, read-only."""

    def __init__(self, model: type[models.Model], admin_site: admin.AdminSite):
        fields = columns.concrete_fields(model)
        if self.list_display == admin.ModelAdmin.list_display:  # type: ignore[misc]
            shown = [
                f.name
                for f in fields
                if not isinstance(f, models.TextField | models.JSONField)
            ]
            self.list_display = tuple(shown[:8]) or ("__str__",)
        if not self.search_fields:
            self.search_fields = tuple(  # type: ignore[misc]
                f.name
                for f in fields
                if isinstance(f, models.CharField) and not columns.is_secret(f)
            )
        if not self.list_select_related:
            self.list_select_related = tuple(  # type: ignore[misc]
                f.name
                for f in fields
                if isinstance(f, models.ForeignKey) and f.name in self.list_display
            )
        self._shown = [
            columns.secret_column(f) if columns.is_secret(f) else f.name
            for f in columns.concrete_fields(model)
        ]
        super().__init__(model, admin_site)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        return list(self._shown)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        return self.get_readonly_fields(request, obj)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm[Any]]:
        kwargs["fields"] = ()
        return super().get_form(request, obj, change, **kwargs)
