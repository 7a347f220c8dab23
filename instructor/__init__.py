"""Instructor-only material, kept out of the installed package: the exercises' reference implementations."""
