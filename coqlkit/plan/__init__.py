"""Choose how to run a query: calls, pages, credits and rows, as plain data that EXPLAIN prints."""

from coqlkit.plan.explain import Actual, explain
from coqlkit.plan.options import PlanOptions
from coqlkit.plan.planner import Plan, plan

__all__ = ["Actual", "Plan", "PlanOptions", "explain", "plan"]
