"""EmptyOperator: a task that does nothing, for structure (joins, starts, ends)."""

from __future__ import annotations

from typing import Any

from slipstream.sdk.baseoperator import BaseOperator


class EmptyOperator(BaseOperator):
    """Does nothing. The runner marks it done without starting a task process."""

    ui_color = "#e8f7e4"
    inherits_from_empty_operator = True

    def execute(self, context: Any) -> None:
        pass
