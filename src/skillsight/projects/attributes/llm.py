"""Optional local causal LM: phrase extraction (stage I) and feedback wording (stage II).

CrossTrainer prompts an LLM. Here a *user-supplied local* Hugging Face causal LM can take that role:
``LocalCausalLM(path)`` loads ``AutoModelForCausalLM.from_pretrained(path, local_files_only=True)``
(nothing is downloaded). Everything else works through a plain ``generate(prompt) -> str`` function,
so prompt construction and output parsing are tested with a fake generator and no model.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

from skillsight.exceptions import ConfigError

__all__ = [
    "GenerateFn",
    "LocalCausalLM",
    "extraction_prompt",
    "feedback_prompt",
    "lm_phrase_extractor",
    "parse_attribute_list",
    "parse_feedback",
]

GenerateFn = Callable[[str], str]

_EXTRACTION_TEMPLATE = (
    "You are a sports and skills coach. Read the expert comment and list the skill attributes the person "
    "should work on (short, sport-agnostic noun phrases such as balance, hand positioning, follow-through).\n"
    "Comment: {comment}\n"
    "Answer with one attribute per line, each line starting with '- '. Answer 'none' if there is none.\n"
    "Attributes:\n"
)

_FEEDBACK_TEMPLATE = (
    "You are an expert {scenario} coach. The video shows these skill attributes that need work "
    "(confidence in brackets, time window in seconds):\n{attributes}\n"
    "Example tips experts gave for these attributes:\n{examples}\n"
    "Write {n} short, actionable tips for this person, one per line, each starting with '- '.\n"
    "Tips:\n"
)

_BULLET = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s*")


def extraction_prompt(comment: str) -> str:
    """The stage-I prompt for one comment (whitespace in the comment collapsed)."""
    text = " ".join(comment.split())
    if not text:
        raise ConfigError("extraction_prompt got an empty comment")
    return _EXTRACTION_TEMPLATE.format(comment=text)


def parse_attribute_list(output: str, max_words: int = 4) -> list[str]:
    """Attributes from an LM answer: bullet/numbered lines or one comma-separated line.

    Lower-cases, strips bullets, quotes and trailing punctuation, drops 'none', phrases longer than
    ``max_words`` words and duplicates (first kept). Stops at the first blank line after an item.
    """
    items: list[str] = []
    for line in output.strip().splitlines():
        if not line.strip():
            if items:
                break
            continue
        body = _BULLET.sub("", line)
        parts = body.split(",") if not _BULLET.match(line) else [body]
        for part in parts:
            p = part.strip().strip("\"'`").rstrip(".;:!").strip().lower()
            if p and p != "none" and len(p.split()) <= max_words:
                items.append(p)
    return list(dict.fromkeys(items))


def lm_phrase_extractor(generate: GenerateFn) -> Callable[[str], list[str]]:
    """A phrase extractor backed by a local causal LM.

    For :func:`skillsight.projects.attributes.discovery.discover_attributes`.
    """

    def extract(text: str) -> list[str]:
        return parse_attribute_list(generate(extraction_prompt(text)))

    return extract


def feedback_prompt(
    scenario: str,
    attributes: Sequence[tuple[str, float, tuple[float, float]]],
    examples: Sequence[str],
    n: int = 3,
) -> str:
    """The stage-II prompt: predicted (name, confidence, (start_s, end_s)) and retrieved example tips."""
    if not attributes:
        raise ConfigError("feedback_prompt needs at least one attribute")
    attrs = "\n".join(f"- {a} [{c:.2f}] ({s:.1f}-{e:.1f} s)" for a, c, (s, e) in attributes)
    ex = "\n".join(f"- {t}" for t in examples) or "- (none)"
    return _FEEDBACK_TEMPLATE.format(scenario=scenario or "skills", attributes=attrs, examples=ex, n=int(n))


def parse_feedback(output: str, max_tips: int = 5) -> list[str]:
    """Tips from an LM answer: bullet lines (or non-empty lines), sentence-cased, de-duplicated."""
    tips: list[str] = []
    for line in output.strip().splitlines():
        body = _BULLET.sub("", line).strip()
        if not body or body.lower().startswith("tips"):
            continue
        body = body[0].upper() + body[1:]
        if body[-1] not in ".!?":
            body += "."
        if body.lower() not in {t.lower() for t in tips}:
            tips.append(body)
        if len(tips) >= max_tips:
            break
    return tips


class LocalCausalLM:
    """Greedy text generation with a local Hugging Face causal LM (never downloads).

    Args:
        path: folder with the model and tokenizer files.
        max_new_tokens: generation length.
        device: torch device string.
    """

    def __init__(self, path: str | Path, max_new_tokens: int = 96, device: str = "cpu") -> None:
        path = Path(path)
        if not path.is_dir():
            raise ConfigError(f"local LM folder {path} does not exist (only local models are used)")
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(path, local_files_only=True)
        # transformers types PreTrainedModel.to through a wrapper that drops the device overload.
        self.model = model.to(device).eval()  # type: ignore[arg-type]
        self.max_new_tokens = int(max_new_tokens)
        self.device = device

    def __call__(self, prompt: str) -> str:
        import torch

        ids = self.tokenizer(prompt, return_tensors="pt").to(self.device)
        with torch.no_grad():
            out = self.model.generate(
                **ids,
                max_new_tokens=self.max_new_tokens,
                do_sample=False,
                pad_token_id=self.tokenizer.eos_token_id,
            )
        text = self.tokenizer.decode(out[0, ids["input_ids"].shape[1] :], skip_special_tokens=True)
        return text if isinstance(text, str) else "".join(text)  # one sequence decodes to a str
