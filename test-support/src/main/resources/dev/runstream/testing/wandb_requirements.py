"""Prints the requirements of the installed wandb distribution that apply to this interpreter, one
a line (extras left out), so that runstream's test harness can install them one by one."""
import importlib.metadata

from pip._vendor.packaging.requirements import Requirement

for spec in importlib.metadata.requires("wandb") or []:
    requirement = Requirement(spec)
    if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
        print(str(requirement))
