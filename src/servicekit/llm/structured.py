"""JSON-schema output: checking the schema a caller gives and the JSON a model returns.

Providers constrain the output as well as they can (OpenAI's ``response_format``, Anthropic's tool
input, a llama.cpp grammar), but no provider guarantees it, so every reply is parsed and validated
here, the same way for all of them.
"""

from __future__ import annotations

import json
import re
from typing import Any

from jsonschema import exceptions as schema_exceptions
from jsonschema import validators

from servicekit.llm.errors import LLMResponseError

# Chat models often wrap JSON in a Markdown fence even when told not to.
_FENCE = re.compile(r"^\s*```(?:json)?\s*\n(?P<body>.*?)\n?\s*```\s*$", re.DOTALL | re.IGNORECASE)


def check_schema(schema: dict[str, Any]) -> None:
    """Reject an invalid schema before any tokens are paid for (a caller's bug, not the model's)."""
    try:
        validators.validator_for(schema).check_schema(schema)
    except schema_exceptions.SchemaError as error:
        raise ValueError(f"json_schema is not a valid JSON Schema: {error.message}") from error


def parse_reply(text: str, schema: dict[str, Any]) -> Any:
    """The JSON value in ``text``, validated against ``schema``; LLMResponseError otherwise."""
    fenced = _FENCE.match(text)
    body = fenced.group("body") if fenced else text
    try:
        value = json.loads(body)
    except json.JSONDecodeError as error:
        raise LLMResponseError(
            f"the model did not return valid JSON ({error.msg} at line {error.lineno} "
            f"column {error.colno}): {_excerpt(text)}",
            text=text,
        ) from error
    validator = validators.validator_for(schema)(schema)
    problem = schema_exceptions.best_match(validator.iter_errors(value))
    if problem is not None:
        where = "/".join(str(part) for part in problem.absolute_path) or "(root)"
        raise LLMResponseError(
            f"the model's JSON does not match the schema at {where}: {problem.message}",
            text=text,
        )
    return value


def _excerpt(text: str, limit: int = 200) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")
