"""Jinja filters used by the template (cookiecutter loads this module via `_extensions`)."""

import json

from cookiecutter.utils import simple_filter


@simple_filter
def quoted(value: object) -> str:
    """Render free text as a double-quoted string literal.

    The result is valid in TOML, YAML and Python alike: quotes, backslashes and control
    characters are escaped, and non-ASCII text stays readable.
    """
    return json.dumps(str(value), ensure_ascii=False).replace("\x7f", "\\u007f")

