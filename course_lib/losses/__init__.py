"""Losses: each file is one paper's training objective, written from its equations and official code."""
