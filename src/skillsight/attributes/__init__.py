"""Skill attributes and coaching feedback (CrossTrainer, offline).

Modules: :mod:`~skillsight.attributes.phrases` (rule-based phrase chunking),
:mod:`~skillsight.attributes.embedding` (hashed n-gram TF-IDF default, optional MiniLM),
:mod:`~skillsight.attributes.discovery` (stage I: clustering into named attributes, window labels),
:mod:`~skillsight.attributes.llm` (optional local causal LM prompts and parsing),
:mod:`~skillsight.attributes.mapper` (per-second backbone features -> GELU MLP -> attribute logits),
:mod:`~skillsight.attributes.feedback` (stage II: tip retrieval and ranking),
:mod:`~skillsight.attributes.core` (in-memory fit / predict / evaluate vs the most-frequent baseline),
:mod:`~skillsight.attributes.metrics` (attribute IoU@0.7, F1, BLEU-4, ROUGE-L, accuracy),
:mod:`~skillsight.attributes.pipeline` (discover / train / feedback / eval folders).
Nothing is imported here so that text-only users do not pay for torch.
"""

__all__: list[str] = []
