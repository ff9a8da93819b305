"""Parameter types shared by the commands."""

from __future__ import annotations

import json
from typing import Any

import click

from .app import UserError


class JsonObject(click.ParamType):
    """A JSON object given inline (``'{"k": 1}'``), as in ``det model create --metadata``.

    Bad JSON is a user error (exit 1, one line), not a usage error, so it reads
    like every other invalid value the registry rejects.
    """

    name = "JSON"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> dict[str, Any]:
        if isinstance(value, dict):
            return value
        option = param.opts[0] if param is not None and param.opts else "value"
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError as exc:
            raise UserError(f"{option} is not valid JSON: {exc}") from None
        if not isinstance(parsed, dict):
            raise UserError(f'{option} must be a JSON object like \'{{"key": "value"}}\'')
        return parsed


JSON_OBJECT = JsonObject()
