"""Live calls: the call store, call memory, feedback and the improvement loop."""
