"""Clauses and verb frames: natural phrasings of moves, jobs, partners and tastes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from memstrata import Memory
from memstrata.extract.clauses import read
from memstrata.extract.frames import FRAMES
from memstrata.extract.gates import required_runs
from memstrata.extract.objects import name, taste, title
from memstrata.extract.offline import OfflineExtractor
from memstrata.model import Episode

# A Wednesday.
T = datetime(2024, 3, 13, 12, 0, tzinfo=UTC)


def episode(text: str, speaker: str = "Maya", at: datetime = T, role: str = "user") -> Episode:
    return Episode(
        id=f"e{hash(text) & 0xFFFF}",
        namespace="n",
        content=text,
        occurred_at=at,
        recorded_at=at,
        speaker=speaker,
        role=role,
    )


def facts(*texts: str, speaker: str = "Maya") -> list[tuple[str, str, str, str, str]]:
    """(subject, predicate, object, effect, day of valid_at) of every draft."""
    out = OfflineExtractor().extract([episode(t, speaker) for t in texts])
    return [
        (f.subject, f.predicate, f.object, f.effect, f.valid_at.date().isoformat())
        for f in out.facts
    ]


def triples(*texts: str) -> set[tuple[str, str, str]]:
    return {(s, p, o) for s, p, o, _, _ in facts(*texts)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the heating in my flat in Tromsø broke again", ("Maya", "lives_in", "Tromsø")),
        (
            "invoicing at Pellworth Dairy is a mess this month",
            ("Maya", "works_at", "Pellworth Dairy"),
        ),
        ("been with Harlan & Moss almost three years now", ("Maya", "works_at", "Harlan & Moss")),
        ("I'm a staff nurse at Greyfield Clinic", ("Maya", "works_at", "Greyfield Clinic")),
        ("I'm a staff nurse at Greyfield Clinic", ("Maya", "job", "staff nurse")),
        ("we finally bought a little house in Ghent!!", ("Maya", "lives_in", "Ghent")),
        ("joined a tiny studio called Quillfox in May", ("Maya", "works_at", "Quillfox")),
        ("I do freelance work for a bakery app, crumbly, for now", ("Maya", "works_at", "crumbly")),
        ("I'm vegan these days", ("Maya", "diet", "vegan")),
        ("oat flat whites are my go-to now", ("Maya", "likes", "oat flat whites")),
    ],
)
def test_indirect_statements_are_read(text: str, expected: tuple[str, str, str]) -> None:
    assert expected in triples(text)


@pytest.mark.parametrize(
    "text",
    [
        "If I moved to Cork I'd need a car",
        "I'd move to Lisbon tomorrow if I could",
        "I've never lived in Oslo",
        "did you move to Leeds in the end?",
        "my dad keeps saying I'll end up living in Perth",
        "she sings 'we were living in Tangier' all day",
        "thinking about a job at Corvane, not sure yet",
        "you work at Brightline, right?",
    ],
)
def test_what_is_not_asserted_makes_no_state(text: str) -> None:
    assert [f for f in facts(text) if f[3] != "end"] == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Payroll at Halvorsen Freight messed up my overtime again",
            ("works_at", "Halvorsen Freight"),
        ),
        ("I've been at Halvorsen almost four years", ("works_at", "Halvorsen")),
        (
            "handed in my notice and started at Marrowline Rail on Monday",
            ("works_at", "Marrowline Rail"),
        ),
        ("I don't drink black tea at all anymore, it's rooibos all day", ("likes", "rooibos")),
        ("I live in Porto and I have a parrot called Kiwi", ("lives_in", "Porto")),
        ("I live in Porto and I have a parrot called Kiwi", ("has_pet", "Kiwi")),
        ("my firm is relocating me to Aarhus in May", ("lives_in", "Aarhus")),
        ("I'm a midwife in Tampere, mostly night shifts", ("lives_in", "Tampere")),
    ],
)
def test_phrasings_a_pattern_per_sentence_missed(text: str, expected: tuple[str, str]) -> None:
    assert ("Maya", *expected) in triples(text)


def test_news_said_with_actually_closes_rather_than_retracts(memory: Memory) -> None:
    memory.add("I live in Berlin", speaker="Ana", occurred_at=T)
    later = T.replace(month=6)
    memory.add("Actually I moved to Munich last month", speaker="Ana", occurred_at=later)
    berlin, munich = memory.facts("Ana", "lives_in")
    assert berlin.expired_at is None and berlin.invalid_at == datetime(2024, 5, 1, tzinfo=UTC)
    assert munich.valid_at == datetime(2024, 5, 1, tzinfo=UTC) and munich.invalid_at is None


def test_a_habit_given_up_days_ago() -> None:
    found = facts("40 days without a cigarette today")
    assert ("Maya", "likes", "cigarette", "end", "2024-03-13") in found


def test_a_negation_belongs_to_its_own_words() -> None:
    """'no dog' later in the clause does not negate 'living in'."""
    assert ("Maya", "lives_in", "Turin") in triples("still living in Turin, still no dog")


def test_another_persons_news_is_theirs() -> None:
    found = triples("Jonas, my old flatmate, just moved to Graz")
    assert found == {("Jonas", "lives_in", "Graz")}


def test_endings_close_with_or_without_an_object() -> None:
    found = facts("handed in my notice at Pinegrove on Monday", "they let me go last Friday")
    assert ("Maya", "works_at", "Pinegrove", "end", "2024-03-11") in found
    # "they" is the employer the conversation named last
    assert ("Maya", "works_at", "Pinegrove", "end", "2024-03-08") in found
    assert ("Maya", "works_at", "", "end", "2024-03-13") in facts("I quit my job")


def test_an_employer_that_acts_on_the_speaker() -> None:
    (found,) = [
        f for f in facts("Tillbury Press laid off the whole team. me included") if f[3] == "end"
    ]
    assert found[:3] == ("Maya", "works_at", "Tillbury Press")


def test_a_partner_named_by_the_conversation() -> None:
    found = triples("dinner with Ravi tonight, my boyfriend insists on cooking")
    assert ("Maya", "dating", "Ravi") in found


def test_a_pair_and_a_time_said_after_it() -> None:
    found = facts("Lena and I broke up. three weeks ago.")
    assert ("Maya", "dating", "Lena", "end", "2024-02-19") in found


def test_a_habit_that_stopped_and_a_switch() -> None:
    found = facts("I don't drink cola at all anymore", "switched from Safari to Firefox last week")
    assert ("Maya", "likes", "cola", "end", "2024-03-13") in found
    assert ("Maya", "likes", "Firefox", "start", "2024-03-04") in found
    assert ("Maya", "likes", "Safari", "end", "2024-03-04") in found


@pytest.mark.parametrize(
    ("text", "effect", "day"),
    [
        ("I start at Norrow Labs on the 18th", "start", "2024-03-18"),
        ("my last day at Norrow Labs was the 1st", "end", "2024-03-01"),
        ("moved to Varna last spring", "start", "2023-03-01"),
        ("moved to Varna a fortnight ago", "start", "2024-02-28"),
        ("left Dunmore Bank at the end of January", "end", "2024-01-31"),
        ("been teaching at Hollins Academy for six years", "hold", "2018-03-13"),
        ("I start at Norrow Labs next Friday", "start", "2024-03-22"),
        ("I start at Norrow Labs this Friday", "start", "2024-03-15"),
    ],
)
def test_times_are_read_in_the_clauses_tense(text: str, effect: str, day: str) -> None:
    assert any(f[3] == effect and f[4] == day for f in facts(text)), facts(text)


def test_an_assistant_turn_makes_no_facts() -> None:
    turn = episode("## Options\n\n- **Move to Porto**: cheaper rent", role="assistant")
    assert OfflineExtractor().extract([turn]).facts == []


def test_clauses_carry_the_subject_within_a_statement_only() -> None:
    clauses = list(read("Ines moved to Rome and started at Vela. I stayed", "Maya", None))
    assert [c.subject for c in clauses] == ["Ines", "Ines", "Maya"]


def test_object_readers() -> None:
    assert name("Kestrel Rail on Monday") == "Kestrel Rail"
    assert name("the bank (Orsolo Trust) in May", "organization") == "Orsolo Trust"
    assert name("a shop called Tin & Thread, near me", "organization") == "Tin & Thread"
    assert name("my parents' house", "person") is None
    assert title("senior data engineer at Quillfox") == "senior data engineer"
    assert title("flat white person now") is None
    assert taste("black tea at all anymore") == "black tea"
    assert taste("coffee three weeks ago") == "coffee"


SAMPLES = [
    "I moved to Lyon last month and my boyfriend's family came",
    "payroll at Hexa messed up again, I'm a nurse there",
    "I don't eat meat anymore, pescatarian now",
    "matcha guy now, quit coffee",
    "my ex, Tom, still has my bike",
    "we got married on the 4th and we're engaged no more",
    "first week at Orbit done, they let me go from Acme",
    "I've been in Pune almost six years now",
]


def test_the_gate_never_skips_a_frame_that_matches() -> None:
    for frame in FRAMES:
        runs = required_runs(frame.trigger)
        for text in SAMPLES:
            if frame.trigger.search(text) and runs:
                assert any(run in text.lower() for run in runs), (frame.trigger.pattern, text)


def test_an_ending_closes_the_job_and_says_why(memory: Memory) -> None:
    memory.add("I work at Pinegrove as a data analyst", speaker="Ana", occurred_at=T)
    memory.add("they let me go last Friday", speaker="Ana", occurred_at=T.replace(day=20))
    (job,) = memory.facts("Ana", "works_at")
    assert job.invalid_at == datetime(2024, 3, 15, tzinfo=UTC) and job.expired_at is None
    (title,) = memory.facts("Ana", "job")
    assert title.invalid_at == job.invalid_at
    (closed,) = [h for h in memory.history("fact", job.id) if h.action == "close"]
    assert closed.reason.startswith("ended: ")


def test_a_second_job_closes_nothing(memory: Memory) -> None:
    memory.add("I work at Pinegrove", speaker="Ana", occurred_at=T)
    memory.add(
        "picked up weekend shifts at a cafe, Bean There, on the side",
        speaker="Ana",
        occurred_at=T.replace(day=20),
    )
    (main,) = memory.facts("Ana", "works_at")
    (side,) = memory.facts("Ana", "also_works_at")
    assert main.invalid_at is None and side.object == "Bean There"


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (["Tūī Studios offered me a job and I start on the 13th"], "Tūī Studios"),
        (["I moved to Łódź last month"], "Łódź"),
        (["I'm still at Ørsted, five years now"], "Ørsted"),
        (["we finally bought a little house in İzmir!!"], "İzmir"),
    ],
)
def test_names_with_capitals_beyond_ascii_are_read_whole(texts: list[str], expected: str) -> None:
    assert expected in {o for _, _, o, _, _ in facts(*texts)}


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (
            ["my aunt found us a flat in Setúbal", "we moved there in January"],
            {("Maya", "lives_in", "Setúbal", "start", "2024-01-01")},
        ),
        (
            ["I moved in with my brother in Galway last week"],
            {("Maya", "lives_in", "Galway", "start", "2024-03-04")},
        ),
        (
            ["we gave up our place in Hove and moved to Derby"],
            {("Maya", "lives_in", "Hove", "end", T.date().isoformat()),
             ("Maya", "lives_in", "Derby", "start", T.date().isoformat())},
        ),
        (
            ["I left my old flat in Brno at the start of the year"],
            {("Maya", "lives_in", "Brno", "end", "2024-01-01")},
        ),
    ],
)  # fmt: skip
def test_moves_said_with_there_with_someone_or_by_leaving_a_home(
    texts: list[str], expected: set[tuple[str, str, str, str, str]]
) -> None:
    assert set(facts(*texts)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I'm 52 and thinking about a career change", ("Maya", "age", "52")),
        ("I'm 29 🎉 as of today", ("Maya", "age", "29")),
        ("I'm 61 and I just took up climbing — sorry, 66, typo", ("Maya", "age", "66")),
        ("I'm 38, I mean 39, since Sunday", ("Maya", "age", "39")),
    ],
)
def test_an_age_ends_where_the_sentence_goes_on_and_a_number_taken_back_is_replaced(
    text: str, expected: tuple[str, str, str]
) -> None:
    assert {t for t in triples(text) if t[1] == "age"} == {expected}


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (["Copper Lanterns, always. they're my favourite band"],
         {("Maya", "likes", "Copper Lanterns")}),
        (["Harbour Rovers are my team now"], {("Maya", "likes", "Harbour Rovers")}),
        (["gave up wine in May 🙃 kombucha girl now"],
         {("Maya", "likes", "kombucha"), ("Maya", "likes", "wine")}),
    ],
)  # fmt: skip
def test_a_taste_named_before_its_frame_is_the_speakers(
    texts: list[str], expected: set[tuple[str, str, str]]
) -> None:
    assert triples(*texts) == expected


def test_a_taste_ends_its_opposite_when_one_adds_only_the_kind_of_thing() -> None:
    from memstrata.resolve.contradictions import same_taste

    assert same_taste("horror", "horror films") and same_taste("jazz music", "jazz")
    assert not same_taste("tea", "green tea") and not same_taste("horror", "")


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (["still at Brightwater Labs, nothing new"], {("Maya", "works_at", "Brightwater Labs")}),
        (["now at Quarry & Vale, since the spring"], {("Maya", "works_at", "Quarry & Vale")}),
        (["still, it could be worse"], set()),
        (["I've always been in Tartu, born and raised"], {("Maya", "lives_in", "Tartu")}),
        (["born and raised in Cork, never left"], {("Maya", "lives_in", "Cork")}),
        (["do you remember Ilse from the book club?", "we've been seeing each other since May"],
         {("Maya", "dating", "Ilse")}),
    ],
)  # fmt: skip
def test_states_said_without_a_subject_or_with_the_person_named_before(
    texts: list[str], expected: set[tuple[str, str, str]]
) -> None:
    assert triples(*texts) == expected


def test_a_start_with_no_name_takes_the_name_said_last() -> None:
    said = facts(
        "last day at Halden Print done, they gave me flowers",
        "Corvid Robotics, out by Tollcross. I start on the 2nd",
    )
    assert ("Maya", "works_at", "Corvid Robotics", "start", "2024-04-02") in said
    assert not any(o == "Tollcross" for _, _, o, _, _ in said)


def test_an_ending_said_as_a_time_does_not_end_the_new_state() -> None:
    said = facts("since I stopped working at the ward I volunteer at Hollin Library on Mondays")
    assert said == [("Maya", "works_at", "Hollin Library", "hold", T.date().isoformat())]


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("Tromsø is so snowy today, I can't feel my toes", "Tromsø"),
        ("Porto rain again, my shoes will never dry", "Porto"),
        ("lisboa rent is out of control", "lisboa"),
        ("the traffic in Nairobi this morning was a joke", None),
        ("the traffic in Nairobi this morning, unreal", "Nairobi"),
        ("Hobart in June is brutal", "Hobart"),
        ("for now it's just me and the Perth heat", "Perth"),
    ],
)
def test_talk_of_the_conditions_where_one_is(text: str, place: str | None) -> None:
    """A place named with its weather, rent or traffic, in the present tense, is home."""
    lives = {o for s, p, o in triples(text) if p == "lives_in" and s == "Maya"}
    assert lives == ({place} if place else set())


@pytest.mark.parametrize(
    "text",
    [
        "Oslo was so rainy on our trip",
        "how's the weather in Oslo?",
        "Work is so grey today",
        "is Seville rent as bad as they say?",
    ],
)
def test_conditions_told_of_a_trip_or_asked_are_no_home(text: str) -> None:
    assert [f for f in facts(text) if f[1] == "lives_in"] == []


def test_what_starts_later_is_not_held_yet() -> None:
    """'starting as a sous chef at X in two weeks' starts X then; it does not hold now."""
    found = facts("I'm starting as a baker at Crumb & Co in two weeks")
    assert ("Maya", "works_at", "Crumb & Co", "start", "2024-03-27") in found
    assert [f for f in found if f[3] == "hold"] == []


def test_work_the_speaker_calls_theirs_holds_in_a_question() -> None:
    found = triples("can you help me reply to my boss at Pellworth Dairy?")
    assert found == {("Maya", "works_at", "Pellworth Dairy")}
    assert triples("my old boss at Pellworth Dairy called") == set()


def test_a_diet_is_its_own_word() -> None:
    found = triples("I'm vegetarian and allergic to walnuts, sadly")
    assert ("Maya", "diet", "vegetarian") in found
    assert ("Maya", "allergic_to", "walnuts") in found


def test_a_report_goes_on_past_its_first_clause() -> None:
    text = "The tenant argues that she paid in full, until she moved to Dundee in May"
    assert [f for f in facts(text) if f[1] == "lives_in"] == []


def test_a_pasted_transcript_is_not_the_speakers_word() -> None:
    transcript = (
        "can you summarise this?\n0:01\nI live in Leeds now and\n0:04\nI hate the rain\n0:07"
    )
    assert facts(transcript) == []
    assert facts("I live in Leeds now, meeting at 10:30") != []


def test_a_thing_called_by_a_name_is_no_person() -> None:
    """Only a word for a person before 'called' makes the name someone's, who 'he' or
    'my partner' can then be."""
    text = "I run a podcast called Night Owls. He moved to Oslo last year"
    assert [f for f in facts(text) if f[1] == "lives_in"] == []
    text = "I met a guy called Tobias. He moved to Oslo last year"
    assert ("Tobias", "lives_in", "Oslo") in triples(text)
    assert ("Maya", "dating", "Carcassonne") not in triples(
        "I'll get Azul and Carcassonne for a game night with my girlfriend"
    )


def test_together_for_years_began_that_long_ago() -> None:
    found = facts("Sam and I have been together three years in April")
    assert ("Maya", "dating", "Sam", "hold", "2021-03-13") in found


@pytest.mark.parametrize(
    "text",
    [
        "that's more than my whole flat in Dunedin costs",
        "the apartment in Dunedin is way too small for the two of us",
    ],
)
def test_a_home_said_in_passing(text: str) -> None:
    assert ("Maya", "lives_in", "Dunedin") in triples(text)


def test_a_partner_named_beside_the_word_for_them() -> None:
    text = "the best part: Teodor — my boyfriend, if you forgot — fell into the pond"
    assert ("Maya", "dating", "Teodor") in triples(text)


def test_a_lower_case_topic_needs_the_cost_of_living_there() -> None:
    assert ("Maya", "lives_in", "bergen") in triples("bergen rent is a joke")
    assert triples("freelance life is over already") == set()


def test_a_name_joined_by_and_takes_the_kind_of_the_one_before() -> None:
    assert ("Pia", "lives_in", "Oslo") in triples(
        "I met Jonas and Pia at the gym. She moved to Oslo"
    )
