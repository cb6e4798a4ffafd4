"""Request and response bodies of the REST API (pydantic v2)."""

from __future__ import annotations

from datetime import datetime
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from memstrata.model import Filters, JSONValue
from memstrata.retrieve.tokens import TokenizerName

T = TypeVar("T")


class Body(BaseModel):
    """A request body: unknown fields are refused, and numbers and booleans must be
    JSON numbers and booleans ("5" is refused, as the Python API refuses it)."""

    model_config = ConfigDict(extra="forbid")


class MessageIn(Body):
    content: str = Field(min_length=1)
    speaker: str | None = None
    role: str | None = None
    occurred_at: datetime | None = None
    session_id: str | None = None
    metadata: dict[str, JSONValue] = Field(default_factory=dict)
    id: str | None = None


class AddRequest(Body):
    messages: list[MessageIn] = Field(min_length=1)
    session_id: str | None = None
    speaker: str | None = None
    role: str | None = None
    occurred_at: datetime | None = None
    metadata: dict[str, JSONValue] = Field(default_factory=dict)


class PurgeRequest(Body):
    episode_ids: list[str] | None = None
    everything: StrictBool = False


class Recall(Body):
    """The fields of a recall request's Filters record, as the library names
    them, and the moment it is asked."""

    session_id: str | None = None
    speaker: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    metadata: dict[str, JSONValue] | None = None
    now: datetime | None = None

    def filters(self) -> Filters:
        return Filters(self.session_id, self.speaker, self.since, self.until, self.metadata)


class SearchRequest(Recall):
    query: str = Field(min_length=1)
    limit: StrictInt = 10
    within: str | None = None


class ContextRequest(Recall):
    query: str = Field(min_length=1)
    token_budget: StrictInt = 1000
    tokenizer: TokenizerName | None = Field(
        None, description="what the budget is counted in (default: the service's setting)"
    )


class AnswerRequest(Body):
    query: str = Field(min_length=1)
    token_budget: StrictInt = 2000
    now: datetime | None = None


class ForgetRequest(Body):
    threshold: float | None = None
    ids: list[str] | None = None
    record_kind: Literal["note", "summary"] = "note"
    dry_run: StrictBool = False
    now: datetime | None = None


class RecordRequest(Body):
    record_id: str = Field(min_length=1)
    record_kind: Literal["note", "summary"] = "note"


class PinRequest(RecordRequest):
    is_pinned: StrictBool = True


class ConsolidateRequest(Body):
    now: datetime | None = None
    background: StrictBool = True


class PolicyRequest(Body):
    forget_below: float | None = None
    forget_every_s: StrictInt | None = None
    consolidate_every_s: StrictInt | None = None


class TitleRequest(Body):
    title: str = Field(min_length=1)


class StepRequest(Body):
    content: str = Field(min_length=1)
    kind: Literal["action", "observation", "thought"] = "action"


class SummaryRequest(Body):
    summary: str | None = None


class KeyRequest(Body):
    name: str = Field(min_length=1, max_length=200)
    namespaces: list[str] = Field(min_length=1)
    is_admin: StrictBool = False
    rate_per_minute: StrictInt | None = None


class KeyOut(BaseModel):
    id: str
    name: str
    namespaces: list[str]
    is_admin: bool
    rate_per_minute: int | None
    created_at: datetime
    revoked_at: datetime | None


class NewKey(BaseModel):
    key: KeyOut
    token: str = Field(description="shown once: only its hash is stored")


class Text(BaseModel):
    text: str


class Count(BaseModel):
    count: int


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_offset: int | None = Field(description="pass as offset for the next page; null: last")


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None
    request_id: str


class ErrorBody(BaseModel):
    error: ErrorDetail
