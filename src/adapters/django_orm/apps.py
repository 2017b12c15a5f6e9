from django.apps import AppConfig


class BudgetConfig(AppConfig):
    name = "adapters.django_orm"
    label = "budget"
    verbose_name = "Budget control"
    default_auto_field = "django.db.models.BigAutoField"
