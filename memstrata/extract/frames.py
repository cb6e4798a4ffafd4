"""Verb frames: which predicate a clause states, whether it begins, holds or ends,
and where its object is.

A frame is a verb phrase from a small lexicon ("work at", "payroll at", "been
with", "started at", "joined", "handed in my notice", "laid off"; "live in",
"my landlord in", "moved to", "closed on a house in", "left"; "my girlfriend",
"engaged to", "broke up", "divorce"; "love", "switched to", "quit", "gave up",
"so over") matched inside one clause; the object is read from the words after
it: a name (capitalised, an apposition "a startup called Karvon", "the bank
(Samarkand Trust)", or an uncommon lower-case word: "viajo"), a job title, or a
short noun phrase for a taste. Nothing here knows a sentence as a whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from memstrata.extract.gates import Gate
from memstrata.extract.letters import widened
from memstrata.extract.lexicon import NOT_NAMES
from memstrata.extract.objects import ObjectKind, name, read_object, taste_before

Effect = Literal["hold", "start", "end"]

PARTNER_PREDICATES = ("dating", "engaged_to", "married_to")


@dataclass(frozen=True, slots=True)
class Frame:
    predicate: str
    effect: Effect
    kind: ObjectKind
    trigger: re.Pattern[str]
    before: bool = False  # the object comes before the trigger ("sushi is my favourite")
    # The speaker is the one it happens to, whoever the clause is about ("they let
    # me go", "she said yes"); the clause's own subject, if named, is the object.
    speaker: bool = False
    # "my flat in", "my partner Alex": a presupposition, true whatever the clause
    # asks or supposes ("can you help me surprise my partner Alex?")
    own: bool = False
    # "Bilbao rain again": said of a place only while the speaker is there
    present: bool = False


@dataclass(frozen=True, slots=True)
class Found:
    """One frame read in a clause."""

    predicate: str
    effect: Effect
    kind: ObjectKind
    object: str | None  # None: the frame names no object ("handed in my notice")
    start: int  # where the trigger begins in the clause
    speaker: bool = False  # about the speaker, whoever the clause's subject is
    own: bool = False  # said of something the speaker calls theirs: holds in any mood
    end: int = -1  # where the trigger ends (-1: where it begins)
    present: bool = False  # a state only when said in the present tense


def _f(
    predicate: str,
    effect: Effect,
    kind: ObjectKind,
    trigger: str,
    before: bool = False,
    *,
    speaker: bool = False,
    present: bool = False,
) -> Frame:
    # "my flat in", "my boyfriend", "my ex": the speaker's, whoever the clause is about
    own = trigger.startswith((r"\b(?:my|our)", r"\bmy\s"))
    return Frame(
        predicate,
        effect,
        kind,
        re.compile(widened(trigger), re.IGNORECASE),
        before,
        speaker or own or present,
        own,
        present,
    )


_NOTICE = r"(?:handed\s+in|hand\s+in|gave|give|put\s+in)\s+(?:my|our|her|his)\s+notice"
_OWN = (
    r"(?:my|our)\s+(?:new\s+|old\s+|little\s+|tiny\s+|whole\s+|own\s+|current\s+|small\s+|"
    r"big\s+|shared\s+|rented\s+|cosy\s+|cozy\s+)?"
)
_HOME = r"(?:house|flat|apartment|place|home|studio|condo)"
# Talk of the conditions where one is ("İzmir is so windy today", "Bilbao rain
# again", "auckland rent is criminal", "the traffic in Hanoi this morning", "the
# Dubai heat", "Graz in May is perfect"): a place named as the clause's topic,
# followed by its weather or the cost and bustle of living there.
_PLACE_AHEAD = r"(?-i:[A-Z\u00C0-\u024F])[\w\-]+(?:\s+(?-i:[A-Z])[\w\-]+)?"
_LOCAL_NOUN = (
    r"(?:rain|weather|traffic|rent|rents|heat|humidity|winters?|summers?|life|smog|wind|"
    r"snow|prices|housing|commute|drivers)"
)
_WEATHER = (
    r"(?:windy|rainy|raining|pouring|grey|gray|sunny|snowing|snowy|foggy|muggy|humid|stormy|"
    r"drizzly|overcast|\d{1,2}\s*degrees)"
)
_SEASON = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|"
    r"december|spring|summer|autumn|fall|winter)"
)

# fmt: off
FRAMES: tuple[Frame, ...] = (
    # residence
    _f("lives_in", "start", "place", r"\b(?:moved|movd|moving|relocated|relocating|relocate|move)\s+(?:me\s+|us\s+)?(?:back\s+|over\s+|out\s+|down\s+|up\s+|away\s+)?(?:to|into)\s+(?:the\s+city\s+of\s+)?"),
    _f("lives_in", "start", "place", r"\b(?:moved|movd|moving|relocated|relocating)\s+(?:\w+\s+)?from\s+[^,;.]{2,40}?\s+to\s+"),
    _f("lives_in", "start", "place", r"\b(?:back|home)\s+(?:in|to)\s+(?=\S+[^.;]*\bsince\b)"),
    _f("lives_in", "start", "place", rf"\b(?:the\s+|our\s+|my\s+)?new\s+(?:\w+\s+)?{_HOME}\s+in\s+"),
    _f("lives_in", "hold", "place", r"\b(?:been|lived|living)\s+(?:here\s+)?in\s+(?=[^.;]*\b(?:years?|months?|yrs?)\b)"),
    _f("lives_in", "start", "place", r"\b(?:settled|settling)\s+(?:down\s+)?in\s+"),
    _f("lives_in", "start", "place", rf"\b(?:closed|closing)\s+on\s+(?:a|the|our|my)\s+(?:new\s+)?{_HOME}\s+in\s+"),
    _f("lives_in", "start", "place", rf"\b(?:bought|buying|got|rented|renting|found|signed\s+(?:the\s+)?lease\s+on)\s+(?:a|the|our|my)\s+(?:[\w\-]+\s+){{0,2}}?{_HOME}\s+in\s+"),
    _f("lives_in", "start", "none", r"\b(?:moved|movd)\s+in\b(?!\s+with)"),
    _f("lives_in", "hold", "place", r"\b(?:i've|i’ve|ive|we've|we’ve|have|has)\s+(?:always\s+|now\s+)?lived\s+(?:here\s+)?in\s+"),
    _f("lives_in", "hold", "place", r"\b(?:i've|i’ve|ive|we've|we’ve|have|has)\s+always\s+been\s+(?:here\s+)?in\s+(?=(?-i:[A-Z]))|\bborn\s+and\s+(?:raised|bred)\s+in\s+"),
    _f("lives_in", "start", "place", r"\b(?:moved|movd|moving|relocated|relocating)\s+(?:back\s+|over\s+)?(?=there\b)"),
    _f("lives_in", "start", "place", r"\b(?:moved|movd|moving)\s+in\s+with\s+[^,;.!?]{1,30}?\s+in\s+(?=(?-i:[A-Z]))"),
    _f("lives_in", "end", "place", rf"\b(?:gave\s+up|giving\s+up|give\s+up|left|moved\s+out\s+of)\s+(?:the|my|our)\s+(?:\w+\s+)?{_HOME}\s+in\s+"),
    _f("lives_in", "hold", "place", r"\b(?:live|lives|living|lived\s+here|based|residing|reside)\s+(?:here\s+)?in\s+"),
    _f("lives_in", "hold", "place", r"\b(?:live|lives|living)\s+(?:near|by|close\s+to|next\s+to)\s+(?:[\w\-]+\s+){1,4}?in\s+(?=(?-i:[A-Z]))"),
    _f("lives_in", "hold", "place", rf"\b{_OWN}(?:flat|apartment|landlord|landlady|house|place|neighbou?rs?|street|neighbou?rhood|commute|balcony)\s+(?:here\s+)?in\s+"),
    _f("lives_in", "hold", "place", r"\b(?:here|home|back\s+home)\s+in\s+"),
    _f("lives_in", "hold", "place", r"\b(?:years?|months?|weeks?|yrs?|wks?)\s+in\s+(?=(?-i:[A-Z])[^.;!?]{0,40}\b(?:now|done|already|so\s+far)\b)"),
    _f("lives_in", "end", "place", r"\b(?:moved|movd|moving)\s+(?:away\s+)?(?:out\s+of|from|away\s+from)\s+"),
    _f("lives_in", "start", "place", r"\b(?:relocating|relocated|moving|moved|sending|sent|transferring|transferred|posting|posted)\s+(?:me|us)\s+(?:back\s+|over\s+)?to\s+", speaker=True),
    # (one frame a shape, so that the gate finds each one's telling words)
    _f("lives_in", "hold", "place", rf"^(?={_PLACE_AHEAD}\s+{_LOCAL_NOUN}\b)", present=True),
    _f("lives_in", "hold", "place", rf"^(?={_PLACE_AHEAD}\s+(?:is|'s|’s)\s+(?:\w+\s+){{0,2}}?{_WEATHER}\b)", present=True),
    _f("lives_in", "hold", "place", rf"^(?={_PLACE_AHEAD}\s+in\s+{_SEASON}\s+(?:is|'s|’s)\b)", present=True),
    _f("lives_in", "hold", "place", r"^(?=[a-z]{4,}\s+(?:rent|rents|traffic|weather|prices|housing)\b)", present=True),
    _f("lives_in", "hold", "place", rf"\bthe\s+{_LOCAL_NOUN}\s+(?:here\s+)?in\s+", present=True),
    _f("lives_in", "hold", "place", rf"^the\s+{_HOME}\s+in\s+(?={_PLACE_AHEAD}\s+(?:is|'s|’s)\s+(?:way\s+|far\s+|so\s+|too\s+|getting\s+)*(?:too\s+)?(?:small|tiny|cramped|cold|damp|noisy|big|expensive)\b)", present=True),
    _f("lives_in", "hold", "place", rf"\bthe\s+(?={_PLACE_AHEAD}\s+(?:heat|rain|weather|traffic|humidity|winters?|summers?|smog)\b)", present=True),
    # work
    _f("works_at", "hold", "organization", r"\b(?:work|works|working|worked|wrk)\s+(?:full[\s-]time\s+|part[\s-]time\s+)?(?:at|for|with)\s+"),
    _f("works_at", "hold", "organization", r"\b(?:my|our)\s+(?:new\s+|current\s+)?(?:job|role|position|shifts?|office|team|boss|manager|payroll|colleagues?|coworkers?|co-workers?|contract|salary|desk)\s+(?:at|with)\s+"),
    _f("works_at", "hold", "organization", r"\b(?:job|role|position|shifts?|office|team|boss|manager|payroll|colleagues?|coworkers?|co-workers?|contract|desk|crunch|salary|probation|invoicing|billing|overtime|rota|onboarding|appraisal|standups?|deadlines?|hr|management|workload|commute\s+to\s+work)\s+(?:at|with)\s+"),
    _f("works_at", "hold", "organization", r"\b(?:i'm|i’m|im|i\s+am|been|still|currently|now)\s+(?:\w+\s+)?(?:at|with)\s+(?=(?-i:[A-Z]))"),
    _f("works_at", "hold", "organization", r"\b(?:teach|teaches|teaching|taught|drive|driving|drove|nursing|volunteer|volunteering|interning|intern|cooking|coding|consulting|freelancing|lecturing)\s+(?:\w+\s+)?(?:at|for)\s+"),
    _f("works_at", "hold", "organization", r"\b(?!last\b)\w+\s+(?:day|week|month|year)s?\s+(?:at|with)\s+(?=(?-i:[A-Z]))"),
    _f("works_at", "start", "organization", r"\b(?:started|start|starting|begin|began|beginning)\s+(?:work\s+|working\s+|full[\s-]time\s+)?(?:at|with)\s+"),
    _f("works_at", "start", "organization", r"\b(?:joined|joining|join)\s+(?!us\b|them\b|in\b)"),
    _f("works_at", "start", "organization", r"\b(?:got|accepted|took|landed|started|start|starting|signed)\s+(?:a\s+|the\s+|my\s+|an\s+)?(?:new\s+|permanent\s+|full[\s-]time\s+)?(?:job|position|role|internship|offer|contract)\s+(?:at|with|from)\s+"),
    _f("works_at", "start", "organization", r"\b(?:hired\s+(?:by|at)|new\s+job\s+at|new\s+role\s+at)\s+"),
    _f("works_at", "start", "none", r"\b(?:i|we)\s+(?:start|started|begin)\b(?!\s+(?:at|with|to|a|the|my|as)\b)"),
    _f("works_at", "end", "organization", r"\b(?:quit|quitting|left|leaving|resigned\s+from|resigning\s+from)\s+(?!for\b|to\b|the\s+house\b|home\b|it\b)"),
    _f("works_at", "end", "organization", rf"\b{_NOTICE}(?:\s+(?:at|to))?\s*"),
    _f("works_at", "end", "organization", r"\b(?:laid\s+off|let\s+go|made\s+redundant|fired|sacked)(?:\s+(?:from|by|at))?\s*"),
    _f("works_at", "end", "organization", r"\blast\s+(?:day|shift|week|month)\s+(?:at|with)\s+"),
    _f("works_at", "end", "none", r"\b(?:my\s+)?last\s+(?:day|shift)\b"),
    _f("works_at", "end", "none", r"\blet\s+(?:me|us)\s+go\b|\blaid\s+(?:me|us)\s+off\b|\bfired\s+me\b|\bme\s+included\b", speaker=True),
    _f("works_at", "end", "none", r"\b(?:quit|left|leaving|leave|lost)\s+(?:my|the)\s+(?:\w+\s+)?(?:job|work|company|firm|bank|office|position|role|agency|studio)\b|\bstopped\s+(?:working|teaching)\b"),
    _f("works_at", "end", "none", r"\b(?:retire|retired|retiring)\b"),
    _f("works_at", "end", "organization", r"\b(?:stopped|finished|done)\s+(?:working|teaching|driving)\s+(?:at|for)\s+"),
    # job titles
    _f("job", "hold", "title", r"\b(?:i'm|i’m|im|i\s+am|i've\s+been|ive\s+been|i’ve\s+been|been|still|work|works|working|worked)\s+(?:as\s+)?(?:an?\s+)"),
    _f("job", "start", "title", r"\b(?:promoted\s+to|became|become|becoming|starting\s+as|start\s+as|started\s+as|hired\s+as|joined\s+as|took\s+a\s+job\s+as)\s+(?:an?\s+)?"),
    _f("job", "hold", "title", r"\bas\s+(?:an?\s+)"),
    _f("job", "hold", "title", r"\bmy\s+(?:job|work|role|position|career)\s+as\s+(?:an?\s+)?"),
    # partners
    _f("dating", "hold", "person", rf"\b{_OWN}(?:boyfriend|girlfriend|partner|bf|gf)\s*,?\s*"),
    _f("dating", "hold", "none", rf"\b{_OWN}(?:boyfriend|girlfriend|partner|bf|gf)(?:['’]s)?\b(?!\s*,?\s*(?-i:[A-Z]))"),
    _f("married_to", "hold", "none", rf"\b{_OWN}(?:husband|wife|spouse|hubby)(?:['’]s)?\b(?!\s*,?\s*(?-i:[A-Z]))"),
    _f("engaged_to", "hold", "none", rf"\b{_OWN}(?:fianc[ée]e?|fiance|fiancee)(?:['’]s)?\b(?!\s*,?\s*(?-i:[A-Z]))"),
    _f("married_to", "hold", "person", rf"\b{_OWN}(?:husband|wife|spouse|hubby)\s*,?\s*"),
    _f("engaged_to", "hold", "person", rf"\b{_OWN}(?:fianc[ée]e?|fiance|fiancee)\s*,?\s*"),
    _f("dating", "hold", "person", r"\b(?:dating|seeing)\s+(?!each\b|someone\b|anyone\b)"),
    _f("dating", "start", "none", r"\b(?:back\s+together|(?<!been\s)seeing\s+each\s+other|together\s+since|started\s+dating|got\s+together)\b"),
    _f("dating", "hold", "none", r"\b(?:been\s+together|been\s+seeing\s+each\s+other)\b"),
    _f("engaged_to", "start", "person", r"\b(?:got\s+engaged|engaged)\s+to\s+"),
    _f("engaged_to", "start", "none", r"\b(?:got\s+engaged|are\s+engaged|we're\s+engaged|proposed)\b"),
    _f("engaged_to", "start", "none", r"\b(?:she|he)\s+said\s+yes\b", speaker=True),
    _f("married_to", "start", "person", r"\b(?:got\s+married\s+to|married\s+to|marrying|married)\s+(?=(?-i:[A-Z]))"),
    _f("married_to", "start", "none", r"\b(?:got\s+married|we\s+married|tied\s+the\s+knot|wife\s+and\s+wife|husband\s+and\s+husband|are\s+married)\b"),
    _f("dating", "end", "person", r"\b(?:broke\s+up|split\s+up|broken\s+up|split|separated|divorced|divorcing)\s+(?:with|from)\s+"),
    _f("dating", "end", "person", r"\bmy\s+ex(?:[\s-](?:boyfriend|girlfriend|husband|wife|partner))?\s*,?\s*"),
    _f("dating", "end", "none", r"\b(?:broke\s+up|split\s+up|broken\s+up|we\s+split|separated|divorced|ended\s+it|not\s+together|divorce\s+(?:papers\s+)?(?:was\s+|were\s+|came\s+|went\s+|is\s+)?(?:final|finali[sz]ed|through)|finali[sz]ed\s+(?:our|the|my)\s+divorce)\b"),
    # tastes and habits
    _f("likes", "hold", "taste", r"(?:\b(?:i|we|i\s+really|i\s+still|i\s+also|i\s+do|really|also|still|totally|absolutely|actually|now)\s+(?:love|like)|\b(?:loves|loving|likes|adore|adores|enjoy|enjoys|(?:really|so|totally|super|very|big|i'm|im|been|getting|got)\s+into|obsessed\s+with|hooked\s+on|addicted\s+to|(?:more\s+)?drawn\s+to|a\s+(?:huge\s+|big\s+)?fan\s+of|prefer|prefers))\s+"),
    _f("likes", "hold", "taste", r"\b(?:my\s+)?(?:new\s+)?(?:favou?rite|fave|fav|go-to)\s+(?:\w+\s+)?(?:is|are|now|these\s+days)\s+"),
    _f("likes", "hold", "taste", r"(?:\s+(?:is|are|has\s+become|became)|['’](?:re|s))\s+(?:now\s+)?my\s+(?:new\s+|absolute\s+)?(?:\w+\s+)?(?:favou?rite|fave|go-to|thing|jam|team|club|band|drink|poison)\b", before=True, speaker=True),
    _f("likes", "start", "taste", r"(?:^|(?<=[^\w\s'’]\s))(?:an?\s+)?(?=[\w\-]+(?:\s+[\w\-]+)?\s+(?:person|guy|girl|gal|convert)\s+(?:now|these\s+days)\b)"),
    _f("likes", "start", "taste", r"\bgot\s+(?:me|us)\s+(?:into|hooked\s+on)\s+", speaker=True),
    _f("likes", "start", "taste", r"\b(?:switched|swtiched|swapped|moved|changed|went)\s+(?:[\w\-]+\s+){0,3}?from\s+[^,;.]{2,40}?\s+to\s+"),
    _f("likes", "end", "taste", r"\b(?:switched|swtiched|swapped|moved|changed)\s+(?:[\w\-]+\s+){0,3}?from\s+"),
    _f("diet", "hold", "taste", r"\b(?:i'm|i’m|im|i\s+am|we're|we\s+are|been|went|gone|going|turned|now)\s+(?:\w+\s+)?(?=(?:vegetarian|vegan|pescatarian|pescetarian|keto|gluten[\s-]free|dairy[\s-]free|teetotal|sober|flexitarian|carnivore|paleo)\b)"),
    _f("likes", "start", "taste", r"\b(?:switched|swtiched|switching|switch|changed|converted|moved\s+over)\s+(?:over\s+)?to\s+(?:an?\s+|the\s+)?"),
    _f("likes", "start", "taste", r"\b(?:i'm|i’m|im|i\s+am)\s+(?:now\s+|officially\s+|basically\s+)?(?:an?\s+)?(?=[\w\s\-]{2,30}?\s(?:person|guy|girl|gal|fan|lover|drinker|eater|convert)\b)"),
    _f("likes", "start", "taste", r"\b(?:took\s+up|taking\s+up|got\s+into|learning)\s+(?!at\b|with\b|on\b|as\b|the\s+new\b)"),
    _f("likes", "hold", "taste", r"\b(?:i|we)\s+(?:[\w'’]+\s+)?(?:drink|eat|take|ride|use|play|support|run|swim|cycle|bike|walk)\s+(?=[\w\s\-]{2,30}?\s+(?:now|these\s+days|every\s+\w+|daily|again|anymore|any\s+more|at\s+all)\b)"),
    _f("dislikes", "hold", "taste", r"\b(?:hate|hates|dislike|dislikes|detest|loathe|can't\s+stand|cant\s+stand|can’t\s+stand|cannot\s+stand|not\s+a\s+fan\s+of)\s+"),
    _f("likes", "end", "taste", r"\b(?:quit|quitting|gave\s+up|give\s+up|giving\s+up|stopped|stop|so\s+over|done\s+with|cut\s+out|ditched)\s+(?:on\s+)?(?:an?\s+|the\s+|my\s+)?"),
    _f("likes", "end", "taste", r"\bused\s+to\s+(?:\w+\s+)?"),
    _f("likes", "end", "taste", r"\b(?:days?|weeks?|months?|years?)\s+(?:without|off|free\s+of|clean\s+of)\s+(?:an?\s+|any\s+)?"),
    _f("likes", "hold", "taste", r"\b(?:it['’]s|its|it\s+is)\s+(?=[\w\s\-]{2,30}?\s+(?:all\s+day|every\s+day|every\s+morning|from\s+now\s+on|these\s+days)\b)"),
)
# fmt: on

_GATE = Gate([frame.trigger for frame in FRAMES])


def find(clause: str) -> list[Found]:
    """Every frame the clause holds, with its object where the words name one."""
    found: list[Found] = []
    for frame, possible in zip(FRAMES, _GATE.open(clause.lower()), strict=True):
        if not possible:
            continue  # none of the trigger's letters is here: it cannot match
        for match in frame.trigger.finditer(clause):
            if frame.before:
                value = taste_before(clause[: match.start()])
            else:
                value = read_object(frame.kind, clause[match.end() :])
            if value is None and frame.kind != "none":
                continue
            if frame.present and not _place_topic(value):
                continue
            if frame.predicate == "diet" and value is not None:
                value = _JOINED.split(value)[0]  # "vegan and allergic to cashews": vegan
            found.append(
                Found(
                    frame.predicate,
                    frame.effect,
                    frame.kind,
                    value,
                    match.start(),
                    frame.speaker,
                    frame.own,
                    match.end(),
                    frame.present,
                )
            )
            if frame.kind == "title" and value is not None:
                found.extend(_employer(frame.effect, clause, match.end() + len(value)))
    return found


# Topics a clause opens with that are no place ("Work is so grey today").
_NOT_PLACES = frozenset(
    """
    work life weather traffic school office home city town morning evening night everything
    rent summer winter spring autumn fall today
    """.split()
)


def _place_topic(value: str | None) -> bool:
    """Whether the topic a 'local talk' frame read can be a place."""
    if value is None:
        return False
    first = value.split()[0]
    return first not in NOT_NAMES and first.lower() not in _NOT_PLACES


_AT = re.compile(r"\s*(?:at|for|with)\s+", re.IGNORECASE)
_JOINED = re.compile(r"\s+(?:and|but|or|so|&)\s+", re.IGNORECASE)


def _employer(effect: Effect, clause: str, after: int) -> list[Found]:
    """'a junior analyst at Ferrantis': the title's employer, said with it; 'a nurse
    in Bodø': where the one who works there lives."""
    at = _AT.match(clause, after)
    if at is not None:
        value = name(clause[at.end() :], "organization")
        if value is not None and value != "there":
            return [Found("works_at", effect, "organization", value, after, end=at.end())]
    where = _IN.match(clause, after)
    if where is not None:
        place = name(clause[where.end() :], "place")
        if place is not None and place != "there" and place[:1].isupper():
            return [Found("lives_in", "hold", "place", place, after, end=where.end())]
    return []


_IN = re.compile(widened(r"\s*in\s+(?=[A-Z])"))
