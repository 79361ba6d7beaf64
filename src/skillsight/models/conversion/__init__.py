"""Original checkpoints -> Hugging Face folders ``pretrained_dir`` accepts (``skillsight weights convert``).

:mod:`.torch_checkpoint` reads ``torch.save`` files without running their code; :mod:`.timesformer_keys`
holds the key maps of the public EgoVLPv2 and facebookresearch TimeSformer checkpoints;
:mod:`.convert` maps, checks (every target tensor, every source tensor accounted for) and writes.
"""

__all__: list[str] = []
