"""School low-carbon campaigns: students, follows, green actions and their factors, check-ins, boards."""
