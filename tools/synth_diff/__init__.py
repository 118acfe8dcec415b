"""`make synth-diff`: what a change does to the synthesized stacks (see __main__.py)."""
