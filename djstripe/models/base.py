"""``StripeModel``: the abstract base of every mirrored Stripe object.

A concrete model declares only what differs from the others: its
``stripe_class``, the relations and columns worth indexing (the reference's
*attributes*), ``expand_fields`` and its properties. Reading from and writing
to Stripe, and turning what Stripe returns into rows, are done here and in the
mirror engine, once for all models.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar, Self, cast

from django.core.exceptions import ObjectDoesNotExist
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.db.models.signals import class_prepared
from django.dispatch import receiver

from .. import stripe_api, sync
from ..fields import (
    StripeCharField,
    StripeDateTimeField,
    StripeForeignKey,
    StripeIdField,
    StripeJSONField,
    stripe_id_of,
)
from ..properties import StripeProperty
from ..settings import djstripe_settings
from ..sync.parents import ParentList

DASHBOARD_URL = "https://dashboard.stripe.com"

logger = logging.getLogger(__name__)


if TYPE_CHECKING:
    _QuerySet = models.QuerySet[Any]
else:
    _QuerySet = object


class StripeQuerySetMixin(_QuerySet):
    """Queryset helpers shared by every mirrored model (plain or polymorphic)."""

    def live(self) -> Self:
        return self.filter(livemode=True)

    def test(self) -> Self:
        return self.filter(livemode=False)

    def stripe_data_filter(self, **lookups: Any) -> Self:
        """Filter on any field of the stored Stripe object.

        ``Charge.objects.stripe_data_filter(outcome__risk_level="elevated")`` is
        ``filter(stripe_data__outcome__risk_level="elevated")``: JSON key
        lookups that work the same on SQLite and PostgreSQL.
        """
        return self.filter(**{f"stripe_data__{k}": v for k, v in lookups.items()})

    def during(self, year: int, month: int) -> Self:
        """Objects Stripe created in the month (UTC), as dj-stripe's managers."""
        start, end = month_range(year, month)
        return self.filter(created__gte=start, created__lt=end)


def stripe_now() -> datetime.datetime:
    """Now, on the clock the mirror stamps rows with: the wall clock, or the
    clock a fake Stripe installed (:func:`djstripe.sync.use_clock`), so that a
    subscription's period is compared with the time its data came from."""
    return sync.engine._now()


def stripe_int(path: str) -> Cast:
    """An integer field of ``stripe_data`` (``"amount_refunded"``) as a SQL
    expression, for sums over what Stripe sent (minor units)."""
    return Cast(KT(f"stripe_data__{path}"), models.BigIntegerField())


def month_range(year: int, month: int) -> tuple[datetime.datetime, datetime.datetime]:
    """``[first instant of the month, first instant of the next)``, in UTC: Stripe's
    timestamps are UTC, so a month is the same whatever the site's time zone."""
    start = datetime.datetime(year, month, 1, tzinfo=datetime.UTC)
    end = datetime.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=datetime.UTC)
    return start, end


class StripeQuerySet(StripeQuerySetMixin, models.QuerySet[Any]):
    pass


_StripeManagerBase = models.Manager.from_queryset(StripeQuerySet)


class StripeManager(_StripeManagerBase[Any]):
    pass


class StripeModel(models.Model):
    """Common columns and the Stripe round trip of every mirrored object."""

    #: The stripe-python resource class (``stripe.Customer``).
    stripe_class: ClassVar[Any] = None
    #: The Stripe ``object`` string (``"customer"``); derived from stripe_class.
    stripe_object_name: ClassVar[str] = ""
    #: Fields expanded when djstripe reads these objects from Stripe.
    expand_fields: ClassVar[list[str]] = []
    #: The dashboard path segment (``"customers"``); empty: no dashboard page.
    stripe_dashboard_item_name: ClassVar[str] = ""
    #: Other ``object`` strings this model mirrors.
    stripe_object_aliases: ClassVar[tuple[str, ...]] = ()
    #: Whether this model takes over an ``object`` name another model claimed.
    stripe_register_as_default: ClassVar[bool] = True
    #: Columns djstripe owns locally; a mirror write never overwrites them.
    stripe_local_fields: ClassVar[tuple[str, ...]] = ()
    #: A datetime column set when Stripe deletes the object (the row is kept);
    #: ``None`` removes the row.
    stripe_soft_delete_field: ClassVar[str | None] = None
    #: Objects that Stripe never changes or deletes once created (events): the
    #: engine inserts new ones and skips known ones without reading them (or
    #: the deletion tombstones) first.
    stripe_immutable: ClassVar[bool] = False
    #: Whether a back-fill lists this type with ``GET <class url>``. ``None``:
    #: when stripe-python can list it. ``False`` for types listed only under a
    #: parent (subscription items, invoice lines): they arrive with the parent.
    stripe_listable: ClassVar[bool | None] = None
    #: Extra parameters of a back-fill's list requests, e.g. ``{"status":
    #: "all"}`` where Stripe's default list leaves objects out.
    stripe_list_params: ClassVar[dict[str, Any]] = {}
    #: A relation that nested copies of this object inherit from the object
    #: that embeds them when their own data does not name it (an invoice's
    #: ``lines`` → ``"invoice"``). See :func:`djstripe.sync.engine.upsert`.
    stripe_parent_field: ClassVar[str | None] = None
    #: For resources Stripe serves under a parent (``/v1/transfers/{id}/reversals``):
    #: ``(relation field, sub-path)``. The parent id comes from the stored row.
    stripe_nested_in: ClassVar[tuple[str, str] | None] = None
    #: Where Stripe lists these objects under a parent (a customer's payment
    #: methods): a back-fill lists each under every mirrored parent. See
    #: :class:`djstripe.sync.parents.ParentList`.
    stripe_parent_lists: ClassVar[tuple[ParentList, ...]] = ()
    #: Stripe fields that get no automatic property (see ``_add_field_properties``).
    stripe_unmapped_fields: ClassVar[tuple[str, ...]] = ()

    djstripe_id = models.BigAutoField(
        primary_key=True, serialize=False, verbose_name="ID"
    )
    id = StripeIdField(unique=True, help_text="The object's Stripe id.")
    livemode = models.BooleanField(
        null=True,
        default=None,
        help_text="True for live mode, False for test mode, None if unknown.",
    )
    created = StripeDateTimeField(help_text="When Stripe created the object.")
    stripe_data = models.JSONField(
        default=dict,
        # stripe-python objects (``.to_dict()``) carry Decimals for decimal
        # strings; store them as the strings Stripe sent.
        encoder=DjangoJSONEncoder,
        help_text="The full Stripe object as last seen (expanded relations as ids).",
    )
    description = StripeCharField(
        help_text="An arbitrary string attached to the object."
    )
    metadata = StripeJSONField(help_text="Key/value pairs attached to the object.")
    djstripe_owner_account = StripeForeignKey(
        "djstripe.Account",
        related_name="+",
        help_text="The Stripe account this object belongs to.",
    )
    djstripe_created = models.DateTimeField(auto_now_add=True, editable=False)
    djstripe_updated = models.DateTimeField(auto_now=True, editable=False)
    djstripe_observed_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        db_index=False,
        help_text="When the stored data was true in Stripe (the staleness gate).",
    )

    objects = StripeManager()

    class Meta:
        abstract = True
        get_latest_by = "created"
        base_manager_name = "objects"

    def __str__(self) -> str:
        return f"<id={self.id}>"

    # -- What the engine needs to know -----------------------------------------

    @classmethod
    def _stripe_relation_paths(cls) -> list[str]:
        """Stripe paths this model stores as ids: its relations, and whatever
        it expands (an expandable field is an id, or a list of ids, unless
        expanded), so ``stripe_data`` has one shape however it was read."""
        paths = [
            f.stripe_path or f.name
            for f in cls._meta.concrete_fields
            if isinstance(f, StripeForeignKey) and f.name != "djstripe_owner_account"
        ]
        return list(dict.fromkeys([*paths, *cls.expand_fields]))

    @classmethod
    def stripe_extra_values(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Columns derived from ``data`` by means other than a field's path."""
        return {}

    @classmethod
    def is_valid_object(cls, data: dict[str, Any]) -> bool:
        """Whether ``data`` is a Stripe object this model mirrors."""
        return data.get("object") in (
            cls.stripe_object_name,
            *cls.stripe_object_aliases,
        )

    @classmethod
    def stripe_class_url(cls) -> str:
        """The API path of the resource (``/v1/customers``)."""
        return cast(str, cls.stripe_class.class_url())

    @classmethod
    def _collection_url(cls, id: str) -> str:
        """The path that ``id`` lives under: the class URL, or the parent's
        sub-collection for nested resources (``/v1/transfers/tr_1/reversals``)."""
        if cls.stripe_nested_in is None:
            return cls.stripe_class_url()
        field_name, sub_path = cls.stripe_nested_in
        field: Any = cls._meta.get_field(field_name)
        parent_id = (
            cls._base_manager.filter(id=id)
            .values_list(field.attname, flat=True)
            .first()
        )
        if not parent_id:
            raise LookupError(f"{cls.__name__} {id} has no stored {field_name}")
        return f"{field.related_model.stripe_class_url()}/{parent_id}/{sub_path}"

    # -- Stripe round trip -------------------------------------------------------

    @classmethod
    def api_list(
        cls, api_key: str | None = None, **params: Any
    ) -> Iterator[dict[str, Any]]:
        """Every object of this type in Stripe, read a page of 100 at a time with
        this model's ``expand_fields`` (dj-stripe's ``api_list``; Stripe's list
        filters and ``stripe_account`` as keyword arguments). Nothing is mirrored:
        pass the objects to :func:`djstripe.sync.upsert`, or use the back-fill."""
        from ..sync.plan import list_params

        params = {**list_params(cls), **params}
        stripe_account = params.pop("stripe_account", None)
        for page in stripe_api.iter_pages(
            cls.stripe_class_url(),
            params,
            api_key=api_key or djstripe_settings.STRIPE_SECRET_KEY,
            stripe_account=stripe_account,
        ):
            yield from page

    @classmethod
    def api_retrieve_data(
        cls, id: str, api_key: str | None = None, stripe_account: str | None = None
    ) -> dict[str, Any]:
        """Read one object from Stripe with this model's ``expand_fields``."""
        return stripe_api.retrieve(
            cls._collection_url(id),
            id,
            expand=cls.expand_fields or None,
            api_key=api_key,
            stripe_account=stripe_account,
        )

    def api_retrieve(
        self, api_key: str | None = None, stripe_account: str | None = None
    ) -> dict[str, Any]:
        """This object as Stripe has it now."""
        return self.api_retrieve_data(
            self.id,
            api_key or self.default_api_key,
            stripe_account or self._stripe_account,
        )

    @classmethod
    def _api_request(
        cls,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        /,
        *,
        api_key: str | None = None,
        stripe_account: str | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """The one way a model method calls Stripe.

        What Stripe answers is mirrored by the caller, so it is asked for with
        this model's ``expand_fields``: the answer then has the shape of a read
        and its expanded objects become rows too. A DELETE answers with a stub
        or the final object and takes no expansion.
        """
        params = dict(params or {})
        if cls.expand_fields and method != "delete":
            params.setdefault("expand", list(cls.expand_fields))
        return stripe_api.request(
            method,
            path,
            params,
            api_key=api_key,
            stripe_account=stripe_account,
            idempotency_key=idempotency_key,
        )

    @classmethod
    def _api_create(
        cls,
        api_key: str | None = None,
        stripe_account: str | None = None,
        idempotency_key: str | None = None,
        **params: Any,
    ) -> dict[str, Any]:
        """Create the object in Stripe (not mirrored: see :meth:`_create_mirrored`)."""
        return cls._api_request(
            "post",
            cls.stripe_class_url(),
            params,
            api_key=api_key,
            stripe_account=stripe_account,
            idempotency_key=idempotency_key,
        )

    @classmethod
    def _create_mirrored(
        cls,
        api_key: str | None = None,
        stripe_account: str | None = None,
        idempotency_key: str | None = None,
        **params: Any,
    ) -> Self:
        """Create the object in Stripe, then mirror Stripe's answer and return
        the row: what every ``create``-like model method does."""
        data = cls._api_create(
            api_key=api_key,
            stripe_account=stripe_account,
            idempotency_key=idempotency_key,
            **params,
        )
        return cls.sync_from_stripe_data(
            data, api_key=api_key, stripe_account=stripe_account
        )

    def _api_instance_request(
        self,
        method: str,
        action: str = "",
        /,
        api_key: str | None = None,
        stripe_account: str | None = None,
        idempotency_key: str | None = None,
        **params: Any,
    ) -> dict[str, Any]:
        """``method`` on this object's URL (``.../<id>`` or ``.../<id>/<action>``),
        with this object's mode key and connected account unless given."""
        path = f"{self._collection_url(self.id)}/{self.id}"
        return self._api_request(
            method,
            f"{path}/{action}" if action else path,
            params,
            api_key=api_key or self.default_api_key,
            stripe_account=stripe_account or self._stripe_account,
            idempotency_key=idempotency_key,
        )

    def _api_update(self, **kwargs: Any) -> dict[str, Any]:
        """Update the object in Stripe (not mirrored: callers sync the result)."""
        return self._api_instance_request("post", **kwargs)

    def _api_action(self, action: str, **kwargs: Any) -> dict[str, Any]:
        """``POST .../<id>/<action>`` (``capture``, ``pay``, ``detach``...);
        returns what Stripe returns, for the caller to mirror."""
        return self._api_instance_request("post", action, **kwargs)

    def _api_delete(self, **kwargs: Any) -> dict[str, Any]:
        """``DELETE .../<id>`` (extra keyword arguments: Stripe's parameters)."""
        return self._api_instance_request("delete", **kwargs)

    def _mirror(self, data: dict[str, Any], api_key: str | None = None) -> Self:
        """Mirror ``data`` (Stripe's answer about this object) as owned by
        this object's account, and return the fresh row."""
        return self.sync_from_stripe_data(
            data, api_key=api_key, stripe_account=self._stripe_account
        )

    @classmethod
    def sync_from_stripe_data(
        cls,
        data: dict[str, Any],
        api_key: str | None = None,
        stripe_account: str | None = None,
    ) -> Self:
        """Mirror ``data`` (a Stripe object of this type) and return its row.

        Nested expanded objects are mirrored too, and every relation column is
        filled from the ids in ``data``, whether the related rows exist yet or
        not. The staleness gate applies: if the row holds newer data, the row
        is returned unchanged. If it holds different data stamped with the
        same second, Stripe is asked which is current; if Stripe cannot be
        asked, ``data`` (the caller's explicit word) wins, and a warning says so.
        """
        options: dict[str, Any] = {"api_key": api_key, "stripe_account": stripe_account}
        result = sync.upsert([data], owner_account=stripe_account, **options)
        if result.refetched:
            logger.info(
                "%s %s: the stored copy differs within the same second; "
                "re-read from Stripe",
                cls.__name__,
                data.get("id"),
            )
        if result.unresolved_ties:
            logger.warning(
                "%s %s: the stored copy differs within the same second and "
                "Stripe could not be asked which is current; keeping the data "
                "passed to sync_from_stripe_data",
                cls.__name__,
                data.get("id"),
            )
            sync.upsert(
                [data],
                owner_account=stripe_account,
                refetch="never",
                _tie_wins=True,
                **options,
            )
        return cls._base_manager.get(id=data["id"])

    @classmethod
    def from_stripe_data(cls, data: dict[str, Any]) -> Self:
        """An unsaved instance holding ``data``, for objects that must never
        become rows (an invoice preview). Use :meth:`sync_from_stripe_data`
        to mirror."""
        values = sync.engine.row_values(cls, sync.normalize(cls, data), None, None)
        return cls(**{k: v for k, v in values.items() if k in _attnames(cls)})

    def refresh_from_stripe(self, api_key: str | None = None) -> Self:
        """Re-read this object from Stripe, mirror it, and return the fresh row."""
        return self.sync_from_stripe_data(
            self.api_retrieve(api_key=api_key), api_key=api_key
        )

    # -- Conveniences --------------------------------------------------------------

    def _related(self, name: str) -> StripeModel | None:
        """The row the relation ``name`` points at, or None while that object
        is not mirrored (a relation is an id, written before its row may be)."""
        try:
            return cast(StripeModel | None, getattr(self, name))
        except ObjectDoesNotExist:
            return None

    @property
    def default_api_key(self) -> str:
        """The configured secret key of this object's mode."""
        return djstripe_settings.get_default_api_key(self.livemode)

    @property
    def _stripe_account(self) -> str | None:
        """The connected account to act as, for objects owned by one."""
        return cast(str | None, self.djstripe_owner_account_id or None)

    def get_stripe_dashboard_url(self) -> str:
        """The object's page in the Stripe dashboard (test or live)."""
        if not self.stripe_dashboard_item_name or not self.id:
            return ""
        account = (
            f"/{self.djstripe_owner_account_id}"
            if self.djstripe_owner_account_id
            else ""
        )
        mode = "" if self.livemode else "/test"
        return f"{DASHBOARD_URL}{account}{mode}/{self.stripe_dashboard_item_name}/{self.id}"


def id_of(value: Any) -> str | None:
    """The Stripe id of a model instance, a Stripe object or an id string:
    model methods take any of the three wherever Stripe wants an id."""
    if isinstance(value, StripeModel):
        return cast(str, value.id)
    return stripe_id_of(value)


def _object_name(model: type[StripeModel]) -> str:
    return cast(str, model.stripe_class.OBJECT_NAME)


def _attnames(model: type[StripeModel]) -> set[str]:
    return {f.attname for f in model._meta.concrete_fields}


def stripe_field_names(stripe_class: Any) -> list[str]:
    """The top-level fields of a Stripe object, from stripe-python's annotations
    (nested classes are capitalised and are not fields)."""
    annotations = vars(stripe_class).get("__annotations__", {})
    return [name for name in annotations if not name[0].isupper()]


def _add_field_properties(model: type[StripeModel]) -> None:
    """Give ``model`` a :class:`StripeProperty` for every field of its Stripe
    object that it does not declare (as a column, a relation or a property).

    The interesting fields are declared in the model with a docstring; the long
    tail (``payment_settings``, ``rendering``...) is still reachable by name,
    one code path for all of them, instead of hundreds of one-line copies.
    Reverse relations added later (``subscription.items``) take precedence.
    """
    for name in stripe_field_names(model.stripe_class):
        if (
            name in model.stripe_unmapped_fields
            or name == "object"
            or hasattr(model, name)
        ):
            continue
        prop = StripeProperty(f"Stripe's ``{name}`` field, as last seen.")
        prop.__set_name__(model, name)
        setattr(model, name, prop)


@receiver(class_prepared)
def _register_stripe_model(sender: type, **kwargs: Any) -> None:
    """Put every concrete ``StripeModel`` with a ``stripe_class`` in the engine's
    registry as soon as Django has built the class."""
    if (
        isinstance(sender, type)
        and issubclass(sender, StripeModel)
        and not sender._meta.abstract
        and sender.stripe_class is not None
    ):
        if "stripe_object_name" not in sender.__dict__:
            sender.stripe_object_name = _object_name(sender)
        _add_field_properties(sender)
        sync.register(sender)
