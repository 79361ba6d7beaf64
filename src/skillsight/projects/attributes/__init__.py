"""Skill attributes and coaching feedback (CrossTrainer, offline).

Modules: :mod:`~skillsight.projects.attributes.phrases` (rule-based phrase chunking),
:mod:`~skillsight.projects.attributes.embedding` (hashed n-gram TF-IDF default, optional MiniLM),
:mod:`~skillsight.projects.attributes.discovery` (stage I: clustering into named attributes, window labels),
:mod:`~skillsight.projects.attributes.llm` (optional local causal LM prompts and parsing),
:mod:`~skillsight.projects.attributes.mapper` (per-second backbone features -> GELU MLP -> attribute logits),
:mod:`~skillsight.projects.attributes.feedback` (stage II: tip retrieval and ranking),
:mod:`~skillsight.projects.attributes.core` (in-memory fit / predict / evaluate vs a most-frequent baseline),
:mod:`~skillsight.projects.attributes.metrics` (attribute IoU@0.7, F1, BLEU-4, ROUGE-L, accuracy),
:mod:`~skillsight.projects.attributes.pipeline` (discover / train / feedback / eval folders).
Nothing is imported here so that text-only users do not pay for torch.
"""

__all__: list[str] = []
