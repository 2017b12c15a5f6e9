"""`manage.py reset_daily_spends [--now INSTANT] [--async]`: see _reset.py."""

from entrypoints.management.commands._reset import ResetCommand


class Command(ResetCommand):
    pass
