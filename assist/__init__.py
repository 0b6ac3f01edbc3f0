"""assist: offline agent-assist script recommender for bank contact centres.

    from assist import Assistant
    assistant = Assistant.load()
    suggestion = assistant.suggest("我卡怎么刷不了了，提示账户被限制")
    print(suggestion.reply)

Heavy modules (numpy, FAISS, the encoder) load on first use of ``Assistant``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assist.errors import AssistError, IndexStateError, InputError, LibraryError, ModelError
from assist.types import Candidate, Script, Suggestion, Violation

if TYPE_CHECKING:
    from assist.lookup.assistant import Assistant

__all__ = [
    "AssistError",
    "Assistant",
    "Candidate",
    "IndexStateError",
    "InputError",
    "LibraryError",
    "ModelError",
    "Script",
    "Suggestion",
    "Violation",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name == "Assistant":
        from assist.lookup.assistant import Assistant

        return Assistant
    raise AttributeError(f"module 'assist' has no attribute {name!r}")
