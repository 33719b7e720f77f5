"""The demo's billing app: what a dj-stripe project's own code looks like,
running unchanged on djstripe (a ``djstripe_receiver`` handler, a page built
with ``SubscriptionMixin``)."""
