"""Planning, running and gating audits."""
