"""Saving through use cases: the add and change pages of brands and campaigns validate the
posted form (and its inline formsets) on their own, then make one use-case call. A refusal
puts the use case's errors on the fields it names and shows the same page again; nothing
was written then."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from contextvars import ContextVar
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.exceptions import DisallowedModelAdminToField
from django.contrib.admin.options import IS_POPUP_VAR, TO_FIELD_VAR
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.forms import BaseFormSet
from django.forms.utils import pretty_name
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_protect

from core.entities import DomainError, FieldError, Money
from entrypoints.admin.display import money_text

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise


def actor(request: HttpRequest) -> str:
    """Who the audit log names for a change made on this request."""
    return request.user.get_username()


class MoneyField(forms.CharField):
    """A money amount as the operator typed it (spaces around it dropped), for the core to
    judge by its one rule for money: ASCII digits, an optional point and up to six places.
    Django's DecimalField would first turn "1_000", "+5", "1e2" or another script's digits
    into a number, which the core would then never see as written."""

    #: The currency the amount is in, once the form knows it (a stored brand or campaign):
    #: it decides how many places a stored amount shows with.
    currency = ""

    def to_python(self, value: Any) -> str | None:
        text = str(super().to_python(value))
        return text or None

    def prepare_value(self, value: Any) -> Any:
        # A stored 1000.000000 shows as 1000.00 (1000 in yen), 12.345600 as 12.3456: the
        # currency's places, more only where they are not zero, and no thousands separator,
        # so that the shown value saves back unchanged.
        if isinstance(value, Decimal):
            return money_text(value, self.currency, grouped=False)
        return value

    def has_changed(self, initial: Any, data: Any) -> bool:
        # The stored Decimal against the typed text: "100" is no change to 100.000000.
        text = self.to_python(data)
        if initial is None or text is None:
            return (initial is None) != (text is None)
        try:
            return Money.parse(text, "amount") != Money.of(initial)
        except DomainError:
            return True  # the use case refuses it, naming the field


class CoreJudgedForm(forms.ModelForm):  # type: ignore[type-arg]
    """A model form whose values the core judges. Each such field is declared on the form
    as a plain form field and also listed in Meta.exclude: excluded, the model neither
    copies it onto the instance nor validates it, so the model's validators and constraints
    (lengths, uniqueness, positive budgets) never answer before the core, in the database's
    words. The instance stays as stored, for the page's read-only parts; a use case writes."""

    #: Use case field names that differ from the form's.
    field_of: ClassVar[Mapping[str, str]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The change history names a changed field by its label ("Daily budget"), which a
        # declared field has only when given one.
        for name, field in self.fields.items():
            if name in self.declared_fields and field.label is None:
                field.label = pretty_name(name)
        currency = self.currency_of_instance()
        for field in self.fields.values():
            if isinstance(field, MoneyField):
                field.currency = currency
        # An excluded field takes no initial value from the instance: a stored row's values
        # are given here, so that the page shows them and `changed_data` compares with them.
        if self.instance.pk is not None:
            stored = {
                name: getattr(self.instance, name)
                for name in self.declared_fields
                if name in self.fields and hasattr(self.instance, name)
            }
            self.initial = {**stored, **self.initial}

    def currency_of_instance(self) -> str:
        """The currency of the stored object's amounts; empty while it is not known."""
        return ""

    def show_refusal(self, error: FieldError) -> None:
        """Put a use case's error on the field it names (or above the form)."""
        field = self.field_of.get(error.field, error.field)
        if field in self.fields:
            self.add_error(field, error.message)
        else:
            self.add_error(None, f"{error.field}: {error.message}")


class Saved(NamedTuple):
    """What a save through a use case did: the saved object's pk, and what the operator
    should know beyond "changed successfully" (a status changed, a hold added or released),
    said in the same message."""

    pk: Any
    outcome: str = ""


# The outcome of the save being answered, for the success message Django's admin writes.
# A context variable: one admin instance serves every request, on any thread.
_saved_outcome: ContextVar[str] = ContextVar("saved_outcome", default="")


class UseCaseAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The add and change pages of a model that use cases write. A subclass saves in
    `save_through_use_case` and may place refusals itself in `show_refusal`. Nothing is
    ever deleted here: no use case deletes."""

    form = CoreJudgedForm

    def save_through_use_case(
        self, request: HttpRequest, form: Any, formsets: Sequence[Any], change: bool
    ) -> Saved:
        """Make the one use-case call for a valid form; the saved object's pk and the
        outcome to tell. Raises the use case's DomainError if it refuses."""
        raise NotImplementedError

    def show_refusal(
        self, form: Any, formsets: Sequence[Any], errors: Iterable[FieldError]
    ) -> None:
        for error in errors:
            form.show_refusal(error)

    @method_decorator(csrf_protect)
    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # Django's own view runs a POST inside transaction.atomic. This one must not: each
        # use case commits in a durable transaction of its own, and a durable transaction
        # cannot be nested inside another.
        to_field = request.POST.get(TO_FIELD_VAR, request.GET.get(TO_FIELD_VAR))
        if to_field and not self.to_field_allowed(request, to_field):
            raise DisallowedModelAdminToField(f"The field {to_field} cannot be referenced.")
        posted = request.method == "POST"
        add = object_id is None
        obj: Model | None = None
        if add:
            if not self.has_add_permission(request):
                raise PermissionDenied
        else:
            assert object_id is not None
            obj = self.get_object(request, unquote(object_id), to_field)
            allowed = (
                self.has_change_permission(request, obj)
                if posted
                else self.has_view_or_change_permission(request, obj)
            )
            if not allowed:
                raise PermissionDenied
            if obj is None:
                return self.missing(request, object_id)

        fieldsets = self.get_fieldsets(request, obj)
        form_class = self.get_form(
            request, obj, change=not add, fields=flatten_fieldsets(fieldsets)
        )
        if posted:
            form = form_class(request.POST, request.FILES, instance=obj)
        elif add:
            form = form_class(initial=self.get_changeform_initial_data(request))
        else:
            form = form_class(instance=obj)
        formsets, inlines = self.create_inline_formsets(request, form.instance, change=not add)

        if posted:
            # Every part validated, so that the page shows all the errors at once.
            valid = [form.is_valid(), *(f.is_valid() for f in formsets if f.is_bound)]
            if all(valid):
                try:
                    saved = self.save_through_use_case(request, form, formsets, change=not add)
                except DomainError as refusal:
                    self.show_refusal(form, formsets, refusal.errors)
                else:
                    told = _saved_outcome.set(saved.outcome)
                    try:
                        return self.respond_saved(request, form, formsets, saved.pk, add)
                    finally:
                        _saved_outcome.reset(told)

        context = {
            **self.admin_site.each_context(request),
            **self.form_page_context(request, form, formsets, inlines, fieldsets, obj, add),
            "object_id": object_id,
            "is_popup": IS_POPUP_VAR in request.POST or IS_POPUP_VAR in request.GET,
            "to_field": to_field,
            "preserved_filters": self.get_preserved_filters(request),
            **(extra_context or {}),
        }
        return self.render_change_form(
            request, context, add=add, change=not add, obj=obj, form_url=form_url
        )

    def create_inline_formsets(
        self, request: HttpRequest, obj: Model, change: bool
    ) -> tuple[list[Any], list[Any]]:
        """The inline formsets of the page and their inlines, each formset under its own
        prefix."""
        formsets: list[Any] = []
        inlines: list[Any] = []
        seen: Counter[str] = Counter()
        for formset_class, inline in self.get_formsets_with_inlines(
            request, obj if change else None
        ):
            prefix = formset_class.get_default_prefix()
            seen[prefix] += 1
            if seen[prefix] > 1 or not prefix:
                prefix = f"{prefix}-{seen[prefix]}"
            formsets.append(formset_class(**self.get_formset_kwargs(request, obj, inline, prefix)))
            inlines.append(inline)
        return formsets, inlines

    def get_formset_kwargs(
        self, request: HttpRequest, obj: Model, inline: Any, prefix: str
    ) -> dict[str, Any]:
        kwargs: dict[str, Any] = super().get_formset_kwargs(request, obj, inline, prefix)
        # Rows the operator may not edit are shown as stored and take no part in the save
        # (a view-only row posts no values to validate).
        parent = obj if obj.pk is not None else None
        editable = (
            inline.has_change_permission(request, parent)
            if parent is not None
            else inline.has_add_permission(request, None)
        )
        if not editable:
            for key in ("data", "files", "save_as_new"):
                kwargs.pop(key, None)
        return kwargs

    def form_page_context(
        self,
        request: HttpRequest,
        form: forms.ModelForm[Any],
        formsets: list[BaseFormSet[Any]],
        inlines: list[Any],
        fieldsets: Any,
        obj: Model | None,
        add: bool,
    ) -> dict[str, Any]:
        """The form, its inlines, their errors and the title, as the change form template
        reads them."""
        can_change = add or self.has_change_permission(request, obj)
        admin_form = helpers.AdminForm(
            form,
            list(fieldsets),
            self.get_prepopulated_fields(request, obj) if can_change else {},
            self.get_readonly_fields(request, obj) if can_change else flatten_fieldsets(fieldsets),
            model_admin=self,
        )
        inline_admin_formsets = self.get_inline_formsets(request, formsets, inlines, obj)
        media = self.media + admin_form.media
        for inline_admin_formset in inline_admin_formsets:
            media += inline_admin_formset.media
        title = _("Add %s") if add else _("Change %s") if can_change else _("View %s")
        return {
            "title": title % self.opts.verbose_name,
            "subtitle": str(obj) if obj else None,
            "adminform": admin_form,
            "original": obj,
            "media": media,
            "inline_admin_formsets": inline_admin_formsets,
            "errors": helpers.AdminErrorList(form, formsets),
        }

    def respond_saved(
        self,
        request: HttpRequest,
        form: forms.ModelForm[Any],
        formsets: list[BaseFormSet[Any]],
        pk: Any,
        add: bool,
    ) -> HttpResponse:
        """Log the saved change in the admin's history and answer as Django's admin does
        (to the list, the same page, a new form, or the popup that asked)."""
        saved = self.get_object(request, str(pk))
        if saved is None:
            return self.missing(request, str(pk))
        message = self.construct_change_message(request, form, formsets, add)
        if add:
            self.log_addition(request, saved, message)
            return self.response_add(request, saved)
        self.log_change(request, saved, message)
        return self.response_change(request, saved)

    def message_user(
        self,
        request: HttpRequest,
        message: _StrOrPromise,
        level: int | str = messages.INFO,
        extra_tags: str = "",
        fail_silently: bool = False,
    ) -> None:
        # Django's "was changed successfully", followed by what the save did to the object.
        outcome = _saved_outcome.get()
        if outcome and level == messages.SUCCESS:
            message = format_html("{} {}", message, outcome)
        super().message_user(request, message, level, extra_tags, fail_silently)

    def missing(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Back to the admin's index, saying the object is not there."""
        # Django's own words (and so its translations) for an object that is not there.
        missing = "%(name)s with ID “%(key)s” doesn’t exist. Perhaps it was deleted?"  # noqa: RUF001
        text = _(missing) % {
            "name": self.opts.verbose_name,
            "key": unquote(object_id),
        }
        self.message_user(request, text, messages.WARNING)
        return HttpResponseRedirect(reverse("admin:index", current_app=self.admin_site.name))

    def construct_change_message(
        self, request: HttpRequest, form: Any, formsets: Any, add: bool = False
    ) -> list[dict[str, dict[str, list[str]]]]:
        # Inline formsets were not saved by Django (a use case wrote them), so they have no
        # record of saved objects to describe.
        message = super().construct_change_message(request, form, [], add)
        if any(formset.is_bound and formset.has_changed() for formset in formsets or ()):
            message.append({"changed": {"fields": ["dayparting windows"]}})
        return message

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
