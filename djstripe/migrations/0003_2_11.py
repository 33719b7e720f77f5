"""Named after dj-stripe 2.11's last migration, and empty (see ``0002_2_10``)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("djstripe", "0002_2_10")]
    operations = []
