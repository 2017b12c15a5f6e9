"""Django ORM adapter: models, migrations, mappers, repositories and the unit of work."""
