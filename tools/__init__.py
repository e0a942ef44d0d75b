"""toolagent.tools — the frozen tools (one module each) and the registry that says which are available."""
