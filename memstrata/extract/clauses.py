"""Clauses of a sentence, with who each is about and how it is meant.

A sentence is cut at semicolons, dashes, and conjunctions that open a new
clause ("..., and I started at ...", "... but we split up"). Each clause gets:

- a subject: the speaker for "I", "we", "me" or a clause with none of its own
  ("handed in my notice", "moved in last Saturday"); a named person for
  "Tobenna just quit"; the last person named for "he" or "she"; ``None`` when
  it is about the listener ("you moved?") or someone unnamed ("my mum").
- a mood: ``asserted``; ``negated`` ("I've never lived in ..."); ``ended``
  ("... anymore", "no longer"); ``hypothetical`` ("if I moved", "I might take
  it", "thinking about moving"); ``asked``
  ("did you go to ...?"); ``reported`` ("my mum kept saying I'll ...").
- a tense: -1 past, +1 future, 0 present, for the time words to point the right way.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from memstrata.extract.letters import compile_widened
from memstrata.extract.lexicon import NOT_NAMES
from memstrata.extract.patterns import RELATIONS
from memstrata.extract.timeexpr import resolve

Mood = Literal["asserted", "negated", "ended", "hypothetical", "asked", "reported"]

_SPLIT = re.compile(
    r"\s*(?:;|\s[—–-]\s|—|–|\.\.\.|…)\s*"
    r"|,?\s+(?=(?:since|when|after|before|until|where)\s+(?:i|i'm|i've|we|we're|he|she|they)\b)"
    r"|,?\s+(?=(?:and|but|so|then|because|cause|cuz|plus|though|although|while|whereas)\s+"
    r"(?:i|i'm|im|i've|ive|i'll|we|we're|we've|he|she|they|my|our|now|then|since|last|in|on|"
    r"at|after|before|this|next|started|moved|left|quit|got|handed|finally|also|still)\b)"
    r"|,\s+(?=(?:i|i'm|im|i've|ive|we|we're|he|she|they|now|and|but|so)\b)",
    re.IGNORECASE,
)
# Where one statement ends and the next begins inside a message: a full stop
# (not of an abbreviation) or an emoji before a capital.
_HARD = compile_widened(
    r"(?<!Co\.)(?<!Mr\.)(?<!Dr\.)(?<!St\.)(?<!Ms\.)(?<!Jr\.)(?<!vs\.)(?<=[.!?])\s+"
    r"|(?<=[^\w\s,;:'’\"()\[\]&.!?-])\s+(?=[A-Z])"
)
_LABEL = re.compile(r"^[\w ]{1,30}:\s+(?=\w)")  # "big news: ", "update: "
_LEAD = re.compile(
    r"^(?:(?:and|but|so|then|because|cause|cuz|plus|though|although|while|whereas|also|well|"
    r"oh|ok|okay|lol|haha|honestly|anyway|anyways|btw|ugh|omg|yes|yeah|yep|nope|no|wow|"
    r"guess what|update|news|plot twist|finally|officially|basically|actually|apparently|"
    r"sooo?|soo+)\b[\s,:!.]*"
    r"|(?:now|still)\b(?!\s+(?:at|with)\b)[\s,:!.]*)+",  # "still at Hanbit" keeps its word
    re.IGNORECASE,
)
_FIRST = re.compile(
    r"^(?:i|i'm|i’m|im|i've|i’ve|ive|i'd|i'll|i’ll|we|we're|we’re|we've|we’ve|me|my|our)\b",
    re.IGNORECASE,
)
_LISTENER = re.compile(r"^(?:you|you're|you’re|youre|you've|your|u|ur)\b", re.IGNORECASE)
_PRONOUN = re.compile(r"^(?:he|she|he's|she's|he’s|she’s)\b", re.IGNORECASE)
_THEY = re.compile(r"^(?:they|they're|they’ve|they've)\b", re.IGNORECASE)
_UNNAMED = re.compile(
    r"^(?:my|our|his|her|their)\s+(?:\w+\s+)?(?:mum|mom|mother|dad|father|sister|brother|friend|"
    r"boss|manager|colleague|coworker|cousin|aunt|uncle|neighbou?r|roommate|flatmate|son|"
    r"daughter|kid|kids|parents|family|grandma|grandpa|grandmother|grandfather|landlord|"
    r"landlady|team|company|dog|cat|puppy|kitten|parrot|wife|husband|boyfriend|girlfriend|"
    r"partner|fianc\w*)s?\b(?!\s+(?:and\s+i|&\s+i))",
    re.IGNORECASE,
)
_RELATIVE = compile_widened(
    r"^(?:[Mm]y|[Oo]ur)\s+(?:[a-z]+\s+)?(?:"
    + "|".join(sorted(RELATIONS, key=len, reverse=True))
    + r"|manager|flatmate|housemate|mate|buddy|pal)s?\s*,?\s+([A-Z][\w\-]+)\b"
)
_NAMED = compile_widened(
    r"^([A-Z][\w\-]+(?:\s+[A-Z][\w\-]+)?)"
    r"(?:,\s+(?:my|our|his|her|their|the|a|an)\s+[^,]{1,40},)?"  # "Jonas, my flatmate, ..."
    r"\s+(?!and\s+I\b)(?=[a-z])"
)
_POSSESSOR = compile_widened(r"^[A-Z][\w\-]+['’]s\b")
_PAIR = compile_widened(
    r"^(?:([A-Z][\w'’\-]+)\s+(?:and|&)\s+(?:I|me)|(?:me|I)\s+(?:and|&)\s+([A-Z][\w'’\-]+))\b"
)

_QUESTION = re.compile(
    r"^(?:are|is|was|were|do|does|did|have|has|had|can|could|would|will|should|shall|may|might|"
    r"how|what|where|when|which|who|why|whats|what's|hows|how's|or|any|anything|ever|"
    r"wanna|want|u|you)\b",
    re.IGNORECASE,
)
REPORTED = re.compile(
    r"\b(?:said|says|saying|say|told\s+(?:me|us|him|her)|tells\s+(?:me|us)|keeps?\s+saying|"
    r"kept\s+saying|thinks|thought|reckons|insists|insisted|claims|claimed|swears|joked|"
    r"predicted|assumed|assumes|asked\s+(?:me\s+)?(?:if|whether)|argues|argued|contends|"
    r"contended|alleges|alleged|submits|submitted|maintains|maintained|testified|asserts|"
    r"asserted)\b(?:\s+that)?",
    re.IGNORECASE,
)
# A report that goes on past its clause: a saying verb with "that" after it.
_REPORTING = re.compile(REPORTED.pattern.removesuffix(r"(?:\s+that)?") + r",?\s+that\b", re.I)
HYPOTHETICAL = re.compile(
    r"\b(?:if|unless|would|wouldd|could|might|maybe|perhaps|possibly|should\s+i|"
    r"thinking\s+(?:about|of)|think\s+about|considering|consider|tempted|dream(?:ing)?\s+of|"
    r"wish|hoping|hope\s+to|want\s+to|wanna|wants\s+to|wanted\s+to|would\s+love|"
    r"in\s+a\s+heartbeat|someday|some\s+day|one\s+day|offered|offer|applied|applying|apply|"
    r"interview(?:ed|ing)?|not\s+sure|still\s+deciding|deciding|torn|pretend|imagine|"
    r"in\s+theory|rumou?r(?:ed)?|planning\s+to|plan\s+to|plans\s+to|might\s+take)\b",
    re.IGNORECASE,
)
NEGATED = re.compile(
    r"\b(?:not|never|no|n't|dont|don't|don’t|didnt|didn't|didn’t|doesnt|doesn't|doesn’t|"
    r"isnt|isn't|wasnt|wasn't|cant|can't|can’t|cannot|won't|wont|ain't|aint|nor|neither)\b",
    re.IGNORECASE,
)
ENDED = re.compile(r"\b(?:anymore|any\s+more|no\s+longer|not\s+\w+\s+anymore)\b", re.IGNORECASE)
_PAST = re.compile(
    r"\b(?:was|were|had|did|got|went|came|left|took|began|gave|made|ago|last|yesterday|"
    r"\w{3,}ed)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Clause:
    text: str
    subject: str | None  # a name, the speaker's included; None: nobody the facts may name
    question: bool  # the statement it is in ends with a question mark
    partner: str | None = None  # "Tal and I ...": the other of the pair
    # an earlier clause of the statement reports what someone says ("she argues that
    # ..., until he moved to X"): this one is part of the report
    reported: bool = False
    # a name said alone just before ("Mihai — my boyfriend — spilled ..."): whom
    # "my boyfriend" in this clause stands beside
    apposed: str | None = None

    @property
    def mood(self) -> Mood:
        """Read only for clauses that hold a frame: most hold none."""
        return _mood(self.text, self.question)

    @property
    def tense(self) -> int:
        return _tense(self.text)


def split(sentence: str) -> list[list[str]]:
    """The statements of a sentence, each as its clauses."""
    out: list[list[str]] = []
    for statement in _HARD.split(sentence):
        parts: list[str] = []
        for part in _SPLIT.split(statement):
            part = part.strip(" ,") if part else ""
            if not part:
                continue
            if parts and _LONE_NAME.match(parts[-1]) and _PAIRED.match(part):
                parts[-1] = f"{parts[-1]} {part}"  # "Arjun and I broke up"
            else:
                parts.append(part)
        if parts and out and _only_time(statement):
            out[-1][-1] = f"{out[-1][-1]} {statement}"  # "we split up. two weeks ago."
        elif parts:
            out.append(parts)
    return out


_APPOSITIVE = re.compile(r"^(?:[Mm]y|[Oo]ur|[Hh]is|[Hh]er|[Tt]heir)\s+(?:[a-z]+\s+)?[a-z]+$")
_LONE_NAME = compile_widened(r"^[A-Z][\w\-]+(?:\s+[A-Z][\w\-]+)?$")
_PAIRED = re.compile(r"^(?:and|&)\s+I\b")
_ANCHOR = datetime(2000, 6, 15, tzinfo=UTC)


def _only_time(statement: str) -> bool:
    """A statement that is a time and nothing else ('two weeks ago.', 'since New Year's')."""
    if len(statement) > 40:
        return False
    letters = re.sub(r"[^a-z]", "", statement.lower())
    said = "".join(re.sub(r"[^a-z]", "", s.text.lower()) for s in resolve(statement, _ANCHOR))
    return bool(letters) and len(said) >= 0.7 * len(letters)


def _tense(text: str) -> int:
    past = _PAST.search(text) is not None
    future = re.search(
        r"\b(?:will|'ll|’ll|going\s+to|gonna|next|tomorrow|tmrw|soon|in\s+\w+\s+(?:days?|weeks?|months?)|"
        r"(?:i|we)\s+(?:start|begin|move|leave|retire|finish|join|fly)|(?:is|are)\s+(?:this|next|on)|"
        r"(?:am|is|are|['’]m|['’]re)\s+(?:\w+\s+)?(?:moving|relocating|leaving|starting|joining|quitting))\b",
        text,
        re.IGNORECASE,
    )
    if future and not re.search(r"\b(?:was|were|did|ago|yesterday)\b", text, re.IGNORECASE):
        return 1
    return -1 if past else 0


def _mood(text: str, question: bool) -> Mood:
    if question and _QUESTION.match(text):
        return "asked"
    if HYPOTHETICAL.search(text):
        return "hypothetical"
    if ENDED.search(text):
        return "ended"
    if NEGATED.search(text):
        return "negated"
    return "asserted"


def read(sentence: str, speaker: str, last_person: str | None) -> Iterator[Clause]:
    """The clauses of one sentence, in order."""
    for statement in split(sentence):
        yield from _statement(statement, speaker, last_person)


def _statement(parts: list[str], speaker: str, last_person: str | None) -> Iterator[Clause]:
    """A clause with no subject of its own is about the one before it in the same
    statement ("Tobenna, my manager, just quit"), or about the speaker."""
    question = parts[-1].rstrip().endswith("?")
    subject: str | None = speaker
    reported = False
    apposed: str | None = None
    for raw in parts:
        text = _LEAD.sub("", _LABEL.sub("", raw)).strip()
        if not text:
            continue
        if _LONE_NAME.match(text.rstrip(" ,.!")):
            subject = last_person = apposed = text.rstrip(" ,.!")  # "Tobenna — my manager — quit"
            continue
        if _APPOSITIVE.match(text):
            continue  # "my manager" between dashes: the subject stays
        partner = None
        if (pair := _PAIR.match(text)) is not None:
            subject, partner = speaker, pair.group(1) or pair.group(2)
        elif (relative := _RELATIVE.match(text)) is not None:
            subject = last_person = relative.group(1)  # "my brother Jonas lives in ..."
        elif _UNNAMED.match(text):
            subject = None  # "my family lives in ...": nobody the facts may name
        elif _FIRST.match(text):
            subject = speaker
        elif _LISTENER.match(text):
            subject = None
        elif _PRONOUN.match(text):
            subject = last_person
        elif _THEY.match(text):
            subject = "they"
        elif _POSSESSOR.match(text):
            subject = None
        elif (named := _NAMED.match(text)) is not None and named.group(1).split()[
            0
        ] not in NOT_NAMES:
            subject = named.group(1)
            last_person = subject
        yield Clause(text, subject, question, partner, reported, apposed)
        reported = reported or _REPORTING.search(text) is not None
        apposed = None
