"""What a migration check raises when a revision did not do what it should."""


class MigrationCheckFailed(AssertionError):
    """A revision did not do what it should; the message says which one, and how."""
