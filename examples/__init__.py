"""Backprop implementations written as a user would, in three conventions, each checked by
the test suite with `crosscheck.check_implementation` (see README, "Check your own backprop")."""
