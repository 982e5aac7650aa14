"""Agent data generation (survey section 7): scripted driving policies and recorded highway-env rollouts
(``policies``, ``rollouts``), scenario specifications (``scenarios``)."""
from __future__ import annotations

from synthaudit.generate.agent.policies import POLICIES, get_policy
from synthaudit.generate.agent.rollouts import corrupt_actions, record_episodes, write_episodes

__all__ = ["POLICIES", "corrupt_actions", "get_policy", "record_episodes", "write_episodes"]
