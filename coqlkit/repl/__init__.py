"""The interactive COQL shell: completion, highlighting and the prompt_toolkit session."""
