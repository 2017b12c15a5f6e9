"""The HTTP JSON API (`/api/v1/`): django-ninja views over the use cases, bearer tokens."""
