"""From clauses and frames to fact drafts: who, what, since or until when.

Only asserted clauses make states; a clause that says a state no longer holds
("I don't drink black tea anymore") ends it; questions, reported speech,
hypotheticals and negations make none. A frame with no object of its own takes
the one the conversation last named of its kind ("moved in last Saturday",
"I start on the 4th", "moving there"). Times come from the clause's own words,
read in its tense; a state said to have lasted ("for 31 years", "three years
in ... now") began that long before the message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime

from memstrata.extract.base import FactDraft
from memstrata.extract.clauses import ENDED, HYPOTHETICAL, NEGATED, REPORTED, Clause, read
from memstrata.extract.frames import Found, find
from memstrata.extract.letters import compile_widened
from memstrata.extract.lexicon import NOT_NAMES
from memstrata.extract.patterns import CORRECTION
from memstrata.extract.timeexpr import duration_start, resolve

_SIDE = re.compile(
    r"\b(?:on\s+the\s+side|on\s+top\s+of|side\s+(?:job|gig|hustle)|weekend\s+(?:shifts?|job)|"
    r"part[\s-]time|second\s+job|as\s+well|too)\b",
    re.IGNORECASE,
)
_NEWS = re.compile(r"\b(?:ago|last|since|yesterday|this|on|in)\b", re.IGNORECASE)
_NAMED_KINDS = frozenset({"place", "organization", "person"})
_SINCE_BEFORE = re.compile(r"\b(?:since|ever\s+since)\s+(?:i|we)\s+$", re.IGNORECASE)


# A number taken back in the same breath: "I'm 34 and want to lift — wait, 43",
# "3, sorry, 4 kids": the number meant takes the place of the one said.
_SELF_CORRECTED = re.compile(
    r"\b\d{1,4}\b(?P<between>[^.!?\d]{0,60}?)\s*[,—–-]*\s*"
    r"(?:wait|sorry|i\s+mean|oops|make\s+that|or\s+rather)\s*[,:—–-]*"
    r"\s*(?P<new>\d{1,4})\b(?:\s*[,—–-]\s*(?:typo|my\s+bad|lol)\b)?",
    re.IGNORECASE,
)


def self_corrected(sentence: str) -> str:
    """The sentence with a number taken back replaced by the one meant."""
    return _SELF_CORRECTED.sub(r"\g<new>\g<between>", sentence)


@dataclass(slots=True)
class Context:
    """What the conversation named last, by kind: the referent of 'there', 'the new
    place', 'she', or of a frame with no object."""

    speaker: str
    last: dict[str, str] = field(default_factory=dict)  # kept in the order noted

    def note(self, kind: str, value: str) -> None:
        self.last.pop(kind, None)
        self.last[kind] = value

    def latest(self, *kinds: str) -> str | None:
        """The name noted last among those of ``kinds``."""
        named = [value for kind, value in self.last.items() if kind in kinds]
        return named[-1] if named else None


@dataclass(frozen=True, slots=True)
class Said:
    """Where and when a sentence was said."""

    sentence: str
    statement: str
    episode_id: str
    occurred_at: datetime


def drafts(said: Said, context: Context) -> list[FactDraft]:
    """The fact drafts of one sentence."""
    out: list[FactDraft] = []
    correction = CORRECTION.search(said.sentence) is not None
    _note_names(said.sentence, context)
    own = _QUOTE.sub(" … ", said.sentence)  # a quoted line or lyric is not the speaker's
    if not find(own):
        return out  # no frame anywhere: no clause can hold one
    for clause in read(own, context.speaker, context.last.get("person")):
        if clause.partner is not None:
            context.note("partner", clause.partner)
        for found in _kept(clause):
            draft = _draft(found, clause, said, context, correction)
            if draft is not None:
                out.append(draft)
    return out


PREP_KINDS = {  # the kind of a name, by the word just before it
    **dict.fromkeys(
        ("with", "named", "called", "met", "told", "saw", "remember", "asked", "friend"),
        "person",
    ),
    **dict.fromkeys(
        ("in", "to", "from", "by", "near", "around", "visit", "visited", "visiting"), "place"
    ),
    **dict.fromkeys(("at", "for", "joined"), "organization"),
    "and": "other",  # joins a name to the one before: see kind_before
}
_NAME_IN = compile_widened(
    rf"(?:\b(?P<prep>{'|'.join(sorted(PREP_KINDS, key=len, reverse=True))})\s+)?"
    r"(?<![\w'’])(?P<name>[A-Z][a-z][\w\-]*(?:\s+[A-Z][\w\-]+){0,3})(?P<own>['’]s)?"
)


def _note_names(sentence: str, context: Context) -> None:
    """Remember the names a sentence uses, by the word before them ('with Leon',
    'in Ankara', 'at Kestrel'); a possessive one ('Cathal's mam') is a person."""
    previous: tuple[int, str] | None = None
    for match in _NAME_IN.finditer(sentence):
        name = match.group("name")
        if name.split()[0] in NOT_NAMES:
            continue
        own = match.group("own")
        kind = "person" if own else kind_before(sentence[: match.start("name")], previous)
        context.note(kind, name)
        previous = (match.end(), kind)


def kind_before(before: str, previous: tuple[int, str] | None = None) -> str:
    """A name's kind from the word just before it ('in Ankara', 'with Leon'); a name
    'called' or 'named' is a person's only after a word for one ('a guy called Sam',
    not 'a podcast called The Big Mod Cast'); one joined by 'and' to the name before
    (``previous``: where it ended, its kind) is of that one's kind ('with Leon and
    Mara', not 'Azul and Qwirkle')."""
    words = before.lower().split()
    word = words[-1] if words else ""
    if word == "and":
        if previous is not None and before[previous[0] :].strip().lower() == "and":
            return previous[1]
        return "other"
    if word in ("called", "named") and not _PERSON_NOUN.search(
        before[: before.lower().rfind(word)]
    ):
        return "other"
    return PREP_KINDS.get(word, "other")


# Nouns of people, before "called"/"named": "a guy called Sam", "my friend named Jo".
_PERSON_NOUN = re.compile(
    r"\b(?:guy|girl|man|woman|lady|bloke|dude|boy|kid|child|baby|son|daughter|friend|mate|"
    r"someone|somebody|person|colleague|coworker|co-worker|boss|manager|neighbou?r|teacher|"
    r"doctor|coach|student|boyfriend|girlfriend|partner|husband|wife|cousin|brother|sister|"
    r"nephew|niece|uncle|aunt|grandson|granddaughter|roommate|flatmate|tutor|therapist)s?"
    r"\s+(?:\w+\s+)?$",
    re.IGNORECASE,
)


def _kept(clause: Clause) -> list[Found]:
    """The clause's frames that say something holds or changed; one frame per
    place, the name's over the taste's when the object is capitalised ('quit
    Kowhai' is a job, 'quit coffee' a habit)."""
    kept: dict[tuple[int, str], Found] = {}
    for item in find(clause.text):
        mood = _mood_of(clause, item)
        if mood == "ended":
            item = replace(item, effect="end")
        elif mood != "asserted":
            continue
        other = kept.get((item.start, item.effect))
        if other is None or _better(item, other):
            kept[item.start, item.effect] = item
    _merge_endings(kept, clause.text)
    started = {(f.predicate, f.object) for f in kept.values() if f.effect == "start" and f.object}
    for key, other in list(kept.items()):
        if other.effect == "hold" and (other.predicate, other.object) in started:
            del kept[key]  # "I'm starting as a sous chef in two weeks": not yet held
    named = {(f.predicate, f.effect) for f in kept.values() if f.object is not None}
    return [
        f for f in kept.values() if f.object is not None or (f.predicate, f.effect) not in named
    ]


def _merge_endings(kept: dict[tuple[int, str], Found], text: str) -> None:
    """'I quit my job at Vandelay': the ending takes the object the clause names
    for the same predicate, and that mention is no state of its own; nor is
    'my old flat in Hove' in 'I left my old flat in Hove'."""
    ended = {(f.predicate, f.object) for f in kept.values() if f.effect == "end" and f.object}
    for key, other in list(kept.items()):
        if other.effect != "end" and (other.predicate, other.object) in ended:
            del kept[key]
    for key, end in list(kept.items()):
        if end.effect != "end" or end.object is not None:
            continue
        if _SINCE_BEFORE.search(text[: end.start]) and any(
            o.predicate == end.predicate and o.effect != "end" for o in kept.values()
        ):
            del kept[key]  # "since I stopped teaching, I volunteer at X": a time; X is new
            continue
        for other_key, other in list(kept.items()):
            if other.predicate == end.predicate and other.effect != "end" and other.object:
                kept[key] = replace(end, kind=other.kind, object=other.object)
                del kept[other_key]
                break


def _better(item: Found, other: Found) -> bool:
    """Of two frames read at one place, a taste gives way to a name or to a frame
    whose own words say what ends ('quit my job'), not to a lower-case word."""
    if (item.kind == "taste") == (other.kind == "taste"):
        return False
    rival = other if item.kind == "taste" else item
    wins = rival.object is None or rival.object[:1].isupper()
    return wins if rival is item else not wins


def _mood_of(clause: Clause, item: Found) -> str:
    """How the frame is meant. What the speaker calls theirs holds in any mood; a
    question holds for the whole clause; reported speech and a supposition
    anywhere in it ('if I moved to', 'my mum keeps saying'); a negation only
    just before the frame's words ('I've never lived in', not '..., still no
    cat'); a stay 'for the summer' is no home."""
    end = item.end if item.end >= 0 else item.start
    before = clause.text[: item.start]
    around = before[-40:] + " " + clause.text[end : end + 40]
    if item.own and item.effect == "hold":  # "my partner, Mike" holds in a question too
        return "ended" if ENDED.search(around) else "asserted"
    if clause.mood == "asked":
        return clause.mood
    if item.present and clause.tense < 0:
        return "hypothetical"  # "Paris was so rainy": a stay told of, no home
    rest = _HEDGE.sub(" ", before + " " + clause.text[end:])
    if (
        clause.reported
        or REPORTED.search(before)
        or HYPOTHETICAL.search(rest)
        or _WOULD.search(_HEDGE.sub(" ", before))
    ):
        return "hypothetical"
    if item.predicate == "lives_in" and _TRIP.search(rest):
        return "hypothetical"  # "a house in Porto for the summer": a stay, not a home
    if ENDED.search(around):
        return "ended"
    if NEGATED.search(before[-25:]):
        return "negated"
    return "asserted"


_TRIP = re.compile(
    r"\bfor\s+(?:the|a|two|three|a\s+few|a\s+couple\s+of)\s+(?:summer|winter|weekend|week|weeks|"
    r"days|night|nights|holidays?|vacation|trip|conference|wedding)\b|\bon\s+(?:holiday|vacation)\b",
    re.IGNORECASE,
)
_HEDGE = re.compile(r"\b(?:i['’]d|i\s+would)\s+(?:say|rather|guess|think)\b", re.IGNORECASE)
_WOULD = re.compile(
    r"\b(?:i|we|you|he|she|they)['’]d\b|\b(?:id|wed)\s+(?:move|go|live|take|love)\b", re.IGNORECASE
)
_QUOTE = re.compile(r"(?:^|(?<=[\s(]))['‘\"“][^'’\"”]{3,240}['’\"”](?=[\s.,!?;:)]|$)")


def _subject(clause: Clause, found: Found, context: Context) -> str | None:
    if found.speaker:
        return context.speaker
    if found.start == 0 and clause.subject not in (None, "they", context.speaker):
        return context.speaker  # "Payroll at X messed up": the frame's own first word
    if clause.subject == "they":
        # "they let me go": the speaker's employer acted on the speaker
        return context.speaker if found.predicate == "works_at" and found.kind == "none" else None
    return clause.subject


def _draft(
    found: Found, clause: Clause, said: Said, context: Context, correction: bool
) -> FactDraft | None:
    subject = _subject(clause, found, context)
    if subject is None:
        return None
    value, kind = _value(found, clause, context)
    if value is None and found.effect != "end" and found.predicate not in _PARTNERS:
        return None
    when = _when(found, clause, said)
    if when is None:
        return None
    predicate = found.predicate
    if predicate == "works_at" and found.effect != "end" and _SIDE.search(clause.text):
        predicate = "also_works_at"
    if value is not None and (kind in _NAMED_KINDS or kind == "taste"):
        context.note(kind, value)
    news = found.effect != "hold" and _NEWS.search(clause.text) is not None
    return FactDraft(
        subject,
        "person",
        predicate,
        value or "",
        kind if value and kind in _NAMED_KINDS else None,
        when,
        said.statement,
        said.episode_id,
        correction and not news,
        said.occurred_at,
        effect=found.effect,
    )


_PARTNERS = frozenset({"dating", "engaged_to", "married_to"})


def _value(found: Found, clause: Clause, context: Context) -> tuple[str | None, str]:
    kind: str = found.kind
    value = found.object
    if found.speaker and found.predicate == "works_at" and value is None:
        if clause.subject not in (None, "they", context.speaker):
            value = clause.subject  # "Mochibyte laid off ... me included"
        else:
            value = context.latest("organization", "other")
        kind = "organization"
    if value == "there":
        value = context.last.get("place")
    if value in ("it", "they", "them"):
        value = context.last.get("taste") or context.last.get("other")
    if found.predicate in _PARTNERS:
        kind = "person"
        if value is None:
            value = clause.partner or clause.apposed or context.last.get("partner")
            if value is None and found.effect in ("hold", "start"):
                value = context.last.get("person")
        elif found.effect != "end":
            context.note("partner", value)
    if value is None and found.effect != "end":
        if found.predicate == "lives_in":
            value = context.last.get("place")
            kind = "place"
        elif found.predicate == "works_at":
            value = context.latest("organization", "other")
            kind = "organization"
    return value, kind


def _when(found: Found, clause: Clause, said: Said) -> datetime | None:
    """When the state began (hold, start) or ended (end); None: a plan with no date."""
    at = said.occurred_at
    tense = clause.tense
    spans = resolve(clause.text, at, tense)
    if found.effect == "hold":
        began = duration_start(clause.text, at)
        if began is not None:
            return began
        since = [s for s in spans if s.text.lower().startswith("since") and s.start <= at]
        return since[0].start if since else at
    dated = [s for s in spans if not s.text.lower().startswith("since")] or spans
    if dated:
        return dated[0].start
    if tense > 0 and found.effect == "start":
        return None  # "I'm moving to Lille" with no date: a plan, not yet a fact
    return at
