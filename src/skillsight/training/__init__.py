"""Tasks (what a model learns from: supervised, distillation, ranking) and checkpoints."""
