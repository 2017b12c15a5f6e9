"""`manage.py reset_daily_spends [--now INSTANT]`: see _reset.py."""

from entrypoints.management.commands._reset import ResetCommand


class Command(ResetCommand):
    pass
