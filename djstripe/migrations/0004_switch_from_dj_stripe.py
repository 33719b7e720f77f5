"""On a dj-stripe 2.11 database: move dj-stripe's tables aside as
``djstripe_legacy_*`` and create djstripe's. Rows are converted once every
migration has run (see :mod:`djstripe.switch`). Elsewhere: nothing."""

from django.db import migrations

from djstripe.switch.schema import move_aside


class Migration(migrations.Migration):
    dependencies = [("djstripe", "0003_2_11")]
    operations = [
        migrations.RunPython(move_aside, migrations.RunPython.noop, elidable=False)
    ]
