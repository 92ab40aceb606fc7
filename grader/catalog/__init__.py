"""Exercise and assignment specs, their cases, and the plans the engine grades against."""

from .course import Course, SpecError, find_course_root
from .plan import AssignmentPlan, ExercisePlan, PlannedCase

__all__ = ["AssignmentPlan", "Course", "ExercisePlan", "PlannedCase", "SpecError", "find_course_root"]
