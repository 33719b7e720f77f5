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

import logging
import re
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import quote
from django.contrib.auth import get_permission_codename
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import models
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import actions, columns, display, pages, tasks

logger = logging.getLogger("djstripe.admin")

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


#: Lookups Django's list filters put in the querystring (``status__exact``,
#: ``created__gte``...).
_FILTER_LOOKUPS = ("exact", "isnull", "gte", "lt")
#: Search terms shaped like a Stripe id, or the start of one (``cus_Q8x``).
_ID_TERM = re.compile(r"^[a-z][a-z0-9]*_[A-Za-z0-9_]*$")
#: Search terms that are an email address.
_EMAIL_TERM = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
#: Search terms shaped like an invoice or receipt number (``NN4ZVDNF-0003``).
_NUMBER_TERM = re.compile(r"^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)+$")
#: Lookups of the date hierarchy.
_DATE_PARTS = ("year", "month", "day")


def _relation_target(model: type[models.Model], name: str) -> str:
    """The field a relation ``name`` points at (``id``), or ``""``."""
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return ""
    return field.target_field.name if isinstance(field, models.ForeignKey) else ""


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Viewing only: no add, change or delete, whatever the user's permissions.

    Django renders the change view read-only for users with the view (or
    change) permission.
    """

    #: Set on a subclass to allow adding rows (through Stripe, see ``save_model``).
    allow_add = False
    #: Set on a subclass to allow deleting rows.
    allow_delete = False

    class Media:
        css = {"all": ("djstripe/admin.css",)}

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

    def lookup_allowed(self, lookup: str, value: Any, request: Any = None) -> bool:
        """Only the lookups the page offers: its filters, its date hierarchy,
        and an exact relation id (the "related objects" links).

        Django allows any lookup on a model's own fields by default, so a
        querystring such as ``?secret__startswith=sk_live_a`` would turn the
        result count into an oracle that recovers a secret one character at a
        time. Anything else is refused (Django answers 400).
        """
        return lookup in self.allowed_lookups(request)

    def allowed_lookups(self, request: Any = None) -> frozenset[str]:
        """The querystring lookups :meth:`lookup_allowed` accepts."""
        list_filter = (
            self.get_list_filter(request) if request is not None else self.list_filter
        )
        allowed: set[str] = set()
        for item in list_filter:
            if isinstance(item, type):  # a SimpleListFilter
                allowed.add(item.parameter_name)  # type: ignore[attr-defined]
                continue
            name: Any = item[0] if isinstance(item, list | tuple) else item
            allowed |= {name, *(f"{name}__{lookup}" for lookup in _FILTER_LOOKUPS)}
            target = _relation_target(self.model, name)
            if target:
                allowed.add(f"{name}__{target}__exact")
        if self.date_hierarchy:
            allowed |= {f"{self.date_hierarchy}__{part}" for part in _DATE_PARTS}
        for field in columns.relations(self.model):
            target = field.target_field.name
            allowed |= {
                field.name,
                f"{field.name}__exact",
                f"{field.name}__{target}__exact",
            }
        secret = {f.name for f in columns.secret_fields(self.model)}
        return frozenset(
            lookup for lookup in allowed if lookup.split("__", 1)[0] not in secret
        )

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
    change_list_template = "admin/djstripe/change_list.html"

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
        shown = pages.LIST_COLUMNS.get(
            model._meta.model_name or ""
        ) or cls.column_names(model)
        list_display = [columns.column_for(model, name, site.name) for name in shown]

        enums = columns.enum_fields(model)[:3]
        list_filter: list[Any] = ["livemode"] if "livemode" in names else []
        list_filter += [f.name for f in enums]
        currency = columns.currency_field(model)
        if currency is not None:
            list_filter.append(currency.name)

        # Each shown relation, and what the label of the rows it shows may read.
        select = []
        for name in shown:
            field = next((f for f in columns.relations(model) if f.name == name), None)
            if field is not None:
                select += [
                    field.name,
                    *columns.str_relations(field.related_model, f"{field.name}__"),
                ]
        return {
            "list_display": tuple(list_display),
            "list_filter": tuple(list_filter),
            "search_fields": tuple(columns.search_fields(model)),
            "date_hierarchy": "created" if "created" in names else None,
            "list_select_related": tuple(dict.fromkeys(select)),
        }

    @staticmethod
    def column_names(model: type[models.Model]) -> list[str]:
        """Columns for a model no one chose columns for: the id, one label,
        one amount, two statuses or types, two relations, secrets masked, and
        when it was created. Narrow enough for a 1366 px screen."""
        names = columns.field_names(model)
        shown = ["id", *columns.labels(model)[:1]]
        amounts = (
            columns.amount_fields(model)[:1] or columns.amount_properties(model)[:1]
        )
        shown += [amount.name for amount, _ in amounts]
        shown += [f.name for f in columns.enum_fields(model)[:2]]
        shown += [f.name for f in columns.stripe_relations(model)[:2]]
        shown += [f.name for f in columns.secret_fields(model)]
        if "created" in names:
            shown.append("created")
        return list(dict.fromkeys(shown))

    @admin.display(description=mark_safe('<input type="checkbox" id="action-toggle">'))
    def action_checkbox(self, obj: Any) -> SafeString:
        """Django's row checkbox, labelled the way the admin labels objects."""
        attrs = {
            "class": "action-select",
            "aria-label": format_html(
                _("Select this object for an action - {}"), display.object_label(obj)
            ),
        }
        checkbox = forms.CheckboxInput(attrs, lambda value: False)
        return checkbox.render(admin.helpers.ACTION_CHECKBOX_NAME, str(obj.pk))  # type: ignore[attr-defined]

    # -- Search ----------------------------------------------------------------------

    def get_search_results(
        self, request: HttpRequest, queryset: models.QuerySet[Any], search_term: str
    ) -> tuple[models.QuerySet[Any], bool]:
        """What operators paste, found through indexes first.

        A term shaped like a Stripe id (or the start of one, ``cus_Q8x``), a
        number (``NN4ZVDNF-0003``) or an email is looked up by exact and
        prefix matches on indexed columns: the row's id, the ids of its
        relations (a customer's id finds its charges), emails, and the
        model's ``pages.EXACT_SEARCH`` (an invoice number, an event's object
        id). Only when that finds nothing, and for any other text (a name, a
        nickname), does Django's case-insensitive search run.
        """
        term = search_term.strip()
        exact = self._indexed_search(term) if len(term) <= 255 else None
        if exact is not None:
            found = queryset.filter(exact)
            if found.exists():
                return found, False
        return super().get_search_results(request, queryset, search_term)

    def _indexed_search(self, term: str) -> Q | None:
        """The indexed lookups ``term`` calls for, or ``None`` (plain text)."""
        model = self.model
        names = columns.field_names(model)
        exact = Q()
        if _ID_TERM.match(term):
            exact |= Q(id__startswith=term)
            for field in columns.stripe_relations(model):
                exact |= Q(**{field.attname: term})
        elif _EMAIL_TERM.match(term):
            if "email" in names:
                exact |= Q(email=term)
            if any(f.name == "customer" for f in columns.stripe_relations(model)):
                exact |= Q(customer__email=term)
        elif not _NUMBER_TERM.match(term):
            return None
        for lookup in pages.EXACT_SEARCH.get(model._meta.model_name, ()):
            exact |= Q(**{lookup: term})
        return exact or None

    # -- Change view ---------------------------------------------------------------

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        if self.fieldsets:
            return self.fieldsets  # type: ignore[return-value]
        model = self.model
        names = columns.field_names(model)
        head = ["id", "stripe_dashboard", "livemode", "created", "description"]
        head = [name for name in head if name in names or hasattr(self, name)]
        facts = pages.FACTS.get(model._meta.model_name)
        if facts:
            details = [self._detail(name) for name in facts]
        else:
            details = [
                self._detail(f.name)
                for f in columns.concrete_fields(model)
                if f.name not in columns.BASE_FIELDS
            ]
        details.append(self._detail("metadata"))
        fieldsets = [
            (None, {"fields": head}),
            ("Details", {"fields": details}),
        ]
        tables = self._tables()
        if tables:
            fieldsets.append(("Related", {"fields": tables}))
        fieldsets += [
            ("Related objects", {"fields": ["related_objects"]}),
            ("Stripe data", {"fields": ["stripe_data_json"]}),
            (
                "Mirror",
                {
                    "classes": ["collapse"],
                    "fields": [
                        "djstripe_id",
                        self._detail("djstripe_owner_account"),
                        "djstripe_created",
                        "djstripe_updated",
                        "djstripe_observed_at",
                    ],
                },
            ),
        ]
        return fieldsets

    def _detail(self, name: str) -> Any:
        """How a detail is shown (see ``columns.column_for``); built once."""
        cache = self.__dict__.setdefault("_detail_cache", {})
        if name not in cache:
            cache[name] = columns.column_for(self.model, name, self.admin_site.name)
        return cache[name]

    def _tables(self) -> list[Any]:
        """The bounded tables of related rows this model's page shows."""
        if "_tables_cache" not in self.__dict__:
            self._tables_cache = [
                pages.related_table(self.model, relation, names, self.admin_site.name)
                for relation, names in pages.TABLES.get(self.model._meta.model_name, ())
                if _has_relation(self.model, relation)
            ]
        return self._tables_cache

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
        sync_all = self.admin_site.admin_view(require_POST(self.sync_all_view))
        return [
            path(
                "sync-all/",
                sync_all,
                name=f"{opts.app_label}_{opts.model_name}_sync_all",
            ),
            path(
                "<path:object_id>/resync/",
                view,
                name=f"{opts.app_label}_{opts.model_name}_resync",
            ),
            *super().get_urls(),
        ]

    def can_sync_all(self, request: HttpRequest) -> bool:
        """ "Sync all" needs the change permission and a type Stripe lists."""
        from ..sync.backfill import is_listable

        return is_listable(self.model) and self.has_write_permission(request)

    def sync_all_view(self, request: HttpRequest) -> HttpResponse:
        """Start the back-fill of this model (a task, or inline)."""
        if not self.can_sync_all(request):
            raise PermissionDenied
        name = self.opts.verbose_name_plural
        try:
            queued, outcome = tasks.start_backfill(self.model)
        except Exception as error:  # reported, the admin stays up
            logger.warning("Back-fill of %s failed", name, exc_info=True)
            self.message_user(
                request,
                f"Could not sync all {name}: {type(error).__name__}: {error}",
                messages.ERROR,
            )
        else:
            verb = "Started the back-fill of all" if queued else "Synced all"
            self.message_user(
                request, f"{verb} {name} from Stripe: {outcome}.", messages.SUCCESS
            )
        return HttpResponseRedirect(
            display.admin_changelist_url(self.model, self.admin_site.name)
        )

    def changelist_view(
        self, request: HttpRequest, extra_context: Any = None
    ) -> HttpResponse:
        extra_context = dict(extra_context or {})
        if self.can_sync_all(request):
            opts = self.opts
            extra_context["djstripe_sync_all_url"] = reverse(
                f"admin:{opts.app_label}_{opts.model_name}_sync_all",
                current_app=self.admin_site.name,
            )
        return super().changelist_view(request, extra_context)

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


def _has_relation(model: type[models.Model], accessor: str) -> bool:
    return any(r.get_accessor_name() == accessor for r in model._meta.related_objects)


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
            self.list_display = tuple(shown[:7]) or ("__str__",)
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
