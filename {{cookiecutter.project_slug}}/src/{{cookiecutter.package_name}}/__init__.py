"""The application package: its models, database access and migrations."""
