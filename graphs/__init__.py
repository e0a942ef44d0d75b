"""toolagent.graphs — graph builders: tracer1 (anticipatory) and react (reactive baseline)."""
