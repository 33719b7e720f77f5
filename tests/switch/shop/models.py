from django.db import models


class Order(models.Model):
    """An order of the site, pointing at a customer row (by its primary key,
    dj-stripe's ``djstripe_id``)."""

    customer = models.ForeignKey("djstripe.Customer", on_delete=models.PROTECT)
    note = models.CharField(max_length=100)
