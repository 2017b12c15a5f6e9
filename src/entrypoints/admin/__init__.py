"""The operators' admin: brands, campaigns (with their windows), the spend ledger, the status
audit log and the alert outbox, one module each (`brands`, `campaigns`, `records`), on the
shared parts in `saving` and `display`.

The admin never writes a row itself. Every save and every action calls a use case through
the container, with the logged-in user's username as the actor, so holds and status are
recomputed at once and every status change is audited. What the use cases own (state,
status, holds, counters, due times) is read-only here; the ledger, the audit log and the
alerts are read-only for everyone, superusers included."""

from django.contrib import admin

from entrypoints.admin import brands, campaigns, records

admin.site.site_header = "Ad budget control"
admin.site.site_title = "Ad budget control"
admin.site.index_title = "Brands, campaigns, spend and the audit trail"
# "View site" leads to the dashboard, which is the admin's index (entrypoints/urls.py).
admin.site.site_url = "/admin/"

__all__ = ["brands", "campaigns", "records"]
