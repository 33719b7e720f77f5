"""Switching a dj-stripe 2.11 database to djstripe with one ``manage.py migrate``.

dj-stripe and djstripe share the app label ``djstripe`` and the name of the
first migration, so on a dj-stripe database Django believes djstripe's
``0001_initial`` applied while the tables are dj-stripe's. Two steps fix that:

1. :mod:`djstripe.switch.schema`, run by the migration
   ``switch_from_dj_stripe``, recognises dj-stripe's tables by what is in the
   database, copies them aside as ``djstripe_legacy_*`` and creates djstripe's
   tables in their place;
2. :mod:`djstripe.switch.convert`, run once every djstripe migration has been
   applied (``post_migrate``), mirrors each legacy row's ``stripe_data``
   through the engine (no Stripe request), copies what dj-stripe kept only
   locally, and prints and stores a report.

The legacy tables are never dropped by djstripe: they are the rollback and the
record of anything that could not be converted.
"""
