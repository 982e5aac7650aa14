"""IFEval verifiable-instruction following (survey section 2.2; Zhou et al. 2023): checkers, the instruction
registry, and the ``text.ifeval_prompt_strict_acc`` metric (importing registers it)."""
from synthaudit.metrics.text.ifeval import metric  # noqa: F401
