"""The audit log: every staff write, who, what, when, before and after."""
