"""Only the optional C accelerator lives here; everything else is in setup.cfg."""

from setuptools import Extension, setup

# optional: without a compiler the build goes on, and jobfsm runs its pure-Python loop
setup(ext_modules=[Extension("jobfsm._speedups", ["jobfsm/_speedups.c"], optional=True)])
