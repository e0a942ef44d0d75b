"""Training: grounded feedback data, Stage-1/Stage-2 rewards, synthetic tasks, GRPO/SFT trainers.

Submodules import their heavy dependencies (torch, transformers, trl, datasets) inside functions.
"""
