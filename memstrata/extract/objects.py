"""What a frame's object is: a name, a job title, or a taste, read from the
words that follow its trigger.

A name is a capitalised run ("Kestrel Freight"), an apposition ("a startup
called Karvon", "the bank (Samarkand Trust)", "a bike shop, Spoke & Chain") or
an uncommon lower-case word ("viajo", "porto"); a title ends in a role word
("junior data analyst"); a taste is a short noun phrase cut at the first word
that starts something else ("black tea at all anymore" -> "black tea").
"""

from __future__ import annotations

import re
from typing import Literal

from memstrata.extract.letters import compile_widened
from memstrata.extract.lexicon import common_words
from memstrata.index.analyzer import STOP_WORDS

ObjectKind = Literal["place", "organization", "person", "title", "taste", "none"]

# Words that make a capitalised run a name no longer (it has ended).
_CONNECTORS = frozenset(
    "& and of de del da do la le di van von der den y e upon the du des".split()
)
_WORD = re.compile(r"[^\s,.;:!?()\"“”]+")
_ARTICLE = compile_widened(r"^(?:the|a|an)\s+(?=[A-Z])")
_TAIL_PUNCT = "'’.,;:!?)\"”"
_APPOSITION = compile_widened(
    r"^(?:a|an|the|this|my|our|that)\s+(?:[a-z][\w\-]*\s*){0,3}?"
    r"(?:(?:called|named)\s+|\(\s*|,\s+)(?=[A-Za-z])"
)
ROLE_WORDS = frozenset(
    """
    nurse chef cook manager engineer teacher pilot paramedic analyst developer designer
    accountant lawyer doctor dentist electrician plumber driver writer editor consultant
    coordinator officer assistant scientist researcher student intern architect barista
    waiter waitress clerk technician therapist surgeon librarian journalist photographer
    mechanic lecturer professor tutor programmer cashier baker butcher farmer carpenter
    firefighter pharmacist vet veterinarian director lead head supervisor specialist
    administrator receptionist secretary translator midwife carer caregiver paralegal
    attorney banker broker auditor producer animator illustrator copywriter marketer
    recruiter planner strategist advisor adviser counsellor counselor psychologist
    physiotherapist physio optometrist radiographer sonographer welder machinist
    bartender server courier postman postwoman cleaner janitor guard soldier sailor
    apprentice trainee associate partner owner founder ceo cto cfo coo president
    inspector surveyor estate agent realtor salesperson rep representative steward
    stewardess attendant conductor dispatcher operator foreman contractor freelancer
    tester scrum master ux ui devops sre admin sommelier florist tailor hairdresser
    barber stylist beautician coach trainer instructor dj musician artist actor actress
    """.split()
)
_NOT_TASTE = frozenset(
    "it that this them him her you me us one ones lot so too very much more most bit all "
    "how what when where why which who whatever "
    "thing things stuff everything something anything nothing way time day idea".split()
)
_TASTE_STOP = frozenset(
    """
    one two three four five six seven eight nine ten eleven twelve few couple several
    days weeks months years ago times
    now anymore again these every daily because cause since when while but so if
    though at in on for with from to until till after before today yesterday tonight
    tomorrow lately recently already still just really though honestly lol haha
    instead which who that than then this last next ago all over versus vs like such
    """.split()
)
_REFERRING = frozenset({"it", "they", "them"})
_TITLE_STOP = frozenset(
    "at for with in and since now from until but so on who which that of the".split()
)
_NOT_TITLES = frozenset("person guy girl fan lover mess wreck bit lot way".split())


def read_object(kind: ObjectKind, rest: str) -> str | None:
    """The object a frame of this kind takes from the words after its trigger."""
    if kind == "none":
        return None
    if kind == "title":
        return title(rest)
    if kind == "taste":
        return taste(rest)
    return name(rest, kind)


def name(rest: str, kind: ObjectKind = "place") -> str | None:
    """The name the words begin with: 'Kestrel Freight on Monday' -> 'Kestrel Freight';
    'a startup called Karvon' -> 'Karvon'; 'the bank (Samarkand Trust)' ->
    'Samarkand Trust'; 'viajo, until ...' -> 'viajo' (no common word)."""
    rest = rest.lstrip(" ,:")
    if kind != "person" and re.match(r"there\b", rest, re.IGNORECASE):
        return "there"
    apposition = _APPOSITION.match(rest)
    if apposition is not None and apposition.end() < len(rest):
        inner = _capitalised(rest[apposition.end() :]) or _uncommon(rest[apposition.end() :])
        if inner is not None:
            return inner
    bare = rest if kind == "person" else re.sub(_ARTICLE, "", rest)
    capital = _capitalised(bare)
    if capital is not None:
        return capital
    return None if kind == "person" else _uncommon(rest)


def _uncommon(rest: str) -> str | None:
    """A lower-case first word that is no common English word: a brand or a place
    written in lower case ('viajo', 'porto')."""
    word = _WORD.match(rest)
    if word is None:
        return None
    token = word.group(0).rstrip(_TAIL_PUNCT)
    lowered = token.lower()
    if (
        len(token) >= 3
        and token.isalpha()
        and lowered not in STOP_WORDS
        and lowered not in common_words()
        and lowered not in _TASTE_STOP
    ):
        return token
    return None


def _capitalised(text: str) -> str | None:
    words: list[str] = []
    for match in _WORD.finditer(text):
        if text[words_end(words, text) : match.start()].strip(" "):
            break  # punctuation between: the name has ended
        word = match.group(0)
        if word.rstrip(_TAIL_PUNCT) in _CALENDAR:
            break
        capital = word[:1].isupper() or (word[:1].isdigit() and bool(words))
        if capital or (words and word.lower() in _CONNECTORS):
            words.append(word)
        else:
            break
        if len(words) >= 6:
            break
    while words and words[-1].lower() in _CONNECTORS:
        words.pop()
    if not words or not words[0][:1].isupper():
        return None
    value = " ".join(words).rstrip(_TAIL_PUNCT)
    value = re.sub(r"['’]s$", "", value)
    if value.lower() in STOP_WORDS or value in _CALENDAR:
        return None
    return value


def words_end(words: list[str], text: str) -> int:
    """Where the words taken so far end in ``text`` (0 before the first)."""
    if not words:
        return 0
    position = 0
    for word in words:
        position = text.index(word, position) + len(word)
    return position


_CALENDAR = frozenset(
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April "
    "May June July August September October November December I I'm".split()
)


def title(rest: str) -> str | None:
    """A job title: 'junior data analyst at Ferrantis' -> 'junior data analyst'."""
    words: list[str] = []
    for match in _WORD.finditer(rest.lower()):
        word = match.group(0).strip(_TAIL_PUNCT)
        if word in _TITLE_STOP or not word.replace("-", "").isalpha():
            break
        words.append(word)
        if rest[match.end() : match.end() + 1] in ",.;:!?)":
            break
        if len(words) >= 4:
            break
    while words and words[-1] not in ROLE_WORDS and not words[-1].endswith(("ist", "ian")):
        words.pop()
    if not words or words[-1] in _NOT_TITLES:
        return None
    return " ".join(words)


def taste(rest: str) -> str | None:
    """What a taste or habit is about: 'black tea at all anymore' -> 'black tea'."""
    words: list[str] = []
    rest = re.sub(r"^\s*to\s+(?=[a-z])", "", rest)  # "like to run"
    for match in _WORD.finditer(rest):
        word = match.group(0)
        bare = word.lower().strip(_TAIL_PUNCT)
        if (
            not bare
            or bare in _TASTE_STOP
            or bare[:1].isdigit()
            or not bare.replace("-", "").replace("'", "").isalnum()
        ):
            break
        if bare in ("person", "guy", "girl", "gal", "fan", "lover", "drinker", "eater", "convert"):
            break
        words.append(word.strip(_TAIL_PUNCT))
        if rest[match.end() : match.end() + 1] in ",.;:!?)":
            break
        if len(words) >= 5:
            break
    while words and words[0].lower() in ("a", "an", "the", "my", "our", "some", "being"):
        words.pop(0)
    while words and words[-1].lower() in STOP_WORDS:
        words.pop()
    if words and words[0].lower() in ("it", "them", "that") and len(words) == 1:
        return "it"  # the taste named last
    if not words or " ".join(words).lower() in _NOT_TASTE or words[0].lower() in _NOT_TASTE:
        return None
    return " ".join(words)


def taste_before(text: str) -> str | None:
    """'... and now Velvet Orchards' -> 'Velvet Orchards' (the words before 'are my favourite')."""
    words: list[str] = _WORD.findall(text)[-4:]
    if words and words[-1].lower() in _REFERRING:
        return words[-1].lower()  # "they're my favourite band": what was named before
    while words and (words[0].lower() in STOP_WORDS or words[0].lower() in _TASTE_STOP):
        words.pop(0)
    return taste(" ".join(words)) if words else None
