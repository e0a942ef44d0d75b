"""Errors that reach users as one clear line (CLI exit code 2), never as a traceback."""

from __future__ import annotations


class ToolagentError(Exception):
    """Base class for user-facing errors."""


class BadInput(ToolagentError):
    """Bad user input: a missing or corrupt image, an empty question, a malformed argument."""


class ConfigError(ToolagentError):
    """Bad configuration: an unknown model spec, an unreachable model server, a missing dependency."""
