"""`manage.py create_api_token USER [--name NAME]`"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.entities import InvalidInput
from entrypoints.api.tokens import USE_API, UnknownUser, issue_token


class Command(BaseCommand):
    help = (
        "Issue an HTTP API bearer token for an existing user and print it on the last line. "
        "The token is shown only now (the database keeps only its hash). It works while the "
        "user is active and holds the permission api.use_api (superusers hold every "
        "permission). Revoke tokens in the admin under HTTP API > API tokens."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("user", metavar="USER", help="The username the token acts as.")
        parser.add_argument(
            "--name", default="", help="A label to tell the token apart (e.g. 'ad-platform')."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        username: str = options["user"]
        try:
            token = issue_token(username, options["name"])
        except InvalidInput as error:
            raise CommandError(f"--name: {error.errors[0].message}") from None
        except UnknownUser:
            raise CommandError(
                f"USER: there is no user named '{username}' "
                "(create one with `manage.py createsuperuser` or in the admin)"
            ) from None
        user = get_user_model()._default_manager.get_by_natural_key(username)
        if not user.is_active:
            self.stderr.write(f"Warning: '{username}' is inactive; the token will be refused.")
        elif not user.has_perm(USE_API):
            self.stderr.write(
                f"Warning: '{username}' lacks the permission {USE_API}; the API will answer "
                "403 until it is granted (in the admin, or make the user a superuser)."
            )
        self.stdout.write(f"API token for '{username}' (shown only this once):")
        self.stdout.write(token)
