"""The settings mypy's Django plugin loads (pyproject.toml, [tool.django-stubs]): the service's
own, read in whatever environment `mypy src` runs in.

The plugin imports the settings and sets Django up to learn the models; nothing is served
and nothing is signed, so no SECRET_KEY is needed and none is made up for production. The
plugin restores the environment once Django is set up."""

import os

os.environ.setdefault("BUDGET_ALLOW_INSECURE_KEY", "1")

from entrypoints.settings import *  # noqa: F403
