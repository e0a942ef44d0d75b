"""GAIA, GTA and synthetic-suite evaluation: loaders, official scorers, a concurrent resumable runner, reports.

Modules: registry (the one list of benchmarks and their modes), gaia (loader + question_scorer), gaia_run (agent
runs), gta_data (loader), gta_score (official GTA scoring), gta_base / gta_step / gta_e2e (the two GTA modes), gold
(gold-step replay model), similarity (sentence embeddings), synth (a synthetic suite split with the real tools),
job / runner / executor / ray_backend / store (running), report / compare (output).
Nothing heavy is imported here.
"""
