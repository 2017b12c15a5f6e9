from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from entrypoints.admin import dashboard
from entrypoints.health import health_view
from entrypoints.metrics import metrics_view

urlpatterns: list[URLPattern | URLResolver] = [
    # The dashboard takes the admin index's place; the console's CSV downloads sit beside it.
    path("admin/", admin.site.admin_view(dashboard.index)),
    path(
        "admin/console/spend.csv",
        admin.site.admin_view(dashboard.spend_csv),
        name="console-spend-csv",
    ),
    path(
        "admin/console/pacing.csv",
        admin.site.admin_view(dashboard.pacing_csv),
        name="console-pacing-csv",
    ),
    path(
        "admin/console/daily.csv",
        admin.site.admin_view(dashboard.series_csv),
        name="console-series-csv",
    ),
    path("admin/", admin.site.urls),
    path("api/", include("entrypoints.api.urls")),
    # For load balancers, monitors and Prometheus: no session, no CSRF form to post.
    path("health", health_view, name="health"),
    path("metrics", metrics_view, name="metrics"),
]

# Errors raised before any view answers (a Host not allowed, a failing middleware) get the
# API's JSON error shape under /api/, and Django's own pages elsewhere.
handler400 = "entrypoints.api.errors.bad_request"
handler403 = "entrypoints.api.errors.permission_denied"
handler404 = "entrypoints.api.errors.page_not_found"
handler500 = "entrypoints.api.errors.server_error"
