"""A site's own app with a foreign key into dj-stripe's tables, and a
migration that depends on dj-stripe's last one: both must survive the switch.
Imported as ``shop`` by the dj-stripe site and as ``tests.switch.shop`` by
djstripe's side; its label is ``shop`` either way."""
