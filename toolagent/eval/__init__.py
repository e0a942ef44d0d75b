"""GAIA and GTA evaluation: loaders, official scorers, a concurrent resumable runner, reports.

Modules: gaia (loader + question_scorer), gaia_run (agent runs), gta_data (loader), gta_score (official GTA
scoring), gta_step / gta_e2e (the two GTA modes), gold (gold-step replay model), similarity (sentence
embeddings), job / runner / executor / ray_backend / store (running), report / compare (output).
Nothing heavy is imported here.
"""
