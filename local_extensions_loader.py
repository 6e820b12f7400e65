"""The Jinja extension cookiecutter.json names: local_extensions.py, read from disk each time.

`cruft update` renders the template twice in one Python process, at the project's old
commit and at the new one, from the same folder. Python keeps the first module it imported
under a name, so a module named in `_extensions` would serve the old commit's code to the
new one (an AttributeError when a name is new, stale rules when one changed). This module
holds no template logic: it compiles local_extensions.py from its source for every Jinja
environment, and hands the work to that file's TemplateExtension. Keep it that way, and
keep its names: an older copy of it may be the one Python kept.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

from jinja2 import Environment
from jinja2.ext import Extension

IMPLEMENTATION = Path(__file__).resolve().parent / "local_extensions.py"


def load_implementation() -> ModuleType:
    """local_extensions.py as the file reads now: compiled from its source, not taken from
    sys.modules or a bytecode cache (cruft rewrites the file within the same second)."""
    module = ModuleType("local_extensions_from_disk")
    module.__file__ = str(IMPLEMENTATION)
    code = compile(IMPLEMENTATION.read_text(encoding="utf-8"), str(IMPLEMENTATION), "exec")
    exec(code, module.__dict__)
    return module


class TemplateExtension(Extension):
    """Forwards to local_extensions.TemplateExtension, which registers its own filters."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        self.implementation: Extension = load_implementation().TemplateExtension(environment)
        self.tags = self.implementation.tags
        self.priority = self.implementation.priority

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        return self.implementation.preprocess(source, name, filename)

    def filter_stream(self, stream: Any) -> Any:
        return self.implementation.filter_stream(stream)

    def parse(self, parser: Any) -> Any:
        return self.implementation.parse(parser)
