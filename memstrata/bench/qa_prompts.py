"""The reader's and the judge's prompts of `memstrata bench qa`, and how their
answers are read.

Sources (the published prompts are used as written, so that the figures mean
what the benchmarks' own figures mean):

- LongMemEval reader: the non-chain-of-thought answer prompt of
  ``src/generation/run_generation.py`` in github.com/xiaowu0162/LongMemEval
  (history chats, then the current date and the question); with no context,
  the question alone, as that script's ``no-retrieval`` setting sends it.
- LongMemEval judge: ``get_anscheck_prompt`` of
  ``src/evaluation/evaluate_qa.py`` in the same repository: one prompt per
  question type, and one for abstention questions (``_abs``), whose right
  answer is to say the history does not tell. A verdict is "yes" or "no".
- LoCoMo reader: ``CONV_START_PROMPT`` and ``QA_PROMPT`` of
  ``task_eval/gpt_utils.py`` in github.com/snap-research/locomo, with the
  sentence its temporal questions (category 2) get appended. Category 5
  (adversarial, unanswerable) is left out: its reference scoring is a
  multiple choice between the adversarial answer and "not mentioned", which a
  free-form reader does not take.
- LoCoMo judge: LoCoMo scores answers by token F1 only and publishes no judge,
  so its questions are judged with LongMemEval's prompts (the temporal one for
  category 2, the default one otherwise); token F1 against the gold answer
  (SQuAD normalisation) is reported beside the verdicts.

The LoCoMo question without context, and the request to ask again when a
verdict is off-format, are worded here.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from typing import Literal

Verdict = Literal["yes", "no", "off-format"]

LME_READER = (
    "I will give you several history chats between you and a user. Please answer the "
    "question based on the relevant chat history.\n\n\nHistory Chats:\n\n{}\n\n"
    "Current Date: {}\nQuestion: {}\nAnswer:"
)

_JUDGE_HEAD = (
    "I will give you a question, a correct answer, and a response from a model. Please "
    "answer yes if the response contains the correct answer. Otherwise, answer no. If the "
    "response is equivalent to the correct answer or contains all the intermediate steps to "
    "get the correct answer, you should also answer yes. If the response only contains a "
    "subset of the information required by the answer, answer no. "
)
_JUDGE_TAIL = (
    "\n\nQuestion: {}\n\nCorrect Answer: {}\n\nModel Response: {}\n\n"
    "Is the model response correct? Answer yes or no only."
)
JUDGE_DEFAULT = _JUDGE_HEAD + _JUDGE_TAIL
JUDGE_TEMPORAL = (
    _JUDGE_HEAD
    + "In addition, do not penalize off-by-one errors for the number of days. If the question "
    "asks for the number of days/weeks/months, etc., and the model makes off-by-one errors "
    "(e.g., predicting 19 days when the answer is 18), the model's response is still correct. "
    + _JUDGE_TAIL
)
JUDGE_UPDATE = (
    "I will give you a question, a correct answer, and a response from a model. Please "
    "answer yes if the response contains the correct answer. Otherwise, answer no. If the "
    "response contains some previous information along with an updated answer, the response "
    "should be considered as correct as long as the updated answer is the required answer."
    + _JUDGE_TAIL
)
JUDGE_PREFERENCE = (
    "I will give you a question, a rubric for desired personalized response, and a response "
    "from a model. Please answer yes if the response satisfies the desired response. "
    "Otherwise, answer no. The model does not need to reflect all the points in the rubric. "
    "The response is correct as long as it recalls and utilizes the user's personal "
    "information correctly.\n\nQuestion: {}\n\nRubric: {}\n\nModel Response: {}\n\n"
    "Is the model response correct? Answer yes or no only."
)
JUDGE_ABSTENTION = (
    "I will give you an unanswerable question, an explanation, and a response from a model. "
    "Please answer yes if the model correctly identifies the question as unanswerable. The "
    "model could say that the information is incomplete, or some other information is given "
    "but the asked information is not.\n\nQuestion: {}\n\nExplanation: {}\n\n"
    "Model Response: {}\n\nDoes the model correctly identify the question as unanswerable? "
    "Answer yes or no only."
)
JUDGES = {
    "single-session-user": JUDGE_DEFAULT,
    "single-session-assistant": JUDGE_DEFAULT,
    "multi-session": JUDGE_DEFAULT,
    "temporal-reasoning": JUDGE_TEMPORAL,
    "knowledge-update": JUDGE_UPDATE,
    "single-session-preference": JUDGE_PREFERENCE,
    "abstention": JUDGE_ABSTENTION,
    # LoCoMo categories, judged with the prompt of the closest LongMemEval type
    "multi-hop": JUDGE_DEFAULT,
    "temporal": JUDGE_TEMPORAL,
    "open-domain": JUDGE_DEFAULT,
    "single-hop": JUDGE_DEFAULT,
}

LOCOMO_START = (
    "Below is a conversation between two people: {} and {}. The conversation takes place "
    "over multiple days and the date of each conversation is written at the beginning of "
    "the conversation.\n\n"
)
LOCOMO_QA = (
    "Based on the above context, write an answer in the form of a short phrase for the "
    "following question. Answer with exact words from the context whenever possible.\n\n"
    "Question: {} Short answer:"
)
LOCOMO_BARE = "Write an answer in the form of a short phrase for the following question.\n\n" + (
    "Question: {} Short answer:"
)
LOCOMO_TEMPORAL = " Use DATE of CONVERSATION to answer with an approximate date."
LOCOMO_CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop"}

ASK_AGAIN = "Reply with exactly one word, yes or no: is the model response correct?"


def lme_reader(history: str | None, date: str, question: str) -> str:
    """LongMemEval's reader prompt; ``None``: no context, the question alone."""
    return question if history is None else LME_READER.format(history, date, question)


def locomo_reader(history: str | None, speakers: tuple[str, str], question: str, kind: str) -> str:
    """LoCoMo's QA prompt after its conversation preamble (none without context)."""
    asked = question + (LOCOMO_TEMPORAL if kind == "temporal" else "")
    if history is None:
        return LOCOMO_BARE.format(asked)
    return LOCOMO_START.format(*speakers) + history + "\n\n" + LOCOMO_QA.format(asked)


def judge_prompt(kind: str, question: str, answer: str, response: str) -> str:
    return JUDGES[kind].format(question, answer, response)


_WORD = re.compile(r"[a-z]+")


def verdict(text: str) -> Verdict:
    """A judge's yes or no: its first word when that is one, else the only one of
    the two it says; anything else is off-format."""
    words = _WORD.findall(text.lower())
    if words and words[0] in ("yes", "no"):
        return "yes" if words[0] == "yes" else "no"
    said = {w for w in words if w in ("yes", "no")}
    if len(said) == 1:
        return "yes" if "yes" in said else "no"
    return "off-format"


_ARTICLES = re.compile(r"\b(a|an|the|and)\b")


def _normal(text: str) -> list[str]:
    lowered = "".join(c for c in text.lower() if c not in string.punctuation)
    return _ARTICLES.sub(" ", lowered).split()


def token_f1(prediction: str, gold: str) -> float:
    """Token F1 after SQuAD-style normalisation (lower case, no punctuation or articles)."""
    said, wanted = _normal(prediction), _normal(gold)
    common = sum((Counter(said) & Counter(wanted)).values())
    if not said or not wanted or common == 0:
        return float(said == wanted)
    precision, recall = common / len(said), common / len(wanted)
    return 2 * precision * recall / (precision + recall)
