"""memstrata: structured long-term memory for LLM agents and chat assistants.

>>> from memstrata import Memory                                   # doctest: +SKIP
>>> with Memory("memory.db") as memory:                            # doctest: +SKIP
...     memory.add("I moved to Lyon in May", speaker="Ana")
...     memory.search("where does Ana live?")
"""

from memstrata.async_memory import AsyncMemory
from memstrata.config import Settings
from memstrata.errors import (
    BadProviderOutput,
    Conflict,
    EmbedderMismatch,
    InvalidInput,
    MemstrataError,
    MissingDependency,
    NotFound,
    ProviderError,
    ProviderUnavailable,
    SchemaVersionError,
    StoreError,
)
from memstrata.memory import Memory
from memstrata.model import (
    Answer,
    Document,
    Entity,
    Episode,
    Event,
    Fact,
    Filters,
    Forgotten,
    HistoryEntry,
    Hit,
    ImportReport,
    Job,
    Message,
    NamespaceStats,
    Note,
    Policy,
    Profile,
    ProfileLine,
    StoreStats,
    Strength,
    Subgoal,
    Summary,
    Task,
)
from memstrata.providers.llm.chat import TokenUsage

__version__ = "0.1.0"

__all__ = [
    "Answer",
    "AsyncMemory",
    "BadProviderOutput",
    "Conflict",
    "Document",
    "EmbedderMismatch",
    "Entity",
    "Episode",
    "Event",
    "Fact",
    "Filters",
    "Forgotten",
    "HistoryEntry",
    "Hit",
    "ImportReport",
    "InvalidInput",
    "Job",
    "Memory",
    "MemstrataError",
    "Message",
    "MissingDependency",
    "NamespaceStats",
    "NotFound",
    "Note",
    "Policy",
    "Profile",
    "ProfileLine",
    "ProviderError",
    "ProviderUnavailable",
    "SchemaVersionError",
    "Settings",
    "StoreError",
    "StoreStats",
    "Strength",
    "Subgoal",
    "Summary",
    "Task",
    "TokenUsage",
]
