"""`manage.py reset_monthly_spends [--now INSTANT] [--async]`: see _reset.py."""

from entrypoints.management.commands._reset import ResetCommand


class Command(ResetCommand):
    pass
