"""The error tree of memstrata.

MemstrataError
├── NotFound            (also LookupError)
├── InvalidInput        (also ValueError)
│   └── EmbedderMismatch
├── Conflict            an id already stored with other content
├── StoreError
│   ├── AlreadyExtracted
│   └── SchemaVersionError
├── ProviderError
│   ├── ProviderUnavailable
│   └── BadProviderOutput
└── MissingDependency   (also ImportError)

Every error carries a stable ``code`` (the REST service's JSON error bodies
and the MCP tools' errors carry it; the CLI maps it to an exit code) and the
fields that explain it.
"""

from __future__ import annotations


class MemstrataError(Exception):
    """Base of every error memstrata raises on purpose."""

    code = "memstrata_error"


class NotFound(MemstrataError, LookupError):
    """A record that was asked for by id does not exist (in this namespace)."""

    code = "not_found"

    def __init__(self, kind: str, id: str, namespace: str | None = None) -> None:
        self.kind = kind
        self.id = id
        self.namespace = namespace
        where = f" in namespace {namespace!r}" if namespace is not None else ""
        super().__init__(f"{kind} {id!r} not found{where}")


class InvalidInput(MemstrataError, ValueError):
    """The caller handed over something memstrata will not store or answer."""

    code = "invalid_input"

    def __init__(self, message: str, field: str | None = None) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}" if field else message)


class EmbedderMismatch(InvalidInput):
    """The store's vectors were made by another embedding model."""

    code = "embedder_mismatch"

    def __init__(self, stored: str, requested: str, registered: str | None = None) -> None:
        self.stored = stored
        self.requested = requested
        self.registered = registered  # the registered name of the store's embedder
        use = f"embedder={registered!r} (or 'auto')" if registered else "its embedder"
        super().__init__(
            f"the store holds vectors of {stored!r} but the embedder is {requested!r}; "
            f"open it with {use}, or re-embed explicitly "
            "(Memory(..., on_model_change='reembed') or `memstrata --embedder NAME reembed`)",
            field="embedder",
        )


class Conflict(MemstrataError):
    """A record id is already stored with other content: adding is idempotent by
    id, so the new content is refused rather than dropped (nothing is stored)."""

    code = "conflict"

    def __init__(
        self,
        kind: str,
        id: str,
        namespace: str,
        field: str | None = None,
        *,
        in_batch: bool = False,
    ) -> None:
        self.kind = kind
        self.id = id
        self.namespace = namespace
        self.field = field
        where = (
            "comes twice in one batch"
            if in_batch
            else f"is already stored in namespace {namespace!r}"
        )
        super().__init__(
            f"{kind} {id!r} {where} with other content; nothing was stored: give "
            "the new content another id"
        )


class StoreError(MemstrataError):
    """The storage backend failed (I/O, corruption, locking)."""

    code = "store_error"


class AlreadyExtracted(StoreError):
    """Another process stored the structure of these episodes first; this
    extraction is dropped (its changes were never written) and the queue re-read."""

    code = "already_extracted"


class SchemaVersionError(StoreError):
    """The store was written by a newer memstrata than this one."""

    code = "schema_version"

    def __init__(self, found: int, supported: int) -> None:
        self.found = found
        self.supported = supported
        super().__init__(
            f"store schema version {found} is newer than this memstrata supports ({supported})"
        )


class ProviderError(MemstrataError):
    """An embedder or LLM provider failed."""

    code = "provider_error"


class ProviderUnavailable(ProviderError):
    """The provider could not be reached or refused the request."""

    code = "provider_unavailable"


class BadProviderOutput(ProviderError):
    """The provider answered with something that is not what was asked for."""

    code = "bad_provider_output"


class MissingDependency(MemstrataError, ImportError):
    """An optional package is needed; ``extra`` names the pip extra to install."""

    code = "missing_dependency"

    def __init__(self, extra: str, package: str | None = None) -> None:
        self.extra = extra
        self.package = package or extra
        super().__init__(
            f"{self.package} is not installed; install it with: pip install 'memstrata[{extra}]'"
        )
