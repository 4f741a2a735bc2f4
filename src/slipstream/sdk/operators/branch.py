"""BaseBranchOperator: subclass it and implement `choose_branch(context)` to pick a path."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from slipstream.sdk.baseoperator import BaseOperator
from slipstream.sdk.operators.python import BranchMixin


class BaseBranchOperator(BranchMixin, BaseOperator):
    """Follows the task (or task group) ids `choose_branch` returns; skips the other children."""

    def choose_branch(self, context: Any) -> str | Iterable[str] | None:
        raise NotImplementedError(f"{type(self).__name__} must implement choose_branch(context)")

    def execute(self, context: Any) -> Any:
        return self.do_branch(context, self.choose_branch(context))
