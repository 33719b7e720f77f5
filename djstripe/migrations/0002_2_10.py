"""Named after dj-stripe 2.10's migration, and empty.

A dj-stripe site's own migrations may depend on ``("djstripe", "0002_2_10")``;
this node keeps them loadable after the switch. On a dj-stripe database it is
already recorded as applied; elsewhere it does nothing.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("djstripe", "0001_initial")]
    operations = []
