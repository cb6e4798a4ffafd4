"""Sentence patterns that turn simple statements into facts.

Each pattern reads a subject ("I" = the speaker, or a capitalised name), a
predicate and an object. Objects that name someone or something become
entities; the rest are literal values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from memstrata.extract.letters import widened

# Predicates that hold one value at a time: a new value closes the old one.
SINGLE_VALUED = frozenset(
    {
        "lives_in",
        "works_at",
        "job",
        "age",
        "relationship_status",
        "has_partner",  # as an LLM extractor names it
        "diet",
        "studies_at",
    }
)

# A capitalised name of up to five words ("Lyon", "New York", "Boulangerie Martin").
_CALENDAR = (
    r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|March|April|"
    r"May|June|July|August|September|October|November|December)\b"
)
NAME = widened(
    rf"[A-Z][\w'’\-]*(?:\s+(?:(?:de|del|la|le|of|the|and|&|upon)\s+)?(?!{_CALENDAR})[A-Z][\w'’\-]*){{0,4}}"
)
SUBJECT = rf"(?P<subject>\b(?:I|We|we)\b|{NAME})"
ADVERB = r"(?:\s+(?:just|recently|finally|now|currently|also|still|actually|officially))*"
# Present and perfect auxiliaries ("I'm living", "we've moved", "Anna is working").
AUX = r"(?:['’]m|['’]re|['’]ve|['’]s|\s+am|\s+are|\s+is|\s+have|\s+has)?"

RELATIONS = {
    "sister": "sister",
    "brother": "brother",
    "mother": "mother",
    "mom": "mother",
    "mum": "mother",
    "father": "father",
    "dad": "father",
    "son": "son",
    "daughter": "daughter",
    "wife": "partner",
    "husband": "partner",
    "partner": "partner",
    "boyfriend": "partner",
    "girlfriend": "partner",
    "fiance": "partner",
    "fiancé": "partner",
    "fiancée": "partner",
    "friend": "friend",
    "best friend": "friend",
    "boss": "boss",
    "manager": "boss",
    "cousin": "cousin",
    "aunt": "aunt",
    "uncle": "uncle",
    "grandmother": "grandmother",
    "grandma": "grandmother",
    "grandfather": "grandfather",
    "grandpa": "grandfather",
    "roommate": "roommate",
    "colleague": "colleague",
    "coworker": "colleague",
    "neighbor": "neighbor",
    "neighbour": "neighbor",
    "dog": "pet",
    "cat": "pet",
    "puppy": "pet",
    "kitten": "pet",
    "horse": "pet",
    "rabbit": "pet",
    "parrot": "pet",
    "hamster": "pet",
}
PETS = frozenset({"dog", "cat", "puppy", "kitten", "horse", "rabbit", "parrot", "hamster"})
_RELATION = "|".join(sorted(RELATIONS, key=len, reverse=True))


@dataclass(frozen=True, slots=True)
class Pattern:
    predicate: str
    regex: re.Pattern[str]
    object_kind: str | None  # None: a literal value
    value: str | None = None  # a fixed object ("single" after a break-up)
    # Words (lowercase; digits one by one) of which a matching sentence holds at
    # least one: a sentence without any is not run through the regex.
    triggers: frozenset[str] = frozenset()


# The words of a sentence as ``triggers`` name them.
TRIGGER_WORDS = re.compile(r"[^\W\d_]+|\d")
_RELATION_WORDS = " ".join(RELATIONS)
_DIGITS = "0 1 2 3 4 5 6 7 8 9"


def _p(
    predicate: str,
    regex: str,
    object_kind: str | None,
    value: str | None = None,
    *,
    on: str,
) -> Pattern:
    triggers = frozenset(on.split())
    return Pattern(predicate, re.compile(regex), object_kind, value, triggers)


# fmt: off
PATTERNS: tuple[Pattern, ...] = (
    _p("job", rf"{SUBJECT}{ADVERB}\s+(?:became|become|am now|'m now|’m now)\s+(?:a|an)\s+(?P<object>[a-z][a-z\- ]{{2,40}}?)(?=\s+(?:at|for|in|and|last|this)\b|[,.!?;]|$)", None, on="became become now"),
    _p("job", r"\b(?P<subject>[Mm]y)\s+(?:job|profession|occupation)\s+is\s+(?:a\s+|an\s+)?(?P<object>[a-z][a-z\- ]{2,40}?)(?=[,.!?;]|$)", None, on="job profession occupation"),
    _p("studies_at", rf"{SUBJECT}{AUX}{ADVERB}\s+(?:study|studies|studying)\s+(?:\w+\s+){{0,3}}at\s+(?P<object>{NAME})", "organization", on="study studies studying"),
    _p("age", rf"{SUBJECT}(?:'m|’m| am| is| turned| just turned)\s+(?P<object>\d{{1,3}})(?:\s+years?\s+old|\s+today|(?=\s*[^\w\s'’]|$)|(?=\s+(?:and|but|so|now|with)\s))", None, on=_DIGITS),
    _p("relationship_status", rf"{SUBJECT}(?:'m|’m| am| is| got| just got){ADVERB}\s+(?P<object>single|married|engaged|divorced|separated|widowed)\b", None, on="single married engaged divorced separated widowed"),
    _p("relationship_status", rf"{SUBJECT}{ADVERB}\s+(?:broke up|split up)\b", None, "single", on="broke split"),
    _p("allergic_to", rf"{SUBJECT}(?:'m|’m| am| is)\s+(?:[a-z]+\s+and\s+)?(?:very\s+|severely\s+|deathly\s+)?allergic\s+to\s+(?P<object>[a-z][a-z\- ]{{2,30}}?)(?=[,.!?;]|\s+(?:and|so|but)\b|$)", None, on="allergic"),
    _p("visited", rf"{SUBJECT}{AUX}{ADVERB}\s+(?:went|been|traveled|travelled|flew|drove|took a trip)\s+(?:back\s+|over\s+)?to\s+(?P<object>{NAME})", "place", on="went been traveled travelled flew drove trip"),
    _p("visited", rf"{SUBJECT}{AUX}{ADVERB}\s+visited\s+(?P<object>{NAME})", "place", on="visited"),
    _p("met", rf"{SUBJECT}{AUX}{ADVERB}\s+(?:met|met up with|ran into|bumped into)\s+(?P<object>{NAME})", "person", on="met ran bumped"),
    _p("has_relation", rf"\b(?P<subject>[Mm]y)\s+(?:new\s+|little\s+|older\s+|younger\s+|big\s+|baby\s+|best\s+)?(?P<relation>{_RELATION})\s*,?\s+(?:is\s+called\s+|called\s+|named\s+)?(?P<object>{NAME})", "person", on=_RELATION_WORDS),
    _p("has_relation", rf"{SUBJECT}(?:\s+have|\s+has|\s+got|\s+adopted|\s+just adopted){ADVERB}\s+(?:a|an|another)\s+(?:new\s+|little\s+)?(?P<relation>{_RELATION})\s*,?\s+(?:called\s+|named\s+)?(?P<object>{NAME})", "person", on=_RELATION_WORDS),
)
# fmt: on

# Predicates of dated happenings: a correction may re-date them.
EVENTS = frozenset({"visited", "met"})

CORRECTION = re.compile(
    r"(?:^|[.!?,;:]\s*|\b(?:it['’]s|is|was|no|oh)\s+)actually\b|\bactually,|"
    r"\b(?:correction|i meant|i mean|sorry,? i|to be clear|no wait|scratch that|"
    r"i misspoke|wait,? sorry|sorry,? wait|typo|my bad|oops|i mixed (?:them|it) up|mix them up|"
    r"misheard|misread|misspelled|misspelt|mistyped|misremembered|"
    r"got\s+(?:it|that|the\s+\w+|his\s+\w+|her\s+\w+|their\s+\w+)\s+wrong)\b|"
    rf"\b(?:is|was|it['’]s)\s+(?-i:{NAME}),?\s+not\s+(?-i:{NAME})",
    re.IGNORECASE,
)
# What a correction that names no whole fact says instead ("I meant Clara, not Anna",
# "it's actually Vantage Peak", "wait sorry, Stavanger!!").
CORRECTED_VALUE = re.compile(
    rf"\b(?:was|meant|mean|is|it['’]s)\s+(?:actually\s+)?(?:in\s+|at\s+|with\s+|to\s+)?(?P<value>{NAME})"
    rf"|\b(?:sorry|wait|oops)[,!\s]+(?:I\s+meant\s+)?(?P<said>{NAME})(?=\s*[!.,]|\s*$)"
)
# A correction of a whole statement, whatever else the sentence says ("..., not Hamilton").
EXPLICIT_CORRECTION = re.compile(
    rf"\b(?:meant|it['’]s actually|is actually)\b|,\s*not\s+(?:in\s+|at\s+)?{NAME}|"
    rf"^\W*(?:wait\s+)?sorry[,!\s]+{NAME}\s*[!.]",
)
WRONG_VALUE = re.compile(rf"\bnot\s+(?:in\s+|at\s+|with\s+|to\s+)?(?P<wrong>{NAME})")
