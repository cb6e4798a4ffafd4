"""The offline extractor: rules only, no model beyond the analyzer.

Per sentence: facts from the patterns in patterns.py (first person is the
speaker), entities (the speaker, fact arguments, other capitalised names),
one note classified as plan, preference, opinion, event or fact, with first
person rewritten to the speaker's name, and times resolved against the
episode's ``occurred_at``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import datetime

from memstrata.extract.base import (
    KNOWN_ONLY,
    CorrectionDraft,
    EntityDraft,
    Extraction,
    FactDraft,
    NoteDraft,
)
from memstrata.extract.letters import compile_widened
from memstrata.extract.lexicon import NOT_NAMES, common_words
from memstrata.extract.patterns import (
    CORRECTED_VALUE,
    CORRECTION,
    EXPLICIT_CORRECTION,
    PATTERNS,
    PETS,
    RELATIONS,
    TRIGGER_WORDS,
    WRONG_VALUE,
    Pattern,
)
from memstrata.extract.statements import Context, Said, drafts, kind_before, self_corrected
from memstrata.extract.timeexpr import TimeSpan, resolve
from memstrata.index import analyzer
from memstrata.index.analyzer import STOP_WORDS
from memstrata.model import Episode, NoteKind

_SENTENCE = compile_widened(r"(?<=[.!?])\s+(?=[\"'“(]?[A-Z0-9])|\n+")
# Markdown structure: a heading, list or quote marker opening a line; a bold
# or italic label ("**Weight**:"); emphasis, code and link marks anywhere.
_LINE_MARK = re.compile(r"^\s*(?:#{1,6}\s+|[-*+•>]\s+|\d{1,3}[.)]\s+)+")
_LABEL = re.compile(r"^\s*(?:\*\*|__)[^*_\n]{1,80}(?:\*\*|__)\s*:?\s*|^\s*[^\s:][^:\n]{0,40}:\s+")
_MARKS = frozenset("*_`[]")  # a text with none of these has no emphasis to take out
_EMPHASIS = re.compile(
    r"\*\*|__|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w)|`+|\[(?=[^\]]*\]\()|\]\([^)]*\)"
)
# Roles whose turns state nothing about the user or their world: an assistant's
# reply is kept verbatim as an episode and searched, but it introduces no
# notes, facts or entities; it only cites entities already known.
CITING_ROLES = frozenset({"assistant", "system", "tool"})
# A line that is only a time stamp ("17:42", "1:02:15"): a pasted transcript, whose
# words are a video's or a call's, not the speaker's.
_STAMP_LINE = re.compile(r"^\s*\[?\(?\d{1,2}:\d{2}(?::\d{2})?\]?\)?\s*$", re.MULTILINE)
_STAMPS = 3  # how many such lines make a message a transcript
_PROPER = compile_widened(r"(?<![\w'’])[A-Z][a-z][\w'’\-]*(?:\s+[A-Z][a-z][\w'’\-]*){0,3}")
_MAX_SENTENCES = 200
_MAX_SENTENCE_CHARS = 1_000

_LITERAL_JUNK = frozenset(
    {
        "it",
        "that",
        "this",
        "them",
        "him",
        "her",
        "you",
        "me",
        "us",
        "so",
        "too",
        "very",
        "a lot",
        "much",
        "doing",
        "the most",
        "going",
    }
)
_PLAN = re.compile(
    r"\b(?:i'm|i am|we're|we are|i’m)\s+(?:going to|gonna|planning|about to|thinking of)\b"
    r"|\b(?:i|we)\s+(?:will|'ll|’ll|plan to|intend to|hope to|want to|would like to)\b"
    r"|\b(?:next|this coming)\s+(?:week|month|year|weekend)\b|\btomorrow\b",
    re.I,
)
_PREFERENCE = re.compile(
    r"\b(?:love|loves|like|likes|enjoy|enjoys|prefer|prefers|hate|hates|dislike|"
    r"can't stand|can’t stand|favorite|favourite|adore|into)\b",
    re.I,
)
_OPINION = re.compile(
    r"\b(?:i think|i believe|i feel|in my opinion|i guess|i reckon|i suppose)\b", re.I
)
_EVENT = re.compile(
    r"\b(?:went|visited|started|finished|got|had|moved|adopted|met|saw|took|made|bought|"
    r"joined|won|lost|ran|attended|celebrated|traveled|travelled|graduated|married|"
    r"painted|wrote|read|cooked|baked|signed|booked|quit|left|came|began|received|flew|drove|"
    r"been to|ran into|bumped into)\b",
    re.I,
)
_FIRST_PERSON = re.compile(r"\b(?:I|I'm|I’m|I've|I’ve|my|My|me|mine|myself|we|We|our|Our)\b")
_AGREE = re.compile(
    r"\b(I|I\s+(?:also|really|still|just|now|often|usually|always|never|sometimes))\s+"
    r"(love|like|live|work|think|want|need|have|do|go|hate|enjoy|prefer|feel|know|believe|hope|"
    r"plan|miss|study|play|run|own|teach|write|read|cook|bake|paint|swim|watch|walk|drive|"
    r"volunteer|mean|guess|wish|remember|try|get|make|take|see|say)\b"
)
_REWRITES = [
    (re.compile(r"\bI['’]m\b"), "{s} is"),
    (re.compile(r"\bI['’]ve\b"), "{s} has"),
    (re.compile(r"\bI['’]ll\b"), "{s} will"),
    (re.compile(r"\bI['’]d\b"), "{s} would"),
    (re.compile(r"\bI am\b"), "{s} is"),
    (re.compile(r"\bI\b"), "{s}"),
    (re.compile(r"\b[Mm]y\b"), "{s}'s"),
    (re.compile(r"\b[Mm]yself\b"), "{s}"),
    (re.compile(r"\bme\b"), "{s}"),
    (re.compile(r"\bmine\b"), "{s}'s"),
]


_QUANTITY = re.compile(
    r"(?<![\w$€£])(?:[$€£]\s?\d[\d,]*(?:\.\d+)?(?:\s?(?:k|million|billion)\b)?"
    r"|\d[\d,]*(?:\.\d+)?\s?%(?!\w)"
    r"|(?:\d[\d,]*(?:\.\d+)?|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"twenty|thirty|forty|fifty|hundred|a hundred|a dozen|dozens of|hundreds of)"
    r"\s+(?P<unit>[a-z][a-z\-]+(?:\s+[a-z][a-z\-]+)?)\b)",
    re.I,
)
_UNITS = frozenset({"km", "kg", "lbs", "mph", "cm", "ml"})
_POSSESSED = re.compile(r"\b[Mm]y\s+((?:[a-z][a-z\-]*(?:['’]s)?\s+){0,2}[a-z][a-z\-]*)")
# Words that end a possessed noun phrase ("my pottery class yesterday", "my job starts").
_PHRASE_STOP = frozenset(
    """
    yesterday today tomorrow tonight last next this every whole own very really so too
    again ago now then still just always never also even back first later soon
    opinion mind way life god gosh goodness part turn pleasure heart
    lives loves works likes hates starts sleeps makes takes gives goes says needs wants
    seems looks feels comes gets keeps runs plays helps calls sends means costs meets
    won read went made took got had saw came ran left lost met paid sent told gave bought
    brought thought felt kept found began broke wrote spent built already
    two three four five six seven eight nine ten
    without within instead into onto about around after before during under over
    throughout toward towards via per using than
    through across against among between since until while because though unless
    doesn don isn wasn didn aren weren hasn haven couldn wouldn shouldn won can
    """.split()
)


# Adjectives left without their noun ("my trusty old" -> "my trusty" -> none);
# heads that name no thing ("my best", "my discussion"), by word or ending.
_DANGLING = frozenset(
    """
    new old own trusty other same whole meticulous beloved usual latest recent dear
    little big huge tiny rare specific previous current favorite favourite overall
    lower higher better worse bigger smaller faster slower
    """.split()
)
_DANGLING_ONLY = frozenset({"best", "own", "same", "whole", "very"})
_ABSTRACT_ENDINGS = ("ness", "ity", "ment", "ance", "ence", "ship", "ism", "ency")
_NOT_HEADS = frozenset(
    """
    best one ones
    day days time times way ways part interest interests discussion understanding
    experience experiences opinion opinions thoughts thought mind hunger attention
    knowledge point turn master responds question questions free ability abilities
    skill skills strength strengths weakness weaknesses stress reflections feelings
    technique techniques language languages mistakes gameplay findings strategy
    progress goals goal plans plan life health
    """.split()
)
_QUOTED = re.compile(r"[\"“][^\"“”]{1,200}[\"”]")


def _unit(words: list[str]) -> list[str]:
    """The unit of a quantity: a plural noun, maybe after one modifier ('3 new paintings')."""
    for size in (1, 2):
        head = words[:size]
        if len(head) < size or set(head) & STOP_WORDS:
            return []
        if head[-1] in _UNITS or (head[-1].endswith("s") and len(head[-1]) > 3):
            return head
    return []


_LY_NOUNS = frozenset({"family", "belly", "jelly", "rally", "ally", "lily", "butterfly", "supply"})


def _modifier_or_verb(word: str) -> bool:
    """An adverb ('really') or a past form ('painted'): the noun phrase has ended."""
    if word.endswith("ly"):
        return word not in _LY_NOUNS
    return len(word) > 4 and word.endswith("ed") and not word.endswith("eed")


def _possessed(words: list[str], after: str) -> str | None:
    """The thing of 'my <words>', or None: the phrase must end where the noun does
    (a comma, a function word, the end), not be cut ('my rare 1960s camera'), and
    name no person ('my sister') and no abstraction ('my ability')."""
    kept: list[str] = []
    for word in words:
        if word in STOP_WORDS or word in _PHRASE_STOP or _modifier_or_verb(word):
            break
        kept.append(word)
    if len(kept) == len(words):
        following = after.split(maxsplit=1)
        nxt = following[0] if following else ""
        bare = nxt.lower().strip(",.;:!?")
        if (
            nxt[:1].isdigit()
            or nxt[:1].isupper()
            or (bare.isalpha() and bare not in STOP_WORDS and bare not in _PHRASE_STOP)
        ):
            return None  # the noun phrase goes on beyond what was read
    while kept and kept[-1] in _DANGLING:
        kept.pop()
    owners = [w[:-2] for w in kept if w.endswith(("'s", "’s"))]
    if not kept or any(o not in RELATIONS for o in owners):
        return None  # "my brother's ..." is kept, "my master's ..." is not
    head = kept[-1]
    if head in _NOT_HEADS or head.endswith(_ABSTRACT_ENDINGS) or kept[0] in _DANGLING_ONLY:
        return None
    if head in RELATIONS or head.rstrip("s") in RELATIONS:
        return None  # "my sister Anna", "my brothers": people, found as relations
    return " ".join(kept)


def mentions(
    sentence: str, speaker: str, spans: Sequence[TimeSpan], episode_id: str
) -> list[EntityDraft]:
    """Dates (canonical labels of the resolved times), quantities ('3 kids', '$500')
    and the things the speaker calls theirs ("Maya's pottery class")."""
    found: list[tuple[str, str]] = [(span.label, "date") for span in spans]
    lowered = sentence.lower()
    starts = [(lowered.find(span.text.lower()), len(span.text)) for span in spans]
    taken = [(start, start + size) for start, size in starts if start >= 0]
    for match in _QUANTITY.finditer(sentence):
        if any(a <= match.start() < b for a, b in taken):
            continue
        if match.group("unit") is None:
            found.append((" ".join(match.group(0).lower().split()), "quantity"))
            continue
        unit = _unit(match.group("unit").lower().split())
        if unit:
            number = sentence[match.start() : match.start("unit")].lower().split()
            found.append((" ".join([*number, *unit]), "quantity"))
    for match in _POSSESSED.finditer(sentence):
        thing = _possessed(match.group(1).split(), sentence[match.end() :])
        if thing:
            found.append((f"{speaker}'s {thing}", "thing"))
    return [EntityDraft(name, kind, episode_id) for name, kind in dict.fromkeys(found)]


def sentences(text: str) -> Iterator[str]:
    """Sentences of a text (bounded, so a 10k-word turn stays cheap), with
    markdown marks taken out: a heading or a list item's label is no sentence,
    and the words after a marker start one."""
    for count, raw in enumerate(_SENTENCE.split(text)):
        if count >= _MAX_SENTENCES:
            return
        sentence = prose(raw)
        if sentence:
            yield sentence[:_MAX_SENTENCE_CHARS]


def prose(line: str) -> str:
    """A line's running text: no heading, list or quote marker, no leading label
    ('**Weight**: 2 kg' -> '2 kg'), no emphasis marks; '' for a heading."""
    if line.lstrip().startswith("#"):
        return ""
    marked = _LINE_MARK.match(line)
    text = line[marked.end() :] if marked else line
    if marked or text.lstrip().startswith(("**", "__")):
        text = _LABEL.sub("", text, count=1)
    if _MARKS.isdisjoint(text):
        return text.strip()
    return _EMPHASIS.sub("", text).strip()


def first_person_to(speaker: str, sentence: str) -> str:
    """'I love Lyon' said by Maya -> 'Maya loves Lyon'."""
    sentence = _AGREE.sub(lambda m: f"{m.group(1)} {_third_person(m.group(2))}", sentence)
    for pattern, replacement in _REWRITES:
        sentence = pattern.sub(replacement.format(s=speaker), sentence)
    return sentence


def _third_person(verb: str) -> str:
    irregular = {"have": "has", "do": "does", "go": "goes"}
    if verb in irregular:
        return irregular[verb]
    if verb.endswith(("s", "sh", "ch", "x", "z")):
        return verb + "es"
    if verb.endswith("y") and verb[-2:-1] not in "aeiou":
        return verb[:-1] + "ies"
    return verb + "s"


def classify(sentence: str) -> NoteKind | None:
    """The kind of note a sentence makes, or None for chatter and questions."""
    if sentence.rstrip().endswith("?") or len(sentence.split()) < 4:
        return None
    if not _FIRST_PERSON.search(sentence) and not _PROPER.search(sentence[1:]):
        return None
    kinds: tuple[tuple[NoteKind, re.Pattern[str]], ...] = (
        ("plan", _PLAN),
        ("preference", _PREFERENCE),
        ("opinion", _OPINION),
        ("event", _EVENT),
    )
    for kind, pattern in kinds:
        if pattern.search(sentence):
            return kind
    return "fact"


def _clean_subject(raw: str, speaker: str | None) -> str | None:
    words = raw.split()
    if any(w in ("I", "We", "we", "My", "my") for w in words):
        return speaker
    while words and words[0] in NOT_NAMES:
        words.pop(0)
    return " ".join(words) or None


_POSSESSIVE_END = re.compile(r"['’]s$")
_WORD = compile_widened(r"[A-Za-z][\w'’\-]{3,}")


_TITLE_SMALL = frozenset("a an and as at by for from in into of on or over the to with".split())
_SEGMENT = re.compile(r"[^:;|–—()\[\]]+")


def _title_case(segment: str) -> bool:
    """A title in title case ('Recent Advances in Sensors for Monitoring
    Biomarkers'): its capitals mark words, not names. A sentence of names only
    ('Visited Grand Canyon National Park') has no small words in lower case."""
    words = _WORD.findall(segment)
    capital = sum(1 for w in words if w[0].isupper())
    small = any(w in _TITLE_SMALL for w in segment.split())  # 'in', 'of', 'for' ...
    return len(words) >= 4 and small and capital >= 0.6 * len(words)


def _common(name: str, text: str) -> bool:
    """A bare capitalised word that is a common word ('Goals', 'World'), or that
    the same text also writes in lower case: no name."""
    if " " in name:
        return False
    lowered = name.lower()
    return lowered in common_words() or re.search(rf"\b{re.escape(lowered)}\b", text) is not None


def _clean_literal(raw: str) -> str | None:
    value = re.sub(r"^(?:to|the|a|an|my|some)\s+", "", raw.strip().lower())
    return None if value in _LITERAL_JUNK or len(value) < 2 else value


_STATING = r"\b(?:was|is|it['’]s|in|actually)\s+(?:on\s+)?"
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _transcript(text: str) -> bool:
    """Whether a message is a pasted transcript (lines of bare time stamps)."""
    return ":" in text and len(_STAMP_LINE.findall(text)) >= _STAMPS


def _right_time(sentence: str, spans: Sequence[TimeSpan]) -> TimeSpan:
    """The time a correction gives as right: 'it was Tuesday, not Monday' -> Tuesday
    (the one after 'was' or 'is', never the one after 'not')."""
    lowered = sentence.lower()
    scored: list[tuple[int, TimeSpan]] = []
    for span in spans:
        at = lowered.find(span.text.lower())
        before = lowered[max(0, at - 12) : at] if at >= 0 else ""
        if re.search(r"\bnot\s+(?:on\s+|in\s+)?$", before):
            continue
        stated = re.search(_STATING + "$", before) or re.match(_STATING, span.text.lower())
        scored.append((0 if stated else 1, span))
    return min(scored, key=lambda item: item[0])[1] if scored else spans[0]


def _weekday(span: TimeSpan) -> int | None:
    """The day of the week a time names and nothing more ('was Tuesday'), else None."""
    words = re.sub(_STATING, " ", span.text.lower()).split()
    return _WEEKDAYS.index(words[0]) if len(words) == 1 and words[0] in _WEEKDAYS else None


class OfflineExtractor:
    """Rule-based extraction; every feature works without a network."""

    name = "offline-1"

    def extract(self, episodes: Sequence[Episode]) -> Extraction:
        out = Extraction()
        speakers: set[str] = set()
        named: dict[str, str] = {}  # what the conversation named last, by kind
        for episode in episodes:
            speaker = episode.speaker or episode.role or "user"  # who "I" is
            if speaker not in speakers:  # the speaker is cited where facts name them
                speakers.add(speaker)
                out.entities.append(EntityDraft(speaker, "person", episode.id))
            self._episode(episode, speaker, out, Context(speaker, named))
        return out

    def _episode(self, episode: Episode, speaker: str, out: Extraction, context: Context) -> None:
        if episode.role in CITING_ROLES or _transcript(episode.content):
            self._citations(episode, out)
            return
        for sentence in sentences(episode.content):
            spans = resolve(sentence, episode.occurred_at)
            valid_at = (
                spans[0].start
                if spans and spans[0].start <= episode.occurred_at
                else episode.occurred_at
            )
            before = len(out.facts)
            named = self._facts(sentence, episode, speaker, valid_at, out, context)
            if (
                len(out.facts) == before or EXPLICIT_CORRECTION.search(sentence)
            ) and CORRECTION.search(sentence):
                self._correction(sentence, spans, episode, speaker, out)
            mentioned = [n for n in named if n != speaker]
            skipped = [(m.start(), m.end()) for m in _QUOTED.finditer(sentence)]
            skipped += [
                (m.start(), m.end()) for m in _SEGMENT.finditer(sentence) if _title_case(m.group())
            ]
            previous: tuple[int, str] | None = None  # the name before: its end, its kind
            for match in _PROPER.finditer(sentence):
                if any(a <= match.start() < b for a, b in skipped):
                    continue  # words of a quoted or title-case title are no names
                if match.start() == 0 and " " not in match.group(0):
                    # A capitalised first word is usually not a name: it only counts
                    # as a mention of an entity already known by that name.
                    if match.group(0) not in NOT_NAMES and match.group(0) not in named:
                        out.entities.append(EntityDraft(match.group(0), KNOWN_ONLY, episode.id))
                    continue
                name = _clean_subject(_POSSESSIVE_END.sub("", match.group(0)), None)
                if name and name not in named and name != speaker and len(name) > 1:
                    guess = kind_before(sentence[: match.start()], previous)
                    previous = (match.end(), guess)
                    if name.removesuffix("s") in NOT_NAMES or (
                        guess == "other" and _common(name, episode.content)
                    ):
                        continue
                    out.entities.append(EntityDraft(name, guess, episode.id))
                    context.note(guess, name)
                    mentioned.append(name)
            out.entities.extend(mentions(sentence, speaker, spans, episode.id))
            kind = classify(sentence)
            if kind is not None:
                text = first_person_to(speaker, sentence)
                own = set(analyzer.terms(speaker))  # the speaker's name is in all of them
                keywords = tuple(k for k in dict.fromkeys(analyzer.terms(text)) if k not in own)[:8]
                tags = tuple(dict.fromkeys(m.lower() for m in mentioned))
                out.notes.append(
                    NoteDraft(kind, text, keywords, speaker, valid_at, episode.id, tags)
                )

    def _citations(self, episode: Episode, out: Extraction) -> None:
        """The capitalised names of a reply, each cited only if already known."""
        seen: set[str] = set()
        for sentence in sentences(episode.content):
            for match in _PROPER.finditer(sentence):
                name = match.group(0)
                if name not in seen and name not in NOT_NAMES:
                    seen.add(name)
                    out.entities.append(EntityDraft(name, KNOWN_ONLY, episode.id))

    def _correction(
        self,
        sentence: str,
        spans: list[TimeSpan],
        episode: Episode,
        speaker: str,
        out: Extraction,
    ) -> None:
        """'Actually it was Tuesday' / 'sorry, I meant Clara, not Anna'."""
        statement = first_person_to(speaker, sentence)
        # what happened is not re-dated to after the moment it is spoken of
        # ("it's actually real, I'll send details tomorrow" re-dates nothing)
        spans = [s for s in spans if s.start <= episode.occurred_at]
        if spans:
            right = _right_time(sentence, spans)
            out.corrections.append(
                CorrectionDraft(
                    speaker,
                    statement,
                    episode.id,
                    episode.occurred_at,
                    when=right.start,
                    weekday=_weekday(right),
                )
            )
            return
        value = next(
            (
                name
                for m in CORRECTED_VALUE.finditer(sentence)
                if (name := _clean_subject(m.group("value") or m.group("said"), None))
                and name != speaker
            ),
            None,
        )
        if value is None:
            return
        wrong = WRONG_VALUE.search(sentence)
        out.corrections.append(
            CorrectionDraft(
                speaker,
                statement,
                episode.id,
                episode.occurred_at,
                value=value,
                wrong=None if wrong is None else _clean_subject(wrong.group("wrong"), None),
            )
        )

    def _facts(
        self,
        sentence: str,
        episode: Episode,
        speaker: str,
        valid_at: datetime,
        out: Extraction,
        context: Context,
    ) -> dict[str, None]:
        """Add the sentence's facts (and their entities); return the names used,
        in the order used (a set's order would vary from process to process)."""
        named: dict[str, None] = {}
        sentence = self_corrected(sentence)  # "I'm 34 — wait, 43": 43
        correction = bool(CORRECTION.search(sentence))
        said = Said(sentence, "", episode.id, episode.occurred_at)
        facts = drafts(said, context)
        if facts:
            statement = first_person_to(speaker, sentence)
            facts = [replace(f, statement=statement) for f in facts]
        words = set(TRIGGER_WORDS.findall(sentence.lower()))
        for pattern in PATTERNS:
            if words.isdisjoint(pattern.triggers):
                continue  # the regex cannot match: none of its words is here
            for match in pattern.regex.finditer(sentence):
                fact = self._fact(pattern, match, sentence, speaker, valid_at, episode, correction)
                if fact is not None:
                    facts.append(fact)
        for fact in facts:
            out.facts.append(fact)
            out.entities.append(EntityDraft(fact.subject, fact.subject_kind, episode.id))
            named[fact.subject] = None
            if fact.object_kind is not None:
                out.entities.append(EntityDraft(fact.object, fact.object_kind, episode.id))
                named[fact.object] = None
        return named

    def _fact(
        self,
        pattern: Pattern,
        match: re.Match[str],
        sentence: str,
        speaker: str,
        valid_at: datetime,
        episode: Episode,
        correction: bool,
    ) -> FactDraft | None:
        subject = _clean_subject(match.group("subject"), speaker)
        if subject is None:
            return None
        predicate, object_kind = pattern.predicate, pattern.object_kind
        if pattern.value is not None:
            value: str | None = pattern.value
        elif object_kind is None:
            value = _clean_literal(match.group("object"))
        else:
            value = _clean_subject(match.group("object"), None)
        if value is None or value == subject:
            return None
        if predicate == "has_relation":
            word = match.group("relation").lower()
            relation = RELATIONS[word]
            if relation == "partner":
                return None  # partners are read by the frames, with their status
            predicate = f"has_{relation}"
            object_kind = "pet" if word in PETS else "person"
        statement = first_person_to(speaker, sentence)
        subject_kind = "person"
        return FactDraft(
            subject,
            subject_kind,
            predicate,
            value,
            object_kind,
            valid_at,
            statement,
            episode.id,
            correction,
            episode.occurred_at,
        )
