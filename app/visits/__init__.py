"""Education bases and visit bookings (docs/domain.md: Education bases)."""
