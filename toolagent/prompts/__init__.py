"""Every text a planner sees: the prompt templates (``*.txt``), the fixed texts (``texts``) and their rendering
(``render``: the tool menu in the full and compact profiles, history lines, framed observations)."""
