"""Stage II feedback: never empty, never repeats a sentence, scenario-aware; local-LM prompts (fake LM)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skillsight.exceptions import ConfigError
from skillsight.projects.attributes.discovery import WindowLabel, discover_attributes, label_windows
from skillsight.projects.attributes.feedback import AttributePrediction, TipBank, generate_feedback
from skillsight.projects.attributes.llm import (
    extraction_prompt,
    feedback_prompt,
    lm_phrase_extractor,
    parse_attribute_list,
    parse_feedback,
)
from skillsight.projects.attributes.phrases import split_sentences


@pytest.fixture(scope="module")
def bank_and_names(synthetic_commentary):
    vocab = discover_attributes(synthetic_commentary, 8, seed=0)
    return TipBank(label_windows(vocab, synthetic_commentary)), vocab.names


def _lab(text: str, attrs: tuple[int, ...], scenario: str = "Soccer", task: str = "t") -> WindowLabel:
    return WindowLabel("u", scenario, task, "tip", 0.0, 4.0, attrs, text)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 7), st.floats(0.0, 1.0)), max_size=8),
    st.sampled_from(["Basketball", "Cooking", "Soccer", "Unseen Sport"]),
    st.integers(1, 6),
)
def test_never_empty_never_repeats(bank_and_names, preds, scenario, max_tips) -> None:
    bank, names = bank_and_names
    fb = generate_feedback(bank, [AttributePrediction(a, c) for a, c in preds], names, scenario, "", max_tips)
    assert 1 <= len(fb.items) <= max_tips
    sentences = [s.lower() for it in fb.items for s in split_sentences(it.text)]
    assert len(sentences) == len(set(sentences))
    assert fb.text.strip()


def test_duplicates_and_near_duplicates_are_not_repeated() -> None:
    bank = TipBank(
        [
            _lab("Keep the head level.", (0,)),
            _lab("Keep the head level!", (1,)),
            _lab("Keep the head level. Widen the base.", (1,)),
            _lab("Stay low.", (1,)),
        ]
    )
    fb = generate_feedback(
        bank, [AttributePrediction(0, 0.9), AttributePrediction(1, 0.8)], ["head", "balance"], "Soccer"
    )
    assert [i.text for i in fb.items] == ["Keep the head level.", "Stay low."]
    assert [i.attribute for i in fb.items] == ["head", "balance"]


def test_scenario_aware_ranking_and_fallback() -> None:
    bank = TipBank(
        [
            _lab("Soccer tip about balance.", (0,), "Soccer"),
            _lab("Dance tip about balance.", (0,), "Dance"),
            _lab("Common dance advice.", (1,), "Dance"),
            _lab("Common dance advice.", (1,), "Dance"),
        ]
    )
    names = ["balance", "timing"]
    assert (
        generate_feedback(bank, [AttributePrediction(0, 0.7)], names, "Dance").items[0].text
        == "Dance tip about balance."
    )
    assert (
        generate_feedback(bank, [AttributePrediction(0, 0.7)], names, "Soccer").items[0].text
        == "Soccer tip about balance."
    )
    # no prediction has a tip (attribute 2 unknown to the bank): most frequent tips of the scenario
    fb = generate_feedback(
        TipBank([_lab("Common dance advice.", (1,), "Dance")] * 2 + [_lab("Other.", (1,), "Soccer")]),
        [],
        names,
        "Dance",
    )
    assert [i.text for i in fb.items] == ["Common dance advice."] and fb.items[0].attribute is None


def test_format_shows_attribute_confidence_and_windows() -> None:
    bank = TipBank([_lab("Stay low.", (0,))])
    fb = generate_feedback(
        bank, [AttributePrediction(0, 0.83, ((2.0, 6.0), (9.0, 10.0)))], ["balance"], "Soccer"
    )
    assert fb.format() == "- [2.0-6.0 s, 9.0-10.0 s] balance (0.83): Stay low."


def test_empty_bank_is_an_error() -> None:
    with pytest.raises(ConfigError, match="tip bank is empty"):
        generate_feedback(TipBank([]), [AttributePrediction(0, 1.0)], ["a"], "Soccer")


def test_lm_feedback_uses_prompt_and_falls_back_when_empty() -> None:
    bank = TipBank([_lab("Stay low.", (0,))])
    prompts = []

    def fake(prompt: str) -> str:
        prompts.append(prompt)
        return "Tips:\n- bend the knees more\n- Bend the knees more\n2. watch the ball"

    fb = generate_feedback(
        bank, [AttributePrediction(0, 0.9, ((1.0, 5.0),))], ["balance"], "Soccer", generate=fake
    )
    assert fb.source == "lm" and [i.text for i in fb.items] == ["Bend the knees more.", "Watch the ball."]
    assert (
        "- balance [0.90] (1.0-5.0 s)" in prompts[0]
        and "- Stay low." in prompts[0]
        and "Soccer coach" in prompts[0]
    )
    fb = generate_feedback(
        bank, [AttributePrediction(0, 0.9)], ["balance"], "Soccer", generate=lambda p: "\n"
    )
    assert fb.source == "retrieval (lm answer empty)" and fb.items[0].text == "Stay low."


def test_extraction_prompt_and_parsing() -> None:
    prompt = extraction_prompt("Keep your  elbow in\n when shooting.")
    assert "Comment: Keep your elbow in when shooting." in prompt and prompt.endswith("Attributes:\n")
    assert parse_attribute_list("- Elbow position.\n- balance\n* elbow position\n\nignored: after blank") == [
        "elbow position",
        "balance",
    ]
    assert parse_attribute_list("footwork, 'timing', none, a very long phrase of many words") == [
        "footwork",
        "timing",
    ]
    assert parse_attribute_list("none") == []
    extract = lm_phrase_extractor(
        lambda p: "1. hand placement\n2) follow-through" if "Comment: x" in p else ""
    )
    assert extract("x") == ["hand placement", "follow-through"]
    with pytest.raises(ConfigError):
        extraction_prompt("   ")


def test_feedback_prompt_and_parse() -> None:
    prompt = feedback_prompt("Basketball", [("balance", 0.5, (0.0, 4.0))], ["Stay low."], n=2)
    assert "expert Basketball coach" in prompt and "Write 2 short" in prompt
    assert parse_feedback("- a\n- b\n- c", max_tips=2) == ["A.", "B."]
    with pytest.raises(ConfigError):
        feedback_prompt("Basketball", [], [])


def test_lm_discovery_path_with_fake_generator(synthetic_commentary) -> None:
    def fake(prompt: str) -> str:
        comment = prompt.split("Comment: ")[1].split("\n")[0]
        return "- balance" if "balance" in comment.lower() else "- other skill"

    vocab = discover_attributes(synthetic_commentary[:30], 2, extractor=lm_phrase_extractor(fake))
    assert sorted(vocab.names) == ["balance", "other skill"]
    assert np.all(np.isfinite(vocab.similarity()))
