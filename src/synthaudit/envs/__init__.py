"""Environments that agent data are replayed in (survey section 7): gymnasium-style simulators (highway-env for
driving), tool registries for tool-call trajectories, goal predicates, and the replay that re-executes recorded
actions to check executability and claimed outcomes rather than trusting the data's own claims."""
